// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_launch.c - the collector's side of the launch protocol: bad
 * requests are refused with a reply, before anything is tagged; the peer
 * is checked alive through its pidfd; an agent cannot relabel itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agents.h"
#include "launch.h"
#include "proc_cache.h"
#include "tag.h"

static void refused(const char *line, pid_t pid, const char *want)
{
	struct agents *a = agents_new();
	struct control_peer peer = { .cred = { .pid = pid }, .pidfd = -1 };
	char reply[128];
	size_t n;

	assert_non_null(a);
	n = agents_count(a);
	/* no tagger: a request that got as far as tagging would crash */
	assert_int_equal(launch_serve(a, NULL, &peer, line, reply, sizeof(reply)), 0);
	assert_string_equal(reply, want);
	assert_int_equal(agents_count(a), n);   /* no name added */
	agents_free(a);
}

static void test_refused(void **state)
{
	char self[64];

	(void)state;
	refused("tag me", 4242, "error unknown request");
	refused("launch ", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch a/b", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch a b", 4242, "error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 4242,
		"error agent name must be 1-63 of [A-Za-z0-9._-]");
	refused("launch claude", 0, "error cannot tag pid 0");
	snprintf(self, sizeof(self), "error cannot tag pid %d", (int)getpid());
	refused("launch claude", getpid(), self);   /* the collector itself */
	/* no pidfd: the pid cannot be shown to be the process that connected */
	snprintf(self, sizeof(self), "error pid %d is not the process that connected (gone?)",
		 (int)getppid());
	refused("launch claude", getppid(), self);
}

/* a child that waits to be killed, and its pidfd */
static pid_t child(int *pidfd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		pause();
		_exit(0);
	}
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(*pidfd >= 0);
	return pid;
}

static void test_peer_alive(void **state)
{
	int pidfd;
	pid_t pid = child(&pidfd);

	(void)state;
	assert_true(launch_peer_alive(pidfd, pid));
	assert_false(launch_peer_alive(pidfd, pid + 1));  /* another pid: not this process */
	assert_false(launch_peer_alive(-1, pid));
	assert_false(launch_peer_alive(STDIN_FILENO, pid)); /* not a pidfd */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_false(launch_peer_alive(pidfd, pid));       /* exited: its pid is free */
	close(pidfd);
}

/* the kernel's tags, as the tagger's callbacks see them: one entry */
static struct tag_entry held;
static int writes;

static int lookup_stub(void *arg, uint32_t tgid, struct tag_entry *out)
{
	if (tgid != held.tgid)
		return -ENOENT;
	*out = held;
	return 0;
}

static int write_stub(void *arg, const struct tag_entry *t)
{
	writes++;
	held = *t;
	return 0;
}

static void test_no_relabel(void **state)
{
	struct agents *a = agents_new();
	struct proc_cache *pc = proc_cache_new();
	struct tagger tg = { .cache = pc, .agents = a, .procfs = "/proc", .write = write_stub,
			     .lookup = lookup_stub };
	struct control_peer peer;
	char reply[128], want[128];
	uint32_t first;

	(void)state;
	assert_non_null(a);
	assert_non_null(pc);
	peer.cred.pid = child(&peer.pidfd);
	first = agents_intern(a, "first");
	held = (struct tag_entry){ .tgid = (uint32_t)peer.cred.pid, .agent_id = first };
	assert_int_equal(tagger_start_ns("/proc", held.tgid, &held.start_ns), 0);
	/* tagged as "first": "launch second" is refused, nothing written */
	assert_int_equal(launch_serve(a, &tg, &peer, "launch second", reply, sizeof(reply)), 0);
	snprintf(want, sizeof(want), "error pid %d is already tagged as agent first",
		 (int)peer.cred.pid);
	assert_string_equal(reply, want);
	assert_int_equal(writes, 0);
	/* a refusal interns no name: one name per refused launch would grow the table */
	assert_int_equal(agents_count(a), 1);
	/* the same agent again is fine */
	assert_int_equal(launch_serve(a, &tg, &peer, "launch first", reply, sizeof(reply)),
			 peer.cred.pid);
	assert_int_equal(writes, 1);
	/* a dead peer is refused */
	kill(peer.cred.pid, SIGKILL);
	waitpid(peer.cred.pid, NULL, 0);
	held.tgid = 0;
	assert_int_equal(launch_serve(a, &tg, &peer, "launch first", reply, sizeof(reply)), 0);
	assert_non_null(strstr(reply, "is not the process that connected"));
	close(peer.pidfd);
	proc_cache_free(pc);
	agents_free(a);
}

/* the table of launched names is bounded: with every one held by a live process a new
 * name is refused with the reason, nothing written; a name whose process is gone is
 * given to the next new name (its id kept) */
static void test_names_bounded(void **state)
{
	struct agents *a = agents_new();
	struct proc_cache *pc = proc_cache_new();
	struct tagger tg = { .cache = pc, .agents = a, .procfs = "/proc", .write = write_stub,
			     .lookup = lookup_stub };
	struct control_peer peer;
	pid_t pids[AGENTS_LAUNCHED_MAX];
	char reply[128], name[32];

	(void)state;
	assert_true(a && pc);
	/* a live process (a child of ours that waits) for each launched name */
	for (uint32_t i = 0; i < AGENTS_LAUNCHED_MAX; i++) {
		if (!(pids[i] = fork())) {
			pause();
			_exit(0);
		}
		assert_true(pids[i] > 0);
		snprintf(name, sizeof(name), "n%u", i);
		proc_cache_upsert(pc, (uint32_t)pids[i])->agent_id = agents_intern(a, name);
	}
	held.tgid = 0;
	writes = 0;
	peer.cred.pid = child(&peer.pidfd);
	assert_int_equal(launch_serve(a, &tg, &peer, "launch newname", reply, sizeof(reply)), 0);
	assert_non_null(strstr(reply, "error too many agent names in use"));
	assert_int_equal(agents_count(a), AGENTS_LAUNCHED_MAX);
	assert_int_equal(writes, 0);
	/* n5's process is gone (its exit not read yet): newname takes its id */
	kill(pids[5], SIGKILL);
	waitpid(pids[5], NULL, 0);
	assert_int_equal(launch_serve(a, &tg, &peer, "launch newname", reply, sizeof(reply)),
			 peer.cred.pid);
	assert_string_equal(agents_name(a, 5), "newname");
	assert_int_equal(agents_count(a), AGENTS_LAUNCHED_MAX);
	assert_int_equal(agents_renames(a), 1);
	for (uint32_t i = 0; i < AGENTS_LAUNCHED_MAX; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	kill(peer.cred.pid, SIGKILL);
	waitpid(peer.cred.pid, NULL, 0);
	close(peer.pidfd);
	proc_cache_free(pc);
	agents_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused), cmocka_unit_test(test_peer_alive),
		cmocka_unit_test(test_no_relabel), cmocka_unit_test(test_names_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
