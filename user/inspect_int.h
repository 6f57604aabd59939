/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * inspect_int.h - what inspect.c and inspect_h2.c share, private to them:
 * the inspector's state and connections, and the helpers of inspect.c the
 * HTTP/2 callbacks (inspect_h2.c) call.  inspect.c calls inspect_h2_feed.
 */
#ifndef AGENTMON_INSPECT_INT_H
#define AGENTMON_INSPECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "http1.h"
#include "http2.h"
#include "inspect.h"
#include "llmconn.h"
#include "reasm.h"
#include "table.h"

#define CONNS_MAX 4096
#define HOST_MAX  256
#define PATH_OUT  2048

struct conn_key {
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport, family;
	uint8_t proto, _pad;
};

/* a request judged at once and shown when its response (status) came */
struct held {
	uint64_t since_ns;         /* boot ns it was seen; 0: none held */
	uint32_t stream;           /* HTTP/2 stream id, 0 for HTTP/1 */
	struct event ev;           /* its strings point into the fields below */
	char method[HTTP1_METHOD_MAX + 1];
	char host[HOST_MAX];
	char req_host[HOST_MAX];
	char path[PATH_OUT];
	char exe[PATH_OUT];
	char agent[AM_NAME_MAX];   /* the policy (and its names) may be reloaded */
};

struct conn {
	struct llmconn_pend *llm;  /* model API exchanges being read, NULL: none */
	bool llm_fed;              /* the piece being fed went to llm already */
	bool tls;                  /* a ClientHello or TLS plaintext was seen */
	bool h2;                   /* HTTP/2 (preface or ALPN h2 and frames) */
	char sni[HOST_MAX];
	char tunnel[HOST_MAX];     /* the target of a CONNECT on the wire stream */
	struct reasm_stream wire, plain; /* HTTP/1 heads: cleartext on the wire, TLS plaintext */
	struct http2_conn *h2tx, *h2rx;
	struct held *held;         /* the last request, until its response */
	size_t mem;                /* what it holds besides itself (conn_mem) */
};

struct inspect {
	struct table *conns;
	struct reasm *reasm;
	uint64_t conns_evicted;    /* connections forgotten while open (table full) */
	uint64_t unattributed, unattributed_bytes; /* socketless TLS answer reads of a
				    * process with several exchanges open: whose is not known */
	struct names *names;
	inspect_emit_fn print, judge, hello;
	inspect_is_llm_fn is_llm;  /* NULL: no exchange is read */
	struct llmconn llm;
	void *arg;
	uint64_t now_ns;           /* boot ns of the pipeline's clock; 0: the host's */
	/* the feed in progress, for the HTTP/2 callbacks */
	const struct event *cur;
	struct conn *cur_conn;
	struct dns_msg dns;        /* large: kept here, not on the stack */
	char host[HOST_MAX];
	char path[PATH_OUT];
	char method[HTTP1_METHOD_MAX + 1];
	const char *incomplete;    /* of the head being emitted (see event_http) */
	bool freeing;              /* inspect_free: releases are not evictions */
	size_t mem, mem_budget;    /* what connections hold besides themselves */
	uint64_t mem_evicted;      /* connections evicted for the budget */
	bool mem_evicting;
};
/* the pipeline's boot-time clock: a replay runs on the recorded time */
uint64_t inspect_now_ns(const struct inspect *in);
/* s (len bytes, NULL: none) into dst, cut to size - 1 bytes and NUL-terminated */
void inspect_copy_cut(char *dst, size_t size, const char *s, size_t len);
/* show what c holds (its request waiting for a response), with status when one came */
void inspect_held_show(struct inspect *in, struct conn *c, int status);
/* one request seen on c: an http event, judged now, shown with its response (inspect.c) */
void inspect_emit_http(struct inspect *in, const struct event *data, struct conn *c,
		       const char *method, const char *host, const char *path, size_t path_len,
		       uint64_t bytes, uint16_t version, uint32_t stream);
/* a POST to path of stream (0: HTTP/1) on c: read its exchange when it is a
 * tagged agent's call to a model API; false when not read */
bool inspect_llm_start(struct inspect *in, struct conn *c, const char *req_host,
		       const char *path, size_t path_len, int64_t content_length, uint32_t stream);
/* HTTP/2 bytes of d (tx: the client's) to c's decoder of that direction,
 * made on first use (inspect_h2.c); false when it cannot be made (no memory) */
bool inspect_h2_feed(struct inspect *in, struct conn *c, const struct event_data *d, bool tx);

#endif
