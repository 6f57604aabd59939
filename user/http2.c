// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * http2.c - HTTP/2 framing and header blocks from captured bytes (see
 * http2.h), RFC 9113 and RFC 7541.
 *
 * Framing is a small state machine fed byte ranges: a 9-byte frame header,
 * then the payload.  Only header-bearing payloads (HEADERS, CONTINUATION,
 * PUSH_PROMISE) are kept, in c->blk, where each frame's padding and
 * priority fields are stripped at its end.  Bytes that were not captured
 * move the machine by count: inside a payload they mark a kept block as cut;
 * over a frame header they lose the framing.
 */
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "http1.h"
#include "http2.h"

#define FRAME_HDR      9
#define BLK_INIT       4096    /* a block's first buffer (freed after the block) */
#define TABLE_MAX      65536   /* accept dynamic table size updates up to this */
#define STATIC_ENTRIES 61
#define ONE_MAX        4200    /* a representation re-encoded by the fallback */

enum { T_DATA, T_HEADERS, T_PRIORITY, T_RST, T_SETTINGS, T_PUSH, T_PING, T_GOAWAY,
       T_WINDOW, T_CONT, T_KNOWN };
#define F_END_STREAM  0x01
#define F_ACK         0x01
#define F_END_HEADERS 0x04
#define F_PADDED      0x08
#define F_PRIORITY    0x20

struct stream {
	uint32_t id;           /* 0: free */
	uint64_t bytes;
};

/* the pseudo-headers of the block being decoded */
struct fields {
	char method[32], scheme[16], authority[256], path[HTTP2_PATH_MAX];
	int status;
};

struct http2_conn {
	enum http2_dir dir;
	struct http2_callbacks cb;
	void *ctx;
	nghttp2_hd_inflater *inflater;
	nghttp2_hd_inflater *scratch;   /* the fallback's: static table only */
	/* framing */
	uint8_t hdr[FRAME_HDR];
	size_t hdr_have;
	bool in_payload, started, desync;
	size_t preface_have;
	uint32_t flen, fgot, fstream;
	uint8_t ftype, fflags;
	int fpad;                      /* DATA: pad length, -1 none or unknown */
	uint8_t fhead[8];              /* GOAWAY: its first payload bytes */
	uint32_t fhead_have;           /* of them, captured in a row from the start */
	/* header block: HEADERS/PUSH_PROMISE + CONTINUATION */
	uint8_t *blk;
	size_t blk_len, blk_cap, fstart;
	bool blk_open, blk_cut, blk_end_stream, blk_push;
	uint32_t blk_stream;
	struct stream streams[HTTP2_STREAMS];
	struct fields f;
	struct http2_stats st;
};

/* header block bytes held by every connection (the pipeline's one thread) */
static struct http2_totals totals;

void http2_totals(struct http2_totals *t)
{
	*t = totals;
}

/* the block buffer freed (blocks are rare: none is kept between them) */
static void blk_release(struct http2_conn *c)
{
	free(c->blk);
	totals.held -= c->blk_cap;
	c->blk = NULL;
	c->blk_cap = 0;
}

/*
 * room for n more block bytes within HTTP2_BLOCK_MAX for this block and
 * HTTP2_BLOCKS_TOTAL for all; false when there is none (or no memory)
 */
static bool blk_room(struct http2_conn *c, size_t n)
{
	size_t need = c->blk_len + n, cap = c->blk_cap ? c->blk_cap : BLK_INIT;
	uint8_t *b;

	if (need <= c->blk_cap)
		return true;
	while (cap < need && cap < HTTP2_BLOCK_MAX)
		cap *= 2;
	if (cap > HTTP2_BLOCK_MAX)
		cap = HTTP2_BLOCK_MAX;
	if (cap <= c->blk_cap || totals.held - c->blk_cap + cap > HTTP2_BLOCKS_TOTAL)
		return false;
	b = realloc(c->blk, cap);
	if (!b)
		return false;
	totals.held += cap - c->blk_cap;
	c->blk = b;
	c->blk_cap = cap;
	return need <= cap;
}

#define INFLATER_BASE 512   /* an nghttp2 inflater without its table, about */

