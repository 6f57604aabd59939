// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_tag.c - /proc scan and process trees, over a fake procfs tree. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tag.h"

#define MAX_TAGS 32

struct fixture {
	char root[64];
	struct proc_cache *cache;
	struct agents *agents;
	struct tagger tagger;
	uint32_t pid[MAX_TAGS], agent_pid[MAX_TAGS], agent_id[MAX_TAGS];
	uint64_t start_ns[MAX_TAGS];
	int n;
	uint32_t unwritten[MAX_TAGS], unwatched[MAX_TAGS], held[MAX_TAGS];
	uint64_t unwritten_start[MAX_TAGS];
	int n_unwritten, n_unwatched, n_held;
	uint32_t die_on_write;       /* this pid's /proc entry goes while it is tagged */
	uint32_t reuse_on_write;     /* this pid runs another process once tagged */
};

static void fake_stat(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm,
		      uint64_t start);

/* the start time (ticks) of the fake processes */
static uint64_t start_of(uint32_t pid)
{
	return 1000 + pid;
}

static uint64_t tick_ns(void)
{
	return 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
}

static int write_tag(void *arg, const struct tag_entry *t)
{
	struct fixture *f = arg;
	char cmd[160];

	assert_true(f->n < MAX_TAGS);
	f->pid[f->n] = t->tgid;
	f->agent_pid[f->n] = t->agent_pid;
	f->start_ns[f->n] = t->start_ns;
	f->agent_id[f->n++] = t->agent_id;
	if (t->tgid == f->die_on_write) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s/%u", f->root, t->tgid);
		assert_int_equal(system(cmd), 0);
	}
	if (t->tgid == f->reuse_on_write)
		fake_stat(f, t->tgid, 1, "other", start_of(t->tgid) + 500);
	return 0;
}

static int unwrite_tag(void *arg, const struct tag_entry *t)
{
	struct fixture *f = arg;

	assert_true(f->n_unwritten < MAX_TAGS);
	f->unwritten_start[f->n_unwritten] = t->start_ns;
	f->unwritten[f->n_unwritten++] = t->tgid;
	return 0;
}

