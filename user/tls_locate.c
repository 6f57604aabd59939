// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_locate.c - BoringSSL's tls_write_app_data / tls_open_app_data in a
 * stripped binary, from its OPENSSL_PUT_ERROR sites (see tls_locate.h).
 * Stages: the file name string (read-only sections), the FDE table
 * (.eh_frame), the references to the string in executable sections decoded
 * as error sites, the sites grouped per function and matched against the
 * fingerprints.  Errors are returned with a reason in t->why; nothing prints.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_locate.h"

#define FILE_SUFFIX   "/ssl/s3_pkt.cc"
#define NAME_MAX_LEN  256             /* longest file name string accepted */
#define ADDRS_MAX     8               /* copies of the string */
#define ERR_LIB_SSL   16
#define FP_MAX        4

/* a function's fingerprint: its sites' reason codes in line order */
static const struct {
	unsigned n;
	unsigned reason[FP_MAX];
	const char *name;
} fps[TLS_LOC_N] = {
	[TLS_LOC_WRITE] = { 2, { 194, 111 }, "tls_write_app_data" },
	[TLS_LOC_READ] = { 3, { 182, 225, 300 }, "tls_open_app_data" },
};

struct fde {
	uint64_t lo, hi;              /* [lo, hi) */
};

struct site {
	uint64_t addr;                /* of the reference */
	uint64_t fn_lo, fn_hi;        /* the enclosing function, fn_hi 0: unknown */
	bool by_fde;                  /* bounds from an FDE: final */
	uint32_t reason, line;
};

/* one ELF being searched */
struct loc {
	Elf *e;
	struct tls_locate *t;
	uint64_t addrs[ADDRS_MAX];    /* virtual addresses of the file name */
	unsigned n_addrs;
	struct fde *fdes;
	size_t n_fdes, cap_fdes;
	struct site *sites;
	size_t n_sites;
};

const char *tls_locate_name(enum tls_loc_fn fn)
{
	return fn < TLS_LOC_N ? fps[fn].name : "?";
}

static int fail(struct tls_locate *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tls_locate *t, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* a section's bytes, or NULL when it has none in the file */
static const uint8_t *scn_bytes(Elf_Scn *scn, const GElf_Shdr *sh, size_t *len)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS || !(d = elf_rawdata(scn, NULL)) || !d->d_buf)
		return NULL;
	*len = d->d_size < sh->sh_size ? d->d_size : sh->sh_size;
	return d->d_buf;
}

/* ---- the file name string ---- */

/* every NUL-terminated string ending in FILE_SUFFIX in the read-only data */
static void find_names(struct loc *L)
{
	const size_t sl = sizeof(FILE_SUFFIX); /* with its NUL */
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(L->e, scn)) && L->n_addrs < ADDRS_MAX) {
		const uint8_t *b, *p;
		GElf_Shdr sh;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    (sh.sh_flags & (SHF_EXECINSTR | SHF_WRITE)) || !(b = scn_bytes(scn, &sh, &len)))
			continue;
		for (p = b; len >= sl && (p = memmem(p, len - (size_t)(p - b), FILE_SUFFIX, sl));
		     p++) {
			const uint8_t *s = p;

			while (s > b && s[-1] && p - s < NAME_MAX_LEN)
				s--;
			if ((s == b || !s[-1]) && L->n_addrs < ADDRS_MAX)
				L->addrs[L->n_addrs++] = sh.sh_addr + (uint64_t)(s - b);
			if ((size_t)(p - b) + sl >= len)
				break;
		}
	}
}

/* ---- .eh_frame: function bounds ---- */

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

