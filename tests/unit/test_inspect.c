// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_inspect.c - captured bytes to http/dns events, names and tallies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nghttp2/nghttp2.h>

#include "common.h"
#include "http2.h"
#include "inspect.h"
#include "llm.h"
#include "status.h"

#define MAX_OUT 8

struct seen {
	uint32_t type;
	char method[16], host[128], path[256], query[128], req_host[128], incomplete[16];
	bool opaque;
	uint64_t bytes;
	uint16_t version;
	bool tls;
	int status;
	int64_t ret;
	size_t n_answers;
	char model[64], prompt[128], tool[64], input[256];
	size_t n_tools;
	uint64_t missed;
};

/* what the stage printed (out) and what it handed to the policy (judged) */
struct fixture {
	struct names *names;
	struct inspect *in;
	struct seen out[MAX_OUT], judged[MAX_OUT];
	int n, nj;
};

static void record(struct seen *s, const struct event *ev)
{
	memset(s, 0, sizeof(*s));
	s->type = ev->type;
	if (ev->type == AM_EV_HTTP) {
		snprintf(s->method, sizeof(s->method), "%s", ev->http.method ? ev->http.method : "?");
		snprintf(s->req_host, sizeof(s->req_host), "%s",
			 ev->http.req_host ? ev->http.req_host : "");
		snprintf(s->incomplete, sizeof(s->incomplete), "%s",
			 ev->http.incomplete ? ev->http.incomplete : "");
		snprintf(s->host, sizeof(s->host), "%s", ev->http.host ? ev->http.host : "");
		snprintf(s->path, sizeof(s->path), "%s", ev->http.path);
		s->bytes = ev->http.bytes;
		s->version = ev->http.version;
		s->tls = ev->http.tls;
		s->status = ev->http.status;
	} else if (ev->type == AM_EV_SEND) {
		snprintf(s->host, sizeof(s->host), "%s", ev->net.host ? ev->net.host : "");
		s->ret = ev->net.ret;
		s->opaque = ev->net.opaque;
	} else if (ev->type == AM_EV_DNS) {
		snprintf(s->query, sizeof(s->query), "%s", ev->dns.query);
		s->n_answers = ev->dns.n_answers;
	} else if (ev->type == AM_EV_LLM) {
		snprintf(s->host, sizeof(s->host), "%s", ev->llm.host);
		snprintf(s->model, sizeof(s->model), "%.63s", ev->llm.x->model);
		snprintf(s->prompt, sizeof(s->prompt), "%.127s", ev->llm.x->prompt);
		s->n_tools = ev->llm.x->n_tools;
		if (s->n_tools) {
			snprintf(s->tool, sizeof(s->tool), "%.63s", ev->llm.x->tools[0].name);
			snprintf(s->input, sizeof(s->input), "%.255s", ev->llm.x->tools[0].input);
		}
		s->missed = ev->llm.missed;
	}
}

static void print(void *arg, struct event *ev)
{
	struct fixture *f = arg;

	assert_true(f->n < MAX_OUT);
	record(&f->out[f->n++], ev);
}

static void judge(void *arg, struct event *ev)
{
	struct fixture *f = arg;

	assert_true(f->nj < MAX_OUT);
	record(&f->judged[f->nj++], ev);
}

/* one data event in, and every request held printed */
static void feed(struct fixture *f, const struct event *ev)
{
	inspect_data(f->in, ev);
	inspect_tick(f->in, UINT64_MAX);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->names = names_new(64);
	f->in = inspect_new(f->names, print, judge, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	inspect_free(f->in);
	names_free(f->names);
	free(f);
	return 0;
}

static struct event data_event(uint8_t source, const void *buf, size_t len, int64_t ret,
			       uint16_t dport)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_DATA;
	ev.pid = ev.tid = 100;
	ev.agent = "claude";
	ev.data.buf = buf;
	ev.data.cap_len = len;
	ev.data.ret = ret;
	ev.data.source = source;
	ev.data.family = AF_INET;
	ev.data.proto = 6;
	ev.data.dport = dport;
	ev.data.sport = 40000;
	inet_pton(AF_INET, "10.1.2.3", ev.data.daddr);
	inet_pton(AF_INET, "10.0.0.9", ev.data.saddr);
	return ev;
}

