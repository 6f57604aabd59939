// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_trace_dir.c - the trace directory: file names in time order, pruning
 * by age and by size that never deletes the file being written nor anything
 * but regular agentmon-*.amtrace files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

#define HOUR_NS (3600ull * 1000000000ull)

static char dir[64], err[256];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_trace_dir.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* names: the documented form, and time order */
static void test_file_names(void **state)
{
	static const uint64_t later_s[] = { 0, 1, 59, 3600, 86400, 40 * 86400, 400 * 86400 };
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 25, .tm_hour = 14,
			 .tm_min = 30 };
	uint64_t t = (uint64_t)timegm(&tm) * 1000000000ull;
	char a[128], b[128], small[16];

	(void)state;
	assert_int_equal(trace_file_name(a, sizeof(a), "/d", t + 999, 1), 0);
	assert_string_equal(a, "/d/agentmon-20261125T143000Z-0001.amtrace");
	assert_int_equal(trace_file_name(small, sizeof(small), "/d", t, 1), -ENAMETOOLONG);
	for (size_t i = 1; i < sizeof(later_s) / sizeof(later_s[0]); i++) {
		trace_file_name(a, sizeof(a), "/d", t + later_s[i - 1] * 1000000000ull, 9999);
		trace_file_name(b, sizeof(b), "/d", t + later_s[i] * 1000000000ull, 0);
		assert_true(strcmp(a, b) < 0);
	}
	trace_file_name(a, sizeof(a), "/d", t, 9);
	trace_file_name(b, sizeof(b), "/d", t, 10);
	assert_true(strcmp(a, b) < 0);
}

/* a trace file in dir named for wall time at_ns, of size bytes, with that mtime */
static void make_trace(char *path, size_t len, uint64_t at_ns, unsigned seq, size_t size)
{
	struct timespec ts[2] = { { .tv_sec = (time_t)(at_ns / 1000000000ull) } };
	int fd;

	ts[1] = ts[0];
	assert_int_equal(trace_file_name(path, len, dir, at_ns, seq), 0);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

/* files that are not regular agentmon-*.amtrace files: a directory, a
 * link, other names */
static const char *const others[] = { "agentmon-sub.amtrace", "agentmon-link.amtrace",
				      "other.txt", "agentmon-x.log", "foo.amtrace" };

static void make_others(void)
{
	char path[256];

	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, others[i]);
		if (i == 0)
			assert_int_equal(mkdir(path, 0700), 0);
		else if (i == 1)
			assert_int_equal(symlink("other.txt", path), 0);
		else
			fclose(fopen(path, "w"));
	}
}

static void others_remain(void)
{
	char path[256];

	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, others[i]);
		assert_int_equal(access(path, F_OK), 0);
	}
}

/* by age: files whose mtime is older than the limit go, except keep */
static void test_prune_age(void **state)
{
	uint64_t now = (uint64_t)time(NULL) * 1000000000ull;
	char paths[5][128];
	struct trace_prune p = { .keep_age_ns = 5 * HOUR_NS / 2 };

	(void)state;
	for (unsigned i = 0; i < 5; i++)   /* 5h, 4h ... 1h old */
		make_trace(paths[i], sizeof(paths[i]), now - (5 - i) * HOUR_NS, i, 100);
	make_others();
	assert_int_equal(trace_prune_dir(dir, &p, now, paths[0], err, sizeof(err)), 2);
	assert_int_equal(access(paths[0], F_OK), 0);   /* kept though oldest */
	assert_int_equal(access(paths[1], F_OK), -1);
	assert_int_equal(access(paths[2], F_OK), -1);
	assert_int_equal(access(paths[3], F_OK), 0);
	assert_int_equal(access(paths[4], F_OK), 0);
	others_remain();
	assert_int_equal(trace_prune_dir(dir, &p, now, paths[0], err, sizeof(err)), 0);
	assert_int_equal(trace_prune_dir("/nonexistent", &p, now, NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "open /nonexistent: No such file or directory");
}

/* by size: the oldest go until the total fits; keep stays even alone above */
static void test_prune_size(void **state)
{
	uint64_t now = (uint64_t)time(NULL) * 1000000000ull;
	char paths[5][128];
	struct trace_prune p = { .keep_bytes = 2500 };

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		make_trace(paths[i], sizeof(paths[i]), now - (5 - i) * HOUR_NS, i, 1000);
	make_others();
	assert_int_equal(trace_prune_dir(dir, &p, now, paths[4], err, sizeof(err)), 3);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(access(paths[i], F_OK), i < 3 ? -1 : 0);
	p.keep_bytes = 1;
	assert_int_equal(trace_prune_dir(dir, &p, now, paths[3], err, sizeof(err)), 1);
	assert_int_equal(access(paths[3], F_OK), 0);
	assert_int_equal(access(paths[4], F_OK), -1);
	others_remain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_names),
		cmocka_unit_test_setup_teardown(test_prune_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_size, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
