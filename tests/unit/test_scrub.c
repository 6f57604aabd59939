// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_scrub.c - records as traces store them: secret header values masked
 * across writes, key shapes masked, exec arguments redacted, lengths kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "event.h"
#include "scrub.h"

static struct scrub *S;

static int setup(void **state)
{
	S = malloc(sizeof(*S));
	return S && !scrub_init(S) ? 0 : -1;
}

static int teardown(void **state)
{
	scrub_release(S);
	free(S);
	return 0;
}

/* a data record of text, written to buf; its size */
static size_t data_rec(uint8_t *buf, uint8_t source, uint64_t sock, const char *text,
		       int64_t ret)
{
	struct am_data d = { 0 };
	size_t n = strlen(text);

	d.hdr.type = AM_EV_DATA;
	d.hdr.pid = 77;
	d.hdr.agent_id = 0;
	d.hdr.size = (uint16_t)(sizeof(d) + n);
	d.sock_id = sock;
	d.source = source;
	d.cap_len = (uint16_t)n;
	d.ret = ret ? ret : (int64_t)n;
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + sizeof(d), text, n);
	return sizeof(d) + n;
}

/* text through the scrub as one record of stream sock; the payload stored */
static const char *scrubbed(uint8_t source, uint64_t sock, const char *text, int64_t ret)
{
	static char out[8192];
	uint8_t rec[8192];
	size_t size = data_rec(rec, source, sock, text, ret), got;
	const uint8_t *p = scrub_record(S, rec, size, &got);

	assert_non_null(p);
	assert_int_equal(got, size);
	memcpy(out, p + sizeof(struct am_data), got - sizeof(struct am_data));
	out[got - sizeof(struct am_data)] = '\0';
	return out;
}

static void test_headers(void **state)
{
	assert_string_equal(
		scrubbed(AM_DATA_TLS_SEND, 1, "POST /v1/messages?q=1 HTTP/1.1\r\nHost: api.x\r\n"
			 "Authorization: Bearer abc.def\r\nx-api-key: k123\r\nCookie: a=b; c=d\r\n"
			 "X-My-Session-Id: s1\r\nContent-Length: 2\r\n\r\n{}", 0),
		"POST /v1/messages?q=1 HTTP/1.1\r\nHost: api.x\r\n"
		"Authorization: xxxxxx xxxxxxx\r\nx-api-key: xxxx\r\nCookie: xxxx xxx\r\n"
		"X-My-Session-Id: xx\r\nContent-Length: 2\r\n\r\n{}");
	/* responses too */
	assert_string_equal(scrubbed(AM_DATA_TLS_RECV, 1, "HTTP/1.1 200 OK\r\nSet-Cookie: id=9\r\n"
				     "\r\n", 0),
			    "HTTP/1.1 200 OK\r\nSet-Cookie: xxxx\r\n\r\n");
	/* a header line folded onto the next one */
	assert_string_equal(scrubbed(AM_DATA_SOCK_SEND, 2, "Cookie: a\r\n b\r\nHost: h\r\n", 0),
			    "Cookie: x\r\n x\r\nHost: h\r\n");
}

static void test_query(void **state)
{
	assert_string_equal(scrubbed(AM_DATA_SOCK_SEND, 11, "GET /v1/x?api_key=AbC&q=1;token=t#f HTTP/1.1\r\n"
				     "Referer: /y?token=keep\r\n\r\nsee /z?token=keep\n", 0),
			    "GET /v1/x?api_key=xxx&q=1;token=x#f HTTP/1.1\r\n"
			    "Referer: /y?token=xxxx\r\n\r\nsee /z?token=xxxx\n"); /* free text too */
	/* a request line cut between two writes */
	scrubbed(AM_DATA_TLS_SEND, 12, "POST /up?k=1&acc", 0);
	assert_string_equal(scrubbed(AM_DATA_TLS_SEND, 12, "ess_token=Zz9&x=2 HTTP/1.1\r\n", 0),
			    "ess_token=xxx&x=2 HTTP/1.1\r\n");
}

