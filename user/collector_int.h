/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* collector_int.h - the collector's state, shared by collector.c (the run
 * loop) and collector_tls.c (the TLS watch's callbacks); not an API. */
#ifndef AGENTMON_COLLECTOR_INT_H
#define AGENTMON_COLLECTOR_INT_H

#include <stdint.h>

#include "collector.h"
#include "control.h"
#include "json.h"
#include "metrics.h"
#include "status.h"
#include "tagstore.h"

struct event;
struct loader_scanned;
struct am_hdr;

struct collector {
	const struct collector_opts *opts;
	const char *config;          /* the policy file in use, or NULL */
	struct policy *policy;
	struct loader *loader;
	struct ring_buffer *rb;
	struct pipeline *pl;
	struct output *out;
	struct tls_watch *tls;       /* agent binaries' TLS verdicts */
	struct control ctl;
	struct recorder *rec;        /* NULL: not recording */
	uint32_t agents_recorded;    /* agent ids the trace has names for */
	uint64_t renames_recorded;   /* the agent table's renames the trace has */
	uint64_t drops_seen;
	uint64_t tags_lost_seen;     /* the kernel's AM_FAULT_TAG_FULL count last read */
	uint64_t tag_writes_failed;  /* loader_tag failures (status) */
	int64_t boot_to_real_ns;     /* one value for the pipeline and the traces */
	char record_dir[STATUS_PATH_MAX]; /* where traces go, when recording */
	uint64_t shown[STATUS_TYPES];     /* events shown, by type (status) */
	uint64_t started_wall, started_mono;
	uint64_t idle_since;         /* boot ns since no agent process is alive; 0: some are */
	uint64_t idle_checked;       /* boot ns of the last look */
	struct tagstore tags;        /* pinned names, adoption, stale sweep */
	uint64_t swept;              /* boot ns of the last sweep */
	char pin_dir[STATUS_PATH_MAX];
	struct metrics_feed metrics; /* --metrics (a reload's metrics.listen takes
				      * effect at restart) */
	struct export *export;       /* export.nats: NULL when off (a reload's change
				      * takes effect at restart) */
	struct jw line;              /* an event's JSON, rendered once for the JSON
				      * output and the export */
};

/* collector_tls.c: the pipeline's and the scanner's TLS callbacks (arg: the
 * collector) and the TLS uprobes following tagged processes */
void collector_tls_exec(void *arg, const struct event *ev);
void collector_tls_open(void *arg, const struct event *ev);
void collector_tls_scanned(void *arg, const struct loader_scanned *r);
int collector_tls_hello(void *arg, struct event *ev);
void collector_tls_follow(struct collector *c, const struct am_hdr *h);

#endif
