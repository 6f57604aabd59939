/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * reasm.h - the request heads of one direction of an HTTP/1 connection, from
 * the bytes the client sent in pieces (writes, TLS records, TCP segments),
 * each piece known by its first cap captured bytes and the ret bytes it
 * moved (ret > cap: the rest was not captured, a gap).
 *
 * A stream is at one of: a head (bytes collected until the empty line; a
 * head in one piece is parsed in place, a head over several is copied into
 * a buffer of at most head_max bytes, all buffers together within budget),
 * a body (Content-Length or chunked, skipped), or lost (where the next head
 * starts is not known: after a gap inside a head, a gap in a chunked body
 * that passes a chunk's data and its CRLF, a bad or overflowing head, an
 * Upgrade).  A lost stream finds heads again only at
 * the start of a piece, and trusts no body length it finds there; its other
 * bytes are returned as not explained by any request (count them as upload).
 * Every head found is handed to a callback, complete or not (cut by a gap,
 * longer than the bound, malformed after a request line): nothing is
 * dropped.  The bytes of a connection that never looked like HTTP are lost
 * bytes, not heads.
 */
#ifndef AGENTMON_REASM_H
#define AGENTMON_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http1.h"

#define REASM_HEAD_MAX (16u << 10)  /* bytes of one head held */
#define REASM_BUDGET   (4u << 20)   /* bytes held over all streams */

/* how a head ended */
enum reasm_end {
	REASM_COMPLETE = 0,    /* through its empty line */
	REASM_CUT,             /* bytes of it were not captured */
	REASM_OVERFLOW,        /* longer than head_max, or the budget was spent */
	REASM_MALFORMED,       /* bytes no valid request has (after a request line,
				* or where a head must start on an HTTP stream) */
};

struct reasm_head {
	const struct http1_req *req; /* as far as parsed (all of it when COMPLETE) */
	enum reasm_end end;
	bool resync;           /* found at a piece's start on a lost stream */
};

typedef void (*reasm_head_fn)(void *arg, const struct reasm_head *h);

/* one direction of one connection; zero it to start */
struct reasm_stream {
	uint8_t *buf;          /* the head so far, when it spans pieces */
	uint32_t len;          /* bytes in buf */
	uint8_t state;         /* private */
	bool http;             /* a request was seen: bad bytes at a head are malformed */
	bool resync;           /* the head being read was found on a lost stream */
	bool line;             /* buf holds a whole request line */
	uint64_t body_left;    /* Content-Length bytes still to skip */
	struct http1_chunked chunked;
};

struct reasm_stats {
	uint64_t heads;        /* heads handed to the callback */
	uint64_t incomplete;   /* of them cut, overflowing or malformed */
	uint64_t budget_full;  /* heads cut short because the budget was spent */
	uint64_t evicted;      /* streams released while holding part of a head */
	uint64_t held;         /* bytes held now */
};

struct reasm;

/* head_max, budget: 0 for the defaults; NULL on ENOMEM */
struct reasm *reasm_new(size_t head_max, size_t budget);
void reasm_free(struct reasm *r);

/*
 * reasm_feed - the next piece of s: cap captured bytes, ret bytes moved.
 * Calls cb for each head that ends in it (req valid during the call).
 * Returns the bytes of the piece no request explains (lost stream, not
 * HTTP, the bytes of an unseen head).
 */
uint64_t reasm_feed(struct reasm *r, struct reasm_stream *s, const uint8_t *buf, size_t cap,
		    uint64_t ret, reasm_head_fn cb, void *arg);
/* s is forgotten (connection closed or evicted): its buffer is freed; a
 * partial head it held is counted as evicted */
void reasm_release(struct reasm *r, struct reasm_stream *s);
/* a new protocol (the HTTP/2 preface) may start here: s is at a head with
 * nothing buffered, or lost; never inside a head or a body */
bool reasm_idle(const struct reasm_stream *s);
void reasm_stats(const struct reasm *r, struct reasm_stats *st);

#endif
