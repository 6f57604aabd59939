// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* launch.c - `agentmon launch`: tag this process, then exec the command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "control.h"
#include "launch.h"

int launch_exec(const char *sock, const char *agent, char **cmd)
{
	char line[CONTROL_LINE_MAX], reply[CONTROL_LINE_MAX], err[512];

	snprintf(line, sizeof(line), "launch %s", agent);
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
