// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_control.c - libFuzzer target: the control socket's server side fed
 * by an untrusted local client.  Each input is written by a real client to a
 * real collector-side control socket (request lines, tail filters, status
 * requests, garbage, no newline, several lines); the server serves it and
 * publishes events to whatever tail it started; the reply is read to the end.
 * Also: every "tail" line through the filter parser, whose request line must
 * parse back to the same filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "subscribers.h"

static struct control ctl;

static void on_request(void *arg, const struct control_peer *peer, const char *line,
		       char *reply, size_t len)
{
	snprintf(reply, len, "ok %d", (int)peer->cred.pid);
}

static int on_status(void *arg, const struct ucred *peer, bool json, struct jw *out)
{
	struct status s;

	status_init(&s);
	status_add_proc(&s, "claude", 42);
	status_format(&s, json, out);
	status_release(&s);
	return 0;
}

static void cleanup(void)
{
	control_close(&ctl); /* removes the socket file */
}

static void setup(void)
{
	char path[64], err[256];

	snprintf(path, sizeof(path), "/tmp/fuzz_control.%d.sock", (int)getpid());
	if (control_listen(&ctl, path, on_request, NULL, err, sizeof(err))) {
		fprintf(stderr, "fuzz_control: %s\n", err);
		abort();
	}
	control_on_status(&ctl, on_status);
	atexit(cleanup);
}

static void publish(void)
{
	struct event ev = { .ts_ns = 1700000000000000000ull, .type = AM_EV_OPEN, .pid = 42,
			    .tid = 42, .ppid = 1, .agent_pid = 42, .agent_id = 0,
			    .agent = "claude", .comm = "cat", .exe = "/usr/bin/cat" };

	ev.file.path = "/etc/passwd";
	ev.file.ret = 3;
	control_publish(&ctl, &ev);
	control_flush(&ctl);
}

/* the filter parser alone: what it accepts it must also ask for */
static void filter_round_trip(const uint8_t *data, size_t size)
{
	struct tail_filter f, g;
	char args[CONTROL_LINE_MAX], line[CONTROL_LINE_MAX + 64], err[256];

	if (size >= sizeof(args))
		size = sizeof(args) - 1;
	memcpy(args, data, size);
	args[size] = '\0';
	if (tail_filter_parse(args, &f, err, sizeof(err)))
		return;
	if (tail_filter_request(&f, line, sizeof(line)) || strncmp(line, "tail", 4) ||
	    tail_filter_parse(line[4] ? line + 5 : "", &g, err, sizeof(err)) ||
	    strcmp(f.agent, g.agent) || f.types != g.types || f.pid != g.pid ||
	    f.alerts != g.alerts || f.json != g.json || f.color != g.color)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], buf[65536];
	int fd;

	if (!ctl.path)
		setup();
	filter_round_trip(data, size);
	fd = control_connect(ctl.path, err, sizeof(err));
	if (fd < 0)
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (size && write(fd, data, size) < 0 && errno != EAGAIN)
		abort();
	shutdown(fd, SHUT_WR);
	for (int round = 0; round < 8; round++) {
		ssize_t r;

		control_serve(&ctl);
		publish();
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			;
		if (r == 0)
			break;
	}
	close(fd);
	control_serve(&ctl); /* the server sees the hangup and frees the slot */
	return 0;
}
