// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect.c - the policy stage: rules -> alerts -> sinks; see detect.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "common.h"
#include "detect.h"
#include "intent.h"
#include "rules.h"
#include "status.h"
#include "webhook.h"

#define DETECT_BLIND_MAX 32

struct detect {
	const struct policy *policy;
	struct proc_cache *cache;
	detect_sink_fn sink;       /* the output stream */
	void *sink_arg;
	struct rules_uploads *uploads;
	struct alerter *alerter;
	struct intent *intent;     /* recent tool calls, for alerts' intent */
	bool use_webhooks;
	struct webhook **hooks;
	size_t n_hooks;
	uint64_t alerts, unsent;
	uint64_t folded;           /* by the alerters of earlier policies */
	/* binaries whose hooked TLS showed no plaintext (monitor_degraded once
	 * each); the oldest is forgotten when full */
	char blind[DETECT_BLIND_MAX][256];
	size_t n_blind, next_blind;
};

/* every alert: to the output stream, then to each webhook's queue */
static void on_alert(const struct event *cause, void *arg)
{
	struct detect *d = arg;
	struct event ev = *cause;
	struct event_alert al = *cause->alert;
	const struct event *alert = &ev;

	if (!d->policy->intent_off)
		al.intent = intent_find(d->intent, cause);
	ev.alert = &al;

	d->alerts++;
	d->sink(d->sink_arg, alert);
	for (size_t i = 0; i < d->n_hooks; i++) {
		int ret = webhook_send(d->hooks[i], alert);

		if (ret && d->unsent++ < 10)
			am_warn("webhook %zu: alert not queued: %s", i, strerror(-ret));
	}
}

static void hooks_free(struct detect *d)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		webhook_stop(d->hooks[i]);
		webhook_free(d->hooks[i]);
	}
	free(d->hooks);
	d->hooks = NULL;
	d->n_hooks = 0;
}

static int hooks_new(struct detect *d, const struct policy *p, char *err, size_t errlen)
{
	struct webhook_settings s = { .spool_dir = p->spool_dir,
				      .ttl_ns = p->alert_ttl_s * 1000000000ull };

	if (!d->use_webhooks || !p->n_webhooks)
		return 0;
	d->hooks = calloc(p->n_webhooks, sizeof(*d->hooks));
	if (!d->hooks)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_webhooks; i++) {
		int ret = webhook_new(&p->webhooks[i], &s, &d->hooks[i], err, errlen);

		if (ret)
			return ret;
		d->n_hooks++;
	}
	return 0;
}

/* the upload counts whose wait for plaintext ended by now_ns */
static void uploads_due(struct detect *d, uint64_t now_ns)
{
	const struct event *cause;
	struct rules_verdict v;

	while (rules_uploads_due(d->uploads, d->policy, now_ns, &cause, &v))
		alerter_raise(d->alerter, cause, &v);
}

