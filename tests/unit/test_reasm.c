// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_reasm.c - HTTP/1 heads from pieces, gaps, pipelining and bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reasm.h"

#define MAX_HEADS 8

struct got {
	char method[16], path[64], host[64];
	enum reasm_end end;
	bool resync;
};

struct fix {
	struct reasm *r;
	struct reasm_stream s;
	struct got h[MAX_HEADS];
	int n;
};

static void span(char *dst, size_t size, const char *s, size_t n)
{
	snprintf(dst, size, "%.*s", s ? (int)n : 0, s ? s : "");
}

static void on_head(void *arg, const struct reasm_head *h)
{
	struct fix *f = arg;
	struct got *g = &f->h[f->n++];

	assert_true(f->n <= MAX_HEADS);
	span(g->method, sizeof(g->method), h->req->method, h->req->method_len);
	span(g->path, sizeof(g->path), h->req->path, h->req->path_len);
	span(g->host, sizeof(g->host), h->req->host, h->req->host_len);
	g->end = h->end;
	g->resync = h->resync;
}

/* one piece: s captured whole, plus gap bytes not captured */
static uint64_t feed_gap(struct fix *f, const char *s, uint64_t gap)
{
	return reasm_feed(f->r, &f->s, (const uint8_t *)s, strlen(s), strlen(s) + gap, on_head, f);
}

static uint64_t feed(struct fix *f, const char *s)
{
	return feed_gap(f, s, 0);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->r = reasm_new(256, 1024);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	struct reasm_stats st;

	reasm_release(f->r, &f->s);
	reasm_stats(f->r, &st);
	assert_int_equal(st.held, 0);
	reasm_free(f->r);
	free(f);
	return 0;
}

static void assert_head(const struct got *g, const char *method, const char *path,
			enum reasm_end end)
{
	assert_string_equal(g->method, method);
	assert_string_equal(g->path, path);
	assert_int_equal(g->end, end);
}

/* bash printf >&3: one write per line, the body last */
static void test_lines(void **state)
{
	static const char *const lines[] = {
		"POST /in HTTP/1.1\r\n", "Host: paste.example\r\n", "Content-Length: 5\r\n", "\r\n",
	};
	struct fix *f = *state;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f->n, 0);
		assert_int_equal(feed(f, lines[i]), 0);
	}
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "POST", "/in", REASM_COMPLETE);
	assert_string_equal(f->h[0].host, "paste.example");
	assert_int_equal(feed(f, "hello"), 0);          /* the body */
	assert_int_equal(feed(f, "GET / HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(f->n, 2);
}

/* a byte per write: the same head (parsed again only at line ends) */
static void test_byte_at_a_time(void **state)
{
	static const char head[] = "PATCH /one/byte/at/a/time HTTP/1.1\r\nHost: b.example\r\n"
		"X-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4444444444444444444444444444444\r\n"
		"Content-Length: 2\r\n\r\nokGET /after HTTP/1.1\r\n\r\n";
	struct fix *f = *state;

	for (size_t i = 0; i < sizeof(head) - 1; i++)
		assert_int_equal(reasm_feed(f->r, &f->s, (const uint8_t *)head + i, 1, 1, on_head, f), 0);
	assert_int_equal(f->n, 2);
	assert_head(&f->h[0], "PATCH", "/one/byte/at/a/time", REASM_COMPLETE);
	assert_string_equal(f->h[0].host, "b.example");
	assert_head(&f->h[1], "GET", "/after", REASM_COMPLETE);
}

/* TLS records "PO" + "ST /x ...": one POST, not a method "ST" */
static void test_split_method(void **state)
{
	struct fix *f = *state;

	feed(f, "PO");
	feed(f, "ST /x HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2\r\n\r\nhi");
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "POST", "/x", REASM_COMPLETE);
}

static void test_leading_crlf(void **state)
{
	struct fix *f = *state;

	struct reasm_stats st;

	feed(f, "\r\n");
	feed(f, "\r\nPOST /c HTTP/1.1\r\n\r\n");
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "POST", "/c", REASM_COMPLETE);
	/* a CRLF after a body is not a head: nothing held, no unseen head */
	feed(f, "\r\n");
	reasm_stats(f->r, &st);
	assert_int_equal(st.held, 0);
	assert_true(reasm_idle(&f->s));
}

