// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_report.c - session report aggregation: sessions and the process
 * tree, destinations with methods, paths, bytes and verdicts, files,
 * alerts with intent, the caps (each entry past one counted once), hostile
 * names escaped in HTML, text and JSON, secrets redacted, notes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "replay.h"
#include "report.h"

#define TS 1795608000123456789ull /* 2026-11-25T12:00:00.123456789Z */

static struct event base(uint32_t type, uint32_t pid, uint32_t ppid)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = TS + pid;
	ev.type = type;
	ev.pid = ev.tid = pid;
	ev.ppid = ppid;
	ev.agent_pid = 100;
	ev.agent = "bot";
	strcpy(ev.comm, "sh");
	return ev;
}

/* an exec of argv (argc strings, NUL-separated, argv_len bytes) */
static void exec_ev(struct report *r, uint32_t pid, uint32_t ppid, const char *argv,
		    size_t len, uint32_t argc)
{
	struct event ev = base(AM_EV_EXEC, pid, ppid);

	ev.exec.filename = "/bin/sh";
	ev.exec.argv = argv;
	ev.exec.argv_len = len;
	ev.exec.argc = argc;
	assert_int_equal(report_event(r, &ev), 0);
}

static void file_ev(struct report *r, uint32_t type, const char *path, bool write)
{
	struct event ev = base(type, 101, 100);

	ev.file.path = path;
	ev.file.write = write;
	report_event(r, &ev);
}

static struct event http_ev(const char *method, const char *host, const char *path)
{
	struct event ev = base(AM_EV_HTTP, 101, 100);

	ev.http.method = method;
	ev.http.host = host;
	ev.http.path = path;
	ev.http.bytes = 42;
	ev.http.net.family = AF_INET;
	ev.http.net.dport = 8080;
	inet_pton(AF_INET, "10.1.2.3", ev.http.net.daddr);
	return ev;
}

/* r rendered in fmt, as a string to free */
static char *render(const struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(report_write(r, f, fmt), 0);
	fclose(f);
	return buf;
}

static void test_tree(void **state)
{
	struct report *r = report_new(NULL);
	const struct report_session *s;
	char *text;

	(void)state;
	exec_ev(r, 100, 1, "bot\0--go", 9, 2);
	exec_ev(r, 101, 100, "git\0status", 11, 2);
	exec_ev(r, 102, 101, "cat\0x", 6, 2);
	exec_ev(r, 103, 100, "ls", 3, 1);
	assert_int_equal(r->n_sessions, 1);
	s = &r->sessions[0];
	assert_string_equal(s->agent, "bot");
	assert_int_equal(s->root_pid, 100);
	assert_int_equal(s->n_procs, 4);
	assert_string_equal(s->procs[1].cmds[0], "git status");
	assert_int_equal(s->by_kind[REPORT_EXEC], 4);
	text = render(r, REPORT_TEXT);
	/* children under their parent, indented by depth */
	assert_non_null(strstr(text, "    sh[100] bot --go\n      `- sh[101] git status\n"
				     "        `- sh[102] cat x\n      `- sh[103] ls\n"));
	free(text);
	report_free(r);
}

