/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* launch.h - `agentmon launch`: get this process tagged, then become CMD. */
#ifndef AGENTMON_LAUNCH_H
#define AGENTMON_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control.h"

struct agents;
struct tagger;

/*
 * The launch protocol, both sides: the client sends "launch NAME" on the
 * control socket; the collector tags the peer the kernel names (SO_PEERCRED)
 * and its tree as agent NAME and answers "ok PID", else "error REASON".
 */

/*
 * launch_exec - ask the collector on sock to tag this process as agent,
 * then execvp(cmd).  Returns only on failure, with the exit status to use:
 * 1 when no collector tagged us, 126/127 when cmd cannot be run.
 */
int launch_exec(const char *sock, const char *agent, char **cmd);

/*
 * launch_serve - the collector's side of one request line from peer: a
 * NAME of 1-63 of [A-Za-z0-9._-], interned in agents (a new name is
 * added), the peer's tree tagged through tg.  Refused: a peer whose pidfd
 * does not show it alive with its SO_PEERCRED pid (it exited, the pid may
 * be another process's now), before and after the tag is written; a
 * process the kernel already tags as another agent (tg->lookup: an agent
 * cannot relabel itself).  The reply line goes to reply (len bytes).
 * Returns the pid tagged, or 0 when the reply is an error.  Never prints.
 */
int launch_serve(struct agents *agents, struct tagger *tg, const struct control_peer *peer,
		 const char *line, char *reply, size_t len);

/*
 * launch_peer_alive - whether pidfd is the live process pid (its fdinfo's
 * "Pid:" line; -1 once it exited).  False for pidfd < 0.
 */
bool launch_peer_alive(int pidfd, pid_t pid);

#endif
