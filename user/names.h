/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * names.h - address -> host name, learnt from the DNS answers tagged
 * processes receive (and from SNI / Host when a connection names itself),
 * so that connect and send events carry `host`.  Bounded (LRU), entries
 * expire with their TTL (at least NAMES_MIN_TTL, so short TTLs still name
 * the connect that follows the lookup).
 */
#ifndef AGENTMON_NAMES_H
#define AGENTMON_NAMES_H

#include <stdint.h>

#define NAMES_HOST_MAX 256
#define NAMES_MIN_TTL  300   /* seconds */
#define NAMES_MAX      8192

struct names;

struct names *names_new(size_t max);
void names_free(struct names *n);
/* remember addr (family AF_INET/AF_INET6, network order) as host until
 * now + ttl; host is lower-cased and cut at NAMES_HOST_MAX - 1 */
void names_add(struct names *n, uint16_t family, const uint8_t *addr,
	       const char *host, uint32_t ttl_s, uint64_t now_s);
/* the name of addr, or NULL when unknown or expired */
const char *names_lookup(struct names *n, uint16_t family, const uint8_t *addr, uint64_t now_s);

#endif
