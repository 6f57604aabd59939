// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_http2.c - HTTP/2 requests from real HPACK (nghttp2's deflater: Huffman
 * values, dynamic-table references), fed whole, byte by byte, cut by the
 * capture, joined late, and as garbage; header blocks with :method after a
 * 3000-byte :path, over HEADERS + CONTINUATIONs fed one record each, with a
 * gap in the middle, after the table was lost, with garbage inside, over the
 * bound: each one a request (method unknown when it was not seen).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "http2.h"

#define MAXREQ 16

struct seen {
	struct { uint32_t id; char method[16], authority[64], path[128]; bool end, partial; } req[MAXREQ];
	size_t n_req;
	int status[MAXREQ];
	uint32_t status_id[MAXREQ];
	size_t n_status;
	uint64_t body[MAXREQ];
	uint32_t body_id[MAXREQ];
	size_t n_body;
	char data[1024];        /* DATA payload bytes captured, '.' for each not */
	size_t n_data;
	uint64_t data_bytes;    /* DATA payload bytes, captured or not */
};

static void on_req(void *ctx, const struct http2_req *r)
{
	struct seen *s = ctx;

	if (s->n_req == MAXREQ)
		return;
	s->req[s->n_req].id = r->stream_id;
	snprintf(s->req[s->n_req].method, 16, "%s", r->method ? r->method : "-");
	snprintf(s->req[s->n_req].authority, 64, "%s", r->authority ? r->authority : "-");
	snprintf(s->req[s->n_req].path, 128, "%s", r->path ? r->path : "-");
	s->req[s->n_req].end = r->end_stream;
	s->req[s->n_req++].partial = r->partial;
}

static void on_status(void *ctx, uint32_t id, int status)
{
	struct seen *s = ctx;

	if (s->n_status < MAXREQ) {
		s->status_id[s->n_status] = id;
		s->status[s->n_status++] = status;
	}
}

static void on_body(void *ctx, uint32_t id, uint64_t bytes)
{
	struct seen *s = ctx;

	if (s->n_body < MAXREQ) {
		s->body_id[s->n_body] = id;
		s->body[s->n_body++] = bytes;
	}
}

static void on_data(void *ctx, uint32_t id, const uint8_t *p, size_t cap, uint64_t n)
{
	struct seen *s = ctx;

	s->data_bytes += n;
	for (uint64_t i = 0; i < n && s->n_data + 1 < sizeof(s->data); i++)
		s->data[s->n_data++] = i < cap ? (char)p[i] : '.';
}

static const struct http2_callbacks cbs = { on_req, on_status, on_body, on_data, NULL, NULL };

/* ---- building a client's bytes ---- */

static uint8_t wire[131072];
static size_t wlen;

static void put_frame(uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p, size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
			 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid };

	memcpy(wire + wlen, h, 9);
	if (n)
		memcpy(wire + wlen + 9, p, n);
	wlen += 9 + n;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

/* a header block of a request, from the deflater (its table carries over) */
static size_t block(nghttp2_hd_deflater *d, const char *method, const char *path, uint8_t *out)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0 },
		NV(":scheme", "https"),
		NV(":authority", "api.anthropic.com:443"),
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
		NV("content-type", "application/json"),
		NV("x-api-key", "sk-ant-api03-secretsecretsecret"),
	};
	ssize_t n = nghttp2_hd_deflate_hd(d, out, 4096, nv, 6);

	assert_true(n > 0);
	return (size_t)n;
}

static const uint8_t settings[] = { 0, 3, 0, 0, 0, 100, 0, 4, 0, 0x60, 0, 0 };

/*
 * preface, SETTINGS, HEADERS 1 (POST), DATA 1 (300 bytes, END_STREAM),
 * HEADERS 3 (GET, END_STREAM: references the dynamic table); *second is
 * where the second HEADERS frame starts
 */
