// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_http1.c - libFuzzer target: HTTP/1 request heads and status lines,
 * redaction of what they report, a chunked body, and the stream of heads
 * (reasm.c) fed in pieces and gaps chosen by the input's first byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "reasm.h"
#include "redact.h"

static void on_head(void *arg, const struct reasm_head *h)
{
	const struct http1_req *r = h->req;

	(void)arg;
	if ((r->method && !r->method_len) || (h->end == REASM_COMPLETE && !r->head_complete) ||
	    r->n_headers > HTTP1_MAX_HEADERS)
		abort();
}

/* the input once more as a stream: piece sizes and gaps from a seed */
static void stream(const uint8_t *data, size_t size)
{
	struct reasm *r = reasm_new(512, 4096);
	struct reasm_stream s;
	uint8_t seed = size ? data[0] : 0;
	size_t at = 0;

	if (!r)
		return;
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; at < size; i++) {
		size_t n = 1 + (size_t)((seed * (i + 3)) % 97);
		uint64_t gap = (seed & 1) && i % 7 == 6 ? 100 : 0;

		if (n > size - at)
			n = size - at;
		if (reasm_feed(r, &s, data + at, n, n + gap, on_head, NULL) > n + gap)
			abort();
		at += n;
	}
	reasm_release(r, &s);
	reasm_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_chunked ch = { 0 };
	struct http1_req r;
	char out[512];
	uint8_t *copy = malloc(size ? size : 1);
	bool done;
	long used;
	int st;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (http1_parse_request(copy, size, &r) != 0) {
		for (size_t i = 0; i < r.n_headers; i++)
			redact_header_value(r.headers[i].name, r.headers[i].name_len,
					    r.headers[i].value, r.headers[i].value_len, out, sizeof(out));
		if (r.path)
			redact_query(r.path, r.path_len, out, sizeof(out));
		if (r.head_complete && r.head_len > size)
			abort();
	}
	http1_parse_status(copy, size, &st);
	used = http1_chunked_feed(&ch, copy, size, &done);
	if (used > (long)size || (done && used < 1))
		abort();
	stream(copy, size);
	free(copy);
	return 0;
}
