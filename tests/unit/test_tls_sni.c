// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_tls_sni.c - a real ClientHello (openssl s_client), every cut, every lying length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_sni.h"

/*
 * openssl 3.0 s_client -connect 127.0.0.1:18443 -servername api.anthropic.com
 * -alpn h2,http/1.1: its first write, captured by a TCP listener.
 */
static const uint8_t hello[] =
	"\x16\x03\x01\x01\x50\x01\x00\x01\x4c\x03\x03\xd5\xf8\x80\xd6\x22"
	"\xa8\xa5\xf4\x0b\x7c\x54\x85\x11\xf3\xfd\x44\x89\x37\x4f\x15\xbe"
	"\x5d\xe2\x0b\x7e\x62\x07\xaf\x49\x6d\x1f\xe6\x20\x69\xcc\x98\xbb"
	"\xdf\x58\xeb\xb9\xb6\x03\x2b\x59\x81\x51\x84\x4a\x7b\x24\x75\xfe"
	"\xd3\x86\x29\xf5\xcb\x3e\x42\xf7\xdf\x62\xeb\x37\x00\x3e\x13\x02"
	"\x13\x03\x13\x01\xc0\x2c\xc0\x30\x00\x9f\xcc\xa9\xcc\xa8\xcc\xaa"
	"\xc0\x2b\xc0\x2f\x00\x9e\xc0\x24\xc0\x28\x00\x6b\xc0\x23\xc0\x27"
	"\x00\x67\xc0\x0a\xc0\x14\x00\x39\xc0\x09\xc0\x13\x00\x33\x00\x9d"
	"\x00\x9c\x00\x3d\x00\x3c\x00\x35\x00\x2f\x00\xff\x01\x00\x00\xc5"
	"\x00\x00\x00\x16\x00\x14\x00\x00\x11\x61\x70\x69\x2e\x61\x6e\x74"
	"\x68\x72\x6f\x70\x69\x63\x2e\x63\x6f\x6d\x00\x0b\x00\x04\x03\x00"
	"\x01\x02\x00\x0a\x00\x16\x00\x14\x00\x1d\x00\x17\x00\x1e\x00\x19"
	"\x00\x18\x01\x00\x01\x01\x01\x02\x01\x03\x01\x04\x00\x23\x00\x00"
	"\x00\x10\x00\x0e\x00\x0c\x02\x68\x32\x08\x68\x74\x74\x70\x2f\x31"
	"\x2e\x31\x00\x16\x00\x00\x00\x17\x00\x00\x00\x0d\x00\x2a\x00\x28"
	"\x04\x03\x05\x03\x06\x03\x08\x07\x08\x08\x08\x09\x08\x0a\x08\x0b"
	"\x08\x04\x08\x05\x08\x06\x04\x01\x05\x01\x06\x01\x03\x03\x03\x01"
	"\x03\x02\x04\x02\x05\x02\x06\x02\x00\x2b\x00\x09\x08\x03\x04\x03"
	"\x03\x03\x02\x03\x01\x00\x2d\x00\x02\x01\x01\x00\x33\x00\x26\x00"
	"\x24\x00\x1d\x00\x20\xc4\x24\x1a\x27\x27\x08\xa5\x5b\xa4\xc8\xe9"
	"\x98\x73\x5c\x05\x03\x3f\x78\xb9\xe8\x0b\xa3\xe5\x48\x15\xb2\x3f"
	"\x07\x4d\xb5\xfa\x27"
	;
#define HELLO_LEN (sizeof(hello) - 1)

/* offsets in hello: the SNI extension's host name, the ALPN list's first byte */
static size_t find(const char *s)
{
	const uint8_t *p = memmem(hello, HELLO_LEN, s, strlen(s));

	assert_non_null(p);
	return (size_t)(p - hello);
}

static int parse_copy(const uint8_t *b, size_t n, struct tls_hello *h)
{
	uint8_t *c = malloc(n ? n : 1);
	int rc;

	memcpy(c, b, n);
	rc = tls_parse_client_hello(c, n, h);
	free(c);
	return rc;
}

static void test_real_hello(void **state)
{
	struct tls_hello h;

	assert_int_equal(tls_parse_client_hello(hello, HELLO_LEN, &h), 1);
	assert_true(h.complete);
	assert_true(h.has_sni);
	assert_string_equal(h.sni, "api.anthropic.com");
	assert_int_equal(h.n_alpn, 2);
	assert_string_equal(h.alpn[0], "h2");
	assert_string_equal(h.alpn[1], "http/1.1");
	assert_true(h.alpn_h2);
	assert_true(h.alpn_http11);
	assert_int_equal(h.record_version, 0x0301);
	assert_int_equal(h.hello_version, 0x0303);
}

