// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_alert.c - alert summaries, process chains, suppression windows. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "alert.h"

#define SEC 1000000000ull

/* what the emit callback saw */
struct seen {
	int n;
	char summary[10][800];
	char chain[10][256];
	char host[10][64];
	uint32_t count[10];
	uint64_t ts[10];
	int64_t send_bytes[10];    /* net.ret of a send alert, -1 without one */
};

static void on_alert(const struct event *ev, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(ev->type, AM_EV_ALERT);
	assert_non_null(ev->alert);
	assert_true(s->n < 10);
	snprintf(s->summary[s->n], sizeof(s->summary[0]), "%s", ev->alert->summary);
	snprintf(s->chain[s->n], sizeof(s->chain[0]), "%s", ev->alert->chain);
	snprintf(s->host[s->n], sizeof(s->host[0]), "%s", ev->http.host ? ev->http.host : "-");
	s->count[s->n] = ev->alert->count;
	s->ts[s->n] = ev->ts_ns;
	s->send_bytes[s->n] = ev->alert->cause_type == AM_EV_SEND && ev->net.has_ret ? ev->net.ret : -1;
	s->n++;
}

static struct event post(uint32_t pid, const char *comm, const char *host, uint64_t ts)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_HTTP; ev.ts_ns = ts;
	ev.pid = pid; ev.ppid = 4250; ev.agent_pid = 4242; ev.agent = "claude";
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	ev.http.method = "POST"; ev.http.host = host; ev.http.path = "/api/posts";
	ev.http.bytes = 1234; ev.http.tls = true;
	ev.http.net.family = AF_INET; ev.http.net.dport = 443;
	return ev;
}

static const struct rules_verdict V = {
	.rule = "outbound_post", .severity = "high", .reason = "host not allowed for POST",
};

static void add_proc(struct proc_cache *pc, uint32_t pid, uint32_t ppid, const char *comm)
{
	struct proc_info *p = proc_cache_upsert(pc, pid);

	assert_non_null(p);
	p->ppid = ppid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
}

static void test_summary(void **state)
{
	struct event ev = post(4242, "claude", "forum.corp.example", 0);
	struct rules_verdict v = { .rule = "unexpected_upload", .severity = "medium",
				   .bytes = 70000, .reason = "host not in the allow list" };
	char b[512];

	alert_summary(&ev, &V, b, sizeof(b));
	assert_string_equal(b, "claude (pid 4242) sent POST https://forum.corp.example/api/posts "
			       "(1234 bytes) - host not allowed for POST");
	ev = post(4251, "curl", NULL, 0);
	ev.http.net.dport = 8080; ev.http.tls = false;
	inet_pton(AF_INET, "192.0.2.1", ev.http.net.daddr);
	alert_summary(&ev, &V, b, sizeof(b));
	assert_string_equal(b, "claude (pid 4242) via curl[4251] sent POST "
			       "http://192.0.2.1:8080/api/posts (1234 bytes) - host not allowed for POST");
	ev.type = AM_EV_SEND;
	memset(&ev.net, 0, sizeof(ev.net));
	ev.net.family = AF_INET6; ev.net.daddr[15] = 2; ev.net.dport = 443;
	alert_summary(&ev, &v, b, sizeof(b));
	assert_string_equal(b, "claude (pid 4242) via curl[4251] sent 70000 bytes to [::2]:443 "
			       "with no HTTP request seen - host not in the allow list");
	ev.type = AM_EV_CONNECT; ev.net.host = "h.example"; ev.agent = NULL;
	v.bytes = 0;
	snprintf(v.reason, sizeof(v.reason), "network I/O through io_uring");
	alert_summary(&ev, &v, b, sizeof(b));
	assert_string_equal(b, "curl (pid 4251) connected to h.example:443 - "
			       "network I/O through io_uring");
	/* a short buffer stays terminated */
	assert_true(alert_summary(&ev, &v, b, 10) <= 9);
	assert_int_equal(strlen(b), 9);
}

