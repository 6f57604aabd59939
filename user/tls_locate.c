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
#include <pthread.h>
#include <stdatomic.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "eh_frame.h"
#include "tls_locate.h"

#define NAME_MAX_LEN  256             /* longest file name string accepted */
#define ADDRS_MAX     8               /* copies of the string */
#define FP_MAX        5

/* a function's fingerprint: its sites' reason codes in line order */
static const struct {
	unsigned n;
	unsigned reason[FP_MAX];
	const char *name;
} fps[TLS_LOC_N] = {
	[TLS_LOC_WRITE] = { 2, { 194, 111 }, "tls_write_app_data" },
	[TLS_LOC_READ] = { 3, { 182, 225, 300 }, "tls_open_app_data" },
	/* aws-lc's CIPHER_R_TOO_LARGE, _BUFFER_TOO_SMALL, _OUTPUT_ALIASES_INPUT */
	[TLS_LOC_SEAL] = { 3, { 117, 103, 115 }, "EVP_AEAD_CTX_seal" },
	/* _OUTPUT_ALIASES_INPUT, _BAD_DECRYPT, _BUFFER_TOO_SMALL, then those of
	 * EVP_AEAD_CTX_open_gather inlined: _OUTPUT_ALIASES_INPUT, _CTRL_NOT_IMPLEMENTED */
	[TLS_LOC_OPEN] = { 5, { 115, 101, 103, 115, 104 }, "EVP_AEAD_CTX_open" },
	/* OpenSSL 3: named by its own __func__ string, no fingerprint */
	[TLS_LOC_OSSL_WRITE] = { 0, { 0 }, "ssl_write_internal" },
};

/*
 * what is searched for in one library: the source file whose error sites
 * carry the fingerprints, its ERR_LIB_ code, the functions (the first is the
 * one hooked); or (func_name) the function's own name, which OpenSSL 3's
 * ERR_raise passes to ERR_set_debug (lea rdx, [its __func__])
 */
static const struct profile {
	const char *suffix;
	unsigned err_lib;
	enum tls_loc_fn fn[2];
	const char *what;
	bool func_name;
} profiles[] = {
	[TLS_LOC_BORINGSSL] = { "/ssl/s3_pkt.cc", 16, { TLS_LOC_WRITE, TLS_LOC_READ }, "BoringSSL",
				false },
	[TLS_LOC_AWSLC] = { "/crypto/fipsmodule/cipher/aead.c", 30, { TLS_LOC_SEAL, TLS_LOC_OPEN },
			    "aws-lc", false },
	[TLS_LOC_OPENSSL3] = { "ssl_write_internal", 20, { TLS_LOC_OSSL_WRITE, TLS_LOC_OSSL_WRITE },
			       "OpenSSL 3", true },
};

struct site {
	uint64_t addr;                /* of the reference */
	uint64_t fn_lo, fn_hi;        /* the enclosing function, fn_hi 0: unknown */
	bool by_fde;                  /* bounds from an FDE: final */
	uint32_t reason, line;
};

/* the file read: by pread on fd, or an image in memory (mem non-NULL) */
struct src {
	int fd;
	const uint8_t *mem;
	size_t len;
};

#define WIN            (1u << 20)   /* section bytes read at once */
#define OVL            512u         /* context read on either side (> NAME_MAX_LEN) */
#define SCAN_BUDGET_NS (10ull * 1000000000ull) /* one file's CPU time, at most */
#define SCAN_WALL_NS   (60ull * 1000000000ull) /* and its wall time (am_budget) */

/* one ELF being searched */
struct loc {
	Elf *e;
	struct src src;
	uint8_t *buf;                 /* WIN + 2 * OVL bytes: one window */
	struct am_budget budget;      /* SCAN_BUDGET_NS */
	const atomic_bool *cancel;    /* set: stop at the next window (NULL: none) */
	uint64_t scn_lo, scn_hi;      /* the section being scanned, vaddr */
	uint64_t ptr_lo, ptr_hi;      /* code pointers looked for, near the sites */
	struct tls_locate *t;
	const struct profile *pf;
	uint64_t addrs[ADDRS_MAX];    /* virtual addresses of the file name */
	unsigned n_addrs;
	struct eh_frame fdes;
	int fdes_rc;                  /* eh_frame_load's error, kept */
	struct site *sites;
	size_t n_sites;
};

