/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tag.h - deciding which processes are agents, outside the kernel's own
 * exec-time rule: the /proc scan at start, `agentmon launch` requests,
 * candidate execs (interpreters, path patterns), and the descendants a
 * process forked before userspace tagged it.  The kernel side is reached
 * through the tag callback (the loader live; nothing in a replay).
 */
#ifndef AGENTMON_TAG_H
#define AGENTMON_TAG_H

#include <stdint.h>

#include "agents.h"
#include "proc_cache.h"

/* write one tag to the kernel: 0 or -errno */
typedef int (*tag_write_fn)(void *arg, uint32_t tgid, uint32_t agent_pid, uint32_t agent_id);

struct tagger {
	struct proc_cache *cache;
	const struct agents *agents;
	const char *procfs;          /* "/proc"; NULL in a replay: the host is not read */
	uint32_t self_pid;           /* the collector: never tagged */
	tag_write_fn write;          /* NULL: cache only */
	void *write_arg;
};

/*
 * tagger_tag_tree - tag root and every descendant alive in /proc with
 * (agent_pid, agent_id), in the kernel and the cache.  Returns how many
 * processes were tagged, or -errno when the kernel refused the first one.
 */
int tagger_tag_tree(struct tagger *t, uint32_t root, uint32_t agent_pid, uint32_t agent_id);

/* tagger_scan - find running agents in /proc and tag them with their trees;
 * returns the number of agent roots found */
int tagger_scan(struct tagger *t);

/* tagger_read_cmdline - /proc/PID/cmdline into buf: argc strings back to back;
 * returns the byte count (0 when gone) and sets *argc */
size_t tagger_read_cmdline(const char *procfs, uint32_t pid, char *buf, size_t len,
			   uint32_t *argc);

#endif
