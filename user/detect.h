/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * detect.h - the policy stage, after enrich: judges every event of a tagged
 * process against the policy (rules.c), raises and folds alerts (alert.c)
 * and hands each alert to the sinks: the output stream and, live, every
 * configured webhook (webhook.c, delivered off the event path).  Replays use
 * it without webhooks.
 */
#ifndef AGENTMON_DETECT_H
#define AGENTMON_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "policy.h"
#include "proc_cache.h"
#include "rules.h"

struct detect;

/* where alerts go besides webhooks: the output stream (and tail clients) */
typedef void (*detect_sink_fn)(void *arg, const struct event *ev);

/*
 * detect_new - a stage over policy p (not owned; see detect_set_policy),
 * alerts to sink and, when webhooks is true, to p's webhooks.  Returns 0 or
 * -errno with err set (a webhook's secret file cannot be read...).
 */
int detect_new(struct detect **out_d, const struct policy *p, struct proc_cache *pc,
	       detect_sink_fn sink, void *sink_arg, bool webhooks, char *err, size_t errlen);
/* a reloaded policy: new webhooks replace the old ones (spools kept) */
int detect_set_policy(struct detect *d, const struct policy *p, char *err, size_t errlen);
void detect_free(struct detect *d);

/* judge one finished event; alerts go out through the sinks */
void detect_event(struct detect *d, const struct event *ev);
/* close suppression windows up to now (wall ns, the events' clock) */
void detect_tick(struct detect *d, uint64_t now_ns);
/* ev (a data event with a ClientHello) opened TLS whose plaintext is not
 * visible (or not known, how): its connection's bytes count for unseen_tls */
void detect_tls(struct detect *d, const struct event *ev, enum rules_tls how);
/* host is a model API of the policy (llm_hosts) */
bool detect_is_llm(const struct detect *d, const char *host);
/* an llm event: its tool calls may explain later alerts (intent.h) */
void detect_llm(struct detect *d, const struct event *ev);
/* ev, a data event of TLS plaintext an agent sent through a hooked library (its
 * connection is readable: its uploads are judged by their requests) */
void detect_tls_plain(struct detect *d, const struct event *ev);
/* exe's hooked TLS showed application data and no plaintext (it was raised
 * as monitor_degraded): its connections are unseen from now on */
bool detect_tls_blind(const struct detect *d, const char *exe);
/*
 * detect_system_alert - an alert about agentmon itself (recording stopped...),
 * not about an agent: no cause fields ("cause":"alert"), never folded, to
 * the sink and every webhook like any alert
 */
void detect_system_alert(struct detect *d, const char *rule, const char *severity,
			 const char *summary, uint64_t wall_ns, uint32_t pid);
/* alerts raised so far, and those no sink could take */
uint64_t detect_alerts(const struct detect *d);
/* alerts folded into alert_storm summaries since start */
uint64_t detect_alerts_folded(const struct detect *d);
/* upload counts (agent session, destination) forgotten: the table was full */
uint64_t detect_upload_evictions(const struct detect *d);
/* the webhooks' delivery figures, summed over them (for status) */
struct status_webhooks;
void detect_webhook_status(struct detect *d, struct status_webhooks *st);

#endif