static void test_cleartext_post(void **state)
{
	struct fixture *f = *state;
	static const char req[] = "POST /api/posts?token=abc123&x=1 HTTP/1.1\r\nHost: forum.corp.example:8080\r\n"
				  "Authorization: Bearer sk-secret\r\nContent-Length: 11\r\n\r\nhello world";
	struct event ev = data_event(AM_DATA_SOCK_SEND, req, sizeof(req) - 1, sizeof(req) - 1, 8080);

	inspect_data(f->in, &ev);
	assert_int_equal(f->nj, 1); /* judged at once */
	assert_int_equal(f->judged[0].type, AM_EV_HTTP);
	assert_int_equal(f->n, 0);  /* printed when its response came, or later */
	inspect_tick(f->in, UINT64_MAX);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->out[0].type, AM_EV_HTTP);
	assert_int_equal(f->out[0].status, 0);
	assert_string_equal(f->out[0].method, "POST");
	assert_string_equal(f->out[0].host, "forum.corp.example");
	assert_null(strstr(f->out[0].path, "abc123")); /* query secrets redacted */
	assert_non_null(strstr(f->out[0].path, "/api/posts?token="));
	assert_int_equal(f->out[0].bytes, 11);
	assert_int_equal(f->out[0].version, 11);
	assert_false(f->out[0].tls);
}

/* a minimal TLS 1.2 ClientHello carrying only an SNI extension */
static size_t client_hello(uint8_t *b, const char *host)
{
	size_t hl = strlen(host), ext = 9 + hl, body = 2 + 32 + 1 + 4 + 2 + 2 + ext, n = 0;

	b[n++] = 0x16; b[n++] = 3; b[n++] = 1;
	b[n++] = (uint8_t)((body + 4) >> 8); b[n++] = (uint8_t)(body + 4);
	b[n++] = 1; b[n++] = 0; b[n++] = (uint8_t)(body >> 8); b[n++] = (uint8_t)body;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 7, 32); n += 32;
	b[n++] = 0;                               /* session id */
	b[n++] = 0; b[n++] = 2; b[n++] = 0x13; b[n++] = 0x01; /* one cipher suite */
	b[n++] = 1; b[n++] = 0;                   /* compression: null */
	b[n++] = (uint8_t)(ext >> 8); b[n++] = (uint8_t)ext;
	b[n++] = 0; b[n++] = 0;                   /* server_name */
	b[n++] = (uint8_t)((hl + 5) >> 8); b[n++] = (uint8_t)(hl + 5);
	b[n++] = (uint8_t)((hl + 3) >> 8); b[n++] = (uint8_t)(hl + 3);
	b[n++] = 0; b[n++] = (uint8_t)(hl >> 8); b[n++] = (uint8_t)hl;
	memcpy(b + n, host, hl);
	return n + hl;
}

static void test_sni_names_an_opaque_connection(void **state)
{
	struct fixture *f = *state;
	uint8_t hello[256], blob[64] = { 0x17, 3, 3 };
	size_t n = client_hello(hello, "paste.example.net");
	struct event ev = data_event(AM_DATA_SOCK_SEND, hello, n, (int64_t)n, 443);
	struct event more = data_event(AM_DATA_SOCK_SEND, blob, sizeof(blob), 100000, 443);

	feed(f, &ev);
	assert_int_equal(f->n + f->nj, 0); /* a hello is not a request */
	assert_string_equal(names_lookup(f->names, AF_INET, ev.data.daddr,
					 am_now_ns(CLOCK_BOOTTIME) / 1000000000ull),
			    "paste.example.net");
	feed(f, &more);
	assert_int_equal(f->n, 0);
	assert_int_equal(f->nj, 1);
	assert_int_equal(f->judged[0].type, AM_EV_SEND);
	assert_string_equal(f->judged[0].host, "paste.example.net");
	assert_int_equal(f->judged[0].ret, 100000);
}

