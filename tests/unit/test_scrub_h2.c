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

/* every field of the header blocks in w from octet p on, decoded by inf: on(arg, &nv)
 * for each, on(arg, NULL) at each block's end */
static void each_field(nghttp2_hd_inflater *inf, const struct wire *w, size_t p,
		       void (*on)(void *arg, const nghttp2_nv *nv), void *arg)
{
	while (p + 9 <= w->n) {
		size_t len = (size_t)w->b[p] << 16 | w->b[p + 1] << 8 | w->b[p + 2], s = p + 9;
		size_t e = s + len;
		uint8_t type = w->b[p + 3], flags = w->b[p + 4];

		if (type == 1 && (flags & 0x08))
			e -= w->b[s++] + 0u;
		while ((type == 1 || type == 9) && (s < e || (flags & 0x04))) {
			nghttp2_nv nv;
			int fl = 0;
			ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &fl, w->b + s, e - s,
							   (flags & 0x04) != 0);

			assert_true(r >= 0);
			s += (size_t)r;
			if (fl & NGHTTP2_HD_INFLATE_EMIT)
				on(arg, &nv);
			if (fl & NGHTTP2_HD_INFLATE_FINAL) {
				nghttp2_hd_inflate_end_headers(inf);
				on(arg, NULL);
				break;
			}
		}
		p += 9 + len;
	}
}

struct decoded {
	int mode, req, f;
};

/* field f of request req as sent, or (mode) with a secret value masked */
static void check_field(void *arg, const nghttp2_nv *nv)
{
	struct decoded *d = arg;
	char values[FIELDS][128];
	nghttp2_nv want[FIELDS];

	if (!nv) { /* the block's end: every field came */
		assert_int_equal(d->f, FIELDS);
		d->f = 0;
		d->req++;
		return;
	}
	fields(d->req, values, want);
	assert_int_equal(nv->namelen, want[d->f].namelen);
	assert_memory_equal(nv->name, want[d->f].name, nv->namelen);
	assert_int_equal(nv->valuelen, want[d->f].valuelen);
	if (d->mode != ORIGINAL && redact_header_is_secret((const char *)nv->name, nv->namelen)) {
		assert_memory_not_equal(nv->value, want[d->f].value, nv->valuelen);
		if (d->mode == NONE_LEFT)
			assert_null(memmem(nv->value, nv->valuelen, "SECRET", 6));
	} else {
		assert_memory_equal(nv->value, want[d->f].value, nv->valuelen);
	}
	d->f++;
}