static int add_fde(struct loc *L, uint64_t lo, uint64_t len)
{
	if (!len || lo + len < lo)
		return 0;
	if (L->n_fdes == L->cap_fdes) {
		size_t cap = L->cap_fdes ? 2 * L->cap_fdes : 1024;
		struct fde *p;

		if (cap > TLS_LOC_FDES_MAX)
			return -E2BIG;
		p = realloc(L->fdes, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		L->fdes = p;
		L->cap_fdes = cap;
	}
	L->fdes[L->n_fdes++] = (struct fde){ lo, lo + len };
	return 0;
}

/* every FDE of one .eh_frame section b (at vaddr base) into L->fdes */
static int parse_eh_frame(struct loc *L, const uint8_t *b, size_t len, uint64_t base)
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

		if (!r.bad && (rc = add_fde(L, lo, sz)))
			return rc;
	}
	return 0;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* the FDEs of every .eh_frame section, sorted by start */
static int load_fdes(struct loc *L)
{
	Elf_Scn *scn = NULL;
	size_t shstr;
	int rc;

	if (elf_getshdrstrndx(L->e, &shstr))
		return -ENOEXEC;
	while ((scn = elf_nextscn(L->e, scn))) {
		const uint8_t *b;
		const char *name;
		GElf_Shdr sh;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(L->e, shstr, sh.sh_name)) ||
		    strcmp(name, ".eh_frame") || !(b = scn_bytes(scn, &sh, &len)))
			continue;
		if ((rc = parse_eh_frame(L, b, len, sh.sh_addr)))
			return rc;
	}
	if (L->n_fdes)
		qsort(L->fdes, L->n_fdes, sizeof(*L->fdes), fde_cmp);
	return 0;
}

