// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* pipeline.c - decode -> enrich -> inspect -> detect -> show; see pipeline.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "connhold.h"
#include "decode.h"
#include "enrich.h"
#include "inspect.h"
#include "names.h"
#include "pipeline.h"
#include "status.h"

struct pipeline {
	struct pipeline_hooks hooks;
	struct proc_cache *cache;
	struct tagger tagger;
	struct enrich enrich;
	struct names *names;
	struct inspect *inspect;
	struct detect *detect;
	struct connhold *hold;     /* connects waiting for their ClientHello's name */
	uint64_t records, bad_records;
	uint64_t last_boot_ns;     /* ts of the last record decoded: the clock of a bad one */
	uint32_t self_pid;         /* who raises monitor_degraded (0 in a replay) */
	const char *degraded[PIPELINE_DEGRADED_MAX]; /* reasons already alerted */
	size_t n_degraded;
	char reason[256];          /* the drop event's reason while it is shown */
};

/* the two ends of the protocol stage: show (print), policy (judge) */
static void print(void *arg, struct event *ev)
{
	struct pipeline *pl = arg;

	pl->hooks.show(pl->hooks.arg, ev);
}

static void judge(void *arg, struct event *ev)
{
	detect_event(((struct pipeline *)arg)->detect, ev);
}

static void show_and_judge(struct pipeline *pl, struct event *ev)
{
	print(pl, ev);
	judge(pl, ev);
}

static void on_alert(void *arg, const struct event *ev)
{
	struct pipeline *pl = arg;

	pl->hooks.show(pl->hooks.arg, ev);
}

static bool is_llm(void *arg, const char *host)
{
	return detect_is_llm(((struct pipeline *)arg)->detect, host);
}

/* an exchange with a model API: shown, and kept for alerts' intent */
static void on_llm(void *arg, struct event *ev)
{
	struct pipeline *pl = arg;

	print(pl, ev);
	detect_llm(pl->detect, ev);
}

/* a TLS ClientHello of a tagged process: its connect (held) is named by its SNI first */
static void on_hello(void *arg, struct event *ev)
{
	struct pipeline *pl = arg;
	int how;

	connhold_hello(pl->hold, ev, inspect_hello_sni(pl->inspect));
	if (!pl->hooks.on_hello)
		return;
	how = pl->hooks.on_hello(pl->hooks.arg, ev);
	if (how != RULES_TLS_NONE)
		detect_tls(pl->detect, ev, (enum rules_tls)how);
}

/* a connect leaving the hold */
static void unhold(void *arg, struct event *ev)
{
	show_and_judge(arg, ev);
}

/* the kernel could not store ev's process's tag (its map is full) */
static void tag_lost(struct pipeline *pl, const struct event *ev)
{
	char summary[256];
	const char *agent = agents_name(pl->tagger.agents, ev->agent_id);

	snprintf(summary, sizeof(summary), "the kernel's tagged map is full: process %u (%s) "
		 "of agent %s is not tagged and not watched", ev->pid, ev->comm,
		 agent ? agent : "?");
	pipeline_degraded(pl, PIPELINE_TAG_MAP_FULL, summary, pl->last_boot_ns);
}

/* a finished event from enrich: captured bytes go to the protocol stage */
static void emit(void *arg, struct event *ev)
{
	struct pipeline *pl = arg;

	connhold_tick(pl->hold, pl->last_boot_ns);
	if (ev->type == AM_EV_DATA) {
		/* bytes that cannot be a ClientHello (a TLS handshake record)
		 * release their connect first: it is shown before the request
		 * and the alert they make */
		bool hello = ev->data.cap_len && ev->data.buf[0] == 0x16;

		/* what the agent sent explains its uploads; an answer read does
		 * not (a read side hooked with a blind send side: still blind) */
		if (ev->agent && ev->data.source == AM_DATA_TLS_SEND)
			detect_tls_plain(pl->detect, ev);
		if (ev->data.source == AM_DATA_SOCK_SEND && !hello)
			connhold_data(pl->hold, ev);
		inspect_data(pl->inspect, ev); /* a ClientHello releases its connect */
		if (ev->data.source == AM_DATA_SOCK_SEND && hello)
			connhold_data(pl->hold, ev);
		return;
	}
	if (ev->type == AM_EV_EXEC && ev->agent && pl->hooks.on_exec)
		pl->hooks.on_exec(pl->hooks.arg, ev);
	if (ev->type == AM_EV_OPEN && ev->agent && pl->hooks.on_open)
		pl->hooks.on_open(pl->hooks.arg, ev);
	if (ev->type == AM_EV_EXIT) {
		inspect_exit(pl->inspect, ev->pid); /* its exchanges' llm events first */
		connhold_exit(pl->hold, ev->pid);
	}
	else if (connhold_put(pl->hold, ev, pl->last_boot_ns))
		return;
	show_and_judge(pl, ev);
}

