/*
 * scratch_load - load for the kernel's record buffers, each record's bytes
 * tied to the pid that made it:
 *
 *   scratch_load sink PORTFILE            accept on 127.0.0.1 and read to EOF
 *                                         (a process per connection)
 *   scratch_load send PORT SECS SIZE      for SECS s: connect, send a request
 *                                         head naming our pid ("POST /s/PID/N",
 *                                         "Host: hPID") and SIZE body bytes
 *                                         "[PID]" repeated, in large writes
 *   scratch_load open DIR SECS            for SECS s: open DIR/PID-N (absent)
 *
 * Exit 1 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sink(const char *portfile)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char buf[1 << 16];
	FILE *f;

	signal(SIGCHLD, SIG_IGN);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 512) ||
	    getsockname(s, (void *)&a, &len) || !(f = fopen(portfile, "w")))
		return 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			while (read(c, buf, sizeof(buf)) > 0)
				;
			_exit(0);
		}
		close(c);
	}
}

static int send_all(int s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(s, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * SO_MAX_PACING_RATE turns on TCP's internal pacing: the socket's packets
 * then leave from an hrtimer in softirq context, at any moment, whatever the
 * CPU is running (a syscall-exit program building a record, say); from the
 * 10th segment on, hence small segments.  Up to
 * CONNS connections are in flight; close() leaves their data to be sent.
 */
#define CONNS 16
#define PACE_BYTES_S (2u << 20)

static int connect_paced(const struct sockaddr_in *a)
{
	unsigned rate = PACE_BYTES_S;
	int mss = 1000;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof(rate));
	/* small segments: TCP paces from the 10th on */
	setsockopt(s, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
	if (connect(s, (const void *)a, sizeof(*a))) {
		close(s);
		return -1;
	}
	return s;
}

static int sender(int port, double secs, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char unit[32], head[256], *body = malloc(size + 32);
	size_t ul, o;
	double end = now() + secs;
	int pid = getpid();
	long refused = 0;

	if (!body)
		return 1;
	ul = (size_t)snprintf(unit, sizeof(unit), "[%d]", pid);
	for (o = 0; o < size; o += ul)
		memcpy(body + o, unit, ul);
	for (long i = 0; now() < end; i++) {
		int s = connect_paced(&a);
		int hl = snprintf(head, sizeof(head), "POST /s/%d/%ld HTTP/1.1\r\nHost: h%d\r\n"
				  "Content-Length: %zu\r\n\r\n", pid, i, pid, size);

		if (s < 0) {
			/* a loaded host's loopback can refuse for a moment (backlog
			 * full while the sink forks): the load goes on, and only a
			 * sender that never got one connection fails */
			fprintf(stderr, "scratch_load: connect: %s\n", strerror(errno));
			if (++refused > 100 && refused > i)
				return 1;
			usleep(10000);
			continue;
		}
		send_all(s, head, (size_t)hl);
		send_all(s, body, size);
		close(s);
		if (i % CONNS == CONNS - 1)
			usleep(20000); /* the paced bytes leave meanwhile */
	}
	return 0;
}

static int opener(const char *dir, double secs)
{
	char path[4096];
	double end = now() + secs;
	int pid = getpid();

	for (long i = 0; now() < end; i++) {
		snprintf(path, sizeof(path), "%s/%d-%ld", dir, pid, i);
		int fd = open(path, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "sink"))
		return sink(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return sender(atoi(argv[2]), atof(argv[3]), (size_t)atol(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "open"))
		return opener(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: scratch_load sink PORTFILE | send PORT SECS SIZE | open DIR SECS\n");
	return 2;
}
