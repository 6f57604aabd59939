// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * control.c - the collector's Unix control socket (server and client): the
 * listener, each connection's request, its reply, and the tail clients'
 * streams (filters and queues in subscribers.c).  Library code: errors are
 * returned or sent to the client, never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "control.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* connect a fresh SOCK_STREAM socket to path; fd or -errno */
static int connect_path(const char *path)
{
	struct sockaddr_un sa;
	int fd, ret = fill_addr(&sa, path);

	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int make_parent_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) && errno != EEXIST)
		ret = -errno;
	free(copy);
	return ret;
}

int control_probe(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	fd = connect_path(path);
	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen, "another collector is already running on %s", path);
		return -EADDRINUSE;
	}
	return 0;
}

int control_listen(struct control *c, const char *path, control_handler h,
		   void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		c->clients[i].fd = c->clients[i].peer.pidfd = -1;
	c->request_timeout_ns = CONTROL_REQUEST_TIMEOUT_S * 1000000000ull;
	fanout_init(&c->fan);
	jw_init(&c->reply);
	if ((ret = control_probe(path, err, errlen)))
		return ret;
	fill_addr(&sa, path);
	if ((ret = make_parent_dir(path))) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(-ret));
		return ret;
	}
	unlink(path); /* stale: nobody answered on it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	mode_t old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chmod(path, 0600) || listen(fd, CONTROL_CLIENTS_MAX))
		goto fail;
	c->fd = fd;
	c->path = strdup(path);
	c->handler = h;
	c->arg = arg;
	return c->path ? 0 : -ENOMEM;
fail:
	ret = -errno;
	snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

int control_set_group(struct control *c, const char *group, char *err, size_t errlen)
{
	struct group *g = getgrnam(group);

	if (!g) {
		snprintf(err, errlen, "unknown group '%s' for the socket %s", group, c->path);
		return -ENOENT;
	}
	if (chown(c->path, 0, g->gr_gid) || chmod(c->path, 0660)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot give the socket %s to group %s: %s", c->path, group,
			 strerror(errno));
		return ret;
	}
	return 0;
}

void control_on_status(struct control *c, control_status_fn fn)
{
	c->status = fn;
}

void control_set_request_timeout(struct control *c, uint64_t ns)
{
	c->request_timeout_ns = ns;
}

/* close cl's connection and free its slot (a tail's missed count is kept) */
static void client_drop(struct control *c, struct control_client *cl)
{
	if (cl->state == CONTROL_TAIL) {
		c->tails--;
		c->stats.missed += cl->sub.missed_total;
	}
	sub_free(&cl->sub);
	if (cl->fd >= 0)
		close(cl->fd);
	if (cl->peer.pidfd >= 0)
		close(cl->peer.pidfd);
	cl->fd = cl->peer.pidfd = -1;
	cl->len = 0;
	cl->state = CONTROL_FREE;
}

/* the peer went away (EOF, EPIPE, ECONNRESET, POLLHUP) */
static void client_gone(struct control *c, struct control_client *cl)
{
	if (cl->state == CONTROL_TAIL)
		c->stats.gone++;
	client_drop(c, cl);
}

