// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * storm.c - per-agent alert budget and storm summaries (see storm.h).
 *
 * A fixed array of max_agents slots, searched linearly (alerts are rare,
 * and a storm's alerts stop at the budget check).
 */
#include <stdlib.h>
#include <string.h>

#include "storm.h"

struct slot {
	bool used;
	uint64_t until_ns;        /* the window closes */
	uint32_t emitted;         /* alerts let through in this window */
	struct storm_info st;     /* agent, agent_pid, and the storm so far */
};

struct storm {
	uint32_t budget;
	uint64_t window_ns;
	size_t n;
	struct slot *slots;
	uint64_t folded;
};

int storm_severity_rank(const char *sev)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };

	for (int i = 0; sev && i < 4; i++)
		if (!strcmp(sev, names[i]))
			return i + 1;
	return 0;
}

struct storm *storm_new(uint32_t budget, uint64_t window_ns, size_t max_agents)
{
	struct storm *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->budget = budget ? budget : STORM_BUDGET_DEFAULT;
	s->window_ns = window_ns ? window_ns : 60ull * 1000000000ull;
	s->n = max_agents ? max_agents : STORM_AGENTS_DEFAULT;
	if (!(s->slots = calloc(s->n, sizeof(*s->slots)))) {
		free(s);
		return NULL;
	}
	return s;
}

void storm_free(struct storm *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		event_copy_clear(&s->slots[i].st.cause);
	free(s->slots);
	free(s);
}

uint64_t storm_folded(const struct storm *s)
{
	return s->folded;
}

/* the summary of sl's storm when it has one; the slot is freed */
static void slot_close(struct slot *sl, storm_fn fn, void *arg)
{
	if (sl->st.alerts && fn)
		fn(&sl->st, arg);
	event_copy_clear(&sl->st.cause);
	sl->used = false;
}

void storm_tick(struct storm *s, uint64_t now_ns, storm_fn fn, void *arg)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->slots[i].used && s->slots[i].until_ns <= now_ns)
			slot_close(&s->slots[i], fn, arg);
}

static bool slot_is(const struct slot *sl, const struct event *ev)
{
	return sl->used && sl->st.agent_pid == ev->agent_pid &&
	       !strcmp(sl->st.agent, ev->agent ? ev->agent : "");
}

/* ev's agent's slot, a new one (closing the oldest window when full) */
static struct slot *slot_of(struct storm *s, const struct event *ev, storm_fn fn, void *arg)
{
	struct slot *first = NULL, *sl;

	for (size_t i = 0; i < s->n; i++) {
		sl = &s->slots[i];
		if (slot_is(sl, ev))
			return sl;
		if (!first || !sl->used || (first->used && sl->until_ns < first->until_ns))
			first = sl;
	}
	if (first->used)
		slot_close(first, fn, arg);
	memset(first, 0, sizeof(*first));
	first->used = true;
	first->until_ns = ev->ts_ns + s->window_ns;
	first->st.agent_pid = ev->agent_pid;
	strncpy(first->st.agent, ev->agent ? ev->agent : "", sizeof(first->st.agent) - 1);
	return first;
}

static void fold_host(struct storm_info *st, const char *host)
{
	if (!host || !*host)
		return;
	for (size_t i = 0; i < st->n_hosts; i++)
		if (!strncmp(st->hosts[i], host, STORM_HOST_LEN - 1))
			return;
	if (st->n_hosts == STORM_HOSTS_MAX) {
		st->more_hosts++;
		return;
	}
	strncpy(st->hosts[st->n_hosts++], host, STORM_HOST_LEN - 1);
}

static void fold_rule(struct storm_info *st, const char *rule, uint64_t count)
{
	for (size_t i = 0; i < st->n_rules; i++) {
		if (!strncmp(st->rules[i].name, rule, sizeof(st->rules[i].name) - 1)) {
			st->rules[i].count += count;
			return;
		}
	}
	if (st->n_rules == STORM_RULES_MAX) {
		st->other_rules += count;
		return;
	}
	strncpy(st->rules[st->n_rules].name, rule, sizeof(st->rules[0].name) - 1);
	st->rules[st->n_rules++].count = count;
}

static void fold(struct storm_info *st, const struct event *alert, const char *host)
{
	const struct event_alert *a = alert->alert;
	uint64_t count = a->count ? a->count : 1;

	if (!st->alerts) {
		st->first_ns = alert->ts_ns;
		st->cause_type = a->cause_type;
		if (event_copy_set(&st->cause, alert)) { /* its process alone */
			st->cause.ev = *alert;
			memset(&st->cause.ev.exec, 0, offsetof(struct event, alert) -
						      offsetof(struct event, exec));
			st->cause.ev.agent = st->cause.ev.exe = NULL;
			st->cause.ev.alert = NULL;
			st->cause_type = AM_EV_ALERT;
		}
	}
	st->alerts++;
	st->occurrences += count;
	st->last_ns = alert->ts_ns > st->last_ns ? alert->ts_ns : st->last_ns;
	if (storm_severity_rank(a->severity) > storm_severity_rank(st->severity))
		st->severity = a->severity;
	fold_host(st, host);
	fold_rule(st, a->rule ? a->rule : "?", count);
}

bool storm_admit(struct storm *s, const struct event *alert, const char *host,
		 storm_fn fn, void *arg)
{
	struct slot *sl;

	storm_tick(s, alert->ts_ns, fn, arg);
	sl = slot_of(s, alert, fn, arg);
	if (sl->emitted < s->budget) {
		sl->emitted++;
		return true;
	}
	fold(&sl->st, alert, host);
	s->folded++;
	return false;
}
