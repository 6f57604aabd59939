/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * replay.h - `agentmon replay`: read recorded traces and run them through the
 * same pipeline as a live run (decode -> enrich -> inspect -> detect ->
 * output), under the recorded policy or another one.
 */
#ifndef AGENTMON_REPLAY_H
#define AGENTMON_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"

/* a caller's own sinks instead of stdout (agentmon report) */
struct replay_sink {
	/* every event the pipeline shows that passes the filters */
	void (*show)(void *arg, const struct event *ev);
	/* every record, after the pipeline took it (e.g. TLS reads, never shown) */
	void (*record)(void *arg, const void *data, size_t len);
	/* a file could not be read whole: what was not replayed, and why */
	void (*damage)(void *arg, const char *path, const char *why, uint64_t whole_blocks);
	void *arg;
};

struct replay_opts {
	char **files;              /* trace files, replayed in time order */
	int n_files;
	const char *config;        /* NULL: the embedded default policy */
	const char *agent;         /* show only this agent's events; NULL: all */
	uint64_t since_ns, until_ns; /* wall ns window of shown events; 0: open */
	enum output_format format;
	bool alerts_only;
	bool verbose;              /* text: every event, not the compact view */
	const struct replay_sink *sink; /* NULL: print to stdout in format */
};

/* replay; returns the exit status (0; 2 for a file that is not a whole trace) */
int replay_run(const struct replay_opts *o);

/*
 * replay_parse_time - "2026-11-25T14:00:00Z" (RFC 3339, fraction and offset
 * allowed) or a time before now_ns ("90s", "10m", "2h", "3d") into wall ns;
 * -EINVAL
 */
int replay_parse_time(const char *s, uint64_t now_ns, uint64_t *out);

#endif
