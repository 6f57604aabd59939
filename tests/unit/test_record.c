// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_record.c - the recorder: files start with their state, every entry
 * is written or counted as lost, rotation and pruning by size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "record.h"
#include "trace.h"

struct counts {
	uint64_t records, agents, procs, tags, drops, ticks;
	bool state_first;          /* the first entries are the agent and process table */
};

static void snapshot(struct recorder *r, void *arg)
{
	struct proc_info pi = { .pid = 42, .ppid = 1, .agent_pid = 42, .agent_id = 0,
				.comm = "claude", .exe = "/usr/bin/claude", .cwd = "/home" };

	recorder_agent(r, 0, "claude");
	recorder_agent(r, 1, "bot");
	recorder_proc(r, &pi);
}

/* a record-like payload of n bytes */
static void feed(struct recorder *r, int n, uint64_t *boot, uint64_t *wall)
{
	uint8_t buf[200];

	for (int i = 0; i < n; i++) {
		memset(buf, i & 0xff, sizeof(buf));
		memcpy(buf, &i, sizeof(i));
		recorder_record(r, buf, sizeof(buf));
		if (i % 500 == 0) {
			*boot += 20000000;
			*wall += 20000000;
			recorder_tick(r, *boot, *wall, (char[64]){ 0 }, 64);
			usleep(2000); /* let the writer keep up, as a real loop does */
		}
	}
}

static void count_file(const char *path, struct counts *c)
{
	struct trace_reader *rd;
	struct trace_entry e;
	char err[256];
	int n = 0, ret;

	assert_int_equal(trace_reader_open(&rd, path, err, sizeof(err)), 0);
	c->state_first = true;
	while ((ret = trace_reader_next(rd, &e, err, sizeof(err))) == 1) {
		if (n < 3)
			c->state_first &= (n < 2 ? e.kind == TRACE_AGENT : e.kind == TRACE_PROC);
		n++;
		c->records += e.kind == TRACE_RECORD;
		c->agents += e.kind == TRACE_AGENT;
		c->procs += e.kind == TRACE_PROC;
		c->tags += e.kind == TRACE_TAG;
		c->drops += e.kind == TRACE_DROP;
		c->ticks += e.kind == TRACE_TICK;
	}
	assert_int_equal(ret, 0);
	trace_reader_close(rd);
}

