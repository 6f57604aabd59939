// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * uring_post.c - an HTTP/1.1 POST made entirely through io_uring (socket
 * connect, send and recv as io_uring operations), for the detection tests.
 * usage: uring_post ADDR PORT HOST PATH BODY   (IPv4 address)
 * Exits 0 when a response status line came back.
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int run(struct io_uring *ring, void (*prep)(struct io_uring_sqe *, void *), void *arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	prep(sqe, arg);
	io_uring_submit(ring);
	if (io_uring_wait_cqe(ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

struct op { int fd; struct sockaddr_in sa; char *buf; size_t len; };

static void prep_connect(struct io_uring_sqe *s, void *a)
{
	struct op *o = a;
	io_uring_prep_connect(s, o->fd, (struct sockaddr *)&o->sa, sizeof(o->sa));
}

static void prep_send(struct io_uring_sqe *s, void *a)
{
	struct op *o = a;
	io_uring_prep_send(s, o->fd, o->buf, o->len, 0);
}

static void prep_recv(struct io_uring_sqe *s, void *a)
{
	struct op *o = a;
	io_uring_prep_recv(s, o->fd, o->buf, o->len, 0);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct op o = { 0 };
	char req[2048], resp[512];
	int n;

	if (argc != 6) {
		fprintf(stderr, "usage: uring_post ADDR PORT HOST PATH BODY\n");
		return 2;
	}
	if (io_uring_queue_init(4, &ring, 0)) {
		perror("io_uring_queue_init");
		return 1;
	}
	o.fd = socket(AF_INET, SOCK_STREAM, 0);
	o.sa.sin_family = AF_INET;
	o.sa.sin_port = htons((uint16_t)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &o.sa.sin_addr);
	if (run(&ring, prep_connect, &o) < 0) {
		fprintf(stderr, "io_uring connect failed\n");
		return 1;
	}
	n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     argv[4], argv[3], strlen(argv[5]), argv[5]);
	o.buf = req;
	o.len = (size_t)n;
	if (run(&ring, prep_send, &o) != n) {
		fprintf(stderr, "io_uring send failed\n");
		return 1;
	}
	o.buf = resp;
	o.len = sizeof(resp) - 1;
	n = run(&ring, prep_recv, &o);
	io_uring_queue_exit(&ring);
	if (n <= 0 || strncmp(resp, "HTTP/1.", 7)) {
		fprintf(stderr, "no HTTP response\n");
		return 1;
	}
	return 0;
}
