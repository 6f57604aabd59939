// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* scrub_h2.c - secret HTTP/2 header values masked in place; see scrub_h2.h. */
#include <stdlib.h>
#include <string.h>

#include "http2.h"
#include "huff.h"
#include "redact.h"
#include "scrub_h2.h"

#define FRAME_HDR   9
#define NAME_MAX_   64                       /* name bytes kept; longer is secret */
#define ENTRY_OVER  32                       /* RFC 7541 4.1 */
#define ENTRIES_MAX (SCRUB_H2_TABLE_MAX / ENTRY_OVER)
#define RING        8                        /* octets a symbol may span, and more */

enum { T_HEADERS = 1, T_PUSH = 5, T_CONT = 9, T_LAST = 9 };
#define F_END_HEADERS 0x04
#define F_PADDED      0x08
#define F_PRIORITY    0x20

/* where a representation is */
enum { R_FIRST, R_INT, R_SLEN, R_STR, R_SKIP };
/* what an integer is for */
enum { I_INDEX, I_SIZE, I_NAME, I_VALUE };
/* what a representation is */
enum { K_INDEXED, K_INCR, K_LITERAL, K_SIZE };
/* where a :path value is: its path, a query parameter's name, a secret one's value, another's */
enum { Q_PATH, Q_NAME, Q_SECRET, Q_VALUE };

static const char *const static_names[] = {
	":authority", ":method", ":method", ":path", ":path", ":scheme", ":scheme",
	":status", ":status", ":status", ":status", ":status", ":status", ":status",
	"accept-charset", "accept-encoding", "accept-language", "accept-ranges", "accept",
	"access-control-allow-origin", "age", "allow", "authorization", "cache-control",
	"content-disposition", "content-encoding", "content-language", "content-length",
	"content-location", "content-range", "content-type", "cookie", "date", "etag",
	"expect", "expires", "from", "host", "if-match", "if-modified-since",
	"if-none-match", "if-range", "if-unmodified-since", "last-modified", "link",
	"location", "max-forwards", "proxy-authenticate", "proxy-authorization", "range",
	"referer", "refresh", "retry-after", "server", "set-cookie",
	"strict-transport-security", "transfer-encoding", "user-agent", "vary", "via",
	"www-authenticate",
};
#define STATIC_N (sizeof(static_names) / sizeof(static_names[0]))

struct entry {
	uint32_t size;
	uint32_t name_len;
	bool secret;
	bool query;                /* the name is :path */
};

struct scrub_h2 {
	size_t *held;
	uint64_t lost;
	/* framing */
	uint32_t preface_left;
	uint8_t hdr[FRAME_HDR];
	uint8_t hdr_have;
	bool in_payload, desync, block_open;
	uint8_t ftype, fflags;
	uint32_t flen, fpos, pre;
	int pad;                   /* padding octets at the end; -1: not read yet */
	/* representation */
	uint8_t rstate, kind, ifor;
	uint32_t ival, ishift;
	uint32_t name_len;         /* decoded */
	bool name_known, secret, query;
	char name[NAME_MAX_];
	uint8_t qstate, qlen;      /* a :path value's query, and its parameter name */
	char qname[NAME_MAX_];
	/* string */
	bool huff, is_value;
	uint32_t slen, sgot, dlen;
	uint64_t acc;
	unsigned nbits;
	bool bad;                  /* a Huffman string that does not decode */
	uint8_t *ring[RING];       /* the last octets, in this record; NULL: earlier */
	/* dynamic table: ent[head] the newest */
	struct entry *ent;
	uint32_t ecap, ecount, ehead, tsize, tmax;
	bool tlost;                /* entries older than those kept are unknown */
	size_t masked;
	uint64_t cut_kept;         /* cut symbols with no other of their length and prefix */
};

struct scrub_h2 *scrub_h2_new(bool client, size_t *held)
{
	struct scrub_h2 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->held = held;
	h->preface_left = client ? HTTP2_PREFACE_LEN : 0;
	h->tmax = 4096;
	h->pad = -1;
	return h;
}

struct scrub_h2 *scrub_h2_resume(size_t *held)
{
	struct scrub_h2 *h = scrub_h2_new(false, held);

	if (h) {
		h->desync = true;
		h->tlost = true;
		h->rstate = R_SKIP;
	}
	return h;
}

bool scrub_h2_frames_plausible(const uint8_t *p, size_t n)
{
	size_t i = 0, frames = 0;

	while (i + FRAME_HDR <= n && frames < 64) {
		if (!http2_frame_plausible(p + i, true))
			return false;
		i += FRAME_HDR + ((size_t)p[i] << 16 | (size_t)p[i + 1] << 8 | p[i + 2]);
		frames++;
	}
	return frames > 0;
}

