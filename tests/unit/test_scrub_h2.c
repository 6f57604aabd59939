// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_scrub_h2.c - HTTP/2 header blocks as traces store them: nghttp2's
 * deflater writes requests with secret headers, the scrub masks them in
 * records cut anywhere, and nghttp2's inflater decodes the result to the same
 * fields, secret values masked with their lengths, and the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "decode.h"
#include "event.h"
#include "http2.h"
#include "redact.h"
#include "scrub.h"
#include "scrub_h2.h"

#define WIRE_MAX 65536
#define FIELDS   9

struct wire {
	uint8_t b[WIRE_MAX];
	size_t n;
};

static const char *const names[FIELDS] = {
	":method", ":scheme", ":authority", ":path", "authorization", "x-api-key", "cookie",
	"user-agent", "x-request-id",
};

/* request i's fields */
static void fields(int i, char values[FIELDS][128], nghttp2_nv *nv)
{
	snprintf(values[0], 128, "POST");
	snprintf(values[1], 128, "https");
	snprintf(values[2], 128, "api.example.com");
	snprintf(values[3], 128, "/v1/messages?n=%d", i);
	snprintf(values[4], 128, "Bearer sk-ant-api03-SECRETaaaaaaaaaaaaaaaa%d", i % 2);
	snprintf(values[5], 128, "SECRETkey-0123456789-abcdefghijklmnop");
	snprintf(values[6], 128, "session=SECRETcookie%d; theme=dark", i);
	snprintf(values[7], 128, "agent/1.0 (linux)");
	snprintf(values[8], 128, "req-%d-%s", i, i % 3 ? "x" : "a long request id to grow the table");
	for (int f = 0; f < FIELDS; f++)
		nv[f] = (nghttp2_nv){ (uint8_t *)names[f], (uint8_t *)values[f], strlen(names[f]),
				      strlen(values[f]), NGHTTP2_NV_FLAG_NONE };
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		  size_t n, uint8_t pad)
{
	size_t len = n + (flags & 0x08 ? 1u + pad : 0);
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid };

	memcpy(w->b + w->n, h, 9);
	w->n += 9;
	if (flags & 0x08)
		w->b[w->n++] = pad;
	if (n)
		memcpy(w->b + w->n, p, n);
	w->n += n;
	if (flags & 0x08) {
		memset(w->b + w->n, 0, pad);
		w->n += pad;
	}
}

