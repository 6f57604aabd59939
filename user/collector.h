/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * collector.h - `agentmon run`: load the BPF side, tag agents, read the ring
 * buffer and feed every record through decode -> enrich -> sinks until
 * SIGINT/SIGTERM; SIGHUP reloads the policy.
 */
#ifndef AGENTMON_COLLECTOR_H
#define AGENTMON_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"

#define AM_IDLE_DETACH_NS (10ull * 1000 * 1000 * 1000)

/* what run writes to stdout (tail clients and traces get everything) */
enum collector_print { PRINT_ALL, PRINT_ALERTS, PRINT_NONE };

struct collector_opts {
	const char *config;        /* NULL: AM_DEFAULT_CONFIG if present, else embedded */
	const char *socket;
	const char *socket_group;  /* NULL: socket 0600 root only; else 0660 root:group */
	const char *record_dir;    /* NULL: the policy's record.dir, else AM_DEFAULT_TRACES */
	enum output_format format;
	enum collector_print print; /* PRINT_ALERTS: alerts and drops only (a service) */
	uint32_t ringbuf_bytes;    /* 0: default */
	uint32_t capture_bytes;    /* bytes of each write captured; 0: default */
	size_t conn_memory;        /* per-connection state budget; 0: default */
	bool tls_per_process;      /* --tls-uprobes process: shared TLS libraries'
				      uprobes on tagged processes only */
	uint64_t idle_detach_ns;   /* no agent this long: detach the agent hooks; 0: never */
	uint64_t request_timeout_ns; /* control socket: a request line within; 0: default */
	uint32_t max_tagged;       /* tagged map entries; 0: default (hidden test option) */
	uint32_t max_tls_calls;    /* tls_calls map entries; 0: default (hidden test option) */
	const char *pin_dir;       /* bpffs dir of the tags that outlive the run; NULL: one
				      per socket path (see collector.c pin_dir_of) */
	const char *tls_cache;     /* --tls-cache: the TLS verdicts that outlive the run;
				      NULL: none */
	const char *metrics;       /* --metrics ADDR:PORT: Prometheus /metrics; NULL: off */
	const char *host_id;       /* --host-id: exported messages' host; NULL: host name */
	bool no_record;
	bool verbose;              /* text: every event, not the compact view */
	bool no_pin;               /* pin nothing: tags end with the run */
};

/* run until a signal; returns the process exit status */
int collector_run(const struct collector_opts *o);

#endif
