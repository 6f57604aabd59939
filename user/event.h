/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * event.h - one event as it flows through the collector's pipeline:
 * decode -> enrich (tag, process cache, absolute paths, net pairing) ->
 * sinks (text, JSON).  Live runs and replays feed the same pipeline.
 *
 * Strings point into memory owned by whoever produced the event (the ring
 * buffer record, the process cache, or the enrich stage's scratch) and are
 * valid only until the sink callback returns.
 */
#ifndef AGENTMON_EVENT_H
#define AGENTMON_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"

struct event_exec {
	const char *filename;
	const char *argv;      /* argc NUL-terminated strings back to back */
	size_t argv_len;       /* bytes of argv */
	uint32_t argc;
	const char *cwd;       /* NULL when unknown */
	bool argv_trunc;
};

struct event_exit {
	int exit_code;         /* (status >> 8) & 0xff, or 128 + signal */
	int signal;            /* 0 unless killed by a signal */
};

struct event_file {
	const char *path;      /* as the process gave it (absolute after enrich) */
	const char *new_path;  /* rename only */
	const char *base;      /* directory for a relative path, or NULL */
	const char *new_base;  /* directory for a relative new_path, or NULL */
	int64_t ret;
	uint32_t flags;        /* open flags */
	uint32_t mode;
	bool write;            /* open for writing (O_WRONLY/O_RDWR/O_CREAT/O_TRUNC) */
};

struct event_net {
	int64_t ret;           /* valid when has_ret */
	uint8_t daddr[16];
	uint8_t saddr[16];
	uint32_t fd;
	uint16_t dport;
	uint16_t sport;
	uint16_t family;       /* AF_INET or AF_INET6 */
	uint8_t proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	bool has_ret;
	bool pre;              /* from a cgroup hook (destination only) */
	bool io_uring;
	const char *host;      /* name from DNS or SNI, or NULL */
};

struct event_drop {
	uint64_t lost;
};

struct event {
	uint64_t ts_ns;        /* boot-time ns from the kernel; sinks convert */
	uint32_t type;         /* enum am_type */
	uint32_t flags;        /* AM_F_* as the kernel set them */
	uint32_t pid, tid, ppid, uid;
	uint32_t agent_pid;
	uint32_t agent_id;     /* AM_AGENT_NONE when untagged */
	const char *agent;     /* agent name, NULL when untagged */
	char comm[AM_COMM_LEN + 1];
	const char *exe;       /* from the process cache, NULL when unknown */
	union {
		struct event_exec exec;
		struct event_exit exit;
		struct event_file file;
		struct event_net net;
		struct event_drop drop;
	};
};

/* "exec", "open", ... for a type; "unknown" for anything else */
const char *event_type_name(uint32_t type);
/* the type for a name, or 0 */
uint32_t event_type_from_name(const char *name);

#endif /* AGENTMON_EVENT_H */
