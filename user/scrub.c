// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* scrub.c - secrets masked before a record is stored; see scrub.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"
#include "http2.h"
#include "redact.h"
#include "scrub.h"
#include "scrub_h2.h"

/* where a line is: its start, a header name (or a method), a secret
 * header's value, the rest; in a request line's target, its path, a query
 * parameter's name, a secret parameter's value, another value */
enum { L_START, L_NAME, L_SECRET, L_REST, L_TARGET, L_QNAME, L_QSECRET, L_QVALUE };

#define METHOD_MAX 16

int scrub_init(struct scrub *s)
{
	memset(s, 0, sizeof(*s) - sizeof(s->buf));
	s->streams = calloc(SCRUB_STREAMS, sizeof(*s->streams));
	s->gone = calloc(SCRUB_STREAMS, sizeof(*s->gone));
	if (!s->streams || !s->gone) {
		scrub_release(s);
		return -ENOMEM;
	}
	return 0;
}

void scrub_release(struct scrub *s)
{
	for (size_t i = 0; s->streams && i < SCRUB_STREAMS; i++)
		scrub_h2_free(s->streams[i].h2);
	free(s->streams);
	free(s->gone);
	s->streams = NULL;
	s->gone = NULL;
}

/* a byte of an HTTP token (RFC 9110): what a header name is made of */
static bool token_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static bool name_secret(const struct scrub_stream *st)
{
	return st->name_len > SCRUB_NAME_MAX ||
	       (st->name_len && redact_header_is_secret(st->name, st->name_len));
}

/* the name so far is a method: 1 to METHOD_MAX capitals */
static bool name_method(const struct scrub_stream *st)
{
	if (!st->name_len || st->name_len > METHOD_MAX)
		return false;
	for (size_t i = 0; i < st->name_len; i++)
		if (st->name[i] < 'A' || st->name[i] > 'Z')
			return false;
	return true;
}

/* one byte of a line that is not a secret value: follow the name */
static void follow_name(struct scrub_stream *st, uint8_t c)
{
	if (c == ':') {
		st->state = name_secret(st) ? L_SECRET : L_REST;
	} else if (c == ' ' && name_method(st)) {
		st->state = L_TARGET; /* a request line */
	} else if (!token_char(c)) {
		st->state = L_REST; /* a status line, a body */
	} else {
		if (st->name_len < SCRUB_NAME_MAX)
			st->name[st->name_len] = (char)c;
		if (st->name_len <= SCRUB_NAME_MAX)
			st->name_len++;
	}
}

/* one byte of a request target; true when it is to be masked */
static bool follow_target(struct scrub_stream *st, uint8_t c)
{
	if (c == ' ' || c == '#' || c == '\r') {
		st->state = L_REST; /* the target ends */
	} else if (st->state == L_TARGET) {
		if (c == '?')
			st->state = L_QNAME;
	} else if (c == '&' || c == ';') {
		st->state = L_QNAME;
		st->name_len = 0;
	} else if (st->state == L_QNAME) {
		if (c == '=')
			st->state = redact_param_is_secret(st->name, st->name_len) ? L_QSECRET
										   : L_QVALUE;
		else if (st->name_len < SCRUB_NAME_MAX)
			st->name[st->name_len++] = (char)c;
	} else {
		return st->state == L_QSECRET;
	}
	return false;
}

/* the values of secret header lines in p masked, st carried over; bytes masked */
static size_t mask_lines(struct scrub_stream *st, uint8_t *p, size_t n)
{
	size_t masked = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\n') {
			st->folded = st->state == L_SECRET;
			st->state = L_START;
			st->name_len = 0;
			continue;
		}
		if (st->state == L_START) {
			st->state = st->folded && (c == ' ' || c == '\t') ? L_SECRET : L_NAME;
			st->folded = false;
		}
		if (st->state == L_NAME) {
			follow_name(st, c);
			if (st->state == L_TARGET)
				st->name_len = 0;
		} else if (st->state >= L_TARGET && follow_target(st, c)) {
			p[i] = 'x';
			masked++;
		} else if (st->state == L_SECRET && c != ' ' && c != '\t' && c != '\r') {
			p[i] = 'x';
			masked++;
		}
	}
	return masked;
}

static uint64_t stream_hash(uint32_t pid, uint8_t source, uint64_t sock_id, uint32_t fd)
{
	uint64_t h = sock_id * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)pid << 32 | fd) * 0xc2b2ae3d27d4eb4full;
	h ^= source;
	return h ^ (h >> 29);
}

