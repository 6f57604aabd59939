// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_storm.c - the per-agent alert budget and storm summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "storm.h"

#define SEC 1000000000ull

struct seen {
	int n;
	struct storm_info st[4];
};

static void on_storm(const struct storm_info *st, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 4);
	s->st[s->n++] = *st;
}

static struct event_alert AL = { .rule = "outbound_post", .severity = "medium", .count = 1 };
static struct event_alert AL_HIGH = { .rule = "host_mismatch", .severity = "high", .count = 2 };

static struct event alert(const char *agent, uint32_t agent_pid, uint64_t ts,
			  const struct event_alert *al)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_ALERT;
	ev.ts_ns = ts;
	ev.pid = ev.agent_pid = agent_pid;
	ev.agent = agent;
	snprintf(ev.comm, sizeof(ev.comm), "curl");
	ev.alert = al;
	return ev;
}

/* agent A over its budget folds; agent B keeps its own budget */
static void test_budget_per_agent(void **state)
{
	struct storm *s = storm_new(3, 10 * SEC, 0);
	struct seen seen = { 0 };
	char host[32];
	int passed = 0;

	assert_non_null(s);
	for (int i = 0; i < 20; i++) {
		struct event ev = alert("claude", 100, SEC + (uint64_t)i * 1000, &AL);

		snprintf(host, sizeof(host), "h%d.example", i);
		passed += storm_admit(s, &ev, host, on_storm, &seen);
	}
	assert_int_equal(passed, 3);
	{
		struct event b = alert("codex", 200, 2 * SEC, &AL);

		assert_true(storm_admit(s, &b, "b.example", on_storm, &seen));
	}
	{
		struct event hi = alert("claude", 100, 3 * SEC, &AL_HIGH);

		assert_false(storm_admit(s, &hi, "h0.example", on_storm, &seen));
	}
	assert_int_equal(seen.n, 0);
	assert_int_equal(storm_folded(s), 18);
	storm_tick(s, 11 * SEC, on_storm, &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.st[0].agent, "claude");
	assert_int_equal(seen.st[0].agent_pid, 100);
	assert_int_equal(seen.st[0].alerts, 18);
	assert_int_equal(seen.st[0].occurrences, 19);
	assert_int_equal(seen.st[0].n_hosts, STORM_HOSTS_MAX);
	assert_string_equal(seen.st[0].hosts[0], "h3.example");
	assert_int_equal(seen.st[0].more_hosts, 18 - STORM_HOSTS_MAX); /* h0 again too */
	assert_int_equal(seen.st[0].first_ns, SEC + 3000);
	assert_int_equal(seen.st[0].last_ns, 3 * SEC);
	assert_string_equal(seen.st[0].severity, "high");
	assert_int_equal(seen.st[0].n_rules, 2);
	assert_int_equal(seen.st[0].rules[1].count, 2);
	/* a new window: a new budget */
	{
		struct event ev = alert("claude", 100, 12 * SEC, &AL);

		assert_true(storm_admit(s, &ev, "x", on_storm, &seen));
	}
	storm_free(s);
}

/* full: the agent whose window ends first is closed early, its storm told */
static void test_agents_bounded(void **state)
{
	struct storm *s = storm_new(1, 10 * SEC, 2);
	struct seen seen = { 0 };
	struct event a1 = alert("a", 1, SEC, &AL), a2 = alert("a", 1, SEC + 1, &AL);
	struct event b = alert("b", 2, 2 * SEC, &AL), c = alert("c", 3, 3 * SEC, &AL);

	assert_true(storm_admit(s, &a1, "", on_storm, &seen));
	assert_false(storm_admit(s, &a2, "", on_storm, &seen));
	assert_true(storm_admit(s, &b, "", on_storm, &seen));
	assert_true(storm_admit(s, &c, "", on_storm, &seen));
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.st[0].agent, "a");
	assert_int_equal(seen.st[0].n_hosts, 0);
	storm_tick(s, UINT64_MAX, on_storm, &seen);
	assert_int_equal(seen.n, 1);   /* b and c folded nothing */
	storm_free(s);
}

static void test_severity_rank(void **state)
{
	assert_true(storm_severity_rank("critical") > storm_severity_rank("high"));
	assert_true(storm_severity_rank("high") > storm_severity_rank("medium"));
	assert_true(storm_severity_rank("medium") > storm_severity_rank("low"));
	assert_int_equal(storm_severity_rank("bogus"), 0);
	assert_int_equal(storm_severity_rank(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_per_agent),
		cmocka_unit_test(test_agents_bounded),
		cmocka_unit_test(test_severity_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
