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

struct output *output_new(FILE *f, enum output_format fmt, bool color);
void output_free(struct output *o);
/* parse "text"/"json"; -EINVAL for anything else */
int output_parse_format(const char *s, enum output_format *fmt);

/* format ev (ts_ns already realtime) and queue it; -errno on write failure */
int output_event(struct output *o, const struct event *ev);
int output_flush(struct output *o);

/* the JSON object of ev, without newline, appended to w (used by every sink) */
void output_event_json(struct jw *w, const struct event *ev);
/* "https://host[:port]/path" of a request (the address when no host) */
const char *output_http_url(const struct event_http *h, char *buf, size_t len);
/* "host:port", else "addr:port" ("[v6]:port") of a net destination */
const char *output_net_dest(const struct event_net *n, char *buf, size_t len);
/* "O_WRONLY|O_CREAT" for open flags into buf */
const char *output_open_flags(uint32_t flags, char *buf, size_t len);

#endif
