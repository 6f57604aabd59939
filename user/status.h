/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * status.h - the collector's health as plain figures (`agentmon status`):
 * filled by the collector (and the modules it asks: control, recorder,
 * detect) on each status request, formatted by status_format() as aligned
 * "key: value" lines for people or one JSON object.
 */
#ifndef AGENTMON_STATUS_H
#define AGENTMON_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"

#include "../bpf/agentmon.h"
#include "json.h"
#include "load.h"
#include "tls_watch.h"

#define STATUS_TYPES 64       /* event types are < 64 (a bit each in filters) */
#define STATUS_PATH_MAX 4096

/* one tagged agent session: its root process and the live processes of its tree */
struct status_agent {
	char name[AM_NAME_MAX];
	uint32_t agent_pid;
	uint32_t procs;
};

/* tail clients (filled by control_tail_status) */
struct status_tail {
	uint32_t connected;   /* now */
	uint64_t served;      /* tail requests accepted since start */
	uint64_t missed;      /* events dropped for clients that read too slowly */
	uint64_t gone;        /* clients that disconnected */
	uint64_t refused;     /* connections refused: too many clients */
	uint64_t timed_out;   /* connections closed: no request line (or a reply
				 not read) within the request timeout */
	uint64_t evicted;     /* idle connections closed to make room for a new one */
};

/* trace recording (filled by the recorder when there is one) */
struct status_recording {
	bool enabled;
	char dir[STATUS_PATH_MAX];
	char file[STATUS_PATH_MAX];   /* the trace being written, "" between files */
	uint64_t bytes;               /* written since start */
	uint64_t files;               /* trace files written since start */
	uint64_t entries;             /* entries written (records, state, clock) */
	uint64_t lost;                /* entries not recorded: queue full, write error */
	uint64_t pruned;              /* files deleted by the age and size limits */
	uint64_t masked;              /* secret bytes masked before recording */
	uint64_t scrub_evicted;       /* streams whose masking state was forgotten */
	uint64_t scrub_h2_lost;       /* HTTP/2 header tables lost (names masked since) */
	uint64_t scrub_h2_resumed;    /* HTTP/2 streams met mid-way: read with an unknown table */
	uint64_t scrub_h2_cut_kept;   /* secret Huffman symbols cut by a record and kept */
	uint64_t scrub_h2_as_text;    /* HTTP/2 streams that may be read as text */
	bool failed;                  /* recording stopped on an error */
	char reason[640];             /* why, when failed */
};

/* alert delivery, summed over the policy's webhooks */
struct status_webhooks {
	uint32_t count;               /* webhooks configured */
	uint64_t queued, delivered, spooled, failed, rejected;
	uint64_t dropped;             /* let go at the queue bound (lowest first) */
	uint64_t expired;             /* not delivered within alerts.ttl */
	char last_error[128];
};

/* what the protocol and policy stages could not keep (filled by the pipeline) */
struct status_http {
	uint64_t heads_incomplete;    /* HTTP/1 heads judged cut, overflowing or malformed */
	uint64_t heads_evicted;       /* partial heads forgotten with their connection */
	uint64_t heads_budget;        /* heads cut short: the reassembly budget was spent */
	uint64_t conns_evicted;       /* connections forgotten while open (table full) */
	uint64_t uploads_evicted;     /* upload counts (agent, destination) forgotten */
	uint64_t answers_unattributed; /* TLS answer reads with no socket (node's memory
				       * BIO) of a process with several model API
				       * exchanges open: not used, whose is not known */
	uint64_t answers_unattributed_bytes; /* their bytes */
};

/* what the monitor lost sight of since start (each also raised monitor_degraded) */
/* what an agent could try to exhaust: descriptors and memory */
struct status_resources {
	int64_t fds_open;             /* now; -1 unknown */
	uint64_t fds_limit;           /* soft RLIMIT_NOFILE */
	uint64_t links, link_budget, links_per_binary; /* TLS uprobe links */
	uint64_t links_released;      /* of binaries no process ran any more */
	uint64_t links_refused;       /* not attached: the budget was spent */
	uint64_t rss_bytes;           /* the collector's resident memory */
	uint64_t conn_bytes;          /* per-connection state held now */
	uint64_t conn_budget;         /* its budget */
	uint64_t conn_evicted;        /* connections' state evicted for the budget */
	uint64_t llm_evicted;         /* model API exchanges cut by those evictions */
	uint64_t agent_names;         /* names in the agent table */
	uint64_t agent_names_max;     /* launched names (no patterns) kept before recycling */
	uint64_t agent_names_recycled; /* launched names given to a new one: no live process */
	uint64_t agent_names_refused; /* launches refused: every launched name in use */
	uint64_t llm_unread;          /* model answers in an encoding not decoded */
	uint64_t llm_inflate_cut;     /* model answers cut decoding (bombs) */
};

struct status_degraded {
	uint64_t undecodable;         /* kernel records that did not decode (drop events) */
	uint64_t tags_lost;           /* tags the kernel could not store: tagged map full */
	uint64_t tag_writes_failed;   /* tags the collector could not write to the kernel */
	uint64_t scratch_busy;        /* records lost: every scratch buffer of the CPU busy */
	uint64_t tls_no_socket;       /* sealed TLS records (aws-lc) sent without their
				       * socket: no write of theirs was seen */
	uint64_t tag_bits_lost;       /* tagged processes' exits whose prefilter bit was
				       * clear (the exits were emitted all the same) */
};

