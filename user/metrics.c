// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * metrics.c - the collector's figures as Prometheus text (exposition format
 * 0.0.4): HELP and TYPE once per family, `agentmon_` prefix, `_total`
 * counters, base units (seconds, bytes).  Label values can be agent names
 * (a policy's, but also "unknown" tags and system alert rules): escaped as
 * the format wants (\\, \", \n), other controls and invalid UTF-8 replaced by
 * U+FFFD so that a hostile name can neither break a line nor the parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "metrics.h"


void metrics_label(struct jw *out, const char *v)
{
	size_t n = v ? strlen(v) : 0, run, bad;

	while (n) {
		run = escape_span(v, n, &bad);
		for (size_t i = 0; i < run; i++) {
			if (v[i] == '\\' || v[i] == '"')
				jw_raw(out, "\\", 1);
			jw_raw(out, v + i, 1);
		}
		v += run;
		n -= run;
		if (!bad)
			break;
		if (bad == 1 && *v == '\n')
			jw_raw(out, "\\n", 2);
		else
			jw_raw(out, "\xef\xbf\xbd", 3); /* U+FFFD */
		v += bad;
		n -= bad;
	}
}

/* "# HELP name help\n# TYPE name type\n" */
static void family(struct jw *out, const char *name, const char *type, const char *help)
{
	jw_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v */
static void labeled(struct jw *out, const char *name, const char *label, const char *value,
		    uint64_t v)
{
	jw_printf(out, "%s{%s=\"", name, label);
	metrics_label(out, value);
	jw_printf(out, "\"} %llu\n", (unsigned long long)v);
}

/* a family of one unlabeled sample */
static void one(struct jw *out, const char *name, const char *type, const char *help,
		uint64_t v)
{
	family(out, name, type, help);
	jw_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* events shown and kernel drops, by type: every known type, zeros too */
static void by_type(struct jw *out, const char *name, const char *help, const uint64_t *v)
{
	const char *t;

	family(out, name, "counter", help);
	for (uint32_t i = 1; i < STATUS_TYPES; i++)
		if (strcmp(t = event_type_name(i), "unknown"))
			labeled(out, name, "type", t, v[i]);
}

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

struct pair {
	const char *label;
	uint64_t v;
};

static void pairs(struct jw *out, const char *name, const char *label, const struct pair *p,
		  size_t n)
{
	for (size_t i = 0; i < n; i++)
		labeled(out, name, label, p[i].label, p[i].v);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* what the monitor lost sight of, by reason (each also in status) */
static void lost(struct jw *out, const struct status *s)
{
	const struct pair p[] = {
		{ "undecodable", s->degraded.undecodable },
		{ "tag_map_full", s->degraded.tags_lost },
		{ "tag_write_failed", s->degraded.tag_writes_failed },
		{ "tail_slow_client", s->tail.missed },
		{ "recording", s->recording.lost },
		{ "webhook_queue_full", s->webhooks.dropped },
		{ "webhook_expired", s->webhooks.expired },
		{ "export", s->export.lost },
		{ "http_head_incomplete", s->http.heads_incomplete },
		{ "http_head_evicted", s->http.heads_evicted },
		{ "http_head_budget", s->http.heads_budget },
		{ "connection_evicted", s->http.conns_evicted },
		{ "upload_count_evicted", s->http.uploads_evicted },
		{ "tls_answer_unattributed", s->http.answers_unattributed },
		{ "conn_state_evicted", s->resources.conn_evicted },
		{ "tls_link_refused", s->resources.links_refused },
		{ "tls_uprobe_failed", s->tls_uprobes.failed },
	};

	one(out, "agentmon_drops_total", "counter",
	    "Events the kernel could not deliver (ring buffer full).", sum(s->drops, STATUS_TYPES));
	by_type(out, "agentmon_kernel_drops_total",
		"Events the kernel could not deliver, by event type.", s->drops);
	family(out, "agentmon_lost_total", "counter",
	       "What the monitor lost sight of or let go since start, by reason.");
	pairs(out, "agentmon_lost_total", "reason", p, N(p));
}

static void alerts(struct jw *out, const struct status *s, const struct metrics_alerts *a)
{
	const struct status_webhooks *w = &s->webhooks;
	const struct pair p[] = {
		{ "delivered", w->delivered }, { "spooled", w->spooled },
		{ "failed", w->failed },       { "rejected", w->rejected },
		{ "dropped", w->dropped },     { "expired", w->expired },
	};

	size_t n = a ? a->n + (a->n == METRICS_ALERT_KINDS && a->kinds[a->n].count) : 0;

	family(out, "agentmon_alerts_total", "counter", "Alerts raised, by rule and severity.");
	for (size_t i = 0; i < n; i++) {
		jw_printf(out, "agentmon_alerts_total{rule=\"");
		metrics_label(out, a->kinds[i].rule);
		jw_printf(out, "\",severity=\"");
		metrics_label(out, a->kinds[i].severity);
		jw_printf(out, "\"} %llu\n", (unsigned long long)a->kinds[i].count);
	}
	one(out, "agentmon_alerts_raised_total", "counter", "Alerts raised (every rule).", s->alerts);
	one(out, "agentmon_alerts_folded_total", "counter",
	    "Alerts folded into alert_storm summaries.", s->alerts_folded);
	one(out, "agentmon_webhooks", "gauge", "Webhooks configured.", w->count);
	one(out, "agentmon_webhook_queue_depth", "gauge",
	    "Alerts waiting in memory for a webhook.", w->queued);
	family(out, "agentmon_webhook_deliveries_total", "counter",
	       "Alert deliveries to webhooks, by result.");
	pairs(out, "agentmon_webhook_deliveries_total", "result", p, N(p));
}

/* export.nats: messages by result, the queue, the window and the spool */
static void export(struct jw *out, const struct export_status *x)
{
	const struct pair p[] = {
		{ "acked", x->acked }, { "duplicate", x->duplicates }, { "failed", x->failed },
		{ "lost", x->lost }, { "damaged", x->damaged },
	};

	if (!x->on)
		return;
	family(out, "agentmon_export_messages_total", "counter",
	       "Messages exported to NATS JetStream, by result (failed: attempts, retried).");
	pairs(out, "agentmon_export_messages_total", "result", p, N(p));
	one(out, "agentmon_export_queue_depth", "gauge",
	    "Messages waiting in memory for the export worker.", x->queued);
	one(out, "agentmon_export_inflight", "gauge", "Messages published, not yet acked.",
	    x->inflight);
	one(out, "agentmon_export_spool_messages", "gauge",
	    "Messages in the export spool, not yet acked.", x->spooled);
	one(out, "agentmon_export_spool_bytes", "gauge", "Bytes of the export spool on disk.",
	    x->spool_bytes);
	one(out, "agentmon_export_connected", "gauge", "1 when connected to NATS.", x->connected);
}

static void tail(struct jw *out, const struct status_tail *t)
{
	const struct pair p[] = {
		{ "gone", t->gone }, { "refused", t->refused },
		{ "timed_out", t->timed_out }, { "evicted", t->evicted },
	};

	one(out, "agentmon_tail_clients", "gauge", "Tail clients connected.", t->connected);
	one(out, "agentmon_tail_requests_total", "counter", "Tail requests accepted.", t->served);
	family(out, "agentmon_tail_closed_total", "counter",
	       "Control socket connections closed or refused, by reason.");
	pairs(out, "agentmon_tail_closed_total", "reason", p, N(p));
}

/* tagged processes, sessions and processes per agent name (s->agents is
 * sorted by name: one sample per run of equal names) */
static void agents(struct jw *out, const struct status *s)
{
	uint64_t procs = 0;
	size_t i, j;

	for (i = 0; i < s->n_agents; i++)
		procs += s->agents[i].procs;
	one(out, "agentmon_tagged_processes", "gauge", "Live tagged agent processes.", procs);
	one(out, "agentmon_agents", "gauge", "Agent sessions (tagged trees) alive.", s->n_agents);
	family(out, "agentmon_agent_processes", "gauge", "Live tagged processes, by agent name.");
	for (i = 0; i < s->n_agents; i = j) {
		for (procs = 0, j = i; j < s->n_agents &&
		     !strcmp(s->agents[j].name, s->agents[i].name); j++)
			procs += s->agents[j].procs;
		labeled(out, "agentmon_agent_processes", "agent", s->agents[i].name, procs);
	}
}

static void hooks(struct jw *out, const struct metrics_snap *m)
{
	family(out, "agentmon_hook_attached", "gauge", "BPF hook attached now (1) or not (0).");
	for (size_t i = 0; i < m->n_hooks; i++)
		labeled(out, "agentmon_hook_attached", "hook", m->hooks[i].name, m->hooks[i].attached);
	one(out, "agentmon_agent_hooks_attached", "gauge",
	    "Socket, packet and TLS hooks attached (an agent lives).", m->st->agent_hooks);
	family(out, "agentmon_tls_exe_by_path_total", "counter", "Binaries of processes over "
	       "before /proc/PID/exe was opened, looked for at their exec's path, by result.");
	pairs(out, "agentmon_tls_exe_by_path_total", "result", (const struct pair[]){
		{ "scanned", m->st->scans.exe_by_path }, { "gone", m->st->scans.exe_gone },
		{ "mismatch", m->st->scans.exe_mismatch } }, 3);
	one(out, "agentmon_tls_on_fuse_total", "counter", "Files an agent named on a FUSE mount "
	    "(or one the collector cannot see): never opened nor scanned, their TLS judged unseen.",
	    m->st->scans.on_fuse);
	one(out, "agentmon_tls_uprobe_links", "gauge", "TLS uprobe links held.",
	    m->st->resources.links);
	one(out, "agentmon_tls_uprobe_link_budget", "gauge", "TLS uprobe links allowed.",
	    m->st->resources.link_budget);
	if (!m->ring_known)
		return;
	one(out, "agentmon_ringbuf_size_bytes", "gauge", "Ring buffer size.", m->ring_size);
	one(out, "agentmon_ringbuf_used_bytes", "gauge",
	    "Ring buffer bytes written by the kernel and not yet read.", m->ring_used);
}

static void recording(struct jw *out, const struct status_recording *r)
{
	one(out, "agentmon_recording_enabled", "gauge", "Traces are recorded (1) or not (0).",
	    r->enabled && !r->failed);
	one(out, "agentmon_recording_bytes_total", "counter", "Trace bytes written.", r->bytes);
	one(out, "agentmon_recording_entries_total", "counter", "Trace entries written.",
	    r->entries);
}

static void process(struct jw *out, const struct metrics_snap *m)
{
	const struct status_resources *r = &m->st->resources;

	family(out, "process_cpu_seconds_total", "counter",
	       "Total user and system CPU time spent in seconds.");
	jw_printf(out, "process_cpu_seconds_total %.6f\n", m->cpu_seconds);
	one(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	    r->rss_bytes);
	if (r->fds_open >= 0)
		one(out, "process_open_fds", "gauge", "Number of open file descriptors.",
		    (uint64_t)r->fds_open);
	if (r->fds_limit && r->fds_limit != UINT64_MAX)
		one(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
		    r->fds_limit);
	family(out, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	jw_printf(out, "process_start_time_seconds %.3f\n", (double)m->st->started_ns / 1e9);
	one(out, "agentmon_conn_state_bytes", "gauge", "Per-connection state held.",
	    r->conn_bytes);
	one(out, "agentmon_conn_state_budget_bytes", "gauge", "Per-connection state budget.",
	    r->conn_budget);
	one(out, "agentmon_metrics_scrapes_total", "counter", "Metrics scrapes answered.",
	    m->scrapes);
}

int metrics_format(const struct metrics_snap *m, struct jw *out)
{
	const struct status *s = m->st;

	by_type(out, "agentmon_events_total", "Events shown, by event type.", s->events);
	lost(out, s);
	alerts(out, s, m->alerts);
	tail(out, &s->tail);
	export(out, &s->export);
	agents(out, s);
	hooks(out, m);
	recording(out, &s->recording);
	process(out, m);
	return out->oom ? -ENOMEM : 0;
}

void metrics_count_alert(struct metrics_alerts *a, const char *rule, const char *severity)
{
	struct metrics_alert_kind *k;
	size_t i;

	rule = rule ? rule : "unknown";
	severity = severity ? severity : "unknown";
	for (i = 0; i < a->n; i++) {
		k = &a->kinds[i];
		if (!strncmp(k->rule, rule, sizeof(k->rule) - 1) &&
		    !strncmp(k->severity, severity, sizeof(k->severity) - 1))
			break;
	}
	if (i == a->n) {
		if (a->n == METRICS_ALERT_KINDS) { /* full: the last slot is "other" */
			rule = "other";
			severity = "unknown";
			i = a->n;
		} else {
			a->n++;
		}
		k = &a->kinds[i];
		if (!k->count) {
			snprintf(k->rule, sizeof(k->rule), "%s", rule);
			snprintf(k->severity, sizeof(k->severity), "%s", severity);
		}
	}
	a->kinds[i].count++;
}

/* "127.0.0.1:9464", "[::1]:9464" */
int metrics_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len,
			 bool *loopback)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	const char *colon = s ? strrchr(s, ':') : NULL;
	char host[64], *end;
	size_t hl;
	long port;

	if (!colon || colon == s)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']') { /* [v6] */
		s++;
		hl -= 2;
	}
	port = strtol(colon + 1, &end, 10);
	if (hl >= sizeof(host) || !colon[1] || *end || port < 1 || port > 65535)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		*len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}