/* a window of a section: b[0, len) holds the bytes at vaddr addr; the
 * scanner owns the positions [lo, hi), the rest is context */
struct win {
	const uint8_t *b;
	size_t len, lo, hi;
	uint64_t addr;
};

typedef void (*win_fn)(struct loc *L, const struct win *w);

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


/* n bytes at file offset off into buf; 0, -EIO when the file has fewer */
static int src_read(const struct src *f, uint64_t off, uint8_t *buf, size_t n)
{
	if (f->mem) {
		if (off > f->len || n > f->len - off)
			return -EIO;
		memcpy(buf, f->mem + off, n);
		return 0;
	}
	while (n) {
		ssize_t r = off > INT64_MAX - n ? -1 : pread(f->fd, buf, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		buf += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * fn over the bytes of section sh, read in windows of WIN bytes with OVL
 * bytes of context on either side; 0, -EIO (the file is shorter than its
 * headers say), -ETIME (over the scan budget)
 */
static int scan_scn(struct loc *L, const GElf_Shdr *sh, win_fn fn)
{
	uint64_t size = sh->sh_size;

	if (sh->sh_type == SHT_NOBITS)
		return 0;
	L->scn_lo = sh->sh_addr;
	L->scn_hi = sh->sh_addr + size;
	for (uint64_t at = 0; at < size; at += WIN) {
		uint64_t from = at > OVL ? at - OVL : 0;
		uint64_t to = size - at > WIN + OVL ? at + WIN + OVL : size;
		struct win w = { L->buf, (size_t)(to - from), (size_t)(at - from),
				 (size_t)((size - at > WIN ? at + WIN : size) - from), sh->sh_addr + from };
		int rc;

		if (am_budget_over(&L->budget) || (L->cancel && atomic_load(L->cancel)))
			return -ETIME;
		if ((rc = src_read(&L->src, sh->sh_offset + from, L->buf, w.len)))
			return rc;
		fn(L, &w);
	}
	return 0;
}

/* fn over every allocated section with all flags in want and none in deny */
static int scan_scns(struct loc *L, uint64_t want, uint64_t deny, win_fn fn)
{
	Elf_Scn *scn = NULL;
	int rc = 0;

	while (!rc && (scn = elf_nextscn(L->e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & (want | SHF_ALLOC)) == (want | SHF_ALLOC) &&
		    !(sh.sh_flags & deny))
			rc = scan_scn(L, &sh, fn);
	}
	return rc;
}

/* ---- the file name string ---- */

/* every NUL-terminated string ending in the profile's suffix in one window
 * of the read-only data */
static void names_in(struct loc *L, const struct win *w)
{
	const char *suffix = L->pf->suffix;
	const size_t sl = strlen(suffix) + 1; /* with its NUL */
	const uint8_t *b = w->b;

	for (size_t i = w->lo; i < w->hi && L->n_addrs < ADDRS_MAX; i++) {
		const uint8_t *p = memmem(b + i, w->len - i, suffix, sl), *s;

		if (!p || (size_t)(p - b) >= w->hi)
			break;
		i = (size_t)(p - b);
		for (s = p; s > b && s[-1] && p - s < NAME_MAX_LEN; s--)
			;
		/* s reaches b only in a section's first window (OVL > NAME_MAX_LEN) */
		if ((s == b || !s[-1]) && (!L->pf->func_name || s == p))
			L->addrs[L->n_addrs++] = w->addr + (uint64_t)(s - b);
	}
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
			unsigned file_reg, unsigned err_lib, struct site *s)
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
	if (!have[R_EDI] || v[R_EDI] != err_lib)
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

/* every load of the string into edx or ecx in one window of code, as a site */
static void sites_in(struct loc *L, const struct win *w)
{
	const uint8_t *b = w->b;

	for (size_t i = w->lo; i < w->hi; i++) {
		struct load ld;
		struct site s = { .addr = w->addr + i };

		if (b[i] != 0xb9 && b[i] != 0xba && b[i] != 0x48)
			continue; /* mov ecx/edx, imm32; lea (REX.W) */
		if (!load_at(b + i, w->len - i, w->addr + i, &ld) ||
		    (ld.reg != R_ECX && ld.reg != R_EDX) || !is_name(L, ld.val))
			continue;
		if (L->pf->func_name && ld.reg != R_EDX)
			continue; /* ERR_set_debug(file, line, func) */
		L->t->refs++;
		if (L->n_sites < TLS_LOC_SITES_MAX &&
		    (L->pf->func_name ||
		     decode_site(b, w->len, i, w->addr, ld.reg, L->pf->err_lib, &s)))
			L->sites[L->n_sites++] = s;
	}
}

/* ---- function bounds of the sites ---- */

/* from .eh_frame: the FDE holding each site; how many sites no FDE holds */
static size_t bounds_fde(struct loc *L)
{
	size_t n = 0;

	for (size_t i = 0; i < L->n_sites; i++) {
		struct site *s = &L->sites[i];
		const struct eh_fde *f = eh_frame_at(&L->fdes, s->addr);

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

/* the direct calls (call rel32) into the section of one window of code */
static void calls_in(struct loc *L, const struct win *w)
{
	const uint8_t *b = w->b;

	for (size_t i = w->lo; i < w->hi && i + 5 <= w->len; i++) {
		uint64_t a;

		if (b[i] != 0xe8)
			continue;
		a = w->addr + i + 5 + (uint64_t)(int64_t)(int32_t)le32(b + i + 1);
		if (!(a & 15) && a >= L->scn_lo && a < L->scn_hi)
			call_target(L, a);
	}
}

/* the code pointers near the sites (method tables) in one window of data */
static void pointers_in(struct loc *L, const struct win *w)
{
	const uint8_t *b = w->b;

	if (L->scn_lo & 7)
		return;
	for (size_t i = w->lo; i < w->hi && i + 8 <= w->len; i += 8) {
		uint64_t a = 0;

		for (int k = 7; k >= 0; k--)
			a = a << 8 | b[i + k];
		if (!(a & 15) && a >= L->ptr_lo && a < L->ptr_hi && in_text(L, a))
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
 * check of the write side then fails, closed.  0 or a read error
 */
static int bounds_calls(struct loc *L)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < L->n_sites; i++) {
		lo = L->sites[i].addr < lo ? L->sites[i].addr : lo;
		hi = L->sites[i].addr > hi ? L->sites[i].addr : hi;
	}
	L->ptr_lo = lo > (1u << 20) ? lo - (1u << 20) : 0; /* only pointers near the sites */
	L->ptr_hi = hi + (1u << 20);
	rc = scan_scns(L, SHF_EXECINSTR, 0, calls_in);
	if (!rc)
		rc = scan_scns(L, 0, SHF_EXECINSTR, pointers_in);
	for (size_t i = 0; i < L->n_sites; i++)
		if (L->sites[i].fn_lo && L->sites[i].fn_hi)
			L->sites[n++] = L->sites[i];
	L->n_sites = n;
	return rc;
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

/* the vaddr's file offset, a byte the file has (headers can lie) */
static bool fn_off(struct loc *L, uint64_t va, uint64_t *off)
{
	uint8_t b;

	if (file_off(L->e, va, off) && !src_read(&L->src, *off, &b, 1))
		return true;
	*off = 0;
	return false;
}

/* the write side's self-check: mov byte [rsi], 0 in its first 32 bytes */
static bool write_shape(struct loc *L, uint64_t off)
{
	uint8_t b[34];

	if (src_read(&L->src, off, b, sizeof(b)))
		return false;
	for (size_t i = 0; i + 3 <= sizeof(b); i++)
		if (b[i] == 0xc6 && b[i + 1] == 0x06 && b[i + 2] == 0x00)
			return true;
	return false;
}

/* the profile's function is the one function (all) its name's references are in */
static int match_func(struct loc *L)
{
	struct tls_locate *t = L->t;
	enum tls_loc_fn w = L->pf->fn[0];
	unsigned fns = 0;

	for (size_t i = 0; i < L->n_sites; i++)
		fns += !i || L->sites[i].fn_lo != L->sites[i - 1].fn_lo;
	if (fns != 1)
		return fail(t, -ESRCH, "not located: references to %s in %u functions", fps[w].name,
			    fns);
	if (!fn_off(L, L->sites[0].fn_lo, &t->off[w]))
		return fail(t, -ESRCH, "not located: %s outside the loaded segments", fps[w].name);
	t->vaddr[w] = L->sites[0].fn_lo;
	return 0;
}

/* match every function group against the profile's fingerprints; fill t;
 * 0 or -ESRCH with the reason */
static int match(struct loc *L)
{
	struct tls_locate *t = L->t;
	const enum tls_loc_fn *fn = L->pf->fn, w = fn[0];
	unsigned hits[2] = { 0 };
	uint64_t at[2] = { 0 };

	qsort(L->sites, L->n_sites, sizeof(*L->sites), site_cmp);
	if (L->pf->func_name)
		return match_func(L);
	for (size_t i = 0, j; i < L->n_sites; i = j) {
		for (j = i + 1; j < L->n_sites && L->sites[j].fn_lo == L->sites[i].fn_lo; j++)
			;
		for (int f = 0; f < 2; f++)
			if (group_is(&L->sites[i], j - i, fn[f])) {
				hits[f]++;
				at[f] = L->sites[i].fn_lo;
			}
	}
	for (int f = 0; f < 2; f++)
		if (hits[f] == 1 && fn_off(L, at[f], &t->off[fn[f]]))
			t->vaddr[fn[f]] = at[f];
	if (hits[0] != 1)
		return fail(t, -ESRCH, "not located: %u functions carry the %s fingerprint (%u references, %u error sites)",
			    hits[0], fps[w].name, t->refs, t->sites);
	if (!t->vaddr[w])
		return fail(t, -ESRCH, "not located: %s at 0x%llx is outside the loaded segments",
			    fps[w].name, (unsigned long long)at[0]);
	if (w == TLS_LOC_WRITE && !write_shape(L, t->off[w])) {
		t->vaddr[w] = t->off[w] = 0;
		return fail(t, -ESRCH, "not located: the %s candidate at 0x%llx does not clear its bool * argument first (argument layout unproven)",
			    fps[w].name, (unsigned long long)at[0]);
	}
	return 0;
}

/* a read of the file failed or ran over the budget: the reason */
static int read_fail(struct tls_locate *t, int rc)
{
	return fail(t, rc, "not located: %s", rc == -ETIME ? "scan over its time budget" :
		    "the file is shorter than its section headers say");
}

/* the stages for one profile (L->pf); -ENOENT: its file name is absent */
static int locate_lib(struct loc *L)
{
	struct tls_locate *t = L->t;
	int rc = scan_scns(L, 0, SHF_EXECINSTR | SHF_WRITE, names_in);

	if (rc)
		return read_fail(t, rc);
	if (!L->n_addrs)
		return fail(t, -ENOENT, "no %s (no ...%s string)", L->pf->what, L->pf->suffix);
	t->lib = (enum tls_loc_lib)(L->pf - profiles);
	rc = L->fdes_rc ? L->fdes_rc : L->fdes.n ? 0 : eh_frame_load(&L->fdes, L->e);
	L->fdes_rc = rc; /* loaded once for every profile */
	if (rc)
		return fail(t, rc, "not located: .eh_frame unreadable (%s)", strerror(-rc));
	rc = scan_scns(L, SHF_EXECINSTR, 0, sites_in);
	if (!rc && bounds_fde(L))
		rc = bounds_calls(L);
	if (rc)
		return read_fail(t, rc);
	t->sites = (unsigned)L->n_sites;
	return match(L);
}

/*
 * every profile: BoringSSL's record layer or aws-lc's AEAD, and OpenSSL 3
 * (Copilot's runtime.node carries aws-lc and OpenSSL 3, whose HTTP goes
 * through the latter); 0 when one was located (t->lib: the first), else the
 * first failure other than -ENOENT, else -ENOENT
 */
static int locate(struct tls_locate *t, Elf *e, struct src f, const atomic_bool *cancel)
{
	struct loc L = { .e = e, .src = f, .t = t, .cancel = cancel };
	int rc, out = -ENOENT, lib0 = -1;
	char why[sizeof(t->why)] = "";
	GElf_Ehdr eh;

	am_budget_start(&L.budget, SCAN_BUDGET_NS, SCAN_WALL_NS);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return fail(t, -ENOEXEC, "not an ELF file");
	if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return fail(t, -ENOTSUP, "not an x86-64 ELF file (machine %u)", eh.e_machine);
	L.buf = malloc(WIN + 2 * OVL);
	L.sites = calloc(TLS_LOC_SITES_MAX, sizeof(*L.sites));
	if (!L.buf || !L.sites)
		out = fail(t, -ENOMEM, "out of memory");
	for (unsigned lib = 0; out != -ENOMEM && lib < sizeof(profiles) / sizeof(profiles[0]);
	     lib++) {
		L.pf = &profiles[lib];
		L.n_addrs = 0;
		L.n_sites = 0;
		rc = locate_lib(&L);
		if (!rc && lib0 < 0)
			lib0 = (int)lib;
		if (rc && rc != -ENOENT && out == -ENOENT) {
			out = rc; /* the first failure is the one told */
			snprintf(why, sizeof(why), "%s", t->why);
		}
		if (rc == -ETIME || rc == -EIO)
			break;
	}
	if (lib0 >= 0) {
		t->lib = (enum tls_loc_lib)lib0;
		out = 0;
	} else if (out == -ENOENT) {
		out = fail(t, -ENOENT, "no BoringSSL, aws-lc or stripped OpenSSL 3 (no ...%s, ...%s or %s string)",
			   profiles[TLS_LOC_BORINGSSL].suffix, profiles[TLS_LOC_AWSLC].suffix,
			   profiles[TLS_LOC_OPENSSL3].suffix);
	} else if (out != -ENOMEM) {
		snprintf(t->why, sizeof(t->why), "%s", why);
	}
	free(L.buf);
	free(L.sites);
	eh_frame_free(&L.fdes);
	return out;
}

/* libelf's version is process-wide: set once, whichever thread comes first
 * (the scanner thread and the loop both read files) */
static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf_init(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

bool tls_locate_elf_ready(void)
{
	pthread_once(&elf_once, elf_init);
	return elf_ok;
}

int tls_locate_mem(struct tls_locate *t, const void *image, size_t len)
{
	Elf *e;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!tls_locate_elf_ready())
		return fail(t, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
	e = elf_memory((char *)image, len);
	rc = locate(t, e, (struct src){ -1, image, len }, NULL);
	if (e)
		elf_end(e);
	return rc;
}

int tls_locate_fd(struct tls_locate *t, int fd)
{
	return tls_locate_fd_until(t, fd, NULL);
}

int tls_locate_fd_until(struct tls_locate *t, int fd, const atomic_bool *cancel)
{
	Elf *e;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!tls_locate_elf_ready())
		return fail(t, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
	e = elf_begin(fd, ELF_C_READ, NULL); /* pread, never mmap: see tls_locate.h */
	rc = locate(t, e, (struct src){ fd, NULL, 0 }, cancel);
	if (e)
		elf_end(e);
	return rc;
}
