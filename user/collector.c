// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* collector.c - the run loop: ring buffer -> decode -> enrich -> sinks. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>

#include "collector.h"
#include "collector_int.h"
#include "common.h"
#include "control.h"
#include "launch.h"
#include "detect.h"
#include "load.h"
#include "export.h"
#include "metrics.h"
#include "pipeline.h"
#include "record.h"
#include "policy.h"
#include "tag.h"
#include "tls_watch.h"
#include "webhook.h"
#include "tagstore.h"

#define POLL_MS 100
#define SWEEP_NS (2ull * 1000 * 1000 * 1000) /* stale tags are looked for this often */


/* ---- the agent hooks: attached while an agent lives ---- */

/* an agent process appeared: its sockets and TLS calls need the hooks */
static void agent_hooks_on(struct collector *c)
{
	c->idle_since = 0;
	if (loader_agent_hooks(c->loader, true))
		am_debug("agent hooks attached (an agent process appeared)");
}

/* once a second: with no agent process for --idle-detach, detach them */
static void agent_hooks_idle(struct collector *c, uint64_t boot_ns)
{
	uint64_t idle_ns = c->opts->idle_detach_ns;

	if (!idle_ns || boot_ns - c->idle_checked < 1000000000ull ||
	    !loader_agent_hooks_on(c->loader))
		return;
	c->idle_checked = boot_ns;
	if (loader_any_tagged(c->loader)) { /* the kernel's truth, not the cache's */
		c->idle_since = 0;
	} else if (!c->idle_since) {
		c->idle_since = boot_ns;
	} else if (boot_ns - c->idle_since >= idle_ns) {
		loader_agent_hooks(c->loader, false);
		am_debug("agent hooks detached (no agent process for %llu s)",
			 (unsigned long long)(idle_ns / 1000000000ull));
	}
}

/* the kernel refused a tag: the process is not watched; counted, alerted once */
static void tag_write_failed(struct collector *c, uint32_t tgid, int err)
{
	char summary[256];

	c->tag_writes_failed++;
	snprintf(summary, sizeof(summary), "agentmon could not tag process %u in the kernel (%s): "
		 "its activity is not watched (status counts tag writes failed)", tgid,
		 strerror(-err));
	am_warn("%s", summary);
	if (c->pl)
		pipeline_degraded(c->pl, "tag_write_failed", summary, am_now_ns(CLOCK_BOOTTIME));
}

/* the names of new agent ids, before a tag uses them: the trace's and the pinned ones */
static void save_agents(struct collector *c)
{
	int ret;

	recorder_agents(c->rec, c->policy->agents, &c->agents_recorded, &c->renames_recorded);
	if ((ret = tagstore_save_names(&c->tags, c->policy->agents)))
		am_warn("cannot pin the agent names: %s; after a restart the tags of the "
			"agents added since are named '" TAGSTORE_UNKNOWN "'", strerror(-ret));
}

static int write_tag(void *arg, const struct tag_entry *e)
{
	struct collector *c = arg;
	struct am_tag t = { .agent_pid = e->agent_pid, .agent_id = e->agent_id,
			    .start_ns = e->start_ns };
	int ret;

	agent_hooks_on(c); /* before the process can connect */
	save_agents(c); /* the name of agent_id before the first use of it */
	ret = loader_tag(c->loader, e->tgid, &t);
	if (!ret) {
		if (loader_tls_root(c->loader, e->tgid)) /* before it runs (launch) */
			am_debug("tls uprobes: process %u attached", e->tgid);
		recorder_tag(c->rec, e->tgid, e->agent_pid, e->agent_id);
	}
	else
		tag_write_failed(c, e->tgid, ret);
	return ret;
}

/* the pid died while it was tagged: the tag goes, unless a new process has it */
static int unwrite_tag(void *arg, const struct tag_entry *e)
{
	struct collector *c = arg;

	return loader_untag_if(c->loader, e->tgid, e->start_ns);
}

