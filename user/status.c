// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * status.c - the collector's health figures and their two formats (see
 * status.h).  Library code: returns errors, never prints.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "event.h"
#include "proc_cache.h"
#include "status.h"

#define KEY_WIDTH 15   /* text: values start in this column */

void status_init(struct status *s)
{
	memset(s, 0, sizeof(*s));
}

void status_release(struct status *s)
{
	free(s->agents);
	s->agents = NULL;
	s->n_agents = s->cap_agents = 0;
}

/* where (name, pid) is or goes in the sorted agents; *found when it is there */
static size_t agent_slot(const struct status *s, const char *name, uint32_t pid, bool *found)
{
	size_t i = 0;
	int cmp = 1;

	for (; i < s->n_agents; i++) {
		cmp = strcmp(s->agents[i].name, name);
		if (!cmp)
			cmp = s->agents[i].agent_pid < pid ? -1 : s->agents[i].agent_pid > pid;
		if (cmp >= 0)
			break;
	}
	*found = i < s->n_agents && cmp == 0;
	return i;
}

int status_add_proc(struct status *s, const char *name, uint32_t agent_pid)
{
	struct status_agent *a;
	bool found;
	size_t i = agent_slot(s, name, agent_pid, &found);

	if (!found) {
		if (s->n_agents == s->cap_agents) {
			size_t cap = s->cap_agents ? s->cap_agents * 2 : 8;

			a = realloc(s->agents, cap * sizeof(*a));
			if (!a)
				return -ENOMEM;
			s->agents = a;
			s->cap_agents = cap;
		}
		memmove(s->agents + i + 1, s->agents + i, (s->n_agents - i) * sizeof(*a));
		memset(&s->agents[i], 0, sizeof(*a));
		snprintf(s->agents[i].name, sizeof(s->agents[i].name), "%s", name);
		s->agents[i].agent_pid = agent_pid;
		s->n_agents++;
	}
	s->agents[i].procs++;
	return 0;
}

struct agents_walk {
	struct status *s;
	const struct agents *names;
};

/* a tagged process still alive (its exit may have been lost) counts */
static int count_proc(struct proc_info *p, void *arg)
{
	struct agents_walk *w = arg;
	const char *name;

	if (p->agent_id == AM_AGENT_NONE || (w->s->own_uid && p->uid != w->s->uid) ||
	    (kill((pid_t)p->pid, 0) && errno == ESRCH))
		return 0;
	name = agents_name(w->names, p->agent_id);
	return status_add_proc(w->s, name ? name : "?", p->agent_pid);
}

int status_add_agents(struct status *s, struct proc_cache *pc, const struct agents *names)
{
	struct agents_walk w = { .s = s, .names = names };

	return proc_cache_each(pc, count_proc, &w);
}

/* the name of an event type; the kernel's data records too */
static const char *type_name(uint32_t t)
{
	return t == AM_EV_DATA ? "data" : event_type_name(t);
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t total = 0;

	for (size_t t = 0; t < STATUS_TYPES; t++)
		total += v[t];
	return total;
}

/* "2026-11-25T12:00:00Z" */
static void wall_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- text ---- */

