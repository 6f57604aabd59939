// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_rules_match.c - destinations as the allow list sees them: from events
 * (rules_dest_of), local ones, absolute-form paths, IPv4-mapped addresses.
 * The allow/deny tables themselves are in test_rules.c. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rules_match.h"

static void test_dest_of(void **state)
{
	struct event ev = { .type = AM_EV_HTTP };
	struct rules_dest d;

	ev.http.net.family = AF_INET;
	ev.http.net.dport = 443;
	ev.http.net.host = "sni.example";
	ev.http.host = "api.example";
	ev.http.method = "POST";
	ev.http.path = "/v1";
	rules_dest_of(&ev, &d);
	assert_string_equal(d.host, "api.example"); /* the request's Host wins */
	assert_true(d.request);
	assert_int_equal(d.port, 443);
	assert_ptr_equal(d.addr, ev.http.net.daddr);
	assert_string_equal(d.method, "POST");
	ev.http.host = "";
	rules_dest_of(&ev, &d);
	assert_string_equal(d.host, "sni.example");
	/* a connect: no request, an empty name is none */
	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_CONNECT;
	ev.net.host = "";
	rules_dest_of(&ev, &d);
	assert_null(d.host);
	assert_false(d.request);
	assert_null(d.addr);
}

static void test_local(void **state)
{
	uint8_t lo[16], mapped[16], other[4];
	struct rules_dest d = { .family = AF_INET, .addr = lo };

	assert_int_equal(inet_pton(AF_INET, "127.0.0.9", lo), 1);
	assert_true(rules_is_local(&d));
	d.host = "LocalHost";
	assert_true(rules_is_local(&d));
	d.host = "api.example"; /* a name: judged by the name */
	assert_false(rules_is_local(&d));
	d.host = NULL;
	d.family = AF_INET6;
	d.addr = mapped;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", mapped), 1);
	assert_true(rules_is_local(&d));
	d.family = AF_INET;
	d.addr = other;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", other), 1);
	assert_false(rules_is_local(&d));
}

static void test_paths_hosts(void **state)
{
	assert_true(rules_path_match("/v1/*", "https://proxy.example/v1/x?q=1"));
	assert_true(rules_path_match("/", "http://proxy.example"));
	assert_true(rules_host_match("api.example", "API.Example."));
	assert_false(rules_host_match("*.example", "example"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dest_of),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_paths_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
