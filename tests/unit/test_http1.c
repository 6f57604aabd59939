// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_http1.c - HTTP/1.x request heads and status lines: real clients' heads, every cut, every fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http1.h"

/* curl 7.88 --data (head as it writes it, then the body in the same write) */
static const char curl_post[] =
	"POST /v1/messages?beta=true HTTP/1.1\r\n"
	"Host: api.anthropic.com\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"x-api-key: sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 18\r\n"
	"\r\n"
	"{\"model\":\"claude\"}";

/* python3 http.client.HTTPConnection("example.com", 8080).request("PUT", ...) */
static const char py_put[] =
	"PUT /upload/file.txt HTTP/1.1\r\n"
	"Host: example.com:8080\r\n"
	"Accept-Encoding: identity\r\n"
	"Content-Length: 5\r\n"
	"\r\n";

static int parse(const char *s, struct http1_req *r)
{
	return http1_parse_request((const uint8_t *)s, strlen(s), r);
}

static uint8_t *copy;  /* the last parse_n input, alive until the next */

/* parse a heap copy of exactly n bytes, so that ASan sees any overread */
static int parse_n(const char *s, size_t n, struct http1_req *r)
{
	free(copy);
	copy = malloc(n ? n : 1);
	memcpy(copy, s, n);
	return http1_parse_request(copy, n, r);
}

#define assert_span(p, n, want) do { \
	assert_int_equal((n), strlen(want)); assert_memory_equal((p), (want), (n)); } while (0)

static void test_curl_post(void **state)
{
	struct http1_req r;
	const struct http1_header *h;

	assert_int_equal(parse(curl_post, &r), 1);
	assert_span(r.method, r.method_len, "POST");
	assert_true(r.known_method);
	assert_span(r.target, r.target_len, "/v1/messages?beta=true");
	assert_span(r.path, r.path_len, "/v1/messages?beta=true");
	assert_span(r.host, r.host_len, "api.anthropic.com");
	assert_int_equal(r.version, 11);
	assert_int_equal(r.content_length, 18);
	assert_false(r.chunked);
	assert_true(r.line_complete);
	assert_true(r.head_complete);
	assert_int_equal(r.head_len, strlen(curl_post) - 18);
	assert_int_equal(r.n_headers, 6);
	h = http1_header_find(&r, "X-API-KEY");
	assert_non_null(h);
	assert_span(h->value, h->value_len, "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_null(http1_header_find(&r, "cookie"));
}

static void test_python_put(void **state)
{
	struct http1_req r;

	assert_int_equal(parse(py_put, &r), 1);
	assert_span(r.method, r.method_len, "PUT");
	assert_span(r.host, r.host_len, "example.com");
	assert_int_equal(r.content_length, 5);
	assert_int_equal(r.head_len, strlen(py_put));
}

/* every cut of the curl head: never an error, fields appear as their bytes do */
static void test_every_cut(void **state)
{
	size_t line = strlen("POST /v1/messages?beta=true HTTP/1.1\r\n");
	size_t head = strlen(curl_post) - 18;
	struct http1_req r;

	for (size_t n = 0; n <= strlen(curl_post); n++) {
		int rc = parse_n(curl_post, n, &r);

		if (n < 5) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, 1);
		assert_span(r.method, r.method_len, "POST");
		assert_int_equal(r.line_complete, n >= line);
		assert_int_equal(r.head_complete, n >= head);
		if (n >= line)
			assert_span(r.path, r.path_len, "/v1/messages?beta=true");
		else
			assert_memory_equal(r.target, "/v1/messages?beta=true", r.target_len);
		if (n >= line + strlen("Host: api.anthropic.com\r\n"))
			assert_span(r.host, r.host_len, "api.anthropic.com");
		else
			assert_null(r.host);
		assert_int_equal(r.content_length, n >= head - 2 ? 18 : -1);
	}
}

