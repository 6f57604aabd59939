/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tagstore.h - the kernel's tag table as the collector keeps it across its
 * own lifetime: the agent names that the tags' agent ids stand for (pinned
 * next to the tags, see load.h), the tags an earlier collector left
 * (adopted at start) and the stale tags of processes that are gone (swept
 * at start and periodically).  Live runs only: it reads the loader.
 */
#ifndef AGENTMON_TAGSTORE_H
#define AGENTMON_TAGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "agents.h"
#include "load.h"
#include "tag.h"

#define TAGSTORE_UNKNOWN "unknown" /* the name of an adopted id without one */

struct tagstore {
	struct loader *loader;
	struct tagger *tagger;       /* procfs, the cache, untag and unwatched callbacks */
	uint32_t names_saved;        /* agent ids whose names are pinned */
	uint64_t renames_saved;      /* the agent table's renames they include */
	struct tag_entry *v;         /* the last walk over `tagged` */
	size_t n, cap;
};

/* set up over a loaded loader and the pipeline's tagger (both not owned) */
void tagstore_init(struct tagstore *s, struct loader *l, struct tagger *t);
void tagstore_release(struct tagstore *s);

/*
 * tagstore_adopt - after a restart (loader_adopted): intern the pinned
 * agent names into a (an id whose name is lost becomes TAGSTORE_UNKNOWN) and
 * rewrite the tags whose id differs in this run, untag the stale ones, put
 * the live ones in the process cache, and tag the children they forked
 * while no collector watched.  Returns the number of live tags adopted, or
 * -errno (-ENOMEM).
 */
int tagstore_adopt(struct tagstore *s, struct agents *a);

/* tagstore_save_names - pin the names of agent ids added since the last
 * call; 0, or -errno for the first one that could not be saved */
int tagstore_save_names(struct tagstore *s, const struct agents *a);

/* tagstore_sweep - untag every tag whose process is gone or whose pid now
 * runs another process; returns how many, or -ENOMEM */
int tagstore_sweep(struct tagstore *s);

#define TAGSTORE_PIN_ROOT "/sys/fs/bpf/agentmon"
/*
 * tagstore_pin_dir - the bpffs directory of a run's pinned tags into out:
 * pin_dir when given, TAGSTORE_PIN_ROOT for the default socket, else one
 * per socket (TAGSTORE_PIN_ROOT-run_x_agentmon.sock: the socket's path made
 * one file name, cut at 240 bytes)
 */
void tagstore_pin_dir(const char *pin_dir, const char *socket, char *out, size_t len);

#endif
