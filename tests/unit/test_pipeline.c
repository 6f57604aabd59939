// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_pipeline.c - what the shared pipeline (live and replay) shows for
 * records it cannot use: a record that does not decode is a drop event with
 * its reason, and monitor_degraded once per reason; a tag the kernel could
 * not store (AM_F_TAG_LOST) raises monitor_degraded once; a held connect is
 * shown before the alert its cleartext request raises; answers read on a
 * hooked connection whose requests were not do not make it readable.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm.h"
#include "pipeline.h"

#define MAX_SHOWN 16

struct shown {
	uint32_t type;
	uint64_t lost;
	char reason[256];   /* drop reason, or alert rule */
	char summary[384];
	char match[16];     /* alert: its intent's match, "" when none */
	char tool[32];      /* alert: its intent's tool; llm: its first tool */
};

struct fixture {
	struct policy *policy;
	struct pipeline *pl;
	struct shown shown[MAX_SHOWN];
	int n;
};

static void show(void *arg, const struct event *ev)
{
	struct fixture *f = arg;
	struct shown *s = &f->shown[f->n < MAX_SHOWN ? f->n : MAX_SHOWN - 1];

	f->n++;
	memset(s, 0, sizeof(*s));
	s->type = ev->type;
	if (ev->type == AM_EV_DROP) {
		s->lost = ev->drop.lost;
		snprintf(s->reason, sizeof(s->reason), "%s", ev->drop.reason ? ev->drop.reason : "");
	} else if (ev->type == AM_EV_ALERT) {
		snprintf(s->reason, sizeof(s->reason), "%s", ev->alert->rule);
		snprintf(s->summary, sizeof(s->summary), "%s", ev->alert->summary);
		if (ev->alert->intent) {
			snprintf(s->match, sizeof(s->match), "%s", ev->alert->intent->match);
			snprintf(s->tool, sizeof(s->tool), "%s", ev->alert->intent->tool);
		}
	} else if (ev->type == AM_EV_LLM && ev->llm.x->n_tools) {
		snprintf(s->tool, sizeof(s->tool), "%.31s", ev->llm.x->tools[0].name);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pipeline_hooks h = { .show = show, .arg = f };
	struct pipeline_opts o = { 0 };   /* a replay's: no procfs, no tag writes */
	char err[256];

	assert_non_null(f);
	assert_int_equal(policy_load(NULL, &f->policy, err, sizeof(err)), 0);
	assert_int_equal(pipeline_new(&f->pl, f->policy, &o, &h, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pipeline_free(f->pl);
	policy_free(f->policy);
	free(f);
	return 0;
}

static _Alignas(8) unsigned char rec[256];

/* an exec record whose argv_len runs past its end */
static size_t bad_exec(void)
{
	struct am_exec x = { 0 };

	x.hdr.type = AM_EV_EXEC;
	x.hdr.size = sizeof(x) + 4;
	x.hdr.agent_id = AM_AGENT_NONE;
	x.filename_len = 4;
	x.argv_len = 100;
	memcpy(rec, &x, sizeof(x));
	memcpy(rec + sizeof(x), "/bin", 4);
	rec[sizeof(x) + 3] = 0;
	return x.hdr.size;
}

static int count(const struct fixture *f, uint32_t type, const char *reason)
{
	int n = 0;

	for (int i = 0; i < f->n && i < MAX_SHOWN; i++)
		n += f->shown[i].type == type && (!reason || strstr(f->shown[i].reason, reason));
	return n;
}

static void test_undecodable_is_a_drop_and_alerts_once(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	uint64_t bad;
	size_t n = bad_exec();

	assert_int_equal(pipeline_record(f->pl, rec, n, &why), -EBADMSG);
	assert_non_null(why);
	assert_int_equal(count(f, AM_EV_DROP, "undecodable exec record"), 1);
	assert_int_equal(f->shown[0].lost, 1);
	assert_non_null(strstr(f->shown[0].reason, why));
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 1);

	/* the same reason again: one more drop, no second alert */
	assert_int_equal(pipeline_record(f->pl, rec, n, NULL), -EBADMSG);
	assert_int_equal(count(f, AM_EV_DROP, "undecodable exec record"), 2);
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 1);

	/* another reason (a short record): its own drop and alert */
	assert_int_equal(pipeline_record(f->pl, rec, 8, NULL), -EBADMSG);
	assert_int_equal(count(f, AM_EV_DROP, "undecodable short record"), 1);
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 2);
	assert_int_equal(pipeline_records(f->pl, &bad), 3);
	assert_int_equal(bad, 3);
}

