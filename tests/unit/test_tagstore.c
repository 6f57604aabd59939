// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_tagstore.c - where a run's tags are pinned (tagstore_pin_dir): the
 * given directory, the one root for the default socket, else one directory
 * per socket whose name is the socket's path made safe; the rest of
 * tagstore reads a live loader (test_restart_tags, integration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "tagstore.h"

static void test_pin_dir(void **state)
{
	char out[256], sock[600];

	(void)state;
	tagstore_pin_dir("/sys/fs/bpf/mine", "/tmp/x.sock", out, sizeof(out));
	assert_string_equal(out, "/sys/fs/bpf/mine");
	tagstore_pin_dir(NULL, AM_DEFAULT_SOCKET, out, sizeof(out));
	assert_string_equal(out, TAGSTORE_PIN_ROOT);
	tagstore_pin_dir(NULL, "/tmp/agentmon-it.1/a b/../s.sock", out, sizeof(out));
	assert_string_equal(out, TAGSTORE_PIN_ROOT "-tmp_agentmon-it.1_a_b_.._s.sock");
	/* a long socket path: one file name, cut, within out */
	memset(sock, 'a', sizeof(sock) - 1);
	sock[0] = '/';
	sock[sizeof(sock) - 1] = '\0';
	tagstore_pin_dir(NULL, sock, out, sizeof(out));
	assert_int_equal(strlen(out), 240);
	assert_null(strchr(out + strlen(TAGSTORE_PIN_ROOT), '/'));
	tagstore_pin_dir(NULL, sock, out, 32);
	assert_int_equal(strlen(out), 31);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
