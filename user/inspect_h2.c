// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * inspect_h2.c - the inspector's HTTP/2 side (see inspect.h): the callbacks
 * of a connection's two http2.c decoders, for the feed in progress
 * (in->cur on in->cur_conn): a request is an http event, judged, held for
 * its response; a POST to a model API is read as an exchange (llmconn),
 * which its DATA, end, RST_STREAM or GOAWAY feed or end.
 */
#include <string.h>

#include "inspect_int.h"

/* every client header block is a request: one cut or undecodable has method NULL (unknown) */
static void h2_request(void *ctx, const struct http2_req *r)
{
	struct inspect *in = ctx;
	const char *path = r->path ? r->path : "";

	if (r->method)
		inspect_copy_cut(in->method, sizeof(in->method), r->method, strlen(r->method));
	inspect_emit_http(in, in->cur, in->cur_conn, r->method ? in->method : NULL,
			  r->authority, path, strlen(path), 0, 20, r->stream_id);
	if (r->method && !strcmp(r->method, "POST"))
		inspect_llm_start(in, in->cur_conn, r->authority, path, strlen(path), -1, r->stream_id);
}

/* DATA of a stream: to its exchange (the bytes the client sent or read) */
static void h2_data(void *ctx, uint32_t stream, const uint8_t *p, size_t cap, uint64_t n)
{
	struct inspect *in = ctx;
	struct conn *c = in->cur_conn;

	llmconn_bytes(&in->llm, &c->llm, stream, in->cur->data.source == AM_DATA_TLS_SEND ||
		      in->cur->data.source == AM_DATA_SOCK_SEND, p, cap, n, inspect_now_ns(in),
		      in->cur->ts_ns);
}

/* a stream the server ended: its exchange is over */
static void h2_end(void *ctx, uint32_t stream, uint64_t bytes)
{
	struct inspect *in = ctx;
	const struct event_data *d = &in->cur->data;

	if (d->source == AM_DATA_TLS_RECV || d->source == AM_DATA_SOCK_RECV)
		llmconn_end(&in->llm, &in->cur_conn->llm, stream);
}

static void h2_response(void *ctx, uint32_t stream_id, int status)
{
	struct inspect *in = ctx;
	struct held *h = in->cur_conn->held;

	if (h && h->since_ns && h->stream == stream_id)
		inspect_held_show(in, in->cur_conn, status);
}

/* a RST_STREAM, sent (the client cancelled the stream) or read: its exchange is over */
static void h2_reset(void *ctx, uint32_t stream)
{
	struct inspect *in = ctx;

	llmconn_end(&in->llm, &in->cur_conn->llm, stream);
}

/*
 * a GOAWAY: the server's ends the streams above last (never processed); the
 * client's with an error (it gives up the connection) ends them all, while
 * its graceful one (NO_ERROR) leaves the answers in flight to their end
 */
static void h2_goaway(void *ctx, uint32_t last, uint32_t error)
{
	struct inspect *in = ctx;
	uint8_t src = in->cur->data.source;
	bool client = src == AM_DATA_TLS_SEND || src == AM_DATA_SOCK_SEND;

	if (client && !error)
		return;
	llmconn_end_above(&in->llm, &in->cur_conn->llm, client ? 0 : last);
}

static const struct http2_callbacks h2_cb = {
	.request = h2_request, .response = h2_response, .data = h2_data, .body_end = h2_end,
	.reset = h2_reset, .goaway = h2_goaway,
};

bool inspect_h2_feed(struct inspect *in, struct conn *c, const struct event_data *d, bool tx)
{
	struct http2_conn **h = tx ? &c->h2tx : &c->h2rx;

	if (!*h && !(*h = http2_conn_new(tx ? HTTP2_CLIENT : HTTP2_SERVER, &h2_cb, in)))
		return false;
	http2_conn_feed(*h, d->buf, d->cap_len, (uint64_t)(d->ret > 0 ? d->ret : 0));
	return true;
}