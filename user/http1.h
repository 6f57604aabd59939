/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * http1.h - the head of an HTTP/1.x request or the status line of a
 * response, parsed from the first bytes of a write (untrusted, possibly cut
 * short by the capture).  Nothing is allocated: every string points into the
 * caller's buffer, is not NUL-terminated and lives as long as that buffer.
 */
#ifndef AGENTMON_HTTP1_H
#define AGENTMON_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP1_MAX_HEADERS 64   /* header lines reported; more set headers_trunc */
#define HTTP1_METHOD_MAX  32   /* longest method token accepted */

struct http1_header {
	const char *name, *value;  /* value without surrounding whitespace */
	size_t name_len, value_len;
};

struct http1_req {
	const char *method;        /* token, e.g. "POST" */
	const char *target;        /* request target as sent */
	const char *path;          /* origin-form part of target ("/x?q"); may be "" */
	const char *host;          /* absolute-form authority, else Host, no port */
	size_t method_len, target_len, path_len, host_len;
	int64_t content_length;    /* -1 when absent */
	size_t head_len;           /* bytes through the empty line (head_complete) */
	size_t n_headers;          /* complete header lines in headers[] */
	struct http1_header headers[HTTP1_MAX_HEADERS];
	uint16_t version;          /* 10 or 11; 0 while the request line is cut */
	size_t lead;               /* empty lines skipped before the request line */
	bool known_method;         /* GET HEAD POST PUT PATCH DELETE OPTIONS CONNECT TRACE */
	bool partial;              /* 0 returned because buf is cut: more may make it a request */
	bool line_complete;        /* the request line ended in the buffer */
	bool head_complete;        /* the empty line ending the head was seen */
	bool chunked;              /* Transfer-Encoding ends in chunked */
	bool headers_trunc;        /* more than HTTP1_MAX_HEADERS header lines */
};

/*
 * Parse the start of buf as an HTTP/1.x request head.  Empty lines before
 * the request line are skipped (RFC 9112 2.2; counted in lead and head_len).
 * Returns 1 for a request (method is a known one, or any token once
 * " HTTP/1.x" ended the line; target/path once a space followed the method,
 * complete with line_complete; headers as far as whole lines were
 * captured), 0 when buf is not HTTP/1 or too short to tell (partial says
 * which; the HTTP/2 preface is not HTTP/1), -1 for a malformed request: the
 * fields parsed before the error stay in *req.
 */
int http1_parse_request(const uint8_t *buf, size_t len, struct http1_req *req);

/*
 * Parse a response status line "HTTP/1.1 201 Created".  Returns 1 and sets
 * *status (100..999) once the three digits are in buf, 0 when buf is not
 * an HTTP/1 response or too short, -1 when malformed.
 */
int http1_parse_status(const uint8_t *buf, size_t len, int *status);

/*
 * Host part of "host", "host:port", "[v6]" or "[v6]:port" (Host header,
 * :authority, authority-form target).  Returns the start of the host inside
 * s and its length in *host_len, or NULL when there is no usable host
 * (empty, unbalanced brackets, bad port).
 */
const char *http1_host(const char *s, size_t len, size_t *host_len);

/*
 * A chunked body (RFC 9112 7.1) read as it streams by: sizes, data, the
 * CRLF after each chunk, trailer lines.  Zero it to start.
 */
struct http1_chunked {
	uint64_t left;             /* data bytes left in the chunk (state DATA) */
	uint8_t state;             /* private */
	uint8_t digits;            /* hex digits of the size read so far */
	bool line_text;            /* the trailer line has bytes */
};

/*
 * http1_chunked_feed - consume the body bytes in buf.  Returns the bytes
 * used: len while the body goes on, fewer once it ended (*done set: the rest
 * is the next request), or -1 when the framing is broken (a size that is not
 * hex or overflows, no CRLF after a chunk).
 */
long http1_chunked_feed(struct http1_chunked *c, const uint8_t *buf, size_t len, bool *done);

/*
 * http1_chunked_skip - gap bytes of the body went by unseen (not captured).
 * Only a gap that starts inside a chunk's data and ends inside it or within
 * the CRLF after it (at most 2 bytes past the data, taken as that CRLF; the
 * next bytes must then be a size line) keeps the framing: returns gap.
 * Otherwise returns the bytes of gap that were chunk data, fewer than gap:
 * where the body goes on is unknown (the caller treats the stream as lost).
 */
uint64_t http1_chunked_skip(struct http1_chunked *c, uint64_t gap);

/* the value of header name (case-insensitive) in req, or NULL */
const struct http1_header *http1_header_find(const struct http1_req *req, const char *name);

#endif
