// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tag.c - userspace tagging: /proc scan, trees, launch; start-time checks, stale sweep. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tag.h"

struct pid_pair {
	uint32_t pid, ppid;
};

/* every live pid with its ppid, from procfs; *n entries, NULL on ENOMEM */
static struct pid_pair *list_procs(const char *procfs, size_t *n)
{
	struct pid_pair *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d = procfs ? opendir(procfs) : NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char *p;
		uint32_t pid = (uint32_t)strtoul(de->d_name, &p, 10), ppid;

		if (*p || !pid || proc_stat_read(procfs, pid, &ppid, NULL))
			continue;
		if (*n == cap) {
			struct pid_pair *nv = realloc(v, (cap = cap ? cap * 2 : 512) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[*n].pid = pid;
		v[*n].ppid = ppid;
		(*n)++;
	}
	closedir(d);
	return v;
}

int tagger_start_ns(const char *procfs, uint32_t pid, uint64_t *start_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	int rc = proc_stat_read(procfs, pid, NULL, &ticks);

	if (rc)
		return rc;
	*start_ns = ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
	return 0;
}

bool tagger_stale(const char *procfs, const struct tag_entry *t)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100), now;
	int rc = tagger_start_ns(procfs, t->tgid, &now);

	if (rc)
		return rc == -ENOENT; /* gone; not read (EMFILE...): kept, fail closed */
	/* the kernel's start_ns has ns, /proc ticks: compare in ticks */
	return t->start_ns && t->start_ns / tick != now / tick;
}

/*
 * tag one process in the kernel and the cache.  With a kernel to write to,
 * the pid is checked alive before the write and after it: a process that
 * died in between (its exit hook ran before the tag existed) is untagged
 * again, so that the next process given its pid is not taken for it.
 * Returns 1 tagged, 0 skipped (the collector; held while scanning),
 * -ESRCH gone, or the write's -errno.
 */
static int tag_one(struct tagger *t, uint32_t pid, uint32_t agent_pid, uint32_t agent_id)
{
	struct tag_entry e = { .tgid = pid, .agent_pid = agent_pid, .agent_id = agent_id };
	struct proc_info *pi;
	int ret;

	if (pid == t->self_pid || (t->scanning && t->held && t->held(t->write_arg, pid)))
		return 0;
	if (t->write) {
		if (tagger_start_ns(t->procfs, pid, &e.start_ns))
			return -ESRCH;
		if ((ret = t->write(t->write_arg, &e)))
			return ret;
		if (tagger_stale(t->procfs, &e)) {
			if (t->unwrite)
				t->unwrite(t->write_arg, &e);
			return -ESRCH;
		}
	}
	pi = proc_cache_upsert(t->cache, pid);
	if (pi) {
		pi->agent_pid = agent_pid;
		pi->agent_id = agent_id;
	}
	proc_cache_load(t->cache, t->procfs, pid); /* observers see it tagged */
	if (t->scanning && t->unwatched)
		t->unwatched(t->write_arg, &e);
	return 1;
}

/* tag the descendants of root found in v; breadth first over ppid links */
static int tag_descendants(struct tagger *t, struct pid_pair *v, size_t n, uint32_t root,
			   uint32_t agent_pid, uint32_t agent_id)
{
	uint32_t *queue = malloc((n + 1) * sizeof(*queue));
	size_t head = 0, tail = 0;
	int count = 0;

	if (!queue)
		return -ENOMEM;
	queue[tail++] = root;
	while (head < tail) {
		uint32_t parent = queue[head++];

		for (size_t i = 0; i < n && tail <= n; i++) {
			if (v[i].ppid != parent || !v[i].pid)
				continue;
			if (tag_one(t, v[i].pid, agent_pid, agent_id) > 0)
				count++;
			queue[tail++] = v[i].pid;
			v[i].pid = 0; /* visited */
		}
	}
	free(queue);
	return count;
}

int tagger_tag_tree(struct tagger *t, uint32_t root, uint32_t agent_pid, uint32_t agent_id)
{
	struct pid_pair *v;
	size_t n;
	int ret = tag_one(t, root, agent_pid, agent_id);

	if (ret < 0)
		return ret;
	v = list_procs(t->procfs, &n);
	if (v) {
		int d = tag_descendants(t, v, n, root, agent_pid, agent_id);
		ret += d > 0 ? d : 0;
	}
	free(v);
	return ret;
}