static bool stream_is(const struct scrub_stream *st, uint32_t pid, uint8_t source,
		      uint64_t sock_id, uint32_t fd)
{
	return st->used && st->pid == pid && st->source == source && st->sock_id == sock_id &&
	       st->fd == fd;
}

/* the slots a stream may take: the first */
static size_t stream_base(uint32_t pid, uint8_t source, uint64_t sock_id, uint32_t fd)
{
	return stream_hash(pid, source, sock_id, fd) & (SCRUB_STREAMS - 1);
}

static struct scrub_stream *stream_find(const struct scrub *s, uint32_t pid, uint8_t source,
					uint64_t sock_id, uint32_t fd)
{
	size_t base = stream_base(pid, source, sock_id, fd);

	for (size_t w = 0; w < SCRUB_WAYS; w++) {
		struct scrub_stream *st = &s->streams[(base + w) & (SCRUB_STREAMS - 1)];

		if (stream_is(st, pid, source, sock_id, fd))
			return st;
	}
	return NULL;
}

bool scrub_kept(const struct scrub *s, uint32_t pid, uint8_t source, uint64_t sock_id,
		uint32_t fd)
{
	return stream_find(s, pid, source, sock_id, fd) != NULL;
}

/* a stream's key in the set of forgotten HTTP/2 streams (never 0) */
static uint64_t gone_key(uint32_t pid, uint8_t source, uint64_t sock_id, uint32_t fd)
{
	return stream_hash(pid, source, sock_id, fd) | 1;
}

/* where key is in the forgotten set, or NULL; or, with take, where it goes */
static uint64_t *gone_slot(struct scrub *s, uint64_t key, bool take)
{
	uint64_t *slot = NULL;

	for (size_t w = 0; w < SCRUB_WAYS; w++) {
		uint64_t *g = &s->gone[(key + w) & (SCRUB_STREAMS - 1)];

		if (*g == key)
			return g;
		if (take && (!slot || (*slot && !*g)))
			slot = g;
	}
	return slot;
}

/* an HTTP/2 stream's state is dropped: the stream is remembered as HTTP/2 */
static void gone_add(struct scrub *s, const struct scrub_stream *st)
{
	uint64_t *g = gone_slot(s, gone_key(st->pid, st->source, st->sock_id, st->fd), true);

	if (*g && *g != gone_key(st->pid, st->source, st->sock_id, st->fd))
		s->h2_forgotten++; /* the way's first one: that stream now reads as it begins */
	*g = gone_key(st->pid, st->source, st->sock_id, st->fd);
}

/* was this stream HTTP/2 before its state was dropped?  (forgotten by the set then) */
static bool gone_take(struct scrub *s, uint32_t pid, uint8_t source, uint64_t sock_id,
		      uint32_t fd, bool forget)
{
	uint64_t *g = gone_slot(s, gone_key(pid, source, sock_id, fd), false);

	if (g && forget)
		*g = 0;
	return g != NULL;
}

/*
 * the state of one stream: found, or a slot taken (the least recently used
 * of its ways, a text stream before an HTTP/2 one, which is remembered)
 */
static struct scrub_stream *stream_get(struct scrub *s, const struct event *ev)
{
	const struct event_data *d = &ev->data;
	size_t base = stream_base(ev->pid, d->source, d->sock_id, d->fd);
	struct scrub_stream *st = stream_find(s, ev->pid, d->source, d->sock_id, d->fd), *old = NULL;

	if (st)
		return st;
	for (size_t w = 0; w < SCRUB_WAYS; w++) {
		st = &s->streams[(base + w) & (SCRUB_STREAMS - 1)];
		if (!old || (!!st->h2 == !!old->h2 ? st->used < old->used : !st->h2))
			old = st;
	}
	if (old->used)
		s->evicted++;
	if (old->h2)
		gone_add(s, old);
	scrub_h2_free(old->h2);
	memset(old, 0, sizeof(*old));
	old->pid = ev->pid;
	old->source = d->source;
	old->sock_id = d->sock_id;
	old->fd = d->fd;
	return old;
}

/* the client writes of the connection a TLS read stream belongs to are HTTP/2 */
static bool writes_h2(struct scrub *s, const struct scrub_stream *st)
{
	const struct scrub_stream *tx;

	if (st->source != AM_DATA_TLS_RECV)
		return false;
	tx = stream_find(s, st->pid, AM_DATA_TLS_SEND, st->sock_id, st->fd);
	return tx ? tx->h2 != NULL
		  : gone_take(s, st->pid, AM_DATA_TLS_SEND, st->sock_id, st->fd, false);
}