size_t http2_conn_mem(const struct http2_conn *c)
{
	if (!c)
		return 0;
	return sizeof(*c) + c->blk_cap + 2 * INFLATER_BASE +
	       (c->inflater ? nghttp2_hd_inflate_get_dynamic_table_size(c->inflater) : 0) +
	       (c->scratch ? nghttp2_hd_inflate_get_dynamic_table_size(c->scratch) : 0);
}

bool http2_is_preface(const uint8_t *buf, size_t len)
{
	return !memcmp(buf, HTTP2_PREFACE, len < HTTP2_PREFACE_LEN ? len : HTTP2_PREFACE_LEN);
}

static nghttp2_hd_inflater *inflater_new(void)
{
	nghttp2_hd_inflater *inf;

	if (nghttp2_hd_inflate_new(&inf))
		return NULL;
	nghttp2_hd_inflate_change_table_size(inf, TABLE_MAX);
	return inf;
}

struct http2_conn *http2_conn_new(enum http2_dir dir, const struct http2_callbacks *cb,
				  void *ctx)
{
	struct http2_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dir = dir;
	if (cb)
		c->cb = *cb;
	c->ctx = ctx;
	c->inflater = inflater_new();
	c->scratch = inflater_new();
	c->st.in_sync = true;
	if (!c->inflater || !c->scratch) {
		http2_conn_free(c);
		return NULL;
	}
	return c;
}

void http2_conn_free(struct http2_conn *c)
{
	if (!c)
		return;
	if (c->inflater)
		nghttp2_hd_inflate_del(c->inflater);
	if (c->scratch)
		nghttp2_hd_inflate_del(c->scratch);
	blk_release(c);
	free(c);
}

void http2_conn_stats(const struct http2_conn *c, struct http2_stats *st)
{
	*st = c->st;
	st->in_sync = !c->desync;
}

/* ---- streams ---- */

static struct stream *stream_get(struct http2_conn *c, uint32_t id, bool create)
{
	struct stream *victim = &c->streams[0];

	for (size_t i = 0; i < HTTP2_STREAMS; i++) {
		struct stream *s = &c->streams[i];

		if (s->id == id)
			return s;
		if (victim->id && (!s->id || s->id < victim->id))
			victim = s;   /* a free slot, else the oldest stream */
	}
	if (!create)
		return NULL;
	victim->id = id;
	victim->bytes = 0;
	return victim;
}

static void stream_end(struct http2_conn *c, uint32_t id)
{
	struct stream *s = stream_get(c, id, false);

	if (c->cb.body_end)
		c->cb.body_end(c->ctx, id, s ? s->bytes : 0);
	if (s)
		s->id = 0;
}

/* ---- header fields ---- */

static void copy_str(char *dst, size_t dsz, const uint8_t *s, size_t n)
{
	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool name_is(const nghttp2_nv *nv, const char *lit)
{
	return nv->namelen == strlen(lit) && !memcmp(nv->name, lit, nv->namelen);
}

static void set_authority(struct fields *f, const uint8_t *v, size_t n)
{
	size_t hl;
	const char *h = http1_host((const char *)v, n, &hl);

	if (h)
		copy_str(f->authority, sizeof(f->authority), (const uint8_t *)h, hl);
}

/* "200" -> 200; 0 unless three digits from 100 */
static int status_code(const uint8_t *v)
{
	int x = 0;

	for (int i = 0; i < 3; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		x = x * 10 + v[i] - '0';
	}
	return x >= 100 ? x : 0;
}

static void field(struct fields *f, const nghttp2_nv *nv)
{
	if (name_is(nv, ":method"))
		copy_str(f->method, sizeof(f->method), nv->value, nv->valuelen);
	else if (name_is(nv, ":scheme"))
		copy_str(f->scheme, sizeof(f->scheme), nv->value, nv->valuelen);
	else if (name_is(nv, ":path"))
		copy_str(f->path, sizeof(f->path), nv->value, nv->valuelen);
	else if (name_is(nv, ":authority") || (name_is(nv, "host") && !f->authority[0]))
		set_authority(f, nv->value, nv->valuelen);
	else if (name_is(nv, ":status") && nv->valuelen == 3)
		f->status = status_code(nv->value);
}

/* a whole block through inf into c->f; 0, or -1 when inf failed (unusable now) */
static int inflate(nghttp2_hd_inflater *inf, const uint8_t *in, size_t len, struct fields *f)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t n = nghttp2_hd_inflate_hd2(inf, &nv, &flags, in, len, 1);

		if (n < 0)
			return -1;
		in += n;
		len -= (size_t)n;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			field(f, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			return 0;
		}
		if (!n && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			return -1;
	}
}

