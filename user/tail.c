// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tail.c - `agentmon tail` and `agentmon status`: send one request to the
 * collector's socket, then copy its lines to stdout.  Messages go to
 * stderr as one line each; the functions return the exit status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "control.h"
#include "subscribers.h"
#include "tail.h"

#define COPY_BUF (64u << 10)

/* a connection to the collector and the bytes read but not yet copied */
struct conn {
	int fd;
	size_t len;
	char buf[COPY_BUF];
};

/* " key=value" appended to args, refusing values a request cannot carry */
static int add_arg(char *args, size_t len, const char *key, const char *value,
		   char *err, size_t errlen)
{
	size_t at = strlen(args);

	if (!value)
		return 0;
	if (!*value || strpbrk(value, " \t\r\n")) {
		snprintf(err, errlen, "bad %s '%s' (no spaces, not empty)", key, value);
		return -EINVAL;
	}
	if ((size_t)snprintf(args + at, len - at, " %s=%s", key, value) >= len - at) {
		snprintf(err, errlen, "--%s value too long", key);
		return -EINVAL;
	}
	return 0;
}

int tail_filter_of(const struct tail_opts *o, struct tail_filter *f, char *err, size_t errlen)
{
	char args[CONTROL_LINE_MAX] = "";
	int ret;

	if ((ret = add_arg(args, sizeof(args), "agent", o->agent, err, errlen)) ||
	    (ret = add_arg(args, sizeof(args), "type", o->types, err, errlen)) ||
	    (ret = add_arg(args, sizeof(args), "pid", o->pid, err, errlen)) ||
	    (ret = tail_filter_parse(args, f, err, errlen)))
		return ret;
	f->alerts = o->alerts;
	f->json = o->json;
	f->color = !o->json && am_color_ok(STDOUT_FILENO);
	f->verbose = o->verbose;
	return 0;
}

/* the request line for o, checked by the parser the collector uses */
static int tail_request(const struct tail_opts *o, char *line, size_t len, char *err,
			size_t errlen)
{
	struct tail_filter f;
	int ret;

	if ((ret = tail_filter_of(o, &f, err, errlen)))
		return ret;
	if (tail_filter_request(&f, line, len)) {
		snprintf(err, errlen, "request too long");
		return -EINVAL;
	}
	return 0;
}

/*
 * connect to sock, send line, read until the reply's first line is in cn
 * (or cn is full).  0, or the exit status with a message printed.
 */
static int request(struct conn *cn, const char *who, const char *sock, const char *line)
{
	char err[CONTROL_LINE_MAX + 128];
	ssize_t n;
	int sent;

	cn->len = 0;
	if ((cn->fd = control_connect(sock, err, sizeof(err))) < 0) {
		am_err("%s: %s", who, err);
		return AM_EXIT_RUNTIME;
	}
	/* refused at once ("too many clients"): the send fails, the reply is there */
	sent = control_send_line(cn->fd, line);
	while (!memchr(cn->buf, '\n', cn->len) && cn->len < sizeof(cn->buf) &&
	       (n = read(cn->fd, cn->buf + cn->len, sizeof(cn->buf) - cn->len)) > 0)
		cn->len += (size_t)n;
	if (!cn->len && sent) {
		am_err("%s: cannot send the request to %s: %s", who, sock, strerror(-sent));
		return AM_EXIT_RUNTIME;
	}
	if (!cn->len) {
		am_err("%s: the collector on %s closed the connection without a reply", who, sock);
		return AM_EXIT_RUNTIME;
	}
	return 0;
}

/* move the first line of cn into first (truncated to len); false when incomplete */
static bool take_line(struct conn *cn, char *first, size_t len)
{
	char *nl = memchr(cn->buf, '\n', cn->len);

	if (!nl)
		return false;
	*nl = '\0';
	snprintf(first, len, "%.*s", (int)(len - 1), cn->buf);
	cn->len -= (size_t)(nl + 1 - cn->buf);
	memmove(cn->buf, nl + 1, cn->len);
	return true;
}

/* buf to stdout at once; 0, or -errno (-EPIPE: nobody reads it any more) */
static int out(const char *buf, size_t len)
{
	errno = 0;
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
		return errno ? -errno : -EIO;
	return 0;
}

enum copy_end { COPY_SIGNAL, COPY_EOF, COPY_STDOUT_CLOSED, COPY_FAILED };

/*
 * copy cn's bytes, then what the collector sends, to stdout until it
 * closes, SIGINT/SIGTERM (taken only while waiting, so none is lost and
 * no write is interrupted), or stdout fails (said on stderr)
 */
static enum copy_end copy(struct conn *cn, const char *who)
{
	struct pollfd p = { .fd = cn->fd, .events = POLLIN };
	sigset_t block, orig;
	ssize_t n;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig); /* no EINTR in writes */
	ret = out(cn->buf, cn->len);
	while (!ret && !am_exiting) {
		if (ppoll(&p, 1, NULL, &orig) < 0)
			continue; /* EINTR: a signal, seen by the loop */
		n = read(cn->fd, cn->buf, sizeof(cn->buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return COPY_EOF;
		if (n > 0)
			ret = out(cn->buf, (size_t)n);
	}
	if (ret == -EPIPE)
		return COPY_STDOUT_CLOSED;
	if (ret)
		am_err("%s: cannot write to stdout: %s", who, strerror(-ret));
	return ret ? COPY_FAILED : COPY_SIGNAL;
}

/* an "error ..." reply: one line, the status for it */
static int refused(const char *who, const char *first, int status)
{
	if (!*first)
		first = "the collector's reply has no line";
	am_err("%s: %s", who, strncmp(first, "error ", 6) ? first : first + 6);
	return status;
}

int tail_run(const struct tail_opts *o)
{
	static struct conn cn;
	char line[CONTROL_LINE_MAX], first[CONTROL_LINE_MAX] = "", err[CONTROL_LINE_MAX];
	enum copy_end end;
	int ret = 0;

	if (o->nats)
		return tail_nats_run(o);
	if (tail_request(o, line, sizeof(line), err, sizeof(err)))
		return refused("tail", err, AM_EXIT_USAGE);
	if (am_signals_setup() || (ret = request(&cn, "tail", o->socket, line)))
		return ret ? ret : AM_EXIT_RUNTIME;
	if (!take_line(&cn, first, sizeof(first)) || strcmp(first, "ok"))
		return refused("tail", first, strcmp(first, "error too many clients") ?
			       AM_EXIT_USAGE : AM_EXIT_RUNTIME);
	end = copy(&cn, "tail");
	close(cn.fd);
	if (end == COPY_EOF)
		am_err("tail: collector went away");
	return end == COPY_EOF || end == COPY_FAILED ? AM_EXIT_RUNTIME : AM_EXIT_OK;
}

int status_run(const struct status_opts *o)
{
	static struct conn cn;
	char first[CONTROL_LINE_MAX] = "";
	enum copy_end end;
	int ret = 0;

	if (am_signals_setup() || (ret = request(&cn, "status", o->socket,
						  o->json ? "status json" : "status")))
		return ret ? ret : AM_EXIT_RUNTIME;
	if (cn.len >= 6 && !strncmp(cn.buf, "error ", 6) && take_line(&cn, first, sizeof(first)))
		return refused("status", first, AM_EXIT_RUNTIME);
	end = copy(&cn, "status"); /* COPY_EOF: closed after the status, as it should */
	close(cn.fd);
	return end == COPY_FAILED ? AM_EXIT_RUNTIME : AM_EXIT_OK;
}
