/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * inspect.h - the protocol stage: turns the bytes the kernel captured
 * (AM_EV_DATA: socket payload on the wire, TLS plaintext, DNS answers) into
 * what a person and the policy understand: http and dns events, host names
 * for addresses (DNS answers, TLS SNI), and byte counts for connections
 * whose content is not visible.  HTTP/1 heads are reassembled per
 * connection (reasm.c); every head found is judged, whole or not.  Keeps per-connection state (TLS seen, SNI,
 * HTTP/2 HPACK tables) in a bounded table keyed by the 5-tuple.
 */
#ifndef AGENTMON_INSPECT_H
#define AGENTMON_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "names.h"

struct inspect;

#define INSPECT_HOLD_NS (1000ull * 1000 * 1000) /* wait for a response this long */

/*
 * an event the stage produced, for one of two sinks: print (the output) and
 * judge (the policy).  An http event is judged at once and printed when its
 * response came (with its status) or after INSPECT_HOLD_NS; a dns event goes
 * to both; a send tally of a connection whose content is not visible is only
 * judged.
 */
typedef void (*inspect_emit_fn)(void *arg, struct event *ev);

struct inspect *inspect_new(struct names *names, inspect_emit_fn print,
			    inspect_emit_fn judge, void *arg);
void inspect_free(struct inspect *in);
/* also call hello with the data event that carried a TLS ClientHello (to
 * tell whether the client's TLS library is one whose plaintext is seen) */
void inspect_on_hello(struct inspect *in, inspect_emit_fn hello);
/*
 * read the exchanges of tagged agents with model APIs: a POST to an API path
 * (llm.h) on a connection to a host is_llm accepts has its bodies kept
 * (exchange.h) and decoded into an AM_EV_LLM event for llm when its answer
 * ended (length, last chunk, next request, INSPECT_LLM_IDLE_NS without
 * bytes, its process's exit: inspect_exit, connection gone).  The event's strings live until llm returns.
 */
#define INSPECT_LLM_IDLE_NS (10ull * 1000 * 1000 * 1000)
typedef bool (*inspect_is_llm_fn)(void *arg, const char *host);
void inspect_on_llm(struct inspect *in, inspect_is_llm_fn is_llm, inspect_emit_fn llm);
/* while a process has exchanges over TLS being read, watch(arg, pid, bytes)
 * asks the kernel to capture that many bytes of its TLS reads whole (0: no
 * more); see llmconn.h */
void inspect_on_llm_watch(struct inspect *in, void (*watch)(void *arg, uint32_t pid,
							     uint64_t bytes), void *arg);
/* during hello: the server name the ClientHello carried, or NULL */
const char *inspect_hello_sni(const struct inspect *in);

/* one enriched AM_EV_DATA event (common fields filled, ts wall time) */
void inspect_data(struct inspect *in, const struct event *ev);
/* process pid exited (the last thread of its group): its model API
 * exchanges end at once (their llm events), on every connection */
void inspect_exit(struct inspect *in, uint32_t pid);
/* the time now (boot ns), from the record being fed or the loop's clock; the
 * stage never reads the host's clock once it has been given one (replays) */
void inspect_clock(struct inspect *in, uint64_t now_boot_ns);
/* what the stage could not keep, for `agentmon status`: the heads_*,
 * conns_evicted and answers_unattributed* figures of h (the rest is left
 * alone) */
struct status_http;
void inspect_status(const struct inspect *in, struct status_http *h);

/*
 * One memory budget for all per-connection state: tracked connections,
 * their held requests, HTTP/1 head buffers, HTTP/2 header block buffers and
 * HPACK tables, the model API exchanges being read (their bodies).  Past it the least recently used connections are evicted
 * (what they hold is shown first), counted.  Default INSPECT_MEM_BUDGET.
 */
#define INSPECT_MEM_BUDGET (32u << 20)
void inspect_set_mem_budget(struct inspect *in, size_t bytes);
struct inspect_mem {
	uint64_t bytes;       /* held now */
	uint64_t budget;
	uint64_t evicted;     /* connections evicted for the budget */
	uint64_t llm_evicted; /* model API exchanges those (or a full table) cut */
	uint64_t llm_unread;  /* model answers in an encoding not decoded (br, zstd) */
	uint64_t llm_inflate_cut; /* model answers cut decoding (past LLM_BODY_MAX) */
};
void inspect_mem(const struct inspect *in, struct inspect_mem *m);

/* print the requests held longer than INSPECT_HOLD_NS (boot ns; UINT64_MAX:
 * all of them, at shutdown) */
void inspect_tick(struct inspect *in, uint64_t now_boot_ns);

#endif
