/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rules_match.h - is a destination allowed by the policy: pure functions
 * over (policy, destination), used by the rules (rules.h).
 *
 * Destinations.  A host entry ("api.example.com" exact and case-insensitive,
 * "*.example.com" subdomains only) matches the destination's name; a cidr
 * entry (v4/v6; IPv4-mapped IPv6 addresses count as IPv4) matches its
 * address.  An entry matches when every part it gives matches (ports,
 * methods, paths: fnmatch(3) globs on the path without query string).
 * The name is the HTTP Host when there is a request, else the DNS/SNI name
 * enrich found; with no name only cidr entries can match.  "localhost", and
 * loopback addresses with no name, are local and always allowed.
 */
#ifndef AGENTMON_RULES_MATCH_H
#define AGENTMON_RULES_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "policy.h"

/* a destination as the allow list sees it */
struct rules_dest {
	const char *host;      /* name, or NULL */
	uint16_t family;       /* AF_INET/AF_INET6 of addr, 0 when none */
	const uint8_t *addr;   /* 4 or 16 bytes */
	uint16_t port;         /* 0: unknown (port lists then do not match) */
	bool request;          /* an http request: methods and paths are judged */
	const char *method;    /* its method; NULL: not known (only an entry
				* without methods allows it) */
	const char *path;      /* request target; NULL: none (only an entry
				* without paths allows it) */
};

/* how far the best allow entry got; RULES_ALLOWED when one matched whole */
enum rules_match {
	RULES_DENIED = 0,      /* a deny entry matches it whole */
	RULES_NO_DEST,         /* no entry names this host/address and port */
	RULES_NO_METHOD,       /* the destination is listed, not for the method */
	RULES_NO_PATH,         /* destination and method listed, not this path */
	RULES_ALLOWED,
};

/* judge d against p's deny, then allow list (local destinations are
 * RULES_ALLOWED) */
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

#endif
