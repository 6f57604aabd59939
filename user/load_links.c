// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_links.c - the TLS uprobes' descriptor budget (see load_int.h), the
 * one place that decides their room.  Each link holds a perf event fd, and
 * so does each per-process event of the shared libraries' scoped uprobes
 * (load_scope.c).  An agent that execs hundreds of distinct binaries
 * carrying SSL_* symbols, or runs thousands of threads, must not spend the
 * collector's descriptors (the spool, the control socket, /proc reads need
 * them): links and per-process events share one budget (from RLIMIT_NOFILE,
 * raised once at start, less a reserve), links are also capped in total and
 * per binary, and the links of binaries no process runs any more are
 * released when the budget is reached.  What the budget refuses is counted:
 * a binary's TLS is judged unseen (fail closed) until there is room, a
 * process the scoped uprobes cannot cover makes them system-wide.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common.h"
#include "load_int.h"

#define LINK_FD_RESERVE 256   /* descriptors never spent on links */
#define GC_QUIET_NS     (1000000000ull) /* a fruitless sweep is not redone sooner */

size_t load_links_budget(void)
{
	struct rlimit r;
	rlim_t soft;
	size_t b;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return 64;
	soft = r.rlim_cur == RLIM_INFINITY || r.rlim_cur > (1u << 20) ? (1u << 20) : r.rlim_cur;
	b = soft > 2 * LINK_FD_RESERVE ? (size_t)(soft - LINK_FD_RESERVE) / 2 : (size_t)soft / 4;
	return b < TLS_UPROBE_FDS ? b : TLS_UPROBE_FDS;
}

int load_keep_link(struct loader *l, struct bpf_link *link, dev_t dev, ino_t ino)
{
	if (l->n_tls_links == l->cap_tls_links) {
		size_t cap = l->cap_tls_links ? 2 * l->cap_tls_links : 32;
		struct bpf_link **p = realloc(l->tls_links, cap * sizeof(*p));
		struct load_link_id *q = p ? realloc(l->tls_link_ids, cap * sizeof(*q)) : NULL;

		if (p)
			l->tls_links = p;
		if (!q) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		l->tls_link_ids = q;
		l->cap_tls_links = cap;
	}
	l->tls_link_ids[l->n_tls_links] = (struct load_link_id){ dev, ino };
	l->tls_links[l->n_tls_links++] = link;
	return 0;
}

void load_drop_links_since(struct loader *l, size_t n0)
{
	while (l->n_tls_links > n0)
		bpf_link__destroy(l->tls_links[--l->n_tls_links]);
}

/* mark the cached binaries some process runs now (its /proc/PID/exe) */
static void mark_running(struct loader *l)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	for (size_t i = 0; i < l->n_bins; i++)
		l->bins[i].running = false;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[64];
		dev_t dev;
		ino_t ino;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/exe", e->d_name);
		if (fsguard_stat(path, &dev, &ino)) /* any process's: asks no FUSE server */
			continue;
		for (size_t i = 0; i < l->n_bins; i++)
			if (l->bins[i].attached && l->bins[i].dev == dev && l->bins[i].ino == ino)
				l->bins[i].running = true;
	}
	closedir(d);
}

/* whether link i belongs to an attached binary that nothing runs */
static bool link_idle(const struct loader *l, size_t i)
{
	const struct load_link_id *id = &l->tls_link_ids[i];

	if (!id->ino)
		return false; /* a shared library's: kept */
	for (size_t b = 0; b < l->n_bins; b++)
		if (l->bins[b].attached && l->bins[b].dev == id->dev && l->bins[b].ino == id->ino)
			return !l->bins[b].running;
	return false;
}

/* release the links of binaries no process runs any more; how many */
static size_t gc(struct loader *l)
{
	struct bpf_link **gone = malloc((l->n_tls_links + 1) * sizeof(*gone));
	size_t n = 0, kept = 0;

	if (!gone)
		return 0;
	mark_running(l);
	for (size_t i = 0; i < l->n_tls_links; i++) {
		if (link_idle(l, i)) {
			gone[n++] = l->tls_links[i];
			continue;
		}
		l->tls_link_ids[kept] = l->tls_link_ids[i];
		l->tls_links[kept++] = l->tls_links[i];
	}
	l->n_tls_links = kept;
	for (size_t b = 0; b < l->n_bins; b++)
		if (l->bins[b].attached && !l->bins[b].running)
			l->bins[b].attached = false; /* attached again at its next exec */
	if (n) {
		int fd = load_destroy_links(gone, n); /* in the background: RCU */

		if (fd >= 0)
			close(fd);
	}
	free(gone);
	l->links_released += n;
	return n;
}

static size_t budget(struct loader *l)
{
	if (!l->link_budget)
		l->link_budget = load_links_budget();
	return l->link_budget;
}

/* whether links more links and fds more per-process fds fit; the scoped
 * events count while they are in use (widening attaches the system-wide
 * links before it closes them) */
static bool fits(struct loader *l, size_t links, size_t fds)
{
	size_t scoped = l->tls_scoped ? (size_t)l->cover.st.fds : 0;

	return l->n_tls_links + links <= TLS_LINKS_MAX &&
	       l->n_tls_links + links + scoped + fds <= budget(l);
}

/* fits, after releasing the links of binaries no process runs when not */
static bool room(struct loader *l, size_t links, size_t fds)
{
	uint64_t now;

	if (fits(l, links, fds))
		return true;
	now = am_now_ns(CLOCK_MONOTONIC);
	if (now < l->gc_quiet_until)
		return false;
	if (!gc(l))
		l->gc_quiet_until = now + GC_QUIET_NS;
	return fits(l, links, fds);
}

bool load_links_room(struct loader *l, size_t want)
{
	return room(l, want, 0);
}

int load_links_scope_room(struct loader *l)
{
	size_t b;

	room(l, 0, 1);
	b = budget(l);
	return b > l->n_tls_links ? (int)(b - l->n_tls_links) : 0;
}

void loader_links(const struct loader *l, struct loader_links *out)
{
	out->links = l->n_tls_links;
	out->budget = l->link_budget ? l->link_budget : load_links_budget();
	out->per_binary = TLS_BIN_LINKS;
	out->released = l->links_released;
	out->refused = l->links_refused;
}