void scrub_h2_free(struct scrub_h2 *h)
{
	if (!h)
		return;
	*h->held -= h->ecap * sizeof(*h->ent);
	free(h->ent);
	free(h);
}

uint64_t scrub_h2_lost(const struct scrub_h2 *h)
{
	return h->lost;
}

uint64_t scrub_h2_cut_kept(const struct scrub_h2 *h)
{
	return h->cut_kept;
}

/* ---- the dynamic table ------------------------------------------------ */

static void table_lose(struct scrub_h2 *h)
{
	h->ecount = h->tsize = 0;
	h->tlost = true;
	h->lost++;
}

static struct entry *entry_at(struct scrub_h2 *h, uint32_t i) /* 0: the newest */
{
	return &h->ent[(h->ehead + h->ecap - i) % h->ecap];
}

static void table_evict(struct scrub_h2 *h, uint32_t room)
{
	while (h->ecount && h->tsize + room > h->tmax)
		h->tsize -= entry_at(h, --h->ecount)->size;
}

/* room for one more entry: false when over a bound (the table is lost then) */
static bool table_grow(struct scrub_h2 *h)
{
	uint32_t cap = h->ecap ? h->ecap * 2 : 16;
	struct entry *e;

	if (h->ecount < h->ecap)
		return true;
	if (cap > ENTRIES_MAX || *h->held + (cap - h->ecap) * sizeof(*e) > SCRUB_H2_HELD ||
	    !(e = malloc(cap * sizeof(*e))))
		return false;
	for (uint32_t i = 0; i < h->ecount; i++) /* oldest first, newest at ecount - 1 */
		e[i] = *entry_at(h, h->ecount - 1 - i);
	*h->held += (cap - h->ecap) * sizeof(*e);
	free(h->ent);
	h->ent = e;
	h->ecap = cap;
	h->ehead = h->ecount ? h->ecount - 1 : cap - 1;
	return true;
}

static void table_add(struct scrub_h2 *h, uint32_t name_len, uint32_t value_len, bool secret)
{
	uint64_t size = (uint64_t)name_len + value_len + ENTRY_OVER;

	if (size > h->tmax) { /* RFC 7541 4.4: the table empties */
		h->ecount = h->tsize = 0;
		return;
	}
	table_evict(h, (uint32_t)size);
	if (!table_grow(h)) {
		table_lose(h);
		return;
	}
	h->ehead = (h->ehead + 1) % h->ecap;
	h->ecount++;
	*entry_at(h, 0) = (struct entry){ (uint32_t)size, name_len, secret, h->query };
	h->tsize += (uint32_t)size;
}

/* the name at index i (1-based, static then dynamic): known or taken as secret */
static void name_of_index(struct scrub_h2 *h, uint32_t i)
{
	h->name_known = true;
	if (i >= 1 && i <= STATIC_N) {
		h->name_len = (uint32_t)strlen(static_names[i - 1]);
		h->secret = redact_header_is_secret(static_names[i - 1], h->name_len);
		h->query = i == 4 || i == 5; /* :path */
	} else if (i > STATIC_N && i - STATIC_N <= h->ecount) {
		const struct entry *e = entry_at(h, i - STATIC_N - 1);

		h->name_len = e->name_len;
		h->secret = e->secret;
		h->query = e->query;
	} else {
		h->name_known = false;
		h->secret = true;
		h->query = false;
	}
}

/* ---- representations -------------------------------------------------- */

static void rep_done(struct scrub_h2 *h)
{
	h->rstate = R_FIRST;
}

static void str_begin(struct scrub_h2 *h, bool value)
{
	h->is_value = value;
	h->rstate = R_SLEN;
	h->qstate = Q_PATH;
	h->qlen = 0;
}

/* one decoded octet of a :path value; true when it is a secret parameter's (to be masked) */
static bool query_octet(struct scrub_h2 *h, uint8_t c)
{
	if (!h->is_value || !h->query || h->secret)
		return false;
	if (c == '#') {
		h->qstate = Q_VALUE; /* the fragment: never sent, nothing named */
	} else if (c == '?' && h->qstate == Q_PATH) {
		h->qstate = Q_NAME;
	} else if ((c == '&' || c == ';') && h->qstate != Q_PATH) {
		h->qstate = Q_NAME;
		h->qlen = 0;
	} else if (h->qstate == Q_NAME) {
		if (c == '=')
			h->qstate = redact_param_is_secret(h->qname, h->qlen) ? Q_SECRET : Q_VALUE;
		else if (h->qlen < NAME_MAX_)
			h->qname[h->qlen++] = (char)c;
	} else { /* a NUL is kept: a reader that stops at it stops at the same place */
		return h->qstate == Q_SECRET && c != 0;
	}
	return false;
}

