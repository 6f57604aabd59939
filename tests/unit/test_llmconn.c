// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_llmconn.c - model API exchanges per connection: HTTP/2 streams built
 * by nghttp2 sessions (a client's requests, a server's SSE answers in small
 * DATA frames, streams interleaved) fed through the protocol stage as TLS
 * plaintext in pieces, cut by the capture, evicted; and the list itself.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "inspect.h"
#include "llm.h"
#include "llmconn.h"
#include "names.h"

#define MAX_LLM 8
#define WIRE    (64u << 10)

static const char ANT_REQ[] =
	"{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"post it\"}]}";
static const char ANT_SSE[] =
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\"}}\n\n"
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
	"\"content_block\":{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{}}}\n\n"
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"command\\\": \\\"curl -X POST\"}}\n\n"
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	"{\"type\":\"input_json_delta\",\"partial_json\":\" http://x.test\\\"}\"}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
static const char OAI_REQ[] = "{\"model\":\"gpt-5\",\"input\":\"fix it\"}";
static const char OAI_SSE[] =
	"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"gpt-5\"}}\n\n"
	"data: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":"
	"\"function_call\",\"name\":\"shell\",\"arguments\":\"\"}}\n\n"
	"data: {\"type\":\"response.function_call_arguments.done\",\"output_index\":0,"
	"\"arguments\":\"{\\\"cmd\\\":[\\\"ls\\\"]}\"}\n\n";

struct got {
	char host[64], model[64], prompt[64], tool[64], input[128];
	size_t n_tools;
	uint64_t missed;
	bool evicted;
};

struct fixture {
	struct names *names;
	struct inspect *in;
	struct got llm[MAX_LLM];
	int n;
	uint8_t cli[WIRE], srv[WIRE];
	size_t n_cli, n_srv;
};

static void on_llm(void *arg, struct event *ev)
{
	struct fixture *f = arg;
	struct got *g = &f->llm[f->n++];
	const struct llm *x = ev->llm.x;

	assert_true(f->n <= MAX_LLM);
	assert_int_equal(ev->type, AM_EV_LLM);
	snprintf(g->host, sizeof(g->host), "%s", ev->llm.host);
	snprintf(g->model, sizeof(g->model), "%.63s", x->model);
	snprintf(g->prompt, sizeof(g->prompt), "%.63s", x->prompt);
	g->n_tools = x->n_tools;
	if (x->n_tools) {
		snprintf(g->tool, sizeof(g->tool), "%.63s", x->tools[0].name);
		snprintf(g->input, sizeof(g->input), "%.127s", x->tools[0].input);
	}
	g->missed = ev->llm.missed;
	g->evicted = ev->llm.evicted;
}

static void ignore(void *arg, struct event *ev)
{
}

static bool is_llm(void *arg, const char *host)
{
	return !strcmp(host, "api.anthropic.com") || !strcmp(host, "api.openai.com");
}

/* a fresh stage reading model exchanges, nothing seen yet */
static void stage_new(struct fixture *f)
{
	inspect_free(f->in);
	f->in = inspect_new(f->names, ignore, ignore, f);
	assert_non_null(f->in);
	inspect_on_llm(f->in, is_llm, on_llm);
	f->n = 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->names = names_new(64);
	stage_new(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct names *names = f->names;

	inspect_free(f->in); /* what is still read is shown (to f) */
	free(f);
	names_free(names);
	return 0;
}

/* ---- the two sides, from nghttp2 sessions ---- */

struct body {
	const char *s;
	size_t len, off, chunk;  /* chunk: the most one DATA frame carries */
};

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
			 uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct body *b = src->ptr;
	size_t n = b->len - b->off;

	if (n > b->chunk)
		n = b->chunk;
	if (n > len)
		n = len;
	memcpy(buf, b->s + b->off, n);
	b->off += n;
	if (b->off == b->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* the answers of the server: stream 1 and stream 3 */
static struct body answers[2];

static int on_frame(nghttp2_session *s, const nghttp2_frame *fr, void *ud)
{
	nghttp2_nv nv[] = { { (uint8_t *)":status", (uint8_t *)"200", 7, 3, 0 },
			    { (uint8_t *)"content-type", (uint8_t *)"text/event-stream", 12, 17, 0 } };
	int32_t id = fr->hd.stream_id;
	nghttp2_data_provider prd = { .source.ptr = &answers[id == 3], .read_callback = read_body };

	if (id && fr->hd.flags & NGHTTP2_FLAG_END_STREAM)
		assert_int_equal(nghttp2_submit_response(s, id, nv, 2, &prd), 0);
	return 0;
}

static size_t drain(nghttp2_session *s, uint8_t *out)
{
	const uint8_t *p;
	ssize_t k;
	size_t n = 0;

	while ((k = nghttp2_session_mem_send(s, &p)) > 0) {
		assert_true(n + (size_t)k <= WIRE);
		memcpy(out + n, p, (size_t)k);
		n += (size_t)k;
	}
	return n;
}

static void request(nghttp2_session *c, const char *host, const char *path, struct body *b)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0 },
		{ (uint8_t *)":authority", (uint8_t *)host, 10, strlen(host), 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
	};
	nghttp2_data_provider prd = { .source.ptr = b, .read_callback = read_body };

	assert_true(nghttp2_submit_request(c, NULL, nv, 4, &prd, NULL) > 0);
}