static void test_absolute_and_other_forms(void **state)
{
	struct http1_req r;

	assert_int_equal(parse("GET http://user:pw@Example.com:80/x?y=1 HTTP/1.1\r\n"
			       "Host: other.example\r\n\r\n", &r), 1);
	assert_span(r.host, r.host_len, "Example.com");
	assert_span(r.path, r.path_len, "/x?y=1");
	assert_int_equal(parse("GET https://example.com HTTP/1.0\r\n\r\n", &r), 1);
	assert_span(r.host, r.host_len, "example.com");
	assert_int_equal(r.path_len, 0);
	assert_int_equal(r.version, 10);
	assert_int_equal(parse("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n",
			       &r), 1);
	assert_span(r.host, r.host_len, "2001:db8::1");
	assert_int_equal(r.path_len, 0);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nhOsT: [::1]:8080\r\n\r\n", &r), 1);
	assert_span(r.path, r.path_len, "*");
	assert_span(r.host, r.host_len, "::1");
}

static void test_framing_headers(void **state)
{
	struct http1_req r;

	assert_int_equal(parse("POST /u HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", &r), 1);
	assert_true(r.chunked);
	assert_int_equal(r.content_length, -1);
	assert_int_equal(parse("POST /u HTTP/1.1\nContent-Length: 7\nContent-Length: 7\n\n", &r), 1);
	assert_int_equal(r.content_length, 7);
	assert_true(r.head_complete);
	assert_int_equal(parse("POST /u HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &r), 1);
	assert_false(r.chunked);
}

static void test_many_headers(void **state)
{
	char buf[8192] = "GET / HTTP/1.1\r\n";

	for (int i = 0; i < HTTP1_MAX_HEADERS + 5; i++)
		strcat(buf, "X-A: b\r\n");
	strcat(buf, "\r\n");
	struct http1_req r;

	assert_int_equal(parse(buf, &r), 1);
	assert_int_equal(r.n_headers, HTTP1_MAX_HEADERS);
	assert_true(r.headers_trunc);
	assert_true(r.head_complete);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"GET /x HTTP/9.9\r\n\r\n",
		"GET /x HTTP/1.1 \r\n\r\n",
		"GET  /x HTTP/1.1\r\n\r\n",
		"GET /x\tHTTP/1.1\r\n\r\n",
		"GET /x HTTP/2.0\r\n\r\n",
		"GET /x HTTP/1.1\r\nBad Header: x\r\n\r\n",
		"GET /x HTTP/1.1\r\n: empty\r\n\r\n",
		"GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\rc\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a:b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a b\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\n\r\n",
	};
	struct http1_req r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &r);

		if (rc != -1)
			fail_msg("accepted (%d): %s", rc, bad[i]);
		/* what came before the fault is kept */
		assert_non_null(r.method);
	}
}

static void test_not_http(void **state)
{
	static const char *const no[] = {
		"", "G", "GET", "GET/", "\x16\x03\x01\x02\x00\x01",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "hello world\r\n", "hello world",
		"SSH-2.0-OpenSSH_9.2\r\n", "{\"jsonrpc\":\"2.0\"}",
		"AVERYLONGTOKENTHATISNOTAMETHODATALL_X /x HTTP/1.1\r\n",
	};
	struct http1_req r;

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(parse_n(no[i], strlen(no[i]), &r), 0);
	/* an unknown but valid token method is HTTP once the line says so */
	assert_int_equal(parse("PROPFIND /d HTTP/1.1\r\nHost: dav\r\n\r\n", &r), 1);
	assert_false(r.known_method);
	assert_span(r.method, r.method_len, "PROPFIND");
	assert_int_equal(parse("PROPFIND /d HT", &r), 0);
	/* a NUL inside the target: known method, so malformed */
	assert_int_equal(parse_n("GET /a\0b HTTP/1.1\r\n", 19, &r), -1);
}

/* 0 says whether more bytes may make a request (partial) or never will */
static void test_partial(void **state)
{
	static const char *const more[] = {
		"", "G", "GET", "PO", "PROPPATCH", "PROPFIND /d HT", "\r\n", "\r\n\r\nPO",
		"X-ANY-METHOD /x", "hello world",
	};
	static const char *const never[] = {
		"GET/", "\x16\x03\x01", "PRI * HTTP/2.0\r\n", "hello world\r\n",
	};
	struct http1_req r;

	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		assert_int_equal(parse(more[i], &r), 0);
		if (!r.partial)
			fail_msg("not partial: \"%s\"", more[i]);
	}
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		assert_int_equal(parse(never[i], &r), 0);
		if (r.partial)
			fail_msg("partial: \"%s\"", never[i]);
	}
}

