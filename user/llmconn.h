/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * llmconn.h - the model API exchanges being read on the connections of the
 * protocol stage (inspect.c): one per HTTP/1 connection (stream 0), one per
 * HTTP/2 stream (at most LLMCONN_STREAMS on a connection: past it the oldest
 * ends).  Each keeps the request's event (who made it) and its bodies
 * (exchange.h, within the one EXCHANGE_BUDGET of the struct llmconn), and
 * is decoded into an AM_EV_LLM event for emit when it ends: its answer
 * ended, a next request, idle, its process exited, the connection gone
 * (evicted: marked so).
 *
 * A connection's exchanges are a list whose head (struct llmconn_pend *,
 * NULL: none) the caller keeps with the connection.
 *
 * Watching: the kernel captures a TLS read whole only when it starts like
 * an answer (HTTP/, data:, event:), so an answer's later reads, and every
 * HTTP/2 frame, would be cut to the first bytes.  A process with exchanges
 * over TLS being read (at most LLMCONN_WATCHED processes) is watched: watch
 * is called with its pid and the bytes of TLS reads to capture whole
 * (LLMCONN_WATCH_BYTES per exchange open), and with 0 when its last one
 * ended.  What is read past that is cut and counted (bytes_missed).
 */
#ifndef AGENTMON_LLMCONN_H
#define AGENTMON_LLMCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "llm.h"

#define LLMCONN_STREAMS 8
#define LLMCONN_WATCHED 64
#define LLMCONN_WATCH_BYTES LLM_BODY_MAX

struct llmconn_pend;
typedef void (*llmconn_emit_fn)(void *arg, struct event *ev);
typedef void (*llmconn_watch_fn)(void *arg, uint32_t pid, uint64_t bytes);

struct llmconn {
	llmconn_emit_fn emit;
	void *arg;
	struct llm *out;           /* the exchange being emitted (large) */
	uint64_t held;             /* bytes the exchanges hold (EXCHANGE_BUDGET) */
	uint32_t open;             /* exchanges being read */
	uint64_t evicted;          /* exchanges ended by a connection's eviction */
	uint64_t unread;           /* answers in an encoding not decoded (br, zstd, corrupt) */
	uint64_t inflate_cut;      /* answers that decoded past LLM_BODY_MAX (bombs) */
	llmconn_watch_fn watch;    /* NULL: none (a replay) */
	void *watch_arg;
	struct { uint32_t pid, open; } watched[LLMCONN_WATCHED]; /* open 0: free */
};

/* 0, or -ENOMEM */
int llmconn_init(struct llmconn *L, llmconn_emit_fn emit, void *arg);
void llmconn_fini(struct llmconn *L);

/* what starts one: the request's event (copied), its destination name, the
 * API and path; content_length -1 when unknown; h2 for an HTTP/2 stream */
struct llmconn_req {
	const struct event *ev;
	const char *host;
	enum llm_api api;
	const char *path;
	size_t path_len;
	int64_t content_length;
	uint32_t stream;           /* HTTP/2 stream id, 0: HTTP/1 */
	uint64_t now_ns;           /* boot ns */
	bool tls;                  /* over TLS: its process is watched */
};
/* a request on the connection of *list: its exchange (the one of the same
 * stream before it ends).  false when out of memory */
bool llmconn_start(struct llmconn *L, struct llmconn_pend **list, const struct llmconn_req *r);
/* bytes of stream's request body (send) or answer (!send); ts_ns: wall time
 * of the bytes read.  An HTTP/1 answer that ended ends its exchange */
void llmconn_bytes(struct llmconn *L, struct llmconn_pend **list, uint32_t stream, bool send,
		   const uint8_t *buf, size_t cap, uint64_t ret, uint64_t now_ns, uint64_t ts_ns);
/* stream's answer ended (HTTP/2 END_STREAM, RST_STREAM) */
void llmconn_end(struct llmconn *L, struct llmconn_pend **list, uint32_t stream);
/* every exchange of the connection ends; evicted: it was forgotten early */
void llmconn_end_all(struct llmconn *L, struct llmconn_pend **list, bool evicted);
/* the HTTP/2 streams above last end (a GOAWAY: 0, all of them) */
void llmconn_end_above(struct llmconn *L, struct llmconn_pend **list, uint32_t last);
/* those made by process pid end (it exited: no more bytes come) */
void llmconn_exit(struct llmconn *L, struct llmconn_pend **list, uint32_t pid);
/* those without bytes since idle_before (boot ns) end */
void llmconn_idle(struct llmconn *L, struct llmconn_pend **list, uint64_t idle_before);
/* is one of them made by process pid? */
bool llmconn_has_pid(const struct llmconn_pend *list, uint32_t pid);
/* is stream's exchange being read (any stream: UINT32_MAX)? */
bool llmconn_has(const struct llmconn_pend *list, uint32_t stream);
/* bytes the list holds */
size_t llmconn_mem(const struct llmconn_pend *list);

#endif
