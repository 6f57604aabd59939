// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_tls_cover.c - the books of the per-process TLS uprobes, with fake attaches. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tls_cover.h"

#define MS 1000000ull

struct fake {
	int per_attach;               /* fds each attach takes */
	int fail;                     /* attach returns this when non-zero */
	int attached, detached;       /* calls */
	int open;                     /* fds held */
	uint32_t last;                /* the last tgid attached */
	uint32_t gone;                /* attach says this one is gone */
	uint64_t ns;                  /* when attach says it ended (0: not said) */
};

static int fake_attach(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out)
{
	struct fake *f = arg;

	if (f->fail)
		return f->fail;
	if (tgid == f->gone)
		return -ESRCH;
	if (f->per_attach > budget)
		return -EMFILE;
	out->fd = calloc((size_t)f->per_attach, sizeof(int));
	out->n = f->per_attach;
	out->ns = f->ns;
	f->attached++;
	f->open += f->per_attach;
	f->last = tgid;
	return 0;
}

static void fake_detach(void *arg, struct tls_cover_fds *fds)
{
	struct fake *f = arg;

	f->detached++;
	f->open -= fds->n;
	free(fds->fd);
	fds->fd = NULL;
	fds->n = 0;
}

static const struct tls_cover_ops ops = { fake_attach, fake_detach, NULL };

/* a root covers the children it forks after its attach; its attach goes
 * with the last of them, not with the root */
static void test_inherit_and_release(void **state)
{
	struct fake f = { .per_attach = 12 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 100, 1000 * MS), 0);
	assert_int_equal(tls_cover_root(&c, 100, 1001 * MS), 0); /* covered already */
	assert_int_equal(f.attached, 1);
	/* forked well after the attach: inherited */
	assert_int_equal(tls_cover_fork(&c, 100, 101, 1500 * MS, 1500 * MS), 0);
	assert_int_equal(tls_cover_fork(&c, 101, 102, 1600 * MS, 1600 * MS), 0);
	assert_int_equal(f.attached, 1);
	assert_true(tls_cover_covered(&c, 102));
	tls_cover_stats(&c, &st);
	assert_int_equal(st.procs, 3);
	assert_int_equal(st.roots, 1);
	assert_int_equal(st.inherited, 2);
	assert_int_equal(st.fds, 12);
	/* the root exits first: its children still need its events */
	assert_int_equal(tls_cover_exit(&c, 100), 0);
	assert_int_equal(tls_cover_exit(&c, 101), 0);
	assert_int_equal(f.detached, 0);
	assert_int_equal(tls_cover_exit(&c, 102), 100); /* the last: released */
	assert_int_equal(f.detached, 1);
	assert_int_equal(f.open, 0);
	assert_int_equal(tls_cover_exit(&c, 102), 0); /* unknown now */
	tls_cover_stats(&c, &st);
	assert_int_equal(st.procs, 0);
	assert_int_equal(st.roots, 0);
	assert_int_equal(st.fds, 0);
	tls_cover_free(&c);
}

/* a fork of a tgid still in the books (its exit lost, the pid reused): the
 * gone one is forgotten, its own attach released, and the new process
 * covered by its parent's; a fork of a tgid whose entry it shares a root
 * with keeps that root for the others */
static void test_pid_reused(void **state)
{
	struct fake f = { .per_attach = 3 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 100, 1000 * MS), 0);  /* exits, unseen */
	assert_int_equal(tls_cover_root(&c, 50, 1000 * MS), 0);
	assert_int_equal(f.attached, 2);
	assert_int_equal(tls_cover_fork(&c, 50, 100, 2000 * MS, 2000 * MS), 0);
	assert_int_equal(f.detached, 1);          /* the gone one's attach */
	assert_int_equal(f.attached, 2);          /* inherited from 50's */
	tls_cover_stats(&c, &st);
	assert_int_equal(st.procs, 2);
	assert_int_equal(st.roots, 1);
	assert_int_equal(st.fds, 3);
	assert_int_equal(tls_cover_exit(&c, 100), 0);  /* 50's attach stays */
	assert_int_equal(tls_cover_fork(&c, 50, 51, 3000 * MS, 3000 * MS), 0);
	assert_int_equal(tls_cover_fork(&c, 50, 51, 4000 * MS, 4000 * MS), 0);  /* 51 reused */
	tls_cover_stats(&c, &st);
	assert_int_equal(st.procs, 2);
	assert_int_equal(tls_cover_exit(&c, 51), 0);
	assert_int_equal(tls_cover_exit(&c, 50), 50);
	assert_int_equal(f.open, 0);
	tls_cover_free(&c);
}