static bool tag_held(void *arg, uint32_t tgid)
{
	struct collector *c = arg;

	return loader_tagged(c->loader, tgid);
}

static int tag_lookup(void *arg, uint32_t tgid, struct tag_entry *out)
{
	struct collector *c = arg;
	struct am_tag t;
	int ret = loader_lookup(c->loader, tgid, &t);

	if (!ret)
		*out = (struct tag_entry){ .tgid = tgid, .agent_pid = t.agent_pid,
					   .agent_id = t.agent_id, .start_ns = t.start_ns };
	return ret;
}

/* the /proc scan tagged a process: say once that its past was not watched */
static void tag_unwatched(void *arg, const struct tag_entry *e)
{
	struct collector *c = arg;
	struct trace_unwatched u = { .ts_ns = am_now_ns(CLOCK_BOOTTIME), .since_ns = e->start_ns,
		.tgid = e->tgid, .agent_pid = e->agent_pid, .agent_id = e->agent_id };

	recorder_unwatched(c->rec, &u);
	pipeline_unwatched(c->pl, &u);
}

/* every SWEEP_NS: untag the processes that are gone (or whose pid was reused) */
static void sweep(struct collector *c, uint64_t boot_ns)
{
	int n;

	if (boot_ns - c->swept < SWEEP_NS)
		return;
	c->swept = boot_ns;
	if ((n = tagstore_sweep(&c->tags)) > 0)
		am_debug("%d stale tag%s removed (the process is gone)", n, n == 1 ? "" : "s");
	loader_tls_sweep(c->loader);
}

/* a JSON line printed and exported, rendered once: output_event's result,
 * or 1 when it could not be rendered here (then each renders its own) */
static int render_once(struct collector *c, const struct event *ev)
{
	jw_reset(&c->line);
	c->line.comma = false;
	output_event_json(&c->line, ev);
	if (c->line.oom) {
		export_send(c->export, ev);
		return 1;
	}
	export_send_json(c->export, ev, c->line.buf, c->line.len); /* a loss is counted */
	return output_json_line(c->out, c->line.buf, c->line.len);
}

/* every event the pipeline shows: the output stream and the tail clients
 * (--print none: none printed; alerts: alerts and drops) */
static void show(void *arg, const struct event *ev)
{
	struct collector *c = arg;
	bool printed;
	int r = 1;

	c->shown[ev->type < STATUS_TYPES ? ev->type : 0]++;
	if (ev->type == AM_EV_ALERT && ev->alert)
		metrics_count_alert(&c->metrics.alerts, ev->alert->rule, ev->alert->severity);
	control_publish(&c->ctl, ev);
	printed = c->opts->print == PRINT_ALL ||
		  (c->opts->print == PRINT_ALERTS && (ev->type == AM_EV_ALERT ||
						     ev->type == AM_EV_DROP));
	if (printed && c->export && export_wants(c->export, ev) && output_is_json(c->out))
		r = render_once(c, ev);
	else if (c->export)
		export_send(c->export, ev); /* a loss is counted there */
	if (printed && r == 1)
		r = output_event(c->out, ev);
	if (r == -EPIPE)
		am_exiting = 1; /* nobody reads our output any more */
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct am_hdr *h = data;
	const char *why;
	uint64_t bad;

	if (size >= sizeof(*h) && h->agent_id != AM_AGENT_NONE && !loader_agent_hooks_on(c->loader))
		agent_hooks_on(c); /* the kernel tagged an agent at exec */
	if (size >= sizeof(*h))
		collector_tls_follow(c, h);
	if (pipeline_record(c->pl, data, size, &why)) {
		pipeline_records(c->pl, &bad);
		if (bad <= 10)
			am_warn("bad record from the kernel (%zu bytes): %s", size, why);
	}
	/* after the tags and /proc reads it caused; agents' records only */
	if (pipeline_agent_record(c->pl, data, size))
		recorder_record(c->rec, data, size);
	return 0;
}

