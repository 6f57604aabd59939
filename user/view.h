/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view.h - the compact text view of `run` and `tail` for people: what an
 * agent did, where it sent what, and the alerts, without the noise.
 *
 *   12:00:01.234 claude/bash[4242] exec /usr/bin/bash [bash -c make]
 *   12:00:01.301   claude/curl[4243] connect tcp 1.2.3.4:443 (paste.example)
 *   12:00:01.305   claude/curl[4243] POST https://paste.example/up 5 bytes = 200
 *   12:00:01.305 !! ALERT high outbound_post: ...
 *   12:00:01.310   claude/curl[4243] read 45 files (28 locale, 14 lib, 3 other)
 *
 * Lines are indented two spaces per depth under the agent's root (its
 * root process has depth 0; a child whose parent the view has not seen is
 * put at depth 1).  Execs, files written, created, deleted, renamed or
 * chmod-ed, requests, llm exchanges (cut), alerts (with their intent),
 * drops, syscall and tag events are shown one line each.  Connects, sends
 * and accepts show once per destination per process, DNS answers once per
 * name per process.  Read-only opens are folded (counted per process by
 * category, see view_classify) unless they matter; the counts are shown
 * as one "read N files (...)" line when the process exits or execs (a
 * fork child's reads before its first exec count for the program), when
 * its entry is evicted (VIEW_PROCS processes at once, least recently seen
 * first), when it has folded VIEW_FOLD_FIRST, then 4 times as many..., or
 * VIEW_FOLD_IDLE_NS after its last folded read (a process still running, or
 * whose exit was not seen: view_tick, and every event's time).  The
 * policy's view: globs (policy_view.h) show or fold more reads.
 * The working tree is the directory the agent's root process execs in (or,
 * for an agent whose root's exec the view did not see, the first exec's).
 * Exit lines only for a non-zero status.  Text only: agent-chosen bytes go
 * through escape.h, never raw.
 */
#ifndef AGENTMON_VIEW_H
#define AGENTMON_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "json.h"

#define VIEW_PROCS 128        /* processes with fold state at once */
#define VIEW_ROOTS 32         /* agent roots whose working tree is known */
#define VIEW_DESTS 512        /* (process, destination) pairs remembered */
#define VIEW_FOLD_FIRST 200   /* folded reads of one process before a line */
#define VIEW_FOLD_IDLE_NS (30ull * 1000000000ull) /* a fold line this long after
						     the last folded read */

/* what becomes of an open: shown, or folded into a category */
enum view_cat {
	VIEW_SHOW,    /* a line of its own */
	VIEW_LIB,     /* shared libraries, the loader's cache, interpreters' modules */
	VIEW_LOCALE,  /* locale, gconv, zoneinfo, terminfo */
	VIEW_SYSTEM,  /* /proc, /sys, /dev */
	VIEW_OTHER,   /* any other read (or failed read) */
	VIEW_CAT_N,
};

struct view;
struct policy_view;

/* a view; color: terminal colours (one per agent name, alerts in red) */
struct view *view_new(bool color);
void view_free(struct view *v);
/* a host name shown after the time on every line (one view per host of a
 * fleet tail); NULL: none.  -ENOMEM */
int view_label(struct view *v, const char *label);

/*
 * view_event - the lines ev shows (none, one, or a fold line before it),
 * each ending in a newline, appended to w.  ev->ts_ns is realtime.
 */
void view_event(struct view *v, struct jw *w, const struct event *ev);
/* the view's show and hide globs := a copy of pv's (NULL: none); -ENOMEM
 * (the view then has none) */
int view_policy(struct view *v, const struct policy_view *pv);
/* the fold lines due at now_ns (realtime: a live caller's clock about once
 * a second, or an event's time): processes idle VIEW_FOLD_IDLE_NS since
 * their last folded read */
void view_tick(struct view *v, struct jw *w, uint64_t now_ns);
/* the fold lines of every process still counted, at ts_ns; forgets them */
void view_flush(struct view *v, struct jw *w, uint64_t ts_ns);

/*
 * view_classify - whether the open of path (flags, write, ret as the event
 * has them) by an agent whose root works in cwd (NULL: unknown) is shown or
 * folded, and into what.  Shown: keys, tokens and credentials (~/.ssh,
 * ~/.aws, .env, .netrc, *.pem, id_rsa...), whatever their result; writes
 * (but to /dev/null, ttys and /proc); successful reads in the working tree
 * (not "/") and of dot-files directly in a home directory (/root/.x,
 * /home/U/.x).  The rest is folded by path.
 */
enum view_cat view_classify(const char *path, uint32_t flags, bool write, int64_t ret,
			    const char *cwd);

#endif
