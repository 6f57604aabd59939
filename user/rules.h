/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rules.h - deciding: is a destination allowed by the policy, and does an
 * event break a rule.  Pure functions over (policy, event) plus one small
 * table, struct rules_uploads, that counts bytes per connection for
 * unexpected_upload.
 *
 * Destinations: rules_match.h.
 *
 * Rules (names and severities as in SPEC.md alerts):
 *   outbound_post      high    a write request (any method but GET, HEAD and
 *                              OPTIONS, or one not known: head cut) the policy
 *                              does not allow; with req_host, judged by the
 *                              stricter of the destination and that host
 *   host_mismatch      high    a request names another host than the TLS
 *                              server name (or CONNECT target) it went to
 *   unexpected_upload  medium  > threshold bytes no request explains, sent by
 *                              one agent session to a destination no entry
 *                              lists (host/cidr + ports) within the window
 *   unseen_tls         high    > unseen_tls_threshold bytes (default 4 KiB)
 *                              sent, by one agent session within the window,
 *                              over TLS connections whose plaintext agentmon
 *                              cannot read (rules_uploads_tls) to a
 *                              destination no entry lists; counted from the
 *                              ClientHello (which may count), at once; in
 *                              place of unexpected_upload for those bytes
 *   uring_network      medium  connect/send of an agent through io_uring
 */
#ifndef AGENTMON_RULES_H
#define AGENTMON_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "policy.h"
#include "rules_match.h"

#define RULES_UPLOAD_THRESHOLD_DEFAULT (64u << 10)  /* bytes */
#define RULES_UNSEEN_TLS_THRESHOLD_DEFAULT (4u << 10) /* bytes */
#define RULES_UPLOAD_SLOTS_DEFAULT     4096         /* connections (and destinations) tracked */

/* what a rule decided; rule == NULL: no alert */
struct rules_verdict {
	const char *rule;      /* static string */
	const char *severity;  /* static string */
	uint64_t bytes;        /* unexpected_upload, unseen_tls: bytes counted */
	char reason[96];       /* "host not allowed for POST" */
};

/*
 * Each rule fills v and returns true when ev breaks it; false (v->rule
 * NULL) otherwise, including for events of other types.
 */
bool rules_outbound_post(const struct policy *p, const struct event *ev,
			 struct rules_verdict *v);
bool rules_uring_network(const struct event *ev, struct rules_verdict *v);
/* a request naming another host than its TLS server name / tunnel target */
bool rules_host_mismatch(const struct event *ev, struct rules_verdict *v);
/* every method but GET, HEAD and OPTIONS; NULL (not known) too */
bool rules_is_write_method(const char *m);
/*
 * rules_syscall - an AM_EV_SYSCALL of a tagged process: compat_syscall
 * (high) for a watched call through the 32-bit table, process_tamper (high)
 * for ptrace attach, process_vm_writev or pidfd_getfd aimed at a process
 * outside the agent
 */
bool rules_syscall(const struct event *ev, struct rules_verdict *v);

/*
 * struct rules_uploads - for unexpected_upload: which connections had
 * readable requests (their bytes are explained), and the bytes each agent
 * session (agent_pid) sent to each destination (host name, else address and
 * port) over every connection, counted in windows of window_ns from the
 * first bytes (the policy's alert window).  Bytes of a connection with
 * requests count only when the send is opaque (a stream no request
 * explains).  Bytes a connection sent before its first request was read
 * (TLS records reach the wire before their plaintext is seen) are taken
 * back from its destination's count when that request comes, unless they
 * were opaque.  Opaque bytes of a connection one of whose requests raised
 * outbound_post are that alert's (a body the capture did not follow) and
 * are not counted.  A destination put over the threshold only by bytes the
 * connection's plaintext may still explain (no request read on it yet) is
 * judged again RULES_UPLOAD_GRACE_NS later (rules_uploads_due), with a copy
 * of the send as the cause; with RULES_UPLOAD_DUE_MAX such waits taken, it
 * is judged at once.  Two fixed tables of slots; when full the least
 * recently used entry is forgotten (destinations forgotten are counted).
 * Not thread-safe.
 *
 * Calls, per event of a tagged process, in pipeline order:
 *   AM_EV_DATA (a ClientHello whose plaintext is not read, or not known)
 *                         rules_uploads_tls()   unseen_tls counts it
 *   AM_EV_HTTP            rules_uploads_http()  the connection is explained
 *                         (posted: the request raised outbound_post)
 *   AM_EV_SEND            rules_uploads_send()  counts; may raise the alert
 *   AM_EV_CONNECT         rules_uploads_tls_ended(), rules_uploads_reset()
 *   AM_EV_EXIT            rules_uploads_tls_ended(), rules_uploads_forget_pid()
 *   each tick             rules_uploads_due() until false
 * The alert is raised once per session, destination and window, when its
 * count passes the threshold and the destination is not allowed.
 */