/* turn the kernel's drop counters into a drop event with the exact count */
static void report_drops(struct collector *c)
{
	uint64_t total = loader_drops(c->loader, NULL);

	if (total <= c->drops_seen)
		return;
	pipeline_drop(c->pl, total - c->drops_seen, am_now_ns(CLOCK_BOOTTIME));
	recorder_drop(c->rec, am_now_ns(CLOCK_BOOTTIME), total - c->drops_seen);
	c->drops_seen = total;
}

/* tags the kernel could not store since the last look: monitor_degraded once */
static void report_faults(struct collector *c)
{
	uint64_t lost = loader_faults(c->loader, AM_FAULT_TAG_FULL);
	char summary[256];

	if (lost <= c->tags_lost_seen)
		return;
	c->tags_lost_seen = lost;
	snprintf(summary, sizeof(summary), "the kernel's tagged map is full: %llu agent "
		 "processes could not be tagged and are not watched", (unsigned long long)lost);
	pipeline_degraded(c->pl, PIPELINE_TAG_MAP_FULL, summary, am_now_ns(CLOCK_BOOTTIME));
}

/* push the policy's agent rules into the kernel */
static void add_rule(const char *basename, const struct am_exe_rule *rule, void *arg)
{
	int ret = loader_set_exe_rule(arg, basename, rule);

	if (ret)
		am_warn("cannot add the agent rule for '%s': %s", basename, strerror(-ret));
}

static int install_rules(struct collector *c)
{
	struct am_config cfg = { .collector_pid = (uint32_t)getpid() };
	int ret = loader_clear_exe_rules(c->loader);

	if (ret)
		return ret;
	cfg.candidate_all = agents_kernel_rules(c->policy->agents, add_rule, c->loader);
	return loader_set_config(c->loader, &cfg);
}

/* "launch NAME": tag the peer (by its kernel-given pid) and its tree (launch.c) */
static void on_request(void *arg, const struct control_peer *peer, const char *line,
		       char *reply, size_t len)
{
	struct collector *c = arg;

	if (launch_serve(c->policy->agents, pipeline_tagger(c->pl), peer, line, reply, len))
		am_debug("launch: %s (pid %d)", line, (int)peer->cred.pid);
}

/* a warning of the policy's webhooks (webhook_check_policy) */
static void say_warning(void *arg, const char *line)
{
	am_warn("%s", line);
}

static void reload(struct collector *c)
{
	struct policy *p = NULL;
	char err[512];

	am_reload = 0;
	if (policy_load(c->config, &p, err, sizeof(err)) ||
	    webhook_check_policy(p, say_warning, NULL, err, sizeof(err))) {
		am_err("policy reload refused, keeping the old one: %s", err);
		if (p)
			policy_free(p);
		return;
	}
	if (agents_rebase(p->agents, c->policy->agents)) { /* every tag keeps its agent */
		am_err("policy reload refused, keeping the old one: out of memory");
		policy_free(p);
		return;
	}
	if (pipeline_set_policy(c->pl, p, err, sizeof(err)))
		am_err("policy reload: webhooks: %s", err); /* alerts still printed */
	if (!policy_nats_same(c->policy->nats, p->nats))
		am_warn("policy reload: export changed: it takes effect at the next start");
	policy_free(c->policy);
	c->policy = p;
	if (output_view_policy(c->out, &p->view) || control_view_policy(&c->ctl, &p->view))
		am_err("policy reload: view: out of memory (its globs are off)");
	if (install_rules(c))
		am_err("policy reload: cannot update the kernel's agent rules");
	save_agents(c); /* new agents' names before their first records */
	if (!c->opts->metrics && strcmp(p->metrics_listen ? p->metrics_listen : "", c->metrics.addr))
		am_warn("policy reload: metrics.listen changed: it takes effect at the next start");
	am_info("policy reloaded from %s", c->config ? c->config : "<default>");
}

