// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_report_keys.c - the report's index under hash collisions: report.c
 * built here with 3-bit key hashes (8 values), so that keys collide on
 * purpose.  A hit must be checked against the stored key: two files, two
 * processes, two destinations or two sessions are never merged; past the
 * probes an entry is counted as cut, never lost.
 */
#define REPORT_KEY_BITS 3
#include "../../user/report.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define N 40

static struct event base(uint32_t type, uint32_t pid, const char *agent, uint32_t agent_pid)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = 1795608000123456789ull + pid;
	ev.type = type;
	ev.pid = ev.tid = pid;
	ev.ppid = agent_pid;
	ev.agent_pid = agent_pid;
	ev.agent = agent;
	strcpy(ev.comm, "sh");
	return ev;
}

/* N files written twice each: every kept file counts its own two writes */
static void test_files_collide(void **state)
{
	struct report *r = report_new(NULL);
	char paths[N][32];
	const struct report_session *s;

	(void)state;
	assert_non_null(r);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			struct event ev = base(AM_EV_OPEN, 101, "bot", 100);

			snprintf(paths[i], sizeof(paths[i]), "/w/file%d", i);
			ev.file.path = paths[i];
			ev.file.write = true;
			assert_int_equal(report_event(r, &ev), 0);
		}
	}
	s = &r->sessions[0];
	assert_int_equal(r->n_sessions, 1);
	assert_true(s->n_files > 0);
	assert_int_equal(s->n_files + s->files_cut, N);
	for (uint32_t i = 0; i < s->n_files; i++) {
		assert_int_equal(s->files[i].written, 2);
		for (uint32_t j = 0; j < i; j++)
			assert_string_not_equal(s->files[i].path, s->files[j].path);
	}
	report_free(r);
}

/* processes, destinations and sessions: the same, each by its own key */
static void test_procs_dests_sessions_collide(void **state)
{
	struct report *r = report_new(NULL);
	const struct report_session *s;
	struct report_peer peer = { .family = AF_INET, .port = 443 };
	uint32_t received = 0;

	(void)state;
	assert_non_null(r);
	for (uint32_t i = 0; i < N; i++) {
		struct event ev = base(AM_EV_EXIT, 200 + i, "bot", 100);

		ev.exit.exit_code = (int32_t)i;
		assert_int_equal(report_event(r, &ev), 0);
		ev = base(AM_EV_CONNECT, 200 + i, "bot", 100);
		ev.net.family = AF_INET;
		ev.net.dport = 443;
		ev.net.daddr[0] = 10;
		ev.net.daddr[3] = (uint8_t)i;
		assert_int_equal(report_event(r, &ev), 0);
	}
	s = &r->sessions[0];
	assert_int_equal(s->n_procs + s->procs_cut, N);
	for (uint32_t i = 0; i < s->n_procs; i++)
		assert_int_equal(s->procs[i].exit_code, (int32_t)(s->procs[i].pid - 200));
	assert_int_equal(s->n_dests + s->dests_cut, N);
	for (uint32_t i = 0; i < s->n_dests; i++)
		assert_int_equal(s->dests[i].connects, 1);
	/* bytes received go to their own destination, or unattributed */
	for (uint32_t i = 0; i < N; i++) {
		peer.daddr[0] = 10;
		peer.daddr[3] = (uint8_t)i;
		report_received(r, 100, &peer, 1);
	}
	for (uint32_t i = 0; i < s->n_dests; i++) {
		assert_int_equal(s->dests[i].bytes_received, 1);
		received++;
	}
	assert_int_equal(received + s->unattributed_received, N);
	/* sessions: same root pid, other agent names; never merged */
	for (uint32_t i = 0; i < 12; i++) {
		char name[16];
		struct event ev;

		snprintf(name, sizeof(name), "agent%u", i);
		ev = base(AM_EV_EXIT, 100, name, 100);
		assert_int_equal(report_event(r, &ev), 0);
	}
	for (uint32_t i = 1; i < r->n_sessions; i++)
		for (uint32_t j = 0; j < i; j++)
			assert_string_not_equal(r->sessions[i].agent, r->sessions[j].agent);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_collide),
		cmocka_unit_test(test_procs_dests_sessions_collide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