static void test_kernel_drop_has_no_reason(void **state)
{
	struct fixture *f = *state;

	pipeline_drop(f->pl, 7, 1000);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->shown[0].type, AM_EV_DROP);
	assert_int_equal(f->shown[0].lost, 7);
	assert_string_equal(f->shown[0].reason, "");
	assert_int_equal(count(f, AM_EV_ALERT, NULL), 0);
}

/* a fork the kernel could not tag: monitor_degraded once, however many */
static void test_tag_lost_alerts_once(void **state)
{
	struct fixture *f = *state;
	struct am_hdr h = { .ts_ns = 5, .pid = 4242, .tid = 4242, .ppid = 4241,
		.agent_pid = 4241, .agent_id = 0, .type = AM_EV_FORK, .size = sizeof(h),
		.flags = AM_F_TAG_LOST };

	memcpy(h.comm, "forker", 6);
	assert_int_equal(pipeline_record(f->pl, &h, sizeof(h), NULL), 0);
	h.pid = h.tid = 4243;
	assert_int_equal(pipeline_record(f->pl, &h, sizeof(h), NULL), 0);
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 1);
	for (int i = 0; i < f->n; i++)
		if (f->shown[i].type == AM_EV_ALERT)
			assert_non_null(strstr(f->shown[i].summary, "process 4242 (forker)"));
	/* the key is shared with the collector's kernel counter: still once */
	assert_false(pipeline_degraded(f->pl, PIPELINE_TAG_MAP_FULL, "full", 6));
	assert_true(pipeline_degraded(f->pl, "something_else", "other", 6));
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 2);
}

/* a candidate exec (an untagged process ran an interpreter) of pid */
static size_t candidate_exec(uint32_t pid, const char *file, const char *argv, size_t argv_len)
{
	struct am_exec x = { 0 };
	size_t fl = strlen(file) + 1;

	x.hdr.type = AM_EV_EXEC;
	x.hdr.pid = x.hdr.tid = pid;
	x.hdr.agent_id = AM_AGENT_NONE;
	x.hdr.flags = AM_F_CANDIDATE;
	x.argc = 0;
	for (size_t i = 0; i < argv_len; i++)
		x.argc += argv[i] == '\0';
	x.filename_len = (uint16_t)fl;
	x.argv_len = (uint16_t)argv_len;
	x.hdr.size = (uint16_t)(sizeof(x) + fl + argv_len);
	memcpy(rec, &x, sizeof(x));
	memcpy(rec + sizeof(x), file, fl);
	memcpy(rec + sizeof(x) + fl, argv, argv_len);
	return x.hdr.size;
}

/* only agents' records are recorded: an interpreter that is no agent is not */
static void test_agent_record(void **state)
{
	struct fixture *f = *state;
	static const char plain[] = "python3\0-c\0pass SECRET";
	static const char agent[] = "node\0/opt/lib/node_modules/@anthropic-ai/claude-code/cli.js";
	size_t n = candidate_exec(500, "/usr/bin/python3", plain, sizeof(plain));

	assert_int_equal(pipeline_record(f->pl, rec, n, NULL), 0);
	assert_false(pipeline_agent_record(f->pl, rec, n));
	n = candidate_exec(501, "/usr/bin/node", agent, sizeof(agent));
	assert_int_equal(pipeline_record(f->pl, rec, n, NULL), 0);
	assert_true(pipeline_agent_record(f->pl, rec, n));
	/* tagged by the kernel: the header says so */
	((struct am_hdr *)rec)->agent_id = 0;
	((struct am_hdr *)rec)->pid = 502;
	assert_true(pipeline_agent_record(f->pl, rec, n));
	assert_false(pipeline_agent_record(f->pl, rec, 8));
}

