/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * metrics.h - `run --metrics ADDR:PORT`: the collector's figures in the
 * Prometheus text exposition format 0.0.4 on /metrics.
 *
 * metrics.c formats a snapshot (the status figures, the hooks, the ring
 * buffer, the process) into text; metrics_http.c serves the last text the
 * event loop published (see there for the thread model); metrics_gather.c
 * reads what status does not carry (hooks, ring buffer use, CPU time).
 */
#ifndef AGENTMON_METRICS_H
#define AGENTMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "json.h"
#include "status.h"

#define METRICS_HOOKS_MAX 48
#define METRICS_ALERT_KINDS 64   /* (rule, severity) pairs counted apart */
#define METRICS_NAME_MAX 48

/* one BPF hook: attached now or not */
struct metrics_hook {
	char name[METRICS_NAME_MAX];
	bool attached;
};

/* alerts shown since start, by rule and severity; past METRICS_ALERT_KINDS
 * distinct pairs the rest count under rule "other" (never lost) */
struct metrics_alert_kind {
	char rule[METRICS_NAME_MAX];
	char severity[16];
	uint64_t count;
};

struct metrics_alerts {
	struct metrics_alert_kind kinds[METRICS_ALERT_KINDS + 1]; /* + "other" */
	size_t n;
};

/* what one scrape shows */
struct metrics_snap {
	const struct status *st;
	const struct metrics_alerts *alerts;
	struct metrics_hook hooks[METRICS_HOOKS_MAX];
	size_t n_hooks;
	bool ring_known;
	uint64_t ring_size, ring_used;   /* bytes */
	double cpu_seconds;              /* user + system, every thread */
	uint64_t scrapes;                /* /metrics answers served before this one */
};

/* count one alert (rule, severity may be NULL: "unknown") */
void metrics_count_alert(struct metrics_alerts *a, const char *rule, const char *severity);

/* s appended to out as Prometheus text; 0 or -ENOMEM */
int metrics_format(const struct metrics_snap *s, struct jw *out);

/* v appended to out as a label value: \\, \" and \n escaped, other control
 * bytes and invalid UTF-8 as U+FFFD (hostile names stay one valid line) */
void metrics_label(struct jw *out, const char *v);

/*
 * metrics_parse_listen - "ADDR:PORT" ("[v6]:PORT" for IPv6) into sa.
 * *loopback says whether ADDR is a loopback address.  0 or -EINVAL.
 */
int metrics_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len,
			 bool *loopback);

/* ---- the server (metrics_http.c) ---- */
struct metrics;

/* listen on sa and serve /metrics from a thread of its own; 0 or -errno, err set */
int metrics_start(struct metrics **out, const struct sockaddr_storage *sa, socklen_t len,
		  char *err, size_t errlen);
/* the text the next scrapes get (copied); 0 or -ENOMEM (the old text stays) */
int metrics_publish(struct metrics *m, const char *text, size_t len);
/* scrapes answered since start */
uint64_t metrics_scrapes(struct metrics *m);
void metrics_stop(struct metrics *m);

/* ---- what status does not carry (metrics_gather.c) ---- */
struct loader;

/* the ring buffer's positions: its two position pages in one read-only
 * mapping (fd: the events map) */
struct metrics_ring {
	int fd;
	uint64_t size;
	void *cons, *prod;            /* prod: cons's mapping, a page on */
};

/* r mapped; on any failure r->size stays 0 (metrics say the ring is unknown) */
void metrics_ring_init(struct metrics_ring *r, int fd);
void metrics_ring_release(struct metrics_ring *r);
/* the ring's size and bytes produced and not consumed; false when unmapped */
bool metrics_ring_read(const struct metrics_ring *r, uint64_t *size, uint64_t *used);

/* s's hooks, ring buffer use and CPU time filled (s->st set by the caller) */
void metrics_gather(struct metrics_snap *s, struct loader *l, struct metrics_ring *r);

/*
 * metrics_update - a fresh snapshot (status_gather of src, metrics_gather,
 * the alerts by kind) formatted and published to m; 0 or -ENOMEM (the
 * scrapes keep the previous one)
 */
int metrics_update(struct metrics *m, const struct status_sources *src,
		   const struct metrics_alerts *alerts, struct metrics_ring *r);

/* the collector's side of metrics: the server, the ring's mapping, the
 * alerts counted by kind, the snapshot's pace (metrics_gather.c) */
#define METRICS_EVERY_NS 1000000000ull /* a fresh snapshot at most this often */
struct metrics_feed {
	struct metrics *m;            /* NULL: off */
	struct metrics_ring ring;
	struct metrics_alerts alerts; /* by kind: metrics_count_alert */
	uint64_t at;                  /* monotonic ns of the last snapshot */
	char addr[80];                /* where it listens ("": off), as given */
};

/*
 * metrics_feed_start - f (zeroed) listening on at (NULL: off, 0) over the
 * ring buffer map ring_fd; *loopback tells whether the address is one.
 * -EINVAL: at is no ADDR:PORT or [ADDR6]:PORT; else as metrics_start;
 * err gets the reason
 */
int metrics_feed_start(struct metrics_feed *f, const char *at, int ring_fd, bool *loopback,
		       char *err, size_t errlen);
/* whether a snapshot is due: metrics on and METRICS_EVERY_NS passed since
 * the last (now: monotonic ns) */
bool metrics_feed_due(const struct metrics_feed *f, uint64_t now);
/* a fresh snapshot of src published, taken at now: 0, -ENOMEM (the scrapes
 * keep the previous one) */
int metrics_feed_step(struct metrics_feed *f, const struct status_sources *src, uint64_t now);
/* the server stopped (its thread joined) and the ring unmapped */
void metrics_feed_stop(struct metrics_feed *f);

#endif
