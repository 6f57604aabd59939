// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_scan.c - which files the TLS verdicts are asked of (see load.h): an
 * agent's binary, the shared objects it mapped or opened, and the scanner
 * thread (scanq.h) that reads them off the event loop, and the verdicts
 * kept in memory and in the TLS cache file; load_tls.c judges and attaches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "load_int.h"

void load_scan_cache_open(struct loader *l)
{
	int rc;

	if (!l->opts.tls_cache || !l->opts.tls_cache[0])
		return;
	l->tcache = malloc(sizeof(*l->tcache));
	if (!l->tcache) {
		snprintf(l->tcache_note, sizeof(l->tcache_note), "TLS cache %s not used: out of memory",
			 l->opts.tls_cache);
		return;
	}
	tls_cache_init(l->tcache, l->opts.tls_cache);
	rc = tls_cache_load(l->tcache);
	if (rc && rc != -ENOENT)
		snprintf(l->tcache_note, sizeof(l->tcache_note), "TLS cache %s ignored (%s): every "
			 "binary is scanned at its first exec, and the file rewritten",
			 l->opts.tls_cache, rc == -EBADMSG ? "damaged or foreign" :
			 rc == -EPERM ? "not root's alone, it or its directory" : strerror(-rc));
}

void load_scan_start(struct loader *l)
{
	int rc = scanq_new(&l->scanq, NULL);

	if (rc)
		load_status_add(l, "; no scanner thread (%s): binaries are read on the event loop",
				strerror(-rc));
}

void load_scan_stop(struct loader *l)
{
	scanq_free(l->scanq); /* before the skeleton goes: nothing is attached after */
	l->scanq = NULL;
	free(l->tcache);
	l->tcache = NULL;
	fsguard_close(&l->guard);
}

const char *loader_tls_cache_note(const struct loader *l)
{
	return l->tcache_note[0] ? l->tcache_note : NULL;
}

/* the cache's identity of the file b judges */
static struct tls_cache_id cache_id(const struct tls_bin *b)
{
	return (struct tls_cache_id){ .dev = (uint64_t)b->dev, .ino = (uint64_t)b->ino,
		.size = (uint64_t)b->size, .mtime = b->mtime, .mtime_ns = b->mtime_ns,
		.ctime = b->ctime, .ctime_ns = b->ctime_ns, .object = b->object };
}

bool load_scan_persist(struct loader *l, const struct tls_bin *b, enum tls_cache_verdict v)
{
	struct tls_cache_id id = cache_id(b);
	int64_t now = (int64_t)time(NULL);

	if (!l->tcache || !(v == TLS_CACHE_LOCATED ? tls_cache_put(l->tcache, &id, b->off, now) :
			    tls_cache_put_verdict(l->tcache, &id, v, now)))
		return false;
	tls_cache_save(l->tcache); /* a failure is counted (status: tls scans) */
	return true;
}

int load_scan_recall(struct loader *l, struct tls_bin *b)
{
	struct tls_cache_id id = cache_id(b);
	const struct tls_cache_ent *e = l->tcache ?
		tls_cache_find(l->tcache, &id, (int64_t)time(NULL)) : NULL;

	if (!e)
		return -1;
	memcpy(b->off, e->off, sizeof(b->off));
	tls_cache_save(l->tcache); /* its use, for the least recently used */
	return (int)e->verdict;
}

struct tls_bin *load_tls_cached(struct loader *l, const struct tls_bin *id, uint64_t now_ns)
{
	for (size_t i = 0; i < l->n_bins; i++) {
		struct tls_bin *c = &l->bins[i];

		if (c->object != id->object || c->dev != id->dev || c->ino != id->ino ||
		    c->size != id->size || c->mtime != id->mtime || c->mtime_ns != id->mtime_ns ||
		    c->ctime != id->ctime || c->ctime_ns != id->ctime_ns)
			continue;
		if (c->retry_ns && !c->attached && now_ns >= c->retry_ns) {
			*c = l->bins[--l->n_bins]; /* a timed-out scan: done again */
			return NULL;
		}
		return c;
	}
	return NULL;
}

/*
 * load_tls_cache_bin - remember b; with TLS_BIN_MAX kept, in place of the
 * next verdict (round robin) whose file has no uprobes attached and runs
 * nowhere: an agent opening thousands of empty objects cannot fill the
 * table and have its hooked binaries scanned (and attached) again at every
 * ClientHello.  With none to give way, b is not kept (scanned again).
 */
void load_tls_cache_bin(struct loader *l, const struct tls_bin *b)
{
	if (l->n_bins == l->cap_bins && l->cap_bins < TLS_BIN_MAX) {
		size_t cap = l->cap_bins ? 2 * l->cap_bins : 16;
		struct tls_bin *p = realloc(l->bins, cap * sizeof(*p));

		if (p) {
			l->bins = p;
			l->cap_bins = cap;
		}
	}
	if (l->n_bins < l->cap_bins) {
		l->bins[l->n_bins++] = *b;
		return;
	}
	for (size_t k = 0; k < l->n_bins; k++) {
		struct tls_bin *c = &l->bins[l->bin_evict++ % l->n_bins];

		if (!c->attached && !c->running) {
			*c = *b;
			l->bins_evicted++;
			return;
		}
	}
}