/* a data record of pid (agent session 4241) on local port sport: the n
 * bytes at s captured of ret moved */
static void data_of(struct fixture *f, uint32_t pid, uint8_t source, uint16_t sport,
		    const char *s, size_t n, int64_t ret)
{
	static _Alignas(8) unsigned char buf[2048];
	struct am_data d = { 0 };

	d.hdr = (struct am_hdr){ .ts_ns = 1000, .pid = pid, .tid = pid, .ppid = 4241,
		.agent_pid = 4241, .agent_id = 0, .type = AM_EV_DATA };
	d.hdr.size = (uint16_t)(sizeof(d) + n);
	d.ret = ret;
	d.cap_len = (uint16_t)n;
	d.daddr[0] = 10; d.daddr[3] = 3;
	d.saddr[0] = 10; d.saddr[3] = 9;
	d.fd = 0xffffffff;
	d.dport = 80;
	d.sport = sport;
	d.family = 2;
	d.proto = 6;
	d.source = source;
	assert_true(sizeof(d) + n <= sizeof(buf));
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + sizeof(d), s, n);
	assert_int_equal(pipeline_record(f->pl, buf, sizeof(d) + n, NULL), 0);
}

/* the same, all of the string s */
static void data(struct fixture *f, uint32_t pid, uint8_t source, uint16_t sport, const char *s)
{
	data_of(f, pid, source, sport, s, strlen(s), (int64_t)strlen(s));
}

static const struct shown *last_of(const struct fixture *f, uint32_t type)
{
	for (int i = (f->n < MAX_SHOWN ? f->n : MAX_SHOWN) - 1; i >= 0; i--)
		if (f->shown[i].type == type)
			return &f->shown[i];
	return NULL;
}

/*
 * an agent's cleartext exchange with a model API of the default policy: an
 * llm event; its tool call explains the POST that follows ("named"), and a
 * POST elsewhere ("last"); with alerts.intent: false the alert has none
 */