/* a value's string ended: an entry added when asked */
static void value_done(struct scrub_h2 *h)
{
	if (h->kind == K_INCR) {
		if (h->name_known && !h->bad)
			table_add(h, h->name_len, h->dlen, h->secret);
		else
			table_lose(h); /* its size is unknown */
	}
	rep_done(h);
}

static void str_done(struct scrub_h2 *h)
{
	if (h->is_value) {
		value_done(h);
		return;
	}
	h->name_known = !h->bad;
	h->name_len = h->dlen;
	h->secret = h->bad || h->dlen > NAME_MAX_ ||
		    redact_header_is_secret(h->name, h->dlen);
	h->query = h->dlen == 5 && !memcmp(h->name, ":path", 5);
	str_begin(h, true);
}

static void int_done(struct scrub_h2 *h)
{
	switch (h->ifor) {
	case I_SIZE:
		if (h->ival > SCRUB_H2_TABLE_MAX) {
			table_lose(h);
			h->rstate = R_SKIP;
			return;
		}
		h->tmax = h->ival;
		table_evict(h, 0);
		rep_done(h);
		return;
	case I_INDEX:
		if (h->kind == K_INDEXED) {
			rep_done(h);
			return;
		}
		h->bad = false;
		if (h->ival == 0) {
			str_begin(h, false);
			return;
		}
		name_of_index(h, h->ival);
		str_begin(h, true);
		return;
	default: /* a string's length */
		h->slen = h->ival;
		h->sgot = h->dlen = 0;
		h->acc = h->nbits = 0;
		h->bad = false;
		h->rstate = R_STR;
		if (!h->slen)
			str_done(h);
	}
}

/* an integer's first octet, with its prefix of n bits */
static void int_begin(struct scrub_h2 *h, uint8_t b, unsigned n, uint8_t ifor)
{
	uint32_t max = (1u << n) - 1;

	h->ifor = ifor;
	h->ival = b & max;
	h->ishift = 0;
	if (h->ival < max)
		int_done(h);
	else
		h->rstate = R_INT;
}

static void int_more(struct scrub_h2 *h, uint8_t b)
{
	if (h->ishift > 21) { /* over 2^28: nothing real */
		table_lose(h);
		h->rstate = R_SKIP;
		return;
	}
	h->ival += (uint32_t)(b & 0x7f) << h->ishift;
	h->ishift += 7;
	if (!(b & 0x80))
		int_done(h);
}

static void rep_first(struct scrub_h2 *h, uint8_t b)
{
	if (b & 0x80) {
		h->kind = K_INDEXED;
		int_begin(h, b, 7, I_INDEX);
	} else if (b & 0x40) {
		h->kind = K_INCR;
		int_begin(h, b, 6, I_INDEX);
	} else if (b & 0x20) {
		h->kind = K_SIZE;
		int_begin(h, b, 5, I_SIZE);
	} else {
		h->kind = K_LITERAL;
		int_begin(h, b, 4, I_INDEX);
	}
}

/* ---- strings ---------------------------------------------------------- */

/*
 * symbol sym, len bits ending nbits from the end of the ring, replaced by
 * the mask of its length; when it began in an earlier record (stored
 * already), by another symbol of its length whose code starts with the
 * bits stored (counted in cut_kept when there is none)
 */
static void symbol_mask(struct scrub_h2 *h, int sym, unsigned end, unsigned len)
{
	unsigned here = 0, mlen;
	uint32_t code;
	int m;

	while (here < len && (end + here) / 8 < RING && h->ring[(end + here) / 8])
		here++;
	m = here == len ? huff_mask_of_len(len) : huff_other_of_prefix((unsigned)sym, len - here);
	if (m < 0) {
		h->cut_kept += here < len;
		return;
	}
	code = huff_code((unsigned)m, &mlen);
	for (unsigned j = 0; j < here; j++) {
		unsigned pos = end + j, bit = pos % 8;
		uint8_t *o = h->ring[pos / 8];

		*o = (uint8_t)((*o & ~(1u << bit)) | (((code >> j) & 1u) << bit));
	}
}

