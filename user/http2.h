/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * http2.h - HTTP/2 requests and responses from the bytes one side of a
 * connection wrote, as the capture saw them: the first cap_len bytes of each
 * write or read and the real byte count.  One struct http2_conn per TCP
 * connection and direction: HTTP2_CLIENT is fed what the client wrote (the
 * preface, if we were there, then its frames) and reports requests;
 * HTTP2_SERVER is fed what the client read and reports :status.
 *
 * Frames are reassembled across feeds; bytes that were not captured are
 * skipped by count, so framing survives cut frames.  Header blocks are
 * decoded with nghttp2's HPACK inflater.  When a block cannot be decoded (a
 * cut frame, a lost frame header, an inflater error) the header table is
 * lost: the block is read by a fallback that understands static-table
 * indexes and literals with static names (:method GET/POST, :path,
 * :authority), the inflater is replaced by a new one, and later blocks decode
 * again as far as they reference entries added after the loss.  When the
 * framing itself is lost, the next feed that starts with a plausible frame
 * header restarts it.
 *
 * Every client header block is reported as a request, whole or not: a block
 * cut by the capture, cut at a bound (HTTP2_BLOCK_MAX bytes for one block,
 * HTTP2_BLOCKS_TOTAL for the blocks of every connection at once; counted in
 * blocks_over) or undecodable comes with what the fallback found and method
 * NULL when :method was not among it.  Block buffers live only while their
 * block is being read.
 */
#ifndef AGENTMON_HTTP2_H
#define AGENTMON_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP2_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP2_PREFACE_LEN 24
#define HTTP2_BLOCK_MAX   65536 /* header block bytes kept; more is a cut */
#define HTTP2_BLOCKS_TOTAL (4u << 20) /* block bytes kept by all connections */
#define HTTP2_PATH_MAX    2048  /* :path bytes kept (NUL included) */
#define HTTP2_STREAMS     32    /* streams whose body bytes are counted at once */

enum http2_dir {
	HTTP2_CLIENT,  /* bytes the client wrote: requests */
	HTTP2_SERVER,  /* bytes the client read: responses */
};

/*
 * one request; strings NUL-terminated, valid during the callback, or NULL.
 * Every header block of the client is one, whole or not (cut by the
 * capture, over a bound, undecodable): method NULL means it is unknown.
 * Only a block on a stream that already made a request (trailers) is not.
 */
struct http2_req {
	uint32_t stream_id;
	const char *method;
	const char *scheme;
	const char *authority;  /* without port */
	const char *path;       /* as sent, cut at HTTP2_PATH_MAX - 1 bytes */
	bool end_stream;        /* the HEADERS frame ended the stream: no body */
	bool partial;           /* from the fallback: fields may be missing */
};

struct http2_callbacks {
	void (*request)(void *ctx, const struct http2_req *req);           /* client */
	void (*response)(void *ctx, uint32_t stream_id, int status);       /* server */
	/* a stream ended (END_STREAM, or RST_STREAM): the DATA payload bytes it carried */
	void (*body_end)(void *ctx, uint32_t stream_id, uint64_t bytes);
	/*
	 * n bytes of a DATA frame's payload (padding aside), in order: p holds
	 * the first cap of them, cap < n when the rest was not captured
	 */
	void (*data)(void *ctx, uint32_t stream_id, const uint8_t *p, size_t cap, uint64_t n);
	/* a RST_STREAM frame on stream_id, whether its stream was known or not */
	void (*reset)(void *ctx, uint32_t stream_id);
	/* a GOAWAY frame whose first 8 payload bytes were captured: streams
	 * above last_stream_id are not processed by its sender; error 0 is
	 * NO_ERROR (a graceful close) */
	void (*goaway)(void *ctx, uint32_t last_stream_id, uint32_t error);
};

struct http2_stats {
	uint64_t frames;        /* frame headers read */
	uint64_t blocks;        /* header blocks decoded by the inflater */
	uint64_t blocks_lost;   /* header blocks read by the fallback */
	uint64_t resyncs;       /* times the framing restarted after a loss */
	uint64_t blocks_over;   /* blocks cut at HTTP2_BLOCK_MAX or HTTP2_BLOCKS_TOTAL */
	bool table_lost;        /* the header table was lost at least once */
	bool in_sync;           /* framing is known right now */
};

struct http2_conn;

/*
 * A connection direction; cb members may be NULL.  Returns NULL when out of
 * memory.  The callbacks run inside http2_conn_feed.
 */
struct http2_conn *http2_conn_new(enum http2_dir dir, const struct http2_callbacks *cb,
				  void *ctx);
void http2_conn_free(struct http2_conn *c);
/* bytes c holds: itself, its header block buffer, its HPACK tables */
size_t http2_conn_mem(const struct http2_conn *c);

/*
 * The next bytes of the direction: buf holds the first cap_len of the ret
 * bytes the operation moved (cap_len <= ret; the rest was not captured).
 * Returns 0, or -1 when the bytes are not (or no longer) HTTP/2 framing:
 * they were skipped, and a later feed may find frames again.
 */
int http2_conn_feed(struct http2_conn *c, const uint8_t *buf, size_t cap_len, uint64_t ret);

void http2_conn_stats(const struct http2_conn *c, struct http2_stats *st);

/* over every connection of the process (which feeds them from one thread) */
struct http2_totals {
	uint64_t held;          /* header block bytes buffered now */
	uint64_t blocks_over;   /* blocks cut at a bound since start */
};
void http2_totals(struct http2_totals *t);

/* does buf start with the client preface (or as much of it as len holds)? */
bool http2_is_preface(const uint8_t *buf, size_t len);

/*
 * could these 9 bytes be a frame header (its length, type, stream id and
 * flags fit)?  strict: known types only, reserved bit clear, at most 1 MiB:
 * where a reader that lost the framing starts again
 */
bool http2_frame_plausible(const uint8_t *h, bool strict);

#endif