static void client_bytes(size_t *second)
{
	nghttp2_hd_deflater *d;
	uint8_t blk[4096], body[300];
	size_t n;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	wlen = 0;
	memcpy(wire, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
	wlen = HTTP2_PREFACE_LEN;
	put_frame(4, 0, 0, settings, sizeof(settings));
	n = block(d, "POST", "/v1/messages", blk);
	put_frame(1, 4, 1, blk, n);
	memset(body, 'x', sizeof(body));
	put_frame(0, 1, 1, body, sizeof(body));
	*second = wlen;
	n = block(d, "GET", "/v1/models?limit=5", blk);
	put_frame(1, 5, 3, blk, n);
	nghttp2_hd_deflate_del(d);
}

static void check_two(const struct seen *s, bool partial_second)
{
	assert_int_equal(s->n_req, 2);
	assert_int_equal(s->req[0].id, 1);
	assert_string_equal(s->req[0].method, "POST");
	assert_string_equal(s->req[0].authority, "api.anthropic.com");
	assert_string_equal(s->req[0].path, "/v1/messages");
	assert_false(s->req[0].end);
	assert_false(s->req[0].partial);
	assert_int_equal(s->req[1].id, 3);
	assert_string_equal(s->req[1].method, "GET");
	assert_string_equal(s->req[1].path, "/v1/models?limit=5");
	assert_true(s->req[1].end);
	assert_int_equal(s->req[1].partial, partial_second);
	assert_int_equal(s->n_body, 2);
	assert_int_equal(s->body_id[0], 1);
	assert_int_equal(s->body[0], 300);
	assert_int_equal(s->body_id[1], 3);
	assert_int_equal(s->body[1], 0);
}

static void feed(struct http2_conn *c, const uint8_t *p, size_t cap, uint64_t ret, int want)
{
	uint8_t *copy = malloc(cap ? cap : 1);

	memcpy(copy, p, cap);
	assert_int_equal(http2_conn_feed(c, copy, cap, ret), want);
	free(copy);
}

static void test_golden(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	size_t second;

	client_bytes(&second);
	feed(c, wire, wlen, wlen, 0);
	check_two(&s, false);
	http2_conn_stats(c, &st);
	assert_false(st.table_lost);
	assert_true(st.in_sync);
	assert_int_equal(st.blocks, 2);
	assert_int_equal(st.frames, 4);
	http2_conn_free(c);
}

/* split at every offset, and byte by byte: the same requests */
static void test_every_split(void **state)
{
	size_t second;

	client_bytes(&second);
	for (size_t k = 0; k <= wlen; k++) {
		struct seen s = { 0 };
		struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);

		feed(c, wire, k, k, 0);
		feed(c, wire + k, wlen - k, wlen - k, 0);
		check_two(&s, false);
		http2_conn_free(c);
	}
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);

	for (size_t i = 0; i < wlen; i++)
		feed(c, wire + i, 1, 1, 0);
	check_two(&s, false);
	http2_conn_free(c);
}

/* PADDED + PRIORITY on HEADERS, the block split into a CONTINUATION */
static void test_padded_continuation(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	nghttp2_hd_deflater *d;
	uint8_t blk[4096], pay[4200];
	size_t n, half;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n = block(d, "PUT", "/upload", blk);
	half = n / 2;
	pay[0] = 7;                          /* pad length */
	memset(pay + 1, 0, 5);               /* priority */
	memcpy(pay + 6, blk, half);
	memset(pay + 6 + half, 0, 7);
	wlen = 0;
	put_frame(1, 0x08 | 0x20, 5, pay, 6 + half + 7);
	put_frame(9, 0x04, 5, blk + half, n - half);
	/* a padded DATA frame: 2 bytes of body, 3 of padding */
	put_frame(0, 0x08 | 0x01, 5, (const uint8_t *)"\x03hi\0\0\0", 6);
	feed(c, wire, wlen, wlen, 0);
	assert_int_equal(s.n_req, 1);
	assert_string_equal(s.req[0].method, "PUT");
	assert_string_equal(s.req[0].path, "/upload");
	assert_false(s.req[0].partial);
	assert_int_equal(s.n_body, 1);
	assert_int_equal(s.body[0], 2);
	assert_string_equal(s.data, "hi");          /* neither pad length nor padding */
	nghttp2_hd_deflate_del(d);
	http2_conn_free(c);
}

