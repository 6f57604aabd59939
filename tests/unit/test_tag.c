// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_tag.c - /proc scan and process trees, over a fake procfs tree. */
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
	int n;
};

static int write_tag(void *arg, uint32_t tgid, uint32_t agent_pid, uint32_t agent_id)
{
	struct fixture *f = arg;

	assert_true(f->n < MAX_TAGS);
	f->pid[f->n] = tgid;
	f->agent_pid[f->n] = agent_pid;
	f->agent_id[f->n++] = agent_id;
	return 0;
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

/* one fake process: stat, status, comm, exe, cwd, cmdline */
static void fake_proc(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm,
		      const char *exe, const char *cmdline, size_t cmdlen)
{
	char dir[128], buf[256], link[256];

	snprintf(dir, sizeof(dir), "%s/%u", f->root, pid);
	mkdir(dir, 0755);
	snprintf(buf, sizeof(buf), "%u (%s) S %u %u %u 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n",
		 pid, comm, ppid, pid, pid);
	put(dir, "stat", buf, strlen(buf));
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
		.procfs = f->root, .self_pid = 999, .write = write_tag, .write_arg = f };
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_tags_roots_and_trees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_tree_from_launch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
