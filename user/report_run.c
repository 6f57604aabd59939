// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report_run.c - `agentmon report`: traces replayed through the live
 * pipeline (replay.h) into a report (report.h), written as HTML, text or
 * JSON.  With no trace named, the record directory's traces (those touched
 * since --since, when given).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "replay.h"
#include "report.h"

#define DIR_FILES_MAX 4096

struct run {
	const struct report_opts *o;
	const struct policy *policy;
	struct report *r;
	char **found;          /* trace files of the record dir */
	int n_found;
};

static void on_show(void *arg, const struct event *ev)
{
	struct run *run = arg;

	report_event(run->r, ev);
}

/* TLS plaintext an agent read: never shown (the pipeline consumes it) */
static void on_record(void *arg, const void *data, size_t len)
{
	struct run *run = arg;
	struct report_peer peer = { 0 };
	struct am_data d;

	if (len < sizeof(d))
		return;
	memcpy(&d, data, sizeof(d));
	if (d.hdr.type != AM_EV_DATA || d.source != AM_DATA_TLS_RECV || d.ret <= 0 ||
	    !d.hdr.agent_pid)
		return;
	if (d.family) {
		memcpy(peer.daddr, d.daddr, sizeof(peer.daddr));
		peer.family = d.family;
		peer.port = d.dport;
	}
	report_received(run->r, d.hdr.agent_pid, &peer, (uint64_t)d.ret);
}

static void on_damage(void *arg, const char *path, const char *why, uint64_t blocks)
{
	struct run *run = arg;
	bool live = run->n_found && !strcmp(path, run->found[run->n_found - 1]);

	report_note(run->r, "%s: %s; the report holds the %llu whole blocks before it%s", path, why,
		    (unsigned long long)blocks,
		    live ? " (the newest trace: the collector may still be writing it)" : "");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_trace_name(const char *n)
{
	size_t len = strlen(n);

	return !strncmp(n, "agentmon-", 9) && len > 17 && !strcmp(n + len - 8, ".amtrace");
}

/* the record dir's trace files (modified since o->since_ns), by name = time */
static int find_traces(struct run *run, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		am_err("report: no trace given and %s cannot be read: %s", dir, strerror(errno));
		return AM_EXIT_USAGE;
	}
	run->found = calloc(DIR_FILES_MAX, sizeof(*run->found));
	while (run->found && (de = readdir(d)) && run->n_found < DIR_FILES_MAX) {
		struct stat st;
		char *p;

		if (!is_trace_name(de->d_name) || asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (stat(p, &st) || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec <
			    run->o->since_ns) {
			free(p);
			continue;
		}
		run->found[run->n_found++] = p;
	}
	closedir(d);
	if (!run->found)
		return AM_EXIT_RUNTIME;
	if (!run->n_found) {
		am_err("report: no trace in %s%s", dir, run->o->since_ns ? " for that time" : "");
		return AM_EXIT_USAGE;
	}
	qsort(run->found, (size_t)run->n_found, sizeof(*run->found), by_name);
	return 0;
}

static const char *record_dir(const struct run *run)
{
	if (run->o->record_dir)
		return run->o->record_dir;
	return run->policy->record.dir ? run->policy->record.dir : AM_DEFAULT_TRACES;
}

/* the report to o->out (0600: it tells what agents did) or stdout */
static int write_out(const struct run *run)
{
	FILE *f = stdout;
	int fd, ret;

	if (run->o->out) {
		fd = open(run->o->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || fchmod(fd, 0600) || !(f = fdopen(fd, "w"))) {
			am_err("report: %s: %s", run->o->out, strerror(errno));
			if (fd >= 0)
				close(fd);
			return AM_EXIT_RUNTIME;
		}
	}
	ret = report_write(run->r, f, run->o->format);
	if (f != stdout && fclose(f) && !ret)
		ret = -EIO;
	if (ret) {
		am_err("report: writing %s: %s", run->o->out ? run->o->out : "stdout",
		       strerror(-ret));
		return AM_EXIT_RUNTIME;
	}
	return 0;
}

static int replay_into(struct run *run)
{
	const struct replay_sink sink = { .show = on_show, .record = on_record,
					  .damage = on_damage, .arg = run };
	struct replay_opts ro = { .files = run->o->files, .n_files = run->o->n_files,
				  .config = run->o->config, .agent = run->o->agent,
				  .since_ns = run->o->since_ns, .until_ns = run->o->until_ns,
				  .sink = &sink };
	int ret;

	if (!ro.n_files) {
		if ((ret = find_traces(run, record_dir(run))))
			return ret;
		ro.files = run->found;
		ro.n_files = run->n_found;
	}
	return replay_run(&ro);
}

int report_run(const struct report_opts *o)
{
	struct run run = { .o = o };
	struct policy *p = NULL;
	char err[512];
	int ret, wret;

	if (policy_load(o->config, &p, err, sizeof(err))) {
		am_err("%s", err);
		return AM_EXIT_USAGE;
	}
	run.policy = p;
	run.r = report_new(p);
	if (!run.r) {
		policy_free(p);
		return AM_EXIT_RUNTIME;
	}
	ret = replay_into(&run);
	if (am_exiting)
		report_note(run.r, "interrupted: the traces were not read to their end");
	/* a trace read in part still gives a report of what it holds */
	if (ret == 0 || run.r->n_notes) {
		run.r->generated_ns = am_now_ns(CLOCK_REALTIME);
		if ((wret = write_out(&run)))
			ret = wret;
	}
	report_free(run.r);
	policy_free(p);
	for (int i = 0; i < run.n_found; i++)
		free(run.found[i]);
	free(run.found);
	return ret;
}

int report_parse_format(const char *s, enum report_format *f)
{
	static const char *const names[] = { "html", "text", "json" };

	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*f = (enum report_format)i;
			return 0;
		}
	return -EINVAL;
}