static bool in(const uint32_t *v, int n, uint32_t pid)
{
	for (int i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static bool held(void *arg, uint32_t tgid)
{
	struct fixture *f = arg;

	return in(f->held, f->n_held, tgid) || in(f->pid, f->n, tgid);
}

static void unwatched(void *arg, const struct tag_entry *t)
{
	struct fixture *f = arg;

	assert_true(f->n_unwatched < MAX_TAGS);
	f->unwatched[f->n_unwatched++] = t->tgid;
}

static void put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(data, 1, len, fp);
	fclose(fp);
}

/* a fake /proc/PID/stat started at start (ticks) */
static void fake_stat(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm,
		      uint64_t start)
{
	char dir[128], buf[256];

	snprintf(dir, sizeof(dir), "%s/%u", f->root, pid);
	snprintf(buf, sizeof(buf), "%u (%s) S %u %u %u 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n",
		 pid, comm, ppid, pid, pid, (unsigned long long)start);
	put(dir, "stat", buf, strlen(buf));
}

/* one fake process: stat, status, comm, exe, cwd, cmdline */
static void fake_proc(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm,
		      const char *exe, const char *cmdline, size_t cmdlen)
{
	char dir[128], buf[256], link[256];

	snprintf(dir, sizeof(dir), "%s/%u", f->root, pid);
	mkdir(dir, 0755);
	fake_stat(f, pid, ppid, comm, start_of(pid));
	snprintf(buf, sizeof(buf), "Name:\t%s\nPPid:\t%u\nUid:\t1000\t1000\t1000\t1000\n", comm, ppid);
	put(dir, "status", buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%s\n", comm);
	put(dir, "comm", buf, strlen(buf));
	put(dir, "cmdline", cmdline, cmdlen);
	snprintf(link, sizeof(link), "%s/exe", dir);
	assert_int_equal(symlink(exe, link), 0);
	snprintf(link, sizeof(link), "%s/cwd", dir);
	assert_int_equal(symlink("/home/dev", link), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->root, "/tmp/agentmon-test-procXXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->cache = proc_cache_new();
	f->agents = agents_new_default();
	f->tagger = (struct tagger){ .cache = f->cache, .agents = f->agents,
		.procfs = f->root, .self_pid = 999, .write = write_tag, .write_arg = f,
		.unwrite = unwrite_tag, .held = held, .unwatched = unwatched };
	/* 100 bash; 200 claude (agent) -> 201 sh -> 202 git; 201 -> 203 claude (nested);
	 * 300 node running claude-code's cli.js (agent); 400 python3 (not an agent);
	 * 999 the collector, whose exe is named like an agent */
	fake_proc(f, 100, 1, "bash", "/usr/bin/bash", "bash", 5);
	fake_proc(f, 200, 100, "claude", "/opt/claude/claude", "claude\0--resume", 16);
	fake_proc(f, 201, 200, "sh", "/usr/bin/dash", "sh\0-c\0git push", 15);
	fake_proc(f, 202, 201, "git", "/usr/bin/git", "git\0push", 9);
	fake_proc(f, 203, 201, "claude", "/opt/claude/claude", "claude", 7);
	fake_proc(f, 300, 100, "node", "/usr/bin/node",
		  "node\0/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js", 60);
	fake_proc(f, 400, 100, "python3", "/usr/bin/python3.11", "python3\0/srv/manage.py", 23);
	fake_proc(f, 999, 1, "claude", "/opt/claude/claude", "claude", 7);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	assert_int_equal(system(cmd), 0);
	proc_cache_free(f->cache);
	agents_free(f->agents);
	free(f);
	return 0;
}

static int find(struct fixture *f, uint32_t pid)
{
	for (int i = 0; i < f->n; i++)
		if (f->pid[i] == pid)
			return i;
	return -1;
}

static void test_scan_tags_roots_and_trees(void **state)
{
	struct fixture *f = *state;
	uint32_t claude = agents_intern(f->agents, "claude");
	uint32_t tree[] = { 200, 201, 202, 203 };
	int i;

	assert_int_equal(tagger_scan(&f->tagger), 2);
	assert_int_equal(f->n, 5);
	for (size_t k = 0; k < 4; k++) {
		i = find(f, tree[k]);
		assert_true(i >= 0);
		assert_int_equal(f->agent_pid[i], 200); /* nested claude stays in 200's tree */
		assert_int_equal(f->agent_id[i], claude);
	}
	i = find(f, 300);
	assert_true(i >= 0);
	assert_int_equal(f->agent_pid[i], 300);
	assert_int_equal(find(f, 100), -1);
	assert_int_equal(find(f, 400), -1);
	assert_int_equal(find(f, 999), -1); /* never the collector */
	/* the cache learnt the tagged processes from the fake procfs */
	struct proc_info *pi = proc_cache_get(f->cache, 202);
	assert_non_null(pi);
	assert_int_equal(pi->ppid, 201);
	assert_int_equal(pi->agent_pid, 200);
	assert_string_equal(pi->exe, "/usr/bin/git");
}

static void test_tag_tree_from_launch(void **state)
{
	struct fixture *f = *state;
	uint32_t id = agents_intern(f->agents, "forum-bot");

	assert_int_equal(tagger_tag_tree(&f->tagger, 100, 100, id), 7);
	assert_true(find(f, 400) >= 0);
	assert_int_equal(f->agent_pid[find(f, 202)], 100);
	assert_int_equal(find(f, 999), -1);
}

/* a candidate exec is matched on its filename as given, then on the file
 * the kernel resolved it to (a link into Claude Code's versions directory) */
static void test_match_exec_resolved(void **state)
{
	struct fixture *f = *state;
	uint32_t claude = agents_intern(f->agents, "claude");

	fake_proc(f, 500, 100, "claude", "/home/u/.local/share/claude/versions/2.1.197",
		  "c", 2);
	assert_int_equal(tagger_match_exec(&f->tagger, 500, "/home/u/bin/c", "c", 2, 1), claude);
	assert_int_equal(tagger_match_exec(&f->tagger, 400, "/home/u/bin/c", "c", 2, 1),
			 AM_AGENT_NONE);
	assert_int_equal(tagger_match_exec(&f->tagger, 777, "/home/u/bin/c", "c", 2, 1),
			 AM_AGENT_NONE); /* gone */
	assert_int_equal(tagger_match_exec(&f->tagger, 777, "/x/claude/versions/1.0.3", "c", 2, 1),
			 claude);
	f->tagger.procfs = NULL; /* a replay: the given name only */
	assert_int_equal(tagger_match_exec(&f->tagger, 500, "/home/u/bin/c", "c", 2, 1),
			 AM_AGENT_NONE);
	f->tagger.procfs = f->root;
}

static void test_cmdline(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	uint32_t argc;

	assert_int_equal(tagger_read_cmdline(f->root, 201, buf, sizeof(buf), &argc), 15);
	assert_int_equal(argc, 3);
	assert_string_equal(buf + 6, "git push");
	assert_int_equal(tagger_read_cmdline(f->root, 4242, buf, sizeof(buf), &argc), 0);
	/* cut short: still NUL-terminated */
	assert_int_equal(tagger_read_cmdline(f->root, 300, buf, 10, &argc), 10);
	assert_int_equal(buf[9], '\0');
	assert_int_equal(argc, 2);
}

/* the kernel's tag carries the start time /proc shows, in boot ns */
static void test_tags_carry_start_time(void **state)
{
	struct fixture *f = *state;
	uint64_t ns;

	assert_int_equal(tagger_tag_tree(&f->tagger, 202, 202, 0), 1);
	assert_int_equal(f->start_ns[0], start_of(202) * tick_ns());
	assert_int_equal(tagger_start_ns(f->root, 202, &ns), 0);
	assert_int_equal(ns, start_of(202) * tick_ns());
	assert_int_equal(tagger_start_ns(f->root, 4242, &ns), -ENOENT);
	assert_int_equal(f->n_unwatched, 0); /* a launch: its past is not unwatched */
}

/* a pid that is gone before the write is never tagged */
static void test_dead_pid_not_tagged(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tagger_tag_tree(&f->tagger, 4242, 4242, 0), -ESRCH);
	assert_int_equal(f->n, 0);
	assert_null(proc_cache_get(f->cache, 4242));
}

/* a process that dies while it is being tagged is untagged again */
static void test_death_during_write_untags(void **state)
{
	struct fixture *f = *state;
	struct proc_info *pi;

	f->die_on_write = 202;
	assert_int_equal(tagger_tag_tree(&f->tagger, 200, 200, 0), 3); /* 200 201 203 */
	assert_int_equal(f->n_unwritten, 1);
	assert_int_equal(f->unwritten[0], 202);
	assert_int_equal(f->unwritten_start[0], start_of(202) * tick_ns());
	pi = proc_cache_get(f->cache, 202);
	assert_true(!pi || pi->agent_id == AM_AGENT_NONE);
}

/* a pid that runs another process once tagged (reused) is untagged again */
static void test_reuse_during_write_untags(void **state)
{
	struct fixture *f = *state;

	f->reuse_on_write = 100;
	assert_int_equal(tagger_tag_tree(&f->tagger, 100, 100, 0), -ESRCH);
	assert_int_equal(f->n_unwritten, 1);
	assert_int_equal(f->unwritten[0], 100);
}

static void test_stale(void **state)
{
	struct fixture *f = *state;
	struct tag_entry t = { .tgid = 201, .start_ns = start_of(201) * tick_ns() + 12345 };

	assert_false(tagger_stale(f->root, &t)); /* ns in the kernel, ticks in /proc */
	t.start_ns += 3 * tick_ns();
	assert_true(tagger_stale(f->root, &t)); /* reused */
	t.start_ns = 0;
	assert_false(tagger_stale(f->root, &t)); /* unknown: alive is enough */
	t.tgid = 4242;
	assert_true(tagger_stale(f->root, &t)); /* gone */
}

/* a /proc read that fails but for ENOENT (EMFILE, here EISDIR) proves nothing:
 * the tag stays (a sweep out of fds untagged live agents) */
static void test_stale_unreadable_kept(void **state)
{
	struct fixture *f = *state;
	struct tag_entry t = { .tgid = 777, .start_ns = 5 };
	char dir[512];
	uint64_t ns;

	snprintf(dir, sizeof(dir), "%s/777", f->root);
	assert_int_equal(mkdir(dir, 0700), 0);
	strcat(dir, "/stat");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tagger_start_ns(f->root, 777, &ns), -EISDIR);
	assert_false(tagger_stale(f->root, &t));
	assert_int_equal(tagger_sweep(&f->tagger, &t, 1), 0);
	assert_int_equal(f->n_unwritten, 0);
}

static void test_sweep(void **state)
{
	struct fixture *f = *state;
	struct tag_entry v[] = {
		{ .tgid = 200, .agent_pid = 200, .start_ns = start_of(200) * tick_ns() },
		{ .tgid = 4242, .agent_pid = 200, .start_ns = 5 * tick_ns() },
		{ .tgid = 201, .agent_pid = 200, .start_ns = 7 * tick_ns() },
	};

	proc_cache_upsert(f->cache, 4242)->agent_pid = 200;
	assert_int_equal(tagger_sweep(&f->tagger, v, 3), 2);
	assert_int_equal(f->n_unwritten, 2);
	assert_true(in(f->unwritten, 2, 4242) && in(f->unwritten, 2, 201));
	assert_null(proc_cache_get(f->cache, 4242)); /* status shows no dead agent */
}

/* the scan leaves what the kernel tags already and reports what it tags */
static void test_scan_skips_held_reports_unwatched(void **state)
{
	struct fixture *f = *state;

	f->held[f->n_held++] = 203;
	f->held[f->n_held++] = 300;
	assert_int_equal(tagger_scan(&f->tagger), 2);
	assert_int_equal(f->n, 3);
	assert_int_equal(find(f, 203), -1);
	assert_int_equal(find(f, 300), -1);
	assert_int_equal(f->n_unwatched, 3);
	assert_true(in(f->unwatched, 3, 200) && in(f->unwatched, 3, 201) &&
		    in(f->unwatched, 3, 202));
}

static bool find_200(void *arg, uint32_t tgid, struct tag_entry *out)
{
	(void)arg;
	if (tgid != 200)
		return false;
	*out = (struct tag_entry){ .tgid = 200, .agent_pid = 200, .agent_id = 7 };
	return true;
}

/* after a restart: children forked while nobody watched get their ancestor's tag */
static void test_adopt_children(void **state)
{
	struct fixture *f = *state;

	f->held[f->n_held++] = 200;
	assert_int_equal(tagger_adopt_children(&f->tagger, find_200, NULL), 3);
	for (uint32_t pid = 201; pid <= 203; pid++) {
		int i = find(f, pid);

		assert_true(i >= 0);
		assert_int_equal(f->agent_pid[i], 200);
		assert_int_equal(f->agent_id[i], 7);
	}
	assert_int_equal(find(f, 100), -1);
	assert_int_equal(find(f, 300), -1);
	assert_int_equal(f->n_unwatched, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_match_exec_resolved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags_carry_start_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_pid_not_tagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_death_during_write_untags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_during_write_untags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_unreadable_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_skips_held_reports_unwatched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_adopt_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_tags_roots_and_trees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_tree_from_launch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