/*
 * a stream's first record: HTTP/2 when it is a client's preface, or what the
 * client read on a connection whose writes are HTTP/2; HTTP/2 met mid-way
 * (a stream whose state was dropped, or whose first record seen is frames:
 * its preface missed) goes on as HTTP/2 with its start unknown (counted)
 */
static void stream_begin(struct scrub *s, struct scrub_stream *st, const uint8_t *p, size_t n)
{
	bool send = st->source == AM_DATA_SOCK_SEND || st->source == AM_DATA_TLS_SEND;

	st->begun = true;
	if (send && n >= 4 && http2_is_preface(p, n)) {
		st->h2 = scrub_h2_new(true, &s->h2_held);
	} else if (writes_h2(s, st) && n && p[0] == 0) {
		st->h2 = scrub_h2_new(false, &s->h2_held);
	} else if (gone_take(s, st->pid, st->source, st->sock_id, st->fd, true) ||
		   writes_h2(s, st) || scrub_h2_frames_plausible(p, n)) {
		st->h2 = scrub_h2_resume(&s->h2_held);
		s->h2_resumed += st->h2 != NULL;
	} else {
		st->unknown = !n || p[0] < 'A' || p[0] > 'Z';
		return;
	}
	if (!st->h2)
		s->h2_nomem++;
}

/* a stream that did not begin as text meets frames: HTTP/2 from here on (counted) */
static void stream_frames(struct scrub *s, struct scrub_stream *st, const uint8_t *p, size_t n)
{
	if (!st->unknown || !scrub_h2_frames_plausible(p, n))
		return;
	st->unknown = false;
	if (!(st->h2 = scrub_h2_resume(&s->h2_held)))
		s->h2_nomem++;
	else
		s->h2_resumed++;
}

/* a byte a key shape may hold (redact.c's shapes: letters, digits, '_', '-', a JWT's '.') */
static bool key_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '_' || c == '-' || c == '.';
}

/*
 * the rest of a key shape that starts in the stream's tail and goes on into
 * p: the tail and p's first SCRUB_JUNCTION bytes are read as one, and the
 * bytes of that key in p masked (past SCRUB_JUNCTION too, while it goes on)
 */
static size_t key_across(const struct scrub_stream *st, uint8_t *p, size_t n)
{
	char tmp[SCRUB_TAIL + SCRUB_JUNCTION];
	size_t t = st->tail_len, j = n < SCRUB_JUNCTION ? n : SCRUB_JUNCTION, i, masked = 0;

	if (!t || !n || !key_char(p[0]))
		return 0;
	memcpy(tmp, st->tail, t);
	memcpy(tmp + t, p, j);
	if (!redact_keys_mask(tmp, t + j))
		return 0;
	for (i = 0; i < j && key_char(p[i]); i++) {
		masked += p[i] != (uint8_t)tmp[t + i];
		p[i] = (uint8_t)tmp[t + i];
	}
	if (i == j && (uint8_t)tmp[t + j - 1] == 'X')
		for (; i < n && key_char(p[i]); i++)
			if (p[i] != '.') {
				p[i] = 'X';
				masked++;
			}
	return masked;
}

/* the stream's tail after p: its last SCRUB_TAIL bytes (none after bytes not captured) */
static void tail_keep(struct scrub_stream *st, const uint8_t *p, size_t n, bool all_seen)
{
	size_t keep;

	if (!all_seen) {
		st->tail_len = 0;
		return;
	}
	if (n >= SCRUB_TAIL) {
		memcpy(st->tail, p + n - SCRUB_TAIL, SCRUB_TAIL);
		st->tail_len = SCRUB_TAIL;
		return;
	}
	keep = st->tail_len + n > SCRUB_TAIL ? SCRUB_TAIL - n : st->tail_len;
	memmove(st->tail, st->tail + st->tail_len - keep, keep);
	memcpy(st->tail + keep, p, n);
	st->tail_len = (uint8_t)(keep + n);
}

/*
 * key shapes in p (n bytes) masked, also the rest of one a record boundary
 * cut (the stream's tail read before p); the tail kept for the next record
 */