/* every *.amtrace file of dir, counted; returns the number of files */
static int count_dir(const char *dir, struct counts *total, uint64_t *bytes, bool *all_state)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int files = 0;

	assert_non_null(d);
	*bytes = 0;
	*all_state = true;
	while ((de = readdir(d))) {
		char path[512];
		struct counts c = { 0 };
		struct stat sb;

		if (!strstr(de->d_name, ".amtrace"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		*bytes += (uint64_t)sb.st_size;
		count_file(path, &c);
		*all_state &= c.state_first;
		total->records += c.records;
		total->tags += c.tags;
		total->drops += c.drops;
		total->ticks += c.ticks;
		files++;
	}
	closedir(d);
	return files;
}

static char *tmpdir(void)
{
	static char t[64];

	snprintf(t, sizeof(t), "/tmp/test_record.XXXXXX");
	assert_non_null(mkdtemp(t));
	return t;
}

static void rmdir_all(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_everything_written(void **state)
{
	const char *dir = tmpdir();
	struct record_settings s = { .dir = dir };
	struct recorder *r;
	struct record_status st;
	struct counts c = { 0 };
	uint64_t boot = 1000000000, wall = 1700000000000000000ull, bytes;
	bool all_state;
	char err[256];

	(void)state;
	assert_int_equal(recorder_new(&r, &s, snapshot, NULL, err, sizeof(err)), 0);
	feed(r, 5000, &boot, &wall);
	recorder_tag(r, 43, 42, 1);
	recorder_drop(r, boot, 7);
	recorder_free(r);
	assert_int_equal(count_dir(dir, &c, &bytes, &all_state), 1);
	assert_int_equal(c.records, 5000);
	assert_int_equal(c.tags, 1);
	assert_int_equal(c.drops, 1);
	assert_true(c.ticks > 0);
	assert_true(all_state);
	(void)st;
	rmdir_all(dir);
}

static void test_rotate_and_prune_by_size(void **state)
{
	const char *dir = tmpdir();
	struct record_settings s = { .dir = dir, .rotate_bytes = 16 << 10, .keep_bytes = 64 << 10 };
	struct recorder *r;
	struct record_status st;
	struct counts c = { 0 };
	uint64_t boot = 1000000000, wall = 1700000000000000000ull, bytes;
	bool all_state;
	char err[256];
	int files;

	(void)state;
	assert_int_equal(recorder_new(&r, &s, snapshot, NULL, err, sizeof(err)), 0);
	feed(r, 60000, &boot, &wall);
	recorder_flush(r);
	recorder_status(r, &st);
	recorder_free(r);
	files = count_dir(dir, &c, &bytes, &all_state);
	assert_true(st.files > 3);               /* rotated */
	assert_true(st.pruned > 0);              /* and pruned */
	assert_int_equal(st.lost, 0);
	assert_true(files >= 2);
	assert_true(files < (int)st.files);
	assert_true(all_state);                   /* each file replays alone */
	assert_true(bytes <= (64 << 10) + (16 << 10) + (256 << 10)); /* keep + one file + a block */
	assert_true(c.records < 60000);           /* the oldest went */
	rmdir_all(dir);
}

static void test_rotate_by_age(void **state)
{
	const char *dir = tmpdir();
	struct record_settings s = { .dir = dir, .rotate_age_s = 60 };
	struct recorder *r;
	struct record_status st;
	struct counts c = { 0 };
	uint64_t boot = 1000000000, wall = am_now_ns(CLOCK_REALTIME), bytes;
	bool all_state;
	char err[256];

	(void)state;
	assert_int_equal(recorder_new(&r, &s, snapshot, NULL, err, sizeof(err)), 0);
	feed(r, 100, &boot, &wall);
	boot += 61000000000ull;
	wall += 61000000000ull; /* a minute later: a new file */
	recorder_tick(r, boot, wall, err, sizeof(err));
	feed(r, 100, &boot, &wall);
	recorder_flush(r);
	recorder_status(r, &st);
	recorder_free(r);
	assert_int_equal(count_dir(dir, &c, &bytes, &all_state), 2);
	assert_int_equal(st.files, 2);
	assert_int_equal(c.records, 200);
	assert_true(all_state);
	rmdir_all(dir);
}

static void test_lost_exact(void **state)
{
	const char *dir = tmpdir();
	struct record_settings s = { .dir = dir, .queue_bytes = 1 };
	struct recorder *r;
	struct record_status st;
	uint64_t boot = 1000000000, wall = 1700000000000000000ull;
	char err[256];

	(void)state;
	assert_int_equal(recorder_new(&r, &s, snapshot, NULL, err, sizeof(err)), 0);
	feed(r, 3000, &boot, &wall);
	recorder_tick(r, boot + 2000000000ull, wall + 2000000000ull, err, sizeof(err));
	recorder_status(r, &st);
	/* 3 snapshot entries, 3000 records, the clock entries: all lost, counted */
	assert_true(st.lost >= 3003);
	assert_int_equal(st.entries, 0);
	recorder_free(r);
	rmdir_all(dir);
}

static void test_bad_dir(void **state)
{
	struct record_settings s = { .dir = "/proc/self/no/such" };
	struct recorder *r = NULL;
	char err[256] = "";

	(void)state;
	assert_true(recorder_new(&r, &s, snapshot, NULL, err, sizeof(err)) < 0);
	assert_null(r);
	assert_non_null(strstr(err, "/proc/self/no/such"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything_written),
		cmocka_unit_test(test_rotate_and_prune_by_size),
		cmocka_unit_test(test_rotate_by_age),
		cmocka_unit_test(test_lost_exact),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
