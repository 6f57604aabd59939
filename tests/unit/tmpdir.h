/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tmpdir.h - a fresh directory per test for the unit tests that write
 * files: cmocka setup/teardown pair; the test reads its path in dir.
 */
#ifndef AGENTMON_TEST_TMPDIR_H
#define AGENTMON_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[64];

/* dir: a new /tmp/agentmon-unit.XXXXXX */
static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/agentmon-unit.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

/* dir and all it holds removed */
static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

#endif
