/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_locate.h - finds BoringSSL's record-layer functions in a stripped
 * x86-64 binary (Bun single binaries: Claude Code, opencode) without symbols
 * and without compiler-specific byte patterns.
 *
 * BoringSSL reports errors with OPENSSL_PUT_ERROR(SSL, reason), compiled to
 * a run of register loads: the address of the source file name
 * ".../ssl/s3_pkt.cc" into edx (mov edx, imm32, or lea rdx, [rip+d] in PIE
 * builds), 16 (ERR_LIB_SSL) into edi, the reason into esi and the line into
 * ecx, in any order.  The sites are grouped by the function that holds them
 * (bounds from .eh_frame FDEs); a function is named by the reason codes of
 * its sites in line order, which are stable across BoringSSL versions:
 *   tls_write_app_data(SSL *, bool *, size_t *, Span<const uint8_t> in)
 *       SSL_R_PROTOCOL_IS_SHUTDOWN (194), SSL_R_BAD_LENGTH (111)
 *   tls_open_app_data(SSL *, Span<uint8_t> *out, ...)
 *       182, 225, 300
 * Exactly one function may carry a fingerprint, else it is not located.  The
 * write side is checked further: its first instructions store 0 through rsi
 * (*out_needs_handshake = false), which proves the argument layout the uprobe
 * reads (data in rcx, length in r8, bytes written through rdx).
 *
 * Rust binaries with rustls on aws-lc-rs (Codex, Copilot's runtime.node;
 * static-pie, so references are RIP-relative) carry no BoringSSL ssl/ but
 * aws-lc's AEAD layer, whose errors are OPENSSL_PUT_ERROR(CIPHER, reason)
 * (30, ERR_LIB_CIPHER) in ".../crypto/fipsmodule/cipher/aead.c":
 *   EVP_AEAD_CTX_seal(ctx, out, out_len, max_out_len, nonce, nonce_len,
 *                     in, in_len, ad, ad_len)       118, 103, 116
 *   EVP_AEAD_CTX_open(same arguments)               116, 101, 103
 * The seal's arguments are aws-lc's public API: in and in_len are the 7th
 * and 8th, on the stack at entry ([rsp+8], [rsp+16]).
 *
 * A stripped static OpenSSL 3 (Copilot's runtime.node: rust-openssl under
 * native-tls; its HTTP goes there) names its functions in its errors:
 * ERR_raise passes __func__ to ERR_set_debug (lea rdx, [string]).  The
 * one function holding every reference to "ssl_write_internal" is
 *   ssl_write_internal(SSL *, const void *buf, size_t num, uint64_t flags,
 *                      size_t *written)
 * (not located when inlined into several callers).  Every library is tried;
 * all that are located are reported.
 *
 * The file is hostile input: it is read by pread (never mmapped: a file
 * truncated while it is read is an error, not a SIGBUS), sections in windows
 * of 1 MiB (the .eh_frame whole, up to 128 MiB), within a time budget; every
 * read is bounded by the section it is in, counts are capped, and nothing is
 * executed or trusted beyond what is checked.
 */
#ifndef AGENTMON_TLS_LOCATE_H
#define AGENTMON_TLS_LOCATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_loc_fn {
	TLS_LOC_WRITE,                /* tls_write_app_data: plaintext at entry */
	TLS_LOC_READ,                 /* tls_open_app_data: plaintext at return (*out) */
	TLS_LOC_SEAL,                 /* aws-lc EVP_AEAD_CTX_seal: plaintext at entry */
	TLS_LOC_OPEN,                 /* aws-lc EVP_AEAD_CTX_open: plaintext at return */
	TLS_LOC_OSSL_WRITE,           /* OpenSSL 3 ssl_write_internal: plaintext at entry */
	TLS_LOC_N,
};

/* the library located: its first function (WRITE, SEAL) is the one hooked */
enum tls_loc_lib {
	TLS_LOC_BORINGSSL,
	TLS_LOC_AWSLC,
	TLS_LOC_OPENSSL3,
};

#define TLS_LOC_SITES_MAX  4096   /* error sites kept per file */

struct tls_locate {
	uint64_t vaddr[TLS_LOC_N];    /* 0: not located */
	uint64_t off[TLS_LOC_N];      /* file offset, what a uprobe takes */
	unsigned refs;                /* references to the file name found */
	unsigned sites;               /* of them, decoded as error sites in a function */
	enum tls_loc_lib lib;         /* whose file name was found */
	char why[200];                /* when vaddr[TLS_LOC_WRITE] is 0: the reason */
};

/*
 * locate in the ELF file open at fd (read by pread only);
 * returns 0 when tls_write_app_data (BoringSSL), EVP_AEAD_CTX_seal (aws-lc)
 * or ssl_write_internal (OpenSSL 3) was located (t->vaddr says which; t->lib
 * the first), -ENOENT when the file holds none of BoringSSL's ssl/s3_pkt.cc,
 * aws-lc's crypto/fipsmodule/cipher/aead.c or "ssl_write_internal", -ESRCH when it does but the function is not located uniquely,
 * -ENOEXEC / -ENOTSUP for a file that is not a 64-bit x86-64 ELF, -EIO when
 * the file is shorter than its section headers say (truncated while read),
 * -ETIME over the time budget, -E2BIG / -EINVAL for an .eh_frame too large
 * or malformed, -ENOMEM; t->why says which, and t's other fields hold what
 * was found either way
 */
int tls_locate_fd(struct tls_locate *t, int fd);
/* the same, cut short (-ETIME) once *cancel is set (checked per window) */
int tls_locate_fd_until(struct tls_locate *t, int fd, const atomic_bool *cancel);
/* the same on an ELF image in memory (tests, fuzzing) */
int tls_locate_mem(struct tls_locate *t, const void *image, size_t len);
/* libelf initialised (once, thread-safe); false when it cannot be */
bool tls_locate_elf_ready(void);
/* "tls_write_app_data", "tls_open_app_data", "EVP_AEAD_CTX_seal", ... */
const char *tls_locate_name(enum tls_loc_fn fn);

#endif