static void test_split_writes(void **state)
{
	/* one header cut anywhere between two writes of the same stream */
	const char *head = "GET / HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNz\r\nAccept: */*\r\n";
	const char *want = "GET / HTTP/1.1\r\nAuthorization: xxxxx xxxxxxxxxxxx\r\nAccept: */*\r\n";

	for (size_t cut = 1; cut < strlen(head); cut++) {
		char a[256], got[256];

		memcpy(a, head, cut);
		a[cut] = '\0';
		strcpy(got, scrubbed(AM_DATA_TLS_SEND, 100 + cut, a, 0));
		/* another stream in between keeps its own state */
		scrubbed(AM_DATA_TLS_SEND, 5000 + cut, "Cookie: ", 0);
		strcat(got, scrubbed(AM_DATA_TLS_SEND, 100 + cut, head + cut, 0));
		assert_string_equal(got, want);
	}
}

static void test_gap_and_keys(void **state)
{
	/* bytes not captured end the line: the next write is read afresh */
	scrubbed(AM_DATA_SOCK_SEND, 7, "Cookie: aaaa", 9000);
	assert_string_equal(scrubbed(AM_DATA_SOCK_SEND, 7, "POST /x HTTP/1.1\r\n", 0),
			    "POST /x HTTP/1.1\r\n");
	/* key shapes in a body */
	assert_string_equal(scrubbed(AM_DATA_SOCK_SEND, 8, "{\"k\":\"sk-ant-api03-abcdefghijklmnopqrstuv\"}", 0),
			    "{\"k\":\"sk-ant-XXXXXXXXXXXXXXXXXXXXXXXXXXXX\"}");
	/* a header name longer than we keep counts as secret */
	char line[200];

	memset(line, 'a', 100);
	strcpy(line + 100, ": v\r\n");
	assert_string_equal(scrubbed(AM_DATA_SOCK_SEND, 9, line, 0) + 100, ": x\r\n");
}

/*
 * body cut anywhere into two records (stream sock + cut): the key in it,
 * from its prefix (prefix_len bytes kept) to the text end, masked with 'X'
 * from the cut or prefix + kept on (a part shorter than a key at a buffer's
 * end is kept before the cut), its dots kept; the rest as it was
 */
static void check_cuts(const char *body, const char *prefix, const char *end, size_t kept,
		       uint64_t sock)
{
	size_t k0 = (size_t)(strstr(body, prefix) - body), kend = (size_t)(strstr(body, end) - body);

	for (size_t cut = 1; cut < strlen(body); cut++) {
		char a[256], got[256];

		memcpy(a, body, cut);
		a[cut] = '\0';
		strcpy(got, scrubbed(AM_DATA_TLS_SEND, sock + cut, a, 0));
		strcat(got, scrubbed(AM_DATA_TLS_SEND, sock + cut, body + cut, 0));
		assert_int_equal(strlen(got), strlen(body));
		assert_memory_equal(got, body, k0 + strlen(prefix));
		for (size_t i = cut > k0 + kept ? cut : k0 + kept; i < kend; i++)
			assert_int_equal(got[i], body[i] == '.' ? '.' : 'X');
		assert_string_equal(got + kend, body + kend);
	}
}

/* a key shape cut anywhere by a record boundary: masked after the cut too */
static void test_key_cut(void **state)
{
	check_cuts("{\"k\":\"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123\",\"q\":\"hi\"}", "sk-",
		   "\",\"q", 7, 300);
	/* over three records, the middle one short: the tail holds both */
	scrubbed(AM_DATA_TLS_SEND, 402, "x sk-ant-ap", 0);
	assert_string_equal(scrubbed(AM_DATA_TLS_SEND, 402, "i03-abc", 0), "XXXXXXX");
	assert_string_equal(scrubbed(AM_DATA_TLS_SEND, 402, "defghijklmnopqrstuvwxyz\" ok", 0),
			    "XXXXXXXXXXXXXXXXXXXXXXX\" ok");
	/* not carried over bytes that were not captured */
	scrubbed(AM_DATA_TLS_SEND, 400, "x sk-ant-api03-abc", 9000);
	assert_string_equal(scrubbed(AM_DATA_TLS_SEND, 400, "defghijklmnopqrstuvwxyz\"", 0),
			    "defghijklmnopqrstuvwxyz\"");
	/* a word before the prefix: not a key there, nor after a cut */
	scrubbed(AM_DATA_TLS_SEND, 401, "task-ant-api03-abc", 0);
	assert_string_equal(scrubbed(AM_DATA_TLS_SEND, 401, "defghijklmnopqrstuvwxyz\"", 0),
			    "defghijklmnopqrstuvwxyz\"");
}