/* ---- the fallback: one representation at a time, static names only ---- */

/* an HPACK integer with an n-bit prefix at *pos; 1, 0 when cut, -1 when too big */
static int hpack_int(const uint8_t *p, size_t len, size_t *pos, int n, uint32_t *v)
{
	uint32_t mask = (1u << n) - 1;

	if (*pos >= len)
		return 0;
	*v = p[(*pos)++] & mask;
	if (*v < mask)
		return 1;
	for (int shift = 0;; shift += 7) {
		uint8_t b;

		if (*pos >= len)
			return 0;
		if (shift > 21)
			return -1;
		b = p[(*pos)++];
		*v += (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 1;
	}
}

static int hpack_str(const uint8_t *p, size_t len, size_t *pos)
{
	uint32_t n;
	int ok = hpack_int(p, len, pos, 7, &n);

	if (ok <= 0)
		return ok;
	if (n > len - *pos)
		return 0;
	*pos += n;
	return 1;
}

/* an integer with a 4-bit prefix and first bits 0000 into out; its length */
static size_t put_int4(uint8_t *out, uint32_t v)
{
	size_t k = 0;

	if (v < 15) {
		out[k++] = (uint8_t)v;
		return k;
	}
	out[k++] = 15;
	for (v -= 15; v >= 128; v >>= 7)
		out[k++] = (uint8_t)(v | 0x80);
	out[k++] = (uint8_t)v;
	return k;
}

/* decode one re-encoded representation with the scratch inflater */
static void fallback_one(struct http2_conn *c, const uint8_t *one, size_t n)
{
	if (!inflate(c->scratch, one, n, &c->f))
		return;
	nghttp2_hd_inflate_del(c->scratch);
	c->scratch = inflater_new();
}

/*
 * The representation at *pos: re-encoded into one[] when it needs no
 * dynamic table (indexed static entry, or literal with a static or literal
 * name, turned into "without indexing").  Returns its length, 0 to skip
 * it, -1 when the block ends inside it.
 */
static long fallback_rep(const uint8_t *p, size_t len, size_t *pos, uint8_t *one)
{
	size_t start = *pos, name_at;
	uint32_t idx;
	uint8_t b = p[start];
	int ok, prefix = b & 0x80 ? 7 : (b & 0xc0) == 0x40 ? 6 : (b & 0xe0) == 0x20 ? 5 : 4;

	if ((ok = hpack_int(p, len, pos, prefix, &idx)) <= 0)
		return -1;
	if (prefix == 5)                                 /* table size update */
		return 0;
	if (prefix == 7) {                               /* indexed */
		if (!idx || idx > STATIC_ENTRIES)
			return 0;
		memcpy(one, p + start, *pos - start);
		return (long)(*pos - start);
	}
	name_at = *pos;
	if ((!idx && hpack_str(p, len, pos) <= 0) || hpack_str(p, len, pos) <= 0)
		return -1;
	if (idx > STATIC_ENTRIES || *pos - name_at + 8 > ONE_MAX)
		return 0;
	ok = (int)put_int4(one, idx);
	memcpy(one + ok, p + name_at, *pos - name_at);
	return (long)(ok + *pos - name_at);
}

static void fallback(struct http2_conn *c, const uint8_t *p, size_t len)
{
	uint8_t one[ONE_MAX];
	size_t pos = 0;

	while (pos < len) {
		long n = fallback_rep(p, len, &pos, one);

		if (n < 0)
			return;
		if (n > 0)
			fallback_one(c, one, (size_t)n);
	}
}

/* ---- header blocks ---- */

static void report(struct http2_conn *c, bool partial)
{
	struct fields *f = &c->f;
	struct http2_req r = {
		.stream_id = c->blk_stream, .end_stream = c->blk_end_stream, .partial = partial,
		.method = f->method[0] ? f->method : NULL,
		.scheme = f->scheme[0] ? f->scheme : NULL,
		.authority = f->authority[0] ? f->authority : NULL,
		.path = f->path[0] ? f->path : NULL,
	};

	if (c->blk_push)
		return;
	if (c->dir == HTTP2_SERVER) {
		if (f->status && c->cb.response)
			c->cb.response(c->ctx, c->blk_stream, f->status);
	} else if (r.method || r.path || r.authority || !stream_get(c, c->blk_stream, false)) {
		/* a request, whole or not (trailers: a block on a requested stream) */
		stream_get(c, c->blk_stream, true);
		if (c->cb.request)
			c->cb.request(c->ctx, &r);
	}
	if (c->blk_end_stream)
		stream_end(c, c->blk_stream);
}

/*
 * A fresh inflater: entries the encoder adds from now on get the same
 * indexes in both tables (newest first), older ones fail to resolve instead
 * of resolving wrong.  NULL on allocation failure means every block falls
 * back until the next reset.
 */
static void table_reset(struct http2_conn *c)
{
	c->st.table_lost = true;
	if (c->inflater)
		nghttp2_hd_inflate_del(c->inflater);
	c->inflater = inflater_new();
}

/* the block in c->blk is whole (or as whole as it will get): decode it */
static void block_done(struct http2_conn *c)
{
	static const uint8_t none[1];
	const uint8_t *blk = c->blk ? c->blk : none;
	bool lost = c->blk_cut || !c->inflater;

	memset(&c->f, 0, sizeof(c->f));
	c->blk_open = false;
	if (!lost && !inflate(c->inflater, blk, c->blk_len, &c->f)) {
		c->st.blocks++;
		blk_release(c);
		report(c, false);
		return;
	}
	/* the table is lost: what the fallback finds, and a fresh inflater */
	c->st.blocks_lost++;
	table_reset(c);
	memset(&c->f, 0, sizeof(c->f));
	fallback(c, blk, c->blk_len);
	blk_release(c);
	report(c, true);
}

/* keep payload bytes of a header-bearing frame; past a bound the block is cut */
static void blk_add(struct http2_conn *c, const uint8_t *p, size_t n)
{
	if (c->blk_cut)         /* after a gap nothing lines up any more */
		return;
	if (!blk_room(c, n)) {
		c->blk_cut = true;
		c->st.blocks_over++;
		totals.blocks_over++;
		n = c->blk_cap - c->blk_len; /* what fits is kept for the fallback */
	}
	if (n)
		memcpy(c->blk + c->blk_len, p, n);
	c->blk_len += n;
}

/* strip the pad length, priority and promised id of the frame kept from fstart */
static void frame_strip(struct http2_conn *c)
{
	size_t got = c->blk_len - c->fstart, pre = 0, pad = 0, end;

	if (c->fflags & F_PADDED && c->ftype != T_CONT) {
		pre = 1;
		pad = got ? c->blk[c->fstart] : 0;
	}
	if (c->ftype == T_HEADERS && c->fflags & F_PRIORITY)
		pre += 5;
	if (c->ftype == T_PUSH)
		pre += 4;
	if (pre + pad > c->flen)             /* the lengths lie */
		c->blk_cut = true;
	end = c->blk_cut && pre + pad > c->flen ? 0 : c->flen - pad < got ? c->flen - pad : got;
	if (end <= pre) {
		c->blk_len = c->fstart;
		return;
	}
	memmove(c->blk + c->fstart, c->blk + c->fstart + pre, end - pre);
	c->blk_len = c->fstart + end - pre;
}

/* a header-bearing frame ended */
static void frame_block(struct http2_conn *c)
{
	frame_strip(c);
	if (c->fflags & F_END_HEADERS)
		block_done(c);
}

/* a header-bearing frame starts (a stray CONTINUATION is ignored) */
static void block_frame_begin(struct http2_conn *c)
{
	if (c->ftype != T_CONT) {
		c->blk_len = 0;
		c->blk_cut = false;
		c->blk_open = true;
		c->blk_stream = c->fstream;
		c->blk_push = c->ftype == T_PUSH;
		c->blk_end_stream = c->ftype == T_HEADERS && c->fflags & F_END_STREAM;
	}
	c->fstart = c->blk_len;
}

static bool is_block_type(uint8_t type)
{
	return type == T_HEADERS || type == T_PUSH || type == T_CONT;
}

/* ---- framing ---- */

static bool keeps_block(const struct http2_conn *c)
{
	return is_block_type(c->ftype) && c->blk_open && c->fstream == c->blk_stream;
}

bool http2_frame_plausible(const uint8_t *h, bool strict)
{
	uint32_t len = (uint32_t)h[0] << 16 | h[1] << 8 | h[2];
	uint32_t sid = (uint32_t)(h[5] & 0x7f) << 24 | h[6] << 16 | h[7] << 8 | h[8];
	uint8_t type = h[3];

	if (strict && (type >= T_KNOWN || h[5] & 0x80 || len > 1u << 20))
		return false;
	switch (type) {
	case T_DATA: case T_HEADERS: case T_CONT:
		return sid != 0;
	case T_PRIORITY: return sid && len == 5;
	case T_RST:      return sid && len == 4;
	case T_SETTINGS: return !sid && !(len % 6) && (!(h[4] & F_ACK) || !len);
	case T_PUSH:     return sid && len >= 4;
	case T_PING:     return !sid && len == 8;
	case T_GOAWAY:   return !sid && len >= 8;
	case T_WINDOW:   return len == 4;
	default:         return true;
	}
}

static void frame_end(struct http2_conn *c)
{
	c->in_payload = false;
	c->hdr_have = 0;
	if (keeps_block(c)) {
		frame_block(c);
	} else if (c->ftype == T_DATA) {
		struct stream *s = stream_get(c, c->fstream, true);

		s->bytes += c->flen - (c->fpad >= 0 && (uint32_t)c->fpad < c->flen ? c->fpad + 1u : 0u);
		if (c->fflags & F_END_STREAM)
			stream_end(c, c->fstream);
	} else if (c->ftype == T_RST) {
		if (stream_get(c, c->fstream, false))
			stream_end(c, c->fstream);
		if (c->cb.reset)
			c->cb.reset(c->ctx, c->fstream);
	} else if (c->ftype == T_GOAWAY && c->fhead_have == sizeof(c->fhead) && c->cb.goaway) {
		const uint8_t *h = c->fhead;

		c->cb.goaway(c->ctx, (uint32_t)(h[0] & 0x7f) << 24 | h[1] << 16 | h[2] << 8 | h[3],
			     (uint32_t)h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7]);
	}
}

