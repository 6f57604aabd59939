// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* collector_tls.c - the collector's TLS callbacks: an agent's exec and
 * opened objects handed to the TLS watch, the scanner's verdicts, the
 * judgement of a ClientHello, and the per-process TLS uprobes following
 * tagged processes through exec, fork and exit.  Nothing here owns memory. */
#include <time.h>

#include "collector_int.h"
#include "common.h"
#include "detect.h"
#include "load.h"
#include "pipeline.h"
#include "tls_watch.h"

/* an agent execs: hook the TLS library its binary carries, if any */
void collector_tls_exec(void *arg, const struct event *ev)
{
	tls_watch_exec(((struct collector *)arg)->tls, ev);
}

/* an agent opens a file: a shared object is scanned before it is mapped */
void collector_tls_open(void *arg, const struct event *ev)
{
	tls_watch_open(((struct collector *)arg)->tls, ev);
}

/* the scanner thread finished a file: its verdict (and attach) on the loop */
void collector_tls_scanned(void *arg, const struct loader_scanned *r)
{
	struct collector *c = arg;
	char warn[1024];

	am_debug("%s (for %s[%u]; scanned in %llu ms)", r->msg, r->label, r->pid,
		 (unsigned long long)(r->ns / 1000000));
	tls_watch_scanned(c->tls, r, warn, sizeof(warn));
	if (warn[0])
		am_warn("%s", warn);
}

/* a ClientHello: is its plaintext read (enum rules_tls; said once per
 * binary); a hooked binary that showed none before is unseen from now on;
 * one sent before its process's per-process uprobes (on the shared
 * libraries: not a binary hooked in a TLS library of its own) were in place
 * may not be read: judged when it ends (EARLY: unseen_tls to a host not
 * listed unless a request or plaintext was read on it, whatever its size),
 * not taken for a blind hook; counted whether its library was told yet or
 * not (PENDING already) */
int collector_tls_hello(void *arg, struct event *ev)
{
	struct collector *c = arg;
	char warn[1024];
	enum rules_tls how = tls_watch_hello(c->tls, ev, warn, sizeof(warn));

	if (how == RULES_TLS_NONE && detect_tls_blind(pipeline_detect(c->pl), ev->exe))
		how = tls_watch_blind(c->tls, ev, warn, sizeof(warn));
	if (warn[0])
		am_warn("%s", warn);
	if ((how == RULES_TLS_NONE || how == RULES_TLS_PENDING) && !tls_watch_own(c->tls, ev) &&
	    loader_tls_unsure(c->loader, ev->pid, ev->ts_ns - (uint64_t)c->boot_to_real_ns)) {
		am_debug("tls uprobes: process %u's ClientHello came before its uprobes were in "
			 "place: its connection is judged when it ends", ev->pid);
		return RULES_TLS_EARLY;
	}
	return how == RULES_TLS_NONE ? RULES_TLS_HOOKED : how;
}

/* the TLS uprobes follow the tagged processes: tagged at exec, forked, gone */
void collector_tls_follow(struct collector *c, const struct am_hdr *h)
{
	uint32_t root;
	uint64_t t0 = am_now_ns(CLOCK_BOOTTIME);
	int made = 0;

	if (h->type == AM_EV_EXEC && (h->flags & AM_F_NEW_TAG))
		made = loader_tls_root(c->loader, h->pid);
	else if (h->type == AM_EV_FORK)
		made = loader_tls_fork(c->loader, h->ppid, h->pid, h->ts_ns);
	if (made)
		am_debug("tls uprobes: process %u %s (%llu us after its record, in %llu us)", h->pid,
			 made == 2 ? "guarded" : "attached", (unsigned long long)(t0 - h->ts_ns) / 1000,
			 (unsigned long long)(am_now_ns(CLOCK_BOOTTIME) - t0) / 1000);
	else if (h->type == AM_EV_EXIT && (root = loader_tls_exit(c->loader, h->pid)))
		am_debug("tls uprobes: process %u's attach released (in %llu us)", root,
			 (unsigned long long)(am_now_ns(CLOCK_BOOTTIME) - t0) / 1000);
}
