// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_launch.c - the collector's side of the launch protocol: bad
 * requests are refused with a reply, before anything is tagged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agents.h"
#include "launch.h"

static void refused(const char *line, pid_t pid, const char *want)
{
	struct agents *a = agents_new();
	struct ucred peer = { .pid = pid };
	char reply[128];
	size_t n;

	assert_non_null(a);
	n = agents_count(a);
	/* no tagger: a request that got as far as tagging would crash */
	assert_int_equal(launch_serve(a, NULL, &peer, line, reply, sizeof(reply)), 0);
	assert_string_equal(reply, want);
	assert_int_equal(agents_count(a), n);   /* no name added */
	agents_free(a);
}

static void test_refused(void **state)
{
	char self[64];

	(void)state;
	refused("tag me", 4242, "error unknown request");
	refused("launch ", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch a/b", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch a b", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 4242,
		"error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch claude", 0, "error cannot tag pid 0");
	snprintf(self, sizeof(self), "error cannot tag pid %d", (int)getpid());
	refused("launch claude", getpid(), self);   /* the collector itself */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
