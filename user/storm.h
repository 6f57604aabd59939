/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * storm.h - the per-agent alert budget: an agent (name and agent_pid) may
 * raise `budget` alerts per window; beyond that its alerts are folded into
 * one storm, and when the window closes one `alert_storm` summary tells how
 * many were folded (alerts and the occurrences they stood for), their rules,
 * which hosts (the first STORM_HOSTS_MAX distinct ones, and how many more),
 * the first and last ts and the highest severity.  An agent's storm never
 * spends another agent's budget.  Pure bookkeeping: no I/O, no clock (time
 * is the alerts' ts, as in alert.h).  At most max_agents agents are held:
 * when full, the one whose window ends first is closed early.
 */
#ifndef AGENTMON_STORM_H
#define AGENTMON_STORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define STORM_BUDGET_DEFAULT  30    /* alerts per agent per window */
#define STORM_AGENTS_DEFAULT  256
#define STORM_HOSTS_MAX       8     /* hosts named in a summary */
#define STORM_RULES_MAX       4     /* rules counted in a summary */
#define STORM_HOST_LEN        128

struct storm_rule {
	char name[24];
	uint64_t count;           /* occurrences */
};

/* one agent's storm, as the summary tells it */
struct storm_info {
	char agent[AM_NAME_MAX];
	uint32_t agent_pid;
	uint64_t alerts;          /* alerts folded */
	uint64_t occurrences;     /* what they stood for (their counts) */
	uint64_t first_ns, last_ns;
	const char *severity;     /* the highest folded (static string) */
	char hosts[STORM_HOSTS_MAX][STORM_HOST_LEN];
	size_t n_hosts;
	uint64_t more_hosts;      /* folded alerts to hosts beyond the list */
	struct storm_rule rules[STORM_RULES_MAX];
	size_t n_rules;
	uint64_t other_rules;     /* occurrences of rules beyond the list */
	struct event_copy cause;  /* the first folded alert (its cause's fields) */
	uint32_t cause_type;      /* its cause's type */
};

typedef void (*storm_fn)(const struct storm_info *st, void *arg);

struct storm;

/* budget 0: STORM_BUDGET_DEFAULT; max_agents 0: default; NULL on ENOMEM */
struct storm *storm_new(uint32_t budget, uint64_t window_ns, size_t max_agents);
void storm_free(struct storm *s);

/*
 * storm_admit - account alert (type AM_EV_ALERT, its cause's fields) to
 * host ("" when none).  True: within its agent's budget, emit it.  False:
 * folded into the agent's storm (fn is called for a storm closed early to
 * make room).
 */
bool storm_admit(struct storm *s, const struct event *alert, const char *host,
		 storm_fn fn, void *arg);
/* close the windows that ended at or before now_ns: fn for each storm */
void storm_tick(struct storm *s, uint64_t now_ns, storm_fn fn, void *arg);
/* alerts folded since start */
uint64_t storm_folded(const struct storm *s);

/* "high" > "medium" > ...: a rank, 0 for unknown */
int storm_severity_rank(const char *severity);

#endif
