// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_tls_locate.c - BoringSSL's record-layer functions located in small
 * ELF images built here byte by byte: both ERR_put_error layouts, absolute
 * and RIP-relative references, bounds from .eh_frame or from call targets;
 * ambiguous, unproven and hostile images are refused with a reason.  aws-lc's
 * EVP_AEAD_CTX_seal / _open (Codex) from its aead.c CIPHER error sites.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <elf.h>

#include "tls_locate.h"

/* the image: one PT_LOAD at BASE maps the whole file (vaddr = BASE + offset) */
#define BASE     0x400000u
#define RODATA   0x100u
#define EHFRAME  0x200u
#define TEXT     0x400u
#define TEXT_LEN 0x400u
#define SHSTR    0x800u
#define SHDRS    0x900u
#define IMG_LEN  (SHDRS + 5 * sizeof(Elf64_Shdr))
#define NAME_AT  (BASE + RODATA + 2) /* "x\0" comes first */
#define FN_W     (TEXT + 0x000)      /* tls_write_app_data */
#define FN_R     (TEXT + 0x080)      /* tls_open_app_data */
#define FN_D     (TEXT + 0x100)      /* a decoy with one (194, 338) site */
#define FN_C     (TEXT + 0x300)      /* calls the others (no .eh_frame case) */

enum layout { OLD, NEW, OLD_PIE, NEW_PIE, NEW_REORDERED };

#define BSSL_NAME  "../../vendor/boringssl/ssl/s3_pkt.cc"
#define AWSLC_NAME "/aws-lc/crypto/fipsmodule/cipher/aead.c"
#define OSSL3_NAME "ssl_write_internal"

static unsigned err_lib = 16;          /* ERR_LIB_SSL; 30: ERR_LIB_CIPHER */
static const char *file_name = BSSL_NAME;

