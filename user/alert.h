/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * alert.h - turning a rule's verdict into an alert event (type AM_EV_ALERT,
 * a copy of its cause with ev->alert set), with a one-line summary, the
 * process chain up to the agent root, and suppression of repeats.
 *
 * Suppression: alerts are keyed by (rule, agent name, agent_pid, host or
 * address).  The first of a key is emitted at once (count 1) and opens a
 * window (default 60 s).  Repeats inside the window are only counted.  When
 * the window closes and repeats were counted, one summary alert is emitted:
 * the last repeat's event, count = the number of repeats, summary ending in
 * " (N more in 60 s)".  The next occurrence after that opens a new window.
 * Time is the events' ts_ns (so a replay folds like the live run did);
 * alerter_tick() closes windows when no event comes.  At most max_keys keys
 * are held: when full, the key whose window closes first is closed early.
 *
 * Budget: what would be emitted (first alerts and window summaries alike)
 * passes the per-agent budget of storm.h first; beyond it an agent's alerts
 * fold into one alert_storm summary per window.
 */
#ifndef AGENTMON_ALERT_H
#define AGENTMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "proc_cache.h"
#include "rules.h"

#define ALERT_WINDOW_DEFAULT_NS (60ull * 1000000000ull)
#define ALERT_MAX_KEYS_DEFAULT  1024
#define ALERT_CHAIN_MAX         16   /* processes shown in a chain */

struct alert_settings {
	uint64_t window_ns;    /* 0: default; suppression window */
	size_t max_keys;       /* 0: default */
	uint32_t budget;       /* alerts per agent per window (storm.h); 0: default */
};

/* receives each alert; the event and its strings live until it returns */
typedef void (*alert_emit_fn)(const struct event *alert, void *arg);

struct alerter;

/* pc may be NULL (chain is then the event's process alone); NULL on ENOMEM */
struct alerter *alerter_new(const struct alert_settings *s, struct proc_cache *pc,
			    alert_emit_fn emit, void *arg);
/* frees without emitting pending summaries (call alerter_flush first) */
void alerter_free(struct alerter *a);

/*
 * alerter_raise - alert on cause for verdict v (v->rule set).  Emits at once
 * (returns 1), or folds it into an open window (returns 0); closes windows
 * that ended before cause->ts_ns first.  -ENOMEM when a fold could not be
 * recorded (the alert is then emitted, never lost).
 */
int alerter_raise(struct alerter *a, const struct event *cause, const struct rules_verdict *v);
/* close windows that ended at or before now_ns (same clock as events' ts_ns) */
void alerter_tick(struct alerter *a, uint64_t now_ns);
/* emit every pending summary now (shutdown, reload) */
void alerter_flush(struct alerter *a);
/* alerts folded into storms since start (storm.h) */
uint64_t alerter_storm_folded(const struct alerter *a);
/* keys held now */
size_t alerter_keys(const struct alerter *a);

/* pure helpers, exposed for tests and other sinks */

/* "claude (pid 4242) via curl[4251] sent POST https://h/p (12 bytes) - why" */
size_t alert_summary(const struct event *cause, const struct rules_verdict *v,
		     char *buf, size_t len);
/* "claude[4242] > sh[4250] > curl[4251]" from the process cache (root first) */
size_t alert_chain(struct proc_cache *pc, const struct event *cause, char *buf, size_t len);

#endif