/* the FDE holding address a (the innermost start at or below it), or NULL */
static const struct fde *fde_at(const struct loc *L, uint64_t a)
{
	size_t lo = 0, hi = L->n_fdes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (L->fdes[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && a < L->fdes[lo - 1].hi ? &L->fdes[lo - 1] : NULL;
}

/* ---- the error sites ---- */

/* one register load: reg (0-15) gets val; len bytes; rip: val is rip-relative */
struct load {
	unsigned reg, len;
	uint64_t val;
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * the register load at b[i] (n bytes left), at vaddr va: mov r32, imm32
 * (with REX.B), xor r32, r32 (a zero), lea r64, [rip+d32]; false otherwise
 */
static bool load_at(const uint8_t *b, size_t n, uint64_t va, struct load *ld)
{
	unsigned rex = 0, k = 0;

	if (n && (b[0] & 0xf0) == 0x40)
		rex = b[k++];
	if (n >= k + 5 && b[k] >= 0xb8 && b[k] <= 0xbf && !(rex & 8)) {
		*ld = (struct load){ (b[k] - 0xb8u) | (rex & 1) << 3, k + 5, le32(b + k + 1) };
		return true;
	}
	if (n >= k + 2 && b[k] == 0x31 && (b[k + 1] >> 6) == 3 &&
	    ((b[k + 1] >> 3) & 7) == (b[k + 1] & 7) && !!(rex & 4) == !!(rex & 1)) {
		*ld = (struct load){ (b[k + 1] & 7u) | (rex & 1) << 3, k + 2, 0 };
		return true;
	}
	if (n >= k + 6 && (rex & 8) && b[k] == 0x8d && (b[k + 1] & 0xc7) == 0x05) {
		int32_t d = (int32_t)le32(b + k + 2);

		*ld = (struct load){ ((b[k + 1] >> 3) & 7u) | (rex & 4) << 1, k + 6, 0 };
		ld->val = va + ld->len + (uint64_t)(int64_t)d;
		return true;
	}
	return false;
}

#define R_ECX 1
#define R_EDX 2
#define R_ESI 6
#define R_EDI 7
#define R_R8  8

/* a register's first value seen is kept (the run after the reference is read first) */
static void keep_load(const struct load *ld, uint64_t *v, bool *have)
{
	if (!have[ld->reg]) {
		v[ld->reg] = ld->val;
		have[ld->reg] = true;
	}
}

/*
 * the loads around the one at b[i] (the file name into edx or ecx), forward
 * and backward over a run of loads, as an OPENSSL_PUT_ERROR(SSL, reason)
 * site; both ERR_put_error layouts:
 *   (lib, reason, file, line)          edi 16, esi reason, edx file, ecx line
 *   (lib, unused, reason, file, line)  edi 16, esi 0, edx reason, ecx file, r8d line
 */
static bool decode_site(const uint8_t *b, size_t len, size_t i, uint64_t base,
			unsigned file_reg, struct site *s)
{
	uint64_t v[16];
	bool have[16] = { false };
	struct load ld;
	size_t p = i;

	for (int k = 0; k < 8 && p < len && load_at(b + p, len - p, base + p, &ld); k++) {
		keep_load(&ld, v, have);
		p += ld.len;
	}
	for (int k = 0, found = 1; k < 8 && found; k++) { /* backward: a load ending at i */
		found = 0;
		for (size_t l = 2; l <= 7 && l <= i && !found; l++)
			if (load_at(b + i - l, l, base + i - l, &ld) && ld.len == l) {
				keep_load(&ld, v, have);
				i -= l;
				found = 1;
			}
	}
	if (!have[R_EDI] || v[R_EDI] != ERR_LIB_SSL)
		return false;
	if (file_reg == R_EDX && have[R_ESI] && have[R_ECX]) {
		s->reason = (uint32_t)v[R_ESI];
		s->line = (uint32_t)v[R_ECX];
	} else if (file_reg == R_ECX && have[R_EDX] && have[R_R8] && (!have[R_ESI] || !v[R_ESI])) {
		s->reason = (uint32_t)v[R_EDX];
		s->line = (uint32_t)v[R_R8];
	} else {
		return false;
	}
	return s->reason && s->reason <= 0xffff && s->line && s->line <= 0xffffff;
}

/* is a one of the string's addresses */
static bool is_name(const struct loc *L, uint64_t a)
{
	for (unsigned k = 0; k < L->n_addrs; k++)
		if (L->addrs[k] == a)
			return true;
	return false;
}

/* every load of the string into edx or ecx in executable sections, as a site */
static void find_sites(struct loc *L)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(L->e, scn))) {
		const uint8_t *b;
		GElf_Shdr sh;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
		    !(b = scn_bytes(scn, &sh, &len)))
			continue;
		for (size_t i = 0; i < len; i++) {
			struct load ld;
			struct site s = { .addr = sh.sh_addr + i };

			if (b[i] != 0xb9 && b[i] != 0xba && b[i] != 0x48)
				continue; /* mov ecx/edx, imm32; lea (REX.W) */
			if (!load_at(b + i, len - i, sh.sh_addr + i, &ld) ||
			    (ld.reg != R_ECX && ld.reg != R_EDX) || !is_name(L, ld.val))
				continue;
			L->t->refs++;
			if (L->n_sites < TLS_LOC_SITES_MAX &&
			    decode_site(b, len, i, sh.sh_addr, ld.reg, &s))
				L->sites[L->n_sites++] = s;
		}
	}
}

/* ---- function bounds of the sites ---- */

/* from .eh_frame: the FDE holding each site; how many sites no FDE holds */
static size_t bounds_fde(struct loc *L)
{
	size_t n = 0;

	for (size_t i = 0; i < L->n_sites; i++) {
		struct site *s = &L->sites[i];
		const struct fde *f = fde_at(L, s->addr);

		if (!f) {
			n++;
			continue;
		}
		s->fn_lo = f->lo;
		s->fn_hi = f->hi;
		s->by_fde = true;
	}
	return n;
}

/* a call to a: narrow the bounds of the sites around it */
static void call_target(struct loc *L, uint64_t a)
{
	for (size_t k = 0; k < L->n_sites; k++) {
		struct site *s = &L->sites[k];

		if (s->by_fde)
			continue;
		if (a <= s->addr && a > s->fn_lo)
			s->fn_lo = a;
		else if (a > s->addr && (!s->fn_hi || a < s->fn_hi))
			s->fn_hi = a;
	}
}