struct img {
	uint8_t b[IMG_LEN];
	size_t at;                    /* write position in text */
	size_t eh;                    /* .eh_frame bytes */
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void emit(struct img *m, const void *bytes, size_t n)
{
	memcpy(m->b + m->at, bytes, n);
	m->at += n;
}

static void mov(struct img *m, uint8_t op, uint32_t imm)
{
	uint8_t b[5] = { op };

	put32(b + 1, imm);
	emit(m, b, 5);
}

/* the file name reference: mov r32, imm32 or lea r64, [rip+d] */
static void ref(struct img *m, uint8_t reg, bool pie)
{
	if (pie) {
		uint8_t b[7] = { 0x48, 0x8d, (uint8_t)(0x05 | reg << 3) };

		put32(b + 3, (uint32_t)(NAME_AT - (BASE + m->at + 7)));
		emit(m, b, 7);
	} else {
		mov(m, (uint8_t)(0xb8 + reg), NAME_AT);
	}
}

/* one OPENSSL_PUT_ERROR(SSL, reason) at line */
static void site(struct img *m, enum layout l, uint32_t reason, uint32_t line)
{
	static const uint8_t xor_esi[] = { 0x31, 0xf6 }, r8[] = { 0x41, 0xb8 };

	if (l == OLD || l == OLD_PIE) {
		ref(m, 2, l == OLD_PIE);
		mov(m, 0xbf, err_lib);
		mov(m, 0xbe, reason);
		mov(m, 0xb9, line);
	} else {
		if (l == NEW_REORDERED) { /* the loads before the reference */
			mov(m, 0xbf, err_lib);
			emit(m, xor_esi, 2);
		}
		ref(m, 1, l == NEW_PIE);
		if (l != NEW_REORDERED) {
			mov(m, 0xbf, err_lib);
			emit(m, xor_esi, 2);
		}
		mov(m, 0xba, reason);
		emit(m, r8, 2);
		put32(m->b + m->at, line);
		m->at += 4;
	}
	/* call ERR_put_error: an odd address, which no function start is */
	emit(m, "\xe8", 1);
	put32(m->b + m->at, (uint32_t)(FN_C + 0x41 - (m->at + 4)));
	m->at += 4;
}

static void fn_write(struct img *m, enum layout l, size_t at, bool shape)
{
	m->at = at;
	emit(m, shape ? "\x48\x83\xec\x18\xc6\x06\x00" : "\x48\x83\xec\x18\x90\x90\x90", 7);
	site(m, l, 194, 46);
	site(m, l, 111, 58);
	emit(m, "\xc3", 1);
}

static void fn_read(struct img *m, enum layout l, size_t at)
{
	m->at = at;
	emit(m, "\x55", 1);
	site(m, l, 225, 269); /* in address order not line order */
	site(m, l, 182, 256);
	site(m, l, 300, 276);
	emit(m, "\xc3", 1);
}

/* CIE (zR, pcrel sdata4) then one FDE per function start in fns, len long */
static void eh_frame_len(struct img *m, const size_t *fns, int n, uint32_t len)
{
	static const uint8_t cie[] = { 16, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1,
				       0x1b, 0, 0, 0 };
	uint8_t *e = m->b + EHFRAME;

	memcpy(e, cie, sizeof(cie));
	m->eh = sizeof(cie);
	for (int i = 0; i < n; i++) {
		uint8_t *f = e + m->eh;

		memset(f, 0, 20);
		put32(f, 16);
		put32(f + 4, (uint32_t)(m->eh + 4)); /* back to the CIE at 0 */
		put32(f + 8, (uint32_t)(fns[i] - (EHFRAME + m->eh + 8)));
		put32(f + 12, len);
		m->eh += 20;
	}
	m->eh += 4; /* the zero terminator */
}

static void eh_frame(struct img *m, const size_t *fns, int n)
{
	eh_frame_len(m, fns, n, 0x80);
}

static void shdr(struct img *m, int i, uint32_t name, uint32_t type, uint64_t flags,
		 uint64_t off, uint64_t size)
{
	Elf64_Shdr *s = (Elf64_Shdr *)(m->b + SHDRS) + i;

	*s = (Elf64_Shdr){ .sh_name = name, .sh_type = type, .sh_flags = flags,
			   .sh_addr = type == SHT_STRTAB ? 0 : BASE + off, .sh_offset = off,
			   .sh_size = size, .sh_addralign = 1 };
}

/* headers around text (and .eh_frame when m->eh) */
static void finish(struct img *m, bool with_name)
{
	static const char names[] = "\0.rodata\0.eh_frame\0.text\0.shstrtab";
	Elf64_Ehdr *eh = (Elf64_Ehdr *)m->b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(m->b + sizeof(*eh));

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = SHDRS;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = BASE,
			    .p_paddr = BASE, .p_filesz = IMG_LEN, .p_memsz = IMG_LEN,
			    .p_align = 0x1000 };
	memset(m->b + RODATA, 0, 0x100);
	memcpy(m->b + RODATA, "x", 2);
	memcpy(m->b + RODATA + 2, with_name ? file_name : "../../vendor/boringssl/ssl/s3_srv.cc",
	       strlen(with_name ? file_name : "../../vendor/boringssl/ssl/s3_srv.cc"));
	memcpy(m->b + SHSTR, names, sizeof(names));
	shdr(m, 1, 1, SHT_PROGBITS, SHF_ALLOC, RODATA, 0x100);
	if (m->eh)
		shdr(m, 2, 9, SHT_PROGBITS, SHF_ALLOC, EHFRAME, m->eh);
	else
		shdr(m, 2, 9, SHT_NULL, 0, 0, 0);
	shdr(m, 3, 19, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT, TEXT_LEN);
	shdr(m, 4, 25, SHT_STRTAB, 0, SHSTR, sizeof(names));
}

/* the usual image: write, read and decoy functions with FDEs */
static struct img *build(enum layout l)
{
	static const size_t fns[] = { FN_W, FN_R, FN_D };
	struct img *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	fn_write(m, l, FN_W, true);
	fn_read(m, l, FN_R);
	m->at = FN_D;
	site(m, l, 194, 338);
	eh_frame(m, fns, 3);
	finish(m, true);
	return m;
}

static void assert_located(const struct img *m)
{
	struct tls_locate t;

	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), 0);
	assert_int_equal(t.vaddr[TLS_LOC_WRITE], BASE + FN_W);
	assert_int_equal(t.off[TLS_LOC_WRITE], FN_W);
	assert_int_equal(t.vaddr[TLS_LOC_READ], BASE + FN_R);
	assert_int_equal(t.off[TLS_LOC_READ], FN_R);
	assert_int_equal(t.refs, 6);
	assert_int_equal(t.sites, 6);
}

static void test_layouts(void **state)
{
	static const enum layout ls[] = { OLD, NEW, OLD_PIE, NEW_PIE, NEW_REORDERED };

	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++) {
		struct img *m = build(ls[i]);

		assert_located(m);
		free(m);
	}
	assert_string_equal(tls_locate_name(TLS_LOC_WRITE), "tls_write_app_data");
}

/* no .eh_frame (opencode): bounds from the call targets */
static void test_call_bounds(void **state)
{
	struct img *m = build(NEW);
	uint8_t *c = m->b + FN_C;
	const size_t to[] = { FN_W, FN_R, FN_D, FN_C + 0x40 };

	memset(m->b + SHDRS, 0, sizeof(Elf64_Shdr) * 5);
	m->eh = 0;
	for (int i = 0; i < 4; i++) { /* call each, and one past the decoy's end */
		c[5 * i] = 0xe8;
		put32(c + 5 * i + 1, (uint32_t)(to[i] - (FN_C + 5 * i + 5)));
	}
	finish(m, true);
	assert_located(m);
	free(m);
}