int detect_set_policy(struct detect *d, const struct policy *p, char *err, size_t errlen)
{
	struct alert_settings as = { .window_ns = p->alert_window_s * 1000000000ull,
				     .budget = (uint32_t)p->alert_budget };
	struct rules_uploads *u = rules_uploads_new(p->upload_threshold, as.window_ns, 0);
	struct alerter *a;
	int ret;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (d->alerter) {
		uploads_due(d, UINT64_MAX); /* judged by the policy they came under */
		alerter_flush(d->alerter); /* what the old windows folded */
	}
	a = alerter_new(&as, d->cache, on_alert, d);
	if (!a) {
		rules_uploads_free(u);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (d->alerter)
		d->folded += alerter_storm_folded(d->alerter);
	alerter_free(d->alerter);
	rules_uploads_free(d->uploads);
	d->alerter = a;
	d->uploads = u;
	d->policy = p;
	hooks_free(d); /* old and new share spool directories: old first */
	ret = hooks_new(d, p, err, errlen);
	if (ret)
		hooks_free(d);
	return ret;
}

int detect_new(struct detect **out_d, const struct policy *p, struct proc_cache *pc,
	       detect_sink_fn sink, void *sink_arg, bool webhooks, char *err, size_t errlen)
{
	struct detect *d = calloc(1, sizeof(*d));
	int ret;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->cache = pc;
	if (!(d->intent = intent_new())) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->sink = sink;
	d->sink_arg = sink_arg;
	d->use_webhooks = webhooks;
	ret = detect_set_policy(d, p, err, errlen);
	if (ret) {
		detect_free(d);
		return ret;
	}
	*out_d = d;
	return 0;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	if (d->alerter) {
		uploads_due(d, UINT64_MAX);
		alerter_flush(d->alerter);
	}
	hooks_free(d);
	alerter_free(d->alerter);
	rules_uploads_free(d->uploads);
	intent_free(d->intent);
	free(d);
}

bool detect_is_llm(const struct detect *d, const char *host)
{
	for (size_t i = 0; i < d->policy->n_llm_hosts; i++)
		if (rules_host_match(d->policy->llm_hosts[i], host))
			return true;
	return false;
}

void detect_llm(struct detect *d, const struct event *ev)
{
	intent_add(d->intent, ev);
}

static void raise_if(struct detect *d, const struct event *ev, bool hit,
		     const struct rules_verdict *v)
{
	if (hit)
		alerter_raise(d->alerter, ev, v);
}

bool detect_tls_blind(const struct detect *d, const char *exe)
{
	for (size_t i = 0; d && exe && i < d->n_blind; i++)
		if (!strncmp(d->blind[i], exe, sizeof(d->blind[i]) - 1))
			return true;
	return false;
}

/* exe's hooked TLS showed no plaintext: true the first time */
static bool blind_first(struct detect *d, const char *exe)
{
	size_t i;

	if (!exe || detect_tls_blind(d, exe))
		return !exe;
	if (d->n_blind < DETECT_BLIND_MAX) {
		i = d->n_blind++;
	} else {
		i = d->next_blind;
		d->next_blind = (d->next_blind + 1) % DETECT_BLIND_MAX;
	}
	snprintf(d->blind[i], sizeof(d->blind[i]), "%s", exe);
	return true;
}

/* ev ends connections whose TLS reader was not told: unseen_tls for those
 * that sent more than its threshold and no request was read; a hooked one
 * that showed no plaintext: monitor_degraded, once per binary */
static void tls_ended(struct detect *d, const struct event *ev)
{
	struct rules_verdict v;
	struct event send;

	while (rules_uploads_tls_ended(d->uploads, d->policy, ev, &send, &v))
		if (strcmp(v.rule, "monitor_degraded") || blind_first(d, ev->exe))
			alerter_raise(d->alerter, &send, &v);
}

void detect_tls_plain(struct detect *d, const struct event *ev)
{
	if (d && ev->agent)
		rules_uploads_plain(d->uploads, ev);
}

void detect_event(struct detect *d, const struct event *ev)
{
	struct rules_verdict v;
	bool posted;

	if (!d || !ev->agent || ev->type == AM_EV_ALERT)
		return;
	switch (ev->type) {
	case AM_EV_HTTP:
		raise_if(d, ev, rules_host_mismatch(ev, &v), &v);
		posted = rules_outbound_post(d->policy, ev, &v);
		raise_if(d, ev, posted, &v);
		rules_uploads_http(d->uploads, ev, posted);
		break;
	case AM_EV_SEND:
		raise_if(d, ev, rules_uploads_send(d->uploads, d->policy, ev, &v), &v);
		raise_if(d, ev, rules_uring_network(ev, &v), &v);
		break;
	case AM_EV_CONNECT:
		tls_ended(d, ev);
		rules_uploads_reset(d->uploads, ev);
		raise_if(d, ev, rules_uring_network(ev, &v), &v);
		break;
	case AM_EV_EXIT:
		tls_ended(d, ev);
		rules_uploads_forget_pid(d->uploads, ev->pid);
		break;
	case AM_EV_SYSCALL:
		raise_if(d, ev, rules_syscall(ev, &v), &v);
		break;
	default:
		break;
	}
}

void detect_tls(struct detect *d, const struct event *ev, enum rules_tls how)
{
	if (d && ev->agent)
		rules_uploads_tls(d->uploads, ev, how);
}


void detect_tick(struct detect *d, uint64_t now_ns)
{
	uploads_due(d, now_ns);
	alerter_tick(d->alerter, now_ns);
}

uint64_t detect_upload_evictions(const struct detect *d)
{
	return rules_uploads_evicted(d->uploads);
}

uint64_t detect_alerts(const struct detect *d)
{
	return d->alerts;
}

uint64_t detect_alerts_folded(const struct detect *d)
{
	return d->folded + alerter_storm_folded(d->alerter);
}

void detect_system_alert(struct detect *d, const char *rule, const char *severity,
			 const char *summary, uint64_t wall_ns, uint32_t pid)
{
	struct event_alert al = {
		.rule = rule, .severity = severity, .summary = summary, .chain = "",
		.cause_type = AM_EV_ALERT, .count = 1,
	};
	struct event ev = {
		.ts_ns = wall_ns, .type = AM_EV_ALERT, .pid = pid, .tid = pid,
		.agent_id = AM_AGENT_NONE, .alert = &al,
	};

	snprintf(ev.comm, sizeof(ev.comm), "agentmon");
	on_alert(&ev, d);
}

void detect_webhook_status(struct detect *d, struct status_webhooks *st)
{
	struct webhook_status ws;

	memset(st, 0, sizeof(*st));
	st->count = (uint32_t)d->n_hooks;
	for (size_t i = 0; i < d->n_hooks; i++) {
		webhook_status(d->hooks[i], &ws);
		st->queued += ws.queued;
		st->delivered += ws.delivered;
		st->spooled += ws.spooled;
		st->failed += ws.failed;
		st->rejected += ws.rejected;
		st->dropped += ws.dropped;
		st->expired += ws.expired;
		if (ws.last_error[0])
			snprintf(st->last_error, sizeof(st->last_error), "%s", ws.last_error);
	}
}
