// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* exchange.c - one model API exchange's bodies; see exchange.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "exchange.h"

struct body {
	char *buf;
	size_t len, cap;
	uint64_t missed;       /* bytes not kept */
};

struct exchange {
	enum llm_api api;
	uint64_t *held;        /* the shared budget's bytes held */
	char path[512];
	int64_t req_len;       /* request Content-Length, -1 unknown */
	uint64_t req_seen;     /* request body bytes that went by */
	struct body req, resp;
	int64_t resp_len;      /* response body Content-Length, -1 unknown */
	size_t resp_head;      /* bytes of the response head, 0 until it ended */
	bool chunked;
	char enc[16];          /* the answer's Content-Encoding (lower case), "": none */
	bool h2;               /* bodies only (HTTP/2 DATA): no head, no chunks */
};

struct exchange *exchange_new(enum llm_api api, const char *path, size_t path_len,
			      int64_t content_length, uint64_t *held)
{
	struct exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->api = api;
	if (path_len >= sizeof(x->path))
		path_len = sizeof(x->path) - 1;
	memcpy(x->path, path, path_len);
	x->req_len = content_length;
	x->resp_len = -1;
	x->held = held;
	return x;
}

struct exchange *exchange_new_h2(enum llm_api api, const char *path, size_t path_len,
				 uint64_t *held)
{
	struct exchange *x = exchange_new(api, path, path_len, -1, held);

	if (x)
		x->h2 = true;
	return x;
}

size_t exchange_mem(const struct exchange *x)
{
	return x ? sizeof(*x) + x->req.cap + x->resp.cap : 0;
}

void exchange_free(struct exchange *x)
{
	if (!x)
		return;
	*x->held -= x->req.cap + x->resp.cap;
	free(x->req.buf);
	free(x->resp.buf);
	free(x);
}

/* keep cap bytes of a piece of ret bytes (within the budget of held); the
 * rest is missed */
static void body_add(struct body *b, uint64_t *held, const uint8_t *buf, size_t cap, uint64_t ret)
{
	size_t n = cap;

	if (ret < cap)
		n = cap = (size_t)ret;
	if (b->len + n > LLM_BODY_MAX)
		n = LLM_BODY_MAX - b->len;
	if (!n) { /* nothing captured (a count-only record), or past the bound */
		b->missed += ret;
		return;
	}
	if (b->len + n > b->cap) {
		size_t want = b->cap ? b->cap : 4096;
		char *p;

		while (want < b->len + n)
			want *= 2;
		if (want > LLM_BODY_MAX)
			want = LLM_BODY_MAX;
		if (*held + want - b->cap > EXCHANGE_BUDGET || !(p = realloc(b->buf, want + 1))) {
			b->missed += ret;
			return;
		}
		*held += want - b->cap;
		b->buf = p;
		b->cap = want;
	}
	memcpy(b->buf + b->len, buf, n);
	b->len += n;
	b->buf[b->len] = '\0';
	b->missed += ret - n;
}

void exchange_send(struct exchange *x, const uint8_t *buf, size_t cap, uint64_t ret)
{
	if (x->resp.len || x->resp.missed)
		return; /* a later request's bytes: the caller starts another exchange */
	x->req_seen += ret;
	body_add(&x->req, x->held, buf, cap, ret);
}