static void test_llm_and_intent(void **state)
{
	static const char body[] = "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\","
				   "\"content\":\"answer the forum\"}]}";
	static const char answer[] = "{\"type\":\"message\",\"content\":[{\"type\":\"tool_use\","
				     "\"name\":\"Bash\",\"input\":{\"command\":\"curl -X POST "
				     "http://forum.corp.example/t/1\"}}]}";
	static const char off[] = "alerts:\n  intent: false\n";
	struct fixture *f = *state;
	struct policy *p = NULL;
	char msg[1024], err[256];

	snprintf(msg, sizeof(msg), "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	data(f, 4242, AM_DATA_SOCK_SEND, 40000, msg);
	snprintf(msg, sizeof(msg), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(answer), answer);
	data(f, 4242, AM_DATA_SOCK_RECV, 40000, msg);
	assert_non_null(last_of(f, AM_EV_LLM));
	assert_string_equal(last_of(f, AM_EV_LLM)->tool, "Bash");
	assert_int_equal(count(f, AM_EV_ALERT, NULL), 0);
	data(f, 4250, AM_DATA_SOCK_SEND, 40001,
	     "POST /t/1 HTTP/1.1\r\nHost: forum.corp.example\r\nContent-Length: 1\r\n\r\nx");
	assert_string_equal(last_of(f, AM_EV_ALERT)->match, "named");
	assert_string_equal(last_of(f, AM_EV_ALERT)->tool, "Bash");
	data(f, 4251, AM_DATA_SOCK_SEND, 40002,
	     "POST /x HTTP/1.1\r\nHost: paste.example\r\nContent-Length: 1\r\n\r\nx");
	assert_string_equal(last_of(f, AM_EV_ALERT)->match, "last");
	assert_int_equal(policy_load_buffer("off.yaml", off, strlen(off), &p, err, sizeof(err)), 0);
	assert_int_equal(pipeline_set_policy(f->pl, p, err, sizeof(err)), 0);
	data(f, 4252, AM_DATA_SOCK_SEND, 40003,
	     "POST /t/1 HTTP/1.1\r\nHost: forum2.corp.example\r\nContent-Length: 1\r\n\r\nx");
	assert_int_equal(count(f, AM_EV_ALERT, "outbound_post"), 3);
	assert_string_equal(last_of(f, AM_EV_ALERT)->match, "");
	pipeline_free(f->pl);
	f->pl = NULL;
	policy_free(p);
}

/* a held connect (waiting for a ClientHello) is shown before the request and
 * the alert of the cleartext bytes that release it (the compact view once
 * printed the alert first) */
static void test_connect_before_alert(void **state)
{
	struct fixture *f = *state;
	struct am_net c = { 0 };
	int at;

	c.hdr = (struct am_hdr){ .ts_ns = 900, .pid = 4270, .tid = 4270, .ppid = 4241,
		.agent_pid = 4241, .agent_id = 0, .type = AM_EV_CONNECT, .size = sizeof(c) };
	c.ret = -115; /* EINPROGRESS */
	c.daddr[0] = 10; c.daddr[3] = 3;
	c.fd = 5;
	c.dport = 80;
	c.family = 2;
	c.proto = 6;
	assert_int_equal(pipeline_record(f->pl, &c, sizeof(c), NULL), 0);
	assert_int_equal(f->n, 0); /* held */
	data(f, 4270, AM_DATA_SOCK_SEND, 40020,
	     "POST /up HTTP/1.1\r\nHost: paste.example\r\nContent-Length: 1\r\n\r\nx");
	assert_int_equal(count(f, AM_EV_ALERT, "outbound_post"), 1);
	assert_true(f->n >= 2 && f->n <= MAX_SHOWN);
	assert_int_equal(f->shown[0].type, AM_EV_CONNECT);
	for (at = 0; f->shown[at].type != AM_EV_ALERT; at++)
		;
	assert_true(at > 0);
}

/* live runs: every ClientHello is of a library whose plaintext is hooked */
static int hooked(void *arg, struct event *ev)
{
	(void)arg;
	(void)ev;
	return RULES_TLS_HOOKED;
}

/*
 * an agent's TLS connection through a hooked library whose requests were not
 * read (a blind send side) while its answers were (a hooked read side): the
 * answers do not make it readable, its end raises monitor_degraded
 */
static void test_answers_leave_blind(void **state)
{
	/* a TLS 1.2 ClientHello for llm.example */
	static const char hello[] = "\x16\x03\x01\x00\x43\x01\x00\x00\x3f\x03\x03"
		"\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07"
		"\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07"
		"\x00\x00\x02\x13\x01\x01\x00\x00\x14\x00\x00\x00\x10\x00\x0e\x00\x00\x0b"
		"llm.example";
	struct fixture *f = *state;
	struct pipeline_hooks h = { .show = show, .on_hello = hooked, .arg = f };
	struct pipeline_opts o = { 0 };
	struct am_exit x = { 0 };
	char err[256];

	pipeline_free(f->pl);
	assert_int_equal(pipeline_new(&f->pl, f->policy, &o, &h, err, sizeof(err)), 0);
	data_of(f, 4260, AM_DATA_SOCK_SEND, 40010, hello, sizeof(hello) - 1, sizeof(hello) - 1);
	data_of(f, 4260, AM_DATA_SOCK_SEND, 40010, "\x17\x03\x03", 3, 20000);
	data(f, 4260, AM_DATA_TLS_RECV, 40010, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	assert_int_equal(count(f, AM_EV_ALERT, NULL), 0);
	x.hdr = (struct am_hdr){ .ts_ns = 2000, .pid = 4260, .tid = 4260, .ppid = 4241,
		.agent_pid = 4241, .agent_id = 0, .type = AM_EV_EXIT, .size = sizeof(x) };
	assert_int_equal(pipeline_record(f->pl, &x, sizeof(x), NULL), 0);
	assert_int_equal(count(f, AM_EV_ALERT, "monitor_degraded"), 1);
	assert_non_null(strstr(last_of(f, AM_EV_ALERT)->summary, "no plaintext"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_undecodable_is_a_drop_and_alerts_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_drop_has_no_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_lost_alerts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_llm_and_intent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_leave_blind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_before_alert, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