static void test_chain(void **state)
{
	struct proc_cache *pc = proc_cache_new();
	struct event ev = post(4251, "curl", "h", 0);
	char b[256];

	add_proc(pc, 4242, 1, "claude");
	add_proc(pc, 4250, 4242, "sh");
	alert_chain(pc, &ev, b, sizeof(b));
	assert_string_equal(b, "claude[4242] > sh[4250] > curl[4251]");
	alert_chain(NULL, &ev, b, sizeof(b));
	assert_string_equal(b, "curl[4251]");
	/* a missing link ends the chain */
	proc_cache_remove(pc, 4242);
	alert_chain(pc, &ev, b, sizeof(b));
	assert_string_equal(b, "sh[4250] > curl[4251]");
	/* a deep tree is cut at ALERT_CHAIN_MAX */
	for (uint32_t pid = 5000; pid < 5040; pid++)
		add_proc(pc, pid, pid == 5000 ? 4242 : pid - 1, "sh");
	add_proc(pc, 4242, 1, "claude");
	ev.ppid = 5039;
	alert_chain(pc, &ev, b, sizeof(b));
	assert_memory_equal(b, "... > sh[", 9);
	proc_cache_free(pc);
}

/* the chain names programs (exe basenames), not thread names */
static void test_chain_programs(void **state)
{
	struct proc_cache *pc = proc_cache_new();
	struct event ev = post(4251, "HTTP Client", "h", 0);
	char b[256];

	add_proc(pc, 4242, 1, "Bun Pool 1");
	assert_int_equal(proc_info_set(&proc_cache_get(pc, 4242)->exe,
				       "/n/@anthropic-ai/claude-code/bin/claude.exe"), 0);
	add_proc(pc, 4250, 4242, "sh");
	ev.exe = "/usr/bin/node";
	alert_chain(pc, &ev, b, sizeof(b));
	assert_string_equal(b, "claude.exe[4242] > sh[4250] > node[4251]");
	/* a versioned binary (Claude Code's native install) keeps its comm */
	assert_int_equal(proc_info_set(&proc_cache_get(pc, 4242)->exe,
				       "/h/.local/share/claude/versions/2.1.197"), 0);
	snprintf(proc_cache_get(pc, 4242)->comm, 16, "claude");
	ev.exe = "";
	alert_chain(pc, &ev, b, sizeof(b));
	assert_string_equal(b, "claude[4242] > sh[4250] > HTTP Client[4251]");
	proc_cache_free(pc);
}

static void test_suppression(void **state)
{
	struct alert_settings s = { .window_ns = 60 * SEC, .max_keys = 2 };
	struct seen seen = { 0 };
	struct alerter *a = alerter_new(&s, NULL, on_alert, &seen);
	struct event ev = post(4242, "claude", "forum.corp.example", 100 * SEC);
	char host[16];

	assert_non_null(a);
	assert_int_equal(alerter_raise(a, &ev, &V), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.count[0], 1);
	for (int i = 1; i <= 5; i++) {
		ev.ts_ns = (100 + (uint64_t)i) * SEC;
		assert_int_equal(alerter_raise(a, &ev, &V), 0);
	}
	assert_int_equal(seen.n, 1);
	/* another host is another key */
	ev = post(4242, "claude", "other.example", 110 * SEC);
	assert_int_equal(alerter_raise(a, &ev, &V), 1);
	assert_int_equal(seen.n, 2);
	/* the window closes: a summary with the count, the last repeat's time */
	alerter_tick(a, 159 * SEC);
	assert_int_equal(seen.n, 2);
	alerter_tick(a, 160 * SEC);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.count[2], 5);
	assert_int_equal(seen.ts[2], 105 * SEC);
	assert_string_equal(seen.host[2], "forum.corp.example");
	assert_non_null(strstr(seen.summary[2], "host not allowed for POST (5 more in 60 s)"));
	assert_int_equal(alerter_keys(a), 1);
	/* a window with no repeats closes silently */
	alerter_tick(a, 170 * SEC);
	assert_int_equal(seen.n, 3);
	assert_int_equal(alerter_keys(a), 0);
	/* bounded: a third key closes the earliest window */
	for (int i = 0; i < 3; i++) {
		snprintf(host, sizeof(host), "h%d.example", i);
		ev = post(4242, "claude", host, 200 * SEC);
		alerter_raise(a, &ev, &V);
		alerter_raise(a, &ev, &V);
	}
	assert_int_equal(seen.n, 3 + 3 + 1);
	assert_int_equal(alerter_keys(a), 2);
	assert_string_equal(seen.host[5], "h0.example");
	assert_int_equal(seen.count[5], 1);
	/* flush emits what is pending */
	alerter_flush(a);
	assert_int_equal(seen.n, 9);
	assert_int_equal(alerter_keys(a), 0);
	alerter_free(a);
}