/* is a inside an executable section */
static bool in_text(struct loc *L, uint64_t a)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(L->e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) &&
		    sh.sh_type != SHT_NOBITS && a >= sh.sh_addr && a - sh.sh_addr < sh.sh_size)
			return true;
	}
	return false;
}

/* the direct calls (call rel32) of one executable section */
static void calls_in(struct loc *L, const uint8_t *b, size_t len, uint64_t base)
{
	for (size_t i = 0; i + 5 <= len; i++) {
		uint64_t a;

		if (b[i] != 0xe8)
			continue;
		a = base + i + 5 + (uint64_t)(int64_t)(int32_t)(b[i + 1] | b[i + 2] << 8 |
							       b[i + 3] << 16 | (uint32_t)b[i + 4] << 24);
		if (!(a & 15) && a >= base && a - base < len)
			call_target(L, a);
	}
}

/* the code pointers (method tables) of one data section */
static void pointers_in(struct loc *L, const uint8_t *b, size_t len, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t a = 0;

		for (int k = 7; k >= 0; k--)
			a = a << 8 | b[i + k];
		if (!(a & 15) && a >= lo && a < hi && in_text(L, a))
			call_target(L, a);
	}
}

/*
 * the sites no FDE holds (opencode's Bun has no .eh_frame, Claude Code's
 * newer builds have one for a few functions only): a function starts on a 16-byte
 * boundary where a direct call lands or a pointer in data (a method table:
 * BoringSSL calls the record layer through one, in .rodata when the binary
 * is not PIE) points, and ends where
 * the next one starts; a site without a start on both sides goes.  A false
 * start between a function's entry and its sites shifts its entry: the shape
 * check of the write side then fails, closed.
 */
static void bounds_calls(struct loc *L)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	Elf_Scn *scn = NULL;
	size_t n = 0;

	for (size_t i = 0; i < L->n_sites; i++) {
		lo = L->sites[i].addr < lo ? L->sites[i].addr : lo;
		hi = L->sites[i].addr > hi ? L->sites[i].addr : hi;
	}
	lo = lo > (1u << 20) ? lo - (1u << 20) : 0; /* only pointers near the sites */
	hi = hi + (1u << 20);
	while ((scn = elf_nextscn(L->e, scn))) {
		const uint8_t *b;
		GElf_Shdr sh;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    !(b = scn_bytes(scn, &sh, &len)))
			continue;
		if (sh.sh_flags & SHF_EXECINSTR)
			calls_in(L, b, len, sh.sh_addr);
		else if (!(sh.sh_addr & 7))
			pointers_in(L, b, len, lo, hi);
	}
	for (size_t i = 0; i < L->n_sites; i++)
		if (L->sites[i].fn_lo && L->sites[i].fn_hi)
			L->sites[n++] = L->sites[i];
	L->n_sites = n;
}

/* ---- fingerprints ---- */

static int site_cmp(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->fn_lo != y->fn_lo)
		return x->fn_lo < y->fn_lo ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* does the group of n sites (sorted by line) carry fingerprint fn */
static bool group_is(const struct site *s, size_t n, int fn)
{
	size_t u = 0;

	for (size_t i = 0; i < n; i++) /* a site inlined twice counts once */
		if (!i || s[i].reason != s[i - 1].reason || s[i].line != s[i - 1].line) {
			if (u >= fps[fn].n || s[i].reason != fps[fn].reason[u])
				return false;
			u++;
		}
	return u == fps[fn].n;
}

