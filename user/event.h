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
	uint64_t exe_ino;      /* the file the kernel ran (struct am_exec); 0: unknown */
	uint32_t exe_dev;      /* its s_dev, kernel encoding */
	bool argv_trunc;
	bool interp;           /* AM_F_INTERP: exe_* are an interpreter's, not filename's */
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
	bool opaque;           /* send: bytes no request explains, even on a
				* connection that had readable requests */
	bool io_uring;
	bool tls_wire;         /* send: TLS records on the wire, whose plaintext
				* (from the library hooks) may come after them */
	const char *host;      /* name from DNS or SNI, or NULL */
};

struct event_drop {
	uint64_t lost;
	const char *reason;    /* NULL: the kernel's ring buffer was full; else why */
};

/* AM_EV_SYSCALL: a call agentmon does not follow (compat table, another process) */
struct event_syscall {
	const char *name;      /* "open", "ptrace", ... (decode's name for kind and nr) */
	int64_t ret;
	uint64_t arg;          /* ptrace: request; pidfd_getfd: target fd; compat: 1st arg */
	uint32_t nr;           /* number in its table (i386 when compat) */
	uint32_t target;       /* target pid, 0 when none */
	uint16_t kind;         /* enum am_sys_kind */
	bool compat;           /* kind == AM_SYS_COMPAT */
};

/* AM_EV_TAG: a process tagged with a past nobody watched */
struct event_tag {
	const char *how;       /* "scan": found running by the /proc scan at start */
	uint64_t since_ns;     /* wall ns the process started: activity from then to
				  ts was not watched */
};

/* AM_EV_DATA: raw bytes from the kernel, consumed by the enrich stage */
struct event_data {
	const uint8_t *buf;    /* cap_len bytes */
	size_t cap_len;
	int64_t ret;           /* bytes the operation moved */
	uint64_t sock_id;
	uint8_t daddr[16];
	uint8_t saddr[16];
	uint32_t fd;
	uint16_t dport, sport, family;
	uint8_t proto;
	uint8_t source;        /* enum am_data_source */
	uint8_t lib;           /* enum am_tls_lib */
};

/* AM_EV_HTTP: one request seen on a connection */
struct event_http {
	struct event_net net;  /* destination (daddr, dport, proto, host) */
	const char *method;    /* "POST"; NULL: not known (head cut or malformed) */
	const char *host;      /* the destination: over TLS the server name (SNI),
				* through a CONNECT tunnel its target, else the
				* Host / :authority without port, else the DNS name */
	const char *req_host;  /* the host the request names when it is another
				* than host (host_mismatch), else NULL */
	const char *incomplete; /* "cut", "overflow", "malformed": the head was
				 * not read whole (static string), else NULL */
	const char *path;      /* request target as sent, redacted */
	uint64_t bytes;        /* body length (Content-Length, or bytes seen) */
	int status;            /* response status when matched, else 0 */
	uint16_t version;      /* 11 or 20 */
	bool tls;
};

/* AM_EV_DNS: an answer a tagged process received */
struct event_dns {
	const char *query;
	const uint8_t (*answers)[16]; /* n_answers addresses */
	const uint16_t *families;     /* AF_INET / AF_INET6 of each */
	size_t n_answers;
};

/* AM_EV_LLM: one exchange of an agent with its model API */
struct event_llm {
	const char *host;      /* the model API */
	const struct llm *x;   /* model, prompt, tool calls (redacted) */
	uint64_t missed;       /* body bytes not read (not captured, past the bound) */
	bool evicted;          /* its connection was forgotten before the answer ended
				* (inspect memory budget, connection table full) */
};

/* an alert's intent: the tool call that led to it (intent.h) */
struct event_intent {
	const char *tool, *input, *prompt, *model, *host;
	const char *match;     /* "named": the input names the alert's target; "last" */
	uint64_t ts_ns;        /* the model's answer (wall ns) */
};

/* AM_EV_ALERT: the event carries its cause's fields (cause_type says which) */
struct event_alert {
	const char *rule;      /* outbound_post, unexpected_upload, uring_network */
	const char *severity;  /* low, medium, high, critical */
	const char *summary;   /* one line a person understands */
	const char *chain;     /* process chain up to the agent root */
	uint32_t cause_type;   /* the type of the event that raised it */
	uint32_t count;        /* occurrences folded into this alert (>= 1) */
	const struct event_intent *intent; /* NULL: none known */
	/* alert_storm only (first_ns != 0): the hosts named, first and last ts */
	const char *const *hosts;
	size_t n_hosts;
	uint64_t first_ns, last_ns;
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
		struct event_tag tag;
		struct event_data data;
		struct event_http http;
		struct event_dns dns;
		struct event_syscall sys;
		struct event_llm llm;
	};
	const struct event_alert *alert; /* set when type == AM_EV_ALERT */
	const char *fleet_host; /* `tail --nats`: the host that exported it (its
				 * JSON's added "host"); NULL for local events */
};

/* an event whose strings it owns (in strs): kept after the original is gone */
struct event_copy {
	struct event ev;
	char *strs;
};

/* h := a deep copy of ev (the strings of its type, or of an alert's cause
 * type; ev.alert is not kept); -ENOMEM */
int event_copy_set(struct event_copy *h, const struct event *ev);
/* free its strings (a zeroed copy is fine) */
void event_copy_clear(struct event_copy *h);

/* whether two destinations (family, port, address: 4 bytes for AF_INET, 16
 * for AF_INET6) are one */
bool event_same_dest(uint16_t fa, uint16_t pa, const uint8_t *aa, uint16_t fb, uint16_t pb,
		     const uint8_t *ab);

/* "exec", "open", ... for a type; "unknown" for anything else */
const char *event_type_name(uint32_t type);
/* the type for a name, or 0 */
uint32_t event_type_from_name(const char *name);

#endif /* AGENTMON_EVENT_H */
