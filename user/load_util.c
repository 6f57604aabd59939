// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_util.c - the helpers load.c, load_pin.c and load_tls.c share (see
 * load_int.h): error text, the loader's status line, link teardown.  They
 * call nothing of the three.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* whether fd is a perf event (a uprobe link's event: its bpf_link__destroy
 * disables and closes it) */
static bool is_perf_event(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[perf_event]");
}

/* what the teardown grandchild holds: links and fds to let go, its pipes */
struct teardown {
	struct bpf_link **links;
	size_t n;
	const int *fds;
	size_t nfds;
	int keep[2];
};

/* whether fd is one of t's (a link's, a listed one, a pipe's) */
static bool teardown_owns(const struct teardown *t, int fd)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->links[i] && bpf_link__fd(t->links[i]) == fd)
			return true;
	for (size_t i = 0; i < t->nfds; i++)
		if (t->fds[i] == fd)
			return true;
	return fd == t->keep[0] || fd == t->keep[1];
}

/*
 * close_foreign - in the teardown grandchild: close every fd it was given
 * by fork but does not own (teardown_owns, and the perf events of uprobe
 * links, which their bpf_link__destroy disables and closes).  A copy of the
 * collector's tracepoint links kept its proc_exit, proc_fork and proc_exec
 * attached for the seconds of the teardown after the collector's exit,
 * writing the tags pinned for the next collector: the old proc_exit ran
 * first and deleted an exiting agent's tag, so the next collector never saw
 * that exit.  Without /proc, fds 0..1023 are closed the same (no perf
 * events kept: their links' destroy closes them anyway).
 */
static void close_foreign(const struct teardown *t)
{
	DIR *d = opendir("/proc/self/fd");
	int own = d ? dirfd(d) : -1, fd;
	struct dirent *de;

	for (fd = 0; !d && fd < 1024; fd++)
		if (!teardown_owns(t, fd))
			close(fd);
	while (d && (de = readdir(d))) {
		fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd != own && !teardown_owns(t, fd) && !is_perf_event(fd))
			close(fd);
	}
	if (d)
		closedir(d);
}

/*
 * detaching a uprobe waits for an RCU grace period, one after the other
 * (~90 ms each on 6.18): a detached grandchild holding copies of the link
 * fds does it, so that the collector itself exits at once; the hooks stay
 * until it is done (their events go nowhere, untagged tasks pay as before).
 * The grandchild holds nothing else of the collector's (close_foreign).
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
			struct teardown t = { links, n, fds, nfds, { p[0], done[1] } };
			char b;

			/* once the collector has dropped its references, the last are ours */
			close_foreign(&t);
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
