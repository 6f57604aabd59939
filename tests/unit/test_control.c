// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_control.c - control socket: one collector per path, peer pid,
 * replies; tail requests (filters, the bounded queue and its missed
 * notice, streaming, vanishing and slow clients, too many clients) and
 * status requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "view.h"
#include "subscribers.h"

static char dir[64], sock[128];
static pid_t last_peer;

static void handler(void *arg, const struct control_peer *peer, const char *line,
		    char *reply, size_t len)
{
	last_peer = peer->cred.pid;
	snprintf(reply, len, "ok %d %s", (int)peer->cred.pid, line);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/agentmon-test-ctlXXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sub/agentmon.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* a child calls line; the parent serves until it exits; returns its status */
static int call_in_child(struct control *c, const char *line, const char *want_prefix)
{
	pid_t pid;
	int status;

	last_peer = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char reply[CONTROL_LINE_MAX], err[256], want[128];

		if (control_call(sock, line, reply, sizeof(reply), err, sizeof(err)))
			_exit(2);
		snprintf(want, sizeof(want), want_prefix, (int)getpid());
		_exit(strcmp(reply, want) ? 1 : 0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		control_serve(c);
		usleep(1000);
	}
	if (!strncmp(want_prefix, "ok", 2))
		assert_int_equal(last_peer, pid); /* the kernel's word, not the request's */
	else
		assert_int_equal(last_peer, 0); /* refused before the handler */
	return WEXITSTATUS(status);
}

static void test_listen_call_reply(void **state)
{
	struct control c;
	char err[256];
	struct stat st;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(call_in_child(&c, "launch bot", "ok %d launch bot"), 0);
	control_close(&c);
	assert_int_equal(access(sock, F_OK), -1); /* removed on close */
}

static void test_second_collector_refused(void **state)
{
	struct control a, b;
	char err[256];

	assert_int_equal(control_listen(&a, sock, handler, NULL, err, sizeof(err)), 0);
	assert_int_equal(control_listen(&b, sock, handler, NULL, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another collector is already running on"));
	control_close(&a);
}

static void test_stale_socket_replaced(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control c;
	char err[256];
	int fd;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	control_close(&c);
	/* leave a bound socket file nobody listens on, as after a crash */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	control_close(&c);
}

static void test_no_collector(void **state)
{
	char reply[64], err[256];

	assert_true(control_call(sock, "launch x", reply, sizeof(reply), err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "no collector is running on"));
}

static void test_overlong_request(void **state)
{
	struct control c;
	char err[256], line[CONTROL_LINE_MAX + 100];

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(call_in_child(&c, line, "error request too long or empty"), 0);
	control_close(&c);
}

/* out of descriptors: the client is told and the socket does not stay
 * readable (a pending connection would make poll spin) */
static void test_no_fds_left(void **state)
{
	struct rlimit was, low;
	struct control c;
	char err[256];
	int hog[256], n = 0, status;
	pid_t pid;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	low = (struct rlimit){ .rlim_cur = 128, .rlim_max = was.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	while (n < 256 && (hog[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		n++;
	assert_true(n < 256); /* EMFILE reached */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char reply[CONTROL_LINE_MAX];

		for (int i = 0; i < 8; i++)
			close(hog[i]);
		alarm(5); /* never answered: killed, the test fails */
		if (control_call(sock, "status", reply, sizeof(reply), err, sizeof(err)))
			_exit(strstr(err, "too many open files") ? 0 : 2);
		_exit(strstr(reply, "too many open files") ? 0 : 1);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		control_serve(&c);
		usleep(1000);
	}
	while (n)
		close(hog[--n]);
	setrlimit(RLIMIT_NOFILE, &was);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(c.stats.refused, 1);
	assert_true(c.spare_fd >= 0);
	control_close(&c);
}

/* ---- tail: filters ---- */

static struct event ev_of(uint32_t type, const char *agent, uint32_t pid, uint32_t agent_pid)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ns = 1795608000123456789ull;
	ev.pid = ev.tid = pid;
	ev.agent = agent;
	ev.agent_pid = agent_pid;
	ev.agent_id = agent ? 0 : AM_AGENT_NONE;
	strcpy(ev.comm, "sh");
	ev.file.path = "/dev/null";
	return ev;
}

/* args must be refused with an error containing want */
static void parse_bad(const char *args, const char *want)
{
	struct tail_filter f;
	char err[256] = "";

	assert_int_equal(tail_filter_parse(args, &f, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", args, err, want);
}

static void test_filter_parse(void **state)
{
	struct tail_filter f, g;
	char err[256], line[CONTROL_LINE_MAX];

	assert_int_equal(tail_filter_parse("", &f, err, sizeof(err)), 0);
	assert_false(f.json || f.color || f.alerts || f.pid || f.types || f.agent[0]);
	assert_int_equal(tail_filter_parse(" json  agent=bot type=open,exec pid=42 alerts color verbose",
					   &f, err, sizeof(err)), 0);
	assert_true(f.json && f.color && f.alerts && f.verbose);
	assert_string_equal(f.agent, "bot");
	assert_int_equal(f.pid, 42);
	assert_int_equal(f.types, (1ull << AM_EV_OPEN) | (1ull << AM_EV_EXEC));
	/* the client's request line parses back to the same filter */
	assert_int_equal(tail_filter_request(&f, line, sizeof(line)), 0);
	assert_string_equal(line, "tail json color verbose agent=bot type=exec,open pid=42 alerts");
	assert_int_equal(tail_filter_parse(line + 4, &g, err, sizeof(err)), 0);
	assert_memory_equal(&f, &g, sizeof(f));
	assert_int_equal(tail_filter_request(&f, line, 20), -ENAMETOOLONG);
	parse_bad("type=open,bogus", "unknown event type 'bogus'");
	parse_bad("type=", "empty event type");
	parse_bad("type=open,", "empty event type");
	parse_bad("pid=0", "bad pid '0'");
	parse_bad("pid=12x", "bad pid");
	parse_bad("pid=99999999999", "bad pid");
	parse_bad("agent=", "bad agent name");
	parse_bad("agent=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "bad agent name");
	parse_bad("json loud", "unknown tail option 'loud'");
}

static void test_filter_match(void **state)
{
	struct event open_bot = ev_of(AM_EV_OPEN, "bot", 11, 10);
	struct event exec_other = ev_of(AM_EV_EXEC, "other", 21, 20);
	struct event alert = ev_of(AM_EV_ALERT, "bot", 12, 10);
	struct event drop = ev_of(AM_EV_DROP, NULL, 0, 0);
	struct tail_filter f;
	char err[256];

	assert_int_equal(tail_filter_parse("", &f, err, sizeof(err)), 0);
	assert_true(tail_filter_match(&f, &open_bot) && tail_filter_match(&f, &exec_other));
	/* a client that is not root: its own uid's events only, no monitor-wide drops */
	exec_other.uid = 1000;
	f.own_uid = true;
	f.uid = 1000;
	assert_true(tail_filter_match(&f, &exec_other));
	assert_false(tail_filter_match(&f, &open_bot) || tail_filter_match(&f, &drop));
	exec_other.uid = 0;
	assert_int_equal(tail_filter_parse("agent=bot", &f, err, sizeof(err)), 0);
	assert_true(tail_filter_match(&f, &open_bot));
	assert_false(tail_filter_match(&f, &exec_other));
	assert_true(tail_filter_match(&f, &drop)); /* drops always pass */
	assert_int_equal(tail_filter_parse("type=exec,alert", &f, err, sizeof(err)), 0);
	assert_false(tail_filter_match(&f, &open_bot));
	assert_true(tail_filter_match(&f, &exec_other) && tail_filter_match(&f, &alert));
	assert_true(tail_filter_match(&f, &drop));
	/* pid: the process itself, or the tree of the agent rooted there */
	assert_int_equal(tail_filter_parse("pid=10", &f, err, sizeof(err)), 0);
	assert_true(tail_filter_match(&f, &open_bot) && tail_filter_match(&f, &alert));
	assert_false(tail_filter_match(&f, &exec_other));
	assert_int_equal(tail_filter_parse("pid=21", &f, err, sizeof(err)), 0);
	assert_true(tail_filter_match(&f, &exec_other));
	assert_int_equal(tail_filter_parse("alerts agent=bot", &f, err, sizeof(err)), 0);
	assert_true(tail_filter_match(&f, &alert) && tail_filter_match(&f, &drop));
	assert_false(tail_filter_match(&f, &open_bot));
}

/* ---- tail: the queue and the missed count ---- */

static void test_queue_wraps(void **state)
{
	struct line_queue q;
	char got[64];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(lq_init(&q, 10), 0);
	assert_true(lq_push(&q, "abcdef", 6));
	assert_false(lq_push(&q, "ghijk", 5)); /* whole or nothing */
	assert_int_equal(lq_send(&q, sv[0]), 6);
	assert_int_equal(q.len, 0);
	assert_int_equal(q.head, 0); /* empty: back to the start */
	assert_true(lq_push(&q, "0123456", 7));
	assert_int_equal(lq_send(&q, sv[0]), 7);
	q.head = 7; /* as if the queue had not drained at once: wrap around */
	assert_true(lq_push(&q, "ABCDEFGH", 8));
	assert_int_equal(lq_send(&q, sv[0]), 8);
	assert_int_equal(read(sv[1], got, sizeof(got)), 21);
	assert_memory_equal(got, "abcdef0123456ABCDEFGH", 21);
	close(sv[1]);
	assert_true(lq_push(&q, "x", 1));
	assert_int_equal(lq_send(&q, sv[0]), -EPIPE); /* the peer is gone */
	close(sv[0]);
	lq_free(&q);
}

static void test_missed_notice(void **state)
{
	struct tail_filter f = { .json = true };
	struct subscriber s;
	char line[100], got[4096];
	int sv[2], n;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sub_init(&s, &f), 0);
	lq_free(&s.q);
	assert_int_equal(lq_init(&s.q, 1000), 0); /* ten lines */
	for (int i = 0; i < 13; i++)
		sub_offer(&s, line, sizeof(line));
	assert_int_equal(s.missed, 3);
	assert_int_equal(s.missed_total, 3);
	/* no notice until the queue has drained to half; events still missed */
	sub_notice(&s);
	assert_int_equal(s.q.len, 1000);
	assert_int_equal(lq_send(&s.q, sv[0]), 1000);
	assert_true(sub_offer(&s, line, sizeof(line))); /* notice first, then the line */
	assert_int_equal(s.missed, 0);
	assert_int_equal(s.missed_total, 3);
	assert_int_equal(read(sv[1], got, sizeof(got)), 1000);
	lq_send(&s.q, sv[0]);
	n = (int)read(sv[1], got, sizeof(got) - 1);
	got[n] = '\0';
	assert_non_null(strstr(got, "\"type\":\"missed\",\"missed\":3}\n"));
	assert_true(!strncmp(got, "{\"ts\":\"", 7));
	assert_int_equal(n - (int)(strchr(got, '\n') + 1 - got), (int)sizeof(line));
	sub_free(&s);
	close(sv[0]);
	close(sv[1]);
}

/* ---- tail and status through the socket ---- */

static const char *status_json_arg;

static int status_stub(void *arg, const struct ucred *peer, bool json, struct jw *out)
{
	status_json_arg = json ? "json" : "text";
	jw_raw(out, "uptime: 1s\nagents: 0 tagged\n", 28);
	return 0;
}

/* a client of c in this process: connect, send line, serve until done */
static int client(struct control *c, const char *line)
{
	char err[256];
	int fd = control_connect(sock, err, sizeof(err));

	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	control_serve(c); /* accept */
	control_serve(c); /* read the request, answer */
	return fd;
}

/* client() as euid uid (root may connect as anyone: SO_PEERCRED gives the euid) */
static int client_as(struct control *c, const char *line, uid_t uid)
{
	char err[256], sub[160];
	int fd;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(chmod(dir, 0711) || chmod(sub, 0711) || chmod(sock, 0666), 0);
	assert_int_equal(seteuid(uid), 0);
	fd = control_connect(sock, err, sizeof(err));
	assert_int_equal(seteuid(0), 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	control_serve(c);
	control_serve(c);
	return fd;
}

/* the i-th of many tails: CONTROL_TAILS_PER_UID per uid */
static int tail_client(struct control *c, int i)
{
	return client_as(c, "tail\n", 1000 + (uid_t)(i / CONTROL_TAILS_PER_UID));
}

/* read what fd has within 1 s, until want appears; NUL-terminated in buf */
static size_t read_until(struct control *c, int fd, char *buf, size_t len, const char *want)
{
	size_t got = 0;

	buf[0] = '\0';
	for (int i = 0; i < 1000 && !strstr(buf, want); i++) {
		ssize_t n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);

		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		buf[got] = '\0';
		control_flush(c);
		control_serve(c);
		usleep(1000);
	}
	return got;
}

static void test_tail_stream(void **state)
{
	struct event open_bot = ev_of(AM_EV_OPEN, "bot", 11, 10);
	struct event exec_bot = ev_of(AM_EV_EXEC, "bot", 11, 10);
	struct event drop = ev_of(AM_EV_DROP, NULL, 0, 0);
	struct status_tail st;
	struct control c;
	char err[256], buf[8192];
	int json, text, compact, twin, bad;

	drop.drop.lost = 7;
	exec_bot.exec.filename = "/bin/true";
	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	json = client(&c, "tail json type=open\n");
	text = client(&c, "tail agent=bot verbose\n");
	compact = client(&c, "tail agent=bot\n");
	twin = client(&c, "tail agent=bot\n");
	bad = client(&c, "tail type=nope\n");
	read_until(&c, bad, buf, sizeof(buf), "\n");
	assert_non_null(strstr(buf, "error unknown event type 'nope'"));
	assert_int_equal(c.tails, 4);
	/* one view for the two clients of the same filter */
	assert_non_null(c.fan.shares);
	assert_null(c.fan.shares->next);
	assert_int_equal(c.fan.shares->refs, 2);
	control_publish(&c, &open_bot);
	control_publish(&c, &exec_bot);
	control_publish(&c, &drop);
	read_until(&c, json, buf, sizeof(buf), "\"lost\":7");
	assert_true(!strncmp(buf, "ok\n{\"ts\":\"2026-11-25T12:00:00.123456789Z\",\"type\":\"open\"", 55));
	assert_null(strstr(buf, "\"exec\""));
	assert_non_null(strstr(buf, "\"type\":\"drop\""));
	read_until(&c, text, buf, sizeof(buf), "events lost");
	assert_non_null(strstr(buf, "bot/sh[11] open /dev/null"));
	assert_non_null(strstr(buf, "bot/sh[11] exec /bin/true"));
	assert_null(strstr(buf, "\033[")); /* colour only when asked */
	/* the compact view: the read of /dev/null folded, the exec shown */
	read_until(&c, compact, buf, sizeof(buf), "events lost");
	assert_non_null(strstr(buf, "bot/sh[11] exec /bin/true"));
	assert_null(strstr(buf, "open /dev/null"));
	read_until(&c, twin, buf, sizeof(buf), "events lost");
	assert_non_null(strstr(buf, "bot/sh[11] exec /bin/true"));
	close(text); /* a client that vanishes is gone at once */
	close(compact);
	close(twin);
	control_serve(&c);
	control_tail_status(&c, &st);
	assert_int_equal(st.connected, 1);
	assert_int_equal(st.served, 4);
	assert_int_equal(st.gone, 3);
	assert_null(c.fan.shares); /* the last client took its view along */
	close(json);
	close(bad);
	control_close(&c);
}

/* a client that comes after events were published gets a view of its own (no
 * fold counts of reads it never saw); control_tick brings the fold lines of
 * processes idle 30 s to every view */
static void test_late_tail_and_tick(void **state)
{
	struct event open11 = ev_of(AM_EV_OPEN, "bot", 11, 10);
	struct event exit11 = ev_of(AM_EV_EXIT, "bot", 11, 10);
	struct event open12 = ev_of(AM_EV_OPEN, "bot", 12, 10);
	struct control c;
	char err[256], buf[8192];
	int early, late;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	early = client(&c, "tail agent=bot\n");
	control_publish(&c, &open11);
	late = client(&c, "tail agent=bot\n");
	assert_non_null(c.fan.shares);
	assert_non_null(c.fan.shares->next); /* not the early client's view */
	control_publish(&c, &open11);
	control_publish(&c, &exit11);
	read_until(&c, early, buf, sizeof(buf), "sh[11] read");
	assert_non_null(strstr(buf, "bot/sh[11] read 2 files (2 system)\n"));
	read_until(&c, late, buf, sizeof(buf), "sh[11] read");
	assert_non_null(strstr(buf, "bot/sh[11] read 1 file (1 system)\n"));
	control_publish(&c, &open12);
	control_tick(&c, open12.ts_ns + VIEW_FOLD_IDLE_NS - 1);
	control_tick(&c, open12.ts_ns + VIEW_FOLD_IDLE_NS);
	read_until(&c, early, buf, sizeof(buf), "sh[12] read");
	assert_non_null(strstr(buf, ":30.123   bot/sh[12] read 1 file (1 system)\n"));
	read_until(&c, late, buf, sizeof(buf), "sh[12] read");
	assert_non_null(strstr(buf, ":30.123   bot/sh[12] read 1 file (1 system)\n"));
	close(early);
	close(late);
	control_serve(&c);
	assert_null(c.fan.shares);
	control_close(&c);
}

static void test_slow_client(void **state)
{
	struct event open_bot = ev_of(AM_EV_OPEN, "bot", 11, 10);
	struct status_tail st;
	struct control c;
	char err[256], *buf = malloc(1 << 16);
	uint64_t missed;
	int fd, i;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	fd = client(&c, "tail json\n");
	/* the client does not read: its socket and queue fill, then events are missed */
	for (i = 0; i < 20000; i++) {
		control_publish(&c, &open_bot);
		control_flush(&c);
	}
	control_tail_status(&c, &st);
	missed = st.missed;
	assert_true(missed > 0);
	assert_int_equal(st.connected, 1);
	/* it reads again: the notice comes once the queue drained to half */
	for (i = 0; i < 10000; i++) {
		ssize_t n = recv(fd, buf, (1 << 16) - 1, MSG_DONTWAIT);
		char *m;

		if (n > 0) {
			buf[n] = '\0';
			if ((m = strstr(buf, "\"missed\":")))
				break;
		}
		control_serve(&c);
		control_flush(&c);
	}
	assert_true(i < 10000);
	assert_int_equal(strtoull(strstr(buf, "\"missed\":") + 9, NULL, 10), missed);
	close(fd);
	control_serve(&c);
	control_tail_status(&c, &st);
	assert_int_equal(st.missed, missed); /* kept after it left */
	assert_int_equal(st.connected, 0);
	control_close(&c);
	free(buf);
}

static void test_status_request(void **state)
{
	struct control c;
	char err[256], buf[512];
	int fd;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	fd = client(&c, "status\n");
	read_until(&c, fd, buf, sizeof(buf), "\n");
	assert_string_equal(buf, "error this collector does not give its status\n");
	close(fd);
	control_on_status(&c, status_stub);
	fd = client(&c, "status json\n");
	read_until(&c, fd, buf, sizeof(buf), "tagged\n");
	assert_string_equal(buf, "uptime: 1s\nagents: 0 tagged\n");
	assert_string_equal(status_json_arg, "json");
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0); /* closed after the status */
	close(fd);
	fd = client(&c, "status yaml\n");
	read_until(&c, fd, buf, sizeof(buf), "\n");
	assert_non_null(strstr(buf, "error unknown status option"));
	close(fd);
	control_close(&c);
}

static void test_too_many_clients(void **state)
{
	struct control c;
	char err[256], buf[256];
	int fds[CONTROL_CLIENTS_MAX + 1], extra, launch;

	if (geteuid())
		skip(); /* the tails of several uids */
	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < CONTROL_TAILS_MAX; i++) {
		fds[i] = tail_client(&c, i);
		read_until(&c, fds[i], buf, sizeof(buf), "\n");
		assert_string_equal(buf, "ok\n");
	}
	/* one tail more is refused (a uid with none yet too); launch still finds a slot */
	extra = client_as(&c, "tail\n", 2000);
	read_until(&c, extra, buf, sizeof(buf), "\n");
	assert_string_equal(buf, "error too many clients\n");
	launch = client(&c, "launch bot\n");
	read_until(&c, launch, buf, sizeof(buf), "\n");
	assert_true(!strncmp(buf, "ok ", 3));
	close(extra);
	close(launch);
	/* every slot taken: the connection is refused politely */
	for (int i = CONTROL_TAILS_MAX; i < CONTROL_CLIENTS_MAX; i++) {
		char e[64];

		fds[i] = control_connect(sock, e, sizeof(e));
		control_serve(&c);
	}
	extra = control_connect(sock, err, sizeof(err));
	control_serve(&c);
	read_until(&c, extra, buf, sizeof(buf), "\n");
	assert_string_equal(buf, "error too many clients\n");
	close(extra);
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		close(fds[i]);
	control_close(&c);
}

/* one uid holds at most CONTROL_TAILS_PER_UID tails; another uid still gets one */
static void test_tails_per_uid(void **state)
{
	struct control c;
	char err[256], buf[256];
	int fds[CONTROL_TAILS_PER_UID], extra;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < CONTROL_TAILS_PER_UID; i++) {
		fds[i] = client(&c, "tail\n");
		read_until(&c, fds[i], buf, sizeof(buf), "\n");
		assert_string_equal(buf, "ok\n");
	}
	extra = client(&c, "tail\n");
	read_until(&c, extra, buf, sizeof(buf), "\n");
	assert_string_equal(buf, "error too many clients\n");
	close(extra);
	if (!geteuid()) {
		extra = client_as(&c, "tail\n", 1000);
		read_until(&c, extra, buf, sizeof(buf), "\n");
		assert_string_equal(buf, "ok\n");
		close(extra);
	}
	for (int i = 0; i < CONTROL_TAILS_PER_UID; i++)
		close(fds[i]);
	control_close(&c);
}

/* every slot held by tails and idle connections: launch still gets in, and
 * the idle ones are closed at the request timeout; both counted */
static void test_idle_connections(void **state)
{
	struct control c;
	struct status_tail st;
	char err[256], buf[256];
	int fds[CONTROL_CLIENTS_MAX], launch;

	if (geteuid())
		skip(); /* the tails of several uids */
	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < CONTROL_TAILS_MAX; i++) {
		fds[i] = tail_client(&c, i);
		read_until(&c, fds[i], buf, sizeof(buf), "\n");
	}
	for (int i = CONTROL_TAILS_MAX; i < CONTROL_CLIENTS_MAX; i++) {
		fds[i] = control_connect(sock, err, sizeof(err));
		control_serve(&c);
	}
	usleep(CONTROL_EVICT_AFTER_NS / 1000 + 50000);
	launch = client(&c, "launch bot\n");
	read_until(&c, launch, buf, sizeof(buf), "\n");
	assert_true(!strncmp(buf, "ok ", 3));
	close(launch);
	control_tail_status(&c, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.refused, 0);
	assert_int_equal(read_until(&c, fds[CONTROL_TAILS_MAX], buf, sizeof(buf), "\n"),
			 strlen("error request timeout\n")); /* the oldest went first */
	assert_string_equal(buf, "error request timeout\n");
	control_set_request_timeout(&c, 100000000ull);
	usleep(150000);
	control_serve(&c);
	control_tail_status(&c, &st);
	assert_int_equal(st.timed_out, CONTROL_CLIENTS_MAX - CONTROL_TAILS_MAX - 1);
	assert_int_equal(st.connected, CONTROL_TAILS_MAX); /* tails are not idle */
	read_until(&c, fds[CONTROL_CLIENTS_MAX - 1], buf, sizeof(buf), "\n");
	assert_string_equal(buf, "error request timeout\n");
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		close(fds[i]);
	control_close(&c);
}

static void test_socket_group(void **state)
{
	struct control c;
	char err[256];
	struct stat st;

	assert_int_equal(control_listen(&c, sock, handler, NULL, err, sizeof(err)), 0);
	assert_int_equal(control_set_group(&c, "no-such-group-agentmon", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown group 'no-such-group-agentmon'"));
	if (geteuid() == 0) {
		assert_int_equal(control_set_group(&c, "daemon", err, sizeof(err)), 0);
		assert_int_equal(stat(sock, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0660);
		assert_int_equal(st.st_gid, 1); /* daemon */
	}
	control_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listen_call_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_collector_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_collector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fds_left, setup, teardown),
		cmocka_unit_test(test_filter_parse),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_queue_wraps),
		cmocka_unit_test(test_missed_notice),
		cmocka_unit_test_setup_teardown(test_tail_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_tail_and_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tails_per_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_connections, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