/* a GOAWAY's first payload bytes (p NULL: not captured) */
static void fhead_add(struct http2_conn *c, const uint8_t *p, size_t n)
{
	size_t k = sizeof(c->fhead) - c->fhead_have;

	if (c->fgot != c->fhead_have || !k || !p)
		return; /* a gap (now or before: it never has them all), or it has them */
	memcpy(c->fhead + c->fhead_have, p, n < k ? n : k);
	c->fhead_have += (uint32_t)(n < k ? n : k);
}

/* the 9-byte header is in c->hdr: start the frame; false loses the framing */
static bool frame_begin(struct http2_conn *c)
{
	const uint8_t *h = c->hdr;

	if (!http2_frame_plausible(h, false))
		return false;
	c->st.frames++;
	c->flen = (uint32_t)h[0] << 16 | h[1] << 8 | h[2];
	c->ftype = h[3];
	c->fflags = h[4];
	c->fstream = (uint32_t)(h[5] & 0x7f) << 24 | h[6] << 16 | h[7] << 8 | h[8];
	c->fgot = 0;
	c->fpad = -1;
	c->fhead_have = 0;
	c->in_payload = true;
	if (c->blk_open && (c->ftype != T_CONT || c->fstream != c->blk_stream)) {
		c->blk_cut = true;               /* its CONTINUATION never came */
		block_done(c);
	}
	if (is_block_type(c->ftype))
		block_frame_begin(c);
	if (!c->flen)
		frame_end(c);
	return true;
}

