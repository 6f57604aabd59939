/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * subscribers.h - the tail side of the control socket: what a `tail`
 * client asked for (its filter and format), the bounded queue of lines
 * waiting for it, and the count of what it missed.  The only I/O here is
 * lq_send(), which writes a queue to a socket without ever blocking.
 *
 * Request arguments (after "tail"), space separated, any order:
 *   json | color | verbose | agent=NAME | type=T[,T...] | pid=N | alerts
 * Type names are event_type_name()'s (exec, open, alert, drop...).  An
 * event passes when every given filter holds; drop events always pass.
 * A client that is not root gets only the events of its own uid's
 * processes (own_uid: set from the peer's credentials, never requested).
 * Text goes through a compact view (view.h) unless verbose or type= is
 * given: then every event is a line, as `run -v`.  Clients with the same
 * filter share one view (its state and its lines, made once per event).
 */
#ifndef AGENTMON_SUBSCRIBERS_H
#define AGENTMON_SUBSCRIBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "json.h"
#include "output.h"

struct policy_view;

#define TAIL_QUEUE_BYTES (1u << 20)  /* lines held for one slow client */

struct tail_filter {
	char agent[AM_NAME_MAX];  /* "" = any agent */
	uint64_t types;           /* bit (1 << type) per wanted type; 0 = any */
	uint32_t pid;             /* the pid or the agent_pid; 0 = any */
	bool alerts;              /* alerts only */
	bool json;                /* JSON Lines, else text */
	bool color;               /* text with terminal colours */
	bool verbose;             /* text: every event, not the compact view */
	bool own_uid;             /* only events of processes of uid (set by the
				     collector for a client that is not root) */
	uint32_t uid;
};

/*
 * tail_filter_parse - args (what follows "tail" in the request, may be
 * empty) into f.  0, or -EINVAL with err naming the bad word.
 */
int tail_filter_parse(const char *args, struct tail_filter *f, char *err, size_t errlen);
/* the request line "tail ..." that asks for f; 0 or -ENAMETOOLONG */
int tail_filter_request(const struct tail_filter *f, char *line, size_t len);
/* whether ev goes to a client with filter f */
bool tail_filter_match(const struct tail_filter *f, const struct event *ev);
/* the format of f's lines */
static inline enum output_format tail_filter_format(const struct tail_filter *f)
{
	return f->json ? OUTPUT_JSON : OUTPUT_TEXT;
}

/* a byte ring of whole lines: cap bytes, len queued from head */
struct line_queue {
	char *buf;
	size_t cap, head, len;
};

/* allocate cap bytes (touched only as far as lines queue up); -ENOMEM */
int lq_init(struct line_queue *q, size_t cap);
void lq_free(struct line_queue *q);
/* append n bytes whole, or nothing (false) when they do not fit */
bool lq_push(struct line_queue *q, const void *s, size_t n);
/*
 * lq_send - write queued bytes to the socket fd with MSG_DONTWAIT |
 * MSG_NOSIGNAL until the queue is empty or the socket full.  Returns the
 * bytes written, or -errno when the peer is gone (EPIPE, ECONNRESET...).
 */
long lq_send(struct line_queue *q, int fd);

/* one tail client's state (its socket is the control client's) */
struct subscriber {
	struct tail_filter f;
	struct line_queue q;
	uint64_t missed;        /* dropped since the last notice */
	uint64_t missed_total;  /* dropped since it connected */
	size_t unsent;          /* bytes queued since the last send attempt */
	bool blocked;           /* its socket was full: wait for POLLOUT */
	struct view_share *share; /* its compact text view; NULL: every event */
};

/* a subscriber for f with a TAIL_QUEUE_BYTES queue; -ENOMEM */
int sub_init(struct subscriber *s, const struct tail_filter *f);
struct fanout;
/* s's compact view, shared with fo's clients of the same filter that came
 * before any event reached it, when its filter wants one (text, not
 * verbose, no type=); -ENOMEM */
int sub_view(struct subscriber *s, struct fanout *fo);
void sub_free(struct subscriber *s);
/*
 * sub_offer - queue one formatted line (after the missed notice when one
 * is due and the queue has drained to half).  False, and the line counted
 * as missed, when it does not fit.
 */
bool sub_offer(struct subscriber *s, const char *line, size_t n);
/* queue the missed notice when one is due and there is room again */
void sub_notice(struct subscriber *s);

/*
 * struct fanout - one event formatted at most once per format that some
 * subscriber wants (text, coloured text, JSON), reusing its buffers: no
 * allocation per event once they have grown.
 */
enum { FANOUT_TEXT, FANOUT_COLOR, FANOUT_JSON, FANOUT_N };

struct fanout {
	struct jw line[FANOUT_N];
	bool have[FANOUT_N];
	struct view_share *shares; /* the compact views, one per filter */
	const struct policy_view *globs; /* the views' show/hide globs; NULL: none */
};

/* one compact view and its lines for the current event, for the clients
 * whose filter is key */
struct view_share {
	struct view_share *next;
	struct fanout *fo;
	struct tail_filter key;
	struct view *view;
	struct jw out;
	unsigned refs;
	bool have;             /* out holds the current event's lines */
	bool fed;              /* it has seen an event: a client that comes
				  later gets a view of its own */
};

void fanout_init(struct fanout *fo);
void fanout_free(struct fanout *fo);
/* forget the previous event's lines */
void fanout_begin(struct fanout *fo);
/* every view's fold lines due at now_ns into its out (have set) */
void fanout_tick(struct fanout *fo, uint64_t now_ns);
/* the globs of every view, now and to come := pv's (kept by pointer: the
 * caller keeps pv until the next call); -ENOMEM when a view got none */
int fanout_view_policy(struct fanout *fo, const struct policy_view *pv);
/* ev as a line for a client with filter f; NULL when out of memory */
const struct jw *fanout_line(struct fanout *fo, const struct event *ev,
			     const struct tail_filter *f);
/*
 * sub_line - ev as s's lines: its view's (maybe none: len 0), else the
 * shared fanout_line(); NULL when out of memory
 */
const struct jw *sub_line(struct subscriber *s, struct fanout *fo, const struct event *ev);

#endif