static int stages_new(struct pipeline *pl, const struct policy *p, const struct pipeline_opts *o,
		      char *err, size_t errlen)
{
	pl->cache = proc_cache_new();
	pl->names = names_new(0);
	pl->inspect = pl->names ? inspect_new(pl->names, print, judge, pl) : NULL;
	if (pl->inspect) {
		inspect_set_mem_budget(pl->inspect, o->conn_memory);
		inspect_on_llm_watch(pl->inspect, o->llm_watch, o->llm_watch_arg);
	}
	pl->hold = connhold_new(unhold, pl);
	if (!pl->cache || !pl->inspect || !pl->hold) {
		snprintf(err, errlen, "cannot set up the event pipeline: out of memory");
		return -ENOMEM;
	}
	inspect_on_hello(pl->inspect, on_hello);
	inspect_on_llm(pl->inspect, is_llm, on_llm);
	pl->tagger = (struct tagger){ .cache = pl->cache, .agents = p->agents,
		.procfs = o->procfs, .self_pid = o->self_pid,
		.write = o->tag_write, .write_arg = o->tag_arg };
	enrich_init(&pl->enrich, &pl->tagger, o->boot_to_real_ns, emit, pl);
	pl->enrich.names = pl->names;
	return detect_new(&pl->detect, p, pl->cache, on_alert, pl, o->webhooks, err, errlen);
}

int pipeline_new(struct pipeline **out, const struct policy *p, const struct pipeline_opts *o,
		 const struct pipeline_hooks *h, char *err, size_t errlen)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	int ret;

	if (!pl) {
		snprintf(err, errlen, "cannot set up the event pipeline: out of memory");
		return -ENOMEM;
	}
	pl->hooks = *h;
	pl->self_pid = o->self_pid;
	ret = stages_new(pl, p, o, err, errlen);
	if (ret) {
		pipeline_free(pl);
		return ret;
	}
	*out = pl;
	return 0;
}

void pipeline_free(struct pipeline *pl)
{
	if (!pl)
		return;
	if (pl->cache)
		enrich_tick(&pl->enrich, UINT64_MAX); /* unpaired net records */
	connhold_free(pl->hold);   /* connects still waiting for a name */
	inspect_free(pl->inspect); /* shows the requests it still holds */
	detect_free(pl->detect);   /* folded alerts out, webhooks stopped (rest spooled) */
	names_free(pl->names);
	proc_cache_free(pl->cache);
	free(pl);
}

/* a drop event of lost records at boot_ns; reason NULL: the kernel's ring buffer */
static void drop_event(struct pipeline *pl, uint64_t lost, uint64_t boot_ns, const char *reason)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_DROP;
	ev.agent_id = AM_AGENT_NONE;
	ev.ts_ns = boot_ns + (uint64_t)pl->enrich.boot_to_real_ns;
	ev.drop.lost = lost;
	ev.drop.reason = reason;
	show_and_judge(pl, &ev);
}

bool pipeline_degraded(struct pipeline *pl, const char *key, const char *summary,
		       uint64_t boot_ns)
{
	for (size_t i = 0; i < pl->n_degraded; i++)
		if (!strcmp(pl->degraded[i], key))
			return false;
	if (pl->n_degraded < PIPELINE_DEGRADED_MAX)
		pl->degraded[pl->n_degraded++] = key;
	detect_system_alert(pl->detect, "monitor_degraded", "high", summary,
			    boot_ns + (uint64_t)pl->enrich.boot_to_real_ns, pl->self_pid);
	return true;
}

