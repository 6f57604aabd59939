// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_table.c - bounded table: put/get/del, LRU eviction, release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static int released, one = 1;

static void release(void *val, void *arg)
{
	released += *(int *)arg;
	(void)val;
}

static void test_put_get_del(void **state)
{
	struct table *t = table_new(sizeof(uint32_t), sizeof(uint64_t), 100, release, &one);
	bool created;

	(void)state;
	released = 0;
	for (uint32_t k = 0; k < 100; k++) {
		uint64_t *v = table_put(t, &k, &created);
		assert_true(created);
		assert_int_equal(*v, 0);
		*v = k * 10;
	}
	assert_int_equal(table_count(t), 100);
	for (uint32_t k = 0; k < 100; k++)
		assert_int_equal(*(uint64_t *)table_get(t, &k), k * 10);
	uint32_t k = 7;
	assert_int_equal(*(uint64_t *)table_put(t, &k, &created), 70);
	assert_false(created);
	table_del(t, &k);
	assert_null(table_get(t, &k));
	assert_int_equal(released, 1);
	assert_int_equal(table_count(t), 99);
	table_free(t);
	assert_int_equal(released, 100);
}

static void test_eviction_keeps_recent(void **state)
{
	struct table *t = table_new(sizeof(uint32_t), sizeof(uint32_t), 64, NULL, NULL);

	(void)state;
	for (uint32_t k = 0; k < 64; k++)
		*(uint32_t *)table_put(t, &k, NULL) = k;
	uint32_t hot = 0;
	assert_non_null(table_get(t, &hot)); /* 0 is now the most recent */
	for (uint32_t k = 1000; k < 1000 + 10000; k++) {
		*(uint32_t *)table_put(t, &k, NULL) = k;
		assert_true(table_count(t) <= 64);
		if (k % 7 == 0)
			assert_non_null(table_get(t, &hot) ?: table_put(t, &hot, NULL));
	}
	uint32_t last = 1000 + 9999;
	assert_int_equal(*(uint32_t *)table_get(t, &last), last);
	table_free(t);
}

static bool drop_odd(const void *key, void *val, void *arg)
{
	(void)val; (void)arg;
	return *(const uint32_t *)key & 1;
}

static void test_each_deletes(void **state)
{
	struct table *t = table_new(sizeof(uint32_t), 1, 10, NULL, NULL);

	(void)state;
	for (uint32_t k = 0; k < 10; k++)
		table_put(t, &k, NULL);
	table_each(t, drop_odd, NULL);
	assert_int_equal(table_count(t), 5);
	for (uint32_t k = 0; k < 10; k++)
		assert_true((table_get(t, &k) != NULL) == !(k & 1));
	/* freed slots are reused */
	for (uint32_t k = 20; k < 25; k++)
		assert_non_null(table_put(t, &k, NULL));
	assert_int_equal(table_count(t), 10);
	table_free(t);
}

/* eviction releases, with the caller's argument, every value it drops */
static void test_eviction_releases(void **state)
{
	struct table *t = table_new(sizeof(uint32_t), 8, 16, release, &one);

	(void)state;
	released = 0;
	for (uint32_t k = 0; k < 100; k++)
		table_put(t, &k, NULL);
	assert_int_equal(released, 100 - (int)table_count(t));
	table_free(t);
	assert_int_equal(released, 100);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	assert_null(table_new(0, 8, 10, NULL, NULL));
	assert_null(table_new(4, 8, 0, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_eviction_keeps_recent),
		cmocka_unit_test(test_each_deletes),
		cmocka_unit_test(test_eviction_releases),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
