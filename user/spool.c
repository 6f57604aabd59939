// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * spool.c - durable message directory (see spool.h).
 *
 * The names of pending messages are kept sorted in memory (names start with
 * a zero-padded nanosecond count, so name order is age order); the files
 * hold the bodies.  Names of new messages are made strictly increasing even
 * if the clock steps back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "spool.h"

#define SPOOL_NAME_LEN (20 + 1 + SPOOL_ID_LEN + 5)   /* ns-id.json */
#define SPOOL_BODY_MAX (1u << 20)

struct spool {
	char *dir;
	int dfd;
	char (*names)[SPOOL_NAME_LEN + 1];
	size_t n, cap, head;   /* pending are names[head..n) */
	uint64_t last_ns;
};

static int fail(char *err, size_t errlen, int r, const char *what, const char *path)
{
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(-r));
	return r;
}

/* mkdir -p path with mode 0700 for what it creates; the leaf is chmod 0700 */
static int mkdirs(const char *path)
{
	int r = am_mkdirs(path, 0700, 0700);

	return r ? r : chmod(path, 0700) ? -errno : 0;
}

static bool is_message(const char *name)
{
	size_t n = strlen(name);

	return n == SPOOL_NAME_LEN && name[20] == '-' && !strcmp(name + n - 5, ".json");
}

static int add_name(struct spool *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->names, cap * sizeof(*s->names));

		if (!p)
			return -ENOMEM;
		s->names = p;
		s->cap = cap;
	}
	memcpy(s->names[s->n++], name, SPOOL_NAME_LEN + 1);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* read the directory: messages into names (sorted), temporaries removed */
static int scan(struct spool *s)
{
	int fd = dup(s->dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!r && (e = readdir(d))) {
		if (!strncmp(e->d_name, ".tmp-", 5))
			unlinkat(s->dfd, e->d_name, 0);
		else if (is_message(e->d_name))
			r = add_name(s, e->d_name);
	}
	closedir(d);
	if (s->n)
		qsort(s->names, s->n, sizeof(*s->names), name_cmp);
	if (s->n)
		s->last_ns = strtoull(s->names[s->n - 1], NULL, 10);
	return r;
}

int spool_open(const char *dir, const char *sub, struct spool **out, char *err, size_t errlen)
{
	struct spool *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s || asprintf(&s->dir, "%s/%s", dir, sub) < 0) {
		free(s);
		return fail(err, errlen, -ENOMEM, "spool", dir);
	}
	s->dfd = -1;
	if ((r = mkdirs(s->dir))) {
		fail(err, errlen, r, "cannot create spool directory", s->dir);
		goto out;
	}
	s->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		r = fail(err, errlen, -errno, "cannot open spool directory", s->dir);
		goto out;
	}
	if ((r = scan(s)))
		fail(err, errlen, r, "cannot read spool directory", s->dir);
out:
	if (r)
		spool_free(s);
	else
		*out = s;
	return r;
}

void spool_free(struct spool *s)
{
	if (!s)
		return;
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->names);
	free(s->dir);
	free(s);
}

/* write all of buf to fd; -errno */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* a new name, later than every earlier one */
static void new_name(struct spool *s, const char *id, char *name)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (ns <= s->last_ns)
		ns = s->last_ns + 1;
	s->last_ns = ns;
	snprintf(name, SPOOL_NAME_LEN + 1, "%020llu-%.32s.json", (unsigned long long)ns, id);
}

int spool_put(struct spool *s, const char *id, const void *body, size_t len)
{
	char name[SPOOL_NAME_LEN + 1], tmp[SPOOL_NAME_LEN + 8];
	int fd, r;

	if (strlen(id) != SPOOL_ID_LEN)
		return -EINVAL;
	new_name(s, id, name);
	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	fd = openat(s->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, body, len);
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && renameat(s->dfd, tmp, s->dfd, name))
		r = -errno;
	if (r) {
		unlinkat(s->dfd, tmp, 0);
		return r;
	}
	fsync(s->dfd);
	return add_name(s, name);
}

/* the body of name into a new buffer; -errno */
static int read_body(struct spool *s, const char *name, char **body, size_t *len)
{
	int fd = openat(s->dfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size > SPOOL_BODY_MAX || !(*body = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -EIO;
	}
	n = read(fd, *body, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*body);
		return -EIO;
	}
	(*body)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int spool_peek(struct spool *s, char **body, size_t *len, char id[SPOOL_ID_LEN + 1])
{
	while (s->head < s->n) {
		const char *name = s->names[s->head];

		if (!read_body(s, name, body, len)) {
			memcpy(id, name + 21, SPOOL_ID_LEN);
			id[SPOOL_ID_LEN] = '\0';
			return 0;
		}
		spool_reject(s);
	}
	return -ENOENT;
}

/* forget the oldest name; compact the array once half of it is gone */
static void pop(struct spool *s)
{
	if (++s->head == s->n) {
		s->head = s->n = 0;
	} else if (s->head > s->cap / 2) {
		memmove(s->names, s->names + s->head, (s->n - s->head) * sizeof(*s->names));
		s->n -= s->head;
		s->head = 0;
	}
}

int spool_done(struct spool *s)
{
	int r = 0;

	if (s->head >= s->n)
		return -ENOENT;
	if (unlinkat(s->dfd, s->names[s->head], 0) && errno != ENOENT)
		r = -errno;
	pop(s);
	return r;
}

int spool_reject(struct spool *s)
{
	char to[SPOOL_NAME_LEN + 16];
	int r = 0;

	if (s->head >= s->n)
		return -ENOENT;
	snprintf(to, sizeof(to), "%s.rejected", s->names[s->head]);
	if (renameat(s->dfd, s->names[s->head], s->dfd, to) && errno != ENOENT)
		r = -errno;
	pop(s);
	return r;
}

size_t spool_count(const struct spool *s)
{
	return s->n - s->head;
}

const char *spool_path(const struct spool *s)
{
	return s->dir;
}
