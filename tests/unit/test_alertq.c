// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_alertq.c - the webhook's queue: fair lanes, the bound, ttl, retries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alertq.h"

#define MS 1000000ull

/* a spooled alert of lane with severity rank sev and count */
static int add(struct alertq *q, uint64_t lane, int sev, uint32_t count, uint64_t now)
{
	struct alertq_item it = { .lane = lane, .sev = sev, .count = count, .added_ns = now };

	snprintf(it.name, sizeof(it.name), "n%llu", (unsigned long long)q->seq + 1);
	return alertq_add(q, &it);
}

/* the name of the next alert to send, removed as delivered; "" when none */
static const char *deliver(struct alertq *q, uint64_t now, char *buf)
{
	uint64_t wake;
	ssize_t i = alertq_next(q, now, &wake);

	buf[0] = '\0';
	if (i >= 0) {
		strcpy(buf, q->v[i].name);
		alertq_remove(q, (size_t)i);
	}
	return buf;
}

/* a storm of lane 1 queued first; lane 2's one alert goes second */
static void test_fair(void **state)
{
	struct alertq q;
	char b[64];

	alertq_init(&q, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(add(&q, 1, 3, 1, 0), 0);
	assert_int_equal(add(&q, 2, 2, 1, 0), 0);         /* n1001 */
	assert_string_equal(deliver(&q, 0, b), "n1");
	assert_string_equal(deliver(&q, 0, b), "n1001");
	assert_string_equal(deliver(&q, 0, b), "n2");
	assert_string_equal(deliver(&q, 0, b), "n3");
	alertq_free(&q);
}

/* a failing alert waits for its own retry; the others go meanwhile */
static void test_retry_own(void **state)
{
	struct alertq q;
	uint64_t wake;
	ssize_t i;
	char b[64];

	alertq_init(&q, 0, 0);
	add(&q, 1, 3, 1, 0);
	add(&q, 1, 3, 1, 0);
	i = alertq_next(&q, 0, &wake);
	assert_string_equal(q.v[i].name, "n1");
	alertq_retry(&q, (size_t)i, 0, 1000, 8000, 0);  /* 500 ms (jitter 0) */
	assert_string_equal(deliver(&q, 1 * MS, b), "n2");
	assert_string_equal(deliver(&q, 1 * MS, b), "");
	alertq_next(&q, 1 * MS, &wake);
	assert_int_equal(wake, 500 * MS);
	assert_string_equal(deliver(&q, 500 * MS, b), "n1");
	alertq_free(&q);
}

/* full: the lowest severity, then the most folded goes; the newest high stays */
static void test_bound(void **state)
{
	struct alertq q;
	ssize_t d;

	alertq_init(&q, 3, 0);
	add(&q, 1, 3, 1, 0);        /* n1 high */
	add(&q, 1, 1, 1, 0);        /* n2 low */
	add(&q, 1, 3, 50, 0);       /* n3 high, folded 50 */
	assert_int_equal(add(&q, 1, 3, 1, 0), 0);   /* n4: n2 goes */
	d = alertq_dead(&q);
	assert_true(d >= 0);
	assert_string_equal(q.v[d].name, "n2");
	alertq_remove(&q, (size_t)d);
	assert_int_equal(add(&q, 1, 3, 1, 0), 0);   /* n5: n3 goes (most folded) */
	d = alertq_dead(&q);
	assert_string_equal(q.v[d].name, "n3");
	alertq_remove(&q, (size_t)d);
	assert_int_equal(add(&q, 1, 1, 1, 0), -EAGAIN); /* a new low: it goes */
	assert_int_equal(add(&q, 1, 4, 1, 0), 0);   /* critical: n1, the oldest high goes */
	d = alertq_dead(&q);
	assert_string_equal(q.v[d].name, "n1");
	assert_int_equal(q.evicted, 4);
	assert_int_equal(q.live, 3);
	alertq_free(&q);
}

static void test_ttl(void **state)
{
	struct alertq q;
	size_t sp, mem;

	alertq_init(&q, 0, 1000 * MS);
	add(&q, 1, 3, 1, 0);
	add(&q, 2, 3, 1, 600 * MS);
	assert_int_equal(alertq_expire(&q, 999 * MS), 0);
	assert_int_equal(alertq_expire(&q, 1000 * MS), 1);
	assert_int_equal(q.expired, 1);
	alertq_counts(&q, &sp, &mem);
	assert_int_equal(sp, 1);
	assert_int_equal(alertq_expire(&q, 1600 * MS), 1);
	assert_int_equal(q.live, 0);
	alertq_free(&q);
}

static void test_meta_of_body(void **state)
{
	struct alertq_item it = { 0 };
	const char *j = "{\"ts\":\"x\",\"summary\":\"a \\\"severity\\\":\\\"low\\\" b\","
			"\"agent\":\"claude\",\"agent_pid\":4242,\"rule\":\"outbound_post\","
			"\"severity\":\"high\",\"count\":7}";

	alertq_meta_of_body(&it, j, strlen(j));
	assert_int_equal(it.lane, alertq_lane("claude", 4242));
	assert_int_equal(it.sev, 3);
	assert_int_equal(it.count, 7);
	memset(&it, 0, sizeof(it));
	j = "{\"text\":\"ALERT medium unexpected_upload: x\"}";
	alertq_meta_of_body(&it, j, strlen(j));
	assert_int_equal(it.sev, 2);
	assert_int_equal(it.lane, alertq_lane(NULL, 0));
	assert_true(alertq_lane("claude", 1) != alertq_lane("claude", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fair),
		cmocka_unit_test(test_retry_own),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_meta_of_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