size_t tagger_read_cmdline(const char *procfs, uint32_t pid, char *buf, size_t len,
			   uint32_t *argc)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t r;
	int fd;

	*argc = 0;
	snprintf(path, sizeof(path), "%s/%u/cmdline", procfs, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (got < len - 1 && (r = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (got && buf[got - 1] != '\0')
		buf[got++] = '\0'; /* cut or rewritten: end the last string */
	for (size_t i = 0; i < got; i++)
		*argc += buf[i] == '\0';
	return got;
}

/* pid's executable, resolved by the kernel (/proc/PID/exe: a readlink, no
 * file of the process is opened); false when gone, a kernel thread or
 * there is no procfs (a replay) */
static bool read_exe(const char *procfs, uint32_t pid, char *exe, size_t len)
{
	char path[PATH_MAX];
	ssize_t r;

	if (!procfs)
		return false;
	snprintf(path, sizeof(path), "%s/%u/exe", procfs, pid);
	r = readlink(path, exe, len - 1);
	if (r <= 0)
		return false;
	exe[r] = '\0';
	return true;
}

uint32_t tagger_match_exec(struct tagger *t, uint32_t pid, const char *filename,
			   const char *argv, size_t argv_len, uint32_t argc)
{
	char exe[PATH_MAX];
	uint32_t id = agents_match_exec(t->agents, filename, argv, argv_len, argc);

	if (id == AM_AGENT_NONE && read_exe(t->procfs, pid, exe, sizeof(exe)))
		id = agents_match_exec(t->agents, exe, argv, argv_len, argc);
	return id;
}

/* the agent pid runs as, judged by its executable and command line */
static uint32_t match_proc(struct tagger *t, uint32_t pid)
{
	char exe[PATH_MAX], cmd[4096];
	uint32_t argc, id;
	size_t len;

	if (!read_exe(t->procfs, pid, exe, sizeof(exe)))
		return AM_AGENT_NONE; /* kernel thread or gone */
	len = tagger_read_cmdline(t->procfs, pid, cmd, sizeof(cmd), &argc);
	id = agents_match_exec(t->agents, exe, cmd, len, argc);
	if (id == AM_AGENT_NONE && len)
		id = agents_match_exec(t->agents, cmd, cmd, len, argc); /* argv[0] */
	return id;
}

/* index of pid in v, or n */
static size_t find_pid(const struct pid_pair *v, size_t n, uint32_t pid)
{
	size_t j;

	for (j = 0; j < n && v[j].pid != pid; j++)
		;
	return j;
}

static bool has_matched_ancestor(const struct pid_pair *v, const uint32_t *ids, size_t n, size_t i)
{
	for (int depth = 0; depth < 64; depth++) {
		size_t j = find_pid(v, n, v[i].ppid);

		if (j == n)
			return false;
		if (ids[j] != AM_AGENT_NONE)
			return true;
		i = j;
	}
	return false;
}

int tagger_scan(struct tagger *t)
{
	size_t n;
	struct pid_pair *v = list_procs(t->procfs, &n);
	uint32_t *ids;
	int roots = 0;

	if (!v)
		return -errno ? -errno : -ENOMEM;
	ids = malloc(n * sizeof(*ids) + 1);
	if (!ids) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].pid == t->self_pid ? AM_AGENT_NONE : match_proc(t, v[i].pid);
	t->scanning = true;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == AM_AGENT_NONE || has_matched_ancestor(v, ids, n, i))
			continue;
		tagger_tag_tree(t, v[i].pid, v[i].pid, ids[i]);
		roots++;
	}
	t->scanning = false;
	free(ids);
	free(v);
	return roots;
}

int tagger_adopt_children(struct tagger *t,
			  bool (*find)(void *arg, uint32_t tgid, struct tag_entry *out), void *arg)
{
	size_t n;
	struct pid_pair *v = list_procs(t->procfs, &n);
	int count = 0;

	if (!v || !t->held) {
		free(v);
		return !t->held ? -EINVAL : -errno ? -errno : -ENOMEM;
	}
	t->scanning = true;
	for (size_t i = 0; i < n; i++) {
		struct tag_entry anc;
		size_t j = i;

		if (t->held(t->write_arg, v[i].pid))
			continue;
		for (int depth = 0; depth < 64; depth++) {
			j = find_pid(v, n, v[j].ppid);
			if (j == n)
				break;
			if (t->held(t->write_arg, v[j].pid) && find(arg, v[j].pid, &anc)) {
				count += tag_one(t, v[i].pid, anc.agent_pid, anc.agent_id) > 0;
				break;
			}
		}
	}
	t->scanning = false;
	free(v);
	return count;
}

int tagger_sweep(struct tagger *t, const struct tag_entry *v, size_t n)
{
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (!tagger_stale(t->procfs, &v[i]))
			continue;
		if (t->unwrite)
			t->unwrite(t->write_arg, &v[i]);
		proc_cache_remove(t->cache, v[i].tgid);
		count++;
	}
	return count;
}
