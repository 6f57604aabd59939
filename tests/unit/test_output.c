// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_output.c - golden JSON lines per event type, text lines, flags. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "llm.h"
#include "output.h"

#define TS 1795608000123456789ull /* 2026-11-25T12:00:00.123456789Z */
#define COMMON "{\"ts\":\"2026-11-25T12:00:00.123456789Z\",\"type\":\"%s\",\"pid\":1234," \
	"\"tid\":1235,\"ppid\":1,\"uid\":1000,\"comm\":\"node\",\"exe\":\"/usr/bin/node\"," \
	"\"agent\":\"claude\",\"agent_pid\":1200"

static struct event base(uint32_t type)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = TS; ev.type = type;
	ev.pid = 1234; ev.tid = 1235; ev.ppid = 1; ev.uid = 1000;
	ev.agent_pid = 1200; ev.agent_id = 0; ev.agent = "claude";
	strcpy(ev.comm, "node");
	ev.exe = "/usr/bin/node";
	return ev;
}

/* the JSON of ev must be COMMON (for its type) followed by rest */
static void golden(const struct event *ev, const char *rest)
{
	char want[2048];
	struct jw w;

	snprintf(want, sizeof(want), COMMON "%s", event_type_name(ev->type), rest);
	jw_init(&w);
	output_event_json(&w, ev);
	assert_false(w.oom);
	assert_string_equal(w.buf, want);
	jw_free(&w);
}

static void test_json_exec_exit_fork(void **state)
{
	struct event ev = base(AM_EV_EXEC);

	ev.exec.filename = "/usr/bin/claude";
	ev.exec.argv = "claude\0-p\0say \"hi\"\n";
	ev.exec.argv_len = 20;
	ev.exec.argc = 3;
	ev.exec.cwd = "/home/u";
	golden(&ev, ",\"filename\":\"/usr/bin/claude\",\"argv\":[\"claude\",\"-p\","
		    "\"say \\\"hi\\\"\\n\"],\"cwd\":\"/home/u\"}");
	ev.exec.argv_trunc = true;
	ev.exec.cwd = NULL;
	golden(&ev, ",\"filename\":\"/usr/bin/claude\",\"argv\":[\"claude\",\"-p\","
		    "\"say \\\"hi\\\"\\n\"],\"cwd\":null,\"argv_truncated\":true}");
	ev = base(AM_EV_EXIT);
	ev.exit.exit_code = 2;
	golden(&ev, ",\"exit_code\":2}");
	ev.exit.exit_code = 137; ev.exit.signal = 9;
	golden(&ev, ",\"exit_code\":137,\"signal\":9}");
	ev = base(AM_EV_FORK);
	golden(&ev, "}");
	ev = base(AM_EV_DROP);
	ev.drop.lost = 42;
	golden(&ev, ",\"lost\":42}");
	ev.drop.lost = 1;
	ev.drop.reason = "undecodable exec record (9 bytes): bad";
	golden(&ev, ",\"lost\":1,\"reason\":\"undecodable exec record (9 bytes): bad\"}");
	ev = base(AM_EV_TAG);
	ev.tag.how = "scan";
	ev.tag.since_ns = TS - 60000000000ull;
	golden(&ev, ",\"how\":\"scan\",\"since\":\"2026-11-25T11:59:00.123456789Z\","
		    "\"unwatched\":true}");
}

/* the text of a tag event says the process's past was not watched */
static void test_text_tag(void **state)
{
	struct event ev = base(AM_EV_TAG);
	struct jw w;

	ev.tag.how = "scan";
	ev.tag.since_ns = TS - 60000000000ull;
	jw_init(&w);
	output_line(&w, &ev, OUTPUT_TEXT, false);
	assert_non_null(strstr(w.buf, "node[1234] tag scan: running since "
				      "2026-11-25T11:59:00.123456789Z; its activity before was not "
				      "watched"));
	jw_free(&w);
}

static char *run(enum output_format fmt, const struct event *ev, int n);