/* the DATA frame's payload mostly not captured: framing holds, bytes counted */
static void test_cut_data(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	size_t second, data_at;

	client_bytes(&second);
	data_at = second - 300 - 9;
	feed(c, wire, data_at + 20, data_at + 20, 0);
	feed(c, wire + data_at + 20, 10, 300 + 9 - 20, 0);   /* 10 of 289 captured */
	feed(c, wire + second, wlen - second, wlen - second, 0);
	check_two(&s, false);
	assert_int_equal(s.data_bytes, 300);                 /* every byte said, in order */
	assert_int_equal(s.n_data, 300);
	assert_int_equal(strspn(s.data, "x"), 21);
	assert_int_equal(strspn(s.data + 21, "."), 279);
	http2_conn_free(c);
}

/*
 * The second HEADERS frame cut by the capture: the fallback finds :method
 * (static index) and :path (literal, Huffman), the table is marked lost and
 * the framing goes on.
 */
static void test_cut_headers(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	size_t second, flen;

	client_bytes(&second);
	flen = wlen - second - 9;
	feed(c, wire, second, second, 0);
	/* all but the last two fields (dynamic references, 1 byte each) */
	feed(c, wire + second, 9 + flen - 2, 9 + flen, 0);
	assert_int_equal(s.n_req, 2);
	assert_string_equal(s.req[1].method, "GET");
	assert_string_equal(s.req[1].path, "/v1/models?limit=5");
	assert_true(s.req[1].partial);
	http2_conn_stats(c, &st);
	assert_true(st.table_lost);
	assert_true(st.in_sync);
	assert_int_equal(st.blocks_lost, 1);
	http2_conn_free(c);
}

/* joined late, at the second request: its dynamic references fail, the fallback reads it */
static void test_joined_late(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	size_t second;

	client_bytes(&second);
	feed(c, wire + second, wlen - second, wlen - second, 0);
	assert_int_equal(s.n_req, 1);
	assert_string_equal(s.req[0].method, "GET");
	assert_string_equal(s.req[0].path, "/v1/models?limit=5");
	assert_true(s.req[0].partial);
	http2_conn_stats(c, &st);
	assert_true(st.table_lost);
	http2_conn_free(c);
}

/* a frame header lost in uncaptured bytes: -1 until a feed starts at a frame */
static void test_resync(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	size_t second;

	client_bytes(&second);
	/* preface + SETTINGS + half of HEADERS 1 captured, the rest up to HEADERS 3 lost */
	feed(c, wire, 24 + 21 + 15, second, -1);
	feed(c, (const uint8_t *)"garbage!garbage!", 16, 16, -1);
	feed(c, wire + second, wlen - second, wlen - second, 0);
	http2_conn_stats(c, &st);
	assert_int_equal(st.resyncs, 1);
	assert_true(st.in_sync);
	assert_int_equal(s.n_req, 2);
	assert_true(s.req[0].partial);
	assert_string_equal(s.req[0].method, "POST");
	assert_string_equal(s.req[1].method, "GET");
	http2_conn_free(c);
}

static void test_server_status(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_SERVER, &cbs, &s);
	nghttp2_hd_deflater *d;
	nghttp2_nv nv[] = { NV(":status", "201"), NV("content-type", "application/json") };
	nghttp2_nv nv2[] = { NV(":status", "429") };
	uint8_t blk[512];
	ssize_t n;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	wlen = 0;
	put_frame(4, 0, 0, NULL, 0);
	n = nghttp2_hd_deflate_hd(d, blk, sizeof(blk), nv, 2);
	put_frame(1, 4, 1, blk, (size_t)n);
	put_frame(0, 1, 1, (const uint8_t *)"{}", 2);
	n = nghttp2_hd_deflate_hd(d, blk, sizeof(blk), nv2, 1);
	put_frame(1, 5, 3, blk, (size_t)n);
	feed(c, wire, wlen, wlen, 0);
	assert_int_equal(s.n_status, 2);
	assert_int_equal(s.status_id[0], 1);
	assert_int_equal(s.status[0], 201);
	assert_int_equal(s.status[1], 429);
	assert_int_equal(s.n_req, 0);
	assert_int_equal(s.body[0], 2);
	nghttp2_hd_deflate_del(d);
	http2_conn_free(c);
}

