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
 *   loop rate R T [P] R opens of /dev/null (+ close) per second for T
 *                     seconds, shared by P worker processes (default 1), each
 *                     paced in 1 ms ticks (it catches up when it falls
 *                     behind): exactly R*T opens in all; prints "OPENS RATE",
 *                     the opens made and the rate achieved (opens/s, from
 *                     the first open to the last worker's end)
 *   loop cmd N CMD... runs CMD N times (fork + execvp + waitpid, its stdout
 *                     to /dev/null) and prints the ns per run; exit status 1
 *                     when a run fails
 *   loop tag CMD...   prctl(0x414d5447) ("AMTG", which tools/bench/peer.bt
 *                     tags, with its children) then execvp CMD: the bpftrace
 *                     peer's `agentmon launch`
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
#include <sys/prctl.h>
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

/*
 * fork + exec argv[0] (PATH searched) + waitpid; quiet: its stdout to
 * /dev/null.  Exits with a message when the child fails.
 */
static void run_child(char *const argv[], int quiet)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (p == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
				die("/dev/null");
		}
		execvp(argv[0], argv);
		fprintf(stderr, "loop: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "loop: %s failed (status %d)\n", argv[0], st);
		exit(1);
	}
}

static void run_forkexec(long n)
{
	char *const argv[] = { "/bin/true", NULL };

	for (long i = 0; i < n; i++)
		run_child(argv, 0);
}

/* one worker of run_rate: n opens at rate per second from t0 (ns) on */
static void rate_worker(long n, double rate, unsigned long long t0)
{
	const unsigned long long tick = 1000000; /* ns */
	double per_tick = rate / 1e9 * (double)tick;
	unsigned long long next = t0;
	long done = 0;

	while (done < n) {
		struct timespec ts;
		long due;

		next += tick;
		due = (long)(per_tick * (double)(next - t0) / (double)tick + 0.5);
		if (due > n)
			due = n;
		for (; done < due; done++) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd < 0)
				die("open /dev/null");
			close(fd);
		}
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

static int run_rate(int argc, char **argv)
{
	long rate, secs, procs = 1, total;
	unsigned long long t0;
	int failed = 0;

	if (argc < 4 || argc > 5 || (rate = atol(argv[2])) <= 0 || (secs = atol(argv[3])) <= 0 ||
	    (argc == 5 && (procs = atol(argv[4])) <= 0)) {
		fprintf(stderr, "usage: loop rate OPENS_PER_S SECONDS [PROCS]\n");
		return 2;
	}
	total = rate * secs;
	t0 = now_ns() + 20000000ull; /* every worker starts at the same tick */
	for (long i = 0; i < procs; i++) {
		long n = total / procs + (i < total % procs);
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			rate_worker(n, (double)rate / (double)procs, t0);
			_exit(0);
		}
	}
	for (long i = 0; i < procs; i++) {
		int st;
		if (wait(&st) < 0)
			die("wait");
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	if (failed)
		return 1;
	printf("%ld %.0f\n", total, (double)total * 1e9 / (double)(now_ns() - t0));
	return 0;
}

static int run_cmd(int argc, char **argv)
{
	unsigned long long t0;
	long n;

	if (argc < 4 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: loop cmd N CMD [ARG...]\n");
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		run_child(argv + 3, 1);
	printf("%.1f\n", (double)(now_ns() - t0) / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1;
	struct sockaddr_in sa;
	long n;

	if (argc >= 2 && !strcmp(argv[1], "rate"))
		return run_rate(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cmd"))
		return run_cmd(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "tag")) {
		prctl(0x414d5447, 0, 0, 0, 0); /* EINVAL: only the peer's probe sees it */
		execvp(argv[2], argv + 2);
		die(argv[2]);
	}
	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: loop open|connect|forkexec N | rate R T [P] | cmd N CMD... | tag CMD...\n");
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