static void test_ambiguous(void **state)
{
	struct img *m = build(OLD);
	static const size_t fns[] = { FN_W, FN_R, FN_D, TEXT + 0x200 };
	struct tls_locate t;

	fn_write(m, OLD, TEXT + 0x200, true);
	eh_frame(m, fns, 4);
	finish(m, true);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.vaddr[TLS_LOC_WRITE], 0);
	assert_non_null(strstr(t.why, "2 functions"));
	free(m);
}

/* the candidate does not clear its bool * first: argument layout unproven */
static void test_shape(void **state)
{
	struct img *m = build(NEW);
	struct tls_locate t;

	fn_write(m, NEW, FN_W, false);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.vaddr[TLS_LOC_WRITE], 0);
	assert_non_null(strstr(t.why, "argument layout"));
	free(m);
}

/* a site whose library is not 16, or whose line is missing, is no site */
static void test_not_sites(void **state)
{
	struct img *m = build(OLD);
	struct tls_locate t;

	m->b[FN_W + 7 + 6] = 17; /* mov edi, 17 in the first site */
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.refs, 6);
	assert_int_equal(t.sites, 5);
	free(m);
}

static void test_not_boringssl(void **state)
{
	struct img *m = build(OLD);
	struct tls_locate t;

	finish(m, false);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ENOENT);
	assert_non_null(strstr(t.why, "no BoringSSL"));
	((Elf64_Ehdr *)m->b)->e_machine = EM_AARCH64;
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ENOTSUP);
	assert_int_equal(tls_locate_mem(&t, "not an elf", 10), -ENOEXEC);
	assert_int_equal(tls_locate_mem(&t, m->b, 0), -ENOEXEC);
	free(m);
}

/* every prefix of the image, and lying .eh_frame lengths: an error, no crash */
static void test_hostile(void **state)
{
	struct img *m = build(OLD);
	struct tls_locate t;
	uint8_t *copy = malloc(sizeof(m->b));

	assert_non_null(copy);
	for (size_t n = 0; n < sizeof(m->b); n += 7) {
		memcpy(copy, m->b, n);
		assert_true(tls_locate_mem(&t, copy, n) < 0);
	}
	for (uint32_t v = 0xfffffff0u; v != 0; v++) { /* CIE and FDE lengths */
		memcpy(copy, m->b, sizeof(m->b));
		put32(copy + EHFRAME + 20 * (v & 1), v);
		assert_true(tls_locate_mem(&t, copy, sizeof(m->b)) <= 0);
	}
	free(copy);
	free(m);
}

/* the same through an fd, read by pread */
static void test_fd(void **state)
{
	struct img *m = build(NEW_PIE);
	char path[] = "/tmp/test_tls_locate.XXXXXX";
	struct tls_locate t;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, m->b, sizeof(m->b)), (ssize_t)sizeof(m->b));
	assert_int_equal(tls_locate_fd(&t, fd), 0);
	assert_int_equal(t.off[TLS_LOC_WRITE], FN_W);
	/* a section larger than the file (truncated while read): an error
	 * naming it, by pread and in memory */
	((Elf64_Shdr *)(m->b + SHDRS))[3].sh_size = 0x100000; /* .text */
	assert_int_equal(pwrite(fd, m->b, sizeof(m->b), 0), (ssize_t)sizeof(m->b));
	assert_int_equal(tls_locate_fd(&t, fd), -EIO);
	assert_non_null(strstr(t.why, "shorter"));
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -EIO);
	close(fd);
	assert_true(tls_locate_fd(&t, -1) < 0);
	free(m);
}

/* ---- aws-lc ---- */

/* EVP_AEAD_CTX_seal at FN_W, _open (with _open_gather inlined) at FN_R,
 * _seal_scatter at FN_D + 0x100, as in Codex 0.171.0 (static-pie: lea rcx) */
static struct img *build_awslc(void)
{
	static const size_t fns[] = { FN_W, FN_R, FN_D + 0x100 };
	struct img *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	err_lib = 30;
	file_name = AWSLC_NAME;
	m->at = FN_W;
	site(m, NEW_PIE, 117, 172);
	site(m, NEW_PIE, 103, 177);
	site(m, NEW_PIE, 115, 182);
	m->at = FN_R;
	site(m, NEW_PIE, 115, 244);
	site(m, NEW_PIE, 101, 261);
	site(m, NEW_PIE, 103, 267);
	site(m, NEW_PIE, 115, 292);
	site(m, NEW_PIE, 104, 297);
	m->at = FN_D + 0x100;
	site(m, NEW_PIE, 115, 214);
	site(m, NEW_PIE, 112, 219);
	eh_frame_len(m, fns, 3, 0x100);
	finish(m, true);
	return m;
}