int loader_attach_tls_binary(struct loader *l, const char *path, char *err, size_t errlen)
{
	struct load_scan_req q = { .show = path, .now = true };

	return load_tls_file(l, path, &q, err, errlen);
}

int loader_scan_tls_binary(struct loader *l, uint32_t pid, const char *label, char *err,
			   size_t errlen)
{
	char path[64];
	struct load_scan_req q = { .show = path, .label = label, .pid = pid };

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	return load_tls_file(l, path, &q, err, errlen);
}

int loader_scan_exec(struct loader *l, uint32_t pid, const char *label, const struct exe_id *id,
		     char *err, size_t errlen)
{
	char path[64];
	struct load_scan_req q = { .show = path, .label = label, .pid = pid, .exe = id };

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	return load_tls_file(l, path, &q, err, errlen);
}

int loader_scan_object(struct loader *l, uint32_t pid, const char *path, const char *label,
		       char *err, size_t errlen)
{
	struct load_scan_req q = { .show = path, .label = label, .pid = pid, .object = true };

	/* by its name: the descriptor it opened is often closed, and its
	 * number reused, by the time the event is read; whatever file is
	 * found there is read and attached through one descriptor anyway */
	if (path[0] != '/')
		return load_fail(err, errlen, -ENODATA, "%s: not an absolute path", path);
	return load_tls_file(l, path, &q, err, errlen);
}

int loader_scan_fd(const struct loader *l)
{
	return l->scanq ? scanq_fd(l->scanq) : -1;
}

int loader_scan_collect(struct loader *l, loader_scanned_fn cb, void *arg)
{
	return load_tls_scanned(l, cb, arg);
}

void loader_scans(struct loader *l, struct loader_scans *out)
{
	struct scanq_stats s = { 0 };

	if (l->scanq)
		scanq_stats(l->scanq, &s);
	*out = (struct loader_scans){ .thread = l->scanq != NULL, .depth = s.depth,
		.queued = s.queued, .done = s.done, .timed_out = s.timed_out, .failed = s.failed,
		.dropped = s.dropped, .joined = s.joined, .untold = s.untold, .stale = l->scan_stale,
		.max_ns = s.max_ns, .evicted = l->bins_evicted, .exe_by_path = l->exe_by_path,
		.exe_gone = l->exe_gone, .exe_mismatch = l->exe_mismatch,
		.on_fuse = l->guard.refused };
	if (l->tcache) {
		out->cache = l->tcache->path;
		out->cache_hits = l->tcache->hits;
		out->cache_failed = l->tcache->save_failed;
	}
}

#define OBJS_MAX 128 /* mappings of one process looked at */

/* one line of /proc/PID/maps: an executable mapping of a file other than
 * the main binary (inode exe) not seen yet; its range and path */
static bool obj_line(const char *line, ino_t exe, unsigned long *seen, size_t *n,
		     unsigned long *lo, unsigned long *hi, const char **name)
{
	unsigned long ino;
	char perms[5];
	int at = 0;

	if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", lo, hi, perms, &ino, &at) != 4 ||
	    perms[2] != 'x' || !ino || ino == exe || *n >= OBJS_MAX || !at)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (seen[i] == ino)
			return false;
	seen[(*n)++] = ino;
	*name = line + at;
	return true;
}

int loader_attach_tls_objects(struct loader *l, uint32_t pid, const char *label, char *err,
			      size_t errlen)
{
	unsigned long seen[OBJS_MAX], lo, hi;
	char path[64], line[512];
	const char *name;
	dev_t exe_dev;
	ino_t exe;
	size_t n = 0;
	int out = 0;
	FILE *f;

	load_fail(err, errlen, 0, "no shared object with its own TLS library");
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (fsguard_stat(path, &exe_dev, &exe)) /* asks no FUSE server */
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char obj[96], msg[512];
		struct load_scan_req q = { .label = label, .pid = pid, .object = true };
		int rc;

		line[strcspn(line, "\n")] = '\0';
		if (!obj_line(line, exe, seen, &n, &lo, &hi, &name))
			continue;
		snprintf(obj, sizeof(obj), "/proc/%u/map_files/%lx-%lx", pid, lo, hi);
		q.show = name;
		rc = load_tls_file(l, obj, &q, msg, sizeof(msg));
		if ((rc == 0 && (out == 0 || out == -EINPROGRESS)) || (rc == -EINPROGRESS && !out)) {
			out = rc ? rc : 1;
			load_fail(err, errlen, 0, "%s", msg);
		}
		if (rc == -ENOENT || (rc < 0 && rc != -ENODATA && rc != -ENOTSUP && rc != -EINPROGRESS)) {
			out = -ENOENT;
			load_fail(err, errlen, 0, "%s", msg);
		}
	}
	fclose(f);
	return out;
}
