// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * uring_evade.c - network and file I/O done only through io_uring, for the
 * evasion tests (tests/evasion/):
 *
 *   uring_evade post [--sqpoll] ADDR PORT HOST PATH BODY
 *       an HTTP/1.1 POST: connect, send and recv as io_uring operations; with
 *       --sqpoll they are issued by the ring's kernel polling thread, the
 *       process makes no syscall for them.  Exit 0 when a status line came.
 *   uring_evade udp ADDR PORT N SIZE
 *       N datagrams of SIZE bytes, IORING_OP_SENDMSG with the address
 *   uring_evade open PATH
 *       IORING_OP_OPENAT (O_WRONLY|O_CREAT|O_TRUNC), IORING_OP_WRITE, close
 * IPv4 addresses.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct io_uring ring;

/* submit the prepared sqe and wait for its completion: its res */
static int run(struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int res;

	(void)sqe;
	if (io_uring_submit(&ring) < 0 || io_uring_wait_cqe(&ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static struct sockaddr_in addr_of(const char *a, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	inet_pton(AF_INET, a, &sa.sin_addr);
	return sa;
}

static int post(int argc, char **argv)
{
	struct io_uring_params p = { 0 };
	struct sockaddr_in sa;
	char req[2048], resp[512];
	int fd, n, sq = argc > 0 && !strcmp(argv[0], "--sqpoll");

	if (sq)
		argv++, argc--;
	if (argc != 5)
		return 2;
	if (sq) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 2000;
	}
	if (io_uring_queue_init_params(8, &ring, &p)) {
		perror("io_uring_queue_init");
		return 1;
	}
	sa = addr_of(argv[0], argv[1]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd, (struct sockaddr *)&sa, sizeof(sa));
	if (run(NULL) < 0) {
		fprintf(stderr, "io_uring connect failed\n");
		return 1;
	}
	n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     argv[3], argv[2], strlen(argv[4]), argv[4]);
	io_uring_prep_send(io_uring_get_sqe(&ring), fd, req, (size_t)n, 0);
	if (run(NULL) != n) {
		fprintf(stderr, "io_uring send failed\n");
		return 1;
	}
	io_uring_prep_recv(io_uring_get_sqe(&ring), fd, resp, sizeof(resp) - 1, 0);
	n = run(NULL);
	io_uring_queue_exit(&ring);
	if (n <= 0 || strncmp(resp, "HTTP/1.", 7)) {
		fprintf(stderr, "no HTTP response\n");
		return 1;
	}
	return 0;
}

static int udp(char **argv)
{
	struct sockaddr_in sa = addr_of(argv[0], argv[1]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), n = atoi(argv[2]);
	size_t size = (size_t)atol(argv[3]);
	char *buf = malloc(size);
	struct iovec iov = { buf, size };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			    .msg_iovlen = 1 };
	long total = 0;

	if (fd < 0 || !buf || io_uring_queue_init(4, &ring, 0))
		return 1;
	memset(buf, 'u', size);
	for (int i = 0; i < n; i++) {
		int r;

		io_uring_prep_sendmsg(io_uring_get_sqe(&ring), fd, &m, 0);
		r = run(NULL);
		if (r < 0) {
			fprintf(stderr, "io_uring sendmsg failed: %s\n", strerror(-r));
			return 1;
		}
		total += r;
	}
	printf("%ld\n", total);
	return 0;
}

static int open_write(char **argv)
{
	static const char text[] = "written through io_uring\n";
	int fd;

	if (io_uring_queue_init(4, &ring, 0))
		return 1;
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, argv[0],
			     O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fd = run(NULL);
	if (fd < 0) {
		fprintf(stderr, "io_uring openat failed: %s\n", strerror(-fd));
		return 1;
	}
	io_uring_prep_write(io_uring_get_sqe(&ring), fd, text, sizeof(text) - 1, 0);
	if (run(NULL) != (int)sizeof(text) - 1)
		return 1;
	io_uring_prep_close(io_uring_get_sqe(&ring), fd);
	return run(NULL) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "post"))
		return post(argc - 2, argv + 2);
	if (argc == 6 && !strcmp(argv[1], "udp"))
		return udp(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "open"))
		return open_write(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of uring_evade.c\n");
	return 2;
}