static void test_tls_plaintext_http1(void **state)
{
	struct fixture *f = *state;
	static const char req[] = "PUT /v1/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
	static const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	struct event ev = data_event(AM_DATA_TLS_SEND, req, sizeof(req) - 1, sizeof(req) - 1, 443);
	struct event back = data_event(AM_DATA_TLS_RECV, resp, sizeof(resp) - 1, sizeof(resp) - 1, 443);

	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 0);
	inspect_data(f->in, &back); /* the response shows the request, with its status */
	assert_int_equal(f->n, 1);
	assert_int_equal(f->out[0].status, 201);
	assert_string_equal(f->out[0].method, "PUT");
	assert_string_equal(f->out[0].host, "api.example.com");
	assert_true(f->out[0].tls);
}

/* a client preface, SETTINGS and one HEADERS frame, HPACK by nghttp2 */
static size_t h2_request(uint8_t *b, size_t cap, const char *method, const char *auth,
			 const char *path)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0 },
		{ (uint8_t *)":authority", (uint8_t *)auth, 10, strlen(auth), 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
	};
	nghttp2_hd_deflater *def;
	size_t n = sizeof(preface) - 1;
	ssize_t hl;

	memcpy(b, preface, n);
	memcpy(b + n, "\0\0\0\x04\0\0\0\0\0", 9); /* empty SETTINGS */
	n += 9;
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	hl = nghttp2_hd_deflate_hd(def, b + n + 9, cap - n - 9, nv, 4);
	assert_true(hl > 0);
	nghttp2_hd_deflate_del(def);
	b[n] = 0; b[n + 1] = (uint8_t)(hl >> 8); b[n + 2] = (uint8_t)hl;
	b[n + 3] = 1;             /* HEADERS */
	b[n + 4] = 0x4 | 0x1;     /* END_HEADERS | END_STREAM */
	memcpy(b + n + 5, "\0\0\0\x01", 4);
	return n + 9 + (size_t)hl;
}

static void test_tls_plaintext_http2(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t n = h2_request(buf, sizeof(buf), "DELETE", "forum.corp.example:443", "/api/posts/7");
	struct event ev = data_event(AM_DATA_TLS_SEND, buf, n, (int64_t)n, 443);

	feed(f, &ev);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->out[0].type, AM_EV_HTTP);
	assert_string_equal(f->out[0].method, "DELETE");
	assert_string_equal(f->out[0].host, "forum.corp.example");
	assert_string_equal(f->out[0].path, "/api/posts/7");
	assert_int_equal(f->out[0].version, 20);
}

static void count_only(void *arg, struct event *ev)
{
	(*(int *)arg)++;
}

/*
 * thousands of connections each holding a partial HTTP/2 header block: the
 * per-connection state stays within the memory budget, the least recently
 * used connections evicted and counted
 */
static void test_memory_budget(void **state)
{
	struct names *names = names_new(64);
	int shown = 0;
	struct inspect *in = inspect_new(names, count_only, count_only, &shown);
	struct inspect_mem m;
	uint8_t buf[1024];
	size_t n;

	assert_non_null(in);
	inspect_set_mem_budget(in, 256 << 10);
	memcpy(buf, HTTP2_PREFACE "\0\0\0\x04\0\0\0\0\0", 33);
	/* HEADERS of 16000 bytes, stream 1, no END_HEADERS: 900 of them sent */
	memcpy(buf + 33, "\0\x3e\x80\x01\0\0\0\0\x01", 9);
	memset(buf + 42, 0x40, 900);
	n = 42 + 900;
	for (int i = 0; i < 2000; i++) {
		struct event ev = data_event(AM_DATA_SOCK_SEND, buf, n, (int64_t)n, 80);

		ev.data.sport = (uint16_t)(20000 + i);
		inspect_data(in, &ev);
		inspect_mem(in, &m);
		assert_true(m.bytes <= m.budget);
	}
	assert_int_equal(m.budget, 256 << 10);
	assert_true(m.bytes > 128 << 10);     /* used, not emptied */
	assert_true(m.evicted > 1000);
	inspect_free(in);
	inspect_mem(NULL, &m);
	assert_int_equal(m.bytes, 0);
	names_free(names);
}