static void test_json_syscall(void **state)
{
	struct event ev = base(AM_EV_SYSCALL);
	char *s;

	(void)state;
	ev.sys = (struct event_syscall){ .name = "ptrace", .kind = AM_SYS_PTRACE, .nr = 101,
					 .target = 77, .arg = 16 };
	golden(&ev, ",\"syscall\":\"ptrace\",\"compat\":false,\"nr\":101,"
		    "\"target_pid\":77,\"request\":16,\"ret\":0}");
	ev.sys = (struct event_syscall){ .name = "open", .kind = AM_SYS_COMPAT, .nr = 5,
					 .compat = true, .ret = 3 };
	golden(&ev, ",\"syscall\":\"open\",\"compat\":true,\"nr\":5,\"ret\":3}");
	setenv("TZ", "UTC", 1);
	s = run(OUTPUT_TEXT, &ev, 1);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] syscall open (32-bit table) = 3\n");
	free(s);
}

static void test_json_untagged(void **state)
{
	struct event ev = base(AM_EV_FORK);
	struct jw w;

	ev.agent = NULL; ev.exe = NULL; ev.agent_pid = 0;
	jw_init(&w);
	output_event_json(&w, &ev);
	assert_non_null(strstr(w.buf, "\"exe\":null,\"agent\":null,\"agent_pid\":0}"));
	jw_free(&w);
}

static void test_json_files(void **state)
{
	struct event ev = base(AM_EV_OPEN);

	ev.file.path = "/home/u/x";
	ev.file.flags = O_WRONLY | O_CREAT | O_TRUNC;
	ev.file.write = true;
	ev.file.ret = 3;
	golden(&ev, ",\"path\":\"/home/u/x\",\"flags\":\"O_WRONLY|O_CREAT|O_TRUNC\","
		    "\"write\":true,\"ret\":3}");
	ev.file.flags = O_RDONLY; ev.file.write = false; ev.file.ret = -2;
	golden(&ev, ",\"path\":\"/home/u/x\",\"flags\":\"O_RDONLY\",\"write\":false,\"ret\":-2}");
	ev = base(AM_EV_UNLINK);
	ev.file.path = "/tmp/a"; ev.file.ret = 0;
	golden(&ev, ",\"path\":\"/tmp/a\",\"ret\":0}");
	ev = base(AM_EV_CHMOD);
	ev.file.path = "/tmp/a"; ev.file.mode = 0100755;
	golden(&ev, ",\"path\":\"/tmp/a\",\"mode\":\"0755\",\"ret\":0}");
	ev = base(AM_EV_RENAME);
	ev.file.path = "/tmp/a"; ev.file.new_path = "/tmp/b"; ev.file.ret = -1;
	golden(&ev, ",\"path\":\"/tmp/a\",\"new_path\":\"/tmp/b\",\"ret\":-1}");
}

static void test_json_net(void **state)
{
	struct event ev = base(AM_EV_CONNECT);

	ev.net.family = AF_INET; ev.net.proto = 6; ev.net.dport = 443;
	memcpy(ev.net.daddr, "\x7f\0\0\x01", 4);
	golden(&ev, ",\"proto\":\"tcp\",\"daddr\":\"127.0.0.1\",\"dport\":443}");
	ev.net.host = "api.anthropic.com"; ev.net.has_ret = true; ev.net.ret = -115;
	ev.net.io_uring = true;
	golden(&ev, ",\"proto\":\"tcp\",\"daddr\":\"127.0.0.1\",\"dport\":443,"
		    "\"host\":\"api.anthropic.com\",\"ret\":-115,\"io_uring\":true}");
	ev = base(AM_EV_ACCEPT);
	ev.net.family = AF_INET6; ev.net.proto = 6; ev.net.dport = 40000;
	ev.net.daddr[15] = 1; ev.net.has_ret = true; ev.net.ret = 5;
	golden(&ev, ",\"proto\":\"tcp\",\"daddr\":\"::1\",\"dport\":40000,\"ret\":5}");
	ev = base(AM_EV_SEND);
	ev.net.family = AF_INET; ev.net.proto = 17; ev.net.dport = 53;
	memcpy(ev.net.daddr, "\x0a\0\0\x01", 4);
	ev.net.host = "dns.example"; ev.net.has_ret = true; ev.net.ret = 29;
	golden(&ev, ",\"proto\":\"udp\",\"daddr\":\"10.0.0.1\",\"dport\":53,"
		    "\"host\":\"dns.example\",\"bytes\":29}");
}