void control_close(struct control *c)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		client_drop(c, &c->clients[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	if (c->spare_fd >= 0)
		close(c->spare_fd);
	c->spare_fd = -1;
	fanout_free(&c->fan);
	jw_free(&c->reply);
	free(c->path);
	c->path = NULL;
	c->fd = -1;
}

/* write what cl has queued; a reply fully written closes the connection */
static void client_send(struct control *c, struct control_client *cl)
{
	if (lq_send(&cl->sub.q, cl->fd) < 0) {
		client_gone(c, cl);
		return;
	}
	cl->sub.unsent = 0;
	cl->sub.blocked = cl->sub.q.len > 0;
	if (cl->state == CONTROL_REPLY && !cl->sub.q.len)
		client_drop(c, cl);
	else if (cl->state == CONTROL_TAIL)
		sub_notice(&cl->sub); /* room again: say what was missed */
}

/* send text (n bytes) and close: at once if the socket takes it, else queued */
static void reply_close(struct control *c, struct control_client *cl, const char *text,
			size_t n)
{
	ssize_t sent = send(cl->fd, text, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (sent < 0)
		sent = 0; /* full, or gone: the queue's send will tell */
	if ((size_t)sent == n || lq_init(&cl->sub.q, n - (size_t)sent) ||
	    !lq_push(&cl->sub.q, text + sent, n - (size_t)sent)) {
		client_drop(c, cl);
		return;
	}
	cl->state = CONTROL_REPLY;
	client_send(c, cl);
}

/* "error REASON\n" and close */
static void reply_error(struct control *c, struct control_client *cl, const char *reason)
{
	char line[CONTROL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "error %s\n", reason);

	reply_close(c, cl, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* a last line for a connection about to be closed, if its socket takes it */
static void say(int fd, const char *line)
{
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* it went away already, or reads nothing: nothing to tell it */
	}
}

/* a connection waiting for its request or the reading of its reply */
static bool waiting(const struct control_client *cl)
{
	return cl->state == CONTROL_REQUEST || cl->state == CONTROL_REPLY;
}

/* close cl for having waited too long (counted in *counter) */
static void expire(struct control *c, struct control_client *cl, uint64_t *counter)
{
	(*counter)++;
	if (cl->state == CONTROL_REQUEST)
		say(cl->fd, "error request timeout\n");
	client_drop(c, cl);
}

/* close the connections that waited past the request timeout */
static void expire_idle(struct control *c, uint64_t now)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];

		if (waiting(cl) && now - cl->since_ns >= c->request_timeout_ns)
			expire(c, cl, &c->stats.timed_out);
	}
}

/* a free slot; when none, the oldest waiting longer than CONTROL_EVICT_AFTER_NS is freed */
static struct control_client *free_slot(struct control *c, uint64_t now)
{
	struct control_client *oldest = NULL;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_FREE)
			return cl;
		if (waiting(cl) && now - cl->since_ns >= CONTROL_EVICT_AFTER_NS &&
		    (!oldest || cl->since_ns < oldest->since_ns))
			oldest = cl;
	}
	if (oldest)
		expire(c, oldest, &c->stats.evicted);
	return oldest;
}

/* the peer's credentials and a pidfd of that very process; -errno */
static int peer_init(struct control_peer *p, int fd)
{
	socklen_t sl = sizeof(p->cred), pl = sizeof(p->pidfd);

	p->pidfd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &sl))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &p->pidfd, &pl) || p->pidfd < 0)
		p->pidfd = (int)syscall(SYS_pidfd_open, p->cred.pid, 0); /* before 6.5 */
	if (p->pidfd >= 0)
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

static void serve_request(struct control *c, struct control_client *cl);

/*
 * no descriptor left to accept with (EMFILE): give up the spare one, accept
 * the client, tell it and close, take the spare back; otherwise the pending
 * connection would keep the socket readable and poll would spin.  False when
 * that did not work either.
 */
static bool refuse_no_fds(struct control *c)
{
	int fd;

	if (c->spare_fd < 0)
		return false;
	close(c->spare_fd);
	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		c->stats.refused++;
		say(fd, "error too many open files in the collector\n");
		close(fd);
	}
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

static void accept_clients(struct control *c)
{
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint64_t now = am_now_ns(CLOCK_MONOTONIC);
		struct control_client *slot;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && refuse_no_fds(c))
			continue;
		if (fd < 0)
			return;
		if (!(slot = free_slot(c, now))) {
			c->stats.refused++;
			say(fd, "error too many clients\n");
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->len = 0;
		slot->since_ns = now;
		slot->state = CONTROL_REQUEST;
		if (peer_init(&slot->peer, fd))
			client_drop(c, slot);
		else
			serve_request(c, slot); /* a client sends its line at once: often there */
	}
}

/* the tails uid holds */
static unsigned tails_of(const struct control *c, uid_t uid)
{
	unsigned n = 0;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		n += c->clients[i].state == CONTROL_TAIL && c->clients[i].peer.cred.uid == uid;
	return n;
}