/* a client's bytes: preface, SETTINGS, then reqs requests, each block cut in frames of fmax */
static void client_wire(struct wire *w, int reqs, size_t fmax)
{
	nghttp2_hd_deflater *def;
	char values[FIELDS][128];
	nghttp2_nv nv[FIELDS];
	uint8_t blk[4096];

	w->n = 0;
	memcpy(w->b, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
	w->n = HTTP2_PREFACE_LEN;
	frame(w, 4, 0, 0, NULL, 0, 0);
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	for (int i = 0; i < reqs; i++) {
		uint32_t sid = 1 + 2 * (uint32_t)i;
		ssize_t n;

		fields(i, values, nv);
		n = nghttp2_hd_deflate_hd(def, blk, sizeof(blk), nv, FIELDS);
		assert_true(n > 0);
		for (size_t off = 0; off < (size_t)n; off += fmax) {
			size_t k = (size_t)n - off < fmax ? (size_t)n - off : fmax;
			uint8_t flags = off + k == (size_t)n ? 0x04 : 0;

			if (!off)
				flags |= 0x08; /* HEADERS padded */
			frame(w, off ? 9 : 1, flags, sid, blk + off, k, (uint8_t)(i % 4));
		}
		frame(w, 0, 0x01, sid, (const uint8_t *)"{\"a\":1}", 7, 0);
	}
	nghttp2_hd_deflate_del(def);
}

enum { ORIGINAL, MASKED, NONE_LEFT };

/* the requests in w decoded by nghttp2, each field checked against request i's */
static void check_decoded(const struct wire *w, int reqs, int mode, size_t *table)
{
	nghttp2_hd_inflater *inf;
	char values[FIELDS][128];
	nghttp2_nv want[FIELDS];
	size_t p = HTTP2_PREFACE_LEN;
	int req = 0, f = 0;

	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	while (p + 9 <= w->n) {
		size_t len = (size_t)w->b[p] << 16 | w->b[p + 1] << 8 | w->b[p + 2], s = p + 9, e;
		uint8_t type = w->b[p + 3], flags = w->b[p + 4];

		e = s + len;
		if (type == 1 && (flags & 0x08))
			e -= w->b[s++] + 0u;
		if (type == 1 || type == 9) {
			while (s < e || (flags & 0x04)) {
				nghttp2_nv nv;
				int fl = 0;
				ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &fl, w->b + s, e - s,
								   (flags & 0x04) != 0);

				assert_true(r >= 0);
				s += (size_t)r;
				if (fl & NGHTTP2_HD_INFLATE_EMIT) {
					fields(req, values, want);
					assert_int_equal(nv.namelen, want[f].namelen);
					assert_memory_equal(nv.name, want[f].name, nv.namelen);
					assert_int_equal(nv.valuelen, want[f].valuelen);
					if (mode != ORIGINAL &&
					    redact_header_is_secret((const char *)nv.name, nv.namelen)) {
						assert_memory_not_equal(nv.value, want[f].value, nv.valuelen);
						if (mode == NONE_LEFT)
							assert_null(memmem(nv.value, nv.valuelen, "SECRET", 6));
					} else {
						assert_memory_equal(nv.value, want[f].value, nv.valuelen);
					}
					f++;
				}
				if (fl & NGHTTP2_HD_INFLATE_FINAL) {
					nghttp2_hd_inflate_end_headers(inf);
					assert_int_equal(f, FIELDS);
					f = 0;
					req++;
					break;
				}
			}
		}
		p += 9 + len;
	}
	assert_int_equal(req, reqs);
	*table = nghttp2_hd_inflate_get_dynamic_table_size(inf);
	nghttp2_hd_inflate_del(inf);
}

static size_t feed_cut(struct wire *w, size_t cut)
{
	size_t held = 0, masked = 0;
	struct scrub_h2 *h = scrub_h2_new(true, &held);

	assert_non_null(h);
	for (size_t off = 0; off < w->n; off += cut) {
		size_t k = w->n - off < cut ? w->n - off : cut;

		masked += scrub_h2_feed(h, w->b + off, k, k);
	}
	assert_int_equal(scrub_h2_lost(h), 0);
	scrub_h2_free(h);
	assert_int_equal(held, 0);
	return masked;
}

static void run_cuts(size_t fmax)
{
	static const size_t cuts[] = { WIRE_MAX, 1, 5, 13, 100, 333 };
	static struct wire orig, w;
	size_t t_orig, t;

	client_wire(&orig, 12, fmax);
	check_decoded(&orig, 12, ORIGINAL, &t_orig);
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		w = orig;
		assert_true(feed_cut(&w, cuts[c]) > 0);
		check_decoded(&w, 12, cuts[c] == WIRE_MAX ? NONE_LEFT : MASKED, &t);
		assert_int_equal(t, t_orig);
	}
}

static void test_whole_blocks(void **state)
{
	run_cuts(16384);
}

static void test_continuation(void **state)
{
	run_cuts(7); /* fields split between HEADERS and CONTINUATION frames */
}