/* an HTTP/2 header block not captured (a gap over it): a request, method unknown */
static void test_tls_http2_cut_block(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t n = h2_request(buf, sizeof(buf), "POST", "forum.corp.example:443", "/api/posts");
	size_t blk = n - (size_t)(buf[24 + 9 + 1] << 8 | buf[24 + 9 + 2]);
	struct event ev = data_event(AM_DATA_TLS_SEND, buf, blk, (int64_t)n, 443);

	feed(f, &ev);
	assert_int_equal(f->nj, 1);
	assert_int_equal(f->judged[0].type, AM_EV_HTTP);
	assert_string_equal(f->judged[0].method, "?");
	assert_int_equal(f->n, 1);
	assert_string_equal(f->out[0].method, "?");
	assert_int_equal(f->out[0].version, 20);
}

static void test_dns_answer_names_addresses(void **state)
{
	struct fixture *f = *state;
	/* response for forum.corp.example A -> 10.9.8.7, TTL 60 */
	static const uint8_t msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		5, 'f', 'o', 'r', 'u', 'm', 4, 'c', 'o', 'r', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7,
	};
	struct event ev = data_event(AM_DATA_SOCK_RECV, msg, sizeof(msg), sizeof(msg), 53);
	uint8_t a[4] = { 10, 9, 8, 7 };

	ev.data.proto = 17;
	feed(f, &ev);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->nj, 1);
	assert_int_equal(f->out[0].type, AM_EV_DNS);
	assert_string_equal(f->out[0].query, "forum.corp.example");
	assert_int_equal(f->out[0].n_answers, 1);
	assert_string_equal(names_lookup(f->names, AF_INET, a,
					 am_now_ns(CLOCK_BOOTTIME) / 1000000000ull),
			    "forum.corp.example");
}

/* a request still waiting for its response is shown when the stage ends */
static void test_held_shown_at_free(void **state)
{
	struct fixture *f = *state;
	static const char req[] = "POST /x HTTP/1.1\r\nHost: h.example\r\n\r\n";
	struct event ev = data_event(AM_DATA_SOCK_SEND, req, sizeof(req) - 1, sizeof(req) - 1, 80);

	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 0);
	inspect_free(f->in);
	f->in = NULL;
	assert_int_equal(f->n, 1);
	assert_string_equal(f->out[0].method, "POST");
}

static void test_garbage_is_tallied_not_shown(void **state)
{
	struct fixture *f = *state;
	static const uint8_t junk[] = { 0, 1, 2, 3, 0xff, 0xfe, 'x', '\n' };
	struct event ev = data_event(AM_DATA_SOCK_SEND, junk, sizeof(junk), 5000, 9999);

	feed(f, &ev);
	assert_int_equal(f->n, 0);
	assert_int_equal(f->nj, 1);
	assert_int_equal(f->judged[0].ret, 5000);
}

/* bash printf >&3: a head in one TCP segment per line */
static void test_head_in_pieces(void **state)
{
	static const char *const lines[] = {
		"POST /in HTTP/1.1\r\n", "Host: paste.example\r\n", "Content-Length: 5\r\n", "\r\n",
		"hello",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < 5; i++) {
		struct event ev = data_event(AM_DATA_SOCK_SEND, lines[i], strlen(lines[i]),
					     (int64_t)strlen(lines[i]), 80);

		feed(f, &ev);
	}
	assert_int_equal(f->nj, 1);
	assert_string_equal(f->judged[0].method, "POST");
	assert_string_equal(f->judged[0].host, "paste.example");
	assert_string_equal(f->judged[0].path, "/in");
	assert_int_equal(f->judged[0].bytes, 5);
}

/* GET then POST in one write: both judged */
static void test_pipelined(void **state)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: p.example\r\n\r\n"
				  "POST /b HTTP/1.1\r\nHost: p.example\r\nContent-Length: 1\r\n\r\nx";
	struct fixture *f = *state;
	struct event ev = data_event(AM_DATA_SOCK_SEND, req, sizeof(req) - 1, sizeof(req) - 1, 80);

	feed(f, &ev);
	assert_int_equal(f->nj, 2);
	assert_string_equal(f->judged[0].method, "GET");
	assert_string_equal(f->judged[1].method, "POST");
	assert_string_equal(f->judged[1].path, "/b");
	assert_int_equal(f->n, 2);
}

