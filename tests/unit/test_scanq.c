// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_scanq.c - the scanner thread's queue: a job goes out with its fd and
 * comes back scanned, signalled on the eventfd; a second push of the same
 * file joins the first, and each process of another executable that joins
 * is told the result; a full queue refuses and counts; stopping closes
 * what was never scanned or collected and joins a worker in the middle of
 * a scan.  The work is a stand-in held on a pipe, so every state is reached
 * on purpose, never by timing; tls_scan_fd on a file that is no ELF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elf.h>

#include <cmocka.h>

#include "scanq.h"
#include "tls_scan.h"

static int gate[2];       /* the stand-in work waits for one byte here */
static int started[2];    /* and says it started with one byte here */

static void held_work(int fd, const atomic_bool *cancel, struct tls_scan *out)
{
	char c;

	(void)cancel;
	memset(out, 0, sizeof(*out));
	assert_int_equal(write(started[1], "s", 1), 1);
	assert_int_equal(read(gate[0], &c, 1), 1);
	out->rc = c == 't' ? -ETIME : 0;
	out->loc_rc = -ENOENT;
	out->off[0] = fd; /* proves the worker got this job's fd */
	out->ns = 1000000;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(started), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(gate[0]);
	close(gate[1]);
	close(started[0]);
	close(started[1]);
	return 0;
}

/* a job for a fresh file (its own identity) */
static struct scanq_job job_of(const char *tag)
{
	char path[] = "/tmp/test_scanq.XXXXXX";
	struct scanq_job j;

	memset(&j, 0, sizeof(j));
	j.fd = mkstemp(path);
	assert_true(j.fd >= 0);
	unlink(path);
	assert_int_equal(fstat(j.fd, &j.st), 0);
	snprintf(j.show, sizeof(j.show), "%s", tag);
	snprintf(j.label, sizeof(j.label), "/usr/bin/%s", tag);
	j.pid = 42;
	return j;
}

static void wait_started(void)
{
	char c;

	assert_int_equal(read(started[0], &c, 1), 1);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void test_roundtrip_and_join(void **state)
{
	struct scanq *q;
	struct scanq_job a = job_of("a"), again = a, out;
	struct scanq_stats st;

	(void)state;
	assert_int_equal(scanq_new(&q, held_work), 0);
	assert_int_equal(scanq_push(q, &a), 0);
	wait_started();
	assert_true(scanq_has(q, &a.st));
	again.fd = dup(a.fd);
	assert_int_equal(scanq_push(q, &again), -EALREADY); /* the same file: joined */
	close(again.fd);
	assert_false(scanq_pop(q, &out)); /* still running */
	scanq_stats(q, &st);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.joined, 1);
	assert_int_equal(write(gate[1], "t", 1), 1);
	assert_true(readable(scanq_fd(q), 5000));
	assert_true(scanq_pop(q, &out));
	assert_int_equal(out.fd, a.fd);
	assert_int_equal(out.scan.off[0], a.fd);
	assert_int_equal(out.scan.rc, -ETIME);
	assert_string_equal(out.label, "/usr/bin/a");
	assert_int_equal(out.pid, 42);
	assert_false(scanq_pop(q, &out));
	assert_false(readable(scanq_fd(q), 0)); /* the wakeup was taken */
	assert_false(scanq_has(q, &a.st));
	scanq_stats(q, &st);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(st.max_ns, 1000000);
	close(a.fd);
	scanq_free(q);
}

/* a file pushed again by processes of other executables while it is
 * scanned: each is told the result (one per executable, SCANQ_JOINERS at
 * most, the rest counted); the same file as a shared object is a job of
 * its own (it is judged as one) */
static void test_join_tells_each(void **state)
{
	struct scanq *q;
	struct scanq_job a = job_of("a"), other = a, obj = a, out;
	struct scanq_stats st;
	bool got_exe = false, got_obj = false;

	(void)state;
	assert_int_equal(scanq_new(&q, held_work), 0);
	assert_int_equal(scanq_push(q, &a), 0);
	wait_started();
	for (int i = 0; i <= SCANQ_JOINERS; i++) { /* b, c, ...: one more than told */
		snprintf(other.label, sizeof(other.label), "/usr/bin/%c", 'b' + i);
		other.pid = 43 + (uint32_t)i;
		assert_int_equal(scanq_push(q, &other), -EALREADY);
		assert_int_equal(scanq_push(q, &other), -EALREADY); /* the same again: once */
	}
	a.pid = 77;
	assert_int_equal(scanq_push(q, &a), -EALREADY);          /* the first's own: not a joiner */
	obj.fd = dup(a.fd);
	obj.object = true;
	assert_int_equal(scanq_push(q, &obj), 0);               /* as an object: its own job */
	scanq_stats(q, &st);
	assert_int_equal(st.joined, 2 * (SCANQ_JOINERS + 1) + 1);
	assert_int_equal(st.untold, 2); /* each join of the one past them */
	assert_int_equal(write(gate[1], "ok", 2), 2);
	for (int n = 0; n < 2; n++) {
		while (!scanq_pop(q, &out))
			assert_true(readable(scanq_fd(q), 5000));
		if (out.object) {
			got_obj = true;
			assert_int_equal(out.n_joiners, 0);
		} else {
			got_exe = true;
			assert_string_equal(out.label, "/usr/bin/a");
			assert_int_equal(out.pid, 77); /* its latest process */
			assert_int_equal(out.n_joiners, SCANQ_JOINERS);
			assert_string_equal(out.joiners[0].label, "/usr/bin/b");
			assert_int_equal(out.joiners[0].pid, 43);
			assert_string_equal(out.joiners[SCANQ_JOINERS - 1].label, "/usr/bin/i");
		}
		close(out.fd);
	}
	assert_true(got_exe && got_obj);
	scanq_free(q);
}

