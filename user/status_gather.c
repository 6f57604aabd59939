// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * status_gather.c - the status assembly's one home (see status.h): a
 * running collector's figures asked of the loader, the pipeline, the
 * control socket and the recorder.  Apart from status.c (formatting), which
 * links without the loader (the fuzz targets).
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"

#include "control.h"
#include "detect.h"
#include "inspect.h"
#include "load.h"
#include "pipeline.h"
#include "record.h"
#include "status.h"
#include "tls_watch.h"

static void gather_recording(const struct status_sources *src, struct status_recording *r)
{
	struct record_status rs;

	if (!src->rec)
		return; /* off */
	recorder_status(src->rec, &rs);
	r->enabled = true;
	snprintf(r->dir, sizeof(r->dir), "%s", src->record_dir);
	snprintf(r->file, sizeof(r->file), "%s", rs.file);
	r->bytes = rs.bytes;
	r->files = rs.files;
	r->entries = rs.entries;
	r->lost = rs.lost;
	r->pruned = rs.pruned;
	r->masked = rs.masked;
	r->scrub_evicted = rs.scrub_evicted;
	r->scrub_h2_lost = rs.scrub_h2_lost;
	r->scrub_h2_resumed = rs.scrub_h2_resumed;
	r->scrub_h2_cut_kept = rs.scrub_h2_cut_kept;
	r->scrub_h2_as_text = rs.scrub_h2_as_text;
	r->failed = rs.failed;
	snprintf(r->reason, sizeof(r->reason), "%s", rs.reason);
}

static void gather_uprobes(struct loader *l, struct status_tls_uprobes *u)
{
	struct loader_tls_scope t;

	loader_tls_scope(l, &t);
	u->hooked = t.hooked;
	u->scoped = t.scoped;
	snprintf(u->wide_why, sizeof(u->wide_why), "%s", t.wide_why);
	u->processes = t.cover.procs;
	u->attaches = t.cover.roots;
	u->fds = t.cover.fds;
	u->attached = t.cover.attached;
	u->inherited = t.cover.inherited;
	u->guarded = t.cover.guarded;
	u->full_guards = t.cover.full_guards;
	u->failed = t.cover.failed;
	u->unsure = t.cover.unsure;
}

/* the scanner thread's figures */
static void gather_scans(struct loader *l, struct status_scans *c)
{
	struct loader_scans t;

	loader_scans(l, &t);
	*c = (struct status_scans){ .thread = t.thread, .depth = t.depth, .queued = t.queued,
		.done = t.done, .timed_out = t.timed_out, .failed = t.failed,
		.dropped = t.dropped, .stale = t.stale, .untold = t.untold, .max_ms = t.max_ns / 1000000,
		.cache_hits = t.cache_hits, .cache_failed = t.cache_failed, .evicted = t.evicted,
		.exe_by_path = t.exe_by_path, .exe_gone = t.exe_gone, .exe_mismatch = t.exe_mismatch,
		.on_fuse = t.on_fuse };
	snprintf(c->cache, sizeof(c->cache), "%s", t.cache ? t.cache : "");
}

/* descriptors, uprobe links, memory */
static void gather_resources(const struct status_sources *src, struct status_resources *r)
{
	struct loader_links ll;
	struct rlimit lim;
	unsigned long long pages, rss;
	struct inspect_mem m;
	FILE *f;

	pipeline_conn_mem(src->pl, &m);
	r->conn_bytes = m.bytes;
	r->conn_budget = m.budget;
	r->conn_evicted = m.evicted;
	r->llm_evicted = m.llm_evicted;
	r->agent_names = agents_count(src->agents);
	r->agent_names_max = AGENTS_LAUNCHED_MAX;
	r->agent_names_recycled = agents_renames(src->agents);
	r->agent_names_refused = agents_refused(src->agents);
	r->llm_unread = m.llm_unread;
	r->llm_inflate_cut = m.llm_inflate_cut;
	r->fds_open = am_fds_open();
	if (!getrlimit(RLIMIT_NOFILE, &lim))
		r->fds_limit = lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : lim.rlim_cur;
	loader_links(src->loader, &ll);
	r->links = ll.links;
	r->link_budget = ll.budget;
	r->links_per_binary = ll.per_binary;
	r->links_released = ll.released;
	r->links_refused = ll.refused;
	if ((f = fopen("/proc/self/statm", "re"))) {
		if (fscanf(f, "%llu %llu", &pages, &rss) == 2)
			r->rss_bytes = rss * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
}

int status_gather(struct status *s, const struct status_sources *src)
{
	const struct loader_gap *gaps;

	s->pid = src->pid;
	s->started_ns = src->started_wall_ns;
	s->uptime_ns = src->uptime_ns;
	snprintf(s->socket, sizeof(s->socket), "%s", src->socket ? src->socket : "");
	memcpy(s->events, src->shown, sizeof(s->events));
	loader_drops(src->loader, s->drops);
	s->alerts = detect_alerts(pipeline_detect(src->pl));
	s->alerts_folded = detect_alerts_folded(pipeline_detect(src->pl));
	s->agent_hooks = loader_agent_hooks_on(src->loader);
	snprintf(s->hooks, sizeof(s->hooks), "%s", loader_status(src->loader));
	gaps = loader_gaps(src->loader, &s->n_gaps);
	memcpy(s->gaps, gaps, s->n_gaps * sizeof(*gaps));
	control_tail_status(src->ctl, &s->tail);
	gather_recording(src, &s->recording);
	detect_webhook_status(pipeline_detect(src->pl), &s->webhooks);
	if (src->export)
		export_status(src->export, &s->export);
	pipeline_http_status(src->pl, &s->http);
	pipeline_records(src->pl, &s->degraded.undecodable);
	s->degraded.tags_lost = loader_faults(src->loader, AM_FAULT_TAG_FULL);
	s->degraded.tls_no_socket = loader_faults(src->loader, AM_FAULT_TLS_NOSOCK);
	s->degraded.tag_bits_lost = loader_faults(src->loader, AM_FAULT_TAG_BIT);
	s->degraded.tag_writes_failed = src->tag_writes_failed;
	s->degraded.scratch_busy = loader_faults(src->loader, AM_FAULT_SCRATCH_BUSY);
	gather_uprobes(src->loader, &s->tls_uprobes);
	gather_scans(src->loader, &s->scans);
	s->tls_bins = tls_watch_bins(src->tls, &s->n_tls_bins);
	s->own_uid = src->own_uid;
	s->uid = src->uid;
	gather_resources(src, &s->resources);
	return status_add_agents(s, pipeline_cache(src->pl), src->agents);
}

int status_answer(const struct status_sources *src, bool json, struct jw *out)
{
	struct status s;
	int ret;

	status_init(&s);
	ret = status_gather(&s, src);
	if (!ret)
		ret = status_format(&s, json, out);
	status_release(&s);
	return ret;
}