static void test_open_flags(void **state)
{
	char b[256];

	assert_string_equal(output_open_flags(0, b, sizeof(b)), "O_RDONLY");
	assert_string_equal(output_open_flags(O_RDWR | O_APPEND | O_CLOEXEC, b, sizeof(b)),
			    "O_RDWR|O_APPEND|O_CLOEXEC");
	assert_string_equal(output_open_flags(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK,
					      b, sizeof(b)),
			    "O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_NOFOLLOW");
	assert_string_equal(output_open_flags(O_RDWR | O_TMPFILE | O_EXCL, b, sizeof(b)),
			    "O_RDWR|O_TMPFILE|O_EXCL");
	assert_string_equal(output_open_flags(O_PATH, b, sizeof(b)), "O_RDONLY|O_PATH");
	assert_string_equal(output_open_flags(O_WRONLY | O_SYNC, b, sizeof(b)), "O_WRONLY|O_SYNC");
	assert_string_equal(output_open_flags(0x80000000u, b, sizeof(b)), "O_RDONLY|0x80000000");
	/* a short buffer stays NUL-terminated */
	assert_string_equal(output_open_flags(O_WRONLY | O_CREAT, b, 10), "O_WRONLY|");
}

/* everything o wrote to a memory stream */
static char *run(enum output_format fmt, const struct event *ev, int n)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct output *o;

	assert_non_null(f);
	o = output_new(f, fmt, false);
	assert_non_null(o);
	for (int i = 0; i < n; i++)
		assert_int_equal(output_event(o, ev), 0);
	assert_int_equal(output_flush(o), 0);
	output_free(o);
	fclose(f);
	return mem;
}

static void test_sink(void **state)
{
	struct event ev = base(AM_EV_OPEN);
	enum output_format fmt;
	char *s, want[256];

	ev.file.path = "/home/u/\x1b[2Jx";
	ev.file.flags = O_WRONLY | O_CREAT;
	ev.file.ret = 3;
	setenv("TZ", "UTC", 1);
	s = run(OUTPUT_TEXT, &ev, 1);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] open /home/u/\\x1b[2Jx "
			       "O_WRONLY|O_CREAT = 3\n");
	free(s);
	/* JSON lines: one object per line, many lines */
	s = run(OUTPUT_JSON, &ev, 3000);
	snprintf(want, sizeof(want), COMMON, "open");
	assert_memory_equal(s, want, strlen(want));
	size_t lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3000);
	free(s);
	assert_int_equal(output_parse_format("json", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_JSON);
	assert_int_equal(output_parse_format("text", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_TEXT);
	assert_int_not_equal(output_parse_format("xml", &fmt), 0);
}

static void test_text_types(void **state)
{
	struct event ev = base(AM_EV_CONNECT);
	char *s;

	setenv("TZ", "UTC", 1);
	ev.net.family = AF_INET6; ev.net.proto = 6; ev.net.dport = 443; ev.net.daddr[15] = 1;
	ev.net.host = "h.example"; ev.net.has_ret = true;
	s = run(OUTPUT_TEXT, &ev, 1);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] connect tcp [::1]:443 (h.example) = 0\n");
	free(s);
	ev = base(AM_EV_EXEC);
	strcpy(ev.comm, "claude");
	ev.exec.filename = "/bin/claude"; ev.exec.argv = "claude\0-p\0"; ev.exec.argv_len = 10;
	ev.exec.argc = 2;
	s = run(OUTPUT_TEXT, &ev, 1);
	assert_string_equal(s, "12:00:00.123 claude[1234] exec /bin/claude [claude -p]\n");
	free(s);
	ev = base(AM_EV_EXIT);
	ev.agent = NULL;
	ev.exit.exit_code = 137; ev.exit.signal = 9;
	s = run(OUTPUT_TEXT, &ev, 1);
	assert_string_equal(s, "12:00:00.123 node[1234] exit 137 (signal 9)\n");
	free(s);
}

