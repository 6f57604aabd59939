// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * eh_frame.c - function bounds from .eh_frame FDEs (see eh_frame.h): CIEs
 * parsed for their FDE pointer encoding (absolute or pc-relative only),
 * FDEs collected and sorted.  Errors are returned; nothing prints.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eh_frame.h"

/* a section's bytes, or NULL when it has none in the file */
static const uint8_t *scn_bytes(Elf_Scn *scn, const GElf_Shdr *sh, size_t *len)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS || !(d = elf_rawdata(scn, NULL)) || !d->d_buf)
		return NULL;
	*len = d->d_size < sh->sh_size ? d->d_size : sh->sh_size;
	return d->d_buf;
}

struct rd {
	const uint8_t *p, *end;
	uint64_t vaddr;               /* of p */
	bool bad;
};

static uint64_t rd_n(struct rd *r, unsigned n)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	r->vaddr += n;
	return v;
}

static uint64_t rd_leb(struct rd *r, bool sign)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		b = (uint8_t)rd_n(r, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !r->bad);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return v;
}

/* a DW_EH_PE-encoded pointer; absolute or pc-relative only */
static uint64_t rd_enc(struct rd *r, uint8_t enc)
{
	uint64_t at = r->vaddr, v;

	switch (enc & 0x0f) {
	case 0x00: v = rd_n(r, 8); break;
	case 0x01: v = rd_leb(r, false); break;
	case 0x02: v = rd_n(r, 2); break;
	case 0x03: v = rd_n(r, 4); break;
	case 0x04: case 0x0c: v = rd_n(r, 8); break;
	case 0x09: v = rd_leb(r, true); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_n(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_n(r, 4); break;
	default: r->bad = true; return 0;
	}
	if ((enc & 0x70) == 0x10)
		v += at;
	else if (enc & 0x70)
		r->bad = true;
	return v;
}

/* the FDE pointer encoding of the CIE whose body (after its id) r reads */
static int cie_encoding(struct rd r)
{
	const uint8_t *aug;
	uint8_t ver, enc = 0;

	ver = (uint8_t)rd_n(&r, 1);
	aug = r.p;
	while (!r.bad && rd_n(&r, 1))
		;
	if (r.bad)
		return -1; /* aug[] is a string inside the CIE from here on */
	rd_leb(&r, false);
	rd_leb(&r, true);
	if (ver == 1)
		rd_n(&r, 1);
	else
		rd_leb(&r, false);
	if (r.bad || aug[0] != 'z')
		return r.bad || aug[0] ? -1 : 0; /* no augmentation: absolute pointers */
	rd_leb(&r, false);
	for (const uint8_t *a = aug + 1; *a && !r.bad; a++) {
		if (*a == 'R')
			enc = (uint8_t)rd_n(&r, 1);
		else if (*a == 'P')
			rd_enc(&r, (uint8_t)rd_n(&r, 1) & 0x7f);
		else if (*a == 'L')
			rd_n(&r, 1);
		else if (*a != 'S' && *a != 'B')
			return -1;
	}
	return r.bad ? -1 : enc;
}

static int add_fde(struct eh_frame *f, uint64_t lo, uint64_t len)
{
	if (!len || lo + len < lo)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 1024;
		struct eh_fde *p;

		if (cap > EH_FRAME_FDES_MAX)
			return -E2BIG;
		p = realloc(f->fdes, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		f->fdes = p;
		f->cap = cap;
	}
	f->fdes[f->n++] = (struct eh_fde){ lo, lo + len };
	return 0;
}

/* every FDE of one .eh_frame section b (at vaddr base) into f */
static int parse_eh_frame(struct eh_frame *f, const uint8_t *b, size_t len, uint64_t base)
{
	size_t off = 0, cie_off = (size_t)-1;
	int enc = -1, rc;

	while (len - off >= 8) {
		struct rd r = { b + off, b + len, base + off, false };
		uint64_t n = rd_n(&r, 4), id_at, id;

		if (!n)
			break;
		if (n == 0xffffffffu)
			n = rd_n(&r, 8);
		id_at = (uint64_t)(r.p - b);
		if (n < 4 || n > len - id_at)
			return -EINVAL;
		r.end = r.p + n;
		off = (size_t)(id_at + n);
		id = rd_n(&r, 4);
		if (!id || id > id_at)
			continue; /* a CIE, or an FDE whose CIE is outside */
		if (id_at - id != cie_off) {
			struct rd c = { b + id_at - id, b + len, base + id_at - id, false };
			uint64_t cn = rd_n(&c, 4);

			cie_off = (size_t)(id_at - id);
			enc = -1;
			if (cn >= 4 && cn != 0xffffffffu && cn <= len - cie_off - 4) {
				c.end = c.p + cn;
				if (!rd_n(&c, 4) && !c.bad)
					enc = cie_encoding(c);
			}
		}
		if (enc < 0)
			continue;
		uint64_t lo = rd_enc(&r, (uint8_t)enc), sz = rd_enc(&r, (uint8_t)enc & 0x0f);

		if (!r.bad && (rc = add_fde(f, lo, sz)))
			return rc;
	}
	return 0;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct eh_fde *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int eh_frame_load(struct eh_frame *f, Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t shstr;
	int rc;

	if (elf_getshdrstrndx(e, &shstr))
		return -ENOEXEC;
	while ((scn = elf_nextscn(e, scn))) {
		const uint8_t *b;
		const char *name;
		GElf_Shdr sh;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstr, sh.sh_name)) ||
		    strcmp(name, ".eh_frame"))
			continue;
		if (sh.sh_size > EH_FRAME_SECTION_MAX)
			return -E2BIG; /* read whole (CIEs are found by offset) */
		if (!(b = scn_bytes(scn, &sh, &len)))
			continue;
		if ((rc = parse_eh_frame(f, b, len, sh.sh_addr)))
			return rc;
	}
	if (f->n)
		qsort(f->fdes, f->n, sizeof(*f->fdes), fde_cmp);
	return 0;
}

const struct eh_fde *eh_frame_at(const struct eh_frame *f, uint64_t a)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->fdes[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && a < f->fdes[lo - 1].hi ? &f->fdes[lo - 1] : NULL;
}

void eh_frame_free(struct eh_frame *f)
{
	free(f->fdes);
	f->fdes = NULL;
	f->n = f->cap = 0;
}
