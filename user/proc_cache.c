// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * proc_cache.c - pid -> struct proc_info (see proc_cache.h).
 *
 * A chained hash table whose bucket array doubles when the table holds more
 * entries than buckets.  The table owns every entry and its strings; pointers
 * returned by get/upsert stay valid until the entry is removed or the cache
 * freed (entries are separately allocated, growth only relinks them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_cache.h"

#define PC_MIN_BUCKETS 256
#define PC_LINK_MAX    (64u << 10) /* longest symlink target read */

struct pc_node {
	struct pc_node *next;
	struct proc_info info;
};

struct proc_cache {
	struct pc_node **b;
	size_t nb;     /* buckets, a power of 2 */
	size_t count;
	void (*on_load)(const struct proc_info *p, void *arg);
	void *on_load_arg;
};

void proc_cache_on_load(struct proc_cache *c,
			void (*fn)(const struct proc_info *p, void *arg), void *arg)
{
	c->on_load = fn;
	c->on_load_arg = arg;
}

static size_t slot(const struct proc_cache *c, uint32_t pid)
{
	return (size_t)((pid * 2654435761u) & (c->nb - 1));
}

struct proc_cache *proc_cache_new(void)
{
	struct proc_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nb = PC_MIN_BUCKETS;
	c->b = calloc(c->nb, sizeof(*c->b));
	if (!c->b) {
		free(c);
		return NULL;
	}
	return c;
}

static void node_free(struct pc_node *n)
{
	free(n->info.exe);
	free(n->info.cwd);
	free(n);
}

void proc_cache_free(struct proc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nb; i++) {
		struct pc_node *n = c->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			node_free(n);
		}
	}
	free(c->b);
	free(c);
}

struct proc_info *proc_cache_get(struct proc_cache *c, uint32_t pid)
{
	for (struct pc_node *n = c->b[slot(c, pid)]; n; n = n->next)
		if (n->info.pid == pid)
			return &n->info;
	return NULL;
}

/* double the buckets; on ENOMEM the table stays as it was (just slower) */
static void grow(struct proc_cache *c)
{
	size_t old_nb = c->nb;
	struct pc_node **old = c->b, **nbk = calloc(old_nb * 2, sizeof(*nbk));

	if (!nbk)
		return;
	c->b = nbk;
	c->nb = old_nb * 2;
	for (size_t i = 0; i < old_nb; i++) {
		struct pc_node *n = old[i], *next;

		for (; n; n = next) {
			size_t s = slot(c, n->info.pid);

			next = n->next;
			n->next = c->b[s];
			c->b[s] = n;
		}
	}
	free(old);
}

struct proc_info *proc_cache_upsert(struct proc_cache *c, uint32_t pid)
{
	struct proc_info *p = proc_cache_get(c, pid);
	struct pc_node *n;
	size_t s;

	if (p)
		return p;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->info.pid = pid;
	n->info.agent_id = AM_AGENT_NONE;
	if (c->count >= c->nb)
		grow(c);
	s = slot(c, pid);
	n->next = c->b[s];
	c->b[s] = n;
	c->count++;
	return &n->info;
}

void proc_cache_remove(struct proc_cache *c, uint32_t pid)
{
	struct pc_node **pp = &c->b[slot(c, pid)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->info.pid == pid) {
			struct pc_node *n = *pp;

			*pp = n->next;
			node_free(n);
			c->count--;
			return;
		}
	}
}

size_t proc_cache_count(const struct proc_cache *c)
{
	return c->count;
}

