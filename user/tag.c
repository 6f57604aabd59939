// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tag.c - userspace tagging: /proc scan, process trees, launch. */
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
		char path[PATH_MAX], buf[512], *p;
		uint32_t pid = (uint32_t)strtoul(de->d_name, &p, 10);
		int fd;
		ssize_t r;

		if (*p || !pid)
			continue;
		snprintf(path, sizeof(path), "%s/%u/stat", procfs, pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		p = strrchr(buf, ')');
		if (!p)
			continue;
		if (*n == cap) {
			struct pid_pair *nv = realloc(v, (cap = cap ? cap * 2 : 512) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[*n].pid = pid;
		v[*n].ppid = (uint32_t)strtoul(p + 4, NULL, 10); /* ") S PPID" */
		(*n)++;
	}
	closedir(d);
	return v;
}

static int tag_one(struct tagger *t, uint32_t pid, uint32_t agent_pid, uint32_t agent_id)
{
	struct proc_info *pi;
	int ret;

	if (pid == t->self_pid)
		return 0;
	if (t->write && (ret = t->write(t->write_arg, pid, agent_pid, agent_id)))
		return ret;
	pi = proc_cache_upsert(t->cache, pid);
	if (pi) {
		pi->agent_pid = agent_pid;
		pi->agent_id = agent_id;
	}
	proc_cache_load(t->cache, t->procfs, pid); /* observers see it tagged */
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

/* the agent pid runs as, judged by its executable and command line */
static uint32_t match_proc(struct tagger *t, uint32_t pid)
{
	char path[PATH_MAX], exe[PATH_MAX], cmd[4096];
	uint32_t argc, id;
	size_t len;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/%u/exe", t->procfs, pid);
	r = readlink(path, exe, sizeof(exe) - 1);
	if (r <= 0)
		return AM_AGENT_NONE; /* kernel thread or gone */
	exe[r] = '\0';
	len = tagger_read_cmdline(t->procfs, pid, cmd, sizeof(cmd), &argc);
	id = agents_match_exec(t->agents, exe, cmd, len, argc);
	if (id == AM_AGENT_NONE && len)
		id = agents_match_exec(t->agents, cmd, cmd, len, argc); /* argv[0] */
	return id;
}

static bool has_matched_ancestor(const struct pid_pair *v, const uint32_t *ids, size_t n, size_t i)
{
	for (int depth = 0; depth < 64; depth++) {
		uint32_t ppid = v[i].ppid;
		size_t j;

		for (j = 0; j < n && v[j].pid != ppid; j++)
			;
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
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == AM_AGENT_NONE || has_matched_ancestor(v, ids, n, i))
			continue;
		tagger_tag_tree(t, v[i].pid, v[i].pid, ids[i]);
		roots++;
	}
	free(ids);
	free(v);
	return roots;
}