/* every cut: a ClientHello from 6 bytes on, SNI once its name is in, never an error */
static void test_every_cut(void **state)
{
	size_t sni_end = find("api.anthropic.com") + strlen("api.anthropic.com");
	size_t alpn_end = find("http/1.1") + strlen("http/1.1");
	struct tls_hello h;

	for (size_t n = 0; n < HELLO_LEN; n++) {
		int rc = parse_copy(hello, n, &h);

		assert_int_equal(rc, n < 6 ? 0 : 1);
		assert_false(h.complete);
		assert_int_equal(h.has_sni, n >= sni_end);
		if (h.has_sni)
			assert_string_equal(h.sni, "api.anthropic.com");
		assert_int_equal(h.alpn_http11, n >= alpn_end);
	}
}

/* one hello split over two handshake records */
static void test_two_records(void **state)
{
	uint8_t two[sizeof(hello) + 5];
	size_t first = 100, body = HELLO_LEN - 5;
	struct tls_hello h;

	memcpy(two, hello, 5 + first);
	two[3] = 0;
	two[4] = (uint8_t)first;
	memcpy(two + 5 + first, "\x16\x03\x03", 3);
	two[5 + first + 3] = (uint8_t)((body - first) >> 8);
	two[5 + first + 4] = (uint8_t)(body - first);
	memcpy(two + 10 + first, hello + 5 + first, body - first);
	assert_int_equal(parse_copy(two, HELLO_LEN + 5, &h), 1);
	assert_true(h.complete);
	assert_string_equal(h.sni, "api.anthropic.com");
	/* the second record is an alert instead: the hello is cut short by a lie */
	two[5 + first] = 0x15;
	assert_int_equal(parse_copy(two, HELLO_LEN + 5, &h), -1);
}

/* add d to the big-endian field of width w at off */
static void bump(uint8_t *b, size_t off, int w, int d)
{
	unsigned v = 0;

	for (int i = 0; i < w; i++)
		v = v << 8 | b[off + i];
	v += (unsigned)d;
	for (int i = w - 1; i >= 0; i--, v >>= 8)
		b[off + i] = (uint8_t)v;
}

/* every length field grown or shrunk: an error or a cut, never a crash or a wrong name */
static void test_lying_lengths(void **state)
{
	size_t sid = 5 + 4 + 2 + 32;
	size_t cs = sid + 1 + hello[sid];
	size_t comp = cs + 2 + (size_t)(hello[cs] << 8 | hello[cs + 1]);
	size_t ext = comp + 1 + hello[comp];
	size_t sni = find("api.anthropic.com");
	size_t alpn = find("h2") - 1;
	const struct { size_t off; int w; } fields[] = {
		{ 3, 2 }, { 6, 3 }, { sid, 1 }, { cs, 2 }, { comp, 1 }, { ext, 2 },
		{ sni - 2, 2 }, { sni - 5, 2 }, { sni - 7, 2 }, { alpn - 2, 2 }, { alpn, 1 },
		{ alpn + 3, 1 },
	};
	static const int deltas[] = { 1, -1, 7, 200, -200, 0x7fff, 0x8000 };
	uint8_t b[sizeof(hello)];
	struct tls_hello h;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
			int rc;

			if (!((unsigned)deltas[d] & ((1u << 8 * fields[i].w) - 1)))
				continue;   /* no change at this width */
			memcpy(b, hello, HELLO_LEN);
			bump(b, fields[i].off, fields[i].w, deltas[d]);
			rc = parse_copy(b, HELLO_LEN, &h);
			/* a longer record may hold more handshake messages: only that is fine */
			if (i > 0 && rc != -1 && !(rc == 1 && !h.complete))
				fail_msg("field %zu delta %d: rc %d complete %d", i, deltas[d],
					 rc, h.complete);
			if (h.has_sni)
				assert_string_equal(h.sni, "api.anthropic.com");
		}
	}
}

static void test_not_hello(void **state)
{
	static const char *const no[] = {
		"GET / HTTP/1.1\r\n", "\x16\x03\x01\x00\x10\x02",  /* ServerHello */
		"\x17\x03\x03\x00\x10\x01", "\x16\x02\x00\x00\x10\x01", "\x16\x03\x01",
	};
	struct tls_hello h;

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(parse_copy((const uint8_t *)no[i], strlen(no[i]) + (i == 1), &h), 0);
	/* a record of zero bytes or over the TLS limit */
	assert_int_equal(parse_copy((const uint8_t *)"\x16\x03\x01\x00\x00\x01", 6, &h), -1);
	assert_int_equal(parse_copy((const uint8_t *)"\x16\x03\x01\xff\xff\x01", 6, &h), -1);
}

/* a bad host name in SNI and an empty ALPN protocol are errors */
static void test_bad_fields(void **state)
{
	uint8_t b[sizeof(hello)];
	struct tls_hello h;

	memcpy(b, hello, HELLO_LEN);
	b[find("anthropic")] = '/';
	assert_int_equal(parse_copy(b, HELLO_LEN, &h), -1);
	memcpy(b, hello, HELLO_LEN);
	b[find("api.anthropic.com")] = 0;
	assert_int_equal(parse_copy(b, HELLO_LEN, &h), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_hello),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_two_records),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_not_hello),
		cmocka_unit_test(test_bad_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