int proc_info_set(char **field, const char *s)
{
	char *copy = NULL;

	if (s && *field && strcmp(*field, s) == 0)
		return 0;
	if (s && !(copy = strdup(s)))
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int proc_cache_each(struct proc_cache *c, int (*cb)(struct proc_info *p, void *arg), void *arg)
{
	for (size_t i = 0; i < c->nb; i++) {
		struct pc_node *n = c->b[i], *next;

		for (; n; n = next) {
			int r;

			next = n->next; /* cb may remove its own entry */
			r = cb(&n->info, arg);
			if (r)
				return r;
		}
	}
	return 0;
}

/* ---- procfs ---- */

/* read procfs_root/pid/name into buf (NUL-terminated); bytes read or -errno */
static ssize_t read_file(const char *root, uint32_t pid, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	if (r < 0)
		r = -errno;
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return r;
}

/* readlink procfs_root/pid/name into a new string; NULL when unreadable */
static char *read_link(const char *root, uint32_t pid, const char *name)
{
	char path[PATH_MAX], *buf = NULL, *p;
	size_t size = 256;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	for (; size <= PC_LINK_MAX; size *= 2) {
		p = realloc(buf, size);
		if (!p)
			break;
		buf = p;
		r = readlink(path, buf, size);
		if (r < 0)
			break;
		if ((size_t)r < size) {
			buf[r] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

struct stat_fields {
	uint32_t ppid;
	uint64_t start_time;
	char comm[AM_COMM_LEN + 1];
};

/*
 * parse /proc/PID/stat: "pid (comm) S ppid ... starttime(22) ...".  comm
 * may hold spaces and ')', so the fields start after the last ')'.
 */
static int parse_stat(const char *s, struct stat_fields *f)
{
	const char *open = strchr(s, '('), *close = strrchr(s, ')');
	unsigned long long v;
	size_t n;
	int field;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > AM_COMM_LEN)
		n = AM_COMM_LEN;
	memcpy(f->comm, open + 1, n);
	f->comm[n] = '\0';
	s = close + 1;
	/* fields 3 (state) .. 22 (starttime), each after a space */
	for (field = 3; field <= 22; field++) {
		if (*s != ' ')
			return -EINVAL;
		s++;
		if (field == 4 && sscanf(s, "%u", &f->ppid) != 1)
			return -EINVAL;
		if (field == 22) {
			if (sscanf(s, "%llu", &v) != 1)
				return -EINVAL;
			f->start_time = v;
		}
		s += strcspn(s, " ");
	}
	return 0;
}

int proc_stat_read(const char *procfs_root, uint32_t pid, uint32_t *ppid, uint64_t *start_time)
{
	struct stat_fields sf = { 0 };
	char buf[1024];
	ssize_t r;

	if (!procfs_root)
		return -ENOENT;
	r = read_file(procfs_root, pid, "stat", buf, sizeof(buf));
	if (r < 0 && r != -ENOENT && r != -ESRCH)
		return (int)r; /* not read (EMFILE...): nothing known of the process */
	if (r <= 0 || parse_stat(buf, &sf))
		return -ENOENT; /* gone, or empty or cut: exiting */
	if (ppid)
		*ppid = sf.ppid;
	if (start_time)
		*start_time = sf.start_time;
	return 0;
}

/* the real uid from the "Uid:" line of /proc/PID/status */
static int parse_uid(const char *s, uint32_t *uid)
{
	const char *u = strstr(s, "\nUid:");

	if (!u && strncmp(s, "Uid:", 4) == 0)
		u = s - 1;
	if (!u || sscanf(u + 5, "%u", uid) != 1)
		return -EINVAL;
	return 0;
}

static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, AM_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void load_comm(const char *root, uint32_t pid, struct proc_info *p, const char *fallback)
{
	char buf[64];
	ssize_t r = read_file(root, pid, "comm", buf, sizeof(buf));

	if (r > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		copy_comm(p->comm, buf);
	} else {
		copy_comm(p->comm, fallback);
	}
}

/* replace *field with a new string unless it is NULL (unreadable link) */
static void take_link(char **field, char *s)
{
	if (!s)
		return;
	free(*field);
	*field = s;
}

int proc_cache_load(struct proc_cache *c, const char *procfs_root, uint32_t pid)
{
	char buf[4096];
	struct stat_fields sf = { 0 };
	struct proc_info *p;
	uint32_t uid;
	ssize_t r;

	if (!procfs_root)
		return -ENOENT; /* a replay: nothing of the host is read */
	r = read_file(procfs_root, pid, "stat", buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT || r == -ESRCH ? -ENOENT : (int)r;
	if (parse_stat(buf, &sf))
		return -ENOENT; /* empty or cut: the process is exiting */
	p = proc_cache_upsert(c, pid);
	if (!p)
		return -ENOMEM;
	p->ppid = sf.ppid;
	p->start_time = sf.start_time;
	if (read_file(procfs_root, pid, "status", buf, sizeof(buf)) > 0 && !parse_uid(buf, &uid))
		p->uid = uid;
	load_comm(procfs_root, pid, p, sf.comm);
	take_link(&p->exe, read_link(procfs_root, pid, "exe"));
	take_link(&p->cwd, read_link(procfs_root, pid, "cwd"));
	if (c->on_load)
		c->on_load(p, c->on_load_arg);
	return 0;
}
