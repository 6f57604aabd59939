/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fleet.h - a fleet message back into an event: the JSON line another
 * host's collector exported (SPEC.md "Fleet": the event's JSON as `run
 * --format json` prints it, plus a "host" member) decoded with jansson into
 * a struct event, so that `tail --nats` filters and renders it with the
 * code the local tail uses (subscribers.h, view.h, output.h).
 *
 * Every byte of a message is hostile: a message is refused whole (with a
 * reason, never a crash) when it is longer than FLEET_MSG_MAX, is not one
 * JSON object, lacks a common field (ts, type, pid, comm), has a field of
 * the wrong type or an impossible value (a time, an address, open flags,
 * an unknown type), or when its "host" is not the host its subject names.
 * Strings are kept as decoded (jansson refuses invalid UTF-8 and NUL);
 * the renderers escape control bytes.
 *
 * Two "host" members: events with a destination name (connect, send, http,
 * llm, and alerts caused by them) have their own "host", and the exporter
 * adds the sender's.  The one whose subject form (export_subject_host) is
 * the subject's host token is the sender's; without a subject, the last.
 */
#ifndef AGENTMON_FLEET_H
#define AGENTMON_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"
#include "llm.h"

#define FLEET_MSG_MAX  (512u << 10) /* bytes of one message */
#define FLEET_HOST_MAX 256          /* bytes of a host name */

/* why a message was refused */
enum fleet_bad {
	FLEET_OK = 0,
	FLEET_TOO_LONG,    /* more than FLEET_MSG_MAX bytes */
	FLEET_NOT_JSON,    /* not one JSON object (or invalid UTF-8, NUL) */
	FLEET_MISSING,     /* a required field is absent */
	FLEET_BAD_VALUE,   /* a field of the wrong type or an impossible value */
	FLEET_BAD_HOST,    /* no sender host, or not the subject's */
	FLEET_BAD_N,
};

/* one decoded message: ev and what its pointers point into */
struct fleet_msg {
	struct event ev;           /* ev.fleet_host: the sender */
	struct event_alert alert;
	struct event_intent intent;
	struct llm llm;
	json_t *root;              /* the strings of ev point into it */
	json_t *own_host;          /* the event's own "host" when there were two */
	char *argv;                /* exec: the arguments, NUL-separated */
	uint8_t (*answers)[16];    /* dns */
	uint16_t *families;
	const char **hosts;        /* alert_storm */
};

/* the name of a reason ("not_json", "too_long", ...) */
const char *fleet_bad_name(enum fleet_bad why);

/*
 * fleet_msg_parse - body (len bytes, need not end in NUL) into m, its host
 * checked against subject_host (the subject's host token; NULL: not
 * checked).  FLEET_OK, or why it was refused (m then holds nothing).  m is
 * cleared first: call fleet_msg_clear() after each FLEET_OK.
 */
enum fleet_bad fleet_msg_parse(struct fleet_msg *m, const char *subject_host, const void *body,
			       size_t len);
/* free what m holds (a zeroed m is fine) */
void fleet_msg_clear(struct fleet_msg *m);

#endif
