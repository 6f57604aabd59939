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
	/* the fleet tail (tail_nats.c): from a NATS JetStream stream, not the
	 * collector's socket, when nats is set */
	const char *nats;          /* nats://HOST:PORT or tls://... */
	const char *subject;       /* the exporters' subject prefix ("agentmon") */
	const char *stream;        /* NULL: the stream that holds <subject>.> */
	const char *durable;       /* NULL: an ephemeral consumer */
	bool all;                  /* from the stream's first message, not new ones */
	const char *since;         /* from this time (replay_parse_time), or NULL */
	const char *host;          /* only this host's messages */
	const char *creds;         /* a NATS credentials file */
	const char *user, *password_file;
	const char *tls_ca, *tls_cert, *tls_key;
	bool stats;                /* counts on stderr at the end */
	const char *config;        /* a policy whose export.nats block gives what
				    * the options above do not (tail_nats_config) */
};

struct status_opts {
	const char *socket;
	bool json;
};

struct tail_filter;
/* o's filter and format (checked as the collector checks a request's);
 * 0, or -EINVAL with err saying why */
int tail_filter_of(const struct tail_opts *o, struct tail_filter *f, char *err, size_t errlen);

/*
 * tail_run - ask the collector for its stream with o's filters and copy it
 * to stdout until SIGINT/SIGTERM (exit 0) or until the collector closes
 * (exit 1, "collector went away").  A filter refused here or by the
 * collector: one line on stderr, exit 2; no collector: exit 1.
 */
int tail_run(const struct tail_opts *o);
/*
 * tail_nats_run - the same from a JetStream consumer on o->nats (tail_run
 * calls it when o->nats is set): filtered and rendered here, the compact
 * view kept per host.  Ends on SIGINT/SIGTERM (0); bad options exit 2; a
 * failed connection, authentication or a missing stream: one line, exit 1.
 */
int tail_nats_run(const struct tail_opts *o);
/*
 * tail_nats_config - the fleet options o leaves unset (nats, subject, creds,
 * user, password_file, tls_*) taken from the export.nats block of the policy
 * file o->config, as the exporter reads them.  *keep owns those strings (to
 * policy_free after the tail).  0; or -EINVAL (a bad policy, or one with no
 * export.nats block) with err saying why.
 */
struct policy;
int tail_nats_config(struct tail_opts *o, struct policy **keep, char *err, size_t errlen);
/* status_run - print the collector's status; 0, or 1 with one line on stderr */
int status_run(const struct status_opts *o);

#endif
