/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rules.h - deciding: is a destination allowed by the policy, and does an
 * event break a rule.  Pure functions over (policy, event) plus one small
 * table, struct rules_uploads, that counts bytes per connection for
 * unexpected_upload.
 *
 * Destinations.  A host entry ("api.example.com" exact and case-insensitive,
 * "*.example.com" subdomains only) matches the destination's name; a cidr
 * entry (v4/v6; IPv4-mapped IPv6 addresses count as IPv4) matches its
 * address.  An entry matches when every part it gives matches (ports,
 * methods, paths: fnmatch(3) globs on the path without query string).
 * The name is the HTTP Host when there is a request, else the DNS/SNI name
 * enrich found; with no name only cidr entries can match.  "localhost", and
 * loopback addresses with no name, are local and always allowed.
 *
 * Rules (names and severities as in SPEC.md alerts):
 *   outbound_post      high    POST/PUT/PATCH/DELETE the policy does not allow
 *   unexpected_upload  medium  > threshold bytes sent on one connection to a
 *                              destination no entry lists (host/cidr + ports;
 *                              methods and paths cannot be judged without a
 *                              request), with no HTTP request seen on it
 *   uring_network      medium  connect/send of an agent through io_uring
 */
#ifndef AGENTMON_RULES_H
#define AGENTMON_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "policy.h"

#define RULES_UPLOAD_THRESHOLD_DEFAULT (64u << 10)  /* bytes */
#define RULES_UPLOAD_SLOTS_DEFAULT     4096         /* connections tracked */

/* what a rule decided; rule == NULL: no alert */
struct rules_verdict {
	const char *rule;      /* static string */
	const char *severity;  /* static string */
	uint64_t bytes;        /* unexpected_upload: bytes sent on the connection */
	char reason[96];       /* "host not allowed for POST" */
};

/* a destination as the allow list sees it */
struct rules_dest {
	const char *host;      /* name, or NULL */
	uint16_t family;       /* AF_INET/AF_INET6 of addr, 0 when none */
	const uint8_t *addr;   /* 4 or 16 bytes */
	uint16_t port;         /* 0: unknown (port lists then do not match) */
	const char *method;    /* NULL: no request (methods/paths not judged) */
	const char *path;      /* request target; NULL: none */
};

/* how far the best allow entry got; RULES_ALLOWED when one matched whole */
enum rules_match {
	RULES_NO_DEST = 0,     /* no entry names this host/address and port */
	RULES_NO_METHOD,       /* the destination is listed, not for the method */
	RULES_NO_PATH,         /* destination and method listed, not this path */
	RULES_ALLOWED,
};

/* judge d against p's allow list (local destinations are RULES_ALLOWED) */
enum rules_match rules_judge(const struct policy *p, const struct rules_dest *d);
/* true for "localhost" (any case) or a loopback address when d has no name */
bool rules_is_local(const struct rules_dest *d);
/* host matches an allow pattern (exact or "*.suffix"); trailing dot ignored */
bool rules_host_match(const char *pattern, const char *host);
/* path (query string and fragment dropped; absolute-form URL reduced to its
 * path) matches glob */
bool rules_path_match(const char *glob, const char *path);

/* the destination of an http or net (connect/send) event */
void rules_dest_of(const struct event *ev, struct rules_dest *d);

/*
 * Each rule fills v and returns true when ev breaks it; false (v->rule
 * NULL) otherwise, including for events of other types.
 */
bool rules_outbound_post(const struct policy *p, const struct event *ev,
			 struct rules_verdict *v);
bool rules_uring_network(const struct event *ev, struct rules_verdict *v);
/*
 * rules_syscall - an AM_EV_SYSCALL of a tagged process: compat_syscall
 * (high) for a watched call through the 32-bit table, process_tamper (high)
 * for ptrace attach, process_vm_writev or pidfd_getfd aimed at a process
 * outside the agent
 */
bool rules_syscall(const struct event *ev, struct rules_verdict *v);

/*
 * struct rules_uploads - bytes sent per connection (pid, fd, daddr, dport),
 * for unexpected_upload.  A fixed table of slots; when full the least
 * recently used connection is forgotten.  Not thread-safe.
 *
 * Calls, per event of a tagged process, in pipeline order:
 *   AM_EV_HTTP            rules_uploads_http()  the connection is explained
 *   AM_EV_SEND            rules_uploads_send()  counts; may raise the alert
 *   AM_EV_CONNECT         rules_uploads_reset() a new connection on that fd
 *   AM_EV_EXIT            rules_uploads_forget_pid()
 * The alert is raised once per connection, when its count passes the
 * threshold.
 */
struct rules_uploads;

/* threshold in bytes (0: default), slots (0: default); NULL on ENOMEM */
struct rules_uploads *rules_uploads_new(uint64_t threshold, size_t slots);
void rules_uploads_free(struct rules_uploads *u);
void rules_uploads_http(struct rules_uploads *u, const struct event *ev);
bool rules_uploads_send(struct rules_uploads *u, const struct policy *p,
			const struct event *ev, struct rules_verdict *v);
void rules_uploads_reset(struct rules_uploads *u, const struct event *ev);
void rules_uploads_forget_pid(struct rules_uploads *u, uint32_t pid);
/* connections tracked now */
size_t rules_uploads_count(const struct rules_uploads *u);

#endif