/* empty lines before the request line are skipped (RFC 9112 2.2) */
static void test_leading_crlf(void **state)
{
	static const char req[] = "\r\n\n\r\nPOST /crlf HTTP/1.1\r\nHost: h.example\r\n\r\nrest";
	struct http1_req r;

	assert_int_equal(parse(req, &r), 1);
	assert_true(r.head_complete);
	assert_int_equal(r.lead, 5);
	assert_span(r.method, r.method_len, "POST");
	assert_span(r.path, r.path_len, "/crlf");
	assert_span(r.host, r.host_len, "h.example");
	assert_int_equal(r.head_len, strlen(req) - 4);
}

/* any token is a method once the request line ends in HTTP/1.x */
static void test_extension_methods(void **state)
{
	static const char *const m[] = { "PROPPATCH", "MKCOL", "X-EXFIL", "get", "M" };
	struct http1_req r;
	char buf[128];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\nHost: a.example\r\n\r\n", m[i]);
		assert_int_equal(parse(buf, &r), 1);
		assert_true(r.head_complete);
		assert_span(r.method, r.method_len, m[i]);
	}
}

static long chunked(struct http1_chunked *c, const char *s, bool *done)
{
	return http1_chunked_feed(c, (const uint8_t *)s, strlen(s), done);
}

static void test_chunked(void **state)
{
	static const char body[] = "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nNEXT";
	struct http1_chunked c = { 0 };
	bool done;

	assert_int_equal(chunked(&c, body, &done), strlen(body) - 4);
	assert_true(done);
	/* byte by byte: the same end */
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < strlen(body) - 4; i++) {
		assert_int_equal(http1_chunked_feed(&c, (const uint8_t *)body + i, 1, &done), 1);
		assert_true(done == (i == strlen(body) - 5));
	}
	/* broken framing */
	memset(&c, 0, sizeof(c));
	assert_int_equal(chunked(&c, "zz\r\n", &done), -1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(chunked(&c, "3\r\nabcX", &done), -1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(chunked(&c, "fffffffffffffffff\r\n", &done), -1);  /* 17 digits */
	memset(&c, 0, sizeof(c));
	assert_int_equal(chunked(&c, "\r\n", &done), -1);                  /* no size */
}

static void test_status(void **state)
{
	int st = 0;

	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 201 Created\r\n", 22, &st), 1);
	assert_int_equal(st, 201);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.0 404", 12, &st), 1);
	assert_int_equal(st, 404);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 200\r\n", 14, &st), 1);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 20", 11, &st), 0);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTT", 3, &st), 0);
	assert_int_equal(http1_parse_status((const uint8_t *)"SSH-2.0-OpenSSH", 15, &st), 0);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 2x1 OK", 15, &st), -1);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 099 OK", 15, &st), -1);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1 2000 OK", 16, &st), -1);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/3.0 200 OK", 15, &st), -1);
	assert_int_equal(http1_parse_status((const uint8_t *)"HTTP/1.1_200 OK", 15, &st), -1);
}

static void test_host(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "example.com", "example.com" }, { "example.com:443", "example.com" },
		{ "[::1]:8080", "::1" }, { "[::1]", "::1" }, { "::1", "::1" },
		{ "10.0.0.1:", "10.0.0.1" }, { "", NULL }, { ":80", NULL }, { "[]:80", NULL },
		{ "[::1", NULL }, { "[::1]x", NULL }, { "a:8x", NULL }, { "a b", NULL },
		{ "u@h", NULL }, { "h/p", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t hl = 0;
		const char *h = http1_host(cases[i].in, strlen(cases[i].in), &hl);

		if (!cases[i].want) {
			assert_null(h);
			continue;
		}
		assert_non_null(h);
		assert_span(h, hl, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_post),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_leading_crlf),
		cmocka_unit_test(test_extension_methods),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_python_put),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_absolute_and_other_forms),
		cmocka_unit_test(test_framing_headers),
		cmocka_unit_test(test_many_headers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_not_http),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_host),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(copy);
	return rc;
}
