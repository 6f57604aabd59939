// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* event.c - names of event types, as in the JSON "type" field. */
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
