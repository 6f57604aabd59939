/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export.h - the policy's export.nats (SPEC.md "Fleet"): alerts, and with
 * what: [alerts, events] every event shown, published to NATS JetStream by
 * a worker thread with libnats, at least once, deduplicated by the stream.
 *
 * Wire contract (tail --nats reads it):
 *   subject  <prefix>.<host>.<type>: host is export_subject_host(host id),
 *            type the event's "type" ("alert" for alerts);
 *   body     the event's JSON line as `run --format json` prints it, with a
 *            "host" member (the host id as given) added last, no newline;
 *   header   Nats-Msg-Id: 32 hex, unique per message (a random number drawn
 *            at each start, then a count), kept with the message in the
 *            spool: a retry or a resend after a restart carries the same id
 *            and the stream's duplicate window drops the copy.
 * The stream is the operator's: the collector never creates one.
 *
 * Path of a message: export_send (the event loop; never blocks: a bounded
 * queue, what does not fit is lost and counted; the worker is woken at
 * EXPORT_WAKE_QUEUED messages or an alert, else by its round timer) -> the
 * worker appends each batch to the write-ahead spool (export_spool.h) -> publishes from the
 * spool, at most EXPORT_WINDOW unacked at once -> an ack lets the spool
 * forget it.  A failed publish (no stream, no permission, no server,
 * timeout) is retried with capped backoff, never dropped; what is unacked
 * at a stop or a crash is sent by the next run.  Loss only at the queue or
 * spool bound: counted (lost) for status, metrics and monitor_degraded.
 *
 * Threads: export_send/status/news/free from one thread; the worker and
 * libnats's threads are internal.
 */
#ifndef AGENTMON_EXPORT_H
#define AGENTMON_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "json.h"
#include "policy.h"

#define EXPORT_SPOOL_DEFAULT "/var/lib/agentmon/export"
#define EXPORT_SPOOL_BYTES (256ull << 20)
#define EXPORT_QUEUE_MAX 65536    /* messages waiting for the worker */
#define EXPORT_WINDOW 1024        /* published, not yet acked */
#define EXPORT_HOST_MAX 255
/* "<prefix>.<host>" and its NUL: every prefix and host id fits, whole */
#define EXPORT_SUBJECT_LEN (POLICY_SUBJECT_MAX + 1 + EXPORT_HOST_MAX + 1)

struct export_status {
	bool on;
	bool connected;
	bool events;                  /* what: [alerts, events] */
	char url[256];
	char subject[EXPORT_SUBJECT_LEN]; /* <prefix>.<host> */
	uint64_t queued;              /* waiting for the worker */
	uint64_t inflight;            /* published, not yet acked */
	uint64_t spooled;             /* in the spool, not yet acked */
	uint64_t spool_bytes;
	uint64_t acked;               /* stored by the stream (since start) */
	uint64_t duplicates;          /* of those, copies the stream already had */
	uint64_t failed;              /* publish attempts that failed (each retry) */
	uint64_t lost;                /* let go at the queue or spool bound */
	uint64_t damaged;             /* damaged spool stretches skipped */
	char last_error[256];         /* "" when none */
};

struct export;

/*
 * export_new - start exporting to cfg for host (run --host-id; NULL: the
 * host name): read the password file (refused if group or others may read it),
 * open the spool (cfg->spool_dir, else spool_dir, else EXPORT_SPOOL_DEFAULT),
 * start the worker (it connects in the background).  0 and *out, or -errno
 * with err saying what and why (never the password).
 */
int export_new(const struct policy_nats *cfg, const char *host, const char *spool_dir,
	       struct export **out, char *err, size_t errlen);
/* queue ev if the export takes it; 0 (taken or not wanted), -EAGAIN lost (counted) */
int export_send(struct export *x, const struct event *ev);
/* the same with ev's JSON object already rendered (output_event_json's, len
 * bytes, no newline: `run --format json` renders it once for both) */
int export_send_json(struct export *x, const struct event *ev, const char *json, size_t len);
void export_status(struct export *x, struct export_status *st);
/*
 * export_news - a problem not said yet (a new last error, or the first
 * loss): true with msg set, once per distinct problem; *lost set when
 * messages were lost.  For the caller to log and alert.
 */
bool export_news(struct export *x, char *msg, size_t len, bool *lost);
/* stop taking, spool what is queued, wait up to 2 s for acks, free; what
 * is left stays spooled for the next start */
void export_free(struct export *x);

/* a host id: 1 to EXPORT_HOST_MAX bytes, no control byte */
bool export_host_ok(const char *host);
/* host with '.', '*', '>', space and control bytes replaced by '_' */
void export_subject_host(const char *host, char *out, size_t len);
/* the message body of ev (see above) into w (reset first); -ENOMEM */
int export_body(struct jw *w, const struct event *ev, const char *host);
/* whether x sends events of ev's kind */
bool export_wants(const struct export *x, const struct event *ev);

#endif
