// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* reasm.c - HTTP/1 request heads from pieces of a byte stream; see reasm.h. */
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

enum { ST_HEAD = 0, ST_BODY, ST_CHUNKED, ST_LOST };

struct reasm {
	size_t head_max, budget;
	struct reasm_stats st;
};

/* what one step of a piece did */
struct step {
	struct reasm *r;
	struct reasm_stream *s;
	reasm_head_fn cb;
	void *arg;
};

struct reasm *reasm_new(size_t head_max, size_t budget)
{
	struct reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->head_max = head_max ? head_max : REASM_HEAD_MAX;
	r->budget = budget ? budget : REASM_BUDGET;
	return r;
}

void reasm_free(struct reasm *r)
{
	free(r);
}

static void buf_clear(struct reasm *r, struct reasm_stream *s)
{
	r->st.held -= s->len;
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
	s->line = false;
}

void reasm_release(struct reasm *r, struct reasm_stream *s)
{
	if (s->len)
		r->st.evicted++;
	buf_clear(r, s);
}

bool reasm_idle(const struct reasm_stream *s)
{
	return (s->state == ST_HEAD && !s->len) || s->state == ST_LOST;
}

void reasm_stats(const struct reasm *r, struct reasm_stats *st)
{
	*st = r->st;
}

/* append n bytes to the head buffer; false when the budget or memory is out */
static bool stash(struct reasm *r, struct reasm_stream *s, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (r->st.held + n > r->budget) {
		r->st.budget_full++;
		return false;
	}
	if (!(b = realloc(s->buf, s->len + n)))
		return false;
	memcpy(b + s->len, p, n);
	s->buf = b;
	s->len += (uint32_t)n;
	r->st.held += n;
	return true;
}

/* the state after a complete head: its body, or a tunnel, or lost */
static void frame_next(struct reasm_stream *s, const struct http1_req *req)
{
	s->state = ST_HEAD;
	if (s->resync || http1_header_find(req, "upgrade")) {
		s->state = ST_LOST;   /* no body length is trusted; another protocol */
	} else if (req->method_len == 7 && !memcmp(req->method, "CONNECT", 7)) {
		s->http = false;      /* the tunnel's bytes: a new stream */
	} else if (req->chunked) {
		memset(&s->chunked, 0, sizeof(s->chunked));
		s->state = ST_CHUNKED;
	} else if (req->content_length > 0) {
		s->body_left = (uint64_t)req->content_length;
		s->state = ST_BODY;
	}
}

/* a head ended (how: end): to the callback, then the stream moves on */
static void head_done(struct step *t, const struct http1_req *req, enum reasm_end end)
{
	struct reasm_head h = { .req = req, .end = end, .resync = t->s->resync };

	t->r->st.heads++;
	if (end != REASM_COMPLETE)
		t->r->st.incomplete++;
	t->cb(t->arg, &h);
	if (end == REASM_COMPLETE) {
		t->s->http = true;
		frame_next(t->s, req);
	} else {
		t->s->state = ST_LOST;
	}
	t->s->resync = false;
	buf_clear(t->r, t->s);
}

/* bytes that cannot start a request where one must start */
static void not_request(struct step *t, const struct http1_req *req, int rc)
{
	if (rc < 0 || (t->s->http && !t->s->resync)) {
		head_done(t, req, REASM_MALFORMED);
		return;
	}
	t->s->state = ST_LOST;  /* not HTTP (yet): its bytes are only counted */
	t->s->resync = false;
	buf_clear(t->r, t->s);
}

/*
 * Is the buffer worth parsing again after bytes came from offset old?  The
 * parse starts over each time, so a head written a byte at a time must not
 * cost a parse per byte: once the request line is known, only an empty line
 * (the end of the head) can change the outcome; before, only a line end or
 * the first bytes (method, target start: "not HTTP" is told early).
 */
static bool worth_parsing(const struct reasm_stream *s, size_t old)
{
	size_t from = old >= 3 ? old - 3 : 0;
	const uint8_t *p = s->buf + from, *end = s->buf + s->len;

	if (old < 64)
		return true;
	if (!s->line)
		return memchr(s->buf + old, '\n', s->len - old) != NULL;
	for (; (p = memchr(p, '\n', (size_t)(end - p))) && ++p < end;)
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return true;
	return false;
}

