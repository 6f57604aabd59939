// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_connhold.c - connects wait for their ClientHello's name: every way out, once each, in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentmon.h"
#include "connhold.h"

struct out {
	unsigned n;
	uint32_t pid[CONNHOLD_MAX + 4], fd[CONNHOLD_MAX + 4];
	char host[8][64], exe[8][64], agent[8][64];
};

static void emit(void *arg, struct event *ev)
{
	struct out *o = arg;
	unsigned i = o->n++;

	o->pid[i] = ev->pid;
	o->fd[i] = ev->net.fd;
	if (i < 8) {
		snprintf(o->host[i], sizeof(o->host[i]), "%s", ev->net.host ? ev->net.host : "-");
		snprintf(o->exe[i], sizeof(o->exe[i]), "%s", ev->exe ? ev->exe : "-");
		snprintf(o->agent[i], sizeof(o->agent[i]), "%s", ev->agent ? ev->agent : "-");
	}
}

/* every test's destination: 127.0.0.1:443 */
static void dest(uint16_t *family, uint16_t *port, uint8_t *addr)
{
	*family = AF_INET;
	*port = 443;
	addr[0] = 127;
	addr[3] = 1;
}

static struct event conn(uint32_t pid, uint32_t fd, char *exe)
{
	struct event ev = { .type = AM_EV_CONNECT, .pid = pid, .agent_id = 1, .agent = "claude",
			    .exe = exe };

	ev.net.proto = IPPROTO_TCP;
	ev.net.fd = fd;
	dest(&ev.net.family, &ev.net.dport, ev.net.daddr);
	ev.net.has_ret = true;
	ev.net.ret = -EINPROGRESS;
	return ev;
}

/* a data event of pid to 127.0.0.1:443 on fd (UINT32_MAX: from the wire) */
static struct event data(uint32_t pid, uint32_t fd)
{
	struct event ev = { .type = AM_EV_DATA, .pid = pid };

	ev.data.fd = fd;
	dest(&ev.data.family, &ev.data.dport, ev.data.daddr);
	ev.data.source = AM_DATA_SOCK_SEND;
	return ev;
}

static void test_hello_names_it(void **state)
{
	struct out o = { 0 };
	struct connhold *h = connhold_new(emit, &o);
	char exe[] = "/usr/bin/node";
	struct event ev = conn(10, 5, exe), d;

	(void)state;
	assert_true(connhold_put(h, &ev, 1000));
	strcpy(exe, "XXXXXXXXXXXXX"); /* the process cache let go of it */
	assert_int_equal(o.n, 0);
	d = data(10, 6);
	connhold_hello(h, &d, "other.example");  /* another socket */
	d = data(11, 5);
	connhold_hello(h, &d, "other.example");  /* another process */
	d = data(10, 5);
	d.data.dport = 444;
	connhold_hello(h, &d, "other.example");  /* another destination */
	assert_int_equal(o.n, 0);
	d = data(10, 5);
	connhold_hello(h, &d, "api.anthropic.com");
	assert_int_equal(o.n, 1);
	assert_string_equal(o.host[0], "api.anthropic.com");
	assert_string_equal(o.exe[0], "/usr/bin/node");
	assert_string_equal(o.agent[0], "claude");
	connhold_hello(h, &d, "again.example"); /* gone: nothing more */
	assert_int_equal(o.n, 1);
	connhold_free(h);
	assert_int_equal(o.n, 1);
}

static void test_not_held(void **state)
{
	struct out o = { 0 };
	struct connhold *h = connhold_new(emit, &o);
	struct event ev;

	(void)state;
	ev = conn(1, 3, NULL);
	ev.agent_id = AM_AGENT_NONE;
	assert_false(connhold_put(h, &ev, 0));
	ev = conn(1, 3, NULL);
	ev.net.proto = IPPROTO_UDP;
	assert_false(connhold_put(h, &ev, 0));
	ev = conn(1, 3, NULL);
	ev.net.ret = -ECONNREFUSED;
	assert_false(connhold_put(h, &ev, 0));
	ev = conn(1, UINT32_MAX, NULL);
	assert_false(connhold_put(h, &ev, 0));
	ev = conn(1, 3, NULL);
	ev.type = AM_EV_SEND;
	assert_false(connhold_put(h, &ev, 0));
	assert_int_equal(connhold_count(h), 0);
	connhold_free(h);
	assert_int_equal(o.n, 0);
}

static void test_other_ways_out(void **state)
{
	struct out o = { 0 };
	struct connhold *h = connhold_new(emit, &o);
	struct event ev, d;

	(void)state;
	ev = conn(1, 3, NULL);
	assert_true(connhold_put(h, &ev, 1000));
	ev = conn(2, 3, NULL);
	assert_true(connhold_put(h, &ev, 2000));
	ev = conn(2, 4, NULL);
	assert_true(connhold_put(h, &ev, 3000));
	ev = conn(3, 4, NULL);
	assert_true(connhold_put(h, &ev, 4000));
	d = data(2, 4);
	connhold_data(h, &d);              /* plain bytes first: out without a name */
	assert_int_equal(o.n, 1);
	assert_int_equal(o.pid[0], 2);
	assert_int_equal(o.fd[0], 4);
	assert_string_equal(o.host[0], "-");
	connhold_exit(h, 1);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.pid[1], 1);
	ev = conn(2, 3, NULL);              /* fd 3 reused by pid 2: the old one goes first */
	assert_true(connhold_put(h, &ev, 5000));
	assert_int_equal(o.n, 3);
	assert_int_equal(o.pid[2], 2);
	connhold_tick(h, 4000 + CONNHOLD_NS - 1);
	assert_int_equal(o.n, 3);
	connhold_tick(h, 4000 + CONNHOLD_NS);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.pid[3], 3);
	connhold_free(h);                   /* the rest at the end */
	assert_int_equal(o.n, 5);
}

/* the address's name from DNS stays unless the ClientHello names the server */
static void test_sni_over_dns(void **state)
{
	struct out o = { 0 };
	struct connhold *h = connhold_new(emit, &o);
	struct event ev, d;
	char dns[] = "cdn.example";

	(void)state;
	ev = conn(1, 3, NULL);
	ev.net.host = dns;
	assert_true(connhold_put(h, &ev, 0));
	ev = conn(1, 4, NULL);
	ev.net.host = dns;
	assert_true(connhold_put(h, &ev, 0));
	strcpy(dns, "xxx.example"); /* the names cache reused its entry */
	d = data(1, UINT32_MAX);            /* from the wire: the oldest to that destination */
	connhold_hello(h, &d, "evil.example");
	connhold_hello(h, &d, NULL);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.host[0], "evil.example");
	assert_string_equal(o.host[1], "cdn.example");
	connhold_free(h);
}

static void test_bounded(void **state)
{
	struct out o = { 0 };
	struct connhold *h = connhold_new(emit, &o);

	(void)state;
	for (uint32_t i = 0; i < CONNHOLD_MAX + 3; i++) {
		struct event ev = conn(100 + i, 3, NULL);

		assert_true(connhold_put(h, &ev, i));
	}
	assert_int_equal(connhold_count(h), CONNHOLD_MAX);
	assert_int_equal(o.n, 3); /* the oldest went out, in order */
	assert_int_equal(o.pid[0], 100);
	assert_int_equal(o.pid[2], 102);
	connhold_free(h);
	assert_int_equal(o.n, CONNHOLD_MAX + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_names_it),
		cmocka_unit_test(test_not_held),
		cmocka_unit_test(test_other_ways_out),
		cmocka_unit_test(test_sni_over_dns),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