static void test_dest_alert(void **state)
{
	static const char yaml[] = "allow:\n  - host: api.example\n";
	struct event_intent in = { .tool = "Bash", .input = "curl -X POST http://up.example",
				   .prompt = "post the answer", .model = "m1" };
	struct event_alert a = { .rule = "outbound_post", .severity = "high",
				 .summary = "POST to up.example", .cause_type = AM_EV_HTTP,
				 .count = 1, .intent = &in };
	struct event ev = http_ev("POST", "up.example", "/collect?token=hunter2secret&q=1");
	struct report_peer peer = { .family = AF_INET, .port = 8080 };
	const struct report_dest *d;
	struct policy *p;
	struct report *r;
	char err[256];

	(void)state;
	assert_int_equal(policy_load_buffer("t", yaml, sizeof(yaml) - 1, &p, err, sizeof(err)), 0);
	r = report_new(p);
	report_event(r, &ev);
	ev = http_ev("GET", "up.example", "/status");
	report_event(r, &ev);
	ev.type = AM_EV_ALERT;
	ev.alert = &a;
	report_event(r, &ev);
	inet_pton(AF_INET, "10.1.2.3", peer.daddr);
	report_received(r, 100, &peer, 1000);
	peer.port = 9;
	report_received(r, 100, &peer, 7);
	d = &r->sessions[0].dests[0];
	assert_int_equal(r->sessions[0].n_dests, 1);
	assert_string_equal(d->host, "up.example");
	assert_string_equal(d->addr, "10.1.2.3");
	assert_int_equal(d->requests, 2);
	assert_int_equal(d->methods, 3); /* GET POST */
	assert_int_equal(d->body_bytes, 84);
	assert_int_equal(d->bytes_sent, 84);
	assert_int_equal(d->bytes_received, 1000);
	assert_int_equal(r->sessions[0].unattributed_received, 7);
	assert_int_equal(d->alerts, 1);
	assert_string_equal(d->verdict, "not listed");
	assert_int_equal(d->n_paths, 2);
	assert_null(strstr(d->paths[0], "hunter2"));
	assert_non_null(strstr(d->paths[0], "token=[REDACTED]&q=1"));
	assert_int_equal(r->sessions[0].n_alerts, 1);
	assert_string_equal(r->sessions[0].alerts[0].tool, "Bash");
	assert_string_equal(r->sessions[0].alerts[0].prompt, "post the answer");
	report_free(r);
	policy_free(p);
}

/* destinations are an address and port with a name: hosts behind one address
 * (a connect with no name, a request naming an unlisted host) are two, each
 * judged on its own; bytes read from the address go to its first */
static void test_dest_by_host(void **state)
{
	struct event ev = base(AM_EV_CONNECT, 101, 100);
	struct report_peer peer = { .family = AF_INET, .port = 8080 };
	const struct report_session *s;
	struct report *r;
	struct policy *p;
	char err[256];

	(void)state;
	assert_int_equal(policy_load(NULL, &p, err, sizeof(err)), 0);
	r = report_new(p);
	ev.net.family = AF_INET;
	ev.net.dport = 8080;
	inet_pton(AF_INET, "127.0.0.1", ev.net.daddr);
	report_event(r, &ev);
	ev = http_ev("POST", "up.example", "/x");
	inet_pton(AF_INET, "127.0.0.1", ev.http.net.daddr);
	report_event(r, &ev);
	ev = http_ev("POST", "up.example", "/y");
	inet_pton(AF_INET, "127.0.0.1", ev.http.net.daddr);
	report_event(r, &ev);
	s = &r->sessions[0];
	assert_int_equal(s->n_dests, 2);
	assert_null(s->dests[0].host);
	assert_string_equal(s->dests[0].verdict, "allowed");
	assert_int_equal(s->dests[0].connects, 1);
	assert_string_equal(s->dests[1].host, "up.example");
	assert_string_equal(s->dests[1].verdict, "not listed");
	assert_int_equal(s->dests[1].requests, 2);
	inet_pton(AF_INET, "127.0.0.1", peer.daddr);
	report_received(r, 100, &peer, 10);
	assert_int_equal(s->dests[0].bytes_received, 10);
	report_free(r);
	policy_free(p);
}