/* the requests in w decoded by nghttp2, each field checked against request i's */
static void check_decoded(const struct wire *w, int reqs, int mode, size_t *table)
{
	nghttp2_hd_inflater *inf;
	struct decoded d = { mode, 0, 0 };

	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	each_field(inf, w, HTTP2_PREFACE_LEN, check_field, &d);
	assert_int_equal(d.req, reqs);
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

/* one data record of w's bytes on socket sock, scrubbed as a trace stores it; the payload back in w */
static void scrub_rec_on(struct scrub *sc, uint8_t source, uint64_t sock, struct wire *w)
{
	static uint8_t rec[sizeof(struct am_data) + 4096];
	struct am_data d = { 0 };
	const uint8_t *out;
	size_t got;

	assert_true(w->n <= 4096);
	d.hdr.type = AM_EV_DATA;
	d.hdr.pid = 77;
	d.hdr.size = (uint16_t)(sizeof(d) + w->n);
	d.sock_id = sock;
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

static void scrub_rec(struct scrub *sc, uint8_t source, struct wire *w)
{
	scrub_rec_on(sc, source, 9, w);
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
	/* a bad preface: the secret after it is masked, the octet that differs kept */
	h = scrub_h2_new(true, &held);
	memcpy(w.b, "PRI * HTTP/1.1\r\nCookie: SECRET", 31);
	scrub_h2_feed(h, w.b, 31, 31);
	assert_memory_equal(w.b, "PRI * HTTP/1", 12);
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

struct named {
	const char *name;
	char *value;
	size_t got;
};

static void named_field(void *arg, const nghttp2_nv *nv)
{
	struct named *n = arg;

	if (nv && nv->namelen == strlen(n->name) && !memcmp(nv->name, n->name, nv->namelen)) {
		assert_true(nv->valuelen < 256);
		memcpy(n->value, nv->value, nv->valuelen);
		n->got = nv->valuelen;
	}
}

/* the value of the last field named name in w's header blocks (from its start, after
 * the preface when it has one), decoded by nghttp2 into value (256 bytes); its length */
static size_t field_value(const struct wire *w, const char *name, char *value)
{
	nghttp2_hd_inflater *inf;
	struct named n = { name, value, 0 };

	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	each_field(inf, w, w->n >= HTTP2_PREFACE_LEN && http2_is_preface(w->b, w->n) ?
			   HTTP2_PREFACE_LEN : 0, named_field, &n);
	nghttp2_hd_inflate_del(inf);
	return n.got;
}

/* a client's preface, SETTINGS and one request of n fields (HEADERS, END_HEADERS) */
static void request_wire(struct wire *w, const nghttp2_nv *nv, size_t n)
{
	nghttp2_hd_deflater *def;
	uint8_t blk[4096];
	ssize_t k;

	memcpy(w->b, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
	w->n = HTTP2_PREFACE_LEN;
	frame(w, 4, 0, 0, NULL, 0, 0);
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	k = nghttp2_hd_deflate_hd(def, blk, sizeof(blk), nv, n);
	nghttp2_hd_deflate_del(def);
	assert_true(k > 0);
	frame(w, 1, 0x04, 1, blk, (size_t)k, 0);
}

/* orig fed in two records cut at octet cut (none when cut >= orig->n), into w */
static uint64_t feed_two(const struct wire *orig, struct wire *w, size_t cut)
{
	size_t held = 0;
	struct scrub_h2 *h = scrub_h2_new(true, &held);
	uint64_t kept;

	*w = *orig;
	cut = cut < w->n ? cut : w->n;
	scrub_h2_feed(h, w->b, cut, cut);
	scrub_h2_feed(h, w->b + cut, w->n - cut, w->n - cut);
	kept = scrub_h2_cut_kept(h);
	scrub_h2_free(h);
	return kept;
}

/* secret query parameters of :path (Huffman-coded, and raw: '~' makes Huffman longer) are
 * masked at any cut, the rest of the path as sent and redact_query's view the same */
static void test_path_query(void **state)
{
	static const char *const paths[] = {
		"/v1/x?q=1&api_key=SECRETqueryAbcdefgh&Access_Token=SECRETqueryB;n=2&sig=SECRETs#f",
		"/v1/~~~~~~~~~?key=SECRET~~~~~~~~~~~~~~&n=~~~~~~~~&password=SECRET~~~~",
	};
	static struct wire orig, w;

	for (size_t i = 0; i < 2; i++) {
		nghttp2_nv nv[2] = {
			{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
			{ (uint8_t *)":path", (uint8_t *)paths[i], 5, strlen(paths[i]), 0 },
		};
		char got[256], a[512], b[512];

		request_wire(&orig, nv, 2);
		for (size_t cut = HTTP2_PREFACE_LEN + 9; cut <= orig.n; cut++) {
			size_t n;

			feed_two(&orig, &w, cut);
			n = field_value(&w, ":path", got);
			assert_int_equal(n, strlen(paths[i]));
			assert_null(memmem(got, n, "SECRET", 6));
			redact_query(got, n, a, sizeof(a));
			redact_query(paths[i], n, b, sizeof(b));
			assert_string_equal(a, b);
		}
	}
}

/* a secret Huffman value cut by a record boundary anywhere: no octet of it is left as it was,
 * the symbol the cut splits included (its first bits stored, the rest made another symbol) */
static void test_cut_symbol(void **state)
{
	static const char secret[] = "Bearer SECRETabcdefghijklmnopqrstuvw";
	static struct wire orig, w;
	nghttp2_nv nv[2] = {
		{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
		{ (uint8_t *)"authorization", (uint8_t *)secret, 13, sizeof(secret) - 1, 0 },
	};
	char got[256];

	request_wire(&orig, nv, 2);
	for (size_t cut = HTTP2_PREFACE_LEN + 9; cut <= orig.n; cut++) {
		assert_int_equal(feed_two(&orig, &w, cut), 0);
		assert_int_equal(field_value(&w, "authorization", got), sizeof(secret) - 1);
		for (size_t k = 0; k < sizeof(secret) - 1; k++)
			assert_int_not_equal(got[k], secret[k]);
	}
}

/* a HEADERS frame (stream sid) with one literal field of raw strings, not indexed */
static void raw_headers(struct wire *w, uint32_t sid, const char *name, const char *value)
{
	uint8_t blk[256];
	size_t n = 0, nl = strlen(name), vl = strlen(value);

	assert_true(nl < 127 && vl < 127);
	blk[n++] = 0x00;
	blk[n++] = (uint8_t)nl;
	memcpy(blk + n, name, nl);
	n += nl;
	blk[n++] = (uint8_t)vl;
	memcpy(blk + n, value, vl);
	n += vl;
	frame(w, 1, 0x04, sid, blk, n, 0);
}

/* a client's frames met without their preface (recording begun mid-connection, the
 * preface's record lost) are HTTP/2 all the same: secret values masked, counted */
static void test_no_preface(void **state)
{
	static struct wire w, rest;
	struct scrub *sc = malloc(sizeof(*sc));
	size_t t;

	assert_true(sc && !scrub_init(sc));
	client_wire(&w, 2, 16384);
	rest.n = w.n - HTTP2_PREFACE_LEN;
	memcpy(rest.b, w.b + HTTP2_PREFACE_LEN, rest.n);
	scrub_rec(sc, AM_DATA_TLS_SEND, &rest);
	assert_int_equal(sc->h2_resumed, 1);
	memcpy(w.b + HTTP2_PREFACE_LEN, rest.b, rest.n);
	check_decoded(&w, 2, NONE_LEFT, &t);
	/* a stream whose first record seen begins inside a frame (not text): HTTP/2 at
	 * its first record that starts with frames */
	memcpy(rest.b, "a\":2}", 5);
	rest.n = 5;
	scrub_rec_on(sc, AM_DATA_TLS_SEND, 10, &rest);
	rest.n = 0;
	raw_headers(&rest, 3, "x-api-key", "SECRETafter-cut~~~");
	scrub_rec_on(sc, AM_DATA_TLS_SEND, 10, &rest);
	assert_null(memmem(rest.b, rest.n, "SECRET", 6));
	assert_int_equal(sc->h2_resumed, 2);
	scrub_release(sc);
	free(sc);
}

/* review finding (5): an HTTP/2 stream whose state is evicted to make room comes back
 * as HTTP/2, never as text: a secret after the eviction never reaches the stored bytes,
 * whether its record starts with a frame or in the middle of one */
static void test_evicted(void **state)
{
	static struct wire w, pre;
	struct scrub *sc = malloc(sizeof(*sc));
	uint64_t sock = 1000;

	assert_true(sc && !scrub_init(sc));
	client_wire(&w, 1, 16384);
	scrub_rec(sc, AM_DATA_TLS_SEND, &w);
	/* other HTTP/2 connections until this one's state is evicted */
	while (scrub_kept(sc, 77, AM_DATA_TLS_SEND, 9, 5)) {
		pre.n = 0;
		memcpy(pre.b, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
		pre.n = HTTP2_PREFACE_LEN;
		scrub_rec_on(sc, AM_DATA_TLS_SEND, sock++, &pre);
		assert_true(sock < 1000 + 64 * SCRUB_STREAMS);
	}
	assert_true(sc->evicted > 0);
	/* the rest of a DATA frame, then a HEADERS frame whose secret is sent raw */
	memcpy(w.b, "a\":2}", 5);
	w.n = 5;
	raw_headers(&w, 3, "x-api-key", "SECRETafter-eviction~~~");
	scrub_rec(sc, AM_DATA_TLS_SEND, &w);
	assert_null(memmem(w.b, w.n, "SECRET", 6));
	/* the next record starts with a frame: followed again, the secret masked, a probe kept */
	w.n = 0;
	raw_headers(&w, 5, "x-api-key", "SECRETafter-resync~~~");
	raw_headers(&w, 7, "x-probe", "probe~~~");
	scrub_rec(sc, AM_DATA_TLS_SEND, &w);
	assert_null(memmem(w.b, w.n, "SECRET", 6));
	assert_non_null(memmem(w.b, w.n, "probe~~~", 8));
	assert_true(sc->h2_resumed >= 1);
	scrub_release(sc);
	free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_blocks),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_lost_block),
		cmocka_unit_test(test_lost_framing),
		cmocka_unit_test(test_path_query),
		cmocka_unit_test(test_cut_symbol),
		cmocka_unit_test(test_no_preface),
		cmocka_unit_test(test_evicted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