/* a fork that may have raced its parent's attach, or whose parent is not
 * covered, gets an attach of its own */
static void test_early_and_unknown_parent(void **state)
{
	struct fake f = { .per_attach = 2 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 200, 1000 * MS), 0);
	/* forked before, or just after, the parent's attach was complete */
	assert_int_equal(tls_cover_fork(&c, 200, 201, 999 * MS, 1002 * MS), 0);
	assert_int_equal(f.last, 201);
	assert_int_equal(tls_cover_fork(&c, 200, 202, 1000 * MS + TLS_COVER_EARLY_NS, 1200 * MS), 0);
	assert_int_equal(f.last, 202);
	/* its parent unknown */
	assert_int_equal(tls_cover_fork(&c, 999, 300, 5000 * MS, 5000 * MS), 0);
	assert_int_equal(f.last, 300);
	assert_int_equal(f.attached, 4);
	/* the children of an early child inherit from the child's attach */
	assert_int_equal(tls_cover_fork(&c, 201, 203, 2000 * MS, 2000 * MS), 0);
	assert_int_equal(f.attached, 4);
	assert_int_equal(tls_cover_exit(&c, 201), 0);
	assert_int_equal(tls_cover_exit(&c, 203), 201);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.attached, 4);
	assert_int_equal(st.released, 1);
	assert_int_equal(st.roots, 3);
	tls_cover_free(&c);
	assert_int_equal(f.open, 0);
	assert_int_equal(f.detached, 4);
}

/* over the fd budget or an attach error: counted, the caller told; a
 * process gone before its attach is neither */
static void test_budget_and_failures(void **state)
{
	struct fake f = { .per_attach = 40 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 1, 0), 0);
	assert_int_equal(tls_cover_root(&c, 2, 0), 0);
	assert_int_equal(tls_cover_root(&c, 3, 0), -EMFILE); /* 80 of 100 held */
	assert_false(tls_cover_covered(&c, 3));
	f.gone = 4;
	assert_int_equal(tls_cover_root(&c, 4, 0), 0);
	assert_false(tls_cover_covered(&c, 4));
	assert_int_equal(tls_cover_exit(&c, 1), 1);
	f.fail = -EPERM;
	assert_int_equal(tls_cover_fork(&c, 77, 5, 0, 0), -EPERM);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.last_err, -EPERM);
	assert_int_equal(st.fds, 40);
	assert_int_equal(st.fd_max, 100);
	tls_cover_free(&c);
}

/* a budget shared with others: lowered, the next attach has only what is
 * left of it; raised again, it fits */
static void test_shared_budget(void **state)
{
	struct fake f = { .per_attach = 40 };
	struct tls_cover c;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 1, 0), 0);
	tls_cover_budget(&c, 70); /* others took 30 */
	assert_int_equal(tls_cover_root(&c, 2, 0), -EMFILE);
	assert_false(tls_cover_covered(&c, 2));
	tls_cover_budget(&c, 80);
	assert_int_equal(tls_cover_root(&c, 2, 0), 0);
	tls_cover_budget(&c, 40); /* held ones stay: only new attaches are refused */
	assert_true(tls_cover_covered(&c, 1));
	assert_int_equal(tls_cover_root(&c, 3, 0), -EMFILE);
	tls_cover_free(&c);
}

