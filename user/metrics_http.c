// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * metrics_http.c - /metrics over HTTP with libmicrohttpd.
 *
 * Thread model: MHD runs its own polling thread (MHD_USE_INTERNAL_POLLING_
 * THREAD) and only ever copies the last text the event loop published
 * under a mutex held for a memcpy.  The loop formats a fresh snapshot once a
 * second (collector.c), so the MHD thread never reads collector state and a
 * client on the host, however slow or malicious, cannot stall the event loop:
 * at worst it holds one of METRICS_CONNS connections for METRICS_TIMEOUT_S
 * seconds.  External-select mode inside the loop would have needed MHD's
 * fds in the loop's poll set and its timeouts in the loop's clock, for no
 * gain: the data would still be a snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

#define METRICS_CONNS 16         /* connections at once */
#define METRICS_PER_IP 8         /* from one address */
#define METRICS_TIMEOUT_S 5      /* idle connection closed after */
#define METRICS_CONN_MEM 16384   /* per connection: request head and buffers */

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct MHD_Daemon *d;
	int fd;
	pthread_mutex_t mu;
	char *text;                  /* the last published text */
	size_t len;
	uint64_t scrapes;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								  MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO; /* out of memory: the connection is closed */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_text(struct metrics *m, struct MHD_Connection *conn)
{
	enum MHD_Result ret;

	pthread_mutex_lock(&m->mu);
	m->scrapes++;
	ret = reply(conn, MHD_HTTP_OK, CONTENT_TYPE, m->text ? m->text : "", m->len);
	pthread_mutex_unlock(&m->mu);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_len, void **state)
{
	static const char not_found[] = "not found: metrics are on /metrics\n";
	static const char not_allowed[] = "only GET and HEAD\n";

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     sizeof(not_allowed) - 1);
	return serve_text(cls, conn);
}

/* a bound, listening, non-blocking socket; -errno */
static int listen_on(const struct sockaddr_storage *sa, socklen_t len)
{
	int one = 1, fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, len) || listen(fd, METRICS_CONNS)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* MHD's thread gets no signal: the loop's handlers stay the main thread's */
static struct MHD_Daemon *daemon_start(struct metrics *m)
{
	sigset_t all, old;
	struct MHD_Daemon *d;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
			     0, NULL, NULL, on_request, m,
			     MHD_OPTION_LISTEN_SOCKET, m->fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_PER_IP,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEM,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

int metrics_start(struct metrics **out, const struct sockaddr_storage *sa, socklen_t len,
		  char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	int ret;

	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&m->mu, NULL);
	m->fd = listen_on(sa, len);
	if (m->fd < 0) {
		ret = m->fd;
		snprintf(err, errlen, "metrics: cannot listen: %s", strerror(-ret));
		metrics_stop(m);
		return ret;
	}
	if (!(m->d = daemon_start(m))) {
		snprintf(err, errlen, "metrics: cannot start the HTTP server (libmicrohttpd)");
		metrics_stop(m);
		return -EIO;
	}
	*out = m;
	return 0;
}

int metrics_publish(struct metrics *m, const char *text, size_t len)
{
	char *copy = malloc(len + 1), *old;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&m->mu);
	old = m->text;
	m->text = copy;
	m->len = len;
	pthread_mutex_unlock(&m->mu);
	free(old);
	return 0;
}

uint64_t metrics_scrapes(struct metrics *m)
{
	uint64_t n;

	pthread_mutex_lock(&m->mu);
	n = m->scrapes;
	pthread_mutex_unlock(&m->mu);
	return n;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d); /* joins its thread, closes the socket */
	else if (m->fd >= 0)
		close(m->fd);
	pthread_mutex_destroy(&m->mu);
	free(m->text);
	free(m);
}
