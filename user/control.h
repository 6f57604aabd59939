/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * control.h - the collector's Unix control socket and its clients.
 *
 * Protocol: one request line per connection, one reply line:
 *   "launch NAME\n"  -> "ok PID\n" | "error REASON\n"
 * The collector trusts only the kernel's SO_PEERCRED pid, never a pid in
 * the request.  The socket is created 0600 (root only).
 */
#ifndef AGENTMON_CONTROL_H
#define AGENTMON_CONTROL_H

#include <stddef.h>
#include <sys/socket.h>

#define CONTROL_LINE_MAX 512
#define CONTROL_CLIENTS_MAX 64

/* handle one request line from peer; write the reply line (no newline) */
typedef void (*control_handler)(void *arg, const struct ucred *peer,
				const char *line, char *reply, size_t len);

struct control_client {
	int fd;
	size_t len;
	struct ucred peer;
	char buf[CONTROL_LINE_MAX];
};

struct control {
	int fd;                       /* listening socket */
	char *path;
	control_handler handler;
	void *arg;
	struct control_client clients[CONTROL_CLIENTS_MAX];
};

/*
 * control_listen - create the socket at path (its directory too, 0755),
 * mode 0600.  A stale socket file is replaced; a live collector on it gives
 * -EADDRINUSE.  Returns 0 or -errno with err set.
 */
int control_listen(struct control *c, const char *path, control_handler h,
		   void *arg, char *err, size_t errlen);
/* remove the socket file and close everything */
void control_close(struct control *c);
/* accept pending connections and serve readable clients; never blocks */
void control_serve(struct control *c);
/* fds to poll: the listener and each client (for epoll users): count in *n */
int control_fds(const struct control *c, int *fds, size_t max);

/*
 * control_call - client side: connect to path, send line, read the reply
 * line into reply.  Returns 0, or -errno with err set ("no collector is
 * running on PATH").
 */
int control_call(const char *path, const char *line, char *reply, size_t len,
		 char *err, size_t errlen);

#endif
