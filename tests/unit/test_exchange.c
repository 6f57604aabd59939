// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_exchange.c - a model API exchange's bodies from pieces: lengths, chunks, gaps and the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "exchange.h"

static const char REQ[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"do it\"}]}";
static const char SSE[] = "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
			  "{\"name\":\"sh\",\"arguments\":\"{}\"}}]}}]}\n\n";
static struct llm x;
static uint64_t held;

static void send_str(struct exchange *e, const char *s)
{
	exchange_send(e, (const uint8_t *)s, strlen(s), strlen(s));
}

static void recv_str(struct exchange *e, const char *s)
{
	exchange_recv(e, (const uint8_t *)s, strlen(s), strlen(s));
}

/* Content-Length answer in two pieces: done when its last byte came */
static void test_sized(void **state)
{
	struct exchange *e = exchange_new(LLM_OPENAI_CHAT, "/v1/chat/completions", 20,
					  (int64_t)strlen(REQ), &held);
	char head[128];

	send_str(e, REQ);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", strlen(SSE));
	recv_str(e, head);
	assert_true(exchange_answered(e));
	assert_false(exchange_done(e));
	recv_str(e, SSE);
	assert_true(exchange_done(e));
	assert_int_equal(exchange_decode(e, &x), 0);
	assert_string_equal(x.prompt, "do it");
	assert_int_equal(x.n_tools, 1);
	assert_string_equal(x.tools[0].name, "sh");
	exchange_free(e);
}

/* chunked, the chunk split across pieces; a gap in the request: partial */
static void test_chunked_and_gap(void **state)
{
	struct exchange *e = exchange_new(LLM_OPENAI_CHAT, "/v1/chat/completions", 20, 1000, &held);
	char resp[512];
	size_t n;

	exchange_send(e, (const uint8_t *)REQ, 10, 500); /* 490 bytes not captured */
	n = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "%zx\r\n%s\r\n0\r\n\r\n", strlen(SSE), SSE);
	exchange_recv(e, (const uint8_t *)resp, 70, 70);
	assert_false(exchange_done(e));
	exchange_recv(e, (const uint8_t *)resp + 70, n - 70, n - 70);
	assert_true(exchange_done(e));
	assert_int_equal(exchange_decode(e, &x), 490);
	assert_true(x.prompt_partial);
	assert_int_equal(x.n_tools, 1);
	exchange_free(e);
}

/* more than LLM_BODY_MAX: kept up to it, the rest counted; no answer: none */
static void test_bound(void **state)
{
	struct exchange *e = exchange_new(LLM_ANTHROPIC, "/v1/messages", 12, -1, &held);
	static uint8_t big[256 << 10];

	memset(big, 'a', sizeof(big));
	exchange_send(e, big, 0, 100); /* a count-only record first */
	for (int i = 0; i < 5; i++)
		exchange_send(e, big, sizeof(big), sizeof(big));
	assert_false(exchange_answered(e));
	assert_false(exchange_done(e));
	assert_int_equal(exchange_decode(e, &x), 100 + 5 * sizeof(big) - LLM_BODY_MAX);
	assert_true(x.prompt_partial);
	assert_int_equal(x.n_tools, 0);
	assert_true(held >= LLM_BODY_MAX);
	exchange_free(e);
	exchange_free(NULL);
	assert_int_equal(held, 0);
}

/* many exchanges at once hold at most EXCHANGE_BUDGET; the rest is missed */
static void test_budget(void **state)
{
	enum { N = EXCHANGE_BUDGET / LLM_BODY_MAX + 4 };
	static uint8_t big[LLM_BODY_MAX];
	struct exchange *e[N];
	uint64_t missed = 0;

	for (int i = 0; i < N; i++) {
		e[i] = exchange_new(LLM_ANTHROPIC, "/v1/messages", 12, -1, &held);
		exchange_send(e[i], big, sizeof(big), sizeof(big));
	}
	assert_true(held <= EXCHANGE_BUDGET);
	for (int i = 0; i < N; i++) {
		missed += exchange_decode(e[i], &x);
		exchange_free(e[i]);
	}
	assert_true(missed >= 4ull * LLM_BODY_MAX);
	assert_int_equal(held, 0);
}

/* an HTTP/2 stream's bodies: no head, never done by itself (the stream's
 * end says); what it holds is counted */
static void test_h2(void **state)
{
	struct exchange *e = exchange_new_h2(LLM_OPENAI_CHAT, "/v1/chat/completions", 20, &held);
	size_t mem = exchange_mem(e);

	send_str(e, REQ);
	recv_str(e, "HTTP/1.1 200 OK\r\n\r\n"); /* no head in DATA: body bytes */
	recv_str(e, SSE);
	assert_true(exchange_answered(e));
	assert_false(exchange_done(e));
	assert_true(exchange_mem(e) > mem);
	assert_int_equal(exchange_decode(e, &x), 0);
	assert_string_equal(x.prompt, "do it");
	assert_int_equal(x.n_tools, 1);      /* the garbage line aside */
	assert_int_equal(x.bad_json, 0);
	exchange_free(e);
	assert_int_equal(exchange_mem(NULL), 0);
}

/* n bytes of in compressed with windowBits wbits (16 + 15: gzip, 15: zlib,
 * -15: raw deflate) into out (cap bytes); the size */
