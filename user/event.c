// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* event.c - names of event types, as in the JSON "type" field. */
#include <errno.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{ AM_EV_EXEC, "exec" },       { AM_EV_EXIT, "exit" },
	{ AM_EV_FORK, "fork" },       { AM_EV_OPEN, "open" },
	{ AM_EV_UNLINK, "unlink" },   { AM_EV_RENAME, "rename" },
	{ AM_EV_CHMOD, "chmod" },     { AM_EV_CONNECT, "connect" },
	{ AM_EV_ACCEPT, "accept" },   { AM_EV_SEND, "send" },
	{ AM_EV_DROP, "drop" },       { AM_EV_DNS, "dns" },
	{ AM_EV_HTTP, "http" },       { AM_EV_ALERT, "alert" },
	{ AM_EV_SYSCALL, "syscall" },
	{ AM_EV_TAG, "tag" },         { AM_EV_LLM, "llm" },
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

bool event_same_dest(uint16_t fa, uint16_t pa, const uint8_t *aa, uint16_t fb, uint16_t pb,
		     const uint8_t *ab)
{
	return fa == fb && pa == pb && !memcmp(aa, ab, fa == AF_INET6 ? 16 : 4);
}

const char *event_type_name(uint32_t type)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "unknown";
}

uint32_t event_type_from_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(type_names[i].name, name) == 0)
			return type_names[i].type;
	return 0;
}

/* the string fields of ev worth keeping (an alert's: its cause's); the rest
 * of its union is cleared */
static size_t held_fields(struct event *ev, const char ***f)
{
	uint32_t type = ev->type == AM_EV_ALERT && ev->alert ? ev->alert->cause_type : ev->type;
	size_t n = 0;

	f[n++] = &ev->agent;
	f[n++] = &ev->exe;
	f[n++] = &ev->fleet_host;
	if (type == AM_EV_HTTP) {
		f[n++] = &ev->http.method;
		f[n++] = &ev->http.host;
		f[n++] = &ev->http.path;
		f[n++] = &ev->http.net.host;
		f[n++] = &ev->http.req_host;
	} else if (type == AM_EV_CONNECT || type == AM_EV_SEND) {
		f[n++] = &ev->net.host;
	} else {
		memset(&ev->exec, 0, offsetof(struct event, alert) - offsetof(struct event, exec));
	}
	return n;
}

int event_copy_set(struct event_copy *h, const struct event *ev)
{
	const char **f[9];
	size_t n, total = 1;
	char *at;

	h->ev = *ev;
	n = held_fields(&h->ev, f);
	h->ev.alert = NULL;
	for (size_t i = 0; i < n; i++)
		total += *f[i] ? strlen(*f[i]) + 1 : 0;
	if (!(h->strs = at = malloc(total)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t l;

		if (!*f[i])
			continue;
		l = strlen(*f[i]) + 1;
		memcpy(at, *f[i], l);
		*f[i] = at;
		at += l;
	}
	return 0;
}

void event_copy_clear(struct event_copy *h)
{
	free(h->strs);
	h->strs = NULL;
}