/* TLS to one server name, records "PO" + "ST ..." naming another host */
static void test_tls_front(void **state)
{
	static const char rest[] = "ST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n";
	static const char same[] = "GET / HTTP/1.1\r\nHost: FRONT.forum.example.\r\n\r\n";
	struct fixture *f = *state;
	uint8_t hello[256];
	size_t n = client_hello(hello, "front.forum.example");
	struct event ev = data_event(AM_DATA_SOCK_SEND, hello, n, (int64_t)n, 443);

	feed(f, &ev);
	ev = data_event(AM_DATA_TLS_SEND, "PO", 2, 2, 443);
	feed(f, &ev);
	assert_int_equal(f->nj, 0);
	ev = data_event(AM_DATA_TLS_SEND, rest, sizeof(rest) - 1, sizeof(rest) - 1, 443);
	feed(f, &ev);
	assert_int_equal(f->nj, 1);
	assert_string_equal(f->judged[0].method, "POST");
	assert_string_equal(f->judged[0].host, "front.forum.example");
	assert_string_equal(f->judged[0].req_host, "api.anthropic.com");
	assert_string_equal(f->out[0].req_host, "api.anthropic.com");   /* held and shown */
	/* the same name (case, trailing dot aside) is no mismatch */
	ev = data_event(AM_DATA_TLS_SEND, same, sizeof(same) - 1, sizeof(same) - 1, 443);
	feed(f, &ev);
	assert_int_equal(f->nj, 2);
	assert_string_equal(f->judged[1].req_host, "");
}

static bool is_llm(void *arg, const char *host)
{
	return !strcmp(host, "api.anthropic.com");
}

/*
 * a tagged agent's exchange with a model API over TLS: the body after the
 * head and in the next write, the answer read in two pieces (chunked): one
 * llm event when the last chunk came; the same POST elsewhere makes none
 */
static void test_llm_exchange(void **state)
{
	static const char head[] = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
				   "Content-Length: 73\r\n\r\n{\"model\":\"claude-x\",";
	static const char body[] = "\"messages\":[{\"role\":\"user\",\"content\":\"post it\"}]}";
	static const char sse[] = "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
		"{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{\"command\":\"curl -X POST http://x.test\"}}}\n\n";
	struct fixture *f = *state;
	uint8_t hello[256];
	size_t n = client_hello(hello, "api.anthropic.com");
	struct event ev = data_event(AM_DATA_SOCK_SEND, hello, n, (int64_t)n, 443);
	char resp[512];

	inspect_on_llm(f->in, is_llm, print);
	feed(f, &ev);
	ev = data_event(AM_DATA_TLS_SEND, head, sizeof(head) - 1, sizeof(head) - 1, 443);
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_SEND, body, sizeof(body) - 1, sizeof(body) - 1, 443);
	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 0); /* the http event waits for its status */
	n = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "%zx\r\n%s\r\n0\r\n\r\n", strlen(sse), sse);
	ev = data_event(AM_DATA_TLS_RECV, resp, 100, 100, 443);
	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 1); /* the http event with its status; the answer goes on */
	assert_int_equal(f->out[0].status, 200);
	ev = data_event(AM_DATA_TLS_RECV, resp + 100, n - 100, (int64_t)n - 100, 443);
	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->out[1].type, AM_EV_LLM);
	assert_string_equal(f->out[1].host, "api.anthropic.com");
	assert_string_equal(f->out[1].model, "claude-x");
	assert_string_equal(f->out[1].prompt, "post it");
	assert_int_equal(f->out[1].n_tools, 1);
	assert_string_equal(f->out[1].tool, "Bash");
	assert_string_equal(f->out[1].input, "{\"command\":\"curl -X POST http://x.test\"}");
	assert_int_equal(f->out[1].missed, 0);
	/* an untagged process's call, and a tagged one to another host: none read */
	ev = data_event(AM_DATA_SOCK_SEND, head, sizeof(head) - 1, sizeof(head) - 1, 80);
	ev.data.sport = 40001;
	ev.agent = NULL;
	feed(f, &ev);
	n = (size_t)snprintf(resp, sizeof(resp), "POST /v1/messages HTTP/1.1\r\nHost: x.test\r\n\r\n");
	ev = data_event(AM_DATA_SOCK_SEND, resp, n, (int64_t)n, 80);
	ev.data.sport = 40002;
	feed(f, &ev);
	assert_int_equal(f->n, 4);
	inspect_tick(f->in, UINT64_MAX);
	for (int i = 2; i < f->n; i++)
		assert_int_not_equal(f->out[i].type, AM_EV_LLM);
}

