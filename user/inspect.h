/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * inspect.h - the protocol stage: turns the bytes the kernel captured
 * (AM_EV_DATA: socket payload on the wire, TLS plaintext, DNS answers) into
 * what a person and the policy understand: http and dns events, host names
 * for addresses (DNS answers, TLS SNI), and byte counts for connections
 * whose content is not visible.  Keeps per-connection state (TLS seen, SNI,
 * HTTP/2 HPACK tables) in a bounded table keyed by the 5-tuple.
 */
#ifndef AGENTMON_INSPECT_H
#define AGENTMON_INSPECT_H

#include <stdint.h>

#include "event.h"
#include "names.h"

struct inspect;

/* an event the stage produced: shown and judged (http, dns) or only judged
 * (a send tally of a connection whose content is not visible) */
typedef void (*inspect_emit_fn)(void *arg, struct event *ev);

struct inspect *inspect_new(struct names *names, inspect_emit_fn show,
			    inspect_emit_fn judge, void *arg);
void inspect_free(struct inspect *in);
/* also call hello with the data event that carried a TLS ClientHello (to
 * tell whether the client's TLS library is one whose plaintext is seen) */
void inspect_on_hello(struct inspect *in, inspect_emit_fn hello);

/* one enriched AM_EV_DATA event (common fields filled, ts wall time) */
void inspect_data(struct inspect *in, const struct event *ev);

#endif