static struct event http_event(void)
{
	struct event ev = base(AM_EV_HTTP);

	ev.http.method = "POST"; ev.http.host = "forum.corp.example"; ev.http.path = "/api/posts";
	ev.http.net.family = AF_INET; ev.http.net.dport = 443; ev.http.net.proto = 6;
	memcpy(ev.http.net.daddr, "\xc0\x00\x02\x07", 4);
	ev.http.bytes = 1234; ev.http.tls = true; ev.http.version = 11;
	return ev;
}

#define HTTP_FIELDS ",\"method\":\"POST\",\"host\":\"forum.corp.example\"," \
	"\"path\":\"/api/posts\",\"daddr\":\"192.0.2.7\",\"dport\":443,\"tls\":true," \
	"\"bytes\":1234,\"version\":\"1.1\""

static void test_json_http_dns(void **state)
{
	static const uint8_t answers[2][16] = { { 192, 0, 2, 1 }, { [15] = 1 } };
	static const uint16_t fams[2] = { AF_INET, AF_INET6 };
	struct event ev = http_event();

	golden(&ev, HTTP_FIELDS "}");
	ev.http.version = 20; ev.http.status = 201; ev.http.host = NULL;
	ev.http.net.host = "sni.example";
	golden(&ev, ",\"method\":\"POST\",\"host\":\"sni.example\",\"path\":\"/api/posts\","
		    "\"daddr\":\"192.0.2.7\",\"dport\":443,\"tls\":true,\"bytes\":1234,"
		    "\"version\":\"2\",\"status\":201}");
	ev = base(AM_EV_DNS);
	ev.dns.query = "forum.corp.example";
	ev.dns.answers = answers; ev.dns.families = fams; ev.dns.n_answers = 2;
	golden(&ev, ",\"query\":\"forum.corp.example\",\"answers\":[\"192.0.2.1\",\"::1\"]}");
	ev.dns.n_answers = 0;
	golden(&ev, ",\"query\":\"forum.corp.example\",\"answers\":[]}");
}


static const struct event_alert ALERT = {
	.rule = "outbound_post", .severity = "high",
	.summary = "claude (pid 1200) via node[1234] sent POST https://forum.corp.example/api/posts "
		   "(1234 bytes) - host not allowed for POST",
	.chain = "claude[1200] > node[1234]", .cause_type = AM_EV_HTTP, .count = 1,
};

static void test_json_alert(void **state)
{
	struct event ev = http_event();
	struct event_alert al = ALERT;

	ev.type = AM_EV_ALERT;
	ev.alert = &al;
	golden(&ev, ",\"rule\":\"outbound_post\",\"severity\":\"high\",\"summary\":"
		    "\"claude (pid 1200) via node[1234] sent POST https://forum.corp.example/api/posts "
		    "(1234 bytes) - host not allowed for POST\",\"chain\":\"claude[1200] > node[1234]\","
		    "\"count\":1,\"cause\":\"http\"" HTTP_FIELDS "}");
	memset(&ev.net, 0, sizeof(ev.net));
	ev.net.family = AF_INET; ev.net.proto = 6; ev.net.dport = 443;
	ev.net.has_ret = true; ev.net.ret = 70000;
	memcpy(ev.net.daddr, "\xc0\x00\x02\x07", 4);
	al.rule = "unexpected_upload"; al.severity = "medium"; al.summary = "s"; al.chain = "c";
	al.cause_type = AM_EV_SEND; al.count = 3;
	golden(&ev, ",\"rule\":\"unexpected_upload\",\"severity\":\"medium\",\"summary\":\"s\","
		    "\"chain\":\"c\",\"count\":3,\"cause\":\"send\",\"proto\":\"tcp\","
		    "\"daddr\":\"192.0.2.7\",\"dport\":443,\"bytes\":70000}");
}