/* the fds handed over at once (closed in the background by the caller) */
static void test_surrender(void **state)
{
	struct fake f = { .per_attach = 3 };
	struct tls_cover c;
	struct tls_cover_stats st;
	size_t n;
	int *fds;

	(void)state;
	tls_cover_init(&c, &ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 1, 0), 0);
	assert_int_equal(tls_cover_root(&c, 2, 0), 0);
	assert_int_equal(tls_cover_exit(&c, 1), 1);
	assert_int_equal(tls_cover_root(&c, 3, 0), 0);
	fds = tls_cover_surrender(&c, &n);
	assert_non_null(fds);
	assert_int_equal(n, 6);
	assert_int_equal(f.detached, 3); /* the books let go of all three */
	tls_cover_stats(&c, &st);
	assert_int_equal(st.fds, 0);
	assert_int_equal(st.roots, 0);
	assert_int_equal(st.procs, 0);
	assert_int_equal(st.attached, 3); /* the counts since start stay */
	assert_false(tls_cover_covered(&c, 2));
	free(fds);
	assert_null(tls_cover_surrender(&c, &n));
	assert_int_equal(n, 0);
	tls_cover_free(&c);
}

static bool alive_even(void *arg, uint32_t tgid)
{
	(void)arg;
	return !(tgid & 1);
}

/* exits lost: the sweep releases what is no longer alive */
static void test_sweep(void **state)
{
	struct fake f = { .per_attach = 1 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &ops, &f, 1000);
	for (uint32_t t = 10; t < 20; t++)
		assert_int_equal(tls_cover_root(&c, t, 0), 0);
	assert_int_equal(tls_cover_fork(&c, 10, 21, 10000 * MS, 10000 * MS), 0); /* inherited */
	assert_int_equal(tls_cover_sweep(&c, alive_even, NULL), 6);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.procs, 5);
	assert_int_equal(st.roots, 5);
	assert_int_equal(f.open, 5);
	for (uint32_t t = 10; t < 20; t += 2)
		assert_true(tls_cover_covered(&c, t));
	tls_cover_free(&c);
	assert_int_equal(f.open, 0);
}

/* a guard: per_attach fds (every probe); the last one noted */
static int fake_guard(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out)
{
	struct fake *f = arg;
	int n = f->per_attach;

	if (tgid == f->gone)
		return -ESRCH;
	if (n > budget)
		return -EMFILE;
	out->fd = calloc((size_t)n, sizeof(int));
	out->n = n;
	f->open += n;
	f->last = tgid;
	return 0;
}

static const struct tls_cover_ops guard_ops = { fake_attach, fake_detach, fake_guard };

/* every process covered by inheritance gets a guard of every probe, held
 * until it exits (not until its root's attach goes), however long after
 * its parent's guard it was forked (a thread of it may swap its context:
 * load_scope.c); over the budget it fails closed (counted, the caller
 * told); one for a process gone is none */
