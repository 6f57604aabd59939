/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * doctor.h - `agentmon doctor`: what this host offers agentmon, one item a
 * line, OK / DEGRADED / MISSING with the reason.  Kernel features
 * (doctor_kernel.c), the TLS verdict of every agent binary found
 * (doctor_agents.c), the policy file and the service (doctor.c).
 *
 * Every probe is read-only (BPF programs are loaded, never attached; no
 * file is written, nothing is mounted) and quick: the binaries' TLS scans
 * share a time budget, past which a binary is "not checked (time budget)".
 * No network.  Library code: returns errors, prints nothing.
 */
#ifndef AGENTMON_DOCTOR_H
#define AGENTMON_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum doctor_state {
	DOCTOR_OK,
	DOCTOR_DEGRADED,       /* works, with less: the reason says what falls back */
	DOCTOR_MISSING,        /* agentmon cannot run (or run as asked) without it */
};

#define DOCTOR_NAME_MAX   48
#define DOCTOR_REASON_MAX 640

struct doctor_item {
	char name[DOCTOR_NAME_MAX];     /* "btf", "tls claude", ... */
	enum doctor_state state;
	char reason[DOCTOR_REASON_MAX];
};

struct doctor_opts {
	const char *config;           /* policy file; NULL: AM_DEFAULT_CONFIG if present */
	const char *socket;           /* control socket; NULL: AM_DEFAULT_SOCKET */
	uint64_t tls_budget_ns;       /* all binaries' TLS scans; 0: DOCTOR_TLS_BUDGET_NS */
	const char *home;             /* user prefixes under it; NULL: $HOME */
	const char *path;             /* directories searched; NULL: $PATH */
};

#define DOCTOR_TLS_BUDGET_NS (8ull * 1000000000ull)

struct doctor {
	struct doctor_opts opts;
	bool root;                    /* may load BPF programs (root, or CAP_BPF and
					 CAP_PERFMON: doctor_kernel decides) */
	struct doctor_item *items;
	size_t n, cap;
	int oom;                      /* an item was lost to allocation failure */
};

void doctor_init(struct doctor *d, const struct doctor_opts *opts);
void doctor_release(struct doctor *d);
/* add one item (reason printf-style); 0 or -ENOMEM (counted in d->oom) */
int doctor_add(struct doctor *d, const char *name, enum doctor_state st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* every check, in order */
void doctor_run(struct doctor *d);
/* the checks of each part (doctor_kernel.c, doctor_agents.c, doctor.c) */
void doctor_kernel(struct doctor *d);
void doctor_agents(struct doctor *d);
void doctor_policy(struct doctor *d);
void doctor_service(struct doctor *d);

/* "OK", "DEGRADED", "MISSING" */
const char *doctor_state_name(enum doctor_state st);
/* one item as a text line (no newline): "STATE     name: reason"; the
 * length it needed, like snprintf */
int doctor_line(const struct doctor_item *it, char *buf, size_t len);
/* the whole report, text lines or one JSON document, into a malloc'd
 * string (*out), 0 or -ENOMEM */
int doctor_format(const struct doctor *d, bool json, char **out);
/* a binary's TLS verdict (loader_tls_verdict's rc) as a state and a word:
 * symbols, shared, located (OK); unknown, unreadable, "not checked (time
 * budget)" (DEGRADED) */
enum doctor_state doctor_tls_state(int rc, const char **word);
/* the collector's hooks missing or short now (status --json "hook_gaps":
 * [{hook, why}], loader_gaps), each "hook: why", "; "-joined into why; how
 * many, or -1 when the status has no such array (not reported) */
int doctor_hooks_degraded(const char *status_json, char *why, size_t len);
/* 0 when every item is OK (and none was lost), else 1: SPEC's "exits 1
 * when something is degraded" */
int doctor_exit(const struct doctor *d);

#endif
