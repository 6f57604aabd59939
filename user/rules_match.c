// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* rules_match.c - a destination against the allow and deny lists (see rules_match.h). */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rules_match.h"

/* ---- matching ---- */

bool rules_host_match(const char *pattern, const char *host)
{
	size_t hn, sn;

	if (!pattern || !host)
		return false;
	hn = strlen(host);
	if (hn && host[hn - 1] == '.')
		hn--;
	if (strncmp(pattern, "*.", 2) != 0)
		return strlen(pattern) == hn && strncasecmp(pattern, host, hn) == 0;
	/* "*.suffix": at least one label before ".suffix" */
	sn = strlen(pattern + 1);
	return hn > sn && strncasecmp(host + hn - sn, pattern + 1, sn) == 0;
}

bool rules_path_match(const char *glob, const char *path)
{
	char buf[2048];
	size_t n;

	if (!path)
		return false;
	/* absolute-form target (through a proxy): keep from the path on */
	if (!strncasecmp(path, "http://", 7) || !strncasecmp(path, "https://", 8)) {
		const char *p = strchr(strstr(path, "//") + 2, '/');

		path = p ? p : "/";
	}
	n = strcspn(path, "?#");
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return fnmatch(glob, buf, 0) == 0;
}

/* a and the first bits of net agree */
static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	return !rest || ((a[full] ^ net[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

static bool cidr_match(const struct policy_allow *e, const struct rules_dest *d)
{
	if (!d->addr || !d->family)
		return false;
	if (e->family == AF_INET && d->family == AF_INET6 && is_v4_mapped(d->addr))
		return prefix_match(d->addr + 12, e->net, e->prefix);
	return e->family == d->family && prefix_match(d->addr, e->net, e->prefix);
}

/* "127.0.0.1", "::1", "[::1]": a host written as an address */
static bool ip_literal(const char *host)
{
	uint8_t buf[16];
	char v6[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, buf) == 1)
		return true;
	if (n > 2 && n < sizeof(v6) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		host = v6;
	}
	return inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * local: a host named localhost, or a loopback destination address.  A host
 * written as an address is judged by where the bytes went, never by the
 * text a request carries (Host: 127.0.0.1 sent elsewhere is not local).
 */
bool rules_is_local(const struct rules_dest *d)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (d->host && !ip_literal(d->host))
		return rules_host_match("localhost", d->host);
	if (!d->addr)
		return false;
	if (d->family == AF_INET)
		return d->addr[0] == 127;
	return d->family == AF_INET6 &&
	       (!memcmp(d->addr, lo6, 16) || (is_v4_mapped(d->addr) && d->addr[12] == 127));
}

static bool port_match(const struct policy_allow *e, uint16_t port)
{
	if (!e->n_ports)
		return true;
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i] == port)
			return true;
	return false;
}

static bool method_match(const struct policy_allow *e, const char *method)
{
	if (!e->n_methods)
		return true;
	for (size_t i = 0; method && i < e->n_methods; i++)
		if (!strcasecmp(e->methods[i], method))
			return true;
	return false;
}

static bool paths_match(const struct policy_allow *e, const char *path)
{
	if (!e->n_paths)
		return true;
	for (size_t i = 0; i < e->n_paths; i++)
		if (rules_path_match(e->paths[i], path))
			return true;
	return false;
}

/* how far one entry matches d */
static enum rules_match entry_judge(const struct policy_allow *e, const struct rules_dest *d)
{
	bool dest = e->host ? rules_host_match(e->host, d->host) : cidr_match(e, d);

	if (!dest || !port_match(e, d->port))
		return RULES_NO_DEST;
	if (!d->request)
		return RULES_ALLOWED;
	if (!method_match(e, d->method))
		return RULES_NO_METHOD;
	return paths_match(e, d->path) ? RULES_ALLOWED : RULES_NO_PATH;
}

enum rules_match rules_judge(const struct policy *p, const struct rules_dest *d)
{
	enum rules_match best = RULES_NO_DEST;

	if (rules_is_local(d))
		return RULES_ALLOWED;
	for (size_t i = 0; p && i < p->n_deny; i++)
		if (entry_judge(&p->deny[i], d) == RULES_ALLOWED)
			return RULES_DENIED;
	for (size_t i = 0; p && i < p->n_allow && best != RULES_ALLOWED; i++) {
		enum rules_match m = entry_judge(&p->allow[i], d);

		if (m > best)
			best = m;
	}
	return best;
}

void rules_dest_of(const struct event *ev, struct rules_dest *d)
{
	const struct event_net *n = ev->type == AM_EV_HTTP ? &ev->http.net : &ev->net;

	memset(d, 0, sizeof(*d));
	d->family = n->family;
	d->addr = n->family ? n->daddr : NULL;
	d->port = n->dport;
	d->host = n->host;
	if (ev->type == AM_EV_HTTP) {
		if (ev->http.host && *ev->http.host)
			d->host = ev->http.host;
		d->request = true;
		d->method = ev->http.method;
		d->path = ev->http.path;
	}
	if (d->host && !*d->host)
		d->host = NULL;
}
