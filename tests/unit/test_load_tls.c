// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_load_tls.c - the loader's in-memory TLS verdicts (load_tls.c): at
 * TLS_BIN_MAX kept, a new verdict takes the place of one whose file is
 * neither attached nor running, counted; attached and running ones stay;
 * with none to give way the new one is not kept.  A timed-out scan's
 * verdict is dropped once its retry time is past (scanned again).  A scan's
 * verdict is told to every process that asked for the file meanwhile
 * (load_tls_scanned).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "load.h"
#include "load_int.h"
#include "scanq.h"

static struct tls_bin bin(ino_t ino, bool attached, bool running)
{
	struct tls_bin b;

	memset(&b, 0, sizeof(b));
	b.ino = ino;
	b.rc = attached ? 0 : -ENODATA;
	b.attached = attached;
	b.running = running;
	return b;
}

static bool kept(const struct loader *l, ino_t ino)
{
	for (size_t i = 0; i < l->n_bins; i++)
		if (l->bins[i].ino == ino)
			return true;
	return false;
}

static void test_full_table_gives_way(void **state)
{
	struct loader l;
	struct tls_bin b;

	(void)state;
	memset(&l, 0, sizeof(l));
	b = bin(1, true, true); /* the agent's hooked binary */
	load_tls_cache_bin(&l, &b);
	b = bin(2, false, true); /* one that runs */
	load_tls_cache_bin(&l, &b);
	for (ino_t i = 3; i <= TLS_BIN_MAX; i++) { /* empty objects fill the rest */
		b = bin(i, false, false);
		load_tls_cache_bin(&l, &b);
	}
	assert_int_equal(l.n_bins, TLS_BIN_MAX);
	assert_int_equal(l.bins_evicted, 0);
	for (ino_t i = TLS_BIN_MAX + 1; i <= 3 * TLS_BIN_MAX; i++) {
		b = bin(i, false, false);
		load_tls_cache_bin(&l, &b);
		assert_true(kept(&l, i)); /* the newest is always kept */
	}
	assert_int_equal(l.n_bins, TLS_BIN_MAX);
	assert_int_equal(l.bins_evicted, 2 * TLS_BIN_MAX);
	assert_true(kept(&l, 1)); /* attached: stays */
	assert_true(kept(&l, 2)); /* running: stays */
	/* every entry attached: a new one is not kept, nothing evicted */
	for (size_t i = 0; i < l.n_bins; i++)
		l.bins[i].attached = true;
	b = bin(9 * TLS_BIN_MAX, false, false);
	load_tls_cache_bin(&l, &b);
	assert_false(kept(&l, 9 * TLS_BIN_MAX));
	assert_int_equal(l.bins_evicted, 2 * TLS_BIN_MAX);
	free(l.bins);
}

static void quick_work(int fd, const atomic_bool *cancel, struct tls_scan *out)
{
	(void)fd;
	(void)cancel;
	memset(out, 0, sizeof(*out));
	out->loc_rc = -ENOENT;
}

struct told {
	int n;
	char label[4][64];
	uint32_t pid[4];
	int rc[4];
};

static void on_scanned(void *arg, const struct loader_scanned *r)
{
	struct told *t = arg;

	assert_true(t->n < 4);
	snprintf(t->label[t->n], sizeof(t->label[0]), "%s", r->label);
	t->pid[t->n] = r->pid;
	t->rc[t->n++] = r->rc;
}

/* a verdict of a scan cut by its time budget is found until its retry_ns,
 * then dropped (the file is scanned again); other verdicts, and an attached
 * one, stay */
static void test_timed_out_retried(void **state)
{
	struct loader l;
	struct tls_bin b = bin(7, false, false), id = bin(7, false, false);
	struct tls_bin other = bin(8, false, false);

	(void)state;
	memset(&l, 0, sizeof(l));
	b.rc = -ENOENT;
	b.retry_ns = 1000;
	load_tls_cache_bin(&l, &b);
	load_tls_cache_bin(&l, &other);
	assert_non_null(load_tls_cached(&l, &id, 999));
	id.size = 1; /* another file at that inode */
	assert_null(load_tls_cached(&l, &id, 999));
	id.size = 0;
	assert_non_null(load_tls_cached(&l, &other, 1u << 30));
	assert_null(load_tls_cached(&l, &id, 1000));
	assert_int_equal(l.n_bins, 1);
	assert_false(kept(&l, 7));
	assert_true(kept(&l, 8));
	b.attached = true; /* hooked meanwhile: kept */
	load_tls_cache_bin(&l, &b);
	assert_non_null(load_tls_cached(&l, &id, 5000));
	free(l.bins);
}

/* a file asked for by a process of a second executable while it is
 * scanned: both are told the verdict (here the file changed before its
 * judgement: stale, nothing attached) */
static void test_scan_told_to_joiners(void **state)
{
	char path[] = "/tmp/test_load_tls.XXXXXX";
	struct loader l;
	struct scanq_job j;
	struct told t = { 0 };
	struct pollfd p;

	(void)state;
	memset(&l, 0, sizeof(l));
	memset(&j, 0, sizeof(j));
	assert_int_equal(scanq_new(&l.scanq, quick_work), 0);
	j.fd = mkstemp(path);
	assert_true(j.fd >= 0);
	assert_int_equal(fstat(j.fd, &j.st), 0);
	snprintf(j.show, sizeof(j.show), "%s", path);
	snprintf(j.label, sizeof(j.label), "/usr/bin/first");
	j.pid = 10;
	assert_int_equal(scanq_push(l.scanq, &j), 0);
	snprintf(j.label, sizeof(j.label), "/usr/bin/second");
	j.pid = 20;
	assert_int_equal(scanq_push(l.scanq, &j), -EALREADY); /* queued, running or done */
	p = (struct pollfd){ .fd = scanq_fd(l.scanq), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(pwrite(j.fd, "x", 1, 0), 1); /* changed before it is judged */
	assert_int_equal(load_tls_scanned(&l, on_scanned, &t), 1);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.label[0], "/usr/bin/first");
	assert_int_equal(t.pid[0], 10);
	assert_string_equal(t.label[1], "/usr/bin/second");
	assert_int_equal(t.pid[1], 20);
	assert_int_equal(t.rc[0], -ESTALE);
	assert_int_equal(t.rc[1], -ESTALE);
	assert_int_equal(l.scan_stale, 1);
	scanq_free(l.scanq);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_table_gives_way),
		cmocka_unit_test(test_timed_out_retried),
		cmocka_unit_test(test_scan_told_to_joiners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
