// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_control.c - control socket: one collector per path, peer pid, replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"

static char dir[64], sock[128];
static pid_t last_peer;

static void handler(void *arg, const struct ucred *peer, const char *line,
		    char *reply, size_t len)
{
	last_peer = peer->pid;
	snprintf(reply, len, "ok %d %s", (int)peer->pid, line);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listen_call_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_collector_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_collector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