/* every head of a write, past Content-Length and chunked bodies, and on
 * across pieces cut anywhere */
static void test_pipelining(void **state)
{
	static const char all[] = "GET /a HTTP/1.1\r\n\r\n"
		"POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
		"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nGET\r\n0\r\n\r\n"
		"DELETE /d HTTP/1.1\r\n\r\n";
	struct fix *f = *state;

	assert_int_equal(feed(f, all), 0);
	assert_int_equal(f->n, 4);
	assert_head(&f->h[0], "GET", "/a", REASM_COMPLETE);
	assert_head(&f->h[1], "POST", "/b", REASM_COMPLETE);
	assert_head(&f->h[2], "PUT", "/c", REASM_COMPLETE);
	assert_head(&f->h[3], "DELETE", "/d", REASM_COMPLETE);
	/* the same bytes cut at every offset into two pieces */
	for (size_t cut = 1; cut < sizeof(all) - 1; cut++) {
		char a[sizeof(all)];

		f->n = 0;
		memcpy(a, all, cut);
		a[cut] = '\0';
		feed(f, a);
		feed(f, all + cut);
		if (f->n != 4 || strcmp(f->h[3].method, "DELETE"))
			fail_msg("cut at %zu: %d heads", cut, f->n);
	}
}

/* a gap inside a Content-Length body is skipped; inside a head it cuts it */
static void test_gaps(void **state)
{
	struct fix *f = *state;

	feed_gap(f, "POST /big HTTP/1.1\r\nContent-Length: 1000\r\n\r\nxx", 998);
	assert_int_equal(feed(f, "POST /next HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(f->n, 2);
	assert_head(&f->h[1], "POST", "/next", REASM_COMPLETE);
	/* a head cut by the capture: judged with what is known, then lost */
	assert_int_equal(feed_gap(f, "GET /aaaa", 3000), 3000);
	assert_int_equal(f->n, 3);
	assert_head(&f->h[2], "GET", "/aaaa", REASM_CUT);
	/* lost: bytes not at a piece start are counted, no head invented */
	assert_int_equal(feed(f, "more bytes"), 10);
	assert_int_equal(f->n, 3);
	/* a piece starting with a request: judged, its body length not trusted */
	assert_int_equal(feed(f, "POST /r HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /hidden"),
			 strlen("abcGET /hidden"));
	assert_int_equal(f->n, 4);
	assert_head(&f->h[3], "POST", "/r", REASM_COMPLETE);
	assert_true(f->h[3].resync);
	/* a gap where a head should start on an HTTP stream: an unseen head */
	f->n = 0;
	memset(&f->s, 0, sizeof(f->s));
	feed(f, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(feed_gap(f, "", 500), 500);
	assert_int_equal(f->n, 2);
	assert_head(&f->h[1], "", "", REASM_CUT);
	/* a gap in a chunked body: lost */
	f->n = 0;
	memset(&f->s, 0, sizeof(f->s));
	feed_gap(f, "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n", 100);
	assert_int_equal(feed(f, "x\r\n0\r\n\r\n"), 8);
	assert_int_equal(f->n, 1);
}

/* a gap inside a chunk's data, or through its CRLF, is that chunk's: the
 * body goes on (node writes "4000\r\n" + 16 KiB + "\r\n" in one record,
 * captured only in part); past the CRLF the framing is unknown: lost */
static void test_chunk_gaps(void **state)
{
	struct fix *f = *state;

	assert_int_equal(feed(f, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	assert_int_equal(feed_gap(f, "4000\r\nzz", 16382 + 2), 0);     /* data and CRLF */
	assert_int_equal(feed_gap(f, "10\r\nzz", 14), 0);              /* data only */
	assert_int_equal(feed_gap(f, "\r\n8\r\nzzz", 5 + 1), 0);      /* data and CR */
	assert_int_equal(feed(f, "\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(f->n, 2);
	assert_head(&f->h[1], "GET", "/next", REASM_COMPLETE);
	/* one byte past the CRLF: where the next chunk starts is unknown */
	assert_int_equal(feed(f, "PUT /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	assert_int_equal(feed_gap(f, "4\r\nab", 2 + 2 + 1), 3);
	assert_int_equal(feed(f, "0\r\n\r\n"), 5);
	assert_int_equal(f->n, 3);
}

static void test_malformed_and_not_http(void **state)
{
	struct fix *f = *state;
	struct reasm_stats st;

	assert_int_equal(feed(f, "POST /m HTTP/1.1\r\nHost: h.example\r\nno colon\r\n\r\n"),
			 strlen("POST /m HTTP/1.1\r\nHost: h.example\r\nno colon\r\n\r\n"));
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "POST", "/m", REASM_MALFORMED);
	assert_string_equal(f->h[0].host, "h.example");
	/* another protocol from the start: counted, never a head */
	f->n = 0;
	memset(&f->s, 0, sizeof(f->s));
	assert_int_equal(feed(f, "SSH-2.0-OpenSSH_9.2\r\n"), 21);
	assert_int_equal(feed(f, "\x01\x02\x03"), 3);
	assert_int_equal(f->n, 0);
	/* garbage where the next head must start on an HTTP stream: malformed */
	memset(&f->s, 0, sizeof(f->s));
	feed(f, "GET / HTTP/1.1\r\n\r\n\x16\x03garbage");
	assert_int_equal(f->n, 2);
	assert_head(&f->h[1], "", "", REASM_MALFORMED);
	reasm_stats(f->r, &st);
	assert_int_equal(st.heads, 3);
	assert_int_equal(st.incomplete, 2);
}

/* CONNECT: the tunnel's bytes are a new stream; Upgrade: lost */
static void test_connect_upgrade(void **state)
{
	struct fix *f = *state;

	feed(f, "CONNECT paste.example:443 HTTP/1.1\r\nHost: paste.example:443\r\n\r\n");
	assert_int_equal(feed(f, "\x16\x03\x01 hello"), 9);   /* TLS inside: not a head */
	assert_int_equal(f->n, 1);
	memset(&f->s, 0, sizeof(f->s));
	feed(f, "CONNECT t.example:80 HTTP/1.1\r\n\r\nPOST /in HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(f->n, 3);
	assert_head(&f->h[2], "POST", "/in", REASM_COMPLETE);
	memset(&f->s, 0, sizeof(f->s));
	assert_int_equal(feed(f, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x85"), 2);
	assert_int_equal(f->n, 4);
}

/* bounded per head and in total; what is held when a stream goes is counted */
static void test_bounds(void **state)
{
	struct fix *f = *state;
	struct reasm_stream o[5] = { 0 };
	struct reasm_stats st;
	char big[300];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	feed(f, "GET /x HTTP/1.1\r\n");
	feed(f, big);                                   /* past head_max (256) */
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "GET", "/x", REASM_OVERFLOW);
	/* the budget (1024) over streams: 5 heads of 220 bytes in pieces */
	big[200] = '\0';
	for (int i = 0; i < 5; i++) {
		reasm_feed(f->r, &o[i], (const uint8_t *)"GET /o HTTP/1.1\r\nX: ", 20, 20, on_head, f);
		reasm_feed(f->r, &o[i], (const uint8_t *)big, 200, 200, on_head, f);
	}
	assert_int_equal(f->n, 2);                      /* the fifth did not fit */
	assert_head(&f->h[1], "GET", "/o", REASM_OVERFLOW);
	reasm_stats(f->r, &st);
	assert_int_equal(st.budget_full, 1);
	assert_int_equal(st.held, 4 * 220);
	for (int i = 0; i < 5; i++)
		reasm_release(f->r, &o[i]);
	reasm_stats(f->r, &st);
	assert_int_equal(st.evicted, 4);
	assert_int_equal(st.held, 0);
}

/* a short write: bytes captured past ret never went */
static void test_short_write(void **state)
{
	struct fix *f = *state;
	static const char s[] = "POST /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\n\r\n";

	reasm_feed(f->r, &f->s, (const uint8_t *)s, strlen(s), 20, on_head, f);
	assert_int_equal(f->n, 1);
	assert_head(&f->h[0], "POST", "/a", REASM_COMPLETE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leading_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_not_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