/* one line: indent, "key:" padded to the value column, the value */
static void line(struct jw *out, int indent, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line(struct jw *out, int indent, const char *key, const char *fmt, ...)
{
	char buf[3 * STATUS_PATH_MAX];  /* a value may hold two paths */
	int n = snprintf(buf, 128, "%*s%s:", indent, "", key); /* keys are short */
	va_list ap;

	if (n < 0 || n >= 128)
		n = 127;
	if (n < KEY_WIDTH)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%*s", KEY_WIDTH - n, "");
	buf[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	jw_raw(out, buf, strlen(buf));
	jw_raw(out, "\n", 1);
}

static void text_uptime(const struct status *s, struct jw *out)
{
	uint64_t sec = s->uptime_ns / 1000000000ull;
	char since[32];

	wall_time(s->started_ns, since, sizeof(since));
	line(out, 0, "uptime", "%llud %02lluh %02llum %02llus (since %s)",
	     (unsigned long long)(sec / 86400), (unsigned long long)(sec / 3600 % 24),
	     (unsigned long long)(sec / 60 % 60), (unsigned long long)(sec % 60), since);
	line(out, 0, "collector", "pid %u, socket %s", s->pid, s->socket);
}

static void text_agents(const struct status *s, struct jw *out)
{
	line(out, 0, "agents", "%zu tagged", s->n_agents);
	for (size_t i = 0; i < s->n_agents; i++)
		line(out, 2, s->agents[i].name, "root pid %u, %u process%s",
		     s->agents[i].agent_pid, s->agents[i].procs,
		     s->agents[i].procs == 1 ? "" : "es");
}

/* a total, then one indented line per type with a non-zero count */
static void text_by_type(struct jw *out, const char *key, const uint64_t *v)
{
	line(out, 0, key, "%llu", (unsigned long long)sum(v));
	for (uint32_t t = 0; t < STATUS_TYPES; t++)
		if (v[t])
			line(out, 2, type_name(t), "%llu", (unsigned long long)v[t]);
}

static void text_recording(const struct status_recording *r, struct jw *out)
{
	if (!r->enabled)
		line(out, 0, "recording", "off");
	else if (r->failed)
		line(out, 0, "recording", "failed in %s: %s", r->dir, r->reason);
	else
		line(out, 0, "recording", "on, %s, writing %s, %llu file%s, %llu bytes", r->dir,
		     r->file[0] ? r->file : "-", (unsigned long long)r->files,
		     r->files == 1 ? "" : "s", (unsigned long long)r->bytes);
	if (r->enabled)
		line(out, 2, "entries", "%llu written, %llu lost, %llu files pruned",
		     (unsigned long long)r->entries, (unsigned long long)r->lost,
		     (unsigned long long)r->pruned);
	if (r->enabled)
		line(out, 2, "secrets", "%llu bytes masked; %llu streams' state evicted, "
		     "%llu HTTP/2 header tables lost, %llu HTTP/2 streams met mid-way, "
		     "%llu cut symbols kept, %llu HTTP/2 streams maybe read as text",
		     (unsigned long long)r->masked, (unsigned long long)r->scrub_evicted,
		     (unsigned long long)r->scrub_h2_lost, (unsigned long long)r->scrub_h2_resumed,
		     (unsigned long long)r->scrub_h2_cut_kept, (unsigned long long)r->scrub_h2_as_text);
}

static void text_webhooks(const struct status_webhooks *w, struct jw *out)
{
	if (!w->count) {
		line(out, 0, "webhooks", "none");
		return;
	}
	line(out, 0, "webhooks", "%u: %llu delivered, %llu queued, %llu spooled, "
	     "%llu failed attempts, %llu rejected, %llu dropped (queue full), %llu expired",
	     w->count, (unsigned long long)w->delivered,
	     (unsigned long long)w->queued, (unsigned long long)w->spooled,
	     (unsigned long long)w->failed, (unsigned long long)w->rejected,
	     (unsigned long long)w->dropped, (unsigned long long)w->expired);
	if (w->last_error[0])
		line(out, 2, "last error", "%s", w->last_error);
}

static void text_export(const struct export_status *x, struct jw *out)
{
	if (!x->on) {
		line(out, 0, "export", "none");
		return;
	}
	line(out, 0, "export", "nats %s (%s), subject %s.<type>, %s", x->url,
	     x->connected ? "connected" : "not connected", x->subject,
	     x->events ? "alerts and events" : "alerts");
	line(out, 2, "messages", "%llu acked (%llu duplicates), %llu queued, %llu in flight, "
	     "%llu spooled (%llu bytes), %llu failed attempts, %llu lost, %llu damaged",
	     (unsigned long long)x->acked, (unsigned long long)x->duplicates,
	     (unsigned long long)x->queued, (unsigned long long)x->inflight,
	     (unsigned long long)x->spooled, (unsigned long long)x->spool_bytes,
	     (unsigned long long)x->failed, (unsigned long long)x->lost,
	     (unsigned long long)x->damaged);
	if (x->last_error[0])
		line(out, 2, "last error", "%s", x->last_error);
}

static void text_http(const struct status_http *h, struct jw *out)
{
	line(out, 0, "http", "%llu heads judged incomplete, %llu partial heads evicted, "
	     "%llu cut by the budget, %llu connections evicted, %llu upload counts evicted, "
	     "%llu socketless TLS answer reads (%llu bytes) not attributed",
	     (unsigned long long)h->heads_incomplete, (unsigned long long)h->heads_evicted,
	     (unsigned long long)h->heads_budget, (unsigned long long)h->conns_evicted,
	     (unsigned long long)h->uploads_evicted, (unsigned long long)h->answers_unattributed,
	     (unsigned long long)h->answers_unattributed_bytes);
}

static void text_degraded(const struct status_degraded *d, struct jw *out)
{
	line(out, 0, "degraded", "%llu undecodable records, %llu tags lost (tagged map full), "
	     "%llu tag writes failed, %llu records lost (scratch buffers busy), "
	     "%llu TLS records without socket, %llu tag bits lost",
	     (unsigned long long)d->undecodable, (unsigned long long)d->tags_lost,
	     (unsigned long long)d->tag_writes_failed, (unsigned long long)d->scratch_busy,
	     (unsigned long long)d->tls_no_socket, (unsigned long long)d->tag_bits_lost);
}

static void text_uprobes(const struct status_tls_uprobes *u, struct jw *out)
{
	if (!u->hooked)
		line(out, 0, "tls uprobes", "none attached");
	else if (!u->scoped)
		line(out, 0, "tls uprobes", "system-wide (every process traps on TLS calls: %s)",
		     u->wide_why);
	else
		line(out, 0, "tls uprobes", "per agent process: %u covered by %u attaches (%d "
		     "perf fds); since start %llu attaches, %llu covered at fork (%llu guarded, "
		     "%llu full), %llu not covered, %llu connections opened before their "
		     "uprobes", u->processes, u->attaches, u->fds,
		     (unsigned long long)u->attached, (unsigned long long)u->inherited,
		     (unsigned long long)u->guarded, (unsigned long long)u->full_guards,
		     (unsigned long long)u->failed, (unsigned long long)u->unsure);
}

static void text_resources(const struct status_resources *r, struct jw *out)
{
	line(out, 0, "descriptors", "%lld open of %llu; TLS uprobe links %llu (%llu a "
	     "binary) of a budget of %llu shared with the per-process perf fds, %llu released, "
	     "%llu refused", (long long)r->fds_open,
	     (unsigned long long)r->fds_limit, (unsigned long long)r->links,
	     (unsigned long long)r->links_per_binary, (unsigned long long)r->link_budget,
	     (unsigned long long)r->links_released, (unsigned long long)r->links_refused);
	line(out, 0, "memory", "%llu KiB resident; connections' state %llu of %llu KiB, "
	     "%llu evicted (%llu model exchanges cut); model answers %llu not decoded "
	     "(encoding), %llu cut decoding", (unsigned long long)r->rss_bytes >> 10,
	     (unsigned long long)r->conn_bytes >> 10, (unsigned long long)r->conn_budget >> 10,
	     (unsigned long long)r->conn_evicted, (unsigned long long)r->llm_evicted,
	     (unsigned long long)r->llm_unread, (unsigned long long)r->llm_inflate_cut);
	line(out, 0, "agent names", "%llu (launched ones up to %llu, then recycled: %llu; "
	     "%llu launches refused)", (unsigned long long)r->agent_names,
	     (unsigned long long)r->agent_names_max, (unsigned long long)r->agent_names_recycled,
	     (unsigned long long)r->agent_names_refused);
}

static void text_scans(const struct status_scans *c, struct jw *out)
{
	line(out, 0, "tls scans", "%s; %llu waiting, %llu queued, %llu done (%llu timed out, "
	     "%llu failed), %llu dropped (queue full), %llu changed while read, %llu verdicts "
	     "evicted, %llu joiners untold; longest %llu ms",
	     c->thread ? "off the event loop" : "on the event loop (no scanner thread)",
	     (unsigned long long)c->depth, (unsigned long long)c->queued,
	     (unsigned long long)c->done, (unsigned long long)c->timed_out,
	     (unsigned long long)c->failed, (unsigned long long)c->dropped,
	     (unsigned long long)c->stale, (unsigned long long)c->evicted,
	     (unsigned long long)c->untold, (unsigned long long)c->max_ms);
	line(out, 2, "exe by path", "%llu scanned (process over before /proc/PID/exe was "
	     "opened: the file at its exec's path, the one the kernel ran), %llu not found, "
	     "%llu refused (another file at the path)", (unsigned long long)c->exe_by_path,
	     (unsigned long long)c->exe_gone, (unsigned long long)c->exe_mismatch);
	line(out, 2, "on fuse", "%llu file%s not opened nor scanned (on a FUSE mount, or one the "
	     "collector cannot see: its server could block the event loop); their TLS is "
	     "judged unseen", (unsigned long long)c->on_fuse, c->on_fuse == 1 ? "" : "s");
	if (c->cache[0])
		line(out, 2, "cache", "%s: %llu hit%s (hooked unscanned), %llu write%s failed",
		     c->cache, (unsigned long long)c->cache_hits, c->cache_hits == 1 ? "" : "s",
		     (unsigned long long)c->cache_failed, c->cache_failed == 1 ? "" : "s");
	else
		line(out, 2, "cache", "none (--tls-cache none): every binary is scanned");
}

static void text_tls(const struct status *s, struct jw *out)
{
	text_uprobes(&s->tls_uprobes, out);
	text_scans(&s->scans, out);
	line(out, 0, "tls binaries", "%zu (hooked: plaintext read; unseen: judged by bytes, "
	     "unseen_tls)", s->n_tls_bins);
	for (size_t i = 0; i < s->n_tls_bins; i++)
		line(out, 2, tls_watch_name(s->tls_bins[i].verdict), "%s (%s)", s->tls_bins[i].exe,
		     s->tls_bins[i].why);
}

/* what only root sees: the monitor's own figures */
static void text_figures(const struct status *s, struct jw *out)
{
	const struct status_tail *t = &s->tail;

	text_by_type(out, "events", s->events);
	text_by_type(out, "drops", s->drops);
	line(out, 0, "alerts", "%llu (%llu more folded into alert_storm summaries)",
	     (unsigned long long)s->alerts, (unsigned long long)s->alerts_folded);
	line(out, 0, "agent hooks", "%s", s->agent_hooks ? "attached" :
	     "detached (no agent process alive: untagged processes pay nothing)");
	if (s->hooks[0])
		line(out, 2, "hooks", "%s", s->hooks);
	for (size_t i = 0; i < s->n_gaps; i++)
		line(out, 2, "missing now", "%s: %s", s->gaps[i].hook, s->gaps[i].why);
	line(out, 0, "tail clients", "%u connected, %llu served, %llu events missed, "
	     "%llu gone, %llu refused", t->connected, (unsigned long long)t->served,
	     (unsigned long long)t->missed, (unsigned long long)t->gone,
	     (unsigned long long)t->refused);
	line(out, 0, "idle connections", "%llu timed out, %llu evicted",
	     (unsigned long long)t->timed_out, (unsigned long long)t->evicted);
	text_recording(&s->recording, out);
	text_webhooks(&s->webhooks, out);
	text_export(&s->export, out);
	text_http(&s->http, out);
	text_degraded(&s->degraded, out);
	text_resources(&s->resources, out);
	text_tls(s, out);
}

static void status_text(const struct status *s, struct jw *out)
{
	text_uptime(s, out);
	text_agents(s, out);
	if (s->own_uid)
		line(out, 0, "figures", "monitor-wide figures are shown to root only");
	else
		text_figures(s, out);
}

/* ---- JSON ---- */

static void ju(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

/* a string, or null when empty */
static void js(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	jw_str(w, v && *v ? v : NULL);
}

/* key: an array of n objects, the fields of the i-th written by one */
static void json_list(struct jw *w, const char *key, const struct status *s, size_t n,
		      void (*one)(struct jw *w, const struct status *s, size_t i))
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		one(w, s, i);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_agent(struct jw *w, const struct status *s, size_t i)
{
	js(w, "name", s->agents[i].name);
	ju(w, "agent_pid", s->agents[i].agent_pid);
	ju(w, "processes", s->agents[i].procs);
}

static void json_agents(const struct status *s, struct jw *w)
{
	json_list(w, "agents", s, s->n_agents, json_agent);
}

static void json_by_type(struct jw *w, const char *key, const uint64_t *v)
{
	jw_key(w, key);
	jw_obj_begin(w);
	ju(w, "total", sum(v));
	for (uint32_t t = 0; t < STATUS_TYPES; t++)
		if (v[t])
			ju(w, type_name(t), v[t]);
	jw_obj_end(w);
}

struct figure {
	const char *key;
	uint64_t v;
};

/* "key": number for each of the n figures */
static void ju_all(struct jw *w, const struct figure *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ju(w, f[i].key, f[i].v);
}

static void json_tail(const struct status_tail *t, struct jw *w)
{
	const struct figure f[] = { { "connected", t->connected }, { "served", t->served },
		{ "missed", t->missed }, { "gone", t->gone }, { "refused", t->refused },
		{ "timed_out", t->timed_out }, { "evicted", t->evicted } };

	jw_key(w, "tail");
	jw_obj_begin(w);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	jw_obj_end(w);
}

static void json_recording(const struct status_recording *r, struct jw *w)
{
	jw_key(w, "recording");
	jw_obj_begin(w);
	jw_key(w, "enabled");
	jw_bool(w, r->enabled);
	js(w, "dir", r->dir);
	js(w, "file", r->file);
	ju(w, "bytes", r->bytes);
	ju(w, "files", r->files);
	ju(w, "entries", r->entries);
	ju(w, "lost", r->lost);
	ju(w, "pruned", r->pruned);
	ju(w, "secrets_masked", r->masked);
	ju(w, "scrub_evicted", r->scrub_evicted);
	ju(w, "scrub_h2_lost", r->scrub_h2_lost);
	ju(w, "scrub_h2_resumed", r->scrub_h2_resumed);
	ju(w, "scrub_h2_cut_kept", r->scrub_h2_cut_kept);
	ju(w, "scrub_h2_as_text", r->scrub_h2_as_text);
	jw_key(w, "failed");
	jw_bool(w, r->failed);
	js(w, "reason", r->reason);
	jw_obj_end(w);
}

static void json_webhooks(const struct status_webhooks *h, struct jw *w)
{
	const struct figure f[] = { { "count", h->count }, { "queued", h->queued },
		{ "delivered", h->delivered }, { "spooled", h->spooled }, { "failed", h->failed },
		{ "rejected", h->rejected }, { "dropped", h->dropped }, { "expired", h->expired } };

	jw_key(w, "webhooks");
	jw_obj_begin(w);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	js(w, "last_error", h->last_error);
	jw_obj_end(w);
}

static void json_export(const struct export_status *x, struct jw *w)
{
	const struct figure f[] = { { "queued", x->queued }, { "inflight", x->inflight },
		{ "spooled", x->spooled }, { "spool_bytes", x->spool_bytes },
		{ "acked", x->acked }, { "duplicates", x->duplicates }, { "failed", x->failed },
		{ "lost", x->lost }, { "damaged", x->damaged } };

	jw_key(w, "export");
	if (!x->on) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	js(w, "url", x->url);
	js(w, "subject", x->subject);
	jw_key(w, "connected");
	jw_bool(w, x->connected);
	jw_key(w, "events");
	jw_bool(w, x->events);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	js(w, "last_error", x->last_error);
	jw_obj_end(w);
}

static void json_http(const struct status_http *h, struct jw *w)
{
	const struct figure f[] = { { "heads_incomplete", h->heads_incomplete },
		{ "heads_evicted", h->heads_evicted }, { "heads_budget", h->heads_budget },
		{ "conns_evicted", h->conns_evicted }, { "uploads_evicted", h->uploads_evicted },
		{ "answers_unattributed", h->answers_unattributed },
		{ "answers_unattributed_bytes", h->answers_unattributed_bytes } };

	jw_key(w, "http");
	jw_obj_begin(w);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	jw_obj_end(w);
}

static void json_degraded(const struct status_degraded *d, struct jw *w)
{
	const struct figure f[] = { { "undecodable_records", d->undecodable },
		{ "tags_lost", d->tags_lost }, { "tag_writes_failed", d->tag_writes_failed },
		{ "scratch_busy", d->scratch_busy }, { "tls_no_socket", d->tls_no_socket },
		{ "tag_bits_lost", d->tag_bits_lost } };

	jw_key(w, "degraded");
	jw_obj_begin(w);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	jw_obj_end(w);
}

static void json_uprobes(const struct status_tls_uprobes *u, struct jw *w)
{
	const struct figure f[] = { { "processes", u->processes }, { "attaches", u->attaches },
		{ "perf_fds", (uint64_t)u->fds },
		{ "attached", u->attached }, { "covered_at_fork", u->inherited },
		{ "guarded", u->guarded }, { "full_guards", u->full_guards },
		{ "not_covered", u->failed }, { "unsure_connections", u->unsure } };

	jw_key(w, "tls_uprobes");
	jw_obj_begin(w);
	js(w, "scope", !u->hooked ? "none" : u->scoped ? "process" : "system");
	js(w, "system_wide_why", u->hooked && !u->scoped ? u->wide_why : "");
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	jw_obj_end(w);
}

static void json_resources(const struct status_resources *r, struct jw *w)
{
	const struct figure f[] = { { "fds_limit", r->fds_limit }, { "links", r->links },
		{ "link_budget", r->link_budget }, { "links_per_binary", r->links_per_binary },
		{ "links_released", r->links_released }, { "links_refused", r->links_refused },
		{ "rss_bytes", r->rss_bytes }, { "conn_bytes", r->conn_bytes },
		{ "conn_budget", r->conn_budget }, { "conn_evicted", r->conn_evicted },
		{ "llm_evicted", r->llm_evicted }, { "llm_unread", r->llm_unread },
		{ "llm_inflate_cut", r->llm_inflate_cut }, { "agent_names", r->agent_names },
		{ "agent_names_max", r->agent_names_max },
		{ "agent_names_recycled", r->agent_names_recycled },
		{ "agent_names_refused", r->agent_names_refused } };

	jw_key(w, "resources");
	jw_obj_begin(w);
	jw_key(w, "fds_open");
	jw_int(w, r->fds_open);
	ju_all(w, f, sizeof(f) / sizeof(f[0]));
	jw_obj_end(w);
}

static void json_scans(const struct status_scans *c, struct jw *w)
{
	jw_key(w, "tls_scans");
	jw_obj_begin(w);
	jw_key(w, "thread");
	jw_bool(w, c->thread);
	ju_all(w, (const struct figure[]){ { "depth", c->depth }, { "queued", c->queued },
		   { "done", c->done }, { "timed_out", c->timed_out }, { "failed", c->failed },
		   { "dropped", c->dropped }, { "stale", c->stale }, { "max_ms", c->max_ms },
		   { "cache_hits", c->cache_hits }, { "evicted", c->evicted },
		   { "untold", c->untold }, { "exe_by_path", c->exe_by_path },
		   { "exe_gone", c->exe_gone }, { "exe_mismatch", c->exe_mismatch },
		   { "on_fuse", c->on_fuse } }, 15);
	jw_obj_end(w);
}

static void json_tls_bin(struct jw *w, const struct status *s, size_t i)
{
	js(w, "exe", s->tls_bins[i].exe);
	js(w, "verdict", tls_watch_name(s->tls_bins[i].verdict));
	js(w, "why", s->tls_bins[i].why);
}

static void json_tls(const struct status *s, struct jw *w)
{
	json_uprobes(&s->tls_uprobes, w);
	json_scans(&s->scans, w);
	json_list(w, "tls_binaries", s, s->n_tls_bins, json_tls_bin);
}

/* one of the hooks missing or short now */
static void json_gap(struct jw *w, const struct status *s, size_t i)
{
	js(w, "hook", s->gaps[i].hook);
	js(w, "why", s->gaps[i].why);
	jw_key(w, "agent_hook");
	jw_bool(w, s->gaps[i].agent);
}

/* what only root sees: the monitor's own figures */
static void json_figures(const struct status *s, struct jw *w)
{
	json_by_type(w, "events", s->events);
	json_by_type(w, "drops", s->drops);
	ju(w, "alerts", s->alerts);
	ju(w, "alerts_folded", s->alerts_folded);
	jw_key(w, "agent_hooks");
	jw_bool(w, s->agent_hooks);
	js(w, "hooks", s->hooks);
	json_list(w, "hook_gaps", s, s->n_gaps, json_gap);
	json_tail(&s->tail, w);
	json_recording(&s->recording, w);
	json_webhooks(&s->webhooks, w);
	json_export(&s->export, w);
	json_http(&s->http, w);
	json_degraded(&s->degraded, w);
	json_resources(&s->resources, w);
	json_tls(s, w);
}

static void status_json(const struct status *s, struct jw *w)
{
	char since[32];

	wall_time(s->started_ns, since, sizeof(since));
	w->comma = false;
	jw_obj_begin(w);
	ju(w, "pid", s->pid);
	js(w, "started", since);
	ju(w, "uptime_s", s->uptime_ns / 1000000000ull);
	js(w, "socket", s->socket);
	json_agents(s, w);
	if (!s->own_uid) /* a client that is not root: its agents only */
		json_figures(s, w);
	jw_obj_end(w);
	jw_raw(w, "\n", 1);
	w->comma = false;
}

int status_format(const struct status *s, bool json, struct jw *out)
{
	if (json)
		status_json(s, out);
	else
		status_text(s, out);
	return out->oom ? -ENOMEM : 0;
}