/* a client's two requests (n of them) on one connection, and the server's
 * answers in DATA frames of chunk bytes: into f->cli and f->srv */
static void converse(struct fixture *f, const char *host, int n, size_t chunk)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *c, *s;
	struct body reqs[2] = { { ANT_REQ, sizeof(ANT_REQ) - 1, 0, 16384 },
				{ OAI_REQ, sizeof(OAI_REQ) - 1, 0, 16384 } };

	answers[0] = (struct body){ ANT_SSE, sizeof(ANT_SSE) - 1, 0, chunk };
	answers[1] = (struct body){ OAI_SSE, sizeof(OAI_SSE) - 1, 0, chunk };
	assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
	assert_int_equal(nghttp2_session_client_new(&c, cb, NULL), 0);
	assert_int_equal(nghttp2_session_server_new(&s, cb, NULL), 0);
	nghttp2_submit_settings(c, NGHTTP2_FLAG_NONE, NULL, 0);
	nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
	request(c, host, "/v1/messages", &reqs[0]);
	if (n > 1)
		request(c, "api.openai.com", "/v1/responses", &reqs[1]);
	f->n_cli = drain(c, f->cli);
	assert_int_equal(nghttp2_session_mem_recv(s, f->cli, f->n_cli), (ssize_t)f->n_cli);
	f->n_srv = drain(s, f->srv);
	nghttp2_session_del(c);
	nghttp2_session_del(s);
	nghttp2_session_callbacks_del(cb);
}

static bool socketless; /* reads come with no socket (node's memory BIO) */

/* bytes of one side into the stage in pieces of piece bytes; of each, only
 * the first cap bytes captured */
static void feed(struct fixture *f, uint8_t source, const uint8_t *b, size_t n, size_t piece,
		 size_t cap)
{
	for (size_t at = 0; at < n; at += piece) {
		size_t k = n - at < piece ? n - at : piece;
		struct event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = AM_EV_DATA;
		ev.pid = ev.tid = 100;
		ev.agent = "claude";
		ev.data.buf = b + at;
		ev.data.cap_len = k < cap ? k : cap;
		ev.data.ret = (int64_t)k;
		ev.data.source = source;
		ev.data.family = AF_INET;
		ev.data.proto = 6;
		ev.data.dport = 443;
		ev.data.sport = 40000;
		inet_pton(AF_INET, "10.1.2.3", ev.data.daddr);
		inet_pton(AF_INET, "10.0.0.9", ev.data.saddr);
		if (socketless && source == AM_DATA_TLS_RECV) {
			memset(&ev.data.daddr, 0, sizeof(ev.data.daddr));
			ev.data.family = ev.data.proto = 0;
			ev.data.dport = ev.data.sport = 0;
		}
		inspect_data(f->in, &ev);
	}
}

static const struct got *by_host(const struct fixture *f, const char *host)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->llm[i].host, host))
			return &f->llm[i];
	fail_msg("no llm event for %s", host);
	return NULL;
}

/* two streams at once, answers interleaved in 40-byte DATA frames, read in
 * pieces of every size: one llm event each, when its stream ended */
static void test_h2_two_streams(void **state)
{
	struct fixture *f = *state;
	static const size_t pieces[] = { 1, 7, 100, 1024, WIRE };

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		const struct got *a, *o;

		stage_new(f);
		converse(f, "api.anthropic.com", 2, 40);
		feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, pieces[i], WIRE);
		assert_int_equal(f->n, 0);
		feed(f, AM_DATA_TLS_RECV, f->srv, f->n_srv, pieces[i], WIRE);
		assert_int_equal(f->n, 2);
		a = by_host(f, "api.anthropic.com");
		assert_string_equal(a->model, "claude-x");
		assert_string_equal(a->prompt, "post it");
		assert_int_equal(a->n_tools, 1);
		assert_string_equal(a->tool, "Bash");
		assert_string_equal(a->input, "{\"command\": \"curl -X POST http://x.test\"}");
		assert_int_equal(a->missed, 0);
		o = by_host(f, "api.openai.com");
		assert_string_equal(o->model, "gpt-5");
		assert_string_equal(o->prompt, "fix it");
		assert_string_equal(o->tool, "shell");
		assert_string_equal(o->input, "{\"cmd\":[\"ls\"]}");
		assert_false(o->evicted);
	}
}

