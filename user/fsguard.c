// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fsguard.c - files an agent names, opened without asking a FUSE file
 * system it serves anything (see fsguard.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"
#include "fsguard.h"

#define FSGUARD_LINKS  40            /* symbolic links followed at most (as the kernel) */
#define FSGUARD_TEXT   (4u << 20)    /* a mount table longer is read this far */
#define PROC_MAGIC     0x9fa0

void fsguard_init(struct fsguard *g, const char *mountinfo)
{
	*g = (struct fsguard){ .poll_fd = -1,
		.mountinfo = mountinfo ? mountinfo : "/proc/self/mountinfo" };
}

void fsguard_close(struct fsguard *g)
{
	if (g->poll_fd >= 0)
		close(g->poll_fd);
	free(g->mnts);
	g->mnts = NULL;
	g->n = g->cap = 0;
	g->poll_fd = -1;
	g->loaded = false;
}

/* the whole of file path (NUL-terminated, FSGUARD_TEXT at most), or NULL */
static char *slurp(const char *path)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 1;

	while (buf && fd >= 0 && r > 0 && n + 1 < FSGUARD_TEXT) {
		if (n + 1 == cap) {
			char *p = realloc(buf, cap * 2);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		n += r > 0 ? (size_t)r : 0;
	}
	if (fd >= 0)
		close(fd);
	if (!buf || fd < 0 || r < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* one mountinfo line: its mount id, device and whether it is FUSE; false
 * when it is not one ("ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...]
 * - TYPE SOURCE SUPEROPTS") */
static bool parse_line(const char *line, struct fsguard_mnt *m)
{
	unsigned long long id;
	unsigned int maj, min;
	const char *sep = strstr(line, " - "), *end = strchr(line, '\n');
	size_t n;

	if (!sep || (end && sep > end) || sscanf(line, "%llu %*u %u:%u", &id, &maj, &min) != 3)
		return false;
	sep += 3;
	n = strcspn(sep, " \n");
	m->id = id;
	m->dev = makedev(maj, min);
	m->fuse = (n == 4 && !strncmp(sep, "fuse", 4)) || (n == 7 && !strncmp(sep, "fuseblk", 7)) ||
		  (n > 5 && !strncmp(sep, "fuse.", 5));
	return true;
}

/* the line of mount id in mountinfo's text into *m: 0, or -ENOENT */
static int find_mnt(const char *text, uint64_t id, struct fsguard_mnt *m)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (parse_line(p, m) && m->id == id)
			return 0;
	return -ENOENT;
}

int fsguard_mnt_type(const char *text, uint64_t id)
{
	struct fsguard_mnt m;

	return find_mnt(text, id, &m) ? -ENOENT : m.fuse;
}

int fsguard_mnt_find(const char *mountinfo, uint64_t id, struct fsguard_mnt *m)
{
	char *text = slurp(mountinfo);
	int rc = text ? find_mnt(text, id, m) : -EIO;

	free(text);
	return rc;
}

/* the collector's mount table read into g->mnts; 0 or -errno */
static int load(struct fsguard *g)
{
	char *text = slurp(g->mountinfo);
	size_t n = 0;

	g->loaded = false;
	if (!text)
		return -EIO;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct fsguard_mnt m;

		if (!parse_line(p, &m))
			continue;
		if (n == g->cap) {
			size_t cap = g->cap ? 2 * g->cap : 64;
			struct fsguard_mnt *q = realloc(g->mnts, cap * sizeof(*q));

			if (!q)
				break;
			g->mnts = q;
			g->cap = cap;
		}
		g->mnts[n++] = m;
	}
	free(text);
	g->n = n;
	g->loaded = true;
	return 0;
}

/* the table read again when it changed (mountinfo polls POLLPRI) or was
 * never read; whether it was */
static bool refresh(struct fsguard *g)
{
	struct pollfd p = { .events = POLLPRI };

	if (g->poll_fd < 0)
		g->poll_fd = open(g->mountinfo, O_RDONLY | O_CLOEXEC);
	p.fd = g->poll_fd;
	if (g->loaded && g->poll_fd >= 0 &&
	    (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLPRI | POLLERR))))
		return false;
	load(g);
	return true;
}

/* whether fd is on a mount the walk may ask: 0, or -EREMOTE (FUSE, or a
 * mount neither the collector's table nor pid's lists) */