/* one data record of w's bytes, scrubbed as a trace stores it; the payload back in w */
static void scrub_rec(struct scrub *sc, uint8_t source, struct wire *w)
{
	static uint8_t rec[sizeof(struct am_data) + 4096];
	struct am_data d = { 0 };
	const uint8_t *out;
	size_t got;

	assert_true(w->n <= 4096);
	d.hdr.type = AM_EV_DATA;
	d.hdr.pid = 77;
	d.hdr.size = (uint16_t)(sizeof(d) + w->n);
	d.sock_id = 9;
	d.fd = 5;
	d.source = source;
	d.cap_len = (uint16_t)w->n;
	d.ret = (int64_t)w->n;
	memcpy(rec, &d, sizeof(d));
	memcpy(rec + sizeof(d), w->b, w->n);
	out = scrub_record(sc, rec, sizeof(d) + w->n, &got);
	assert_non_null(out);
	memcpy(w->b, out + sizeof(d), w->n);
}

/* through scrub_record: a TLS stream that starts with the preface, then what the client read */
static void test_records(void **state)
{
	static struct wire w, r;
	struct scrub *sc = malloc(sizeof(*sc));
	nghttp2_hd_deflater *def;
	nghttp2_hd_inflater *inf;
	nghttp2_nv nv[2] = {
		{ (uint8_t *)":status", (uint8_t *)"200", 7, 3, 0 },
		{ (uint8_t *)"set-cookie", (uint8_t *)"sid=SECRETserver0123456789", 10, 26, 0 },
	}, got;
	uint8_t blk[256];
	ssize_t n;
	size_t t;
	int fl = 0;

	assert_true(sc && !scrub_init(sc));
	client_wire(&w, 2, 16384);
	scrub_rec(sc, AM_DATA_TLS_SEND, &w);
	check_decoded(&w, 2, NONE_LEFT, &t);
	assert_true(t > 0);
	/* the answer: SETTINGS, then HEADERS with a Set-Cookie */
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	n = nghttp2_hd_deflate_hd(def, blk, sizeof(blk), nv, 2);
	nghttp2_hd_deflate_del(def);
	r.n = 0;
	frame(&r, 4, 0, 0, NULL, 0, 0);
	frame(&r, 1, 0x04, 1, blk, (size_t)n, 0);
	scrub_rec(sc, AM_DATA_TLS_RECV, &r);
	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	n = nghttp2_hd_inflate_hd2(inf, &got, &fl, r.b + 18, r.n - 18, 1);
	assert_true(n > 0 && (fl & NGHTTP2_HD_INFLATE_EMIT));
	assert_memory_equal(got.value, "200", 3);
	n = nghttp2_hd_inflate_hd2(inf, &got, &fl, r.b + 18 + n, r.n - 18 - (size_t)n, 1);
	assert_true(n > 0 && (fl & NGHTTP2_HD_INFLATE_EMIT));
	assert_int_equal(got.valuelen, 26);
	assert_null(memmem(got.value, got.valuelen, "SECRET", 6));
	nghttp2_hd_inflate_del(inf);
	scrub_release(sc);
	free(sc);
}

/* the fields of the HEADERS frame at p in w (padded, one frame) through inf; field f's
 * value copied to value (128 bytes), its length */
static size_t block_field(nghttp2_hd_inflater *inf, const struct wire *w, size_t p, int f,
			  char *value)
{
	size_t len = (size_t)w->b[p + 1] << 8 | w->b[p + 2], s = p + 10, e = p + 9 + len - w->b[p + 9];
	size_t got = 0;

	for (int i = 0; s < e || i <= f; ) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &fl, w->b + s, e - s, 1);

		assert_true(r >= 0);
		s += (size_t)r;
		if ((fl & NGHTTP2_HD_INFLATE_EMIT) && i++ == f) {
			assert_true(nv.valuelen < 128);
			memcpy(value, nv.value, nv.valuelen);
			got = nv.valuelen;
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL)
			break;
	}
	nghttp2_hd_inflate_end_headers(inf);
	return got;
}

/* field f of the block at p1 in w, decoded after the block at p0 of first: its value, length */
static size_t after_first(const struct wire *first, size_t p0, const struct wire *w, size_t p1,
			  int f, char *value)
{
	nghttp2_hd_inflater *inf;
	size_t n;

	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	block_field(inf, first, p0, 0, value);
	n = block_field(inf, w, p1, f, value);
	nghttp2_hd_inflate_del(inf);
	return n;
}

