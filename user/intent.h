/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * intent.h - why an agent did what raised an alert: the model's tool call
 * that explains it, from the agent's recent llm events.
 *
 * intent_add keeps the last INTENT_KEEP exchanges (all agents, oldest
 * forgotten).  intent_find, for an alert of agent session agent_pid at ts:
 * the newest tool call of that session whose input names the alert's host,
 * URL path or command ("named"), else the session's last tool call before
 * the alert within INTENT_WINDOW_NS ("last"); NULL when none.  Everything
 * kept was redacted by llm_finish.  The renderers put an intent and an llm
 * event into JSON and text.
 */
#ifndef AGENTMON_INTENT_H
#define AGENTMON_INTENT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "json.h"
#include "llm.h"

#define INTENT_KEEP      32
#define INTENT_WINDOW_NS (300ull * 1000000000ull) /* "last": the tool call this recent */
#define INTENT_NAMED_NS  (3600ull * 1000000000ull) /* "named": this recent */

struct intent;

struct intent *intent_new(void);
void intent_free(struct intent *in);
/* an llm event (of ev->agent_pid) with tool calls: kept */
void intent_add(struct intent *in, const struct event *ev);
/* the intent of alert ev (its cause's fields), valid until the next call */
const struct event_intent *intent_find(struct intent *in, const struct event *ev);

/* "intent": {...} members of an alert */
void intent_json(struct jw *w, const struct event_intent *it);
/* `asked: "PROMPT" -> TOOL: INPUT` (cut to len) */
size_t intent_text(const struct event_intent *it, char *buf, size_t len);
/* the fields of an llm event */
void intent_llm_json(struct jw *w, const struct event_llm *l);
/* ` HOST MODEL "PROMPT" -> TOOL: INPUT, ...` */
size_t intent_llm_text(const struct event_llm *l, char *buf, size_t len);

#endif