struct rules_uploads;

#define RULES_UPLOAD_WINDOW_DEFAULT_NS (60ull * 1000000000ull)
#define RULES_HOST_KEY 256     /* longest host name counted apart (+1) */
#define RULES_UPLOAD_GRACE_NS (1000000000ull) /* for the plaintext of wire bytes */
#define RULES_UPLOAD_DUE_MAX 64  /* destinations waiting for it */

/* threshold in bytes, window in ns, slots (0: defaults); NULL on ENOMEM */
struct rules_uploads *rules_uploads_new(uint64_t threshold, uint64_t window_ns, size_t slots);
void rules_uploads_free(struct rules_uploads *u);
void rules_uploads_http(struct rules_uploads *u, const struct event *ev, bool posted);
/* what the ClientHello of a connection told of its plaintext */
enum rules_tls {
	RULES_TLS_NONE = 0,    /* no ClientHello, or TLS agentmon reads */
	RULES_TLS_UNSEEN,      /* TLS agentmon cannot read: counted at once */
	RULES_TLS_PENDING,     /* not told (the process was gone): its bytes count
				* when the connection ends (exit, fd reused)
				* with no request read on it */
	RULES_TLS_HOOKED,      /* read by a hooked library: checked when it ends */
	RULES_TLS_EARLY,       /* sent before its process's per-process uprobes
				* were in place (the root window): when it ends
				* with no request nor plaintext read on it, to a
				* host not listed, unseen_tls whatever its size */
};
/* ev, a data event carrying a ClientHello, opened TLS as how says */
void rules_uploads_tls(struct rules_uploads *u, const struct event *ev, enum rules_tls how);
/* ev, a data event of TLS plaintext (a hooked library), was seen on its connection */
void rules_uploads_plain(struct rules_uploads *u, const struct event *ev);
/*
 * rules_uploads_tls_ended - ev (AM_EV_EXIT, or AM_EV_CONNECT reusing an
 * fd) ends ev->pid's connections (that fd's): the bytes of each PENDING one
 * with no request read count for unseen_tls; a HOOKED one that sent more
 * than unseen_tls_threshold with no plaintext and no request seen is
 * monitor_degraded (its hooks do not see it; wherever it went).  True when
 * one passes the threshold to an unlisted destination: *send is a send event of ev's
 * process standing for that connection (net.host points into u, valid
 * until the next call), v the verdict; call again until false.  Call
 * before rules_uploads_forget_pid / rules_uploads_reset.
 */
bool rules_uploads_tls_ended(struct rules_uploads *u, const struct policy *p,
			     const struct event *ev, struct event *send, struct rules_verdict *v);
bool rules_uploads_send(struct rules_uploads *u, const struct policy *p,
			const struct event *ev, struct rules_verdict *v);
/* a wait that ended by now_ns (UINT64_MAX: all) still over the threshold:
 * fills v, points *cause at the send's copy (valid until the next call)
 * and returns true; false when none is left */
bool rules_uploads_due(struct rules_uploads *u, const struct policy *p, uint64_t now_ns,
		       const struct event **cause, struct rules_verdict *v);
void rules_uploads_reset(struct rules_uploads *u, const struct event *ev);
void rules_uploads_forget_pid(struct rules_uploads *u, uint32_t pid);
/* connections tracked now */
size_t rules_uploads_count(const struct rules_uploads *u);
/* destinations forgotten while counting (table full) */
uint64_t rules_uploads_evicted(const struct rules_uploads *u);

#endif
