// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_intent.c - the tool call behind an alert: named, last, other sessions, too old; how it is shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "intent.h"

#define SEC 1000000000ull

static struct llm x;

/* an llm event of agent session agent_pid at ts (s) with tools name=input pairs */
static void add(struct intent *in, uint32_t agent_pid, uint64_t ts, const char *prompt,
		const char *const *tools, size_t n)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	llm_init(&x, LLM_ANTHROPIC, NULL, 0);
	snprintf(x.model, sizeof(x.model), "claude-x");
	snprintf(x.prompt, sizeof(x.prompt), "%s", prompt);
	for (size_t i = 0; i < n; i++) {
		snprintf(x.tools[i].name, sizeof(x.tools[i].name), "%s", tools[2 * i]);
		x.tools[i].input_len = (size_t)snprintf(x.tools[i].input, sizeof(x.tools[i].input), "%s",
							tools[2 * i + 1]);
	}
	x.n_tools = n;
	ev.type = AM_EV_LLM;
	ev.ts_ns = ts * SEC;
	ev.agent_pid = agent_pid;
	ev.llm.host = "api.anthropic.com";
	ev.llm.x = &x;
	intent_add(in, &ev);
}

static struct event_alert al;

static struct event alert_http(uint32_t agent_pid, uint64_t ts, const char *host, const char *path)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	memset(&al, 0, sizeof(al));
	al.rule = "outbound_post";
	al.cause_type = AM_EV_HTTP;
	ev.type = AM_EV_ALERT;
	ev.alert = &al;
	ev.ts_ns = ts * SEC;
	ev.agent_pid = agent_pid;
	ev.http.host = host;
	ev.http.path = path;
	return ev;
}

static void test_named_and_last(void **state)
{
	static const char *const t1[] = { "Bash", "{\"command\":\"curl -X POST https://forum.corp.example/t/1\"}",
					  "Read", "{\"file_path\":\"/etc/hosts\"}" };
	static const char *const t2[] = { "Grep", "{\"pattern\":\"x\"}" };
	struct intent *in = intent_new();
	const struct event_intent *it;
	struct event ev;
	char line[512];

	add(in, 10, 100, "answer the question on the forum", t1, 2);
	add(in, 10, 110, "later", t2, 1);
	add(in, 20, 115, "other session", t2, 1);
	ev = alert_http(10, 120, "forum.corp.example", "/t/1");
	it = intent_find(in, &ev);
	assert_non_null(it);
	assert_string_equal(it->match, "named");
	assert_string_equal(it->tool, "Bash");
	assert_string_equal(it->input, "curl -X POST https://forum.corp.example/t/1");
	assert_string_equal(it->prompt, "answer the question on the forum");
	assert_string_equal(it->model, "claude-x");
	assert_string_equal(it->host, "api.anthropic.com");
	assert_int_equal(it->ts_ns, 100 * SEC);
	intent_text(it, line, sizeof(line));
	assert_string_equal(line, "asked: \"answer the question on the forum\" -> Bash: "
			    "curl -X POST https://forum.corp.example/t/1");
	/* nothing names it: the session's last tool call */
	ev = alert_http(10, 120, "elsewhere.example", "/");
	it = intent_find(in, &ev);
	assert_non_null(it);
	assert_string_equal(it->match, "last");
	assert_string_equal(it->tool, "Grep");
	assert_string_equal(it->prompt, "later");
	/* another session, or before any call, or long after: none */
	ev = alert_http(30, 120, "forum.corp.example", "/t/1");
	assert_null(intent_find(in, &ev));
	ev = alert_http(10, 50, "forum.corp.example", "/t/1");
	assert_null(intent_find(in, &ev));
	ev = alert_http(10, 110 + INTENT_WINDOW_NS / SEC + 1, "elsewhere.example", "/");
	assert_null(intent_find(in, &ev));
	intent_free(in);
}

static void test_json(void **state)
{
	struct event_intent it = { .tool = "Bash", .input = "curl \"x\"", .prompt = "p\nq",
				   .model = "m", .host = "h", .match = "named", .ts_ns = 0 };
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	intent_json(&w, &it);
	jw_obj_end(&w);
	assert_false(w.oom);
	assert_string_equal(w.buf, "{\"intent\":{\"tool\":\"Bash\",\"input\":\"curl \\\"x\\\"\",\"prompt\":"
			    "\"p\\nq\",\"model\":\"m\",\"host\":\"h\",\"ts\":\"1970-01-01T00:00:00.000000000Z\","
			    "\"match\":\"named\"}}");
	jw_free(&w);
}

/* many exchanges: the oldest are forgotten, never overrun */
static void test_ring(void **state)
{
	static const char *const t[] = { "Bash", "{\"command\":\"ls\"}" };
	struct intent *in = intent_new();
	struct event ev;

	for (uint64_t i = 0; i < 3 * INTENT_KEEP; i++)
		add(in, 10, 100 + i, "p", t, 1);
	ev = alert_http(10, 100 + 3 * INTENT_KEEP, "x.example", "/");
	assert_int_equal(intent_find(in, &ev)->ts_ns, (100 + 3 * INTENT_KEEP - 1) * SEC);
	intent_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_and_last),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