/* bytes not captured inside a block: a value named by an entry it added is masked since */
static void test_lost_block(void **state)
{
	static struct wire w, orig;
	size_t held = 0, p0 = HTTP2_PREFACE_LEN + 9, e0, p1;
	struct scrub_h2 *h = scrub_h2_new(true, &held);
	char value[128];

	client_wire(&orig, 2, 16384);
	w = orig;
	e0 = p0 + 9 + ((size_t)w.b[p0 + 1] << 8 | w.b[p0 + 2]);
	p1 = e0 + 9 + 7; /* after the DATA frame */
	scrub_h2_feed(h, w.b, p0 + 9 + 10, e0);  /* the first block, cut after 9 of its bytes */
	scrub_h2_feed(h, w.b + e0, w.n - e0, w.n - e0);
	assert_true(scrub_h2_lost(h) >= 1);
	scrub_h2_free(h);
	assert_int_equal(held, 0);
	/* the second block decoded after the first as sent: x-request-id (its name an entry
	 * the lost block added) masked, :path (a static name) as sent */
	assert_int_equal(after_first(&orig, p0, &w, p1, 8, value), 7);
	assert_memory_not_equal(value, "req-1-x", 7);
	assert_int_equal(after_first(&orig, p0, &w, p1, 3, value), 16);
	assert_memory_equal(value, "/v1/messages?n=1", 16);
}

/* where http2.c loses the framing the scrub does too, and keeps nothing readable after it */
static void test_lost_framing(void **state)
{
	static const char secret[] = "cookie-SECRET-0123456789";
	static struct wire w;
	size_t held = 0, at, n;
	struct scrub_h2 *h = scrub_h2_new(true, &held);
	uint8_t blk[64] = { 0x60, (uint8_t)(sizeof(secret) - 1) }; /* cookie: incremental */
	struct http2_conn *c;

	memcpy(blk + 2, secret, sizeof(secret) - 1);
	memcpy(w.b, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
	w.n = HTTP2_PREFACE_LEN;
	frame(&w, 1, 0x04, 0, blk, 2 + sizeof(secret) - 1, 0); /* HEADERS on stream 0 */
	at = w.n;
	memcpy(w.b + w.n, secret, sizeof(secret) - 1);          /* a record not in step */
	w.n += sizeof(secret) - 1;
	assert_false(http2_frame_plausible(w.b + HTTP2_PREFACE_LEN, false));
	n = scrub_h2_feed(h, w.b, at, at);
	assert_int_equal(n, at - HTTP2_PREFACE_LEN - 9);           /* all after the header */
	assert_null(memmem(w.b, at, secret, sizeof(secret) - 1));
	assert_int_equal(scrub_h2_feed(h, w.b + at, w.n - at, w.n - at), w.n - at);
	assert_null(memmem(w.b, w.n, "SECRET", 6));
	assert_true(scrub_h2_lost(h) >= 1);
	scrub_h2_free(h);
	/* a bad preface: what follows the octet that differs is masked */
	h = scrub_h2_new(true, &held);
	memcpy(w.b, "PRI * HTTP/1.1\r\nCookie: SECRET", 31);
	scrub_h2_feed(h, w.b, 31, 31);
	assert_memory_equal(w.b, "PRI * HTTP/1x", 13);
	assert_null(memmem(w.b, 31, "SECRET", 6));
	scrub_h2_free(h);
	assert_int_equal(held, 0);
	/* and http2.c reads nothing from the masked bytes either */
	c = http2_conn_new(HTTP2_CLIENT, NULL, NULL);
	if (c) {
		assert_int_equal(http2_conn_feed(c, w.b, 31, 31), -1);
		http2_conn_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_blocks),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_lost_block),
		cmocka_unit_test(test_lost_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