/*
 * payload bytes [fgot, fgot + n) of a DATA frame to the data callback: those
 * of the data, between the pad length byte and the padding (when the pad
 * length was not captured, the padding is taken for data)
 */
static void data_bytes(struct http2_conn *c, const uint8_t *p, size_t n)
{
	size_t from = c->fgot, to = from + n;
	size_t lo = c->fflags & F_PADDED ? 1 : 0, hi = c->flen;

	if (c->fpad >= 0)
		hi = (size_t)c->fpad + lo <= c->flen ? c->flen - (size_t)c->fpad : lo;
	if (from < lo)
		from = lo;
	if (to > hi)
		to = hi;
	if (from >= to)
		return;
	c->cb.data(c->ctx, c->fstream, p ? p + (from - c->fgot) : NULL, p ? to - from : 0,
		   to - from);
}

/* payload bytes, captured (p) or not (p NULL) */
static void payload(struct http2_conn *c, const uint8_t *p, size_t n)
{
	if (c->ftype == T_DATA && c->fflags & F_PADDED && !c->fgot && p)
		c->fpad = p[0];
	if (c->ftype == T_DATA && c->cb.data)
		data_bytes(c, p, n);
	if (c->ftype == T_GOAWAY)
		fhead_add(c, p, n);
	if (keeps_block(c)) {
		if (p)
			blk_add(c, p, n);
		else
			c->blk_cut = true;
	}
	c->fgot += (uint32_t)n;
	if (c->fgot == c->flen)
		frame_end(c);
}

