/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * connhold.h - a tagged process's TCP connect waits, briefly, for the TLS
 * ClientHello on its socket, so that the connect event carries the server
 * name it asked for (SNI): the name of this connection, where DNS or an
 * earlier connection can only name the address (many names share one).
 *
 * A held connect goes out (the caller's emit) exactly once, in the order held:
 *   - with the host, when the ClientHello on its (pid, fd) arrives;
 *   - without it, when other bytes go out on that socket first, when its
 *     process exits, when another connect is held on the same (pid, fd),
 *     when it has waited CONNHOLD_NS of kernel time (by the clock of later
 *     records and ticks), when the hold is full (the oldest), or at the end.
 * Nothing is dropped: the hold only delays.  The event is copied, the strings
 * it points to (exe, comm) included, so the process cache may drop the process.
 */
#ifndef AGENTMON_CONNHOLD_H
#define AGENTMON_CONNHOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

#define CONNHOLD_MAX 256
#define CONNHOLD_NS  (250ull * 1000 * 1000)

typedef void (*connhold_emit_fn)(void *arg, struct event *ev);

struct connhold;

/* NULL on ENOMEM; emit(arg, ev) receives every event that leaves the hold */
struct connhold *connhold_new(connhold_emit_fn emit, void *arg);
/* releases everything still held (without host), then frees */
void connhold_free(struct connhold *h);

/*
 * connhold_put - hold ev (a connect) when it is worth waiting for: TCP, from
 * a tagged process, a socket fd known, succeeded or in progress.
 * held_ns is the kernel (boot) time it arrived.  Returns true when held (the
 * caller must not show it now); false when the caller shows it as it is.
 */
bool connhold_put(struct connhold *h, const struct event *ev, uint64_t held_ns);

/*
 * the ClientHello in data (an AM_EV_DATA event: its process, destination and,
 * from a write, its socket fd) named host (NULL: none; the connect keeps the
 * name it had from DNS): the oldest such connect goes out
 */
void connhold_hello(struct connhold *h, const struct event *data, const char *host);
/* other bytes went out (data): that connect goes out as it is */
void connhold_data(struct connhold *h, const struct event *data);
/* process pid exited: its connects go out */
void connhold_exit(struct connhold *h, uint32_t pid);
/* the kernel's clock reached now_ns: connects held CONNHOLD_NS go out */
void connhold_tick(struct connhold *h, uint64_t now_ns);
/* how many are held */
unsigned connhold_count(const struct connhold *h);

#endif