static void test_bounded_and_stop(void **state)
{
	struct scanq *q;
	struct scanq_job jobs[SCANQ_MAX + 1];
	struct scanq_stats st;

	(void)state;
	assert_int_equal(scanq_new(&q, held_work), 0);
	for (int i = 0; i <= SCANQ_MAX; i++)
		jobs[i] = job_of("j");
	for (int i = 0; i < SCANQ_MAX; i++)
		assert_int_equal(scanq_push(q, &jobs[i]), 0);
	wait_started(); /* the first runs, the others wait */
	assert_int_equal(scanq_push(q, &jobs[SCANQ_MAX]), -ENOSPC);
	scanq_stats(q, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.depth, SCANQ_MAX);
	/* stop: whatever runs finishes (every held scan may go on: as many
	 * bytes as jobs), what was not scanned or not collected is closed, the
	 * worker joined */
	for (int i = 0; i < SCANQ_MAX; i++)
		assert_int_equal(write(gate[1], "x", 1), 1);
	scanq_free(q);
	for (int i = 0; i < SCANQ_MAX; i++)
		assert_int_equal(fcntl(jobs[i].fd, F_GETFD), -1); /* the queue closed it */
	assert_true(fcntl(jobs[SCANQ_MAX].fd, F_GETFD) >= 0); /* refused: still the caller's */
	close(jobs[SCANQ_MAX].fd);
}

/* while one runs: an object pushed first, an executable after; the
 * executable runs next */
static void test_executables_first(void **state)
{
	struct scanq *q;
	struct scanq_job first = job_of("f"), obj = job_of("o"), exe = job_of("e"), out;

	(void)state;
	obj.object = true;
	assert_int_equal(scanq_new(&q, held_work), 0);
	assert_int_equal(scanq_push(q, &first), 0);
	wait_started();
	assert_int_equal(scanq_push(q, &obj), 0);
	assert_int_equal(scanq_push(q, &exe), 0);
	assert_int_equal(write(gate[1], "x", 1), 1); /* first ends, the next starts */
	wait_started();
	assert_true(readable(scanq_fd(q), 5000));
	assert_true(scanq_pop(q, &out));
	assert_int_equal(out.fd, first.fd);
	assert_int_equal(write(gate[1], "x", 1), 1);
	wait_started();
	for (int i = 0; i < 500 && !scanq_pop(q, &out); i++)
		usleep(10000);
	assert_int_equal(out.fd, exe.fd); /* before the object pushed earlier */
	assert_int_equal(write(gate[1], "x", 1), 1);
	scanq_free(q); /* the object's fd closed by the queue */
	close(first.fd);
	close(exe.fd);
}

static void test_scan_not_elf(void **state)
{
	struct scanq_job j = job_of("n");
	struct tls_scan s;

	(void)state;
	assert_int_equal(write(j.fd, "#!/bin/sh\necho hi\n", 18), 18);
	tls_scan_fd(j.fd, &s);
	assert_int_equal(s.rc, -ENOEXEC);
	assert_int_equal(s.loc_rc, -ENOENT); /* the locator not run */
	assert_false(tls_scan_timed_out(&s));
	assert_false(tls_scan_failed(&s));
	close(j.fd);
}

/*
 * a crafted ELF: 4000 dynamic sections over the same 16 MiB with an entry
 * size of 1 (each would be read whole and walked byte by byte): skipped, so
 * the scan ends at once with nothing found
 */
static void test_scan_crafted_sections(void **state)
{
	enum { N = 4000 };
	struct scanq_job j = job_of("c");
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				       EV_CURRENT },
			  .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_shoff = 4096, .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = N };
	Elf64_Shdr *sh = calloc(N, sizeof(*sh));
	struct tls_scan s;

	(void)state;
	assert_non_null(sh);
	for (int i = 1; i < N; i++)
		sh[i] = (Elf64_Shdr){ .sh_type = SHT_DYNAMIC, .sh_offset = 1 << 20,
				      .sh_size = 16 << 20, .sh_entsize = 1 };
	assert_int_equal(pwrite(j.fd, &eh, sizeof(eh), 0), sizeof(eh));
	assert_int_equal(pwrite(j.fd, sh, N * sizeof(*sh), 4096), (ssize_t)(N * sizeof(*sh)));
	assert_int_equal(ftruncate(j.fd, 32 << 20), 0); /* sparse */
	free(sh);
	/* 0, not -ETIME: done within the symbol scan's budget */
	assert_int_equal(tls_scan_syms_fd(j.fd, &s), 0);
	assert_false(s.imports);
	assert_int_equal(s.off[0], -1);
	close(j.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_and_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_tells_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_executables_first, setup, teardown),
		cmocka_unit_test(test_scan_not_elf),
		cmocka_unit_test(test_scan_crafted_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
