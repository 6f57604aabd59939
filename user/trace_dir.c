// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * trace_dir.c - the trace directory (see trace.h): file names that sort in
 * time order, and pruning of old files by age and total size.  Only regular
 * files named agentmon-*.amtrace are counted or deleted; the file being
 * written never is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

#define NAME_PREFIX "agentmon-"

int trace_file_name(char *buf, size_t len, const char *dir, uint64_t now_ns, unsigned seq)
{
	time_t t = (time_t)(now_ns / 1000000000u);
	char stamp[32];
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	n = snprintf(buf, len, "%s/" NAME_PREFIX "%s-%04u" TRACE_SUFFIX, dir, stamp, seq);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

struct trace_file {
	char *name;
	uint64_t mtime_ns, size;
	bool keep;
};

static bool is_trace_name(const char *name)
{
	size_t n = strlen(name), np = strlen(NAME_PREFIX), ns = strlen(TRACE_SUFFIX);

	return n > np + ns && !strncmp(name, NAME_PREFIX, np) &&
	       !strcmp(name + n - ns, TRACE_SUFFIX);
}

/* oldest first; files of one mtime by name */
static int file_cmp(const void *a, const void *b)
{
	const struct trace_file *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* the trace files of d into *v (n of them, sorted); keep (dev, ino, base
 * name) marks the file never deleted; 0 or -ENOMEM */
static int list_files(DIR *d, const struct stat *keep, const char *keep_base,
		      struct trace_file **v, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	struct stat st;

	while ((de = readdir(d))) {
		if (!is_trace_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			void *p = realloc(*v, (cap ? cap * 2 : 32) * sizeof(**v));

			if (!p)
				return -ENOMEM;
			*v = p;
			cap = cap ? cap * 2 : 32;
		}
		(*v)[*n] = (struct trace_file){ .name = strdup(de->d_name),
			.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
				    (uint64_t)st.st_mtim.tv_nsec,
			.size = (uint64_t)st.st_size,
			.keep = (st.st_dev == keep->st_dev && st.st_ino == keep->st_ino) ||
				(keep_base && !strcmp(de->d_name, keep_base)) };
		if (!(*v)[(*n)++].name)
			return -ENOMEM;
	}
	qsort(*v, *n, sizeof(**v), file_cmp);
	return 0;
}

/* delete the files of v that p condemns; how many, or -errno (err set) */
static int prune_files(int dfd, const char *dir, struct trace_file *v, size_t n,
		       const struct trace_prune *p, uint64_t now_ns, char *err, size_t errlen)
{
	uint64_t total = 0;
	int deleted = 0, ret = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].size;
	for (size_t i = 0; i < n; i++) {
		bool old = p->keep_age_ns && now_ns > v[i].mtime_ns &&
			   now_ns - v[i].mtime_ns > p->keep_age_ns;
		bool big = p->keep_bytes && total > p->keep_bytes;

		if (v[i].keep || (!old && !big))
			continue;
		if (unlinkat(dfd, v[i].name, 0) && errno != ENOENT) {
			ret = -errno;
			snprintf(err, errlen, "delete %s/%s: %s", dir, v[i].name, strerror(-ret));
			continue;
		}
		total -= v[i].size;
		deleted++;
	}
	return ret ? ret : deleted;
}

int trace_prune_dir(const char *dir, const struct trace_prune *p, uint64_t now_ns,
		    const char *keep, char *err, size_t errlen)
{
	struct stat ks = { .st_ino = 0 };
	struct trace_file *v = NULL;
	const char *base = keep ? strrchr(keep, '/') : NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	int ret;

	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "open %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (keep && stat(keep, &ks))
		memset(&ks, 0, sizeof(ks));
	ret = list_files(d, &ks, keep ? (base ? base + 1 : keep) : NULL, &v, &n);
	if (ret)
		snprintf(err, errlen, "list %s: %s", dir, strerror(-ret));
	else
		ret = prune_files(dirfd(d), dir, v, n, p, now_ns, err, errlen);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	return ret;
}