/* an unexpected_upload's bytes are the number its summary tells (the
 * destination's count), not the last send's */
static void test_upload_bytes(void **state)
{
	struct seen seen = { 0 };
	struct alerter *a = alerter_new(NULL, NULL, on_alert, &seen);
	struct rules_verdict v = { .rule = "unexpected_upload", .severity = "medium",
				   .bytes = 96069, .reason = "host not in the allow list" };
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_SEND; ev.ts_ns = SEC;
	ev.pid = ev.agent_pid = 4242; ev.agent = "node";
	ev.net.family = AF_INET; ev.net.dport = 443; ev.net.host = "paste.example";
	ev.net.has_ret = true; ev.net.ret = 16384;
	assert_non_null(a);
	alerter_raise(a, &ev, &v);
	ev.ts_ns = 2 * SEC;
	alerter_raise(a, &ev, &v);   /* folded: its summary alert says the same */
	alerter_tick(a, 62 * SEC);
	assert_int_equal(seen.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(seen.send_bytes[i], 96069);
		assert_non_null(strstr(seen.summary[i], " sent 96069 bytes to paste.example:443"));
	}
	alerter_free(a);
}

static void test_owned_copy(void **state)
{
	struct seen seen = { 0 };
	struct alerter *a = alerter_new(NULL, NULL, on_alert, &seen);
	char host[32] = "forum.corp.example";
	struct event ev = post(4242, "claude", host, SEC);

	alerter_raise(a, &ev, &V);
	ev.ts_ns = 2 * SEC;
	alerter_raise(a, &ev, &V);
	/* the cause's memory is gone before the summary is emitted */
	memset(host, 'X', sizeof(host) - 1);
	alerter_tick(a, 61 * SEC);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.host[1], "forum.corp.example");
	assert_string_equal(seen.chain[1], "claude[4242]");
	alerter_free(a);
}

/* one agent over its budget: a storm summary; another agent: at once */
static void test_storm(void **state)
{
	struct alert_settings s = { .window_ns = 10 * SEC, .budget = 2 };
	struct seen seen = { 0 };
	struct alerter *a = alerter_new(&s, NULL, on_alert, &seen);
	char host[32];

	assert_non_null(a);
	for (int i = 0; i < 500; i++) {
		struct event ev = post(4251, "curl", host, 100 * SEC + (uint64_t)i);

		snprintf(host, sizeof(host), "h%d.example", i);
		alerter_raise(a, &ev, &V);
	}
	assert_int_equal(seen.n, 2);
	{
		struct event b = post(5151, "codex", "b.example", 101 * SEC);

		b.agent = "codex";
		b.agent_pid = 5150;
		alerter_raise(a, &b, &V);
	}
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.host[2], "b.example");
	alerter_tick(a, 110 * SEC);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.count[3], 498);
	assert_int_equal(alerter_storm_folded(a), 498);
	assert_non_null(strstr(seen.summary[3], "claude (pid 4242): alert storm, 498 alerts folded "
						"(outbound_post 498) to h2.example, h3.example"));
	assert_non_null(strstr(seen.summary[3], "and 490 more in 0 s"));
	alerter_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_programs),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_upload_bytes),
		cmocka_unit_test(test_owned_copy),
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
