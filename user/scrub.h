/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scrub.h - an agent's kernel record as a trace may store it: secrets are
 * masked before the recorder copies it.  The output redacts what it prints
 * (redact.h); traces are kept for days and must not hold what the output
 * never shows.  A replay of the scrubbed record gives the same events and
 * alerts: lengths and structure are kept wherever a parser looks.
 *
 *  - exec: each argument through redact_arg (argv_len and hdr.size change;
 *    redact_arg of its own output gives the same output)
 *  - data (socket sends, TLS plaintext both ways): the value of every
 *    header line whose name is secret (redact_header_is_secret) is masked
 *    with 'x' (blanks, CR and LF kept), the line followed across the
 *    records of one stream (pid, source, socket): a value split between two
 *    writes is masked in both; in a request line ("METHOD target"), the
 *    values of secret query parameters (redact_param_is_secret) too; key
 *    shapes masked (redact_keys_mask), also after a record boundary that
 *    cuts one: the stream's last SCRUB_TAIL bytes are kept and read with
 *    the next record's first SCRUB_JUNCTION (the part before the cut is
 *    stored as it was when shorter than a key at the end of a buffer needs).
 *    Bytes the kernel did not capture (cap_len < ret) end the line: the
 *    next record starts a new one.
 *  - a record that does not decode: the key shapes and secret header lines
 *    of its bytes past the header, as one stream of its own.
 *
 *  - HTTP/2 (a send stream that starts with the client preface, and the
 *    TLS reads of the same connection): scrub_h2.h, secret header values
 *    masked in the HPACK blocks so that they decode to as many octets.
 *    A stream whose first record seen is a chain of HTTP/2 frame headers
 *    (its preface missed: recording begun mid-connection, a lost record)
 *    is HTTP/2 too, with its table unknown (scrub_h2_resume); so is a
 *    stream that did not begin as text (a capital letter: a method, a
 *    status line) at its first record that is such a chain.  A stream's
 *    state evicted to make room (a text stream's first) is remembered as
 *    HTTP/2 in a set of SCRUB_STREAMS keys: when it comes back it resumes
 *    as HTTP/2, never as text (a key the set had to drop is counted).
 *
 * Library code: no printing; struct scrub is the caller's (embedded).
 */
#ifndef AGENTMON_SCRUB_H
#define AGENTMON_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"

struct scrub_h2;

#define SCRUB_STREAMS  4096   /* streams whose line state is kept (power of 2) */
#define SCRUB_WAYS     4      /* slots a stream may take */
#define SCRUB_NAME_MAX 64     /* header name bytes kept; a longer name is secret */
#define SCRUB_TAIL     128    /* a stream's last bytes, kept for a key cut by a record */
#define SCRUB_JUNCTION 256    /* a record's first bytes read with them */
/* the largest record scrubbed: an exec whose arguments all grew */
#define SCRUB_REC_MAX  (AM_EXEC_MAX + AM_ARGC_MAX * 32)

struct scrub_stream {
	uint64_t sock_id;
	uint64_t used;             /* scrub.uses at the last record; 0: free */
	uint32_t pid, fd;
	uint8_t source;
	uint8_t state;             /* enum in scrub.c: line start, name, secret, rest */
	uint8_t name_len;          /* SCRUB_NAME_MAX + 1: longer */
	bool folded;               /* the last line was a secret header (obs-fold) */
	bool begun;                /* a record was seen */
	bool unknown;              /* it did not begin as text: frames may come */
	uint8_t tail_len;
	char tail[SCRUB_TAIL];     /* the last bytes (masked) of the last record */
	struct scrub_h2 *h2;       /* an HTTP/2 stream's state, NULL: lines */
	char name[SCRUB_NAME_MAX];
};

struct scrub {
	struct scrub_stream *streams; /* SCRUB_STREAMS */
	uint64_t uses;
	uint64_t masked;           /* bytes masked, all records */
	uint64_t evicted;          /* streams forgotten to make room */
	size_t h2_held;            /* bytes of the HTTP/2 streams' header tables */
	uint64_t h2_lost;          /* times an HTTP/2 stream's header table was lost */
	uint64_t h2_resumed;       /* HTTP/2 streams met without their start (preface
				    * missed, state evicted): framing and table unknown */
	uint64_t h2_forgotten;     /* evicted HTTP/2 streams the set below lost */
	uint64_t h2_cut_kept;      /* secret Huffman symbols cut by a record, kept */
	uint64_t h2_nomem;         /* HTTP/2 streams read as text: no memory */
	uint64_t *gone;            /* SCRUB_STREAMS keys of evicted HTTP/2 streams */
	uint8_t buf[SCRUB_REC_MAX];
};

/* 0 or -ENOMEM */
int scrub_init(struct scrub *s);
void scrub_release(struct scrub *s);

/*
 * scrub_record - rec (size bytes) as it may be stored: rec itself when it
 * holds nothing to mask, else a copy in s->buf (valid until the next call)
 * with *out_size set.  NULL when it is too large to be scrubbed (not to be
 * stored).
 */
const void *scrub_record(struct scrub *s, const void *rec, size_t size, size_t *out_size);

/* is the state of this stream (a data record's pid, source, socket, fd) kept? */
bool scrub_kept(const struct scrub *s, uint32_t pid, uint8_t source, uint64_t sock_id,
		uint32_t fd);

#endif
