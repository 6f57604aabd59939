// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_common.c - am_parse_rfc3339, the one RFC 3339 parser (fleet
 * messages' ts, replay/report/tail --since and --until): the output's own
 * form, fractions of 0-9 digits (more ignored), Z, z and +-HH:MM zones give
 * the right wall ns; a bad date, field, fraction, zone, trailing byte, a
 * time before 1970 or past the u64 ns range is -EINVAL and leaves *out alone.
 * am_fd_mnt_id: statx's mount id and fdinfo's agree (for "/", /proc and an
 * O_PATH fd), each is mountinfo's first field for its mount, and a closed fd
 * is -EBADF.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */

static void test_good(void **state)
{
	static const struct { const char *s; uint64_t ns; } good[] = {
		{ "2026-11-25T12:00:00Z", T0 },
		{ "2026-11-25T12:00:00z", T0 },
		{ "2026-11-25T12:00:00.123456789Z", T0 + 123456789 },
		{ "2026-11-25T12:00:00.1Z", T0 + 100000000 },
		{ "2026-11-25T12:00:00.000000001Z", T0 + 1 },
		{ "2026-11-25T12:00:00.1234567891234Z", T0 + 123456789 },
		{ "2026-11-25T13:30:00+01:30", T0 },
		{ "2026-11-25T07:00:00.5-05:00", T0 + 500000000 },
		{ "2026-11-25T12:00:00+00:00", T0 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T01:00:00+01:00", 0 },
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 7;
		assert_int_equal(am_parse_rfc3339(good[i].s, &ns), 0);
		assert_true(ns == good[i].ns);
	}
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "Z", "2026-11-25", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z",
		"2026-13-25T12:00:00Z", "2026-11-25T25:00:00Z", "2026-11-25T12:00:00.Z",
		"2026-11-25T12:00:00.x1Z", "2026-11-25T12:00:00ZZ", "2026-11-25T12:00:00Z ",
		"2026-11-25T12:00:00+1:00", "2026-11-25T12:00:00+01:0", "2026-11-25T12:00:00+0100",
		"2026-11-25T12:00:00+24:00", "2026-11-25T12:00:00+01:60", "2026-11-25T12:00:00+ 1:00",
		"2026-11-25T12:00:00+-1:00", "2026-11-25T12:00:00+01:00x", "2026-11-25T12:00:00UTC",
		"1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01", "2600-01-01T00:00:00Z",
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 7;
		assert_int_equal(am_parse_rfc3339(bad[i], &ns), -EINVAL);
		assert_true(ns == 7);
	}
}

/* mountinfo's id of the mount at dir ("/", "/proc"), 0 when not found */
static uint64_t mountinfo_id(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], at[4096];
	unsigned long long id, found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %*u %*s %*s %4095s", &id, at) == 2 && !strcmp(at, dir))
			found = id; /* the last mount there is the one seen */
	fclose(f);
	return found;
}

static void test_mnt_id(void **state)
{
	static const struct { const char *dir; int flags; } at[] = {
		{ "/", O_RDONLY | O_DIRECTORY }, { "/proc", O_RDONLY | O_DIRECTORY },
		{ "/proc", O_PATH },
	};
	uint64_t a, b;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		fd = open(at[i].dir, at[i].flags | O_CLOEXEC);
		assert_true(fd >= 0);
		a = b = 0;
		assert_int_equal(am_fd_mnt_id(fd, &a), 0);
		assert_int_equal(am_fdinfo_mnt_id(fd, &b), 0);
		assert_true(a && a == b);
		assert_true(a == mountinfo_id(at[i].dir));
		close(fd);
		a = 7;
		assert_int_equal(am_fd_mnt_id(fd, &a), -EBADF);
		assert_int_equal(am_fdinfo_mnt_id(fd, &a), -ENOENT);
		assert_true(a == 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_mnt_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
