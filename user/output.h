/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * output.h - the stdout sink: one event as a line of text for people or a
 * JSON Lines object exactly per SPEC.md.  Buffered; output_flush() writes.
 */
#ifndef AGENTMON_OUTPUT_H
#define AGENTMON_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "event.h"
#include "json.h"

enum output_format { OUTPUT_TEXT, OUTPUT_JSON };

struct output;
struct policy_view;

struct output *output_new(FILE *f, enum output_format fmt, bool color);
void output_free(struct output *o);
/* parse "text"/"json"; -EINVAL for anything else */
int output_parse_format(const char *s, enum output_format *fmt);

/* wall ns as "2026-11-25T12:00:00.123456789Z" */
void output_rfc3339(uint64_t ns, char *buf, size_t len);

/*
 * output_line - ev (ts_ns already realtime) as one line, newline included,
 * appended to w: JSON Lines, or text (with terminal colours when color).
 * The one formatter of `run`, `tail` and every other line sink; allocation
 * failure leaves w->oom set.
 */
void output_line(struct jw *w, const struct event *ev, enum output_format fmt, bool color);
/*
 * output_missed_line - the notice a tail client gets after missed events
 * were dropped for it, newline included, into buf: JSON
 * {"ts":...,"type":"missed","missed":N} or text "-- missed N events ...".
 * Returns its length, 0 when buf is too small.
 */
size_t output_missed_line(char *buf, size_t len, enum output_format fmt, uint64_t missed,
			  uint64_t ts_ns);

/* text through the compact view (view.h) from now on; JSON unchanged; -ENOMEM */
int output_compact(struct output *o);
/* format ev (ts_ns already realtime) and queue it; -errno on write failure */
int output_event(struct output *o, const struct event *ev);
/* JSON Lines (not the compact view): output_json_line queues an event's
 * JSON object rendered by output_event_json (len bytes, no newline) as
 * output_event would have written it; -errno on write failure */
bool output_is_json(const struct output *o);
int output_json_line(struct output *o, const char *json, size_t len);
int output_flush(struct output *o);
/* the compact view's show/hide globs := a copy of pv's; -ENOMEM */
int output_view_policy(struct output *o, const struct policy_view *pv);
/* queue the compact view's fold lines due at now_ns (view_tick) */
void output_tick(struct output *o, uint64_t now_ns);
/* the end of the stream: queue the compact view's fold lines still held */
void output_finish(struct output *o, uint64_t ts_ns);

/* the JSON object of ev, without newline, appended to w (used by every sink) */
void output_event_json(struct jw *w, const struct event *ev);
/* "https://host[:port]/path" of a request (the address when no host) */
const char *output_http_url(const struct event_http *h, char *buf, size_t len);
/* "host:port", else "addr:port" ("[v6]:port") of a net destination */
const char *output_net_dest(const struct event_net *n, char *buf, size_t len);
/*
 * The pieces of a text line, for other text views (view.h) to share:
 * output_text_time - "12:00:00.123 " (local time) of a realtime ts;
 * output_text_host - "HOST " of a fleet event (nothing when host is NULL);
 * output_text_who - "AGENT/COMM[PID]" (AGENT alone when it equals COMM,
 *   COMM alone when agent is NULL), the agent name wrapped in the terminal
 *   colour sequence color unless color is NULL;
 * output_text_details - what follows "who type" for ev (" /usr/bin/git
 *   [git push]", " /etc/x O_RDONLY = 3" ...);
 * output_text_alert - "ALERT high RULE: SUMMARY [chain]" and its intent on
 *   a second line, red/yellow when color;
 * output_text_safe - s (n bytes) with control bytes, C1 and invalid UTF-8
 *   as \xNN (escape.h); "?" for NULL.
 */
void output_text_time(struct jw *b, uint64_t ts_ns);
void output_text_host(struct jw *b, const char *host);
void output_text_who(struct jw *b, const char *color, const char *agent, const char *comm,
		     uint32_t pid);
void output_text_details(struct jw *b, const struct event *ev);
void output_text_alert(struct jw *b, bool color, const struct event_alert *al);
void output_text_safe(struct jw *b, const char *s, size_t n);

/* "O_WRONLY|O_CREAT" for open flags into buf */
const char *output_open_flags(uint32_t flags, char *buf, size_t len);
/* the reverse: output_open_flags's text (names and a 0x rest) into *flags;
 * -EINVAL for a name it does not write */
int output_open_flags_parse(const char *s, uint32_t *flags);

#endif
