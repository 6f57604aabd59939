// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_enrich.c - the tag-and-enrich stage: paths, pairing, candidates, cache. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

#define MAX_OUT 8

struct fixture {
	struct proc_cache *cache;
	struct agents *agents;
	struct tagger tagger;
	struct enrich enrich;
	struct event out[MAX_OUT];
	char out_path[MAX_OUT][256];
	int n_out;
	uint32_t tagged_pid, tagged_agent;
	int n_tags;
};

static void record(void *arg, struct event *ev)
{
	struct fixture *f = arg;

	assert_true(f->n_out < MAX_OUT);
	if (ev->type >= AM_EV_OPEN && ev->type <= AM_EV_CHMOD && ev->file.path)
		snprintf(f->out_path[f->n_out], sizeof(f->out_path[0]), "%s", ev->file.path);
	f->out[f->n_out++] = *ev;
}

static int write_tag(void *arg, const struct tag_entry *t)
{
	struct fixture *f = arg;

	f->tagged_pid = t->tgid;
	f->tagged_agent = t->agent_id;
	f->n_tags++;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->cache = proc_cache_new();
	f->agents = agents_new_default();
	f->tagger = (struct tagger){ .cache = f->cache, .agents = f->agents,
		.procfs = "/nonexistent-procfs", .self_pid = 1, .write = write_tag, .write_arg = f };
	enrich_init(&f->enrich, &f->tagger, 1000, record, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	proc_cache_free(f->cache);
	agents_free(f->agents);
	free(f);
	return 0;
}

static struct event tagged_event(uint32_t type, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.pid = pid;
	ev.tid = tid;
	ev.ts_ns = ts;
	ev.agent_id = 0;
	ev.agent_pid = pid;
	strcpy(ev.comm, "bot");
	return ev;
}

static void test_abspath(void **state)
{
	char out[256];

	(void)state;
	assert_string_equal(enrich_abspath("/a/b", "c", out, sizeof(out)), "/a/b/c");
	assert_string_equal(enrich_abspath("/a/b", "../c", out, sizeof(out)), "/a/c");
	assert_string_equal(enrich_abspath("/", "../../x", out, sizeof(out)), "/x");
	assert_string_equal(enrich_abspath("/a", "./x/./y//z/", out, sizeof(out)), "/a/x/y/z");
	assert_string_equal(enrich_abspath("/a/b", "..", out, sizeof(out)), "/a");
	assert_string_equal(enrich_abspath("/a", "..", out, sizeof(out)), "/");
	assert_string_equal(enrich_abspath("/a/b", "/etc/passwd", out, sizeof(out)), "/etc/passwd");
	assert_string_equal(enrich_abspath(NULL, "rel", out, sizeof(out)), "rel");
	/* too long for the buffer: cut, never overflowed */
	char small[8];
	const char *r = enrich_abspath("/abcdef", "ghijkl", small, sizeof(small));
	assert_true(strlen(r) < sizeof(small));
}

static void test_relative_file_path(void **state)
{
	struct fixture *f = *state;
	struct event ev = tagged_event(AM_EV_OPEN, 10, 10, 5);

	ev.file.path = "out/x.txt";
	ev.file.base = "/home/dev/proj";
	enrich_event(&f->enrich, &ev);
	assert_int_equal(f->n_out, 1);
	assert_string_equal(f->out_path[0], "/home/dev/proj/out/x.txt");
	assert_int_equal(f->out[0].ts_ns, 1005); /* boot -> wall */
	assert_string_equal(f->out[0].agent, agents_name(f->agents, 0));
}

static void test_relative_path_falls_back_to_cwd(void **state)
{
	struct fixture *f = *state;
	struct proc_info *pi = proc_cache_upsert(f->cache, 11);
	struct event ev = tagged_event(AM_EV_UNLINK, 11, 11, 5);

	proc_info_set(&pi->cwd, "/tmp/w");
	ev.file.path = "../f";
	enrich_event(&f->enrich, &ev);
	assert_int_equal(f->n_out, 1);
	assert_string_equal(f->out_path[0], "/tmp/f");
}

static struct event net_event(bool pre, uint32_t tid, uint64_t ts, int64_t ret)
{
	struct event ev = tagged_event(AM_EV_CONNECT, 20, tid, ts);

	ev.net.family = 2;
	ev.net.proto = 6;
	ev.net.dport = 443;
	memcpy(ev.net.daddr, "\x7f\x00\x00\x01", 4);
	ev.net.pre = pre;
	ev.net.has_ret = !pre;
	ev.net.ret = ret;
	return ev;
}

static void test_pre_and_ret_pair(void **state)
{
	struct fixture *f = *state;
	struct event pre = net_event(true, 21, 100, 0), ret = net_event(false, 21, 200, -111);

	pre.net.io_uring = true;
	enrich_event(&f->enrich, &pre);
	assert_int_equal(f->n_out, 0); /* held until the result */
	enrich_event(&f->enrich, &ret);
	assert_int_equal(f->n_out, 1);
	assert_true(f->out[0].net.has_ret);
	assert_int_equal(f->out[0].net.ret, -111);
	assert_true(f->out[0].net.io_uring);
	enrich_tick(&f->enrich, UINT64_MAX);
	assert_int_equal(f->n_out, 1); /* nothing left over */
}

static void test_pre_without_ret_times_out(void **state)
{
	struct fixture *f = *state;
	struct event pre = net_event(true, 22, 100, 0);

	enrich_event(&f->enrich, &pre);
	enrich_tick(&f->enrich, 100 + ENRICH_PENDING_NS - 1);
	assert_int_equal(f->n_out, 0);
	enrich_tick(&f->enrich, 100 + ENRICH_PENDING_NS);
	assert_int_equal(f->n_out, 1);
	assert_false(f->out[0].net.has_ret);
}

static void test_second_pre_flushes_first(void **state)
{
	struct fixture *f = *state;
	struct event a = net_event(true, 23, 100, 0), b = net_event(true, 23, 150, 0);

	b.net.dport = 80;
	enrich_event(&f->enrich, &a);
	enrich_event(&f->enrich, &b);
	assert_int_equal(f->n_out, 1);
	assert_int_equal(f->out[0].net.dport, 443);
}

static void test_ret_alone_and_mismatch(void **state)
{
	struct fixture *f = *state;
	struct event pre = net_event(true, 24, 100, 0), ret = net_event(false, 24, 120, 0);

	ret.net.dport = 8080; /* a different destination: both are reported */
	enrich_event(&f->enrich, &pre);
	enrich_event(&f->enrich, &ret);
	assert_int_equal(f->n_out, 2);
	assert_false(f->out[0].net.has_ret);
	assert_int_equal(f->out[1].net.dport, 8080);
	assert_true(f->out[1].net.has_ret);
}

static void test_untagged_never_emitted(void **state)
{
	struct fixture *f = *state;
	struct event ev = tagged_event(AM_EV_OPEN, 30, 30, 1);

	ev.agent_id = AM_AGENT_NONE;
	ev.agent_pid = 0;
	ev.file.path = "/etc/passwd";
	enrich_event(&f->enrich, &ev);
	assert_int_equal(f->n_out, 0);
	assert_null(proc_cache_get(f->cache, 30));
}

static struct event candidate(uint32_t pid, const char *filename, const char *argv,
			      size_t argv_len, uint32_t argc)
{
	struct event ev = tagged_event(AM_EV_EXEC, pid, pid, 1);

	ev.agent_id = AM_AGENT_NONE;
	ev.agent_pid = 0;
	ev.flags = AM_F_CANDIDATE;
	ev.exec.filename = filename;
	ev.exec.argv = argv;
	ev.exec.argv_len = argv_len;
	ev.exec.argc = argc;
	ev.exec.cwd = "/home/dev";
	return ev;
}

static void test_candidate_matching_is_tagged(void **state)
{
	struct fixture *f = *state;
	static const char argv[] = "node\0/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js";
	struct event ev = candidate(40, "/usr/bin/node", argv, sizeof(argv), 2);
	char root[] = "/tmp/agentmon-test-enrichXXXXXX", cmd[256];

	/* the tagger checks that pid 40 is alive before and after tagging it */
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "mkdir %s/40 && echo '40 (node) S 1 40 40 0 -1 0 0 0 0 0 0 0 0 "
		 "0 20 0 1 0 5 0' >%s/40/stat", root, root);
	assert_int_equal(system(cmd), 0);
	f->tagger.procfs = root;
	enrich_event(&f->enrich, &ev);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(f->n_out, 1);
	assert_string_equal(f->out[0].agent, "claude");
	assert_int_equal(f->out[0].agent_pid, 40);
	assert_int_equal(f->tagged_pid, 40);
	assert_string_equal(agents_name(f->agents, f->tagged_agent), "claude");
	assert_int_equal(proc_cache_get(f->cache, 40)->agent_pid, 40);
}

