// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_http2.c - libFuzzer target: an HTTP/2 connection direction fed in
 * chunks.  Byte 0 picks the direction; then each chunk is a 4-byte header
 * (captured length, uncaptured length, both 16-bit) and its captured bytes.
 * Checks: paths within their bound, statuses three digits, and no header
 * block bytes counted as held once the connection is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http2.h"

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

static void on_body(void *ctx, uint32_t id, uint64_t bytes) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http2_callbacks cb = { on_req, on_status, on_body };
	struct http2_conn *c;
	struct http2_totals t;
	size_t at = 1;

	if (!size)
		return 0;
	c = http2_conn_new(data[0] & 1 ? HTTP2_SERVER : HTTP2_CLIENT, &cb, NULL);
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
	http2_totals(&t);
	if (t.held)
		abort();
	return 0;
}
