// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_http2.c - libFuzzer target: an HTTP/2 connection direction fed in
 * chunks.  Byte 0 picks the direction; then each chunk is a 4-byte header
 * (captured length, uncaptured length, both 16-bit) and its captured bytes.
 * Checks: paths within their bound, statuses three digits, and no header
 * block bytes counted as held once the connection is freed.  DATA payloads
 * go to a model API exchange per stream (as the protocol stage reads them,
 * exchange_new_h2), decoded when the stream ends or at the end: captured
 * bytes never more than said, nothing held once all are freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "http2.h"

#define SLOTS 4

static struct { uint32_t id; struct exchange *x; } ex[SLOTS];
static uint64_t held;
static struct llm out;
static enum http2_dir dir;

static void on_req(void *ctx, const struct http2_req *r)
{
	if (r->path && strlen(r->path) >= HTTP2_PATH_MAX)
		abort();
}

static void on_status(void *ctx, uint32_t id, int status)
{
	if (status < 100 || status > 999)
		abort();
}

static void ex_end(size_t i)
{
	if (!ex[i].x)
		return;
	exchange_decode(ex[i].x, &out);
	exchange_free(ex[i].x);
	ex[i].x = NULL;
}

static void on_body(void *ctx, uint32_t id, uint64_t bytes)
{
	ex_end(id % SLOTS);
}

static void on_data(void *ctx, uint32_t id, const uint8_t *p, size_t cap, uint64_t n)
{
	size_t i = id % SLOTS;

	if (cap > n || (cap && !p))
		abort();
	if (ex[i].x && ex[i].id != id)
		ex_end(i);
	if (!ex[i].x) {
		ex[i].x = exchange_new_h2((enum llm_api)(id % 4 + 1), "/v1beta/models/g:x", 18, &held);
		ex[i].id = id;
	}
	if (!ex[i].x)
		return;
	if (dir == HTTP2_CLIENT)
		exchange_send(ex[i].x, p, cap, n);
	else
		exchange_recv(ex[i].x, p, cap, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http2_callbacks cb = { on_req, on_status, on_body, on_data, NULL, NULL };
	struct http2_conn *c;
	struct http2_totals t;
	size_t at = 1;

	if (!size)
		return 0;
	dir = data[0] & 1 ? HTTP2_SERVER : HTTP2_CLIENT;
	c = http2_conn_new(dir, &cb, NULL);
	if (!c)
		return 0;
	while (at + 4 <= size) {
		size_t cap = (size_t)(data[at] << 8 | data[at + 1]);
		size_t lost = (size_t)(data[at + 2] << 8 | data[at + 3]);
		uint8_t *copy;

		at += 4;
		if (cap > size - at)
			cap = size - at;
		copy = malloc(cap ? cap : 1);
		memcpy(copy, data + at, cap);
		http2_conn_feed(c, copy, cap, cap + lost);
		free(copy);
		at += cap;
	}
	http2_conn_free(c);
	for (size_t i = 0; i < SLOTS; i++)
		ex_end(i);
	http2_totals(&t);
	if (t.held || held)
		abort();
	return 0;
}
