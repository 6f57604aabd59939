/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * proc_cache.h - what the collector knows of each process it has seen:
 * pid -> exe, comm, ppid, uid, cwd, agent.  Filled from events and, for
 * processes that predate the collector, from /proc.  Owns its strings.
 */
#ifndef AGENTMON_PROC_CACHE_H
#define AGENTMON_PROC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"

struct proc_info {
	uint32_t pid, ppid, uid;
	uint32_t agent_pid;       /* 0 when untagged */
	uint32_t agent_id;        /* AM_AGENT_NONE when untagged */
	char comm[AM_COMM_LEN + 1];
	char *exe;                /* NULL when unknown */
	char *cwd;                /* NULL when unknown */
	uint64_t start_time;      /* /proc/PID/stat starttime (clock ticks), 0 unknown */
};

struct proc_cache;

struct proc_cache *proc_cache_new(void);
void proc_cache_free(struct proc_cache *c);

/* the entry for pid, or NULL */
struct proc_info *proc_cache_get(struct proc_cache *c, uint32_t pid);
/* the entry for pid, created empty (agent_id AM_AGENT_NONE) when missing;
 * NULL on ENOMEM */
struct proc_info *proc_cache_upsert(struct proc_cache *c, uint32_t pid);
void proc_cache_remove(struct proc_cache *c, uint32_t pid);
size_t proc_cache_count(const struct proc_cache *c);

/* replace a string field (exe, cwd) with a copy of s (NULL clears); -ENOMEM */
int proc_info_set(char **field, const char *s);

/*
 * proc_cache_load - read pid's ppid, uid, comm, exe, cwd, start time from
 * procfs_root ("/proc", or a fake tree in tests) into its entry (created if
 * missing).  Returns 0, or -ENOENT when the process is gone or procfs_root
 * is NULL.
 */
int proc_cache_load(struct proc_cache *c, const char *procfs_root, uint32_t pid);
/*
 * proc_stat_read - pid's ppid and start time (clock ticks since boot, field
 * 22) from procfs_root/PID/stat; either pointer may be NULL.  0, -ENOENT
 * when the process is gone (or exiting: the file is empty or cut), or the
 * -errno of a read that failed otherwise (EMFILE...: the process may live).
 */
int proc_stat_read(const char *procfs_root, uint32_t pid, uint32_t *ppid, uint64_t *start_time);
/* call fn with each entry proc_cache_load filled (the recorder keeps what a
 * replay cannot read from /proc); NULL fn: none */
void proc_cache_on_load(struct proc_cache *c,
			void (*fn)(const struct proc_info *p, void *arg), void *arg);

/* call cb for every entry; stop early when cb returns non-zero */
int proc_cache_each(struct proc_cache *c, int (*cb)(struct proc_info *p, void *arg), void *arg);

#endif
