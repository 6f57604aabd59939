// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* rules_fixture.h - the policy and events test_rules.c and test_rules_uploads.c judge. */
#ifndef RULES_FIXTURE_H
#define RULES_FIXTURE_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rules.h"

static const char yaml[] =
	"allow:\n"
	"  - host: api.example.com\n"
	"  - host: \"*.corp.example\"\n"
	"    methods: [GET, HEAD]\n"
	"  - host: git.example\n"
	"    methods: [GET, POST]\n"
	"    paths: [\"*/git-upload-pack\", \"/info/*\"]\n"
	"  - cidr: 10.0.0.0/8\n"
	"    ports: [443]\n"
	"  - cidr: 2001:db8::/32\n"
	"  - host: alt.example\n"
	"    ports: [8443]\n"
	"    methods: [PUT]\n";

static __attribute__((unused)) struct policy *load(void)
{
	struct policy *p = NULL;
	char err[256];

	assert_int_equal(policy_load_buffer("t.yaml", yaml, strlen(yaml), &p, err, sizeof(err)), 0);
	return p;
}

static __attribute__((unused)) struct event http_ev(const char *method, const char *host, const char *path)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_HTTP;
	ev.pid = 10; ev.agent_pid = 10; ev.agent_id = 0; ev.agent = "claude";
	ev.http.method = method; ev.http.host = host; ev.http.path = path;
	ev.http.net.family = AF_INET; ev.http.net.dport = 443;
	memcpy(ev.http.net.daddr, "\xc0\x00\x02\x01", 4);
	ev.http.tls = true;
	return ev;
}

static __attribute__((unused)) struct event send_ev(uint32_t fd, const char *addr, int64_t bytes, const char *host)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_SEND;
	ev.pid = 20; ev.agent_pid = 20; ev.agent = "codex";
	ev.net.fd = fd; ev.net.family = AF_INET; ev.net.dport = 443; ev.net.proto = 6;
	inet_pton(AF_INET, addr, ev.net.daddr);
	ev.net.has_ret = true; ev.net.ret = bytes; ev.net.host = host;
	return ev;
}

#define SEC 1000000000ull
#endif
