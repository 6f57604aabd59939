// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_proc_cache.c - the pid table, and loading from a fake procfs and /proc/self. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc_cache.h"

static char root[PATH_MAX];

static void put(const char *pid, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *pid, const char *name, const char *target)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s/%s", root, pid, name);
	assert_int_equal(symlink(target, path), 0);
}

static int mkroot(void **state)
{
	snprintf(root, sizeof(root), "/tmp/am-procfs-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* comm with spaces and ')' */
	put("42", "stat", "42 (we) ird) x) S 7 42 42 0 -1 4194304 1 2 3 4 5 6 7 8 20 0 1 0 "
			  "987654 1000 10 18446744073709551615\n");
	put("42", "status", "Name:\twe) ird) x\nState:\tS\nPid:\t42\nPPid:\t7\n"
			    "Uid:\t1001\t1002\t1003\t1004\nGid:\t5\t5\t5\t5\n");
	put("42", "comm", "we) ird) x\n");
	link_to("42", "exe", "/opt/claude/bin/claude (deleted)");
	link_to("42", "cwd", "/home/u/project");
	/* a kernel-thread-like entry: no exe, no cwd, no comm file */
	put("2", "stat", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
	/* a bad stat */
	put("9", "stat", "9 garbage\n");
	return 0;
}

static int rmroot(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_table(void **state)
{
	struct proc_cache *c = proc_cache_new();
	struct proc_info *p;

	assert_non_null(c);
	assert_null(proc_cache_get(c, 1));
	for (uint32_t pid = 1; pid <= 5000; pid++) {
		p = proc_cache_upsert(c, pid);
		assert_non_null(p);
		assert_int_equal(p->agent_id, AM_AGENT_NONE);
		p->ppid = pid * 3;
	}
	assert_int_equal(proc_cache_count(c), 5000);
	p = proc_cache_get(c, 77);
	assert_ptr_equal(proc_cache_upsert(c, 77), p); /* upsert finds the existing */
	assert_int_equal(proc_info_set(&p->exe, "/bin/x"), 0);
	assert_string_equal(p->exe, "/bin/x");
	assert_int_equal(proc_info_set(&p->exe, NULL), 0);
	assert_null(p->exe);
	assert_int_equal(proc_info_set(&p->cwd, "/"), 0);
	for (uint32_t pid = 1; pid <= 5000; pid += 2)
		proc_cache_remove(c, pid);
	proc_cache_remove(c, 999999);
	assert_int_equal(proc_cache_count(c), 2500);
	for (uint32_t pid = 1; pid <= 5000; pid++) {
		p = proc_cache_get(c, pid);
		if (pid % 2) {
			assert_null(p);
		} else {
			assert_non_null(p);
			assert_int_equal(p->ppid, pid * 3);
		}
	}
	proc_cache_free(c);
}

static int count_cb(struct proc_info *p, void *arg)
{
	(*(int *)arg)++;
	return p->pid == 3 ? 7 : 0;
}

static int remove_cb(struct proc_info *p, void *arg)
{
	proc_cache_remove(arg, p->pid);
	return 0;
}

static void test_each(void **state)
{
	struct proc_cache *c = proc_cache_new();
	int n = 0;

	for (uint32_t pid = 1; pid <= 10; pid++)
		proc_cache_upsert(c, pid);
	assert_int_equal(proc_cache_each(c, count_cb, &n), 7);
	assert_true(n >= 1 && n <= 10);
	assert_int_equal(proc_cache_each(c, remove_cb, c), 0);
	assert_int_equal(proc_cache_count(c), 0);
	proc_cache_free(c);
}

static void test_load_fake(void **state)
{
	struct proc_cache *c = proc_cache_new();
	struct proc_info *p;

	assert_int_equal(proc_cache_load(c, root, 42), 0);
	p = proc_cache_get(c, 42);
	assert_non_null(p);
	assert_int_equal(p->ppid, 7);
	assert_int_equal(p->uid, 1001);
	assert_int_equal(p->start_time, 987654);
	assert_string_equal(p->comm, "we) ird) x");
	assert_string_equal(p->exe, "/opt/claude/bin/claude (deleted)");
	assert_string_equal(p->cwd, "/home/u/project");
	assert_int_equal(p->agent_id, AM_AGENT_NONE);

	assert_int_equal(proc_cache_load(c, root, 2), 0);
	p = proc_cache_get(c, 2);
	assert_string_equal(p->comm, "kthreadd"); /* from stat when no comm file */
	assert_null(p->exe);
	assert_null(p->cwd);
	assert_int_equal(p->ppid, 0);
	assert_int_equal(p->start_time, 5);

	assert_int_equal(proc_cache_load(c, root, 9), -ENOENT);
	assert_int_equal(proc_cache_load(c, root, 12345), -ENOENT);
	assert_null(proc_cache_get(c, 12345));
	proc_cache_free(c);
}

static void test_load_self(void **state)
{
	struct proc_cache *c = proc_cache_new();
	char cwd[PATH_MAX], exe[PATH_MAX];
	struct proc_info *p;
	ssize_t n;

	assert_int_equal(proc_cache_load(c, "/proc", (uint32_t)getpid()), 0);
	p = proc_cache_get(c, (uint32_t)getpid());
	assert_non_null(p);
	assert_int_equal(p->ppid, getppid());
	assert_int_equal(p->uid, getuid());
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_equal(p->cwd, cwd);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(p->exe, exe);
	assert_true(p->start_time > 0);
	assert_true(strlen(p->comm) > 0);
	proc_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_load_fake),
		cmocka_unit_test(test_load_self),
	};

	return cmocka_run_group_tests(tests, mkroot, rmroot);
}