/* random bytes and every cut of a valid stream: no crash, no false request */
static void test_garbage(void **state)
{
	uint8_t junk[4096];
	size_t second;
	unsigned seed = 1;

	for (int round = 0; round < 200; round++) {
		struct seen s = { 0 };
		struct http2_conn *c = http2_conn_new(round & 1 ? HTTP2_SERVER : HTTP2_CLIENT, &cbs, &s);

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)(rand_r(&seed) >> 8);
		for (size_t at = 0; at < sizeof(junk); at += 512)
			http2_conn_feed(c, junk + at, 512, 512 + (junk[at] & 0x3f));
		http2_conn_free(c);
	}
	client_bytes(&second);
	for (size_t k = 0; k < wlen; k++) {
		struct seen s = { 0 };
		struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);

		/* the rest is skipped: in sync only when it is the last payload's */
		feed(c, wire, k, wlen, k >= second + 9 ? 0 : -1);
		http2_conn_free(c);
	}
	assert_true(http2_is_preface((const uint8_t *)"PRI * HT", 8));
	assert_false(http2_is_preface((const uint8_t *)"GET / HT", 8));
}

/* ---- header blocks that are long, split, cut, over the bound ---- */

static char long_path[3001];

/* nv in this order through a fresh deflater into out; its length */
static size_t deflate_nv(nghttp2_hd_deflater *d, const nghttp2_nv *nv, size_t n,
			 uint8_t *out, size_t cap)
{
	ssize_t k = nghttp2_hd_deflate_hd(d, out, cap, nv, n);

	assert_true(k > 0);
	return (size_t)k;
}