/* one octet of a Huffman string, decoded; a secret value's symbols masked */
static void huff_octet(struct scrub_h2 *h, uint8_t *p)
{
	bool mask = h->is_value && h->secret;
	unsigned len;
	int sym;

	memmove(h->ring + 1, h->ring, (RING - 1) * sizeof(h->ring[0]));
	h->ring[0] = p;
	h->acc = h->acc << 8 | *p;
	h->nbits += 8;
	while (!h->bad && (sym = huff_next(h->acc, h->nbits, &len)) >= 0) {
		h->nbits -= len;
		if (sym == HUFF_EOS) {
			h->bad = true;
			break;
		}
		if (mask) {
			symbol_mask(h, sym, h->nbits, len);
		} else if (query_octet(h, (uint8_t)sym)) {
			symbol_mask(h, sym, h->nbits, len);
			h->masked++;
		}
		if (!h->is_value && h->dlen < NAME_MAX_)
			h->name[h->dlen] = (char)sym;
		h->dlen++;
	}
	if (h->nbits >= HUFF_MAX_LEN)
		h->bad = true;
	h->acc &= (1ull << (h->nbits & 63)) - 1;
	if (mask)
		h->masked++;
}

/* a secret Huffman value whose octets are all at p: rewritten at once; false if it cannot be */
static bool huff_whole(struct scrub_h2 *h, uint8_t *p, size_t avail)
{
	long n;

	if (!h->is_value || !h->secret || !h->huff || h->sgot || avail < h->slen ||
	    (n = huff_count(p, h->slen)) < 0 || huff_fill(p, h->slen, (size_t)n))
		return false;
	h->dlen = (uint32_t)n;
	h->sgot = h->slen;
	h->masked += h->slen;
	return true;
}

/* string octets at p (avail of them in this run); how many were taken */
static size_t str_octets(struct scrub_h2 *h, uint8_t *p, size_t avail)
{
	size_t n = h->slen - h->sgot < avail ? h->slen - h->sgot : avail;

	if (huff_whole(h, p, avail)) {
		str_done(h);
		return h->slen;
	}
	for (size_t i = 0; i < n; i++) {
		if (h->huff) {
			huff_octet(h, p + i);
		} else {
			if (!h->is_value && h->dlen < NAME_MAX_)
				h->name[h->dlen] = (char)p[i];
			if ((h->is_value && h->secret) || query_octet(h, p[i])) {
				p[i] = 'x';
				h->masked++;
			}
			h->dlen++;
		}
	}
	h->sgot += (uint32_t)n;
	if (h->sgot == h->slen) {
		if (h->huff && (h->nbits >= 8 || h->acc != (1ull << h->nbits) - 1))
			h->bad = true; /* padding is under 8 bits of 1s */
		str_done(h);
	}
	return n;
}

/* a run of header block bytes, in this record */
static void block_bytes(struct scrub_h2 *h, uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		switch (h->rstate) {
		case R_FIRST:
			rep_first(h, p[i++]);
			break;
		case R_INT:
			int_more(h, p[i++]);
			break;
		case R_SLEN:
			h->huff = p[i] & 0x80;
			int_begin(h, p[i++], 7, h->is_value ? I_VALUE : I_NAME);
			break;
		case R_STR:
			i += str_octets(h, p + i, n - i);
			break;
		default: /* R_SKIP: the rest of the block is not followed */
			return;
		}
	}
}

/* ---- frames ----------------------------------------------------------- */

static bool is_block(uint8_t type)
{
	return type == T_HEADERS || type == T_PUSH || type == T_CONT;
}

/* the block is lost: what follows in it is not followed, the table is unknown */
static void block_lose(struct scrub_h2 *h)
{
	if (h->block_open && h->rstate != R_SKIP)
		table_lose(h);
	h->rstate = R_SKIP;
}

static void frame_begin(struct scrub_h2 *h)
{
	h->flen = (uint32_t)h->hdr[0] << 16 | h->hdr[1] << 8 | h->hdr[2];
	h->ftype = h->hdr[3];
	h->fflags = h->hdr[4];
	h->fpos = 0;
	h->pad = (h->fflags & F_PADDED) && h->ftype != T_CONT ? -1 : 0;
	h->hdr_have = 0;
	h->in_payload = true;
	if (h->ftype == T_HEADERS || h->ftype == T_PUSH) {
		if (h->block_open && h->rstate != R_FIRST)
			block_lose(h);
		h->block_open = true;
		h->rstate = R_FIRST;
	}
	h->pre = (h->fflags & F_PADDED) && h->ftype != T_CONT ? 1 : 0;
	if (h->ftype == T_HEADERS && (h->fflags & F_PRIORITY))
		h->pre += 5;
	if (h->ftype == T_PUSH)
		h->pre += 4;
}

