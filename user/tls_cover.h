/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_cover.h - which tagged processes the per-process TLS uprobes cover.
 *
 * The TLS uprobes are per-process perf events with inherit set: opened on
 * a process tagged other than by fork (the kernel's exec rule, agentmon
 * launch, the /proc scan, adopted tags), they are copied by the kernel into
 * every child it forks afterwards, before the child runs, and survive exec.
 * A process forked by a tagged one is then covered from its first
 * instruction, with no attach of its own.  Only a fork that may have raced
 * its parent's attach (within TLS_COVER_EARLY_NS of it) or whose parent is
 * not covered gets its own attach.  A covering attach (a "root") is released
 * when the last process it covers has exited (its children's copies of the
 * events die with the root's).  A process covered by inheritance also gets
 * a guard of its own (ops->guard, when set), held until it exits: the
 * kernel may swap the perf contexts of a process and a child or thread
 * whose contexts are clones and free a live process's inherited copies
 * (see load_scope.c).  The guard holds every probe, so the process stays
 * covered whatever context its inherited copies end up in.  The attach
 * itself is the caller's (ops): this module only keeps the books, the fd
 * budget and the counts.
 */
#ifndef AGENTMON_TLS_COVER_H
#define AGENTMON_TLS_COVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a fork this soon after its parent's attach gets an attach of its own */
#define TLS_COVER_EARLY_NS (100ull * 1000 * 1000)
#define TLS_COVER_PROCS_MAX 65536   /* processes tracked, at most */

/* the fds of one covering attach */
struct tls_cover_fds {
	int *fd;
	int n;
	uint64_t ns;                  /* when the last was open (boot clock; 0:
				       * the now_ns the books were given) */
};

struct tls_cover_ops {
	/* attach to process tgid (all its threads) using at most budget fds;
	 * fills out (out->n may be 0 only with an error); 0, -ESRCH when the
	 * process is gone (nothing to cover), or -errno */
	int (*attach)(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out);
	/* release them (close the fds; free out->fd) */
	void (*detach)(void *arg, struct tls_cover_fds *fds);
	/* the guard of a process covered by its parent's attach: every probe
	 * (NULL: none); same contract as attach, released by detach */
	int (*guard)(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out);
};

struct tls_cover_root {
	struct tls_cover_fds fds;
	uint64_t done_ns;             /* when its attach was complete */
	uint32_t tgid;                /* the process it was made for */
	uint32_t refs;                /* processes it covers, alive */
	bool used;
};

struct tls_cover_proc {
	uint32_t tgid;
	uint32_t root;                /* index into roots */
	bool own;                     /* that attach was made for it */
	struct tls_cover_fds guard;   /* its own guard, n 0 when none */
	uint64_t guard_ns;            /* when it was made (boot clock), 0: none */
};

/* what status shows */
struct tls_cover_stats {
	uint64_t attached;            /* covering attaches made */
	uint64_t inherited;           /* processes covered by their parent's */
	uint64_t guarded;             /* of them, guarded */
	uint64_t full_guards;         /* full guards made (every guard is one) */
	uint64_t failed;              /* tagged processes that could not be covered */
	uint64_t unsure;              /* ClientHellos sent before their process's
				       * attach or guard was in place */
	uint64_t released;            /* covering attaches released */
	uint32_t procs, roots;        /* covered now; attaches held now */
	int fds, fd_max;              /* fds held now; the budget */
	int last_err;                 /* the last failure's -errno, 0 */
};

struct tls_cover {
	const struct tls_cover_ops *ops;
	void *arg;
	struct tls_cover_proc *procs;
	size_t n_procs, cap_procs;
	struct tls_cover_root *roots;
	size_t n_roots, cap_roots;
	struct tls_cover_stats st;
};

void tls_cover_init(struct tls_cover *c, const struct tls_cover_ops *ops, void *arg, int fd_max);
/* the fds the attaches may hold from now on (a budget shared with others) */
void tls_cover_budget(struct tls_cover *c, int fd_max);
/* release every attach and free the books (init again to reuse) */
void tls_cover_free(struct tls_cover *c);
/* every fd the attaches hold, in one array (malloc'd, NULL when none or
 * out of memory: then they are detached here), for the caller to close;
 * the books emptied as by tls_cover_free */
int *tls_cover_surrender(struct tls_cover *c, size_t *n);
/* tgid was tagged other than by fork, now_ns (boot clock): attach to it
 * unless covered already.  0 or -errno (counted in failed) */
int tls_cover_root(struct tls_cover *c, uint32_t tgid, uint64_t now_ns);
/* tagged tgid was forked by ppid at fork_ns (boot clock): covered by its
 * parent's attach, or attached on its own; a process of that tgid still in
 * the books (its exit lost: the pid reused) is forgotten first, its attach
 * or guard released.  0 or -errno (counted) */
int tls_cover_fork(struct tls_cover *c, uint32_t ppid, uint32_t tgid, uint64_t fork_ns,
		   uint64_t now_ns);
/* tgid exited: its attach is released when nothing else it covers lives;
 * returns the process that attach was made for, or 0 (none released) */
uint32_t tls_cover_exit(struct tls_cover *c, uint32_t tgid);
/* cb says which covered processes are gone (exit events lost): released */
size_t tls_cover_sweep(struct tls_cover *c, bool (*alive)(void *arg, uint32_t tgid), void *arg);
bool tls_cover_covered(const struct tls_cover *c, uint32_t tgid);
/* tagged tgid sent a ClientHello at ts_ns (boot clock): true (counted in
 * unsure) when its own attach, or its guard, was not in place yet then (a
 * fork's guard not made: not in place), or when it is not in the books at
 * all (gone before its attach could be made: a child forked while its
 * parent's attach was being made inherited nothing): its calls then may
 * not have trapped, its plaintext may not be read */
bool tls_cover_unsure(struct tls_cover *c, uint32_t tgid, uint64_t ts_ns);
void tls_cover_stats(const struct tls_cover *c, struct tls_cover_stats *st);

#endif
