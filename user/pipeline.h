/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pipeline.h - the event pipeline that live runs and replays share:
 *
 *   kernel record -> decode -> enrich (tag, process cache, paths, pairing)
 *     -> inspect (bytes -> http, dns, host names) -> detect (policy, alerts)
 *     -> show (the caller's sinks: output, tail clients)
 *
 * A live run feeds it records from the ring buffer and ticks from its loop
 * clock; a replay feeds it the records and ticks a trace holds, with procfs
 * NULL so that nothing is read from the host.  Same input, same output.
 */
#ifndef AGENTMON_PIPELINE_H
#define AGENTMON_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "event.h"
#include "policy.h"
#include "proc_cache.h"
#include "tag.h"
#include "trace.h"

/* what the pipeline calls back; only show is required */
struct pipeline_hooks {
	/* every event to be shown: agent events, http, dns, alerts, drops */
	void (*show)(void *arg, const struct event *ev);
	/* live runs: an agent's exec (hook its TLS library) */
	void (*on_exec)(void *arg, const struct event *ev);
	/* live runs: an agent's open (a shared object it will map is scanned) */
	void (*on_open)(void *arg, const struct event *ev);
	/* live runs: a ClientHello was sent; is its plaintext read (enum
	 * rules_tls: RULES_TLS_NONE yes, else unseen_tls judges the connection) */
	int (*on_hello)(void *arg, struct event *ev);
	void *arg;
};

struct pipeline_opts {
	const char *procfs;        /* "/proc" live; NULL in a replay */
	uint32_t self_pid;         /* never tagged; 0 in a replay */
	tag_write_fn tag_write;    /* the kernel side of a userspace tag; NULL in a replay */
	void *tag_arg;
	int64_t boot_to_real_ns;   /* add to boot ns to get wall ns */
	bool webhooks;             /* deliver alerts to the policy's webhooks */
	size_t conn_memory;        /* per-connection state budget (inspect.h); 0: default */
	/* the kernel side of inspect_on_llm_watch; NULL in a replay */
	void (*llm_watch)(void *arg, uint32_t pid, uint64_t bytes);
	void *llm_watch_arg;
};

struct pipeline;

/*
 * pipeline_new - the stages over policy p (not owned: see
 * pipeline_set_policy).  Returns 0, -ENOMEM, or -errno with err set when a
 * webhook cannot be set up.
 */
int pipeline_new(struct pipeline **out, const struct policy *p, const struct pipeline_opts *o,
		 const struct pipeline_hooks *h, char *err, size_t errlen);
/* show what is still held (unpaired net records, requests awaiting their
 * response, folded alerts), stop the webhooks (the rest is spooled), free */
void pipeline_free(struct pipeline *pl);

/*
 * pipeline_record - one kernel record in; 0, or -EBADMSG with *why set (why
 * may be NULL) when it does not decode: then a drop event (lost 1, reason
 * "undecodable <type> record (<n> bytes): <why>") is shown and
 * monitor_degraded raised once per why.  Counted: pipeline_records.
 */
int pipeline_record(struct pipeline *pl, const void *data, size_t size, const char **why);
/*
 * pipeline_agent_record - after pipeline_record: whether the record is an
 * agent's (the kernel tagged it, or its process is tagged now: a candidate
 * exec found to be an agent).  Only these are recorded: the argv and cwd of
 * other processes, of any user, never reach a trace.
 */
bool pipeline_agent_record(struct pipeline *pl, const void *data, size_t size);
/* the kernel could not deliver lost records: a drop event */
void pipeline_drop(struct pipeline *pl, uint64_t lost, uint64_t boot_ns);

/* the key of a tag the kernel could not store (AM_F_TAG_LOST, AM_FAULT_TAG_FULL) */
#define PIPELINE_TAG_MAP_FULL "tag_map_full"
#define PIPELINE_DEGRADED_MAX 64 /* reasons remembered; later ones always alert */
/*
 * pipeline_degraded - the monitor lost sight of something: a
 * monitor_degraded alert (severity high, summary) at boot_ns, once per key
 * (a string that outlives the pipeline: a literal).  Returns whether it
 * was raised now.
 */
bool pipeline_degraded(struct pipeline *pl, const char *key, const char *summary,
		       uint64_t boot_ns);
/*
 * pipeline_unwatched - one AM_EV_TAG event: u->tgid was tagged (by the /proc
 * scan) with a past nobody watched, from u->since_ns to u->ts_ns (boot ns);
 * the process's details come from the cache (the trace's TRACE_PROC)
 */
void pipeline_unwatched(struct pipeline *pl, const struct trace_unwatched *u);
/* the clock moved: release what waited long enough (pairs, responses, alert windows) */
void pipeline_tick(struct pipeline *pl, uint64_t boot_ns, uint64_t wall_ns);
/* a new policy (not owned); its agents table must keep the old ids.
 * 0, or -errno with err set (the alerts still flow, without webhooks) */
int pipeline_set_policy(struct pipeline *pl, const struct policy *p, char *err, size_t errlen);
/* change the boot-to-wall offset (a replayed trace from another boot) */
void pipeline_set_boot(struct pipeline *pl, int64_t boot_to_real_ns);

struct proc_cache *pipeline_cache(struct pipeline *pl);
struct tagger *pipeline_tagger(struct pipeline *pl);
struct detect *pipeline_detect(struct pipeline *pl);
/* records fed and records refused as malformed */
/* what the protocol and policy stages could not keep, for status */
struct status_http;
/* the per-connection state's memory (inspect.h) */
struct inspect_mem;
void pipeline_conn_mem(const struct pipeline *pl, struct inspect_mem *m);
void pipeline_http_status(const struct pipeline *pl, struct status_http *h);
uint64_t pipeline_records(const struct pipeline *pl, uint64_t *bad);

#endif