/* the shared libraries' TLS uprobes: per agent process or system-wide */
struct status_tls_uprobes {
	bool hooked;                  /* libssl or libgnutls hooked now */
	bool scoped;                  /* per agent process; else system-wide */
	char wide_why[160];           /* why system-wide */
	uint32_t processes, attaches; /* covered now; covering attaches held now */
	int fds;                      /* perf event fds they hold (within
				       * resources.link_budget) */
	uint64_t attached, inherited; /* since start: attaches made; processes
				       * covered by their parent's (fork) */
	uint64_t guarded;             /* of those, given a guard of their own */
	uint64_t full_guards;         /* full guards made (every probe) */
	uint64_t failed;              /* tagged processes that could not be covered */
	uint64_t unsure;              /* connections opened (ClientHello) before
				       * their process's attach or guard was in
				       * place: judged by bytes when they end */
};

/* the scanner thread: ELF files read off the event loop (load.h loader_scans) */
struct status_scans {
	bool thread;                  /* it runs (else files are read inline) */
	uint64_t depth;               /* waiting or being scanned now */
	uint64_t queued, done;        /* since start */
	uint64_t timed_out, failed;   /* of those done: over a time budget, unreadable */
	uint64_t dropped;             /* refused, the queue full (judged unseen) */
	uint64_t stale;               /* changed before their attach (not hooked) */
	uint64_t untold;              /* processes that joined a scan of another's and
				       * were not told its result (SCANQ_JOINERS) */
	uint64_t max_ms;              /* the longest scan */
	uint64_t evicted;             /* verdicts given way (4096 kept): scanned again */
	uint64_t cache_hits;          /* attached from the TLS cache file, unscanned */
	uint64_t cache_failed;        /* writes of that file that failed */
	char cache[STATUS_PATH_MAX];  /* its path ("": none) */
	uint64_t exe_by_path;         /* binaries of processes over before /proc/PID/exe was
				       * opened, found by their exec's path (the file run) */
	uint64_t exe_gone;            /* ... not found: the exec record cannot name it */
	uint64_t exe_mismatch;        /* ... refused: another file was at the path */
	uint64_t on_fuse;             /* files on FUSE (or an unseen mount): not opened */
};

struct status {
	uint32_t pid;                 /* the collector's */
	uint64_t started_ns;          /* wall clock */
	uint64_t uptime_ns;
	char socket[STATUS_PATH_MAX];
	struct status_agent *agents;  /* n_agents, sorted by name then pid */
	size_t n_agents, cap_agents;
	uint64_t events[STATUS_TYPES];  /* emitted to the output, by type */
	uint64_t drops[STATUS_TYPES];   /* the kernel could not deliver, by type */
	uint64_t alerts;
	uint64_t alerts_folded;       /* into alert_storm summaries (alerts.budget) */
	bool agent_hooks;             /* sock, packet and TLS hooks attached (an agent lives) */
	char hooks[1024];             /* loader_status(): the hooks attached at start and
				       * the fallbacks (as in "collector ready") */
	struct loader_gap gaps[LOADER_GAPS_MAX]; /* hooks missing or short now */
	size_t n_gaps;
	struct status_tail tail;
	struct status_recording recording;
	struct status_webhooks webhooks;
	struct export_status export;  /* export.nats (on false: none) */
	struct status_http http;
	struct status_degraded degraded;
	struct status_tls_uprobes tls_uprobes;
	struct status_scans scans;
	struct status_resources resources;
	const struct tls_watch_bin *tls_bins; /* agent binaries' TLS verdicts (n_tls_bins) */
	size_t n_tls_bins;
	bool own_uid;                 /* agents: only the processes of uid, no monitor-wide figures (asked by */
	uint32_t uid;                 /* a client that is not root) */
};

/* an empty status (no agents); status_release frees what status_add_proc took */
void status_init(struct status *s);
void status_release(struct status *s);
/*
 * status_add_proc - count one live process of agent name's tree rooted at
 * agent_pid (the session is added on its first process).  0 or -ENOMEM.
 */
int status_add_proc(struct status *s, const char *name, uint32_t agent_pid);
/*
 * status_add_agents - every live tagged process of the cache pc, by agent
 * (names: the agent table of its ids); with s->own_uid, only those of
 * s->uid.  0 or -ENOMEM.
 */
struct proc_cache;
struct agents;
int status_add_agents(struct status *s, struct proc_cache *pc, const struct agents *names);

/* what a running collector's status is gathered from (status_gather) */
struct loader;
struct pipeline;
struct control;
struct recorder;
struct status_sources {
	uint32_t pid;
	uint64_t started_wall_ns, uptime_ns;
	const char *socket;
	const uint64_t *shown;        /* events shown, by type: STATUS_TYPES */
	struct loader *loader;
	struct pipeline *pl;
	const struct control *ctl;
	struct recorder *rec;         /* NULL: not recording */
	const char *record_dir;
	uint64_t tag_writes_failed;
	const struct agents *agents;
	const struct tls_watch *tls;  /* agent binaries' TLS verdicts */
	struct export *export;        /* NULL: no export.nats */
	bool own_uid;                 /* the client is not root: only its uid's agents */
	uint32_t uid;
};

/*
 * status_gather - s (from status_init) filled from the modules of src
 * (status_gather.c: the status assembly's one home).  0 or -ENOMEM (s may then hold some agents:
 * status_release it).
 */
int status_gather(struct status *s, const struct status_sources *src);

/*
 * status_format - s appended to out: JSON (one object and a newline) or
 * text, one aligned "key: value" line each, details indented below.
 * Returns 0, or -ENOMEM when out could not grow.
 */
int status_format(const struct status *s, bool json, struct jw *out);

/* a status request's answer: gathered from src and formatted into out
 * (status_gather.c); 0 or -ENOMEM */
int status_answer(const struct status_sources *src, bool json, struct jw *out);

#endif