/* header blocks may pass unseen: the table is lost too */
static void lose_framing(struct http2_conn *c)
{
	c->desync = true;
	c->in_payload = false;
	c->hdr_have = 0;
	if (c->blk_open) {
		c->blk_cut = true;
		block_done(c);
	}
	table_reset(c);
}

/* the client preface, possibly across feeds; bytes used, or -1 if it is not one */
static long preface(struct http2_conn *c, const uint8_t *p, size_t n)
{
	size_t k = HTTP2_PREFACE_LEN - c->preface_have;

	if (k > n)
		k = n;
	if (memcmp(p, &HTTP2_PREFACE[c->preface_have], k))
		return -1;
	c->preface_have += k;
	return (long)k;
}

/* captured bytes in order; false when the framing was lost in them */
static bool consume(struct http2_conn *c, const uint8_t *p, size_t n)
{
	if (!c->started) {
		c->started = true;
		if (c->dir == HTTP2_CLIENT && p[0] == 'P')
			c->preface_have = 0;
		else
			c->preface_have = HTTP2_PREFACE_LEN;
		/* joined late: the encoder's table has entries we never saw */
		if (c->dir == HTTP2_CLIENT && p[0] != 'P')
			c->st.table_lost = true;
	}
	while (n) {
		size_t k;

		if (c->preface_have < HTTP2_PREFACE_LEN) {
			long used = preface(c, p, n);

			if (used < 0)
				return false;
			p += used;
			n -= (size_t)used;
			continue;
		}
		if (!c->in_payload) {
			k = FRAME_HDR - c->hdr_have < n ? FRAME_HDR - c->hdr_have : n;
			memcpy(c->hdr + c->hdr_have, p, k);
			c->hdr_have += k;
			if (c->hdr_have == FRAME_HDR && !frame_begin(c))
				return false;
		} else {
			k = c->flen - c->fgot < n ? c->flen - c->fgot : n;
			payload(c, p, k);
		}
		p += k;
		n -= k;
	}
	return true;
}

/* bytes that were not captured; false when a frame header was among them */
static bool skip(struct http2_conn *c, uint64_t n)
{
	while (n) {
		size_t k;

		if (!c->in_payload || c->preface_have < HTTP2_PREFACE_LEN)
			return false;
		k = c->flen - c->fgot < n ? c->flen - c->fgot : (size_t)n;
		payload(c, NULL, k);
		n -= k;
	}
	return true;
}

/* after a loss: does this feed start where a frame does? */
static bool resync(struct http2_conn *c, const uint8_t *buf, size_t n)
{
	if (n < FRAME_HDR || !http2_frame_plausible(buf, true))
		return false;
	c->desync = false;
	c->preface_have = HTTP2_PREFACE_LEN;
	c->st.resyncs++;
	return true;
}

int http2_conn_feed(struct http2_conn *c, const uint8_t *buf, size_t cap_len, uint64_t ret)
{
	if (cap_len > ret)
		cap_len = (size_t)ret;
	if (!cap_len && !ret)
		return c->desync ? -1 : 0;
	if (c->desync && !resync(c, buf, cap_len))
		return -1;
	if ((cap_len && !consume(c, buf, cap_len)) || !skip(c, ret - cap_len)) {
		lose_framing(c);
		return -1;
	}
	return 0;
}