/* the answer's reads captured only in part (frame headers among what was
 * not: the framing is lost, found again, the end perhaps missed): the
 * exchange ends when idle, the bytes missed counted, what was read decoded;
 * a host not listed: no exchange */
static void test_h2_cut_and_unlisted(void **state)
{
	struct fixture *f = *state;

	converse(f, "api.anthropic.com", 1, 64);
	feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, WIRE, WIRE);
	feed(f, AM_DATA_TLS_RECV, f->srv, f->n_srv, 200, 150);
	inspect_tick(f->in, UINT64_MAX);
	assert_int_equal(f->n, 1);
	assert_true(f->llm[0].missed > 0);
	assert_string_equal(f->llm[0].prompt, "post it");
	stage_new(f);
	converse(f, "forum.example", 1, 64);
	feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, WIRE, WIRE);
	feed(f, AM_DATA_TLS_RECV, f->srv, f->n_srv, WIRE, WIRE);
	inspect_tick(f->in, UINT64_MAX);
	assert_int_equal(f->n, 0);
}

/* a control frame (type, stream, payload of n bytes) of one side */
static void frame(struct fixture *f, uint8_t source, uint8_t type, uint32_t stream,
		  const uint8_t *pl, size_t n)
{
	uint8_t b[32] = { 0, 0, (uint8_t)n, type, 0, (uint8_t)(stream >> 24), (uint8_t)(stream >> 16),
			  (uint8_t)(stream >> 8), (uint8_t)stream };

	memcpy(b + 9, pl, n);
	feed(f, source, b, 9 + n, WIRE, WIRE);
}

/* the two requests sent, the answers' whole frames in their first 300 bytes
 * read: nothing ended */
static void half_answered(struct fixture *f)
{
	size_t at = 0;

	stage_new(f);
	converse(f, "api.anthropic.com", 2, 40);
	feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, WIRE, WIRE);
	while (at + 9 + (f->srv[at] << 16 | f->srv[at + 1] << 8 | f->srv[at + 2]) <= 300)
		at += 9 + (f->srv[at] << 16 | f->srv[at + 1] << 8 | f->srv[at + 2]);
	feed(f, AM_DATA_TLS_RECV, f->srv, at, WIRE, WIRE);
	assert_int_equal(f->n, 0);
}

/* the client cancels stream 3 (RST_STREAM): its exchange ends at once, not
 * when idle; stream 1 goes on to its end */
static void test_h2_client_reset(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cancel[4] = { 0, 0, 0, 8 };

	half_answered(f);
	frame(f, AM_DATA_TLS_SEND, 3, 3, cancel, 4);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->llm[0].host, "api.openai.com");
	assert_string_equal(f->llm[0].prompt, "fix it");
	frame(f, AM_DATA_TLS_SEND, 3, 5, cancel, 4); /* a stream never read: nothing */
	assert_int_equal(f->n, 1);
}

/* GOAWAY: the client's graceful one leaves the answers in flight; its
 * error one ends them all at once; the server's ends those above its last */
static void test_h2_goaway(void **state)
{
	struct fixture *f = *state;
	static const uint8_t graceful[8] = { 0, 0, 0, 0, 0, 0, 0, 0 },
			     err[8] = { 0, 0, 0, 0, 0, 0, 0, 2 },
			     last1[8] = { 0, 0, 0, 1, 0, 0, 0, 0 },
			     cut[17] = { 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };

	half_answered(f);
	frame(f, AM_DATA_TLS_SEND, 7, 0, graceful, 8);
	assert_int_equal(f->n, 0);
	frame(f, AM_DATA_TLS_SEND, 7, 0, err, 8);
	assert_int_equal(f->n, 2);
	half_answered(f);
	frame(f, AM_DATA_TLS_RECV, 7, 0, last1, 8);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->llm[0].host, "api.openai.com"); /* stream 3 */
	half_answered(f);
	feed(f, AM_DATA_TLS_RECV, cut, sizeof(cut), WIRE, 12); /* its ids not captured: nothing */
	assert_int_equal(f->n, 0);
}

/* node reads TLS with no socket known: the frames go to the one HTTP/2
 * connection of the process with exchanges being read */
static void test_h2_socketless(void **state)
{
	struct fixture *f = *state;

	converse(f, "api.anthropic.com", 2, 100);
	socketless = true;
	feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, 1024, WIRE);
	feed(f, AM_DATA_TLS_RECV, f->srv, f->n_srv, 1024, WIRE);
	socketless = false;
	assert_int_equal(f->n, 2);
	assert_string_equal(by_host(f, "api.anthropic.com")->tool, "Bash");
	assert_string_equal(by_host(f, "api.openai.com")->tool, "shell");
}