/* a record that did not decode: a drop event with why, monitor_degraded once per why */
static void bad_record(struct pipeline *pl, const void *data, size_t size, const char *why)
{
	const char *type = "short";
	char summary[384];
	uint16_t t;

	if (data && size >= sizeof(struct am_hdr)) { /* memcpy: no alignment assumed */
		memcpy(&t, (const char *)data + offsetof(struct am_hdr, type), sizeof(t));
		type = event_type_name(t);
	}
	pl->bad_records++;
	snprintf(pl->reason, sizeof(pl->reason), "undecodable %s record (%zu bytes): %s",
		 type, size, why);
	drop_event(pl, 1, pl->last_boot_ns, pl->reason);
	snprintf(summary, sizeof(summary), "agentmon could not decode a kernel record, the "
		 "event it carried is lost: %s (each one is a drop event; status counts them)",
		 pl->reason);
	pipeline_degraded(pl, why, summary, pl->last_boot_ns);
}

int pipeline_record(struct pipeline *pl, const void *data, size_t size, const char **why)
{
	struct event ev;
	const char *reason = "no reason given";

	pl->records++;
	if (decode_record(data, size, &ev, &reason)) {
		bad_record(pl, data, size, reason);
		if (why)
			*why = reason;
		return -EBADMSG;
	}
	pl->last_boot_ns = ev.ts_ns;
	if (ev.flags & AM_F_TAG_LOST)
		tag_lost(pl, &ev);
	inspect_clock(pl->inspect, ev.ts_ns);
	enrich_event(&pl->enrich, &ev);
	return 0;
}

bool pipeline_agent_record(struct pipeline *pl, const void *data, size_t size)
{
	struct am_hdr h;
	struct proc_info *pi;

	if (!data || size < sizeof(h))
		return false;
	memcpy(&h, data, sizeof(h)); /* no alignment assumed */
	if (h.agent_id != AM_AGENT_NONE)
		return true;
	pi = proc_cache_get(pl->cache, h.pid);
	return pi && pi->agent_id != AM_AGENT_NONE;
}

void pipeline_drop(struct pipeline *pl, uint64_t lost, uint64_t boot_ns)
{
	drop_event(pl, lost, boot_ns, NULL);
}

void pipeline_unwatched(struct pipeline *pl, const struct trace_unwatched *u)
{
	struct proc_info *pi = proc_cache_get(pl->cache, u->tgid);
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_TAG;
	ev.pid = ev.tid = u->tgid;
	ev.agent_pid = u->agent_pid;
	ev.agent_id = u->agent_id;
	ev.agent = agents_name(pl->tagger.agents, u->agent_id);
	if (!ev.agent)
		return; /* no agent: nothing to report on */
	ev.ts_ns = u->ts_ns + (uint64_t)pl->enrich.boot_to_real_ns;
	ev.tag.how = "scan";
	ev.tag.since_ns = u->since_ns + (uint64_t)pl->enrich.boot_to_real_ns;
	if (pi) {
		ev.ppid = pi->ppid;
		ev.uid = pi->uid;
		memcpy(ev.comm, pi->comm, sizeof(ev.comm));
		ev.exe = pi->exe;
	}
	show_and_judge(pl, &ev);
}

void pipeline_tick(struct pipeline *pl, uint64_t boot_ns, uint64_t wall_ns)
{
	enrich_tick(&pl->enrich, boot_ns);
	connhold_tick(pl->hold, boot_ns);
	inspect_tick(pl->inspect, boot_ns);
	detect_tick(pl->detect, wall_ns);
}

int pipeline_set_policy(struct pipeline *pl, const struct policy *p, char *err, size_t errlen)
{
	pl->tagger.agents = p->agents;
	return detect_set_policy(pl->detect, p, err, errlen);
}

void pipeline_set_boot(struct pipeline *pl, int64_t boot_to_real_ns)
{
	pl->enrich.boot_to_real_ns = boot_to_real_ns;
}

struct proc_cache *pipeline_cache(struct pipeline *pl)
{
	return pl->cache;
}

struct tagger *pipeline_tagger(struct pipeline *pl)
{
	return &pl->tagger;
}

struct detect *pipeline_detect(struct pipeline *pl)
{
	return pl->detect;
}

void pipeline_conn_mem(const struct pipeline *pl, struct inspect_mem *m)
{
	inspect_mem(pl->inspect, m);
}

void pipeline_http_status(const struct pipeline *pl, struct status_http *h)
{
	inspect_status(pl->inspect, h);
	h->uploads_evicted = detect_upload_evictions(pl->detect);
}

uint64_t pipeline_records(const struct pipeline *pl, uint64_t *bad)
{
	if (bad)
		*bad = pl->bad_records;
	return pl->records;
}
