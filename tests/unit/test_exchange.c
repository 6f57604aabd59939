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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sized),
		cmocka_unit_test(test_chunked_and_gap),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_h2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
