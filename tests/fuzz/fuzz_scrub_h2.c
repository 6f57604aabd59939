// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_scrub_h2.c - libFuzzer target: HTTP/2 bytes masked as a trace stores
 * them (scrub_h2) must read the same as they were sent.  The input is
 * fuzz_http2's (byte 0 the direction, then chunks: captured and uncaptured
 * lengths, 16-bit each, then the captured bytes).  Each chunk goes to
 * http2.c as it is and, masked, to a second http2.c: both must report the
 * same requests (method, authority, path as output shows it: secret query
 * values redacted, whole or not) and statuses, the
 * masking must keep every length, and no table bytes stay held.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http2.h"
#include "redact.h"
#include "scrub_h2.h"

struct log {
	char buf[1 << 16];
	size_t len;
};

static void add(struct log *l, const char *fmt, const char *a, const char *b, const char *c,
		int n)
{
	int k = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, a ? a : "-", b ? b : "-",
			 c ? c : "-", n);

	if (k > 0 && l->len + (size_t)k < sizeof(l->buf))
		l->len += (size_t)k;
}

/* a request as output shows it: its path's secret query values redacted */
static void on_req(void *ctx, const struct http2_req *r)
{
	char path[4096];

	if (r->path)
		redact_query(r->path, strlen(r->path), path, sizeof(path));
	add(ctx, "req %s %s %s %d\n", r->method, r->authority, r->path ? path : NULL, r->partial);
}

static void on_status(void *ctx, uint32_t id, int status)
{
	add(ctx, "status %s%s%s%d\n", "", "", "", status);
}

static void on_body(void *ctx, uint32_t id, uint64_t bytes) {}

static struct log live, kept;

/* the next chunk at *at: its captured bytes (a copy, to free) and counts */
static uint8_t *chunk(const uint8_t *data, size_t size, size_t *at, size_t *cap, size_t *lost)
{
	const uint8_t *h = data + *at;
	uint8_t *copy;

	*cap = (size_t)(h[0] << 8 | h[1]);
	*lost = (size_t)(h[2] << 8 | h[3]);
	*at += 4;
	*cap = *cap < size - *at ? *cap : size - *at;
	if ((copy = malloc(*cap + 1)))
		memcpy(copy, data + *at, *cap);
	*at += *cap;
	return copy;
}

/*
 * a stream as scrub.c starts it: at the preface, at frames met mid-way, a
 * server's at frames; NULL (with *text set) for a client's that is neither:
 * scrub.c reads it as text, not here
 */
static struct scrub_h2 *stream_begin(enum http2_dir dir, const uint8_t *p, size_t n, size_t *held,
				     bool *text)
{
	if (dir == HTTP2_CLIENT && n >= 4 && http2_is_preface(p, n))
		return scrub_h2_new(true, held);
	if (scrub_h2_frames_plausible(p, n))
		return scrub_h2_resume(held);
	*text = dir == HTTP2_CLIENT;
	return *text ? NULL : scrub_h2_new(false, held);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http2_callbacks cb = { on_req, on_status, on_body, NULL, NULL, NULL };
	enum http2_dir dir;
	struct http2_conn *a, *b;
	struct scrub_h2 *h = NULL;
	size_t at = 1, held = 0;
	bool text = false;

	if (!size)
		return 0;
	dir = data[0] & 1 ? HTTP2_SERVER : HTTP2_CLIENT;
	live.len = kept.len = 0;
	a = http2_conn_new(dir, &cb, &live);
	b = http2_conn_new(dir, &cb, &kept);
	while (a && b && at + 4 <= size) {
		size_t cap, lost;
		uint8_t *copy = chunk(data, size, &at, &cap, &lost);

		if (!copy || (!h && !text && !(h = stream_begin(dir, copy, cap, &held, &text)) &&
			      !text)) {
			free(copy);
			break;
		}
		http2_conn_feed(a, copy, cap, cap + lost);
		if (h)
			scrub_h2_feed(h, copy, cap, cap + lost);
		http2_conn_feed(b, copy, cap, cap + lost);
		free(copy);
	}
	http2_conn_free(a);
	http2_conn_free(b);
	scrub_h2_free(h);
	if (held || live.len != kept.len || memcmp(live.buf, kept.buf, live.len)) {
		fprintf(stderr, "live:\n%.*s\nstored:\n%.*s\n", (int)live.len, live.buf,
			(int)kept.len, kept.buf);
		abort();
	}
	return 0;
}