/* :path (3000 bytes, no Huffman gain: random-ish) before :method */
static size_t path_first_block(uint8_t *out, size_t cap, const char *method)
{
	nghttp2_hd_deflater *d;
	size_t n;
	nghttp2_nv nv[] = {
		{ (uint8_t *)":path", (uint8_t *)long_path, 5, 3000, 0 },
		NV(":scheme", "https"),
		NV(":authority", "forum.example"),
		{ (uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0 },
	};

	for (int i = 0; i < 3000; i++)
		long_path[i] = i ? "/aZ9~-_.q%"[i % 10] : '/';
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n = deflate_nv(d, nv, 4, out, cap);
	nghttp2_hd_deflate_del(d);
	return n;
}

/* frames of one block, size at most fmax each: HEADERS then CONTINUATIONs */
static void put_block(uint32_t sid, const uint8_t *blk, size_t n, size_t fmax, uint8_t end)
{
	for (size_t at = 0; at < n || !at; at += fmax) {
		size_t k = n - at < fmax ? n - at : fmax;
		uint8_t fl = (uint8_t)((at + k == n ? 0x04 : 0) | (!at ? end : 0));

		put_frame(at ? 9 : 1, fl, sid, blk + at, k);
		if (!k)
			break;
	}
}

/* :method after a 3000-byte :path, whole: found, the path kept cut */
static void test_method_after_long_path(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	uint8_t blk[8192];
	size_t n = path_first_block(blk, sizeof(blk), "POST");

	wlen = 0;
	put_block(1, blk, n, 16384, 0);
	/* one write, then two records of it: the same */
	feed(c, wire, 1000, 1000, 0);
	feed(c, wire + 1000, wlen - 1000, wlen - 1000, 0);
	assert_int_equal(s.n_req, 1);
	assert_string_equal(s.req[0].method, "POST");
	assert_string_equal(s.req[0].authority, "forum.example");
	assert_int_equal(strncmp(s.req[0].path, long_path, 127), 0);
	assert_false(s.req[0].partial);
	http2_conn_free(c);
}

/* the same block with only its first 1024 bytes captured: a request, method unknown */
static void test_long_path_cut(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	uint8_t blk[8192];
	size_t n = path_first_block(blk, sizeof(blk), "POST");

	wlen = 0;
	put_block(7, blk, n, 16384, 0);
	feed(c, wire, 1024, wlen, 0);
	assert_int_equal(s.n_req, 1);
	assert_int_equal(s.req[0].id, 7);
	assert_string_equal(s.req[0].method, "-");
	assert_true(s.req[0].partial);
	http2_conn_stats(c, &st);
	assert_int_equal(st.blocks_lost, 1);
	assert_true(st.in_sync);
	http2_conn_free(c);
}

/* HEADERS + 2 CONTINUATION, each frame in its own record; :method in the last */
static void test_two_continuations(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	uint8_t blk[8192];
	size_t n = path_first_block(blk, sizeof(blk), "PROPPATCH"), at = 0;

	wlen = 0;
	put_block(3, blk, n, (n + 2) / 3, 0);
	for (int i = 0; i < 3; i++) {
		size_t flen = (size_t)wire[at] << 16 | wire[at + 1] << 8 | wire[at + 2];

		assert_int_equal(wire[at + 3], i ? 9 : 1);
		feed(c, wire + at, 9 + flen, 9 + flen, 0);
		at += 9 + flen;
	}
	assert_int_equal(at, wlen);
	assert_int_equal(s.n_req, 1);
	assert_string_equal(s.req[0].method, "PROPPATCH");
	assert_false(s.req[0].partial);
	http2_conn_free(c);
}

/* the middle CONTINUATION not captured: a request with what is known; the next is whole */
static void test_cut_middle(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	nghttp2_hd_deflater *d;
	uint8_t blk[8192], blk2[512];
	size_t n = path_first_block(blk, sizeof(blk), "POST"), f1, f2, n2;

	wlen = 0;
	put_block(1, blk, n, (n + 2) / 3, 1);
	f1 = 9 + ((n + 2) / 3);
	f2 = f1 + 9 + ((n + 2) / 3);
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n2 = block(d, "DELETE", "/t/1", blk2);
	put_block(3, blk2, n2, 16384, 1);
	nghttp2_hd_deflate_del(d);
	feed(c, wire, f1 + 20, f1 + 20, 0);
	feed(c, wire + f1 + 20, 0, f2 - f1 - 20, 0);           /* the gap */
	feed(c, wire + f2, wlen - f2, wlen - f2, 0);
	assert_int_equal(s.n_req, 2);
	assert_int_equal(s.req[0].id, 1);
	assert_string_equal(s.req[0].method, "-");
	assert_true(s.req[0].partial);
	assert_true(s.req[0].end);
	assert_string_equal(s.req[1].method, "DELETE");
	assert_string_equal(s.req[1].path, "/t/1");
	assert_false(s.req[1].partial);
	http2_conn_free(c);
}

/*
 * The dynamic table lost (a block cut): a later block made only of
 * references to it decodes to nothing, and is still a request; :method by
 * static index survives the loss
 */
static void test_table_lost(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	nghttp2_hd_deflater *d;
	uint8_t b1[512], b2[512], b3[512];
	size_t n1, n2, n3, second;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n1 = block(d, "MKCOL", "/dav/x", b1);
	n2 = block(d, "MKCOL", "/dav/x", b2);   /* every field from the table */
	n3 = block(d, "POST", "/dav/x", b3);    /* :method POST: static index 3 */
	nghttp2_hd_deflate_del(d);
	wlen = 0;
	put_block(1, b1, n1, 16384, 1);
	second = wlen;
	put_block(3, b2, n2, 16384, 1);
	put_block(5, b3, n3, 16384, 1);
	feed(c, wire, second - 4, second, 0);   /* block 1 cut: the table is lost */
	feed(c, wire + second, wlen - second, wlen - second, 0);
	assert_int_equal(s.n_req, 3);
	assert_int_equal(s.req[1].id, 3);
	assert_string_equal(s.req[1].method, "-");
	assert_string_equal(s.req[1].authority, "-");
	assert_true(s.req[1].partial);
	assert_string_equal(s.req[2].method, "POST");
	assert_true(s.req[2].partial);
	http2_conn_free(c);
}

/*
 * Garbage inside a block (a frame of an unknown type between HEADERS and
 * its CONTINUATION): the block is judged with what it had; bytes that are
 * no frames lose the framing until a feed starts at one
 */
static void test_interleaved_garbage(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	nghttp2_hd_deflater *d;
	uint8_t b1[512], b2[512];
	size_t n1, n2, after;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n1 = block(d, "PATCH", "/a", b1);
	n2 = block(d, "PUT", "/b", b2);
	nghttp2_hd_deflate_del(d);
	wlen = 0;
	put_frame(1, 0, 1, b1, 3);                 /* :method PATCH is in its first bytes */
	put_frame(0xfa, 0, 1, (const uint8_t *)"zzzz", 4);
	put_frame(9, 4, 1, b1 + 3, n1 - 3);
	after = wlen;
	put_block(3, b2, n2, 16384, 1);
	feed(c, wire, after, after, 0);
	assert_int_equal(s.n_req, 1);
	assert_true(s.req[0].partial);
	/* not frames: lost; the next record that starts at a frame restarts it */
	feed(c, (const uint8_t *)"\0\0\6\4\0\0\0\0\1zzzzzz", 15, 15, -1); /* SETTINGS on a stream */
	feed(c, wire + after, wlen - after, wlen - after, 0);
	assert_int_equal(s.n_req, 2);
	assert_int_equal(s.req[1].id, 3);
	assert_string_equal(s.req[1].method, "PUT");
	http2_conn_free(c);
}

/* a block over HTTP2_BLOCK_MAX: cut at the bound, counted, still a request */
static void test_block_bound(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	struct http2_stats st;
	struct http2_totals t;
	static uint8_t blk[2 * HTTP2_BLOCK_MAX], big[HTTP2_BLOCK_MAX + 4096];
	nghttp2_hd_deflater *d;
	nghttp2_nv nv[] = {
		NV(":method", "POST"), NV(":path", "/big"), NV(":authority", "forum.example"),
		{ (uint8_t *)"x-big", big, 5, sizeof(big), NGHTTP2_NV_FLAG_NO_INDEX },
	};
	size_t n;

	memset(big, '~', sizeof(big));         /* longer in Huffman: sent raw */
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n = deflate_nv(d, nv, 4, blk, sizeof(blk));
	nghttp2_hd_deflate_del(d);
	assert_true(n > HTTP2_BLOCK_MAX);
	wlen = 0;
	put_block(1, blk, n, 16384, 1);
	feed(c, wire, wlen, wlen, 0);
	assert_int_equal(s.n_req, 1);
	assert_string_equal(s.req[0].method, "POST");
	assert_string_equal(s.req[0].path, "/big");
	assert_true(s.req[0].partial);
	http2_conn_stats(c, &st);
	assert_int_equal(st.blocks_over, 1);
	http2_totals(&t);
	assert_int_equal(t.held, 0);
	assert_true(t.blocks_over >= 1);
	http2_conn_free(c);
}

/* trailers (a block on a stream that made its request) are no request */
static void test_trailers(void **state)
{
	struct seen s = { 0 };
	struct http2_conn *c = http2_conn_new(HTTP2_CLIENT, &cbs, &s);
	nghttp2_hd_deflater *d;
	nghttp2_nv tr[] = { NV("x-checksum", "abc") };
	uint8_t b1[512], b2[512];
	size_t n1, n2;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	n1 = block(d, "POST", "/up", b1);
	n2 = deflate_nv(d, tr, 1, b2, sizeof(b2));
	nghttp2_hd_deflate_del(d);
	wlen = 0;
	put_block(1, b1, n1, 16384, 0);
	put_frame(0, 0, 1, (const uint8_t *)"data", 4);
	put_block(1, b2, n2, 16384, 1);
	put_block(3, b2, n2, 16384, 1);        /* the same block on a new stream: a request */
	feed(c, wire, wlen, wlen, 0);
	assert_int_equal(s.n_req, 2);
	assert_int_equal(s.req[1].id, 3);
	assert_string_equal(s.req[1].method, "-");
	assert_int_equal(s.n_body, 2);
	assert_int_equal(s.body[0], 4);
	http2_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_padded_continuation),
		cmocka_unit_test(test_cut_data),
		cmocka_unit_test(test_cut_headers),
		cmocka_unit_test(test_joined_late),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_server_status),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_method_after_long_path),
		cmocka_unit_test(test_long_path_cut),
		cmocka_unit_test(test_two_continuations),
		cmocka_unit_test(test_cut_middle),
		cmocka_unit_test(test_table_lost),
		cmocka_unit_test(test_interleaved_garbage),
		cmocka_unit_test(test_block_bound),
		cmocka_unit_test(test_trailers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
