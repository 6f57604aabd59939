/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_watch.h - whose TLS plaintext agentmon reads: the loader's verdict on
 * each agent binary (hooked / unseen / unknown library), asked at the
 * agent's exec (which hooks a TLS library the binary carries) and at each
 * ClientHello.  A binary whose library is not recognised is "unseen": its
 * connections are judged by bytes (unseen_tls), warned once.  Files are
 * scanned off the loop (the loader's scanner thread): while one is, the
 * binary is "scanning" and the ClientHello is RULES_TLS_PENDING: the
 * connection's bytes count as unseen when it ends unless its plaintext was
 * read (a hook attached meanwhile), the verdict on a process already gone.
 * Not thread-safe; the collector's loop owns it.
 */
#ifndef AGENTMON_TLS_WATCH_H
#define AGENTMON_TLS_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "rules.h"

struct loader;

enum tls_watch_verdict {
	TLS_WATCH_UNKNOWN = 0,        /* not judged yet, or no TLS seen */
	TLS_WATCH_HOOKED,             /* its own or a shared TLS library is hooked */
	TLS_WATCH_UNSEEN,             /* a TLS library agentmon does not read */
	TLS_WATCH_SCANNING,           /* its binary or an object it loaded is being
				       * scanned: connections are judged when they
				       * end (no plaintext read: unseen) */
};

#define TLS_WATCH_EXE_MAX 256         /* longest executable path kept (+1) */
#define TLS_WATCH_BINS    256         /* binaries listed (then the oldest goes) */

/* one agent binary as status lists it */
struct tls_watch_bin {
	char exe[TLS_WATCH_EXE_MAX];
	enum tls_watch_verdict verdict;
	char why[160];                /* the loader's line, or what was seen */
};

struct tls_watch;

/* a watcher asking loader (NULL: verdicts from /proc/PID/maps only, as in
 * tests); NULL on ENOMEM */
struct tls_watch *tls_watch_new(struct loader *loader);
void tls_watch_free(struct tls_watch *w);
/* an agent exec'd: hook the TLS library its binary carries, if any */
void tls_watch_exec(struct tls_watch *w, const struct event *ev);
/*
 * tls_watch_hello - ev (the data event carrying a ClientHello) of a tagged
 * process: RULES_TLS_NONE when its plaintext is read, RULES_TLS_UNSEEN when
 * its binary is unseen (the first time for a binary, *warn gets a line to
 * say, else ""), RULES_TLS_PENDING when the process is gone and its binary
 * was never judged, or a file of it is being scanned (its connection is
 * judged when it ends).
 */
enum rules_tls tls_watch_hello(struct tls_watch *w, const struct event *ev, char *warn,
			       size_t len);
/*
 * tls_watch_blind - ev's binary, hooked, showed application data and no
 * plaintext (detect raised monitor_degraded): mark it unseen; *warn gets a
 * line the first time.  Returns RULES_TLS_UNSEEN.
 */
enum rules_tls tls_watch_blind(struct tls_watch *w, const struct event *ev, char *warn,
			       size_t len);
/*
 * tls_watch_scanned - the scanner finished a file r->label's process asked
 * for: a binary waiting in "scanning" is judged again (its files come from
 * the cache now; *warn gets the unseen line the first time), one hooked is
 * marked so
 */
struct loader_scanned;
void tls_watch_scanned(struct tls_watch *w, const struct loader_scanned *r, char *warn,
		       size_t len);
/* whether ev's binary is hooked in a TLS library of its own (node's
 * OpenSSL, a located BoringSSL or aws-lc, in the binary or an object it
 * loaded): those uprobes are on every process that runs it, whatever
 * --tls-uprobes says */
bool tls_watch_own(const struct tls_watch *w, const struct event *ev);
/* an agent opened a file for reading: a shared object (*.node, *.so) is
 * scanned at once, so that its TLS library is hooked before it connects */
void tls_watch_open(struct tls_watch *w, const struct event *ev);
/* the binaries judged (*n of them), valid until the next call on w */
const struct tls_watch_bin *tls_watch_bins(const struct tls_watch *w, size_t *n);
/* "hooked", "unseen", "unknown" (inline: status.c uses it without this module) */
static inline const char *tls_watch_name(enum tls_watch_verdict v)
{
	return v == TLS_WATCH_HOOKED ? "hooked" : v == TLS_WATCH_UNSEEN ? "unseen" :
	       v == TLS_WATCH_SCANNING ? "scanning" : "unknown";
}

#endif