static int check(struct fsguard *g, int fd, uint32_t pid)
{
	uint64_t id;
	int rc = am_fd_mnt_id(fd, &id);

	if (rc)
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < g->n; i++)
			if (g->mnts[i].id == id)
				return g->mnts[i].fuse ? -EREMOTE : 0;
		if (!pass && !refresh(g)) /* mounted since the last look? */
			break;
	}
	if (pid) { /* another mount namespace's */
		char path[64];
		struct fsguard_mnt m;

		snprintf(path, sizeof(path), "/proc/%u/mountinfo", pid);
		if (!fsguard_mnt_find(path, id, &m) && !m.fuse)
			return 0;
	}
	return -EREMOTE;
}

/* the target of symbolic link lfd spliced before rest into buf (len);
 * absolute: *fd reopened at "/".  0 or -errno */
static int splice_link(int lfd, int *fd, char *buf, size_t len, const char *rest)
{
	char tgt[PATH_MAX], tail[PATH_MAX];
	ssize_t n = readlinkat(lfd, "", tgt, sizeof(tgt) - 1);

	if (n <= 0)
		return n ? -errno : -ENOENT;
	tgt[n] = '\0';
	if (snprintf(tail, sizeof(tail), "%s", rest) >= (int)sizeof(tail) ||
	    snprintf(buf, len, "%s/%s", tgt, tail) >= (int)len)
		return -ENAMETOOLONG;
	if (tgt[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (root < 0)
			return -errno;
		close(*fd);
		*fd = root;
	}
	return 0;
}

/* whether fd (checked) is on procfs */
static bool on_proc(int fd)
{
	struct statfs s;

	return !fstatfs(fd, &s) && s.f_type == PROC_MAGIC;
}

/* name in directory *fd (checked), O_PATH: into *fd (checked), or a
 * symbolic link's target spliced into buf (1); 0, 1 or -errno */
static int step(struct fsguard *g, int *fd, const char *name, char *buf, size_t len,
		const char *rest, uint32_t pid)
{
	int nfd = openat(*fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc;
	struct stat st;

	if (nfd < 0)
		return -errno;
	if (!(rc = check(g, nfd, pid)) && fstat(nfd, &st))
		rc = -errno;
	if (!rc && S_ISLNK(st.st_mode) && on_proc(*fd)) { /* the kernel jumps */
		close(nfd);
		if ((nfd = openat(*fd, name, O_PATH | O_CLOEXEC)) < 0)
			return -errno;
		rc = check(g, nfd, pid);
	} else if (!rc && S_ISLNK(st.st_mode)) {
		rc = splice_link(nfd, fd, buf, len, rest);
		close(nfd);
		return rc ? rc : 1;
	}
	if (rc) {
		close(nfd);
		return rc;
	}
	close(*fd);
	*fd = nfd;
	return 0;
}

/* path is /proc/N/exe or /proc/N/map_files/LO-HI: procfs to its last
 * component, a magic link the kernel jumps through (no lookup after) */
static bool proc_link(const char *path)
{
	size_t n = strspn(path + 6, "0123456789");
	const char *p = path + 6 + n;

	if (strncmp(path, "/proc/", 6) || !n)
		return false;
	if (!strcmp(p, "/exe"))
		return true;
	if (strncmp(p, "/map_files/", 11))
		return false;
	p += 11;
	n = strspn(p, "0123456789abcdef-");
	return n && !p[n];
}

/* the walk of path (see fsguard_open), the descriptor into *out; 0 or -errno */
static int walk(struct fsguard *g, const char *path, uint32_t pid, int *out)
{
	char buf[2 * PATH_MAX], name[NAME_MAX + 1];
	const char *p = buf;
	int fd, rc = 0, links = 0;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = check(g, fd, pid);
	while (!rc) {
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		rc = step(g, &fd, name, buf, sizeof(buf), p, pid);
		if (rc == 1) { /* buf holds the link's target and the rest now */
			p = buf;
			rc = ++links > FSGUARD_LINKS ? -ELOOP : 0;
		}
	}
	if (rc)
		close(fd);
	else
		*out = fd;
	return rc;
}

int fsguard_open(struct fsguard *g, const char *path, uint32_t pid, int *out)
{
	int rc = 0;

	*out = -1;
	if (path[0] != '/')
		return -EINVAL;
	refresh(g);
	if (!proc_link(path)) {
		rc = walk(g, path, pid, out);
	} else if ((*out = open(path, O_PATH | O_CLOEXEC)) < 0) {
		rc = -errno;
	} else if ((rc = check(g, *out, pid))) {
		close(*out);
		*out = -1;
	}
	if (rc == -EREMOTE)
		g->refused++;
	return rc;
}

int fsguard_stat(const char *path, dev_t *dev, ino_t *ino)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &sx))
		return -errno;
	*dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	*ino = (ino_t)sx.stx_ino;
	return 0;
}