/* a connection evicted for the memory budget while its answer is read: its
 * exchange is shown, marked evicted, and counted in the budget before */
static void test_h2_evicted(void **state)
{
	struct fixture *f = *state;
	struct inspect_mem m0, m1;

	converse(f, "api.anthropic.com", 1, 64);
	inspect_mem(f->in, &m0);
	feed(f, AM_DATA_TLS_SEND, f->cli, f->n_cli, WIRE, WIRE);
	feed(f, AM_DATA_TLS_RECV, f->srv, 200, WIRE, WIRE);
	inspect_mem(f->in, &m1);
	assert_true(m1.bytes >= m0.bytes + sizeof(ANT_REQ));  /* the body kept is counted */
	inspect_set_mem_budget(f->in, 1);
	feed(f, AM_DATA_TLS_RECV, f->srv + 200, 100, WIRE, WIRE);
	assert_int_equal(f->n, 1);
	assert_true(f->llm[0].evicted);
	assert_string_equal(f->llm[0].prompt, "post it");
	inspect_mem(f->in, &m1);
	assert_true(m1.evicted >= 1);
	assert_int_equal(m1.llm_evicted, 1);
}

/* the list: more streams than LLMCONN_STREAMS end the oldest; idle ones end */
static void emit_count(void *arg, struct event *ev)
{
	(*(int *)arg)++;
}

static uint32_t watch_pid;
static uint64_t watch_bytes;
static int watch_calls;

static void watch(void *arg, uint32_t pid, uint64_t bytes)
{
	watch_pid = pid;
	watch_bytes = bytes;
	watch_calls++;
}

/* exchanges over TLS watch their process: the budget grows with each one
 * open and goes when the last ended; cleartext ones do not */
static void test_watch(void **state)
{
	struct llmconn L = { .watch = watch };
	struct llmconn_pend *a = NULL, *b = NULL;
	struct event ev = { .agent = "a", .pid = 9 };
	struct llmconn_req r = { .ev = &ev, .host = "h", .api = LLM_ANTHROPIC, .path = "/v1/messages",
				 .path_len = 12, .content_length = -1, .tls = true };
	int emitted = 0;

	assert_int_equal(llmconn_init(&L, emit_count, &emitted), 0);
	assert_true(llmconn_start(&L, &a, &r));
	assert_int_equal(watch_pid, 9);
	assert_int_equal(watch_bytes, LLMCONN_WATCH_BYTES);
	assert_true(llmconn_start(&L, &b, &r));
	assert_int_equal(watch_bytes, 2 * LLMCONN_WATCH_BYTES);
	r.tls = false;
	r.stream = 3;
	assert_true(llmconn_start(&L, &b, &r));
	assert_int_equal(watch_calls, 2);
	llmconn_end_all(&L, &a, false);
	assert_int_equal(watch_bytes, LLMCONN_WATCH_BYTES);
	llmconn_end_all(&L, &b, false);
	assert_int_equal(watch_bytes, 0);
	assert_int_equal(watch_calls, 4);
	assert_int_equal(emitted, 3);
	llmconn_fini(&L);
}

static void test_list(void **state)
{
	struct llmconn L = { 0 };
	struct llmconn_pend *list = NULL;
	struct event ev = { .agent = "a", .pid = 7 };
	struct llmconn_req r = { .ev = &ev, .host = "h", .api = LLM_ANTHROPIC, .path = "/v1/messages",
				 .path_len = 12, .content_length = -1 };
	int emitted = 0;

	assert_int_equal(llmconn_init(&L, emit_count, &emitted), 0);
	for (uint32_t s = 1; s <= 2 * LLMCONN_STREAMS + 1; s += 2) {
		r.stream = s;
		r.now_ns = s;
		assert_true(llmconn_start(&L, &list, &r));
	}
	assert_int_equal(emitted, 1);
	assert_false(llmconn_has(list, 1));
	assert_true(llmconn_has(list, 3));
	assert_true(llmconn_has_pid(list, 7));
	assert_false(llmconn_has_pid(list, 8));
	assert_int_equal(L.open, LLMCONN_STREAMS);
	assert_true(llmconn_mem(list) > 0);
	llmconn_bytes(&L, &list, 17, false, (const uint8_t *)"x", 1, 1, 100, 1);
	llmconn_idle(&L, &list, 50);              /* all but stream 17 */
	assert_int_equal(emitted, LLMCONN_STREAMS);
	assert_true(llmconn_has(list, 17));
	llmconn_end_all(&L, &list, true);
	assert_null(list);
	assert_int_equal(L.open, 0);
	assert_int_equal(L.evicted, 1);
	assert_int_equal(L.held, 0);
	llmconn_fini(&L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_h2_two_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_cut_and_unlisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_socketless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_client_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_goaway, setup, teardown),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