/* bodies: form fields and JSON members whose names are secret, JWTs (dots kept) */
static void test_bodies(void **state)
{
	assert_string_equal(
		scrubbed(AM_DATA_TLS_SEND, 500, "POST /login HTTP/1.1\r\n"
			 "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
			 "user=bob&password=hunter2&client_secret=abc&x=1", 0),
		"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
		"user=bob&password=xxxxxxx&client_secret=xxx&x=1");
	assert_string_equal(
		scrubbed(AM_DATA_TLS_SEND, 501, "{\"user\":\"bob\",\"password\":\"hunter2\","
			 "\"api_key\": \"k1\",\"max_tokens\":10}", 0),
		"{\"user\":\"bob\",\"password\":\"xxxxxxx\",\"api_key\": \"xx\",\"max_tokens\":10}");
	assert_string_equal(scrubbed(AM_DATA_TLS_RECV, 502, "{\"id\":\"eyJhbGciOiJIUzI1NiJ9."
				     "eyJzdWIiOiIxIn0.c2ln\"}", 0),
			    "{\"id\":\"eyJXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXX.XXXX\"}");
}

/* a JWT cut anywhere by a record boundary: masked after the cut too, its dots kept */
static void test_jwt_cut(void **state)
{
	check_cuts("{\"q\":\"use eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl now\"}", "eyJ",
		   " now", 13, 600);
}

static void test_exec(void **state)
{
	static const char file[] = "/usr/bin/curl", cwd[] = "/home/u";
	static const char argv[] = "curl\0-H\0Authorization: Bearer tok123\0"
				   "https://h/x?api_key=SECRET&q=1\0-H\0X-Api-Key: ab";
	uint8_t rec[1024], *p = rec;
	struct am_exec e = { 0 };
	struct event ev;
	const char *why;
	size_t got;
	const uint8_t *out;

	e.hdr.type = AM_EV_EXEC;
	e.hdr.agent_id = 0;
	e.argc = 6;
	e.filename_len = sizeof(file);
	e.argv_len = sizeof(argv);
	e.cwd_len = sizeof(cwd);
	e.hdr.size = (uint16_t)(sizeof(e) + sizeof(file) + sizeof(argv) + sizeof(cwd));
	memcpy(p, &e, sizeof(e));
	memcpy(p += sizeof(e), file, sizeof(file));
	memcpy(p += sizeof(file), argv, sizeof(argv));
	memcpy(p + sizeof(argv), cwd, sizeof(cwd));
	out = scrub_record(S, rec, e.hdr.size, &got);
	assert_non_null(out);
	assert_int_equal(decode_record(out, got, &ev, &why), 0);
	assert_int_equal(ev.exec.argc, 6);
	assert_string_equal(ev.exec.filename, file);
	assert_string_equal(ev.exec.cwd, cwd);
	assert_null(memmem(out, got, "tok123", 6));
	assert_null(memmem(out, got, "SECRET", 6));
	assert_non_null(memmem(out, got, "X-Api-Key: [REDACTED]", 21));
	assert_non_null(memmem(out, got, "api_key=[REDACTED]&q=1", 22));
}

/* what does not decode is still masked; a record too large is refused */
static void test_raw(void **state)
{
	uint8_t rec[512] = { 0 };
	struct am_hdr h = { .type = AM_EV_DATA, .size = 300 };
	size_t got;
	const uint8_t *out;

	memcpy(rec, &h, sizeof(h));
	strcpy((char *)rec + sizeof(h) + 4, "\nx-api-key: hunter2\r\n");
	out = scrub_record(S, rec, 80, &got); /* size field past the length */
	assert_non_null(out);
	assert_null(memmem(out, got, "hunter2", 7));
	assert_null(scrub_record(S, rec, SCRUB_REC_MAX + 1, &got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_split_writes),
		cmocka_unit_test(test_gap_and_keys),
		cmocka_unit_test(test_key_cut),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_jwt_cut),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_raw),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
