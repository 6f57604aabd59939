/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * agents.h - which executables are agents.  An agent has a name (its
 * agent_id is its index in the table) and match patterns:
 *   - a plain name ("claude"): the basename of the executed file, or of the
 *     script an interpreter (node, python, bun, deno) runs;
 *   - a pattern with '/' or glob characters ("*" "?" "["), fnmatch(3)ed
 *     against the executed file's path and the interpreter's script path
 *     ("*" /@anthropic-ai/claude-code/ "*" style patterns match anywhere).
 * Plain names are enforced in the kernel at exec (AM_RULE_TAG); interpreters
 * and path patterns make the kernel send candidate execs to userspace.  The
 * built-in agents also match their package paths and (Claude Code) a
 * directory of binaries named by version (agents.c).
 */
#ifndef AGENTMON_AGENTS_H
#define AGENTMON_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"

struct agents;

/* a table with the default agents (claude, codex, aider, gemini, goose,
 * opencode, cursor-agent, copilot, amp, qwen, pi, auggie, crush, kilo,
 * grok); NULL on ENOMEM */
struct agents *agents_new_default(void);
/* an empty table (a replay's: names as the trace recorded them); NULL on ENOMEM */
struct agents *agents_new(void);
void agents_free(struct agents *a);

/* the id of name, adding it (without patterns) when missing;
 * AM_AGENT_NONE on ENOMEM or an empty/too long name */
uint32_t agents_intern(struct agents *a, const char *name);
/*
 * agents_rebase - renumber a so that every name of old keeps its id (the
 * kernel's tags hold ids): old's names first, in old's order, then a's other
 * names; a's patterns stay with their names, old's names a lacks have none
 * (they match nothing new, their running processes keep their name).
 * 0, or -ENOMEM with a unchanged.
 */
int agents_rebase(struct agents *a, const struct agents *old);
/* add a match pattern to name (added if missing); 0 or -EINVAL/-ENOMEM */
int agents_add_pattern(struct agents *a, const char *name, const char *pattern);
/* id forgotten when it is the newest name and has no patterns (a launch that
 * did not tag anything); true when it was */
bool agents_forget_newest(struct agents *a, uint32_t id);
/*
 * agents_intern_launched - the id of name for a launch (`agentmon launch
 * --agent NAME`): found; else added while fewer than max names have no
 * patterns; else a name without patterns that no live process uses
 * (busy(arg, id) false) is given to it (recycled: the id keeps its number,
 * agents_renames counts it).  AM_AGENT_NONE when every such name is in use
 * (counted, agents_refused), on ENOMEM or for a bad name.
 */
uint32_t agents_intern_launched(struct agents *a, const char *name, size_t max,
				bool (*busy)(void *arg, uint32_t id), void *arg);
/* names without patterns a launch may add before they are recycled */
#define AGENTS_LAUNCHED_MAX 64
/* id (without patterns) renamed to name, which no other id has: 0, -EINVAL or -ENOMEM */
int agents_rename(struct agents *a, uint32_t id, const char *name);
/* names recycled ever; the value of that count when id got its name (0: never renamed) */
uint64_t agents_renames(const struct agents *a);
uint64_t agents_renamed(const struct agents *a, uint32_t id);
/*
 * agents_each_new - fn(arg, id, name) for every id at or past *count and
 * every id renamed since *renames (a trace or a pinned map that holds the
 * names); both brought up to date.  The first error fn returns (it goes on).
 */
int agents_each_new(const struct agents *a, uint32_t *count, uint64_t *renames,
		    int (*fn)(void *arg, uint32_t id, const char *name), void *arg);
/* launches refused because every recyclable name was in use */
uint64_t agents_refused(const struct agents *a);
/* name of id, or NULL */
const char *agents_name(const struct agents *a, uint32_t id);
size_t agents_count(const struct agents *a);

/*
 * agents_match_exec - the agent an exec of filename with argv (argc strings
 * back to back, argv_len bytes) belongs to, or AM_AGENT_NONE.
 */
uint32_t agents_match_exec(const struct agents *a, const char *filename,
			   const char *argv, size_t argv_len, uint32_t argc);

/* whether basename b looks like a version ("2.1.197": a digit first, digits
 * and dots, a dot); the kernel's test for AM_VERSION_KEY is the same */
bool agents_version_like(const char *b);

/*
 * agents_kernel_rules - call cb once per executable basename the kernel
 * should act on at exec (AM_RULE_TAG for plain names, AM_RULE_CANDIDATE for
 * interpreters, basenames of path patterns and AM_VERSION_KEY).  Returns true when some
 * pattern needs every untagged exec (am_config.candidate_all).
 */
bool agents_kernel_rules(const struct agents *a,
			 void (*cb)(const char *basename, const struct am_exe_rule *rule, void *arg),
			 void *arg);

#endif
