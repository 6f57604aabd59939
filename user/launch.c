// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* launch.c - `agentmon launch`: tag this process, then exec the command. */
#include <errno.h>
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

	snprintf(line, sizeof(line), LAUNCH_VERB "%s", agent);
	if (control_call(sock, line, reply, sizeof(reply), err, sizeof(err))) {
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

int launch_serve(struct agents *agents, struct tagger *tg, const struct ucred *peer,
		 const char *line, char *reply, size_t len)
{
	const char *name = line + strlen(LAUNCH_VERB);
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
	if (peer->pid <= 0 || (pid_t)peer->pid == getpid() ||
	    (id = agents_intern(agents, name)) == AM_AGENT_NONE) {
		snprintf(reply, len, "error cannot tag pid %d", (int)peer->pid);
		return 0;
	}
	ret = tagger_tag_tree(tg, (uint32_t)peer->pid, (uint32_t)peer->pid, id);
	if (ret < 0) {
		snprintf(reply, len, "error tagging pid %d: %s", (int)peer->pid, strerror(-ret));
		return 0;
	}
	snprintf(reply, len, "ok %d", (int)peer->pid);
	return (int)peer->pid;
}