/* the value of header name in the head h (n bytes), or NULL */
static const char *header(const char *h, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = h; p && p < h + n;) {
		const char *eol = memchr(p, '\n', (size_t)(h + n - p));

		if (eol && (size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':')
			return p + nl + 1;
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* the encoding a Content-Encoding value v names (its first token, lower
 * case; "identity": none) */
static void enc_set(struct exchange *x, const char *v)
{
	size_t n = 0;

	v += strspn(v, " \t");
	while (n < sizeof(x->enc) - 1 && (isalnum((unsigned char)v[n]) || v[n] == '-')) {
		x->enc[n] = (char)tolower((unsigned char)v[n]);
		n++;
	}
	x->enc[n] = '\0';
	if (!strcmp(x->enc, "identity"))
		x->enc[0] = '\0';
}

/* the response head ended in what was kept: its framing */
static void resp_head(struct exchange *x)
{
	const char *b = x->resp.buf, *end, *v;

	if (x->resp_head || !b || !(end = strstr(b, "\r\n\r\n")))
		return;
	x->resp_head = (size_t)(end + 4 - b);
	if ((v = header(b, x->resp_head, "content-length")))
		x->resp_len = strtoll(v, NULL, 10);
	if ((v = header(b, x->resp_head, "transfer-encoding")))
		x->chunked = !!strstr(v, "chunked"); /* may pass the line: harmless */
	if ((v = header(b, x->resp_head, "content-encoding")))
		enc_set(x, v);
}

void exchange_recv(struct exchange *x, const uint8_t *buf, size_t cap, uint64_t ret)
{
	body_add(&x->resp, x->held, buf, cap, ret);
	if (!x->h2)
		resp_head(x);
}

bool exchange_answered(const struct exchange *x)
{
	return x->resp.len || x->resp.missed;
}

bool exchange_done(const struct exchange *x)
{
	uint64_t body;

	if (!x->resp_head)
		return false; /* HTTP/2: never (the stream's end says) */
	body = x->resp.len - x->resp_head + x->resp.missed;
	if (x->resp_len >= 0)
		return body >= (uint64_t)x->resp_len;
	return x->chunked && x->resp.len >= 5 &&
	       !memcmp(x->resp.buf + x->resp.len - 5, "0\r\n\r\n", 5);
}

/* de-chunk s (n bytes) in place; the bytes of data */
static size_t dechunk(char *s, size_t n)
{
	size_t in = 0, out = 0;

	while (in < n) {
		char *end;
		unsigned long long sz = strtoull(s + in, &end, 16);
		const char *eol = memchr(s + in, '\n', n - in);

		if (end == s + in || !eol || !sz)
			break;
		in = (size_t)(eol - s) + 1;
		if (sz > n - in)
			sz = n - in; /* cut: what there is */
		memmove(s + out, s + in, (size_t)sz);
		out += (size_t)sz;
		in += (size_t)sz;
		in += in < n && s[in] == '\r';
		in += in < n && s[in] == '\n';
	}
	s[out] = '\0';
	return out;
}

/*
 * inflate the n bytes at in (gzip; deflate: zlib's format, else raw) into a
 * new buffer (the caller frees it) of at most LLM_BODY_MAX bytes, *len of
 * them; *cut when it decoded to more (a bomb stops there).  A stream that
 * breaks off (a gap in the capture) gives what came before.  NULL when
 * nothing decodes, or out of memory.
 */
static char *inflate_body(const char *in, size_t n, bool gzip, size_t *len, bool *cut)
{
	char *out = malloc(LLM_BODY_MAX + 1);

	for (int raw = 0; out && raw < 1 + !gzip; raw++) {
		z_stream z = { .next_in = (Bytef *)in, .avail_in = (uInt)n,
			       .next_out = (Bytef *)out, .avail_out = LLM_BODY_MAX };
		int rc;

		if (inflateInit2(&z, gzip ? 16 + MAX_WBITS : raw ? -MAX_WBITS : MAX_WBITS) != Z_OK)
			break;
		rc = inflate(&z, Z_FINISH);
		*len = LLM_BODY_MAX - z.avail_out;
		*cut = rc != Z_STREAM_END && !z.avail_out;
		inflateEnd(&z);
		if (rc == Z_STREAM_END || *len) {
			out[*len] = '\0';
			return out;
		}
	}
	free(out);
	return NULL;
}

/*
 * the answer (n bytes at b) as the parser reads it: b when not encoded, a
 * decoded copy (the caller frees it), or NULL when it cannot be read; the
 * encoding is named in out.  An HTTP/2 answer's headers are not kept: gzip
 * and zstd are known by their magic (a JSON or SSE answer never starts so)
 */
static char *answer_plain(struct exchange *x, struct llm *out, char *b, size_t *n)
{
	bool gzip;

	if (!x->enc[0] && *n >= 4 && !memcmp(b, "\x1f\x8b\x08", 3))
		strcpy(x->enc, "gzip");
	else if (!x->enc[0] && *n >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4))
		strcpy(x->enc, "zstd");
	if (!x->enc[0])
		return b;
	memcpy(out->encoding, x->enc, sizeof(out->encoding));
	gzip = !strcmp(x->enc, "gzip") || !strcmp(x->enc, "x-gzip");
	if (gzip || !strcmp(x->enc, "deflate"))
		b = inflate_body(b, *n, gzip, n, &out->inflate_cut);
	else
		b = NULL;
	out->encoding_unread = !b;
	return b;
}

uint64_t exchange_decode(struct exchange *x, struct llm *out)
{
	bool whole = !x->req.missed && (x->req_len < 0 || x->req_seen >= (uint64_t)x->req_len);

	llm_init(out, x->api, x->path, strlen(x->path));
	if (x->req.len)
		llm_request(out, x->req.buf, x->req.len, whole);
	if ((x->resp_head || x->h2) && x->resp.len > x->resp_head) {
		char *b = x->resp.buf + x->resp_head;
		size_t n = x->resp.len - x->resp_head;

		char *plain;

		if (x->chunked)
			n = dechunk(b, n);
		if ((plain = answer_plain(x, out, b, &n)))
			llm_response(out, plain, n);
		if (plain != b)
			free(plain);
	}
	llm_finish(out);
	return x->req.missed + x->resp.missed;
}