static void test_candidate_not_matching_is_dropped(void **state)
{
	struct fixture *f = *state;
	static const char argv[] = "python3\0/srv/app/manage.py";
	struct event ev = candidate(41, "/usr/bin/python3", argv, sizeof(argv), 2);

	enrich_event(&f->enrich, &ev);
	assert_int_equal(f->n_out, 0);
	assert_int_equal(f->n_tags, 0);
	assert_null(proc_cache_get(f->cache, 41));
}

static void test_fork_exec_exit_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct proc_info *parent = proc_cache_upsert(f->cache, 50);
	struct event fork = tagged_event(AM_EV_FORK, 51, 51, 1);
	struct event exit_ev = tagged_event(AM_EV_EXIT, 51, 51, 3);
	static const char argv[] = "ls\0-l";
	struct event exec = tagged_event(AM_EV_EXEC, 51, 51, 2);

	proc_info_set(&parent->exe, "/bin/bash");
	proc_info_set(&parent->cwd, "/w");
	fork.ppid = 50;
	enrich_event(&f->enrich, &fork);
	assert_int_equal(f->n_out, 0); /* fork is internal */
	assert_string_equal(proc_cache_get(f->cache, 51)->exe, "/bin/bash");
	exec.exec.filename = "../bin/ls";
	exec.exec.argv = argv;
	exec.exec.argv_len = sizeof(argv);
	exec.exec.argc = 2;
	exec.exec.cwd = "/usr/share";
	enrich_event(&f->enrich, &exec);
	assert_int_equal(f->n_out, 1);
	assert_string_equal(f->out[0].exe, "/usr/bin/ls");
	assert_int_equal(f->out[0].ppid, 50);
	assert_string_equal(proc_cache_get(f->cache, 51)->cwd, "/usr/share");
	enrich_event(&f->enrich, &exit_ev);
	assert_int_equal(f->n_out, 2);
	assert_int_equal(f->out[1].type, AM_EV_EXIT);
	assert_null(proc_cache_get(f->cache, 51));
}

