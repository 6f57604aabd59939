// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* replay.c - `agentmon replay`: traces through the live pipeline; see replay.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pipeline.h"
#include "replay.h"
#include "trace.h"

int replay_parse_time(const char *s, uint64_t now_ns, uint64_t *out)
{
	uint64_t age;

	if (strchr(s, 'T'))
		return am_parse_rfc3339(s, out);
	if (am_parse_duration(s, &age) || age > now_ns)
		return -EINVAL;
	*out = now_ns - age;
	return 0;
}

/* ---- the replay ---- */

#define BAD_WARN_MAX 10

struct replay_file {
	const char *path;
	struct trace_reader *r;
};

struct replay {
	const struct replay_opts *o;
	struct policy *policy;
	struct agents *agents;      /* the traces' agent table, ids as recorded */
	struct pipeline *pl;
	struct output *out;
	struct replay_file *files;
	int n_files;
	uint64_t records, bad, skipped;
	uint64_t last_ns;           /* the last shown event's time */
	int status;
};

static bool wanted(const struct replay_opts *o, const struct event *ev)
{
	if (o->alerts_only && ev->type != AM_EV_ALERT)
		return false;
	if (o->agent && ev->type != AM_EV_DROP && (!ev->agent || strcmp(ev->agent, o->agent)))
		return false;
	if (o->since_ns && ev->ts_ns < o->since_ns)
		return false;
	return !o->until_ns || ev->ts_ns <= o->until_ns;
}

/* every event the pipeline shows, filtered as asked */
static void show(void *arg, const struct event *ev)
{
	struct replay *rp = arg;

	if (!wanted(rp->o, ev))
		return;
	rp->last_ns = ev->ts_ns;
	if (rp->o->sink)
		rp->o->sink->show(rp->o->sink->arg, ev);
	else if (output_event(rp->out, ev) == -EPIPE)
		am_exiting = 1; /* nobody reads any more */
}

/* a process table entry, as the live collector knew it */
static void apply_proc(struct replay *rp, const struct trace_proc_view *v)
{
	struct proc_info *pi = proc_cache_upsert(pipeline_cache(rp->pl), v->pid);

	if (!pi)
		return;
	pi->ppid = v->ppid;
	pi->uid = v->uid;
	pi->agent_pid = v->agent_pid;
	pi->agent_id = v->agent_id;
	memcpy(pi->comm, v->comm, sizeof(pi->comm));
	proc_info_set(&pi->exe, v->exe);
	proc_info_set(&pi->cwd, v->cwd);
}

static void apply_tag(struct replay *rp, const struct trace_tag *t)
{
	struct proc_info *pi = proc_cache_upsert(pipeline_cache(rp->pl), t->tgid);

	if (pi) {
		pi->agent_pid = t->agent_pid;
		pi->agent_id = t->agent_id;
	}
}

/* an agent's name: interned; or its id's launched name recycled (renamed) by the live run */
static void apply_agent(struct replay *rp, const struct trace_agent_view *a)
{
	const char *now = agents_name(rp->agents, a->id);
	uint32_t id;

	if (now && strcmp(now, a->name) && !agents_rename(rp->agents, a->id, a->name))
		return;
	id = agents_intern(rp->agents, a->name);

	if (id != a->id && rp->skipped++ < BAD_WARN_MAX)
		am_warn("replay: agent '%s' is id %u in the trace but %u here: its events may "
			"carry another name", a->name, a->id, id);
}

static void apply_record(struct replay *rp, const struct trace_entry *e)
{
	const char *why;

	rp->records++;
	if (pipeline_record(rp->pl, e->data, e->len, &why) && rp->bad++ < BAD_WARN_MAX)
		am_warn("replay: bad record (%zu bytes): %s", e->len, why);
	if (rp->o->sink && rp->o->sink->record)
		rp->o->sink->record(rp->o->sink->arg, e->data, e->len);
}

/* one entry into the pipeline; malformed state entries are skipped */
static void apply(struct replay *rp, const struct trace_entry *e)
{
	struct trace_agent_view a;
	struct trace_proc_view p;
	struct trace_tag t;
	struct trace_drop d;
	struct trace_tick k;
	struct trace_unwatched u;

	switch (e->kind) {
	case TRACE_RECORD:
		apply_record(rp, e);
		return;
	case TRACE_AGENT:
		if (!trace_parse_agent(e, &a))
			apply_agent(rp, &a);
		return;
	case TRACE_PROC:
		if (!trace_parse_proc(e, &p))
			apply_proc(rp, &p);
		return;
	case TRACE_TAG:
		if (!trace_parse_tag(e, &t))
			apply_tag(rp, &t);
		return;
	case TRACE_DROP:
		if (!trace_parse_drop(e, &d))
			pipeline_drop(rp->pl, d.lost, d.ts_ns);
		return;
	case TRACE_UNWATCHED:
		if (!trace_parse_unwatched(e, &u))
			pipeline_unwatched(rp->pl, &u);
		return;
	case TRACE_TICK:
		if (!trace_parse_tick(e, &k))
			pipeline_tick(rp->pl, k.boot_ns, k.wall_ns);
		return;
	default:
		rp->skipped++; /* a newer kind: nothing this version knows to do */
	}
}