static size_t zip(const void *in, size_t n, int wbits, uint8_t *out, size_t cap)
{
	z_stream z = { .next_in = (Bytef *)in, .avail_in = (uInt)n,
		       .next_out = out, .avail_out = (uInt)cap };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* an HTTP/1 answer with head "HTTP/1.1 200 OK\r\n<hdrs>\r\n" and body b (n bytes),
 * chunked in two chunks; decoded into x */
static struct exchange *answer_h1(const char *hdrs, const uint8_t *b, size_t n)
{
	struct exchange *e = exchange_new(LLM_OPENAI_CHAT, "/v1/chat/completions", 20,
					  (int64_t)strlen(REQ), &held);
	char head[256], line[32];

	send_str(e, REQ);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s\r\n", hdrs);
	recv_str(e, head);
	snprintf(line, sizeof(line), "%zx\r\n", n / 2);
	recv_str(e, line);
	exchange_recv(e, b, n / 2, n / 2);
	snprintf(line, sizeof(line), "\r\n%zx\r\n", n - n / 2);
	recv_str(e, line);
	exchange_recv(e, b + n / 2, n - n / 2, n - n / 2);
	recv_str(e, "\r\n0\r\n\r\n");
	assert_true(exchange_done(e));
	assert_int_equal(exchange_decode(e, &x), 0);
	return e;
}

/* gzip, deflate (zlib's format and raw) answers are decoded before they are read */
static void test_gzip_deflate(void **state)
{
	static const struct { const char *hdr; int wbits; const char *name; } enc[] = {
		{ "Content-Encoding: gzip\r\n", 16 + MAX_WBITS, "gzip" },
		{ "content-encoding:  Deflate \r\n", MAX_WBITS, "deflate" },
		{ "Content-Encoding: deflate\r\n", -MAX_WBITS, "deflate" },
		{ "Content-Encoding: identity\r\n", 0, "" },
	};
	uint8_t z[1024];

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		size_t n = enc[i].wbits ? zip(SSE, strlen(SSE), enc[i].wbits, z, sizeof(z)) :
			   strlen(SSE);
		struct exchange *e = answer_h1(enc[i].hdr, enc[i].wbits ? z : (const uint8_t *)SSE, n);

		assert_string_equal(x.encoding, enc[i].name);
		assert_false(x.encoding_unread);
		assert_false(x.inflate_cut);
		assert_int_equal(x.n_tools, 1);
		assert_string_equal(x.tools[0].name, "sh");
		assert_string_equal(x.prompt, "do it");
		exchange_free(e);
	}
	assert_int_equal(held, 0);
}

/* brotli, zstd and garbage said to be gzip: not read, and said so */
static void test_undecodable(void **state)
{
	static const char *const hdrs[] = { "Content-Encoding: br\r\n",
					    "Content-Encoding: zstd\r\n",
					    "Content-Encoding: gzip\r\n" };

	for (size_t i = 0; i < 3; i++) {
		struct exchange *e = answer_h1(hdrs[i], (const uint8_t *)"\x8b\x01garbage!", 10);

		assert_true(x.encoding_unread);
		assert_int_equal(x.n_tools, 0);
		assert_string_equal(x.prompt, "do it"); /* the request is read all the same */
		exchange_free(e);
	}
	assert_string_equal(x.encoding, "gzip");
}

/* a bomb (64 MiB of zeros in ~64 KiB of gzip): decoded up to LLM_BODY_MAX, cut, counted */
static void test_bomb(void **state)
{
	static uint8_t zeros[1 << 20], z[128 << 10];
	z_stream s = { .next_out = z, .avail_out = sizeof(z) };
	struct exchange *e = exchange_new_h2(LLM_OPENAI_CHAT, "/v1/chat/completions", 20, &held);

	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	for (int i = 0; i < 64; i++) {
		s.next_in = zeros;
		s.avail_in = sizeof(zeros);
		assert_int_equal(deflate(&s, i == 63 ? Z_FINISH : Z_NO_FLUSH), i == 63 ? Z_STREAM_END : Z_OK);
	}
	deflateEnd(&s);
	send_str(e, REQ);
	exchange_recv(e, z, sizeof(z) - s.avail_out, sizeof(z) - s.avail_out); /* h2: sniffed */
	assert_int_equal(exchange_decode(e, &x), 0);
	assert_string_equal(x.encoding, "gzip");
	assert_true(x.inflate_cut);
	assert_false(x.encoding_unread);
	assert_int_equal(x.n_tools, 0);
	exchange_free(e);
}

/* an HTTP/2 answer (no head kept): gzip known by its magic, zstd too (not read) */
static void test_h2_sniffed(void **state)
{
	uint8_t z[1024];
	size_t n = zip(SSE, strlen(SSE), 16 + MAX_WBITS, z, sizeof(z));
	struct exchange *e = exchange_new_h2(LLM_OPENAI_CHAT, "/v1/chat/completions", 20, &held);

	send_str(e, REQ);
	exchange_recv(e, z, 5, 5);
	exchange_recv(e, z + 5, n - 5, n - 5);
	assert_int_equal(exchange_decode(e, &x), 0);
	assert_string_equal(x.encoding, "gzip");
	assert_int_equal(x.n_tools, 1);
	exchange_free(e);
	e = exchange_new_h2(LLM_OPENAI_CHAT, "/v1/chat/completions", 20, &held);
	exchange_recv(e, (const uint8_t *)"\x28\xb5\x2f\xfd\0\0", 6, 6);
	exchange_decode(e, &x);
	assert_string_equal(x.encoding, "zstd");
	assert_true(x.encoding_unread);
	exchange_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sized),
		cmocka_unit_test(test_chunked_and_gap),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_h2),
		cmocka_unit_test(test_gzip_deflate),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_h2_sniffed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
