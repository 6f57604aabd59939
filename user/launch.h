/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* launch.h - `agentmon launch`: get this process tagged, then become CMD. */
#ifndef AGENTMON_LAUNCH_H
#define AGENTMON_LAUNCH_H

/*
 * launch_exec - ask the collector on sock to tag this process as agent,
 * then execvp(cmd).  Returns only on failure, with the exit status to use:
 * 1 when no collector tagged us, 126/127 when cmd cannot be run.
 */
int launch_exec(const char *sock, const char *agent, char **cmd);

#endif
