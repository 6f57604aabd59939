/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tail.h - the clients of the collector's live stream and health:
 * `agentmon tail` and `agentmon status` (protocol in control.h).
 */
#ifndef AGENTMON_TAIL_H
#define AGENTMON_TAIL_H

#include <stdbool.h>

struct tail_opts {
	const char *socket;
	const char *agent;   /* NULL: any agent */
	const char *types;   /* "open,exec"; NULL: any type */
	const char *pid;     /* the pid or agent_pid; NULL: any */
	bool alerts;         /* alerts only */
	bool json;           /* JSON Lines, else text (coloured on a terminal) */
	bool verbose;        /* text: every event, not the compact view */
};

struct status_opts {
	const char *socket;
	bool json;
};

/*
 * tail_run - ask the collector for its stream with o's filters and copy it
 * to stdout until SIGINT/SIGTERM (exit 0) or until the collector closes
 * (exit 1, "collector went away").  A filter refused here or by the
 * collector: one line on stderr, exit 2; no collector: exit 1.
 */
int tail_run(const struct tail_opts *o);
/* status_run - print the collector's status; 0, or 1 with one line on stderr */
int status_run(const struct status_opts *o);

#endif
