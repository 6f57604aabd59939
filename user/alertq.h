/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * alertq.h - a webhook's alerts waiting for delivery, and the order they
 * go in.  Pure bookkeeping (no I/O, no locks, no clock): webhook.c holds it
 * under its lock and does the spooling and sending.
 *
 * Fair: every alert belongs to a lane (its agent: name and agent_pid); the
 * next alert to send is the oldest due one of the lane after the last lane
 * served (round robin), so an alert of one agent waits for at most one
 * attempt per other agent, never behind another agent's storm.
 * Independent: each alert has its own retry time and backoff, so one that
 * fails (a 5xx for it, a timeout) does not hold up the others.
 * Bounded: at most max live alerts; when a new one comes to a full queue the
 * one to go is the lowest severity, then the most folded (count), then the
 * oldest; the new alert goes instead only when it ranks strictly lower
 * (lower severity, or as severe and more folded): the newest high is kept.
 * Aged: an alert queued longer than ttl expires.  Evicted and expired
 * alerts are marked dead and counted; the owner removes them (and their
 * spool files) with alertq_dead() / alertq_remove().
 */
#ifndef AGENTMON_ALERTQ_H
#define AGENTMON_ALERTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

#define ALERTQ_ID_LEN    32
#define ALERTQ_NAME_LEN  63

struct alertq_item {
	uint64_t lane;          /* alertq_lane() of its agent */
	int sev;                /* storm_severity_rank() */
	uint32_t count;         /* occurrences folded into it */
	uint64_t added_ns;      /* queued at (the owner's monotonic clock) */
	uint64_t next_try_ns;   /* no attempt before */
	unsigned backoff_ms;    /* its next retry delay; 0: not failed yet */
	char id[ALERTQ_ID_LEN + 1];
	char name[ALERTQ_NAME_LEN + 1]; /* its spool file, "" until spooled */
	char *body;             /* owned; in memory until spooled, then NULL */
	size_t len;
	/* set by alertq */
	uint64_t seq;           /* arrival order */
	bool dead;              /* evicted or expired: to be removed */
	bool busy;              /* the owner works on it with the lock dropped */
};

struct alertq {
	struct alertq_item *v;
	size_t n, cap;          /* items, dead ones included */
	size_t live;            /* not dead */
	size_t max;
	uint64_t ttl_ns;
	uint64_t seq;
	uint64_t last_lane;     /* the lane served last */
	uint64_t last_spooled;  /* the lane spooled last */
	uint64_t evicted;       /* dropped at the bound (the new one or a victim) */
	uint64_t expired;       /* dropped at their ttl */
};

/* max 0: 10000; ttl_ns 0: one day */
void alertq_init(struct alertq *q, size_t max, uint64_t ttl_ns);
/* frees the bodies still held */
void alertq_free(struct alertq *q);

/* the lane of an alert of agent (NULL: none) with agent_pid */
uint64_t alertq_lane(const char *agent, uint32_t agent_pid);
/* lane, sev and count of it from a body of output_event_json (or a Slack
 * body: severity only) left in a spool by an earlier run */
void alertq_meta_of_body(struct alertq_item *it, const char *body, size_t len);

/*
 * alertq_add - queue *it (its body then belongs to the queue).  0; or
 * -EAGAIN when the queue is full and it ranks lowest (not queued, the
 * caller keeps its body; counted evicted); -ENOMEM.  A victim evicted to
 * make room is marked dead.
 */
int alertq_add(struct alertq *q, const struct alertq_item *it);
/*
 * alertq_next - the index of the next alert to send at now_ns (spooled,
 * due, not busy), its lane then served; -1 with *wake_ns the earliest
 * retry time among the waiting ones (0: none).
 */
ssize_t alertq_next(struct alertq *q, uint64_t now_ns, uint64_t *wake_ns);
/* the next live alert to spool (not busy), in the same round robin over
 * lanes as alertq_next: a storm held in memory does not hold up another
 * agent's alert on its way to the spool either; -1 */
ssize_t alertq_unspooled(struct alertq *q);
/* mark dead what is older than ttl at now_ns; the number expired */
size_t alertq_expire(struct alertq *q, uint64_t now_ns);
/* a dead alert that is not busy; -1 */
ssize_t alertq_dead(const struct alertq *q);
/* mark item i dead (not counted: the owner counts why) */
void alertq_kill(struct alertq *q, size_t i);
/* forget item i (its body freed); other indexes may change */
void alertq_remove(struct alertq *q, size_t i);
/* item i failed: retry after its own backoff (doubling from min_ms up to
 * max_ms, jitter from rnd in [b/2, b]) */
void alertq_retry(struct alertq *q, size_t i, uint64_t now_ns, unsigned min_ms,
		  unsigned max_ms, uint64_t rnd);
/* live alerts spooled, and in memory */
void alertq_counts(const struct alertq *q, size_t *spooled, size_t *in_memory);

#endif