/* "tail ARGS": subscribe cl, answer "ok" */
static void start_tail(struct control *c, struct control_client *cl, const char *args)
{
	char err[CONTROL_LINE_MAX - 16];
	struct tail_filter f;

	if (c->tails >= CONTROL_TAILS_MAX ||
	    tails_of(c, cl->peer.cred.uid) >= CONTROL_TAILS_PER_UID) {
		c->stats.refused++;
		reply_error(c, cl, "too many clients");
		return;
	}
	if (tail_filter_parse(args, &f, err, sizeof(err))) {
		reply_error(c, cl, err);
		return;
	}
	f.own_uid = cl->peer.cred.uid != 0; /* not root: its own uid's events only */
	f.uid = cl->peer.cred.uid;
	if (sub_init(&cl->sub, &f) || sub_view(&cl->sub, &c->fan)) {
		sub_free(&cl->sub);
		reply_error(c, cl, "out of memory for a tail client");
		return;
	}
	cl->state = CONTROL_TAIL;
	c->tails++;
	c->stats.served++;
	lq_push(&cl->sub.q, "ok\n", 3);
	client_send(c, cl);
}

/* "status [json]": the status text, then close */
static void start_status(struct control *c, struct control_client *cl, const char *args)
{
	bool json = !strcmp(args, "json");
	int ret;

	if (*args && !json) {
		reply_error(c, cl, "unknown status option (json is the only one)");
		return;
	}
	if (!c->status) {
		reply_error(c, cl, "this collector does not give its status");
		return;
	}
	jw_reset(&c->reply);
	ret = c->status(c->arg, &cl->peer.cred, json, &c->reply);
	if (ret || !c->reply.len) {
		reply_error(c, cl, ret ? strerror(-ret) : "empty status");
		return;
	}
	reply_close(c, cl, c->reply.buf, c->reply.len);
}

/* the arguments of line when its first word is word ("" when none), else NULL */
static const char *request_args(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) || (line[n] && line[n] != ' '))
		return NULL;
	line += n;
	return line + strspn(line, " ");
}

static void dispatch(struct control *c, struct control_client *cl, const char *line)
{
	char reply[CONTROL_LINE_MAX];
	const char *args;

	if ((args = request_args(line, "tail"))) {
		start_tail(c, cl, args);
	} else if ((args = request_args(line, "status"))) {
		start_status(c, cl, args);
	} else {
		reply[0] = '\0';
		c->handler(c->arg, &cl->peer, line, reply, sizeof(reply) - 1);
		strcat(reply, "\n");
		reply_close(c, cl, reply, strlen(reply));
	}
}

/* read what is there; answer once a whole line arrived */
static void serve_request(struct control *c, struct control_client *cl)
{
	char *nl;
	ssize_t n;

	n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(c, cl);
		return;
	}
	cl->len += (size_t)n;
	cl->buf[cl->len] = '\0';
	nl = strchr(cl->buf, '\n');
	if (!nl && cl->len < sizeof(cl->buf) - 1)
		return;
	if (nl)
		*nl = '\0';
	if (!nl || !cl->buf[0])
		reply_error(c, cl, "request too long or empty");
	else
		dispatch(c, cl, cl->buf);
}

/* a tail client is readable: it closed (or reset), or sent bytes (ignored) */
static void check_hangup(struct control *c, struct control_client *cl)
{
	char junk[256];
	ssize_t n = recv(cl->fd, junk, sizeof(junk), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		client_gone(c, cl);
}

void control_pollfds(const struct control *c, struct pollfd *p)
{
	p[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct control_client *cl = &c->clients[i];
		short ev = cl->state == CONTROL_REPLY ? 0 : POLLIN;

		if (cl->sub.q.len)
			ev |= POLLOUT;
		p[1 + i] = (struct pollfd){ .fd = cl->state == CONTROL_FREE ? -1 : cl->fd,
					    .events = ev };
	}
}

/* one client slot after poll */
static void handle_client(struct control *c, struct control_client *cl, short rev)
{
	if (cl->state == CONTROL_REQUEST) {
		if (rev & (POLLIN | POLLHUP | POLLERR))
			serve_request(c, cl);
		return;
	}
	if (rev & POLLOUT)
		client_send(c, cl);
	if (cl->state == CONTROL_TAIL && (rev & POLLIN))
		check_hangup(c, cl);
	else if (cl->state != CONTROL_FREE && (rev & (POLLHUP | POLLERR)))
		client_gone(c, cl);
}

void control_expire(struct control *c)
{
	expire_idle(c, am_now_ns(CLOCK_MONOTONIC));
}

void control_handle(struct control *c, const struct pollfd *p)
{
	control_expire(c);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state != CONTROL_FREE && p[1 + i].fd == cl->fd && p[1 + i].revents)
			handle_client(c, cl, p[1 + i].revents);
	}
	if (p[0].revents & POLLIN)
		accept_clients(c); /* last: a new client's slot was not polled */
}