static void frame_end(struct scrub_h2 *h)
{
	h->in_payload = false;
	if (is_block(h->ftype) && (h->fflags & F_END_HEADERS) && h->block_open) {
		if (h->rstate != R_FIRST)
			block_lose(h);
		h->block_open = false;
	}
}

/* payload bytes at p (n of them, captured); how many were taken */
static size_t payload(struct scrub_h2 *h, uint8_t *p, size_t n)
{
	size_t take = h->flen - h->fpos < n ? h->flen - h->fpos : n, i = 0;

	if (!is_block(h->ftype) || !h->block_open) {
		h->fpos += (uint32_t)take;
		return take;
	}
	if (h->fpos == 0 && h->pad < 0 && take) /* PADDED: the pad length first */
		h->pad = p[i++];
	for (; i < take && h->fpos + i < h->pre; i++)
		;
	if (i < take && h->pad >= 0 && h->fpos + i + (uint32_t)h->pad < h->flen) {
		size_t end = h->flen - (uint32_t)h->pad - h->fpos; /* the fragment's end, from p */

		end = end < take ? end : take;
		block_bytes(h, p + i, end - i);
	}
	h->fpos += (uint32_t)take;
	return take;
}

/* the framing is lost: the blocks after it are not seen, so the table is unknown */
static void framing_lost(struct scrub_h2 *h)
{
	if (!h->desync)
		table_lose(h);
	h->preface_left = 0;
	h->rstate = R_SKIP;
	h->block_open = false;
	h->desync = true;
	h->in_payload = false;
	h->hdr_have = 0;
}

/* n octets no reader follows (the framing is lost): all masked */
static void mask_unfollowed(struct scrub_h2 *h, uint8_t *p, size_t n)
{
	memset(p, 'x', n);
	h->masked += n;
}

/*
 * preface octets at p (n of them): *used taken; false when they are not the
 * preface (http2.c follows nothing after: the framing is lost, the rest
 * masked, the octet that differs kept so that the stored bytes fail where
 * the sent ones did)
 */
static bool preface_octets(struct scrub_h2 *h, uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *want = (const uint8_t *)HTTP2_PREFACE + HTTP2_PREFACE_LEN - h->preface_left;
	size_t k = h->preface_left < n ? h->preface_left : n, j = 0;

	while (j < k && p[j] == want[j])
		j++;
	if (j < k) {
		framing_lost(h);
		mask_unfollowed(h, p + j + 1, n - j - 1);
		return false;
	}
	h->preface_left -= (uint32_t)k;
	*used = k;
	return true;
}

/*
 * captured bytes in order; a frame header that cannot be one (as http2.c
 * judges it) loses the framing, and the rest of the record, not followed,
 * is masked whole
 */
static void captured(struct scrub_h2 *h, uint8_t *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (h->preface_left) {
			if (!preface_octets(h, p + i, n - i, &k))
				return;
			i += k;
		} else if (!h->in_payload) {
			h->hdr[h->hdr_have++] = p[i++];
			if (h->hdr_have == FRAME_HDR) {
				if (!http2_frame_plausible(h->hdr, false)) {
					framing_lost(h);
					mask_unfollowed(h, p + i, n - i);
					return;
				}
				frame_begin(h);
			}
		} else {
			i += payload(h, p + i, n - i);
		}
		if (h->in_payload && h->fpos == h->flen)
			frame_end(h);
	}
}

/* n bytes not captured */
static void uncaptured(struct scrub_h2 *h, uint64_t n)
{
	uint64_t k;

	if (h->preface_left) { /* the preface not seen whole: nor the frames after it */
		framing_lost(h);
		return;
	}
	if (n && h->in_payload) {
		k = h->flen - h->fpos < n ? h->flen - h->fpos : n;
		if (is_block(h->ftype))
			block_lose(h);
		h->fpos += (uint32_t)k;
		n -= k;
		if (h->fpos == h->flen)
			frame_end(h);
	}
	if (n) /* a frame header was not seen: so neither were the blocks after it */
		framing_lost(h);
}

size_t scrub_h2_feed(struct scrub_h2 *h, uint8_t *p, size_t cap, uint64_t ret)
{
	h->masked = 0;
	memset(h->ring, 0, sizeof(h->ring));
	if (h->desync) {
		if (cap < FRAME_HDR || !http2_frame_plausible(p, true)) { /* not followed: all of it masked */
			mask_unfollowed(h, p, cap);
			return h->masked;
		}
		h->desync = false;
		h->block_open = false;
		h->rstate = R_FIRST;
	}
	captured(h, p, cap);
	if (ret > cap)
		uncaptured(h, ret - cap);
	return h->masked;
}
