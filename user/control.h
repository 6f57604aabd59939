/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * control.h - the collector's Unix control socket and its clients.
 *
 * Protocol: one request line per connection, then:
 *   "launch NAME\n"   -> "ok PID\n" | "error REASON\n", closed
 *   "tail [json] [color] [agent=NAME] [type=T[,T...]] [pid=N] [alerts]\n"
 *                     -> "ok\n", then one line per published event that
 *                        passes the filters (subscribers.h), formatted as
 *                        `run` prints them (JSON Lines, or text, coloured
 *                        with "color"), until either side closes.  A client
 *                        that reads too slowly loses events (never the
 *                        collector's time) and is told how many with one
 *                        "missed" line once its queue has drained to half.
 *                     | "error REASON\n", closed (bad filter...)
 *   "status [json]\n" -> the status text (status.h), closed
 *   anything else     -> "error REASON\n", closed
 * Beyond CONTROL_CLIENTS_MAX connections, or CONTROL_TAILS_MAX tails (so
 * that launch always finds a slot), or CONTROL_TAILS_PER_UID tails of the
 * client's uid (so that one user cannot take every tail), the reply is
 * "error too many clients".
 *
 * Under attack (a tagged agent holding connections open): a connection that
 * has not sent its request line (or not read its reply) within the request
 * timeout is closed ("error request timeout", counted timed_out); when
 * every slot is taken, the oldest such connection waiting longer than
 * CONTROL_EVICT_AFTER_NS is closed for the newcomer (counted evicted), so
 * idle and tail connections cannot starve `status` and `launch`, which
 * send their line at once.  A client that is not root sees only its own
 * uid's events (tail; no drop events: they count the whole monitor) and
 * agents (status, without the monitor-wide figures).
 *
 * The collector trusts only the kernel's SO_PEERCRED pid, never a pid in
 * the request.  The socket is created 0600 (root only); control_set_group
 * opens it to a group (0660).  Every socket write is nonblocking
 * (MSG_DONTWAIT | MSG_NOSIGNAL): a client never stalls the collector.
 */
#ifndef AGENTMON_CONTROL_H
#define AGENTMON_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "json.h"
#include "status.h"
#include "subscribers.h"

#define CONTROL_LINE_MAX 512
#define CONTROL_CLIENTS_MAX 128
#define CONTROL_TAILS_MAX 120
#define CONTROL_TAILS_PER_UID 32  /* tails one uid may hold: others keep theirs */
#define CONTROL_POLLFDS (1 + CONTROL_CLIENTS_MAX) /* control_pollfds() fills these */
#define CONTROL_REQUEST_TIMEOUT_S 5  /* default: the request line, and reading a reply */
/* a connection without its request this long may be closed for a new one */
#define CONTROL_EVICT_AFTER_NS (200ull * 1000000)

/* who is on the other end, as the kernel says */
struct control_peer {
	struct ucred cred;  /* SO_PEERCRED: pid, uid, gid at connect */
	int pidfd;          /* that very process: SO_PEERPIDFD, else pidfd_open(pid)
			       at accept; -1 when neither worked */
};

/* handle one request line from peer; write the reply line (no newline) */
typedef void (*control_handler)(void *arg, const struct control_peer *peer,
				const char *line, char *reply, size_t len);
/* append the status (status_format) for peer to out; 0 or -errno */
typedef int (*control_status_fn)(void *arg, const struct ucred *peer, bool json,
				 struct jw *out);

enum control_state {
	CONTROL_FREE,     /* slot unused (fd -1) */
	CONTROL_REQUEST,  /* reading the request line */
	CONTROL_TAIL,     /* streaming events */
	CONTROL_REPLY,    /* writing the rest of a long reply, then closed */
};

struct control_client {
	int fd;
	enum control_state state;
	size_t len;
	struct control_peer peer;
	uint64_t since_ns;      /* accepted (CLOCK_MONOTONIC) */
	char buf[CONTROL_LINE_MAX];
	struct subscriber sub;  /* TAIL: filter, queue, missed; REPLY: the queue */
};

struct control {
	int fd;                       /* listening socket */
	int spare_fd;                 /* given up to accept (and refuse) a client
					 when the descriptors are spent; -1 */
	char *path;
	control_handler handler;      /* launch (and any request not tail/status) */
	control_status_fn status;     /* NULL: status requests get an error */
	void *arg;
	struct control_client clients[CONTROL_CLIENTS_MAX];
	uint32_t tails;               /* clients in CONTROL_TAIL */
	uint64_t request_timeout_ns;  /* REQUEST and REPLY connections live this long */
	struct status_tail stats;     /* served/gone/refused; missed of closed tails */
	struct fanout fan;            /* the event being published, per format */
	struct jw reply;              /* a status reply being built */
};

/*
 * control_probe - whether path could be listened on: -ENAMETOOLONG for a
 * path too long, -EADDRINUSE when a collector answers there (err set), else
 * 0.  The collector asks before it loads anything.
 */
int control_probe(const char *path, char *err, size_t errlen);
/*
 * control_listen - create the socket at path (its directory too, 0755),
 * mode 0600.  A stale socket file is replaced; a live collector on it gives
 * -EADDRINUSE.  Returns 0 or -errno with err set.
 */
int control_listen(struct control *c, const char *path, control_handler h,
		   void *arg, char *err, size_t errlen);
/*
 * control_set_group - make the socket 0660 root:group so that members can
 * tail, launch and ask for status.  -ENOENT for an unknown group, -errno
 * when chown/chmod fail; err set.
 */
int control_set_group(struct control *c, const char *group, char *err, size_t errlen);
/* answer "status" requests with fn (called with the arg of control_listen) */
void control_on_status(struct control *c, control_status_fn fn);
/* the request timeout (default CONTROL_REQUEST_TIMEOUT_S) */
void control_set_request_timeout(struct control *c, uint64_t ns);
/* remove the socket file and close everything */
void control_close(struct control *c);

/*
 * Serving, never blocking.  With poll(2): control_pollfds() fills
 * CONTROL_POLLFDS entries (the listener, then one per client slot, fd -1
 * when unused; POLLOUT only for clients with queued bytes), and after
 * poll control_handle() serves what their revents say.  control_serve()
 * does the same without poll results (tries everything).
 */
void control_pollfds(const struct control *c, struct pollfd *p);
void control_handle(struct control *c, const struct pollfd *p);
void control_serve(struct control *c);
/* close the connections past the request timeout (control_handle does it
 * too): for a poll round that returned nothing */
void control_expire(struct control *c);

/* queue ev (ts_ns realtime) for every tail client whose filter it passes */
void control_publish(struct control *c, const struct event *ev);
/* write what is queued to clients whose sockets have room */
void control_flush(struct control *c);
/* the compact views' fold lines due at now_ns (realtime), queued to their
 * clients; about once a second */
void control_tick(struct control *c, uint64_t now_ns);
/* the compact views' show/hide globs := pv's (kept by pointer until the
 * next call); -ENOMEM */
int control_view_policy(struct control *c, const struct policy_view *pv);
/* the tail clients' figures for status */
void control_tail_status(const struct control *c, struct status_tail *st);

/*
 * control_connect - client side: a socket connected to path, or -errno
 * with err set ("no collector is running on PATH...", "permission denied").
 */
int control_connect(const char *path, char *err, size_t errlen);
/*
 * control_send_line - client side: line and a newline on fd, without
 * SIGPIPE.  0, or -errno (-EPIPE: the collector closed; its reply may
 * still be there to read).
 */
int control_send_line(int fd, const char *line);
/*
 * control_call - client side: connect to path, send line, read the reply
 * line into reply.  A send refused because the collector closed already
 * (EPIPE: it said "error too many clients" first) still reads the reply;
 * no SIGPIPE is ever raised.  Returns 0, or -errno with err set ("no
 * collector is running on PATH").
 */
int control_call(const char *path, const char *line, char *reply, size_t len,
		 char *err, size_t errlen);

#endif