static int awslc_teardown(void **state)
{
	err_lib = 16;
	file_name = BSSL_NAME;
	return 0;
}

static void test_awslc(void **state)
{
	struct img *m = build_awslc();
	struct tls_locate t;

	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), 0);
	assert_int_equal(t.lib, TLS_LOC_AWSLC);
	assert_int_equal(t.vaddr[TLS_LOC_SEAL], BASE + FN_W);
	assert_int_equal(t.off[TLS_LOC_SEAL], FN_W);
	assert_int_equal(t.vaddr[TLS_LOC_OPEN], BASE + FN_R);
	assert_int_equal(t.vaddr[TLS_LOC_WRITE], 0);
	assert_int_equal(t.refs, 10);
	assert_int_equal(t.sites, 10);
	assert_string_equal(tls_locate_name(TLS_LOC_SEAL), "EVP_AEAD_CTX_seal");
	free(m);
}

/* a second function with the seal's sites: not located, and says so */
static void test_awslc_ambiguous(void **state)
{
	struct img *m = build_awslc();
	static const size_t fns[] = { FN_W, FN_R, FN_D + 0x100, FN_D + 0x180 };
	struct tls_locate t;

	m->at = FN_D + 0x180;
	site(m, NEW_PIE, 117, 172);
	site(m, NEW_PIE, 103, 177);
	site(m, NEW_PIE, 115, 182);
	eh_frame_len(m, fns, 4, 0x80);
	finish(m, true);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.vaddr[TLS_LOC_SEAL], 0);
	assert_non_null(strstr(t.why, "2 functions carry the EVP_AEAD_CTX_seal"));
	free(m);
}

/* the right sites under another library code (29, not ERR_LIB_CIPHER) are none */
static void test_awslc_wrong_lib(void **state)
{
	struct img *m = build_awslc();
	struct tls_locate t;

	for (size_t i = TEXT; i + 5 <= TEXT + TEXT_LEN; i++)
		if (m->b[i] == 0xbf && m->b[i + 1] == 30 && !m->b[i + 2])
			m->b[i + 1] = 29;
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.refs, 10);
	assert_int_equal(t.sites, 0);
	free(m);
}

/* ---- OpenSSL 3 ---- */

/* ERR_set_debug(file, line, file_name) sites in the function at FN_W, and
 * in a second one at other (0: none) */
static struct img *build_ossl3(size_t other)
{
	static const size_t fns[] = { FN_W, FN_R };
	struct img *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	for (int f = 0; f < 2; f++) {
		m->at = f ? other : FN_W;
		for (int k = 0; k < 2 && m->at; k++) {
			ref(m, 2, true);        /* lea rdx, [func] */
			mov(m, 0xbe, 0x9f4);    /* mov esi, line */
			emit(m, "\xc3", 1);
		}
	}
	eh_frame(m, fns, 2);
	finish(m, true);
	return m;
}

static void test_ossl3(void **state)
{
	struct img *m;
	struct tls_locate t;

	file_name = OSSL3_NAME;
	m = build_ossl3(0);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), 0);
	assert_int_equal(t.lib, TLS_LOC_OPENSSL3);
	assert_int_equal(t.vaddr[TLS_LOC_OSSL_WRITE], BASE + FN_W);
	assert_int_equal(t.off[TLS_LOC_OSSL_WRITE], FN_W);
	assert_int_equal(t.vaddr[TLS_LOC_WRITE], 0);
	assert_string_equal(tls_locate_name(TLS_LOC_OSSL_WRITE), "ssl_write_internal");
	free(m);
	/* inlined into two callers: not located */
	m = build_ossl3(FN_R);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ESRCH);
	assert_int_equal(t.vaddr[TLS_LOC_OSSL_WRITE], 0);
	assert_non_null(strstr(t.why, "in 2 functions"));
	free(m);
	/* a longer name ending in it is not its name */
	file_name = "xssl_write_internal";
	m = build_ossl3(0);
	assert_int_equal(tls_locate_mem(&t, m->b, sizeof(m->b)), -ENOENT);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_call_bounds),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_not_sites),
		cmocka_unit_test(test_not_boringssl),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_fd),
		cmocka_unit_test_teardown(test_awslc, awslc_teardown),
		cmocka_unit_test_teardown(test_awslc_ambiguous, awslc_teardown),
		cmocka_unit_test_teardown(test_awslc_wrong_lib, awslc_teardown),
		cmocka_unit_test_teardown(test_ossl3, awslc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
