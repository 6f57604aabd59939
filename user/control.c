// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* control.c - the collector's Unix control socket (server and client). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

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

int control_listen(struct control *c, const char *path, control_handler h,
		   void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		c->clients[i].fd = -1;
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
	if (ret || chmod(path, 0600) || listen(fd, 64))
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

static void client_drop(struct control_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

void control_close(struct control *c)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		client_drop(&c->clients[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	free(c->path);
	c->path = NULL;
	c->fd = -1;
}

static void accept_clients(struct control *c)
{
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct control_client *slot = NULL;
		socklen_t sl = sizeof(struct ucred);

		if (fd < 0)
			return;
		for (size_t i = 0; i < CONTROL_CLIENTS_MAX && !slot; i++)
			if (c->clients[i].fd < 0)
				slot = &c->clients[i];
		if (!slot) {
			close(fd); /* full: the client sees the connection closed */
			continue;
		}
		slot->fd = fd;
		slot->len = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &slot->peer, &sl))
			client_drop(slot);
	}
}

/* read what is there; answer once a whole line arrived */
static void serve_client(struct control *c, struct control_client *cl)
{
	char reply[CONTROL_LINE_MAX];
	char *nl;
	ssize_t n;

	n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->buf[cl->len] = '\0';
	nl = strchr(cl->buf, '\n');
	if (!nl && cl->len < sizeof(cl->buf) - 1)
		return;
	if (nl)
		*nl = '\0';
	else
		snprintf(cl->buf, sizeof(cl->buf), "%s", ""); /* overlong line */
	reply[0] = '\0';
	if (cl->buf[0])
		c->handler(c->arg, &cl->peer, cl->buf, reply, sizeof(reply) - 1);
	else
		snprintf(reply, sizeof(reply) - 1, "error request too long or empty");
	strcat(reply, "\n");
	if (write(cl->fd, reply, strlen(reply)) < 0) {
		/* the client went away: nothing to tell it */
	}
	client_drop(cl);
}

void control_serve(struct control *c)
{
	accept_clients(c);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i].fd >= 0)
			serve_client(c, &c->clients[i]);
}

int control_fds(const struct control *c, int *fds, size_t max)
{
	size_t n = 0;

	if (c->fd >= 0 && n < max)
		fds[n++] = c->fd;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX && n < max; i++)
		if (c->clients[i].fd >= 0)
			fds[n++] = c->clients[i].fd;
	return (int)n;
}

int control_call(const char *path, const char *line, char *reply, size_t len,
		 char *err, size_t errlen)
{
	size_t got = 0, ll = strlen(line);
	int fd = connect_path(path);
	ssize_t n;

	if (fd == -EACCES || fd == -EPERM) {
		snprintf(err, errlen, "permission denied on %s: the control socket is root's", path);
		return fd;
	}
	if (fd < 0) {
		snprintf(err, errlen, "no collector is running on %s (%s); start it with 'agentmon run'",
			 path, strerror(-fd));
		return fd;
	}
	if (write(fd, line, ll) != (ssize_t)ll || write(fd, "\n", 1) != 1)
		goto io_fail;
	while (got + 1 < len && (n = read(fd, reply + got, len - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	close(fd);
	if (!got) {
		snprintf(err, errlen, "the collector on %s closed the connection without a reply", path);
		return -EPROTO;
	}
	return 0;
io_fail:
	snprintf(err, errlen, "cannot talk to the collector on %s: %s", path, strerror(errno));
	close(fd);
	return -EIO;
}
