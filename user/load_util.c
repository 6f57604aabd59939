// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_util.c - the helpers load.c, load_pin.c and load_tls.c share (see
 * load_int.h): error text, the loader's status line, link teardown.  They
 * call nothing of the three.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "load_int.h"

int load_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void load_status_add(struct loader *l, const char *fmt, ...)
{
	size_t n = strlen(l->status);
	va_list ap;

	if (l->quiet || n >= sizeof(l->status) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(l->status + n, sizeof(l->status) - n, fmt, ap);
	va_end(ap);
}

void load_gap(struct loader *l, unsigned flags, const char *hook, const char *fmt, ...)
{
	struct loader_gap *g;
	va_list ap;

	if (l->n_gaps == LOADER_GAPS_MAX) /* the last one says there were more */
		l->n_gaps--;
	g = &l->gaps[l->n_gaps++];
	g->agent = flags & LOAD_GAP_AGENT;
	snprintf(g->hook, sizeof(g->hook), "%s", hook);
	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
	if (!(flags & LOAD_GAP_UNSAID))
		load_status_add(l, "; %s: %s", g->hook, g->why);
}

void load_gaps_reset_agent(struct loader *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n_gaps; i++)
		if (!l->gaps[i].agent)
			l->gaps[k++] = l->gaps[i];
	l->n_gaps = k;
}

const struct loader_gap *loader_gaps(const struct loader *l, size_t *n)
{
	*n = l->n_gaps;
	return l->gaps;
}

/*
 * detaching a uprobe waits for an RCU grace period, one after the other
 * (~90 ms each on 6.18): a detached grandchild holding copies of the link
 * fds does it, so that the collector itself exits at once; the hooks stay
 * until it is done (their events go nowhere, untagged tasks pay as before)
 */
int load_destroy_links(struct bpf_link **links, size_t n)
{
	return load_destroy_all(links, n, NULL, 0);
}

int load_destroy_all(struct bpf_link **links, size_t n, const int *fds, size_t nfds)
{
	int p[2] = { -1, -1 }, done[2] = { -1, -1 };
	pid_t c = -1;

	if (n + nfds > 2 && !pipe2(p, O_CLOEXEC) && !pipe2(done, O_CLOEXEC))
		c = fork();
	if (c == 0) {
		if (fork() == 0) {
			char b;

			/* once the collector has dropped its references, the last are ours */
			close(p[1]);
			while (read(p[0], &b, 1) < 0 && errno == EINTR)
				;
			for (size_t i = 0; i < n; i++)
				bpf_link__destroy(links[i]);
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
		}
		_exit(0); /* done[1] closes with the last of us: the teardown is over */
	}
	if (c > 0)
		waitpid(c, NULL, 0);
	close(p[0]);
	close(done[1]);
	/* with the grandchild holding the same fds, these closes are cheap */
	for (size_t i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	close(p[1]);
	if (c <= 0) {
		close(done[0]);
		return -1;
	}
	return done[0];
}