void control_serve(struct control *c)
{
	struct pollfd p[CONTROL_POLLFDS];

	control_pollfds(c, p);
	for (size_t i = 0; i < CONTROL_POLLFDS; i++)
		p[i].revents = p[i].events;
	control_handle(c, p);
}

/*
 * bytes queued for a client before a send is tried in the middle of a batch
 * of events (a long ring buffer drain must not leave a reader idle)
 */
#define SEND_EARLY (64u << 10)

void control_publish(struct control *c, const struct event *ev)
{
	if (!c->tails)
		return;
	fanout_begin(&c->fan);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];
		const struct jw *line;

		if (cl->state != CONTROL_TAIL || !tail_filter_match(&cl->sub.f, ev))
			continue;
		if (!(line = sub_line(&cl->sub, &c->fan, ev)))
			return; /* out of memory: every client misses nothing more than now */
		if (line->len)
			sub_offer(&cl->sub, line->buf, line->len);
		if (cl->sub.unsent >= SEND_EARLY)
			client_send(c, cl); /* also when blocked: it may have read since */
	}
}

void control_tick(struct control *c, uint64_t now_ns)
{
	if (!c->tails)
		return;
	fanout_tick(&c->fan, now_ns);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];
		const struct view_share *sh = cl->sub.share;

		if (cl->state == CONTROL_TAIL && sh && sh->out.len && !sh->out.oom)
			sub_offer(&cl->sub, sh->out.buf, sh->out.len);
	}
}

int control_view_policy(struct control *c, const struct policy_view *pv)
{
	return fanout_view_policy(&c->fan, pv);
}

void control_flush(struct control *c)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_TAIL)
			sub_notice(&cl->sub);
		if ((cl->state == CONTROL_TAIL || cl->state == CONTROL_REPLY) &&
		    cl->sub.q.len && !cl->sub.blocked)
			client_send(c, cl);
	}
}

void control_tail_status(const struct control *c, struct status_tail *st)
{
	*st = c->stats;
	st->connected = c->tails;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i].state == CONTROL_TAIL)
			st->missed += c->clients[i].sub.missed_total;
}

int control_connect(const char *path, char *err, size_t errlen)
{
	int fd = connect_path(path);

	if (fd == -EACCES || fd == -EPERM)
		snprintf(err, errlen, "permission denied on %s: the control socket is root's "
			 "(or its group's, with run --socket-group)", path);
	else if (fd < 0)
		snprintf(err, errlen, "no collector is running on %s (%s); start it with "
			 "'agentmon run'", path, strerror(-fd));
	return fd;
}

int control_send_line(int fd, const char *line)
{
	struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	while (m.msg_iovlen) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		while (m.msg_iovlen && (size_t)w >= m.msg_iov->iov_len) {
			w -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + w;
			m.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int control_call(const char *path, const char *line, char *reply, size_t len,
		 char *err, size_t errlen)
{
	size_t got = 0;
	int fd = control_connect(path, err, errlen), sent;
	ssize_t n;

	if (fd < 0)
		return fd;
	sent = control_send_line(fd, line); /* EPIPE: its last words may be there */
	while (got + 1 < len && (n = read(fd, reply + got, len - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	close(fd);
	if (!got && sent) {
		snprintf(err, errlen, "cannot talk to the collector on %s: %s", path,
			 strerror(-sent));
		return -EIO;
	}
	if (!got) {
		snprintf(err, errlen, "the collector on %s closed the connection without a reply", path);
		return -EPROTO;
	}
	return 0;
}
