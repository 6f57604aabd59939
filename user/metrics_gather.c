// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * metrics_gather.c - what metrics show beyond status: each hook's attach
 * state (the loader), the ring buffer's use (its producer and consumer
 * positions, mapped read-only once beside libbpf's own mapping: libbpf 1.1
 * neither exposes it nor has ring__avail_data_size) and
 * the process's CPU time.  Apart from metrics.c, which links without the
 * loader (the unit tests).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "load.h"
#include "metrics.h"

void metrics_ring_init(struct metrics_ring *r, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.max_entries)
		return;
	/* one read-only mapping of the two position pages: page 0 the
	 * consumer's, page 1 the producer's (not the data pages) */
	r->cons = mmap(NULL, 2 * (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	if (r->cons == MAP_FAILED) {
		r->cons = NULL;
		return;
	}
	r->prod = (char *)r->cons + page;
	r->size = info.max_entries;
}

void metrics_ring_release(struct metrics_ring *r)
{
	if (r->cons)
		munmap(r->cons, 2 * (size_t)sysconf(_SC_PAGESIZE));
	r->cons = r->prod = NULL;
	r->size = 0;
}

bool metrics_ring_read(const struct metrics_ring *r, uint64_t *size, uint64_t *used)
{
	uint64_t cons, prod;

	*size = *used = 0;
	if (!r->size)
		return false;
	cons = __atomic_load_n((const uint64_t *)r->cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n((const uint64_t *)r->prod, __ATOMIC_ACQUIRE);
	*size = r->size;
	*used = prod >= cons ? prod - cons : 0;
	return true;
}

static void add_hook(const char *name, bool attached, void *arg)
{
	struct metrics_snap *s = arg;

	if (s->n_hooks >= METRICS_HOOKS_MAX)
		return;
	snprintf(s->hooks[s->n_hooks].name, METRICS_NAME_MAX, "%s", name);
	s->hooks[s->n_hooks++].attached = attached;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

void metrics_gather(struct metrics_snap *s, struct loader *l, struct metrics_ring *r)
{
	struct loader_tls_scope t;

	s->n_hooks = 0;
	loader_hooks(l, add_hook, s);
	loader_tls_scope(l, &t);
	add_hook("tls_uprobes", t.hooked, s);
	s->cpu_seconds = cpu_seconds();
	s->ring_known = metrics_ring_read(r, &s->ring_size, &s->ring_used);
}

int metrics_update(struct metrics *m, const struct status_sources *src,
		   const struct metrics_alerts *alerts, struct metrics_ring *r)
{
	struct metrics_snap snap = { .alerts = alerts, .scrapes = metrics_scrapes(m) };
	struct status st;
	struct jw out;
	int ret;

	status_init(&st);
	jw_init(&out);
	ret = status_gather(&st, src);
	if (!ret) {
		snap.st = &st;
		metrics_gather(&snap, src->loader, r);
		ret = metrics_format(&snap, &out);
	}
	if (!ret)
		ret = metrics_publish(m, out.buf ? out.buf : "", out.len);
	jw_free(&out);
	status_release(&st);
	return ret;
}

int metrics_feed_start(struct metrics_feed *f, const char *at, int ring_fd, bool *loopback,
		       char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t len;
	size_t n;
	int ret;

	*loopback = true;
	if (!at)
		return 0;
	snprintf(f->addr, sizeof(f->addr), "%s", at);
	if (metrics_parse_listen(at, &sa, &len, loopback)) {
		snprintf(err, errlen, "bad metrics address '%s' (ADDR:PORT, [ADDR6]:PORT)", at);
		return -EINVAL;
	}
	metrics_ring_init(&f->ring, ring_fd);
	ret = metrics_start(&f->m, &sa, len, err, errlen);
	if (ret) {
		n = strlen(err);
		snprintf(err + n, errlen - n, " (%s)", at);
	}
	return ret;
}

bool metrics_feed_due(const struct metrics_feed *f, uint64_t now)
{
	return f->m && (!f->at || now - f->at >= METRICS_EVERY_NS);
}

int metrics_feed_step(struct metrics_feed *f, const struct status_sources *src, uint64_t now)
{
	f->at = now;
	return metrics_update(f->m, src, &f->alerts, &f->ring);
}

void metrics_feed_stop(struct metrics_feed *f)
{
	metrics_stop(f->m); /* first: its thread reads nothing of ours, but ends */
	f->m = NULL;
	metrics_ring_release(&f->ring);
}