static int load_policy(struct collector *c)
{
	char err[512];

	c->config = c->opts->config;
	if (!c->config && access(AM_DEFAULT_CONFIG, F_OK) == 0)
		c->config = AM_DEFAULT_CONFIG;
	if (policy_load(c->config, &c->policy, err, sizeof(err)) ||
	    webhook_check_policy(c->policy, say_warning, NULL, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	return 0;
}

/* ---- recording ---- */

static int snapshot_proc(struct proc_info *pi, void *arg)
{
	if (pi->agent_id != AM_AGENT_NONE) /* others' exe and cwd stay out of traces */
		recorder_proc(arg, pi);
	return 0;
}

/* what a new trace file starts with: the agent table and the process table */
static void record_snapshot(struct recorder *r, void *arg)
{
	struct collector *c = arg;

	for (uint32_t id = 0; id < agents_count(c->policy->agents); id++)
		recorder_agent(r, id, agents_name(c->policy->agents, id));
	c->agents_recorded = (uint32_t)agents_count(c->policy->agents);
	c->renames_recorded = agents_renames(c->policy->agents);
	proc_cache_each(pipeline_cache(c->pl), snapshot_proc, r);
}

/* a process read from /proc: a replay cannot read it, the trace keeps it */
static void record_proc(const struct proc_info *pi, void *arg)
{
	struct collector *c = arg;

	if (pi->agent_id != AM_AGENT_NONE) /* an agent's: tagged before it is read */
		recorder_proc(c->rec, pi);
}

static int record_start(struct collector *c)
{
	const struct policy *p = c->policy;
	struct record_settings s = {
		.dir = c->opts->record_dir ? c->opts->record_dir :
		       p->record.dir ? p->record.dir : AM_DEFAULT_TRACES,
		.rotate_bytes = p->record.rotate_bytes, .rotate_age_s = p->record.rotate_age_s,
		.keep_age_s = p->record.keep_age_s, .keep_bytes = p->record.keep_bytes,
		.boot_to_real_ns = c->boot_to_real_ns,
	};
	char err[512];

	if (c->opts->no_record)
		return 0;
	if (recorder_new(&c->rec, &s, record_snapshot, c, err, sizeof(err))) {
		am_err("%s (--no-record runs without traces)", err);
		return AM_EXIT_USAGE;
	}
	snprintf(c->record_dir, sizeof(c->record_dir), "%s", s.dir);
	proc_cache_on_load(pipeline_cache(c->pl), record_proc, c);
	return 0;
}

/* the recorder's step; a stopped recording is an alert, never a stop */
static void record_step(struct collector *c, uint64_t boot_ns, uint64_t wall_ns)
{
	char err[640], summary[768];
	int ret;

	if (!c->rec)
		return;
	recorder_agents(c->rec, c->policy->agents, &c->agents_recorded, &c->renames_recorded);
	ret = recorder_tick(c->rec, boot_ns, wall_ns, err, sizeof(err));
	if (ret < 0) {
		snprintf(summary, sizeof(summary), "trace recording stopped: %s; events and "
			 "alerts go on, recording is retried every minute", err);
		am_err("%s", summary);
		detect_system_alert(pipeline_detect(c->pl), "recording_failed", "high", summary,
				    wall_ns, (uint32_t)getpid());
	} else if (ret > 0) {
		am_info("trace recording resumed in %s", err);
	}
}

/* ---- status ---- */

/* where this run's status figures come from, for a client of uid (0: all agents) */
static struct status_sources sources_of(struct collector *c, uint32_t uid)
{
	return (struct status_sources){
		.pid = (uint32_t)getpid(), .started_wall_ns = c->started_wall,
		.uptime_ns = am_now_ns(CLOCK_MONOTONIC) - c->started_mono,
		.socket = c->opts->socket, .shown = c->shown, .loader = c->loader, .pl = c->pl,
		.ctl = &c->ctl, .rec = c->rec, .record_dir = c->record_dir,
		.tag_writes_failed = c->tag_writes_failed, .agents = c->policy->agents,
		.tls = c->tls, .own_uid = uid != 0, .uid = uid, .export = c->export,
	};
}

/* a "status" request: this run's figures (status.c) formatted into out; 0 or -ENOMEM */
static int on_status(void *arg, const struct ucred *peer, bool json, struct jw *out)
{
	struct status_sources src = sources_of(arg, peer->uid);

	return status_answer(&src, json, out);
}

/* ---- metrics ---- */

/* --metrics ADDR:PORT, else the policy's metrics.listen: listen (a warning
 * when not loopback) */
static int metrics_on(struct collector *c)
{
	const char *at = c->opts->metrics ? c->opts->metrics : c->policy->metrics_listen;
	bool loopback;
	char err[512];

	if (metrics_feed_start(&c->metrics, at, loader_events_fd(c->loader), &loopback, err,
			       sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	if (!loopback)
		am_warn("metrics on %s: not a loopback address, anyone who reaches it reads "
			"the collector's figures (agent names included)", at);
	return 0;
}

/* once a second: a fresh snapshot for the scrapes (the server's thread only copies it) */
static void metrics_step(struct collector *c)
{
	uint64_t now = am_now_ns(CLOCK_MONOTONIC);
	struct status_sources src;

	if (!metrics_feed_due(&c->metrics, now))
		return;
	src = sources_of(c, 0);
	if (metrics_feed_step(&c->metrics, &src, now))
		am_debug("metrics: out of memory, the scrapes keep the last snapshot");
}

/* export.nats: start the worker (it connects in the background) */
static int export_on(struct collector *c)
{
	char err[512];

	if (!c->policy->nats ||
	    !export_new(c->policy->nats, c->opts->host_id, NULL, &c->export, err, sizeof(err)))
		return 0;
	am_err("%s:%d: %s", c->policy->source, c->policy->nats->line, err);
	return AM_EXIT_USAGE;
}

/* what the export met since the last round: said once; a loss alerts */
static void export_step(struct collector *c, uint64_t boot_ns)
{
	char msg[320];
	bool lost;

	if (!c->export || !export_news(c->export, msg, sizeof(msg), &lost))
		return;
	am_err("%s", msg);
	if (lost)
		pipeline_degraded(c->pl, "export_lost", msg, boot_ns);
}

/* load, attach and configure the BPF side (no socket exists yet) */
static int start_loader(struct collector *c)
{
	struct loader_opts lo = {
		.ringbuf_bytes = c->opts->ringbuf_bytes,
		.data_cap = c->opts->capture_bytes,
		.collector_pid = (uint32_t)getpid(),
		.max_tagged = c->opts->max_tagged,
		.max_tls_calls = c->opts->max_tls_calls,
		.tls_per_process = c->opts->tls_per_process,
		.tls_cache = c->opts->tls_cache,
	};
	char err[512];

	if (loader_check(err, sizeof(err)) || control_probe(c->opts->socket, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	if (!c->opts->no_pin) {
		tagstore_pin_dir(c->opts->pin_dir, c->opts->socket, c->pin_dir, sizeof(c->pin_dir));
		lo.pin_dir = c->pin_dir;
	}
	if (loader_open(&c->loader, &lo, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	if (loader_pin_note(c->loader))
		am_warn("%s", loader_pin_note(c->loader));
	if (loader_tls_cache_note(c->loader))
		am_warn("%s", loader_tls_cache_note(c->loader));
	if (install_rules(c)) {
		am_err("cannot write the agent rules to the kernel");
		return AM_EXIT_RUNTIME;
	}
	return 0;
}

/* the kernel captures the TLS reads of a process whose model API answer is
 * read (a failure leaves them cut: counted in the llm event's bytes_missed) */
static void llm_watch(void *arg, uint32_t pid, uint64_t bytes)
{
	struct collector *c = arg;

	loader_llm_watch(c->loader, pid, bytes);
}

static int start_pipeline(struct collector *c)
{
	struct pipeline_hooks hooks = { .show = show, .on_exec = collector_tls_exec,
		.on_open = collector_tls_open, .on_hello = collector_tls_hello, .arg = c };
	struct pipeline_opts po = { .procfs = "/proc", .self_pid = (uint32_t)getpid(),
		.tag_write = write_tag, .tag_arg = c, .webhooks = true,
		.boot_to_real_ns = c->boot_to_real_ns, .conn_memory = c->opts->conn_memory,
		.llm_watch = llm_watch, .llm_watch_arg = c };
	struct tagger *t;
	char err[512];

	c->rb = ring_buffer__new(loader_events_fd(c->loader), on_record, c, NULL);
	c->tls = tls_watch_new(c->loader);
	c->out = output_new(stdout, c->opts->format, am_color_ok(STDOUT_FILENO));
	if (!c->rb || !c->out || !c->tls || (!c->opts->verbose && output_compact(c->out)) ||
	    output_view_policy(c->out, &c->policy->view)) {
		am_err("cannot set up the event pipeline: %s", strerror(errno));
		return AM_EXIT_RUNTIME;
	}
	if (pipeline_new(&c->pl, c->policy, &po, &hooks, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	t = pipeline_tagger(c->pl);
	t->unwrite = unwrite_tag;
	t->held = tag_held;
	t->lookup = tag_lookup;
	t->unwatched = tag_unwatched;
	tagstore_init(&c->tags, c->loader, t);
	return record_start(c) ? AM_EXIT_USAGE : 0;
}

/*
 * what runs already: the tags an earlier collector pinned (adopted, stale
 * ones swept), then the /proc scan; returns the agent roots the scan found
 */
static int start_tags(struct collector *c)
{
	int ret;

	if (loader_adopted(c->loader)) {
		ret = tagstore_adopt(&c->tags, c->policy->agents);
		if (ret < 0)
			am_err("adopting the pinned tags of %s: %s", c->pin_dir, strerror(-ret));
		else
			am_info("adopted %d tagged process%s from %s", ret, ret == 1 ? "" : "es",
				c->pin_dir);
	}
	save_agents(c);
	ret = tagger_scan(pipeline_tagger(c->pl));
	c->swept = am_now_ns(CLOCK_BOOTTIME);
	return ret < 0 ? 0 : ret;
}

/* the socket, systemd's READY=1 and the "ready" line: only once watching */
static int start_serving(struct collector *c, int agents)
{
	char err[512];
	int ret;

	if (control_listen(&c->ctl, c->opts->socket, on_request, c, err, sizeof(err)) ||
	    (c->opts->socket_group &&
	     control_set_group(&c->ctl, c->opts->socket_group, err, sizeof(err)))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	control_on_status(&c->ctl, on_status);
	control_view_policy(&c->ctl, &c->policy->view); /* no share yet: cannot fail */
	if ((ret = metrics_on(c)))
		return ret;
	metrics_step(c);
	if (c->opts->request_timeout_ns)
		control_set_request_timeout(&c->ctl, c->opts->request_timeout_ns);
	sd_notifyf(0, "READY=1\nSTATUS=watching: %d running agent%s tagged, socket %s",
		   agents, agents == 1 ? "" : "s", c->opts->socket);
	am_info("collector ready: %d running agent%s tagged; %s; socket %s", agents,
		agents == 1 ? "" : "s", loader_status(c->loader), c->opts->socket);
	return 0;
}

/*
 * readiness means watching: every hook is attached and what runs is tagged
 * before the socket exists and systemd hears READY=1, so that an agent
 * started the moment either appears loses no event
 */
static int start(struct collector *c)
{
	int ret;

	c->started_wall = am_now_ns(CLOCK_REALTIME);
	c->started_mono = am_now_ns(CLOCK_MONOTONIC);
	/* uprobe links, tail clients and the spool all take descriptors: the
	 * hard limit (the unit's LimitNOFILE), budgeted by load_links.c */
	am_debug("descriptors: soft limit %llu", (unsigned long long)am_raise_nofile());
	if ((ret = load_policy(c)) || (ret = start_loader(c)) || (ret = start_pipeline(c)) ||
	    (ret = export_on(c)))
		return ret;
	return start_serving(c, start_tags(c));
}

/*
 * one round: wait for the ring buffer, a client or the scanner thread, then
 * attach what was scanned, drain and flush
 */
static void step(struct collector *c)
{
	struct pollfd pfd[2 + CONTROL_POLLFDS];
	uint64_t boot, wall;

	pfd[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(c->rb), .events = POLLIN };
	control_pollfds(&c->ctl, pfd + 1);
	pfd[1 + CONTROL_POLLFDS] = (struct pollfd){ .fd = loader_scan_fd(c->loader),
						    .events = POLLIN };
	if (poll(pfd, 2 + CONTROL_POLLFDS, POLL_MS) > 0)
		control_handle(&c->ctl, pfd + 1);
	else
		control_expire(&c->ctl); /* a quiet socket still times out idle clients */
	if (pfd[1 + CONTROL_POLLFDS].revents & POLLIN) /* hooked before the records */
		loader_scan_collect(c->loader, collector_tls_scanned, c);
	ring_buffer__consume(c->rb);
	report_drops(c);
	report_faults(c);
	boot = am_now_ns(CLOCK_BOOTTIME);
	wall = am_now_ns(CLOCK_REALTIME);
	pipeline_tick(c->pl, boot, wall);
	record_step(c, boot, wall); /* after the records of this round, as the tick was */
	agent_hooks_idle(c, boot);
	sweep(c, boot);
	export_step(c, boot);
	metrics_step(c);
	output_tick(c->out, wall); /* fold lines of processes idle 30 s */
	control_tick(&c->ctl, wall);
	output_flush(c->out);
	control_flush(&c->ctl); /* the tail clients' share of this round */
}

static void stop(struct collector *c)
{
	sd_notify(0, "STOPPING=1");
	metrics_feed_stop(&c->metrics); /* first: its thread reads nothing of ours, but ends */
	if (c->rb && c->pl) {
		ring_buffer__consume(c->rb); /* drain what was committed */
		report_drops(c);
	}
	pipeline_free(c->pl); /* shows what it held; webhooks stopped (rest spooled) */
	export_free(c->export); /* after what the pipeline held; the rest stays spooled */
	jw_free(&c->line);
	recorder_free(c->rec); /* what it holds is written */
	if (c->out) {
		output_finish(c->out, am_now_ns(CLOCK_REALTIME));
		output_flush(c->out);
	}
	ring_buffer__free(c->rb);
	if (c->loader)
		loader_close(c->loader); /* detaches every program */
	if (c->ctl.path) {
		control_flush(&c->ctl); /* what the socket takes at once; never waits */
		control_close(&c->ctl);
	}
	output_free(c->out);
	tagstore_release(&c->tags);
	tls_watch_free(c->tls);
	policy_free(c->policy);
}

int collector_run(const struct collector_opts *o)
{
	struct collector *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return AM_EXIT_RUNTIME;
	c->opts = o;
	c->boot_to_real_ns = (int64_t)(am_now_ns(CLOCK_REALTIME) - am_now_ns(CLOCK_BOOTTIME));
	if (am_signals_setup()) {
		free(c);
		return AM_EXIT_RUNTIME;
	}
	ret = start(c);
	while (!ret && !am_exiting) {
		if (am_reload)
			reload(c);
		step(c);
	}
	stop(c);
	free(c);
	return ret;
}
