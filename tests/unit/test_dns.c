// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_dns.c - DNS answers with compression and CNAME chains, queries, TCP framing, every cut and fault. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns.h"

/*
 * A response to "WWW.Example.com A" as a resolver sends it: the question,
 * then www -> edge.example.net (target written in full) -> cdn.example.net
 * (compressed against edge's "example.net"), two A records for cdn, an
 * AAAA, and an A record for an unrelated name that must not be mapped.
 */
static const uint8_t resp[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
	/* 12: question */
	3, 'W', 'W', 'W', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
	/* 33: www CNAME edge.example.net */
	0xc0, 12, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 18,
	/* 45: */ 4, 'e', 'd', 'g', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
	/* 63: edge CNAME cdn.<example.net at 50> */
	0xc0, 45, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 6,
	/* 75: */ 3, 'c', 'd', 'n', 0xc0, 50,
	/* 81: cdn A 93.184.216.34 */
	0xc0, 75, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 4, 93, 184, 216, 34,
	/* cdn A 1.2.3.4 */
	0xc0, 75, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 4, 1, 2, 3, 4,
	/* cdn AAAA 2001:db8::1 */
	0xc0, 75, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 16,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	/* other.example.net A 6.6.6.6 (not in the chain) */
	5, 'o', 't', 'h', 'e', 'r', 0xc0, 50, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e,
	0x00, 4, 6, 6, 6, 6,
};

static struct dns_msg m;   /* ~10 KiB: off the stack */

static int parse_copy(const uint8_t *b, size_t n, bool tcp)
{
	uint8_t *c = malloc(n ? n : 1);
	int rc;

	memcpy(c, b, n);
	rc = dns_parse(c, n, tcp, &m);
	free(c);
	return rc;
}

static void check_addr(size_t i, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	assert_true(i < m.n_addrs);
	assert_int_equal(m.addrs[i].family, family);
	assert_int_equal(inet_pton(family, text, want), 1);
	assert_memory_equal(m.addrs[i].addr, want, 16);
}

static void check_full(void)
{
	assert_true(m.response);
	assert_false(m.cut);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(m.rcode, 0);
	assert_string_equal(m.qname, "www.example.com");
	assert_int_equal(m.qtype, DNS_TYPE_A);
	assert_int_equal(m.qlabels, 3);
	assert_int_equal(m.qlabel_max, 7);
	assert_int_equal(m.n_cnames, 2);
	assert_string_equal(m.cnames[0], "edge.example.net");
	assert_string_equal(m.cnames[1], "cdn.example.net");
	assert_int_equal(m.n_addrs, 3);
	check_addr(0, AF_INET, "93.184.216.34");
	check_addr(1, AF_INET, "1.2.3.4");
	check_addr(2, AF_INET6, "2001:db8::1");
	assert_int_equal(m.addrs[0].ttl, 30);
}

static void test_cname_chain(void **state)
{
	assert_int_equal(parse_copy(resp, sizeof(resp), false), 1);
	check_full();
}

static void test_tcp(void **state)
{
	uint8_t b[sizeof(resp) + 2];

	b[0] = sizeof(resp) >> 8;
	b[1] = sizeof(resp) & 0xff;
	memcpy(b + 2, resp, sizeof(resp));
	assert_int_equal(parse_copy(b, sizeof(b), true), 1);
	check_full();
	b[1]++;   /* says one byte more than there is */
	assert_int_equal(parse_copy(b, sizeof(b), true), 1);
	assert_true(m.cut);
	assert_int_equal(parse_copy(b, 1, true), 0);
}

/* every cut: never an error; the question once whole, addresses as records arrive */
static void test_every_cut(void **state)
{
	for (size_t n = 0; n < sizeof(resp); n++) {
		int rc = parse_copy(resp, n, false);

		assert_int_equal(rc, n < 12 ? 0 : 1);
		if (n < 12)
			continue;
		assert_true(m.cut);
		assert_int_equal(m.has_question, n >= 33);
		assert_int_equal(m.n_addrs, (n >= 97) + (n >= 113) + (n >= 141));
	}
}