static void test_exec_argv_secrets_redacted(void **state)
{
	struct fixture *f = *state;
	static const char argv[] = "curl\0-H\0Authorization: Bearer abcdefghijkl\0"
				   "https://x.example/?token=t0ps3cret";
	struct event ev = tagged_event(AM_EV_EXEC, 60, 60, 1);

	ev.exec.filename = "/usr/bin/curl";
	ev.exec.argv = argv;
	ev.exec.argv_len = sizeof(argv);
	ev.exec.argc = 4;
	enrich_event(&f->enrich, &ev);
	assert_int_equal(f->n_out, 1);
	assert_int_equal(f->out[0].exec.argc, 4);
	assert_null(memmem(f->out[0].exec.argv, f->out[0].exec.argv_len, "abcdefghijkl", 12));
	assert_null(memmem(f->out[0].exec.argv, f->out[0].exec.argv_len, "t0ps3cret", 9));
	assert_non_null(memmem(f->out[0].exec.argv, f->out[0].exec.argv_len,
			       "Authorization: Bearer [REDACTED]", 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abspath),
		cmocka_unit_test_setup_teardown(test_relative_file_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path_falls_back_to_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pre_and_ret_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pre_without_ret_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_pre_flushes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ret_alone_and_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untagged_never_emitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidate_matching_is_tagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidate_not_matching_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_exec_exit_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_argv_secrets_redacted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
