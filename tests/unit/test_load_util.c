// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_load_util.c - the loader's gaps (load_util.c): what each attach found
 * missing, structured for status and doctor.  Those found at start stay; an
 * agent hook's are redone at every attach of the agent hooks (an idle
 * re-attach too), while the status line keeps what the start said.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load_int.h"

static void test_gaps_redone_at_reattach(void **state)
{
	struct loader *l = calloc(1, sizeof(*l));
	const struct loader_gap *g;
	size_t n;

	(void)state;
	assert_non_null(l);
	/* the start: one hook short, said on the status line too */
	load_status_add(l, "tp_btf: sched_process_fork/exec/exit");
	load_gap(l, 0, "tracefs", "not mounted: %s", "Permission denied");
	load_gap(l, LOAD_GAP_AGENT, "cgroup sock hooks", "no cgroup v2 mount");
	load_gap(l, LOAD_GAP_AGENT | LOAD_GAP_UNSAID, "tls uprobes", "/lib/libssl.so.3: %s",
		 "Invalid argument");
	assert_string_equal(l->status, "tp_btf: sched_process_fork/exec/exit; tracefs: not "
			    "mounted: Permission denied; cgroup sock hooks: no cgroup v2 mount");
	g = loader_gaps(l, &n);
	assert_int_equal(n, 3);
	/* an idle re-attach (quiet: the line is not redone) finds another gap */
	l->quiet = true;
	load_gaps_reset_agent(l);
	load_gap(l, LOAD_GAP_AGENT | LOAD_GAP_UNSAID, "socket data hooks", "%d/%d attached", 1, 2);
	g = loader_gaps(l, &n);
	assert_int_equal(n, 2);
	assert_string_equal(g[0].hook, "tracefs");
	assert_false(g[0].agent);
	assert_string_equal(g[1].hook, "socket data hooks");
	assert_string_equal(g[1].why, "1/2 attached");
	assert_true(g[1].agent);
	assert_null(strstr(l->status, "socket data"));
	/* and the next finds none */
	load_gaps_reset_agent(l);
	g = loader_gaps(l, &n);
	assert_int_equal(n, 1);
	/* bounded: the last place is taken by the newest */
	for (int i = 0; i < LOADER_GAPS_MAX + 3; i++)
		load_gap(l, LOAD_GAP_AGENT, "tls uprobes", "gap %d", i);
	g = loader_gaps(l, &n);
	assert_int_equal(n, LOADER_GAPS_MAX);
	assert_string_equal(g[0].hook, "tracefs");
	assert_string_equal(g[LOADER_GAPS_MAX - 1].why, "gap 14");
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gaps_redone_at_reattach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
