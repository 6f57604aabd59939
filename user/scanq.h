/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scanq.h - the scanner thread: ELF files an agent runs or loads are read
 * off the collector's loop (a 245 MB Bun binary takes seconds), so the ring
 * buffer and the control socket keep being served meanwhile.
 *
 * The loop opens a file once and hands the fd and its identity (dev, ino,
 * size, mtime) to scanq_push; the one worker thread reads it by fd
 * (tls_scan_fd: pread, bounded, time-budgeted; executables before shared
 * objects, then in push order) and hands the job back,
 * result filled, through scanq_pop, signalled on the eventfd scanq_fd the
 * loop polls.  The loop attaches through the same fd and checks the
 * identity again.  Jobs are de-duplicated per identity and kind (one
 * waiting, running or finished-not-collected job per file as an executable
 * and one as a shared object); a push joining a job adds its process and
 * executable to the job's joiners (one per executable, SCANQ_JOINERS at
 * most, the rest counted untold), so each is told the result; the queue is bounded
 * (SCANQ_MAX: a push beyond is refused and counted).  Every field shared
 * between the threads is under the queue's lock; a running job's fd
 * belongs to the worker (its joiners may still grow, under the lock).  scanq_free cancels the running scan (it
 * stops within one 1 MiB window or 64K symbols), joins the thread and closes
 * what was never scanned or collected.
 */
#ifndef AGENTMON_SCANQ_H
#define AGENTMON_SCANQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tls_scan.h"

#define SCANQ_MAX 256                 /* jobs waiting, running or done at once (each
				       * holds its file open: a python maps ~50 objects) */
#define SCANQ_NAME 256
#define SCANQ_JOINERS 8               /* other processes told of one file's scan */

struct scanq_job {
	int fd;                       /* the file, read only; owned by the queue
				       * from a successful push until popped */
	struct stat st;               /* its identity when opened */
	bool object;                  /* a shared object (else an executable) */
	uint32_t pid;                 /* the process that made it wanted (the latest
				       * of its executable that asked) */
	char show[SCANQ_NAME];        /* the file's name in messages */
	char label[SCANQ_NAME];       /* that process's executable (tls_watch's key) */
	/* processes of other executables that asked for the same file (and
	 * kind) while this job was queued or running: told its result too */
	uint32_t n_joiners;
	struct {
		uint32_t pid;
		char label[SCANQ_NAME];
	} joiners[SCANQ_JOINERS];
	struct tls_scan scan;         /* filled by the worker */
};

struct scanq_stats {
	uint64_t depth;               /* waiting, running or not popped now */
	uint64_t queued;              /* pushed since start */
	uint64_t done;                /* scanned and popped */
	uint64_t timed_out;           /* of them, cut by a time budget */
	uint64_t failed;              /* of them, unreadable as they claim */
	uint64_t dropped;             /* refused: the queue was full */
	uint64_t joined;              /* pushes of a file already queued */
	uint64_t untold;              /* of them, joins past SCANQ_JOINERS executables:
				       * not told (judged again at its next ClientHello) */
	uint64_t max_ns;              /* the longest scan */
};

/* what the worker runs on a job's fd, to stop early once *cancel is set
 * (tests pass their own) */
typedef void (*scanq_work_fn)(int fd, const atomic_bool *cancel, struct tls_scan *out);

struct scanq;

/* a queue and its worker running work (NULL: tls_scan_fd_until); 0 or -errno */
int scanq_new(struct scanq **out, scanq_work_fn work);
/* stop the worker (the scan it runs is cancelled: it ends at its next
 * window), join it, close every fd still held */
void scanq_free(struct scanq *q);
/*
 * scanq_push - queue job (its fd, identity and kind; scan and joiners
 * ignored).  0: queued, the fd is the queue's now; -EALREADY: a job for the
 * same identity and kind is queued, running or not collected yet, job's
 * process joined it (the fd stays the caller's);
 * -ENOSPC: the queue is full, counted as dropped (the fd stays the caller's)
 */
int scanq_push(struct scanq *q, const struct scanq_job *job);
/* whether a job for st's identity is queued, running or not collected */
bool scanq_has(struct scanq *q, const struct stat *st);
/* readable when a finished job waits (eventfd), for the loop's poll */
int scanq_fd(const struct scanq *q);
/* a finished job into out (its fd the caller's now); false when none
 * (call until false: one wakeup may stand for several) */
bool scanq_pop(struct scanq *q, struct scanq_job *out);
void scanq_stats(struct scanq *q, struct scanq_stats *out);
/* same file and same content as far as fstat tells (dev, ino, size, mtime,
 * ctime: no user sets it back) */
bool scanq_same_file(const struct stat *a, const struct stat *b);

#endif
