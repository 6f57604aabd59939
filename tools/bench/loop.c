/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * loop - the workload of tools/bench.sh.  Runs N operations of one kind as
 * fast as it can and prints the elapsed nanoseconds per operation (the loop
 * only: start-up and set-up are not timed).
 *
 *   loop open N       open("/dev/null", O_RDONLY) + close
 *   loop connect N    TCP connect to a listener on 127.0.0.1 + close; the
 *                     listener is a thread of this process (accept + close)
 *   loop forkexec N   fork + exec /bin/true + waitpid
 *
 * Exit status 1 with a message when an operation fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void *acceptor(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		close(c);
	}
}

static void run_open(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			die("open /dev/null");
		close(fd);
	}
}

static struct sockaddr_in start_listener(void)
{
	static int lfd;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	pthread_t th;
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1024))
		die("bind/listen 127.0.0.1");
	if (getsockname(lfd, (struct sockaddr *)&sa, &len))
		die("getsockname");
	if (pthread_create(&th, NULL, acceptor, &lfd))
		die("pthread_create");
	pthread_detach(th);
	return sa;
}

static void run_connect(long n, const struct sockaddr_in *sa)
{
	/* reset on close: no TIME_WAIT, so N is not limited by ephemeral ports */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			die("connect 127.0.0.1");
		close(fd);
	}
}

static void run_forkexec(long n)
{
	for (long i = 0; i < n; i++) {
		int st;
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(p, &st, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "loop: /bin/true failed (status %d)\n", st);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1;
	struct sockaddr_in sa;
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: loop open|connect|forkexec N\n");
		return 2;
	}
	if (!strcmp(argv[1], "open")) {
		t0 = now_ns();
		run_open(n);
	} else if (!strcmp(argv[1], "connect")) {
		sa = start_listener();
		t0 = now_ns();
		run_connect(n, &sa);
	} else if (!strcmp(argv[1], "forkexec")) {
		t0 = now_ns();
		run_forkexec(n);
	} else {
		fprintf(stderr, "loop: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	t1 = now_ns();
	printf("%.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}