static size_t keys_mask(struct scrub_stream *st, uint8_t *p, size_t n, bool all_seen)
{
	size_t masked = key_across(st, p, n);

	masked += redact_keys_mask((char *)p, n);
	tail_keep(st, p, n, all_seen);
	return masked;
}

/* a data record's payload (at buf + off, in s->buf) */
static void scrub_data(struct scrub *s, const struct event *ev, size_t off)
{
	const struct event_data *d = &ev->data;
	uint8_t *p = s->buf + off;
	bool all_seen = d->ret >= 0 && (uint64_t)d->ret <= d->cap_len;
	struct scrub_stream *st;

	if (d->source == AM_DATA_SOCK_RECV) { /* DNS answers: no headers */
		s->masked += redact_keys_mask((char *)p, d->cap_len);
		return;
	}
	st = stream_get(s, ev);
	st->used = ++s->uses;
	if (!st->begun)
		stream_begin(s, st, p, d->cap_len);
	else if (!st->h2)
		stream_frames(s, st, p, d->cap_len);
	if (st->h2) { /* binary frames: no lines */
		uint64_t lost = scrub_h2_lost(st->h2), kept = scrub_h2_cut_kept(st->h2);

		s->masked += scrub_h2_feed(st->h2, p, d->cap_len, d->ret > 0 ? (uint64_t)d->ret : 0);
		s->h2_lost += scrub_h2_lost(st->h2) - lost;
		s->h2_cut_kept += scrub_h2_cut_kept(st->h2) - kept;
	} else {
		s->masked += mask_lines(st, p, d->cap_len);
	}
	s->masked += keys_mask(st, p, d->cap_len, all_seen);
	if (!st->h2 && !all_seen) {
		st->state = L_START; /* bytes not seen: the next record starts a line */
		st->name_len = 0;
		st->folded = false;
	}
}

/* an exec record rebuilt with each argument redacted; its new size, 0 when it does not fit */
static size_t scrub_exec(struct scrub *s, const uint8_t *rec, const struct event *ev)
{
	const struct event_exec *x = &ev->exec;
	struct am_exec e;
	size_t fl = strlen(x->filename) + 1, cl = x->cwd ? strlen(x->cwd) + 1 : 0;
	size_t o = sizeof(e) + fl, in = 0, end = sizeof(s->buf) - cl;

	memcpy(&e, rec, sizeof(e));
	memcpy(s->buf + sizeof(e), x->filename, fl);
	for (uint32_t i = 0; i < x->argc && in < x->argv_len; i++) {
		size_t len = strnlen(x->argv + in, x->argv_len - in);

		if (o + 1 >= end)
			return 0;
		o += redact_arg(x->argv + in, len, (char *)s->buf + o, end - o) + 1;
		in += len + 1;
	}
	if (o > end || o - sizeof(e) - fl > UINT16_MAX)
		return 0;
	memcpy(s->buf + o, x->cwd ? x->cwd : "", cl);
	e.filename_len = (uint16_t)fl;
	e.cwd_len = (uint16_t)cl;
	e.argv_len = (uint16_t)(o - sizeof(e) - fl);
	e.hdr.size = (uint16_t)(o + cl);
	memcpy(s->buf, &e, sizeof(e));
	return o + cl;
}

/* what did not decode: its bytes past the header as one stream of their own */
static void scrub_raw(struct scrub *s, size_t size)
{
	struct scrub_stream st = { .state = L_START };

	if (size <= sizeof(struct am_hdr))
		return;
	s->masked += mask_lines(&st, s->buf + sizeof(struct am_hdr), size - sizeof(struct am_hdr));
	s->masked += redact_keys_mask((char *)s->buf + sizeof(struct am_hdr),
				      size - sizeof(struct am_hdr));
}

const void *scrub_record(struct scrub *s, const void *rec, size_t size, size_t *out_size)
{
	struct event ev;
	const char *why;
	size_t n;

	*out_size = size;
	if (size > sizeof(s->buf))
		return NULL;
	if (decode_record(rec, size, &ev, &why)) {
		memcpy(s->buf, rec, size);
		scrub_raw(s, size);
		return s->buf;
	}
	switch (ev.type) {
	case AM_EV_EXEC:
		n = scrub_exec(s, rec, &ev);
		*out_size = n;
		return n ? s->buf : NULL;
	case AM_EV_DATA:
		memcpy(s->buf, rec, size);
		scrub_data(s, &ev, (size_t)(ev.data.buf - (const uint8_t *)rec));
		return s->buf;
	default:
		return rec;
	}
}