/* replay one file to its end, or to where it is damaged */
static void replay_file(struct replay *rp, struct replay_file *f)
{
	struct trace_entry e;
	char err[512];
	int ret;

	pipeline_set_boot(rp->pl, trace_reader_info(f->r)->boot_to_real_ns);
	while (!am_exiting && (ret = trace_reader_next(f->r, &e, err, sizeof(err))) == 1)
		apply(rp, &e);
	if (ret < 0 && rp->o->sink && rp->o->sink->damage)
		rp->o->sink->damage(rp->o->sink->arg, f->path, err, trace_reader_blocks(f->r));
	if (ret == -ENODATA) {
		am_warn("replay: %s: %s; replayed the %llu whole blocks before it", f->path, err,
			(unsigned long long)trace_reader_blocks(f->r));
	} else if (ret < 0) {
		am_err("replay: %s: %s; replayed the %llu whole blocks before it", f->path, err,
		       (unsigned long long)trace_reader_blocks(f->r));
		rp->status = AM_EXIT_USAGE;
	}
}

static int by_time(const void *a, const void *b)
{
	uint64_t x = trace_reader_info(((const struct replay_file *)a)->r)->created_ns;
	uint64_t y = trace_reader_info(((const struct replay_file *)b)->r)->created_ns;

	return x < y ? -1 : x > y;
}

/* open every file before replaying any: one that is not a trace stops all */
static int open_files(struct replay *rp)
{
	char err[512];

	rp->files = calloc((size_t)rp->o->n_files, sizeof(*rp->files));
	if (!rp->files)
		return AM_EXIT_RUNTIME;
	for (int i = 0; i < rp->o->n_files; i++, rp->n_files++) {
		struct replay_file *f = &rp->files[i];

		f->path = rp->o->files[i];
		if (trace_reader_open(&f->r, f->path, err, sizeof(err))) {
			am_err("replay: %s: %s", f->path, err);
			return AM_EXIT_USAGE;
		}
	}
	qsort(rp->files, (size_t)rp->n_files, sizeof(*rp->files), by_time);
	return 0;
}

static int setup(struct replay *rp)
{
	struct pipeline_hooks hooks = { .show = show, .arg = rp };
	struct pipeline_opts po = { .procfs = NULL };
	char err[512];
	int ret;

	if (policy_load(rp->o->config, &rp->policy, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	if ((ret = open_files(rp)))
		return ret;
	rp->agents = agents_new();
	if (!rp->o->sink)
		rp->out = output_new(stdout, rp->o->format, am_color_ok(STDOUT_FILENO));
	if (!rp->agents || (!rp->o->sink && !rp->out))
		return AM_EXIT_RUNTIME;
	if (rp->out && ((!rp->o->verbose && output_compact(rp->out)) ||
			output_view_policy(rp->out, &rp->policy->view)))
		return AM_EXIT_RUNTIME;
	if (pipeline_new(&rp->pl, rp->policy, &po, &hooks, err, sizeof(err))) {
		am_err("replay: %s", err);
		return AM_EXIT_RUNTIME;
	}
	pipeline_tagger(rp->pl)->agents = rp->agents;
	return 0;
}

static void teardown(struct replay *rp)
{
	if (rp->pl)
		am_info("replayed %llu records from %d file%s: %llu alerts%s",
			(unsigned long long)rp->records, rp->n_files, rp->n_files == 1 ? "" : "s",
			(unsigned long long)detect_alerts(pipeline_detect(rp->pl)),
			rp->bad ? " (some records malformed)" : "");
	pipeline_free(rp->pl); /* what it held is shown: as the live run's stop did */
	if (rp->out) {
		output_finish(rp->out, rp->last_ns); /* fold lines of the unexited */
		output_flush(rp->out);
	}
	output_free(rp->out);
	for (int i = 0; i < rp->n_files; i++)
		trace_reader_close(rp->files[i].r);
	free(rp->files);
	agents_free(rp->agents);
	policy_free(rp->policy);
}

int replay_run(const struct replay_opts *o)
{
	struct replay rp = { .o = o };
	int ret;

	if (am_signals_setup())
		return AM_EXIT_RUNTIME;
	ret = setup(&rp);
	for (int i = 0; !ret && i < rp.n_files && !am_exiting; i++)
		replay_file(&rp, &rp.files[i]);
	teardown(&rp);
	return ret ? ret : rp.status;
}
