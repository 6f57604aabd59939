/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * enrich.h - the tag-and-enrich stage, between decode and the sinks:
 * fills what every event carries (ppid, comm, exe, agent name), keeps the
 * process cache current (fork, exec, exit), decides candidate execs, makes
 * file paths absolute, pairs a cgroup hook's connect/send (destination)
 * with its syscall exit (result), and converts boot time to wall time.
 * Live runs and replays use it alike.
 */
#ifndef AGENTMON_ENRICH_H
#define AGENTMON_ENRICH_H

#include <stdint.h>

#include "event.h"
#include "names.h"
#include "proc_cache.h"
#include "tag.h"

#define ENRICH_PENDING_MAX 256
#define ENRICH_PENDING_NS  (200ull * 1000 * 1000) /* PRE without RET: io_uring */

typedef void (*enrich_emit_fn)(void *arg, struct event *ev);

struct enrich_pending {
	uint64_t seen_ns;       /* boot ns of the PRE record; 0 = free slot */
	struct event ev;
};

struct enrich {
	struct tagger *tagger;
	struct proc_cache *cache;
	struct names *names;      /* address -> host; NULL: no names */
	int64_t boot_to_real_ns;  /* add to a boot-time ns to get wall time */
	enrich_emit_fn emit;
	void *emit_arg;
	struct enrich_pending pending[ENRICH_PENDING_MAX];
	char path[2][2 * AM_PATH_MAX + 2];
	char exe[2 * AM_PATH_MAX + 2];
	char argv[AM_ARGV_MAX + 64];  /* argv with secrets redacted */
};

/* set up e over tagger (whose cache is used); emit receives finished events */
void enrich_init(struct enrich *e, struct tagger *t, int64_t boot_to_real_ns,
		 enrich_emit_fn emit, void *arg);
/* one decoded event in; zero, one or two events out through emit */
void enrich_event(struct enrich *e, struct event *ev);
/* emit net records whose result did not come within ENRICH_PENDING_NS of
 * now (boot ns); all of them when now is UINT64_MAX */
void enrich_tick(struct enrich *e, uint64_t now_boot_ns);

/* join base and a relative path and fold "." and ".." lexically into out;
 * returns out, or path unchanged when it is absolute or base is NULL */
const char *enrich_abspath(const char *base, const char *path, char *out, size_t len);

#endif
