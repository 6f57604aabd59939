// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* launch.c - `agentmon launch`: tag this process, then exec the command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents.h"
#include "common.h"
#include "control.h"
#include "launch.h"
#include "tag.h"

#define LAUNCH_VERB "launch "
#define LAUNCH_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

int launch_exec(const char *sock, const char *agent, char **cmd)
{
	char line[CONTROL_LINE_MAX], reply[CONTROL_LINE_MAX], err[512];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int ret;

	snprintf(line, sizeof(line), LAUNCH_VERB "%s", agent);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old); /* a collector that closed on us is a message */
	ret = control_call(sock, line, reply, sizeof(reply), err, sizeof(err));
	sigaction(SIGPIPE, &old, NULL); /* cmd gets the disposition we were given */
	if (ret) {
		am_err("launch: %s", err);
		return AM_EXIT_RUNTIME;
	}
	/* the collector tags the pid the kernel gave it: ours, which cmd keeps */
	if (strncmp(reply, "ok ", 3) || atoi(reply + 3) != getpid()) {
		am_err("launch: the collector refused to tag %s: %s", agent,
		       strncmp(reply, "error ", 6) ? reply : reply + 6);
		return AM_EXIT_RUNTIME;
	}
	execvp(cmd[0], cmd);
	am_err("launch: cannot run '%s': %s", cmd[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

bool launch_peer_alive(int pidfd, pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pidfd < 0 || pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "Pid:\tN": -1 once the process exited; absent when fd is no pidfd */
	p = strstr(buf, "\nPid:\t");
	return p && strtol(p + 6, NULL, 10) == (long)pid;
}

/* whether pid holds a live tag of another agent than want: its name into who */
static bool tagged_as_other(const struct agents *agents, struct tagger *tg, uint32_t pid,
			    const char *want, char *who, size_t len)
{
	struct tag_entry e;
	const char *name;

	if (!tg->lookup || tg->lookup(tg->write_arg, pid, &e) ||
	    (tg->procfs && tagger_stale(tg->procfs, &e)))
		return false;
	name = agents_name(agents, e.agent_id);
	if (name && !strcmp(name, want))
		return false;
	snprintf(who, len, "%s", name ? name : "?");
	return true;
}

/* tag peer's tree as id: the pidfd says peer is alive before and after */
static int tag_peer(struct tagger *tg, const struct control_peer *peer, uint32_t id)
{
	uint32_t pid = (uint32_t)peer->cred.pid;
	struct tag_entry e = { .tgid = pid };
	int ret = tagger_tag_tree(tg, pid, pid, id);

	if (ret < 0 || launch_peer_alive(peer->pidfd, peer->cred.pid))
		return ret;
	/* it exited meanwhile: the tag may be a newcomer's with its pid */
	if (tg->unwrite && !tagger_start_ns(tg->procfs, pid, &e.start_ns))
		tg->unwrite(tg->write_arg, &e);
	return -ESRCH;
}

/* the agent ids live processes use (alive by kill(2): an exit not read yet does not count) */
struct in_use {
	uint8_t *used;
	size_t n;
};

static int mark_used(struct proc_info *p, void *arg)
{
	struct in_use *u = arg;

	if (p->agent_id < u->n && !(kill((pid_t)p->pid, 0) && errno == ESRCH))
		u->used[p->agent_id] = 1;
	return 0;
}

static bool id_busy(void *arg, uint32_t id)
{
	const struct in_use *u = arg;

	return !u->used || id >= u->n || u->used[id];
}

/* name's id for a launch: the table bounded, names of no live process recycled */
static uint32_t launch_id(struct agents *agents, struct tagger *tg, const char *name)
{
	struct in_use u = { .n = agents_count(agents) };
	uint32_t id;

	u.used = calloc(u.n ? u.n : 1, 1);
	if (u.used && tg->cache)
		proc_cache_each(tg->cache, mark_used, &u);
	id = agents_intern_launched(agents, name, AGENTS_LAUNCHED_MAX, id_busy, &u);
	free(u.used);
	return id;
}

int launch_serve(struct agents *agents, struct tagger *tg, const struct control_peer *peer,
		 const char *line, char *reply, size_t len)
{
	const char *name = line + strlen(LAUNCH_VERB);
	pid_t pid = peer->cred.pid;
	char other[AM_NAME_MAX];
	size_t new_name;
	uint64_t refused;
	uint32_t id;
	int ret;

	if (strncmp(line, LAUNCH_VERB, strlen(LAUNCH_VERB))) {
		snprintf(reply, len, "error unknown request");
		return 0;
	}
	if (!*name || strlen(name) >= AM_NAME_MAX || strspn(name, LAUNCH_NAME_CHARS) != strlen(name)) {
		snprintf(reply, len, "error agent name must be 1-63 of [A-Za-z0-9._-]");
		return 0;
	}
	if (pid <= 0 || pid == getpid()) {
		snprintf(reply, len, "error cannot tag pid %d", (int)pid);
		return 0;
	}
	if (!launch_peer_alive(peer->pidfd, pid)) {
		snprintf(reply, len, "error pid %d is not the process that connected (gone?)",
			 (int)pid);
		return 0;
	}
	/* refused before the name is interned: a refusal leaves no name behind */
	if (tagged_as_other(agents, tg, (uint32_t)pid, name, other, sizeof(other))) {
		snprintf(reply, len, "error pid %d is already tagged as agent %s", (int)pid, other);
		return 0;
	}
	new_name = agents_count(agents);
	refused = agents_refused(agents);
	if ((id = launch_id(agents, tg, name)) == AM_AGENT_NONE) {
		if (agents_refused(agents) != refused)
			snprintf(reply, len, "error too many agent names in use (%d launched names, "
				 "each with a live process)", AGENTS_LAUNCHED_MAX);
		else
			snprintf(reply, len, "error cannot tag pid %d", (int)pid);
		return 0;
	}
	if ((ret = tag_peer(tg, peer, id)) < 0) {
		if (id == new_name)
			agents_forget_newest(agents, id);
		snprintf(reply, len, "error tagging pid %d: %s", (int)pid, strerror(-ret));
		return 0;
	}
	snprintf(reply, len, "ok %d", (int)pid);
	return (int)pid;
}