/* the text of ev, color or not */
static char *text_of(const struct event *ev, bool color)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct output *o = output_new(f, OUTPUT_TEXT, color);

	assert_int_equal(output_event(o, ev), 0);
	assert_int_equal(output_flush(o), 0);
	output_free(o);
	fclose(f);
	return mem;
}

/* a head not read whole (method null, incomplete) and a request naming
 * another host than its server name (req_host) */
static void test_http_incomplete_and_req_host(void **state)
{
	struct event ev = http_event();
	char *s;

	ev.http.method = NULL; ev.http.incomplete = "cut"; ev.http.bytes = 0;
	golden(&ev, ",\"method\":null,\"host\":\"forum.corp.example\",\"path\":\"/api/posts\","
		    "\"daddr\":\"192.0.2.7\",\"dport\":443,\"tls\":true,\"bytes\":0,"
		    "\"version\":\"1.1\",\"incomplete\":\"cut\"}");
	setenv("TZ", "UTC", 1);
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] http ? "
			       "https://forum.corp.example/api/posts (192.0.2.7:443) "
			       "0 bytes HTTP/1.1 head cut\n");
	free(s);
	ev = http_event();
	ev.http.req_host = "api.anthropic.com";
	golden(&ev, HTTP_FIELDS ",\"req_host\":\"api.anthropic.com\"}");
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] http POST "
			       "https://forum.corp.example/api/posts (192.0.2.7:443) "
			       "1234 bytes HTTP/1.1 names api.anthropic.com\n");
	free(s);
}

static void test_text_http_dns_alert(void **state)
{
	static const uint8_t answers[1][16] = { { 192, 0, 2, 1 } };
	static const uint16_t fams[1] = { AF_INET };
	struct event ev = http_event();
	struct event_alert al = ALERT;
	char *s;

	setenv("TZ", "UTC", 1);
	ev.http.status = 403; ev.http.net.dport = 8443;
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] http POST "
			       "https://forum.corp.example:8443/api/posts (192.0.2.7:8443) "
			       "1234 bytes HTTP/1.1 = 403\n");
	free(s);
	ev = base(AM_EV_DNS);
	ev.dns.query = "h.example"; ev.dns.answers = answers; ev.dns.families = fams;
	ev.dns.n_answers = 1;
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] dns h.example -> 192.0.2.1\n");
	free(s);
	ev = http_event();
	ev.type = AM_EV_ALERT; ev.alert = &al;
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 ALERT high outbound_post: claude (pid 1200) via "
			       "node[1234] sent POST https://forum.corp.example/api/posts (1234 bytes) "
			       "- host not allowed for POST [claude[1200] > node[1234]]\n");
	free(s);
	al.summary = "x\x1b[2J"; al.chain = NULL;
	s = text_of(&ev, true);
	assert_string_equal(s, "12:00:00.123 \033[1;31mALERT high outbound_post: x\\x1b[2J\033[0m\n");
	free(s);
	al.severity = "medium";
	s = text_of(&ev, true);
	assert_memory_equal(s + 13, "\033[1;33mALERT medium", 19);
	free(s);
}

/* an alert with its intent: one more text line (control bytes escaped), and
 * the intent object in JSON; an llm event */
