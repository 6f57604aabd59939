// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_fleet.c - a fleet message back into an event: every type's JSON as
 * output.c writes it (plus the sender's "host") decodes to an event that
 * writes the same JSON again, alerts with intent and storms included; the
 * two "host" members in either order; the subject's host form; and every
 * way a hostile message is refused.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "export.h"
#include "fleet.h"
#include "output.h"

#define TS 1795608000123456789ull /* 2026-11-25T12:00:00.123456789Z */

static struct fleet_msg m;

static struct event base(uint32_t type)
{
	struct event ev = { .ts_ns = TS, .type = type, .pid = 4242, .tid = 4243, .ppid = 4200,
			    .uid = 1000, .agent_pid = 4200, .agent = "claude", .exe = "/usr/bin/curl",
			    .fleet_host = "dev1.corp" };

	snprintf(ev.comm, sizeof(ev.comm), "curl");
	return ev;
}

/* ev's JSON line decodes (subject host dev1_corp) and writes the same line */
static void round_trip(const struct event *ev)
{
	struct jw a, b;

	jw_init(&a);
	jw_init(&b);
	output_line(&a, ev, OUTPUT_JSON, false);
	assert_int_equal(fleet_msg_parse(&m, "dev1_corp", a.buf, a.len - 1), FLEET_OK);
	assert_string_equal(m.ev.fleet_host, "dev1.corp");
	output_line(&b, &m.ev, OUTPUT_JSON, false);
	jw_raw(&a, "", 1);
	jw_raw(&b, "", 1);
	assert_string_equal(b.buf, a.buf);
	fleet_msg_clear(&m);
	jw_free(&a);
	jw_free(&b);
}

static void test_round_trip_process_file(void **state)
{
	static const char argv[] = "curl\0-d\0@x\0";
	struct event ev = base(AM_EV_EXEC);

	ev.exec = (struct event_exec){ .filename = "/usr/bin/curl", .argv = argv,
				       .argv_len = sizeof(argv) - 1, .argc = 3, .cwd = "/w",
				       .argv_trunc = true };
	round_trip(&ev);
	ev.exec.cwd = NULL;
	ev.agent = NULL;
	round_trip(&ev);
	ev = base(AM_EV_EXIT);
	ev.exit.exit_code = 137;
	ev.exit.signal = 9;
	round_trip(&ev);
	ev = base(AM_EV_OPEN);
	ev.file = (struct event_file){ .path = "/home/u/.ssh/id_rsa", .ret = -13, .write = true,
				       .flags = O_WRONLY | O_CREAT | O_CLOEXEC | 0x40000000 };
	round_trip(&ev);
	ev = base(AM_EV_RENAME);
	ev.file = (struct event_file){ .path = "/a", .new_path = "/b" };
	round_trip(&ev);
	ev = base(AM_EV_CHMOD);
	ev.file = (struct event_file){ .path = "/a", .mode = 04755 };
	round_trip(&ev);
	ev = base(AM_EV_UNLINK);
	ev.file.path = "/tmp/\x1b[2J";
	round_trip(&ev);
}

static void test_round_trip_net(void **state)
{
	struct event ev = base(AM_EV_CONNECT);
	static const uint8_t v4[4] = { 1, 2, 3, 4 };
	static const uint8_t answers[2][16] = { { 9, 9, 9, 9 }, { 0x20, 0x01, [15] = 1 } };
	static const uint16_t fams[2] = { AF_INET, AF_INET6 };

	ev.net = (struct event_net){ .family = AF_INET, .proto = IPPROTO_TCP, .dport = 443,
				     .host = "paste.example", .has_ret = true, .ret = -111 };
	memcpy(ev.net.daddr, v4, 4);
	round_trip(&ev);
	ev.type = AM_EV_SEND;
	ev.net.io_uring = true;
	ev.net.family = AF_INET6;
	ev.net.daddr[0] = 0xfe;
	round_trip(&ev);
	ev.type = AM_EV_ACCEPT;
	ev.net.host = NULL;
	ev.net.has_ret = false;
	round_trip(&ev);
	ev = base(AM_EV_DNS);
	ev.dns = (struct event_dns){ .query = "paste.example", .answers = answers,
				     .families = fams, .n_answers = 2 };
	round_trip(&ev);
	ev.dns.n_answers = 0;
	round_trip(&ev);
	ev = base(AM_EV_HTTP);
	ev.http = (struct event_http){ .method = "POST", .host = "paste.example", .path = "/up?x=1",
				       .bytes = 5, .status = 201, .version = 20, .tls = true,
				       .req_host = "other.example", .incomplete = "cut" };
	ev.http.net.family = AF_INET;
	ev.http.net.dport = 8443;
	memcpy(ev.http.net.daddr, v4, 4);
	round_trip(&ev);
	ev.http.host = NULL; /* "host": null, then the sender's */
	ev.http.method = NULL;
	round_trip(&ev);
}

static void test_round_trip_other(void **state)
{
	struct event ev = base(AM_EV_DROP);
	struct llm x;

	ev.drop.lost = 12;
	ev.drop.reason = "tail queue";
	round_trip(&ev);
	ev = base(AM_EV_TAG);
	ev.tag = (struct event_tag){ .how = "scan", .since_ns = TS - 5000000000ull };
	round_trip(&ev);
	ev = base(AM_EV_SYSCALL);
	ev.sys = (struct event_syscall){ .name = "ptrace", .kind = AM_SYS_PTRACE, .nr = 101,
					 .target = 77, .arg = 16, .ret = -1 };
	round_trip(&ev);
	ev.sys = (struct event_syscall){ .name = "open", .kind = AM_SYS_COMPAT, .compat = true,
					 .nr = 5, .ret = 3 };
	round_trip(&ev);
	memset(&x, 0, sizeof(x));
	x.api = LLM_ANTHROPIC;
	snprintf(x.model, sizeof(x.model), "claude-x");
	snprintf(x.prompt, sizeof(x.prompt), "post it \"now\"");
	snprintf(x.tools[0].name, sizeof(x.tools[0].name), "Bash");
	x.tools[0].input_len = (size_t)snprintf(x.tools[0].input, sizeof(x.tools[0].input),
						"{\"command\":\"curl\"}");
	x.n_tools = 1;
	x.inputs_cut = 2;
	ev = base(AM_EV_LLM);
	ev.llm = (struct event_llm){ .host = "api.anthropic.com", .x = &x, .missed = 7,
				     .evicted = true };
	round_trip(&ev);
}

static void test_round_trip_alerts(void **state)
{
	struct event_intent it = { .tool = "Bash", .input = "curl -d @x", .prompt = "send",
				   .model = "m", .host = "api.example", .match = "named",
				   .ts_ns = TS - 1 };
	struct event_alert al = { .rule = "outbound_post", .severity = "high",
				  .summary = "claude POSTed", .chain = "claude > curl",
				  .cause_type = AM_EV_HTTP, .count = 3, .intent = &it };
	const char *hosts[] = { "a.example", "b.example" };
	struct event ev = base(AM_EV_ALERT);

	ev.alert = &al;
	ev.http = (struct event_http){ .method = "POST", .host = "paste.example", .path = "/",
				       .version = 11 };
	round_trip(&ev);
	al = (struct event_alert){ .rule = "alert_storm", .severity = "critical",
				   .summary = "many", .cause_type = AM_EV_ALERT, .count = 9,
				   .hosts = hosts, .n_hosts = 2, .first_ns = TS - 9, .last_ns = TS };
	round_trip(&ev);
}

/* the sender's "host" may come first; the subject says which one it is */
static void test_host_order(void **state)
{
	static const char first[] =
		"{\"host\":\"dev2\",\"ts\":\"2026-11-25T12:00:00.1Z\",\"type\":\"connect\","
		"\"pid\":7,\"comm\":\"c\",\"proto\":\"tcp\",\"daddr\":\"1.2.3.4\",\"dport\":443,\"host\":\"x.example\"}";
	char s[32];
	struct jw w;

	assert_int_equal(fleet_msg_parse(&m, "dev2", first, strlen(first)), FLEET_OK);
	assert_string_equal(m.ev.fleet_host, "dev2");
	assert_string_equal(m.ev.net.host, "x.example");
	assert_int_equal(m.ev.ts_ns, 1795608000100000000ull);
	assert_int_equal(m.ev.agent_id, AM_AGENT_NONE);
	setenv("TZ", "UTC", 1);
	jw_init(&w); /* the verbose text: the sender after the time */
	output_line(&w, &m.ev, OUTPUT_TEXT, false);
	jw_raw(&w, "", 1);
	assert_string_equal(w.buf, "12:00:00.100 dev2 c[7] connect tcp 1.2.3.4:443 (x.example)\n");
	jw_free(&w);
	fleet_msg_clear(&m);
	/* neither names the subject's host */
	assert_int_equal(fleet_msg_parse(&m, "dev3", first, strlen(first)), FLEET_BAD_HOST);
	export_subject_host("a.b*c>d e\x01\x7f", s, sizeof(s));
	assert_string_equal(s, "a_b_c_d_e__");
	export_subject_host("long-host-name", s, 5);
	assert_string_equal(s, "long");
}

static void refused(const char *body, enum fleet_bad why)
{
	assert_int_equal(fleet_msg_parse(&m, "h", body, strlen(body)), why);
	assert_null(m.root);
}

#define OK_HEAD "{\"ts\":\"2026-11-25T12:00:00.000000001Z\",\"pid\":1,\"comm\":\"c\",\"host\":\"h\","

static void test_refused(void **state)
{
	char *big = malloc(FLEET_MSG_MAX + 2);

	memset(big, ' ', FLEET_MSG_MAX + 1);
	big[FLEET_MSG_MAX + 1] = '\0';
	refused(big, FLEET_TOO_LONG);
	free(big);
	refused("", FLEET_NOT_JSON);
	refused("\x1b[31m", FLEET_NOT_JSON);
	refused("[1,2]", FLEET_NOT_JSON);
	refused("{\"a\":\"\\u0000\"}", FLEET_NOT_JSON);
	refused("{\"a\":\"\xc3\x28\"}", FLEET_NOT_JSON);
	refused(OK_HEAD "\"type\":\"exec\",\"argv\":[1]", FLEET_NOT_JSON);
	refused("{\"ts\":\"2026-11-25T12:00:00Z\",\"type\":\"exec\",\"host\":\"h\"}", FLEET_MISSING);
	refused(OK_HEAD "\"type\":\"exec\"}", FLEET_MISSING);
	refused(OK_HEAD "\"type\":\"exec\",\"argv\":[1]}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"exec\",\"argv\":\"x\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"nope\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"exit\",\"exit_code\":\"1\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"open\",\"path\":\"/x\",\"flags\":\"O_EVIL\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"open\",\"path\":\"/x\",\"flags\":\"O_RDONLY|0xzz\"}",
		FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"chmod\",\"path\":\"/x\",\"mode\":\"99\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"connect\",\"daddr\":\"1.2.3\",\"dport\":1}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"connect\",\"daddr\":null,\"dport\":65536}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"dns\",\"query\":\"q\",\"answers\":[\"x\"]}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"alert\",\"rule\":\"r\",\"cause\":\"bad\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"alert\",\"rule\":\"r\",\"cause\":\"exec\",\"intent\":1,"
		"\"argv\":[]}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"alert\",\"rule\":\"r\",\"cause\":\"alert\",\"hosts\":[]}",
		FLEET_MISSING);
	refused(OK_HEAD "\"type\":\"llm\",\"tools\":[1]}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"llm\",\"api\":\"bard\"}", FLEET_BAD_VALUE); /* was gemini */
	refused(OK_HEAD "\"type\":\"llm\",\"api\":\"\"}", FLEET_BAD_VALUE);
	refused(OK_HEAD "\"type\":\"llm\",\"api\":1}", FLEET_BAD_VALUE);
	refused("{\"ts\":\"2026-13-25T12:00:00Z\",\"type\":\"exit\",\"pid\":1,\"comm\":\"c\","
		"\"exit_code\":0,\"host\":\"h\"}", FLEET_BAD_VALUE);
	refused("{\"ts\":\"1900-01-01T00:00:00Z\",\"type\":\"exit\",\"pid\":1,\"comm\":\"c\","
		"\"exit_code\":0,\"host\":\"h\"}", FLEET_BAD_VALUE);
	refused("{\"ts\":\"2026-11-25T12:00:00.1Z\",\"type\":\"exit\",\"pid\":-1,\"comm\":\"c\","
		"\"exit_code\":0,\"host\":\"h\"}", FLEET_BAD_VALUE);
	refused("{\"ts\":\"2026-11-25T12:00:00.1Z\",\"type\":\"exit\",\"pid\":1,\"comm\":\"c\","
		"\"exit_code\":0}", FLEET_BAD_HOST);
	refused("{\"ts\":\"2026-11-25T12:00:00.1Z\",\"type\":\"exit\",\"pid\":1,\"comm\":\"c\","
		"\"exit_code\":0,\"host\":\"other\"}", FLEET_BAD_HOST);
	for (enum llm_api a = LLM_NONE; a <= LLM_GEMINI; a++) {   /* every name it writes */
		char body[256];

		snprintf(body, sizeof(body), OK_HEAD "\"type\":\"llm\",\"api\":\"%s\"}",
			 llm_api_name(a));
		assert_int_equal(fleet_msg_parse(&m, "h", body, strlen(body)), FLEET_OK);
		assert_int_equal(m.llm.api, a);
		fleet_msg_clear(&m);
	}
	assert_string_equal(fleet_bad_name(FLEET_NOT_JSON), "not_json");
	assert_string_equal(fleet_bad_name(FLEET_BAD_N), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_process_file),
		cmocka_unit_test(test_round_trip_net),
		cmocka_unit_test(test_round_trip_other),
		cmocka_unit_test(test_round_trip_alerts),
		cmocka_unit_test(test_host_order),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