/* node reads TLS through a memory BIO: its answer comes with no socket and
 * goes to the one exchange of that process awaiting bytes */
static void test_llm_socketless_answer(void **state)
{
	static const char head[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.anthropic.com\r\n"
				   "Content-Length: 2\r\n\r\n{}";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 86\r\n\r\n"
		"{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"sh\",\"arguments\":\"{}\"}}]}}]}";
	struct fixture *f = *state;
	uint8_t hello[256];
	size_t n = client_hello(hello, "api.anthropic.com");
	struct event ev = data_event(AM_DATA_SOCK_SEND, hello, n, (int64_t)n, 443);
	struct status_http h = { 0 };

	inspect_on_llm(f->in, is_llm, print);
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_SEND, head, sizeof(head) - 1, sizeof(head) - 1, 443);
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_RECV, resp, sizeof(resp) - 1, sizeof(resp) - 1, 0);
	ev.data.family = 0;
	ev.data.proto = 0;
	memset(ev.data.daddr, 0, sizeof(ev.data.daddr));
	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->out[0].type, AM_EV_LLM);
	assert_string_equal(f->out[0].tool, "sh");
	/* another process's socketless read is no answer of it */
	ev = data_event(AM_DATA_TLS_SEND, head, sizeof(head) - 1, sizeof(head) - 1, 443);
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_RECV, resp, sizeof(resp) - 1, sizeof(resp) - 1, 0);
	ev.data.family = 0;
	ev.pid = 101;
	inspect_data(f->in, &ev);
	assert_int_equal(f->n, 2); /* the first request's http event, shown at the second */
	assert_int_equal(f->out[1].type, AM_EV_HTTP);
	inspect_status(f->in, &h);
	assert_int_equal(h.answers_unattributed, 0);
	/* two exchanges of the process open (a second connection): whose the
	 * read is cannot be told; not used, counted */
	ev = data_event(AM_DATA_SOCK_SEND, hello, n, (int64_t)n, 443);
	ev.data.sport = 40100;
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_SEND, head, sizeof(head) - 1, sizeof(head) - 1, 443);
	ev.data.sport = 40100;
	inspect_data(f->in, &ev);
	ev = data_event(AM_DATA_TLS_RECV, resp, sizeof(resp) - 1, sizeof(resp) - 1, 0);
	ev.data.family = 0;
	inspect_data(f->in, &ev);
	inspect_status(f->in, &h);
	assert_int_equal(h.answers_unattributed, 1);
	assert_int_equal(h.answers_unattributed_bytes, sizeof(resp) - 1);
	for (int i = 2; i < f->n; i++)
		assert_int_not_equal(f->out[i].type, AM_EV_LLM); /* neither got it */
}

/* len bytes of process pid (its own connection) to port 443 */
static void feed_as(struct fixture *f, uint8_t source, const void *buf, size_t len, uint32_t pid)
{
	struct event ev = data_event(source, buf, len, (int64_t)len, 443);

	ev.pid = ev.tid = pid;
	ev.data.sport = (uint16_t)(40000 + pid);
	inspect_data(f->in, &ev);
}

/* an exchange whose answer never ended (a chunked stream cut by the
 * process's exit): its llm event comes at the process's exit, not 10 s
 * later; another process's exchange goes on until its own exit */