static void test_files(void **state)
{
	struct report *r = report_new(NULL);
	const struct report_session *s;
	struct event ev;

	(void)state;
	file_ev(r, AM_EV_OPEN, "/lib/libc.so.6", false);
	file_ev(r, AM_EV_OPEN, "/dev/null", true);
	file_ev(r, AM_EV_OPEN, "/w/out.txt", true);
	file_ev(r, AM_EV_OPEN, "/w/out.txt", true);
	file_ev(r, AM_EV_UNLINK, "/w/old.txt", false);
	ev = base(AM_EV_RENAME, 101, 100);
	ev.file.path = "/w/a";
	ev.file.new_path = "/w/b";
	report_event(r, &ev);
	ev = base(AM_EV_UNLINK, 101, 100);
	ev.file.path = "/w/missing";
	ev.file.ret = -2;
	report_event(r, &ev);
	s = &r->sessions[0];
	assert_int_equal(s->reads, 2);
	assert_int_equal(s->n_files, 3); /* the failed unlink is in the timeline only */
	assert_string_equal(s->files[0].path, "/w/out.txt");
	assert_int_equal(s->files[0].written, 2);
	assert_int_equal(s->files[1].deleted, 1);
	assert_string_equal(s->files[2].new_path, "/w/b");
	assert_int_equal(s->by_kind[REPORT_WRITE], 5);
	assert_non_null(strstr(s->items[4].text, "(failed)"));
	report_free(r);
}

static void test_cuts(void **state)
{
	struct report *r = report_new(NULL);
	const struct report_session *s;
	char path[64];

	(void)state;
	for (int round = 0; round < 2; round++) /* seen again: counted once */
		for (uint32_t pid = 100; pid < 100 + REPORT_PROCS_MAX + 44; pid++)
			exec_ev(r, pid, 100, "x", 2, 1);
	s = &r->sessions[0];
	assert_int_equal(s->n_procs, REPORT_PROCS_MAX);
	assert_int_equal(s->procs_cut, 44);
	assert_int_equal(s->procs[0].n_cmds, 2);
	assert_int_equal(s->n_items, REPORT_TIMELINE_MAX);
	assert_int_equal(s->items_cut[REPORT_EXEC], 2 * (REPORT_PROCS_MAX + 44) - REPORT_TIMELINE_MAX);
	for (int i = 0; i < REPORT_FILES_MAX + 10; i++) {
		snprintf(path, sizeof(path), "/w/%d", i);
		file_ev(r, AM_EV_OPEN, path, true);
		file_ev(r, AM_EV_OPEN, path, true);
	}
	assert_int_equal(s->n_files, REPORT_FILES_MAX);
	assert_int_equal(s->files_cut, 10);
	for (int i = 0; i < 20; i++) {
		struct event ev;

		snprintf(path, sizeof(path), "/p/%d", i);
		ev = http_ev("PUT", "h.example", path);
		report_event(r, &ev);
	}
	assert_int_equal(s->dests[0].n_paths, REPORT_PATHS_MAX);
	assert_int_equal(s->dests[0].paths_cut, 20 - REPORT_PATHS_MAX);
	report_free(r);
}

static void test_sessions(void **state)
{
	struct report *r = report_new(NULL);
	struct event ev = base(AM_EV_EXIT, 5, 1);

	(void)state;
	for (uint32_t i = 0; i < REPORT_SESSIONS_MAX + 3; i++) {
		ev.agent_pid = 1000 + i;
		report_event(r, &ev);
	}
	ev.agent = NULL;
	report_event(r, &ev);
	ev.type = AM_EV_DROP;
	ev.drop.lost = 12;
	report_event(r, &ev);
	assert_int_equal(r->n_sessions, REPORT_SESSIONS_MAX);
	assert_int_equal(r->sessions_cut_events, 3);
	assert_int_equal(r->untagged, 1);
	assert_int_equal(r->drops_lost, 12);
	assert_int_equal(r->events, REPORT_SESSIONS_MAX + 5);
	report_free(r);
}

