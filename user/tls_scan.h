/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_scan.h - what an ELF file open at an fd says about the TLS functions
 * agentmon hooks: its symbol tables (.symtab, .dynsym, DT_NEEDED) and, when
 * it neither defines nor imports SSL_write, the stripped libraries
 * tls_locate.c finds.  Pure and thread-safe: it reads the file by pread only
 * (never mmapped: truncating it while it is read is an error, not a SIGBUS),
 * touches no state but *out, and each step has a time budget, so the
 * scanner thread (scanq.h) runs it off the collector's loop.  The attach
 * through the same fd is the loop's (load_tls.c).
 */
#ifndef AGENTMON_TLS_SCAN_H
#define AGENTMON_TLS_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tls_locate.h"

/* the functions by index, as load_tls.c's uprobe table (N_TLS_FNS) */
#define TLS_SCAN_FNS 11
#define TLS_SCAN_SSL_WRITE 0          /* SSL_write: defined means its own OpenSSL */
#define TLS_SCAN_GTLS_SEND 4          /* gnutls_record_send */
/* their symbol names; the located ones ("\001...") are in no symbol table */
extern const char *const tls_scan_syms[TLS_SCAN_FNS];

#define TLS_SCAN_BUDGET_NS (3ull * 1000000000ull)  /* the symbol scan's CPU time, at most */
#define TLS_SCAN_WALL_NS   (30ull * 1000000000ull) /* and its wall time (am_budget) */

struct tls_scan {
	int rc;                       /* symbol scan: 0, -ENOEXEC (not ELF), -ETIME
				       * (over budget), -ENOTSUP */
	long off[TLS_SCAN_FNS];       /* file offset of a defined function, -1 */
	bool imports;                 /* it imports SSL_write or gnutls_record_send,
				       * or links libssl, libgnutls or libcurl */
	bool go_tls;                  /* Go's crypto/tls (not hooked) */
	int loc_rc;                   /* tls_locate_fd's (tls_locate.h), -ENOENT
				       * when not run (symbols said enough) */
	struct tls_locate loc;        /* loc_rc != -ENOENT or it ran: what it found */
	uint64_t ns;                  /* how long both took */
};

/* the symbol tables of the file open at fd, within TLS_SCAN_BUDGET_NS; then
 * (rc 0, no SSL_write defined or imported) the locator.  Never fails: the
 * outcome is in out */
void tls_scan_fd(int fd, struct tls_scan *out);
/* the same, cut short (-ETIME) once *cancel is set (NULL: never) */
void tls_scan_fd_until(int fd, const atomic_bool *cancel, struct tls_scan *out);
/* the symbol scan alone (the shared libraries at start); returns out->rc */
int tls_scan_syms_fd(int fd, struct tls_scan *out);
/* the scan was cut by a time budget */
bool tls_scan_timed_out(const struct tls_scan *s);
/* the file could not be read as it claims (truncated, malformed, no memory):
 * not a verdict on its TLS, a failure */
bool tls_scan_failed(const struct tls_scan *s);

#endif
