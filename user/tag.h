/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tag.h - deciding which processes are agents, outside the kernel's own
 * exec-time rule: the /proc scan at start, `agentmon launch` requests,
 * candidate execs (interpreters, path patterns), and the descendants a
 * process forked before userspace tagged it.  The kernel side is reached
 * through the tag callbacks (the loader live; nothing in a replay).  A tag
 * carries its process's start time, checked against procfs before and after
 * it is written, so that a pid that died (or was reused) is never left tagged.
 */
#ifndef AGENTMON_TAG_H
#define AGENTMON_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agents.h"
#include "proc_cache.h"

/* one tag as the kernel holds it (struct am_tag and its key) */
struct tag_entry {
	uint32_t tgid, agent_pid, agent_id;
	uint64_t start_ns;           /* the process's start, boot ns (see tagger_start_ns) */
};

/* write one tag to the kernel: 0 or -errno */
typedef int (*tag_write_fn)(void *arg, const struct tag_entry *t);
/* remove the kernel's tag of t->tgid when it still has t->start_ns: 0 or -errno */
typedef int (*tag_unwrite_fn)(void *arg, const struct tag_entry *t);
/* whether the kernel holds a tag for tgid now */
typedef bool (*tag_held_fn)(void *arg, uint32_t tgid);
/* the kernel's tag of tgid into out: 0, or -ENOENT when untagged */
typedef int (*tag_lookup_fn)(void *arg, uint32_t tgid, struct tag_entry *out);
/* t was tagged by the /proc scan: its past was not watched */
typedef void (*tag_unwatched_fn)(void *arg, const struct tag_entry *t);

struct tagger {
	struct proc_cache *cache;
	const struct agents *agents;
	const char *procfs;          /* "/proc"; NULL in a replay: the host is not read */
	uint32_t self_pid;           /* the collector: never tagged */
	tag_write_fn write;          /* NULL: cache only (a replay: nothing is checked) */
	void *write_arg;             /* the argument of every callback */
	tag_unwrite_fn unwrite;      /* NULL: a tag written for a pid that died stays */
	tag_held_fn held;            /* NULL: the scan tags every agent it finds */
	tag_lookup_fn lookup;        /* NULL: launch cannot see another agent's tag */
	tag_unwatched_fn unwatched;  /* NULL: not told */
	bool scanning;               /* in tagger_scan: skip held tags, report the rest */
};

/*
 * tagger_tag_tree - tag root and every descendant alive in /proc with
 * (agent_pid, agent_id), in the kernel and the cache.  Returns how many
 * processes were tagged, or -errno when the kernel refused the first one.
 */
int tagger_tag_tree(struct tagger *t, uint32_t root, uint32_t agent_pid, uint32_t agent_id);

/* tagger_scan - find running agents in /proc and tag them with their trees;
 * processes the kernel already tags (held) are left as they are; every
 * process it tags is reported to unwatched.  Returns the number of agent
 * roots found, or -errno when procfs cannot be listed */
int tagger_scan(struct tagger *t);

/*
 * tagger_adopt_children - tag every untagged process (held() false) with
 * the tag of its nearest ancestor that is tagged (held() true and found by
 * find): children forked while no collector watched (a restart).  Each is
 * reported to unwatched.  Returns how many were tagged, or -errno.
 */
int tagger_adopt_children(struct tagger *t,
			  bool (*find)(void *arg, uint32_t tgid, struct tag_entry *out), void *arg);

/*
 * tagger_start_ns - pid's start time from procfs ("/proc/PID/stat" field
 * 22, clock ticks) in boot ns, as the kernel's tags carry it.  0, -ENOENT
 * when the process is gone, or another -errno when /proc could not be read.
 */
int tagger_start_ns(const char *procfs, uint32_t pid, uint64_t *start_ns);

/*
 * tagger_stale - whether t names a process that no longer runs: its pid is
 * gone, or runs a process started at another time (the pid was reused).
 * An entry without a start time (0) is stale only when its pid is gone.  A
 * /proc that cannot be read (the collector out of fds) proves nothing: not
 * stale (a sweep then untagged live agents, whose exits vanished).
 */
bool tagger_stale(const char *procfs, const struct tag_entry *t);

/*
 * tagger_sweep - untag (unwrite) and forget (cache) every entry of v that
 * is stale; returns how many were.
 */
int tagger_sweep(struct tagger *t, const struct tag_entry *v, size_t n);

/*
 * tagger_match_exec - the agent a candidate exec of pid belongs to: its
 * filename as given (symlinks unresolved), else pid's executable as the
 * kernel resolved it (/proc/PID/exe), with the exec's argv (agents.h).
 * AM_AGENT_NONE when neither matches or pid is gone.
 */
uint32_t tagger_match_exec(struct tagger *t, uint32_t pid, const char *filename,
			   const char *argv, size_t argv_len, uint32_t argc);

/* tagger_read_cmdline - /proc/PID/cmdline into buf: argc strings back to back;
 * returns the byte count (0 when gone) and sets *argc */
size_t tagger_read_cmdline(const char *procfs, uint32_t pid, char *buf, size_t len,
			   uint32_t *argc);

#endif