/* the bytes of a head: returns how many of p it used (0: p is lost) */
static size_t head_bytes(struct step *t, const uint8_t *p, size_t len)
{
	struct reasm_stream *s = t->s;
	size_t old = s->len, take = len, n;
	const uint8_t *b = p;
	struct http1_req req;
	int rc;

	if (old) {
		take = len < t->r->head_max - old ? len : t->r->head_max - old;
		if (!stash(t->r, s, p, take))
			take = 0;
		if (take == len && !worth_parsing(s, old))
			return take;
		b = s->buf;
		n = s->len;
	} else {
		n = take = len < t->r->head_max ? len : t->r->head_max;
	}
	rc = http1_parse_request(b, n, &req);
	if (rc == 1 && req.head_complete) {
		size_t used = req.head_len > old ? req.head_len - old : 0;

		head_done(t, &req, REASM_COMPLETE);
		return used;
	}
	if (rc < 0 || (rc == 0 && !req.partial)) {
		not_request(t, &req, rc);
		return 0;
	}
	if (req.lead == n && take == len) {
		buf_clear(t->r, s);   /* only empty lines (RFC 9112 2.2): nothing to keep */
		return take;
	}
	s->line = req.line_complete;
	if (take == len && (old || stash(t->r, s, p, take)))
		return take;  /* the head goes on in the next piece */
	head_done(t, &req, REASM_OVERFLOW);
	return 0;
}

/* the bytes of a chunked body: how many it used; 0 and lost when broken */
static size_t chunked_bytes(struct step *t, const uint8_t *p, size_t len)
{
	bool done;
	long n = http1_chunked_feed(&t->s->chunked, p, len, &done);

	if (n < 0) {
		t->s->state = ST_LOST;
		return 0;
	}
	if (done)
		t->s->state = ST_HEAD;
	return (size_t)n;
}

/*
 * a lost stream at a piece's start: does a request start here?  A request
 * line (or a known method and a space), or a piece that is only the start
 * of a method token ("PO"): not any text that might end in " HTTP/1.1".
 */
static bool resync(struct reasm_stream *s, const uint8_t *p, size_t len)
{
	struct http1_req req;
	int rc = http1_parse_request(p, len, &req);

	if (rc == 0 && (!req.partial || req.method))
		return false;
	s->state = ST_HEAD;
	s->resync = true;
	return true;
}

/* bytes that went by uncaptured: returns those no request explains */
static uint64_t gap_bytes(struct step *t, uint64_t gap)
{
	struct reasm_stream *s = t->s;
	struct http1_req req;

	if (s->state == ST_BODY) {
		uint64_t n = gap < s->body_left ? gap : s->body_left;

		s->body_left -= n;
		gap -= n;
		if (!s->body_left)
			s->state = ST_HEAD;
		if (!gap)
			return 0;
	}
	if (s->state == ST_CHUNKED) {
		uint64_t n = http1_chunked_skip(&s->chunked, gap);

		if (n == gap)
			return 0;
		gap -= n;
	}
	if (s->state == ST_HEAD && (s->len || s->http)) {
		/* a head, or its start, was not seen: judged with what is known */
		http1_parse_request(s->buf, s->len, &req);
		head_done(t, &req, REASM_CUT);
	}
	s->state = ST_LOST;
	return gap;
}

uint64_t reasm_feed(struct reasm *r, struct reasm_stream *s, const uint8_t *buf, size_t cap,
		    uint64_t ret, reasm_head_fn cb, void *arg)
{
	struct step t = { r, s, cb, arg };
	uint64_t lost = 0;
	size_t at = 0;

	if (cap > ret)
		cap = (size_t)ret;  /* a short write: the rest never went */
	if (s->state == ST_LOST && cap)
		resync(s, buf, cap);
	while (at < cap) {
		size_t n = cap - at;

		switch (s->state) {
		case ST_HEAD:
			n = head_bytes(&t, buf + at, n);
			break;
		case ST_BODY:
			if (n > s->body_left)
				n = (size_t)s->body_left;
			s->body_left -= n;
			if (!s->body_left)
				s->state = ST_HEAD;
			break;
		case ST_CHUNKED:
			n = chunked_bytes(&t, buf + at, n);
			break;
		default:
			lost += n;
			break;
		}
		at += n;
	}
	return ret > cap ? lost + gap_bytes(&t, ret - cap) : lost;
}
