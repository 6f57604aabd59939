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

struct replay_opts {
	char **files;              /* trace files, replayed in time order */
	int n_files;
	const char *config;        /* NULL: the embedded default policy */
	const char *agent;         /* show only this agent's events; NULL: all */
	uint64_t since_ns, until_ns; /* wall ns window of shown events; 0: open */
	enum output_format format;
	bool alerts_only;
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