/* the root exits, its pid is reused by a new root: two sessions */
static void test_pid_reuse(void **state)
{
	struct report *r = report_new(NULL);
	struct event ev = base(AM_EV_EXIT, 100, 1);

	(void)state;
	exec_ev(r, 100, 1, "a", 2, 1);
	report_event(r, &ev);
	ev = base(AM_EV_EXIT, 101, 1); /* a child outliving the root: the same session */
	report_event(r, &ev);
	assert_int_equal(r->n_sessions, 1);
	exec_ev(r, 100, 1, "b", 2, 1);
	assert_int_equal(r->n_sessions, 2);
	assert_int_equal(r->sessions[0].n_procs, 2);
	assert_int_equal(r->sessions[1].n_procs, 1);
	assert_string_equal(r->sessions[1].procs[0].cmds[0], "b");
	report_free(r);
}

#define HOSTILE "<script>alert(1)</script>"

static void test_hostile(void **state)
{
	static const char argv[] = "curl\0-H\0Authorization: Bearer abcdef123456\0" HOSTILE "\x1b[2J";
	struct report *r = report_new(NULL);
	struct event ev = base(AM_EV_OPEN, 102, 101);
	char *html, *text, *js;
	json_t *j;

	(void)state;
	exec_ev(r, 101, 100, argv, sizeof(argv), 4);
	strcpy(ev.comm, "<b>x</b>");
	ev.file.path = "/w/\"><img src=x onerror=alert(2)>\n.txt";
	ev.file.write = true;
	report_event(r, &ev);
	report_note(r, "trace %s: cut", "/t/<i>.amtrace");
	html = render(r, REPORT_HTML);
	text = render(r, REPORT_TEXT);
	js = render(r, REPORT_JSON);
	for (char *out = html; out; out = out == html ? text : out == text ? js : NULL) {
		assert_null(strstr(out, "abcdef123456"));
		assert_null(strchr(out, '\x1b'));
	}
	assert_null(strstr(html, HOSTILE));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>x"));
	assert_non_null(strstr(html, "&lt;b&gt;x&lt;/b&gt;</b>[102]"));
	assert_null(strstr(html, "<i>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J"));
	assert_non_null(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\\x0a.txt"));
	assert_non_null(strstr(html, "Bearer [REDACTED]"));
	assert_non_null(strstr(text, HOSTILE "\\x1b[2J"));
	assert_non_null(strstr(text, "NOT READ: trace /t/<i>.amtrace: cut"));
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "not_read"), 0)),
			    "trace /t/<i>.amtrace: cut");
	json_decref(j);
	free(html);
	free(text);
	free(js);
	report_free(r);
}

/* --since/--until of report and replay, --since of tail --nats: an RFC
 * 3339 time (Z or an offset, a fraction) or an age before now */
static void test_parse_time(void **state)
{
	const uint64_t now = 1796284800ull * 1000000000ull;  /* 2026-12-03T08:00:00Z */
	static const struct { const char *s; uint64_t ago_ms; } good[] = {
		{ "2026-12-03T07:00:00Z", 3600000 }, { "2026-12-03T07:00:00.25z", 3599750 },
		{ "2026-12-03T09:30:00+02:00", 1800000 }, { "2026-12-03T06:30:00-01:00", 1800000 },
		{ "10m", 600000 }, { "90", 90000 }, { "0s", 0 },
	};
	static const char *const bad[] = {
		"", "x", "10 m", "10w", "-5m", "2026-12-03", "2026-12-03T07:00:00",
		"2026-12-03T07:00:00Y", "2026-12-03T07:00:00+1:00", "2026-12-03T07:00:00+01:00x",
		"1900-01-01T00:00:00Z", "2026-13-03T07:00:00Z", "99999999999d", "100000d",
	};
	uint64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 0;
		if (replay_parse_time(good[i].s, now, &t) || t != now - good[i].ago_ms * 1000000ull)
			fail_msg("'%s' gave %llu", good[i].s, (unsigned long long)t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		if (replay_parse_time(bad[i], now, &t) != -EINVAL || t != 7)
			fail_msg("'%s' was taken", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree), cmocka_unit_test(test_dest_alert),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_dest_by_host), cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_sessions), cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_hostile), cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