static void test_intent(void **state)
{
	struct event_intent it = { .tool = "Bash", .input = "curl -X POST https://forum.corp.example/t/1",
				   .prompt = "answer the question\non the forum", .model = "m",
				   .host = "api.anthropic.com", .match = "named", .ts_ns = 0 };
	struct event ev = http_event();
	struct event_alert al = ALERT;
	struct llm x;
	char *s;

	setenv("TZ", "UTC", 1);
	al.intent = &it;
	ev.type = AM_EV_ALERT; ev.alert = &al;
	s = text_of(&ev, false);
	assert_non_null(strstr(s, "node[1234]]\n    asked: \"answer the question\\x0aon the forum\" -> "
				  "Bash: curl -X POST https://forum.corp.example/t/1\n"));
	free(s);
	golden(&ev, ",\"rule\":\"outbound_post\",\"severity\":\"high\",\"summary\":"
		    "\"claude (pid 1200) via node[1234] sent POST https://forum.corp.example/api/posts "
		    "(1234 bytes) - host not allowed for POST\",\"chain\":\"claude[1200] > node[1234]\","
		    "\"count\":1,\"cause\":\"http\",\"intent\":{\"tool\":\"Bash\",\"input\":"
		    "\"curl -X POST https://forum.corp.example/t/1\",\"prompt\":\"answer the question\\n"
		    "on the forum\",\"model\":\"m\",\"host\":\"api.anthropic.com\",\"ts\":"
		    "\"1970-01-01T00:00:00.000000000Z\",\"match\":\"named\"}" HTTP_FIELDS "}");
	llm_init(&x, LLM_OPENAI_CHAT, NULL, 0);
	strcpy(x.model, "m");
	strcpy(x.prompt, "p");
	strcpy(x.tools[0].name, "Bash");
	x.tools[0].input_len = strlen(strcpy(x.tools[0].input, "{\"command\":\"ls\"}"));
	x.n_tools = 1;
	ev = base(AM_EV_LLM);
	ev.llm.host = "h";
	ev.llm.x = &x;
	golden(&ev, ",\"host\":\"h\",\"api\":\"openai-chat\",\"model\":\"m\",\"prompt\":\"p\",\"tools\":"
		    "[{\"name\":\"Bash\",\"input\":\"{\\\"command\\\":\\\"ls\\\"}\"}]}");
	s = text_of(&ev, false);
	assert_string_equal(s, "12:00:00.123 claude/node[1234] llm h m \"p\" -> Bash: ls\n");
	free(s);
}

/* the time: the second's part kept per second, the fraction each time; a
 * short buffer cut, never overrun */
static void test_rfc3339(void **state)
{
	static const struct { uint64_t ns; const char *want; } cases[] = {
		{ 0, "1970-01-01T00:00:00.000000000Z" },
		{ 1796284800123456789ull, "2026-12-03T08:00:00.123456789Z" },
		{ 1796284800000000001ull, "2026-12-03T08:00:00.000000001Z" },  /* same second */
		{ 1796284801999999999ull, "2026-12-03T08:00:01.999999999Z" },
		{ 1796284800500000000ull, "2026-12-03T08:00:00.500000000Z" },  /* back again */
	};
	char buf[48], small[12];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		output_rfc3339(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	memset(small, 'x', sizeof(small));
	output_rfc3339(1796284800123456789ull, small, sizeof(small) - 1);
	assert_string_equal(small, "2026-12-03");
	assert_int_equal(small[11], 'x');
	output_rfc3339(1796284800123456789ull, buf, 31);
	assert_string_equal(buf, "2026-12-03T08:00:00.123456789Z");
	output_rfc3339(1796284800123456789ull, buf, 30);
	assert_string_equal(buf, "2026-12-03T08:00:00.123456789");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_json_exec_exit_fork),
		cmocka_unit_test(test_json_syscall),
		cmocka_unit_test(test_json_untagged),
		cmocka_unit_test(test_text_tag),
		cmocka_unit_test(test_json_files),
		cmocka_unit_test(test_json_net),
		cmocka_unit_test(test_open_flags),
		cmocka_unit_test(test_sink),
		cmocka_unit_test(test_text_types),
		cmocka_unit_test(test_json_http_dns),
		cmocka_unit_test(test_http_incomplete_and_req_host),
		cmocka_unit_test(test_json_alert),
		cmocka_unit_test(test_intent),
		cmocka_unit_test(test_text_http_dns_alert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
