// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_names.c - address to name cache: v4/v6, TTL floor, expiry, bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

static void test_v4_v6(void **state)
{
	struct names *n = names_new(16);
	uint8_t a4[4], a6[16];

	(void)state;
	inet_pton(AF_INET, "140.82.112.3", a4);
	inet_pton(AF_INET6, "2606:4700::6810:84e5", a6);
	names_add(n, AF_INET, a4, "GitHub.com", 60, 1000);
	names_add(n, AF_INET6, a6, "api.anthropic.com", 3600, 1000);
	assert_string_equal(names_lookup(n, AF_INET, a4, 1000), "github.com");
	assert_string_equal(names_lookup(n, AF_INET6, a6, 1000), "api.anthropic.com");
	/* the same 4 bytes as the start of an IPv6 address are another key */
	uint8_t other[16] = { 140, 82, 112, 3 };
	assert_null(names_lookup(n, AF_INET6, other, 1000));
	names_free(n);
}

static void test_ttl_floor_and_expiry(void **state)
{
	struct names *n = names_new(16);
	uint8_t a[4] = { 10, 0, 0, 1 };

	(void)state;
	names_add(n, AF_INET, a, "short.example", 5, 1000);
	assert_non_null(names_lookup(n, AF_INET, a, 1000 + NAMES_MIN_TTL));
	assert_null(names_lookup(n, AF_INET, a, 1000 + NAMES_MIN_TTL + 1));
	names_add(n, AF_INET, a, "", 5, 1000); /* empty names are ignored */
	assert_null(names_lookup(n, AF_INET, a, 1000));
	names_free(n);
}

static void test_bounded(void **state)
{
	struct names *n = names_new(32);
	char host[32];

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		uint8_t a[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

		snprintf(host, sizeof(host), "h%u.example", i);
		names_add(n, AF_INET, a, host, 600, 1);
	}
	uint8_t last[4] = { 10, 1, 999 >> 8, 999 & 0xff }, first[4] = { 10, 1, 0, 0 };
	assert_string_equal(names_lookup(n, AF_INET, last, 2), "h999.example");
	assert_null(names_lookup(n, AF_INET, first, 2));
	names_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_v6),
		cmocka_unit_test(test_ttl_floor_and_expiry),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
