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

#define SPOOL_BODY_MAX (1u << 20)

struct spool {
	char *dir;
	int dfd;
	char (*names)[SPOOL_NAME_LEN + 1];
	size_t n, cap;         /* the messages found by spool_open, oldest first */
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

int spool_stage(struct spool *s, const char *id, const void *body, size_t len,
		char name[SPOOL_NAME_LEN + 1])
{
	char tmp[SPOOL_NAME_LEN + 8];
	int fd, r;

	if (strlen(id) != SPOOL_ID_LEN)
		return -EINVAL;
	new_name(s, id, name);
	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	fd = openat(s->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, body, len);
	if (close(fd) && !r)
		r = -errno;
	if (r)
		unlinkat(s->dfd, tmp, 0);
	return r;
}

int spool_commit(struct spool *s, char (*names)[SPOOL_NAME_LEN + 1], size_t n)
{
	char tmp[SPOOL_NAME_LEN + 8];
	int r = 0;

	if (n && syncfs(s->dfd))
		r = -errno;
	for (size_t i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), ".tmp-%s", names[i]);
		if (r || renameat(s->dfd, tmp, s->dfd, names[i])) {
			r = r ? r : -errno;
			unlinkat(s->dfd, tmp, 0);
			names[i][0] = '\0';
		}
	}
	if (n && fsync(s->dfd) && !r)
		r = -errno;
	return r;
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

const char *spool_found(const struct spool *s, size_t i)
{
	return i < s->n ? s->names[i] : NULL;
}

void spool_forget_found(struct spool *s)
{
	free(s->names);
	s->names = NULL;
	s->n = s->cap = 0;
}

/* name is one of ours: a message name, no path */
static bool ours(const char *name)
{
	return is_message(name) && !strchr(name, '/');
}

int spool_read(struct spool *s, const char *name, char **body, size_t *len)
{
	return ours(name) ? read_body(s, name, body, len) : -EINVAL;
}

int spool_remove(struct spool *s, const char *name)
{
	if (!ours(name))
		return -EINVAL;
	return unlinkat(s->dfd, name, 0) && errno != ENOENT ? -errno : 0;
}

int spool_set_aside(struct spool *s, const char *name)
{
	char to[SPOOL_NAME_LEN + 16];

	if (!ours(name))
		return -EINVAL;
	snprintf(to, sizeof(to), "%s.rejected", name);
	return renameat(s->dfd, name, s->dfd, to) && errno != ENOENT ? -errno : 0;
}

void spool_id(const char *name, char id[SPOOL_ID_LEN + 1])
{
	memcpy(id, name + 21, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
}

const char *spool_path(const struct spool *s)
{
	return s->dir;
}