static void test_query(void **state)
{
	/* a query whose name carries data in a long label */
	uint8_t q[12 + 1 + 63 + 1 + 3 + 1 + 4] = { 0xab, 0xcd, 0x01, 0x00, 0, 1 };
	size_t at = 12;

	q[at++] = 63;
	memset(q + at, 'A', 63);
	q[at + 5] = '.';
	q[at + 6] = 0x01;
	at += 63;
	q[at++] = 3; memcpy(q + at, "evl", 3); at += 3;
	q[at++] = 0;
	q[at + 1] = 16; q[at + 3] = 1;
	assert_int_equal(parse_copy(q, sizeof(q), false), 1);
	assert_false(m.response);
	assert_int_equal(m.qtype, 16);
	assert_int_equal(m.qlabels, 2);
	assert_int_equal(m.qlabel_max, 63);
	assert_string_equal(m.qname, "aaaaa\\046\\001" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.evl");
	assert_int_equal(m.n_addrs, 0);
}

static void expect_bad(const uint8_t *b, size_t n, const char *what)
{
	if (parse_copy(b, n, false) != -1)
		fail_msg("accepted: %s", what);
}

static void test_malformed(void **state)
{
	uint8_t b[600];

	/* the question's name points at itself, then forwards */
	memcpy(b, resp, sizeof(resp));
	b[12] = 0xc0; b[13] = 12;
	expect_bad(b, sizeof(resp), "pointer to itself");
	b[13] = 40;
	expect_bad(b, sizeof(resp), "forward pointer");
	/* two names pointing at each other (answer owner -> 45, target at 45 -> 33) */
	memcpy(b, resp, sizeof(resp));
	b[45] = 0xc0; b[46] = 33;
	expect_bad(b, sizeof(resp), "pointer loop");
	/* label type 0x40 and label length 64 */
	memcpy(b, resp, sizeof(resp));
	b[12] = 0x43;
	expect_bad(b, sizeof(resp), "label type 01");
	/* an A record of 5 bytes, an RDATA past the end, a CNAME with bytes left over */
	memcpy(b, resp, sizeof(resp));
	b[92] = 5;
	expect_bad(b, sizeof(resp), "A of 5 bytes");
	memcpy(b, resp, sizeof(resp));
	b[74] = 7;
	expect_bad(b, sizeof(resp), "CNAME RDATA longer than its name");
	memcpy(b, resp, sizeof(resp));
	b[62] = 0xc0;
	expect_bad(b, sizeof(resp), "CNAME target cut by its RDATA");
	/* a name of 5 labels of 63 bytes (over 255) */
	memset(b, 0, sizeof(b));
	b[5] = 1;
	for (int i = 0; i < 5; i++) {
		b[12 + i * 64] = 63;
		memset(b + 13 + i * 64, 'x', 63);
	}
	expect_bad(b, 12 + 5 * 64 + 5, "name over 255 bytes");
}

/* a CNAME loop (a -> b -> a) ends; the root name */
static void test_odd_but_valid(void **state)
{
	static const uint8_t loop[] = {
		0, 1, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
		1, 'a', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 3, 1, 'b', 0,
		0xc0, 31, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 12,
		0xc0, 31, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 9, 9, 9, 9,
	};
	static const uint8_t root[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 };

	assert_int_equal(parse_copy(loop, sizeof(loop), false), 1);
	assert_int_equal(m.n_cnames, 1);
	assert_string_equal(m.cnames[0], "b");
	assert_int_equal(m.n_addrs, 1);
	check_addr(0, AF_INET, "9.9.9.9");
	assert_int_equal(parse_copy(root, sizeof(root), false), 1);
	assert_string_equal(m.qname, ".");
	assert_int_equal(m.qlabels, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_odd_but_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
