/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * record.h - the recorder: every agent record the collector reads, and the
 * state a replay needs (agent names, the process table, userspace tags,
 * drops, the loop's clock), into trace files (trace.h) under a directory.
 *
 * Off the event path: the collector's thread only appends entries to an
 * in-memory block (a copy); a writer thread compresses and writes whole
 * blocks, rotates files by size and age, and prunes the directory by age
 * and total size.  Blocks waiting for the writer are bounded: above the
 * bound a block is not recorded and its entries are counted as lost.  A
 * write error (a full disk) stops recording, never the collector:
 * recorder_tick() reports it once, and recording is retried every minute
 * with a new file.
 */
#ifndef AGENTMON_RECORD_H
#define AGENTMON_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc_cache.h"
#include "trace.h"

#define RECORD_ROTATE_BYTES  (64ull << 20)
#define RECORD_ROTATE_AGE_S  3600ull
#define RECORD_KEEP_AGE_S    (7ull * 86400)
#define RECORD_KEEP_BYTES    (1ull << 30)
#define RECORD_QUEUE_BYTES   (64ull << 20)   /* raw bytes waiting for the writer */
#define RECORD_BLOCK_BYTES   (256u << 10)    /* a block is handed over at this size */
#define RECORD_BLOCK_NS      (1000ull * 1000 * 1000) /* or when its first entry is this old */
#define RECORD_RETRY_NS      (60ull * 1000 * 1000 * 1000)

struct record_settings {
	const char *dir;           /* created 0700 when missing */
	uint64_t rotate_bytes;     /* 0: RECORD_ROTATE_BYTES */
	uint64_t rotate_age_s;     /* 0: RECORD_ROTATE_AGE_S */
	uint64_t keep_age_s;       /* 0: RECORD_KEEP_AGE_S */
	uint64_t keep_bytes;       /* 0: RECORD_KEEP_BYTES */
	uint64_t queue_bytes;      /* 0: RECORD_QUEUE_BYTES */
	int64_t boot_to_real_ns;   /* written in each file's header */
};

struct recorder;

/*
 * the state a new file starts with: the callback writes it with
 * recorder_agent() and recorder_proc() (called on the collector's thread)
 */
typedef void (*record_snapshot_fn)(struct recorder *r, void *arg);

struct record_status {
	bool failed;               /* recording stopped by a write error */
	char reason[600];          /* the error, when failed */
	char file[4096];           /* the file being written, "" when none */
	uint64_t files;            /* files opened */
	uint64_t bytes;            /* bytes written, all files */
	uint64_t entries;          /* entries written */
	uint64_t lost;             /* entries not recorded (queue full, write error) */
	uint64_t pruned;           /* files deleted by the age and size limits */
	uint64_t masked;           /* secret bytes masked before recording (scrub.h) */
	uint64_t scrub_evicted;    /* streams whose masking state was forgotten */
	uint64_t scrub_h2_lost;    /* HTTP/2 header tables lost: their names masked */
	uint64_t scrub_h2_resumed; /* HTTP/2 streams met mid-way (preface missed, evicted) */
	uint64_t scrub_h2_cut_kept; /* secret Huffman symbols a record cut, kept */
	uint64_t scrub_h2_as_text; /* HTTP/2 streams that may be read as text (bounds, memory) */
};

/*
 * recorder_new - check dir (created 0700 when missing; -errno with err set
 * when it cannot be, or is not writable) and start the writer thread, which
 * opens the first file.  snap writes the state the first file starts with.
 */
int recorder_new(struct recorder **out, const struct record_settings *s,
		 record_snapshot_fn snap, void *arg, char *err, size_t errlen);
/* hand over what is held, wait for the writer to write it, close, free */
void recorder_free(struct recorder *r);

/* entries, appended on the collector's thread (a copy of the bytes); a
 * kernel record is stored scrubbed (scrub.h): secrets masked first */
void recorder_record(struct recorder *r, const void *data, size_t size);
void recorder_agent(struct recorder *r, uint32_t id, const char *name);
/* the names of agent ids past *count or renamed since *renames (launch, reload add
 * some, a launch recycles some); both brought up to date (agents_each_new) */
struct agents;
void recorder_agents(struct recorder *r, const struct agents *a, uint32_t *count,
		     uint64_t *renames);
void recorder_proc(struct recorder *r, const struct proc_info *pi);
void recorder_tag(struct recorder *r, uint32_t tgid, uint32_t agent_pid, uint32_t agent_id);
void recorder_drop(struct recorder *r, uint64_t boot_ns, uint64_t lost);
/* a process tagged with a past nobody watched (pipeline_unwatched) */
void recorder_unwatched(struct recorder *r, const struct trace_unwatched *u);

/*
 * recorder_tick - once per loop step: a clock entry while anything was
 * recorded lately, a block handed over when full or old, rotation, retry
 * after a failure.  Returns 0; -errno with err set once when recording has
 * just stopped on a write error; 1 with err set once when it resumed.
 */
int recorder_tick(struct recorder *r, uint64_t boot_ns, uint64_t wall_ns,
		  char *err, size_t errlen);
/* hand over what is held and wait until the writer has written it all */
void recorder_flush(struct recorder *r);
void recorder_status(struct recorder *r, struct record_status *st);

#endif