static void test_guard(void **state)
{
	struct fake f = { .per_attach = 4 };
	struct tls_cover c;
	struct tls_cover_stats st;
	size_t n;
	int *fds;

	(void)state;
	tls_cover_init(&c, &guard_ops, &f, 14);
	assert_int_equal(tls_cover_root(&c, 100, 1000 * MS), 0);
	/* the root's child: a guard of every probe (the root has none) */
	assert_int_equal(tls_cover_fork(&c, 100, 101, 1500 * MS, 1500 * MS), 0);
	assert_int_equal(f.last, 101);
	assert_int_equal(f.open, 8);
	/* forked long after 101's guard: every probe all the same */
	assert_int_equal(tls_cover_fork(&c, 101, 102, 9000 * MS, 9000 * MS), 0);
	assert_int_equal(f.last, 102);
	assert_int_equal(f.open, 12);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.inherited, 2);
	assert_int_equal(st.guarded, 2);
	assert_int_equal(st.full_guards, 2);
	assert_int_equal(st.fds, 12);
	/* over the budget: failed, counted, still in the books */
	assert_int_equal(tls_cover_fork(&c, 102, 104, 9100 * MS, 9100 * MS), -EMFILE);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.guarded, 2);
	assert_true(tls_cover_covered(&c, 104));
	assert_int_equal(tls_cover_exit(&c, 104), 0);
	f.gone = 105;
	assert_int_equal(tls_cover_fork(&c, 100, 105, 9200 * MS, 9200 * MS), 0);
	assert_int_equal(tls_cover_exit(&c, 105), 0);
	/* a child's exit closes its guard at once; the root's attach stays */
	assert_int_equal(tls_cover_exit(&c, 101), 0);
	assert_int_equal(f.open, 8);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.fds, 8);
	/* surrendered: the root's and the guard's fds, every one */
	fds = tls_cover_surrender(&c, &n);
	assert_non_null(fds);
	assert_int_equal(n, 8);
	free(fds);
	tls_cover_stats(&c, &st);
	assert_int_equal(st.fds, 0);
	assert_int_equal(st.procs, 0);
	/* freed with a guard held: closed */
	tls_cover_init(&c, &guard_ops, &f, 100);
	f.open = 0;
	assert_int_equal(tls_cover_root(&c, 200, 0), 0);
	assert_int_equal(tls_cover_fork(&c, 200, 201, 1000 * MS, 1000 * MS), 0);
	assert_int_equal(f.open, 8);
	tls_cover_free(&c);
	assert_int_equal(f.open, 0);
}

/* a ClientHello before the process's own attach or its guard was in place,
 * or of a process not in the books (never covered), is unsure (counted);
 * at or after it, it is not; the attach's own time (fds.ns) wins over the
 * caller's now */
static void test_unsure(void **state)
{
	struct fake f = { .per_attach = 2, .gone = 0 };
	struct tls_cover c;
	struct tls_cover_stats st;

	(void)state;
	tls_cover_init(&c, &guard_ops, &f, 100);
	assert_int_equal(tls_cover_root(&c, 300, 1000 * MS), 0);
	assert_true(tls_cover_unsure(&c, 300, 999 * MS));
	assert_false(tls_cover_unsure(&c, 300, 1000 * MS));
	/* inherited: unsure until its guard, not its root's attach */
	assert_int_equal(tls_cover_fork(&c, 300, 301, 1500 * MS, 1600 * MS), 0);
	assert_true(tls_cover_unsure(&c, 301, 1550 * MS));
	assert_false(tls_cover_unsure(&c, 301, 1600 * MS));
	/* its guard could not be made (gone meanwhile): never sure */
	f.gone = 302;
	assert_int_equal(tls_cover_fork(&c, 300, 302, 1700 * MS, 1700 * MS), 0);
	assert_true(tls_cover_unsure(&c, 302, 5000 * MS));
	assert_true(tls_cover_unsure(&c, 999, 0));
	tls_cover_stats(&c, &st);
	assert_int_equal(st.unsure, 4);
	tls_cover_free(&c);
	/* no guard op: an inherited one is as sure as its root */
	tls_cover_init(&c, &ops, &f, 100);
	f.ns = 2000 * MS; /* the attach says when it ended */
	assert_int_equal(tls_cover_root(&c, 400, 1900 * MS), 0);
	assert_true(tls_cover_unsure(&c, 400, 1950 * MS));
	assert_int_equal(tls_cover_fork(&c, 400, 401, 2200 * MS, 2200 * MS), 0);
	assert_false(tls_cover_unsure(&c, 401, 2000 * MS));
	assert_true(tls_cover_unsure(&c, 401, 1999 * MS));
	tls_cover_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inherit_and_release),
		cmocka_unit_test(test_early_and_unknown_parent),
		cmocka_unit_test(test_pid_reused),
		cmocka_unit_test(test_budget_and_failures),
		cmocka_unit_test(test_shared_budget),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_surrender),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_unsure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
