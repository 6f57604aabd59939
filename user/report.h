/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report.h - `agentmon report`: what each agent session did, aggregated from
 * the events and alerts a replay's pipeline shows.
 *
 * A session is one agent name and root pid (agent_pid), from its first event
 * to its last; an exec of the root's pid after the root's exit starts
 * another (the pid was reused).  Per session: the process tree with its commands, a timeline
 * of execs, writes, requests and alerts, every destination with methods,
 * paths, bytes and the policy's verdict, the files written or deleted, and
 * each alert with its intent.  Memory is bounded: every list has a cap past
 * which entries are counted, not kept (the *_cut fields), and every string
 * is cut to REPORT_STR_MAX bytes.
 *
 * Strings are kept as they may be shown: secrets redacted (redact.h), control
 * bytes and invalid UTF-8 as \xNN (escape.h).  Renderers still escape for
 * their format (HTML, JSON).
 */
#ifndef AGENTMON_REPORT_H
#define AGENTMON_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "policy.h"

#define REPORT_STR_MAX      512
#define REPORT_SESSIONS_MAX 64
#define REPORT_PROCS_MAX    256   /* per session */
#define REPORT_CMDS_MAX     3     /* commands kept per process */
#define REPORT_TIMELINE_MAX 500   /* per session: the first ones */
#define REPORT_DESTS_MAX    128
#define REPORT_PATHS_MAX    8     /* per destination */
#define REPORT_FILES_MAX    256
#define REPORT_ALERTS_MAX   100
#define REPORT_NOTES_MAX    16

enum report_kind { REPORT_EXEC, REPORT_WRITE, REPORT_REQUEST, REPORT_ALERT, REPORT_KINDS };

struct report_proc {
	uint32_t pid, ppid;
	uint64_t first_ns;
	char comm[AM_COMM_LEN + 1];
	char *cmds[REPORT_CMDS_MAX]; /* argv joined by spaces, redacted */
	uint32_t n_cmds, cmds_cut;
	int exit_code;
	bool exited;
};

struct report_item {          /* one timeline line */
	uint64_t ts_ns;
	uint32_t pid;
	enum report_kind kind;
	char *text;
};

/* methods seen, one bit each (report_method_name) */
#define REPORT_METHODS 9

struct report_dest {
	char *host;                /* name, or NULL when only the address is known */
	char *key;                 /* that name as the events gave it (NULL: none) */
	char addr[48];             /* "1.2.3.4" / "::1" */
	uint8_t daddr[16];
	uint16_t family, port;
	uint16_t methods;          /* bit i: report_method_name(i) */
	char *paths[REPORT_PATHS_MAX];
	uint32_t n_paths, paths_cut;
	uint64_t requests, connects, sends;
	uint64_t bytes_sent;       /* request bodies and the bytes of send events (what
				    * no request explains) */
	uint64_t body_bytes;       /* request bodies */
	uint64_t bytes_received;   /* TLS plaintext read (when the library is hooked) */
	uint32_t alerts;
	bool tls;
	const char *verdict;       /* the policy's: allowed, denied, not listed...: the
				      strictest over its events (a connect to an
				      address, then a request naming a host) */
	int judged;                /* that verdict's rules_match */
};

struct report_file {
	char *path;
	char *key;                 /* the path as the events gave it (the index's key) */
	uint64_t last_ns;
	uint32_t written, deleted, renamed, chmoded;
	char *new_path;            /* the last rename's target */
};

struct report_alert {
	uint64_t ts_ns;
	uint32_t pid, count;
	char *rule, *severity, *summary, *chain;
	char *tool, *input, *prompt, *model; /* intent; NULL when unknown */
};

struct report_session {
	char *agent;
	char *key;                  /* the agent name as the events gave it */
	uint32_t root_pid;
	uint64_t start_ns, end_ns;
	uint64_t events, by_kind[REPORT_KINDS];
	uint64_t reads;             /* folded: read-only opens, writes to devices */
	struct report_proc *procs;
	uint32_t n_procs, procs_cut;
	struct report_item *items;
	uint32_t n_items;
	uint64_t items_cut[REPORT_KINDS];
	struct report_dest *dests;
	uint32_t n_dests, dests_cut;
	struct report_file *files;
	uint32_t n_files, files_cut;
	struct report_alert *alerts;
	uint32_t n_alerts, alerts_cut;
	uint64_t unattributed_received; /* TLS reads with no known destination */
	bool ended;                /* its root exited (its pid may be reused) */
};

struct report {
	const struct policy *policy; /* for destination verdicts; may be NULL */
	struct report_session *sessions;
	uint32_t n_sessions;
	uint64_t sessions_cut_events; /* events of sessions past the cap */
	uint64_t events, drops_lost, untagged;
	char *notes[REPORT_NOTES_MAX]; /* what could not be read (damaged traces) */
	uint32_t n_notes, notes_cut;
	uint64_t generated_ns;
	struct table *index;          /* (session, kind, key) -> entry */
	struct table *cut;            /* keys of the entries past the caps */
};

/* a report judged by policy p (not owned, may be NULL); NULL on ENOMEM */
struct report *report_new(const struct policy *p);
void report_free(struct report *r);
/* one event as the pipeline shows it (ts_ns wall); -ENOMEM (the report
 * stays usable, the event is counted only) */
int report_event(struct report *r, const struct event *ev);
/* bytes an agent's process read over TLS from peer (family 0: unknown) */
struct report_peer {
	uint8_t daddr[16];
	uint16_t family, port;
};
void report_received(struct report *r, uint32_t agent_pid, const struct report_peer *peer,
		     uint64_t bytes);
/* a note for the reader: "trace X: cut short after 12 whole blocks" */
void report_note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum report_format { REPORT_HTML, REPORT_TEXT, REPORT_JSON };
/* "html", "text", "json"; -EINVAL */
int report_parse_format(const char *s, enum report_format *f);
/* r rendered to f; 0 or -EIO / -ENOMEM */
int report_write(const struct report *r, FILE *f, enum report_format fmt);
int report_write_html(const struct report *r, FILE *f);
int report_write_text(const struct report *r, FILE *f);
int report_write_json(const struct report *r, FILE *f);

/* visit s's processes in tree order: the root and the processes whose
 * parent is not in the session at depth 0, children after their parent;
 * 0 or -ENOMEM */
typedef void (*report_tree_fn)(void *arg, const struct report_proc *p, unsigned depth);
int report_tree(const struct report_session *s, report_tree_fn cb, void *arg);

/* "GET", "POST", ... for bit i of report_dest.methods ("other" for the last) */
const char *report_method_name(unsigned i);
/* "exec", "write", "request", "alert" */
const char *report_kind_name(enum report_kind k);
/* wall ns as "2026-11-25 14:00:01.234Z" into buf */
const char *report_time(uint64_t ns, char *buf, size_t len);

/* ---- `agentmon report` ---- */

struct report_opts {
	char **files;              /* traces; none: the record dir's (trace_dir) */
	int n_files;
	const char *config;        /* policy for the verdicts; NULL: default */
	const char *record_dir;    /* with no files; NULL: the policy's, else default */
	const char *agent;         /* only this agent's sessions */
	uint64_t since_ns, until_ns;
	const char *out;           /* NULL: stdout */
	enum report_format format;
};

/* the report of o's traces, written; returns the exit status (2: a trace
 * could not be read whole, the report says what it holds) */
int report_run(const struct report_opts *o);

#endif
