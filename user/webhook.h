/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * webhook.h - alert delivery to one webhook of the policy, off the event
 * path: webhook_send() formats the body and queues it (bounded, never
 * blocks on the network); a worker thread writes it to the spool, then
 * POSTs it with libcurl, retrying with capped exponential backoff and jitter
 * until a 2xx, and removes the spool file when delivered.
 *
 * Spool: SPOOL_DIR/<16 hex of SHA-256(url)>/<ns>-<id>.json (dir 0700, file
 * 0600, written to a temporary name, fsynced, renamed).  At start the
 * directory is scanned and what an earlier run left is delivered first,
 * oldest first.  A 4xx other than 408/425/429 is a permanent refusal: the
 * file is renamed to *.rejected and not retried.
 *
 * Request: POST url, Content-Type: application/json, body = the alert's
 * JSON line (output_event_json) or {"text": "..."} for format: slack, with
 * "alert_id" and "sent_at" first inside it (webhook_envelope);
 * X-Agentmon-Alert-Id: 32 hex (stable across retries and restarts, for
 * receivers to drop duplicates); X-Agentmon-Signature: sha256=HEX (HMAC-
 * SHA256 of the body: id and send time included) when secret_file is set.
 * The secret is read once by webhook_new (trailing newline stripped; a file
 * group or others may read or change is refused) and never logged; messages and
 * last_error never contain the URL (Slack-style URLs are secrets).
 *
 * Threads: webhook_send/status/stop/free from one thread (the collector's);
 * the worker is internal.  Two webhooks must not share a spool directory
 * at the same time: free the old one before starting its replacement.
 */
#ifndef AGENTMON_WEBHOOK_H
#define AGENTMON_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "policy.h"

#define WEBHOOK_SPOOL_DEFAULT "/var/lib/agentmon/spool"

struct webhook_settings {
	const char *spool_dir;       /* NULL: WEBHOOK_SPOOL_DEFAULT */
	unsigned timeout_ms;         /* whole attempt; 0: 10000 */
	unsigned connect_timeout_ms; /* 0: 3000 */
	unsigned backoff_min_ms;     /* first retry delay; 0: 1000 */
	unsigned backoff_max_ms;     /* cap; 0: 300000 (5 min) */
	unsigned grace_ms;           /* webhook_stop: time left to deliver; 0: 2000 */
	size_t spool_max;            /* alerts held (memory and disk); 0: 10000 */
	uint64_t ttl_ns;             /* an alert not delivered by then expires;
					0: one day */
};

struct webhook_status {
	uint64_t queued;      /* in memory, not yet spooled */
	uint64_t spooled;     /* on disk, awaiting delivery */
	uint64_t delivered;   /* 2xx received (since start) */
	uint64_t failed;      /* failed attempts (each retry counts) */
	uint64_t rejected;    /* refused for good (4xx), or could not be spooled */
	uint64_t dropped;     /* let go at the bound (alertq.h: lowest first) */
	uint64_t expired;     /* not delivered within the ttl */
	char last_error[128]; /* "" when none */
};

struct webhook;

/*
 * webhook_new - start delivery for cfg: read the secret, create the spool
 * directory, scan it, start the worker.  0 and *out, or -errno with err
 * holding "what: why" (never the secret nor the URL).
 */
int webhook_new(const struct policy_webhook *cfg, const struct webhook_settings *s,
		struct webhook **out, char *err, size_t errlen);
/*
 * webhook_send - queue alert (type AM_EV_ALERT) for delivery; the body is
 * built before returning (alert's strings may go away after).  0, -EAGAIN
 * when the queue or spool is full, -ESHUTDOWN after webhook_stop, -ENOMEM.
 */
int webhook_send(struct webhook *w, const struct event *alert);
void webhook_status(struct webhook *w, struct webhook_status *st);
/* stop accepting; let the worker spool what is queued and try deliveries
 * for grace_ms; what is left stays spooled for the next start.  Blocks. */
void webhook_stop(struct webhook *w);
/* webhook_stop if needed, then free */
void webhook_free(struct webhook *w);

/* "sha256=" + hex HMAC-SHA256 of body with key into out (72 bytes); -EIO */
int webhook_sign(const void *key, size_t keylen, const void *body, size_t len, char out[72]);

/*
 * webhook_envelope - the body POSTed for a spooled body (a JSON object):
 * the same object with "alert_id" (id, as in X-Agentmon-Alert-Id) and
 * "sent_at" (sent_ns, realtime: this attempt's time, RFC 3339) first, so
 * that the signature covers both and a captured body cannot be replayed
 * under another id, nor long after.  Malloc'd (*out_len bytes), NULL when
 * body is not an object or memory ran out.
 */
char *webhook_envelope(const char *id, uint64_t sent_ns, const char *body, size_t len,
		       size_t *out_len);

/* ---- the configuration (webhook_config.c) ---- */
#define WEBHOOK_SECRET_MAX 4096
/*
 * webhook_secret_read - the secret in path into *out (malloc'd, *len bytes,
 * trailing newlines stripped): -EPERM when group or others may read or
 * change the file, -EINVAL when it is empty or longer than
 * WEBHOOK_SECRET_MAX (what was read is wiped), -errno; err names the file
 */
int webhook_secret_read(const char *path, unsigned char **out, size_t *len, char *err,
			size_t errlen);

/* whether url is plain http:// to a host other than localhost, 127.x, ::1 */
bool webhook_url_insecure(const char *url);

/*
 * webhook_check - what cfg would meet at webhook_new, checked before a
 * policy is applied (at start, and on reload while the old one runs):
 * -errno with err naming the file when its secret_file cannot be opened
 * or lets group or others read or change it; warn (never fatal) set for a
 * plain http:// URL to another host, else "".  Never prints.
 */
int webhook_check(const struct policy_webhook *cfg, char *warn, size_t warnlen, char *err,
		  size_t errlen);
/* a warning of webhook_check_policy, as one line */
typedef void (*webhook_warn_fn)(void *arg, const char *line);
/*
 * webhook_check_policy - webhook_check for each of p's webhooks: each
 * warning to warn(arg, "SOURCE: ..."); the first error -errno with err
 * "SOURCE:LINE: problem" (the webhooks after it are not checked).  Never
 * prints.
 */
int webhook_check_policy(const struct policy *p, webhook_warn_fn warn, void *arg, char *err,
			 size_t errlen);

#endif