static void test_llm_exit(void **state)
{
	static const char head[] = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
				   "Content-Length: 40\r\n\r\n"
				   "{\"model\":\"claude-x\",\"messages\":[]}      ";
	static const char sse[] = "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
		"{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{\"command\":\"ls\"}}}\n\n";
	struct fixture *f = *state;
	uint8_t hello[256];
	size_t n = client_hello(hello, "api.anthropic.com");
	struct inspect_mem m0, m1;
	char resp[512];
	int len = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			   "\r\n%zx\r\n%s\r\n", strlen(sse), sse);  /* no last chunk */

	inspect_on_llm(f->in, is_llm, print);
	for (uint32_t pid = 100; pid <= 101; pid++) {
		feed_as(f, AM_DATA_SOCK_SEND, hello, n, pid);
		feed_as(f, AM_DATA_TLS_SEND, head, sizeof(head) - 1, pid);
		feed_as(f, AM_DATA_TLS_RECV, resp, (size_t)len, pid);
	}
	assert_int_equal(f->n, 2);   /* the two http events; both answers go on */
	inspect_mem(f->in, &m0);
	inspect_exit(f->in, 102);    /* no exchange of its own: nothing */
	assert_int_equal(f->n, 2);
	inspect_exit(f->in, 100);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->out[2].type, AM_EV_LLM);
	assert_string_equal(f->out[2].model, "claude-x");
	assert_string_equal(f->out[2].tool, "Bash");
	assert_string_equal(f->out[2].input, "{\"command\":\"ls\"}");
	inspect_mem(f->in, &m1);
	assert_true(m1.bytes < m0.bytes);   /* what it held is let go */
	assert_int_equal(m1.llm_evicted, 0);
	inspect_exit(f->in, 100);    /* once */
	assert_int_equal(f->n, 3);
	inspect_exit(f->in, 101);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->out[3].type, AM_EV_LLM);
	inspect_tick(f->in, UINT64_MAX);
	assert_int_equal(f->n, 4);   /* nothing left to end idle */
}

/* a target longer than the capture: judged, method unknown; the rest counted */
static void test_cut_head(void **state)
{
	struct fixture *f = *state;
	char buf[1024];
	struct event ev;
	struct status_http st;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	ev = data_event(AM_DATA_TLS_SEND, buf, sizeof(buf), 3000, 443);
	feed(f, &ev);
	assert_int_equal(f->nj, 2);
	assert_int_equal(f->judged[0].type, AM_EV_HTTP);
	assert_string_equal(f->judged[0].method, "?");
	assert_string_equal(f->judged[0].incomplete, "cut");
	assert_int_equal(strncmp(f->judged[0].path, "/aaaa", 5), 0);
	assert_int_equal(f->judged[1].type, AM_EV_SEND);  /* the bytes not seen */
	assert_true(f->judged[1].opaque);
	assert_int_equal(f->judged[1].ret, 3000 - 1024);
	inspect_status(f->in, &st);
	assert_int_equal(st.heads_incomplete, 1);
}

/* CONNECT: what follows on the connection goes to the tunnel's target */
static void test_connect_tunnel(void **state)
{
	static const char req[] = "CONNECT paste.example:80 HTTP/1.1\r\nHost: paste.example:80\r\n\r\n"
				  "POST /in HTTP/1.1\r\nHost: other.example\r\n\r\n";
	struct fixture *f = *state;
	struct event ev = data_event(AM_DATA_SOCK_SEND, req, sizeof(req) - 1, sizeof(req) - 1, 3128);

	feed(f, &ev);
	assert_int_equal(f->nj, 2);
	assert_string_equal(f->judged[0].method, "CONNECT");
	assert_string_equal(f->judged[0].host, "paste.example");
	assert_string_equal(f->judged[1].method, "POST");
	assert_string_equal(f->judged[1].host, "paste.example");
	assert_string_equal(f->judged[1].req_host, "other.example");
}

static void test_connected_udp_is_a_send(void **state)
{
	struct fixture *f = *state;
	static const uint8_t quic[] = { 0xc3, 0, 0, 0, 1, 8, 'x' };
	struct event ev = data_event(AM_DATA_SOCK_SEND, quic, sizeof(quic), 1200, 443);

	ev.data.proto = 17;
	feed(f, &ev); /* an unconnected socket's datagram: its sendto made a send event */
	assert_int_equal(f->n, 0);
	assert_int_equal(f->nj, 0);
	ev.flags = AM_F_CONNECTED; /* connect, then send(): the wire is all there is */
	feed(f, &ev);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->out[0].type, AM_EV_SEND);
	assert_int_equal(f->out[0].ret, 1200);
	assert_int_equal(f->nj, 1);
	assert_int_equal(f->judged[0].ret, 1200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cleartext_post, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sni_names_an_opaque_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_plaintext_http1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_plaintext_http2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_http2_cut_block, setup, teardown),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test_setup_teardown(test_dns_answer_names_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_is_tallied_not_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_shown_at_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connected_udp_is_a_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_in_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_front, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_llm_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_llm_socketless_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_llm_exit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