/* the vaddr's file offset through the loadable segments; false when not in one */
static bool file_off(Elf *e, uint64_t va, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && va >= ph.p_vaddr &&
		    va - ph.p_vaddr < ph.p_filesz) {
			*off = va - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

/* the write side's self-check: mov byte [rsi], 0 in its first 32 bytes */
static bool write_shape(Elf *e, uint64_t off)
{
	size_t size;
	const uint8_t *img = (const uint8_t *)elf_rawfile(e, &size);

	if (!img || off >= size)
		return false;
	for (size_t i = (size_t)off; i + 3 <= size && i < off + 32; i++)
		if (img[i] == 0xc6 && img[i + 1] == 0x06 && img[i + 2] == 0x00)
			return true;
	return false;
}

/* match every function group; fill t; 0 or -ESRCH with the reason */
static int match(struct loc *L)
{
	struct tls_locate *t = L->t;
	unsigned hits[TLS_LOC_N] = { 0 };
	uint64_t at[TLS_LOC_N] = { 0 };

	qsort(L->sites, L->n_sites, sizeof(*L->sites), site_cmp);
	for (size_t i = 0, j; i < L->n_sites; i = j) {
		for (j = i + 1; j < L->n_sites && L->sites[j].fn_lo == L->sites[i].fn_lo; j++)
			;
		for (int f = 0; f < TLS_LOC_N; f++)
			if (group_is(&L->sites[i], j - i, f)) {
				hits[f]++;
				at[f] = L->sites[i].fn_lo;
			}
	}
	for (int f = 0; f < TLS_LOC_N; f++)
		if (hits[f] == 1 && file_off(L->e, at[f], &t->off[f]))
			t->vaddr[f] = at[f];
	if (hits[TLS_LOC_WRITE] != 1)
		return fail(t, -ESRCH, "not located: %u functions carry the %s fingerprint (%u references, %u error sites)",
			    hits[TLS_LOC_WRITE], fps[TLS_LOC_WRITE].name, t->refs, t->sites);
	if (!t->vaddr[TLS_LOC_WRITE])
		return fail(t, -ESRCH, "not located: %s at 0x%llx is outside the loaded segments",
			    fps[TLS_LOC_WRITE].name, (unsigned long long)at[TLS_LOC_WRITE]);
	if (!write_shape(L->e, t->off[TLS_LOC_WRITE])) {
		t->vaddr[TLS_LOC_WRITE] = t->off[TLS_LOC_WRITE] = 0;
		return fail(t, -ESRCH, "not located: the %s candidate at 0x%llx does not clear its bool * argument first (argument layout unproven)",
			    fps[TLS_LOC_WRITE].name, (unsigned long long)at[TLS_LOC_WRITE]);
	}
	return 0;
}

/* every stage on an open Elf */
static int locate(struct tls_locate *t, Elf *e)
{
	struct loc L = { .e = e, .t = t };
	GElf_Ehdr eh;
	int rc;

	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return fail(t, -ENOEXEC, "not an ELF file");
	if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return fail(t, -ENOTSUP, "not an x86-64 ELF file (machine %u)", eh.e_machine);
	find_names(&L);
	if (!L.n_addrs)
		return fail(t, -ENOENT, "no BoringSSL (no ..." FILE_SUFFIX " string)");
	rc = load_fdes(&L);
	if (rc)
		rc = fail(t, rc, "not located: .eh_frame unreadable (%s)", strerror(-rc));
	else if (!(L.sites = calloc(TLS_LOC_SITES_MAX, sizeof(*L.sites))))
		rc = fail(t, -ENOMEM, "out of memory");
	if (!rc) {
		find_sites(&L);
		if (bounds_fde(&L))
			bounds_calls(&L);
		t->sites = (unsigned)L.n_sites;
		rc = match(&L);
	}
	free(L.sites);
	free(L.fdes);
	return rc;
}

int tls_locate_mem(struct tls_locate *t, const void *image, size_t len)
{
	Elf *e;
	int rc;

	memset(t, 0, sizeof(*t));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(t, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
	e = elf_memory((char *)image, len);
	rc = locate(t, e);
	if (e)
		elf_end(e);
	return rc;
}

int tls_locate_fd(struct tls_locate *t, int fd)
{
	Elf *e;
	int rc;

	memset(t, 0, sizeof(*t));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(t, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	rc = locate(t, e);
	if (e)
		elf_end(e);
	return rc;
}
