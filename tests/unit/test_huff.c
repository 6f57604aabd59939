// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_huff.c - the HPACK Huffman code against nghttp2's: every octet's code
 * decodes, counts agree, and masks decode to the asked number of octets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "huff.h"

/* syms (n of them) Huffman-coded into out; octets written */
static size_t encode(const uint8_t *syms, size_t n, uint8_t *out)
{
	uint64_t acc = 0;
	unsigned nb = 0, len;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t c = huff_code(syms[i], &len);

		acc = acc << len | c;
		nb += len;
		while (nb >= 8) {
			nb -= 8;
			out[o++] = (uint8_t)(acc >> nb);
		}
		acc &= (1ull << nb) - 1;
	}
	if (nb)
		out[o++] = (uint8_t)(acc << (8 - nb) | ((1u << (8 - nb)) - 1));
	return o;
}

/* a literal field "a: <huffman octets>" decoded by nghttp2; the value's length, -1 on error */
static long nghttp2_value(const uint8_t *h, size_t n, uint8_t *value)
{
	nghttp2_hd_inflater *inf;
	uint8_t blk[4096];
	size_t o = 0;
	nghttp2_nv nv;
	int flags = 0;
	long got = -1;

	assert_true(n < 2000);
	blk[o++] = 0x00;
	blk[o++] = 0x01;
	blk[o++] = 'a';
	if (n < 127) {
		blk[o++] = (uint8_t)(0x80 | n);
	} else {
		blk[o++] = 0xff;
		size_t v = n - 127;
		while (v >= 128) {
			blk[o++] = (uint8_t)(v | 0x80);
			v >>= 7;
		}
		blk[o++] = (uint8_t)v;
	}
	memcpy(blk + o, h, n);
	o += n;
	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	if (nghttp2_hd_inflate_hd2(inf, &nv, &flags, blk, o, 1) >= 0 &&
	    (flags & NGHTTP2_HD_INFLATE_EMIT)) {
		memcpy(value, nv.value, nv.valuelen);
		got = (long)nv.valuelen;
	}
	nghttp2_hd_inflate_del(inf);
	return got;
}

static void test_every_octet(void **state)
{
	uint8_t syms[256], out[1024], back[1024];
	size_t n;

	for (int i = 0; i < 256; i++)
		syms[i] = (uint8_t)i;
	n = encode(syms, 256, out);
	assert_int_equal(nghttp2_value(out, n, back), 256);
	assert_memory_equal(back, syms, 256);
	assert_int_equal(huff_count(out, n), 256);
}

static void test_count_and_invalid(void **state)
{
	const uint8_t *s = (const uint8_t *)"Bearer sk-ant-api03-0123456789abcdef";
	uint8_t out[128];
	size_t n = encode(s, strlen((const char *)s), out);

	assert_int_equal(huff_count(out, n), (long)strlen((const char *)s));
	out[n - 1] &= 0xfe; /* padding not all ones, or a symbol more */
	assert_true(huff_count(out, n) != (long)strlen((const char *)s));
	memset(out, 0xff, 4); /* EOS */
	assert_int_equal(huff_count(out, 4), -1);
}

/* masks of every (octets, count) a real string of short and long codes gives */
static void test_fill(void **state)
{
	static const char *alpha[] = { "0aeiost", "xyzXZ", "\\^}<{", "abcdef123", "\x80\xc3\xff" };
	uint8_t syms[200], out[1024], back[2048];

	srand(7);
	for (int round = 0; round < 3000; round++) {
		const char *a = alpha[rand() % 5], *b = alpha[rand() % 5];
		size_t len = 1 + (size_t)(rand() % 150), n;
		long got;

		for (size_t i = 0; i < len; i++) {
			const char *from = rand() % 3 ? a : b;
			syms[i] = (uint8_t)from[rand() % strlen(from)];
		}
		n = encode(syms, len, out);
		assert_int_equal(huff_fill(out, n, len), 0);
		assert_int_equal(huff_count(out, n), (long)len);
		got = nghttp2_value(out, n, back);
		assert_int_equal(got, (long)len);
		for (size_t i = 0; i < len; i++) { /* only mask symbols are left */
			unsigned l;

			huff_code(back[i], &l);
			assert_int_equal(huff_mask_of_len(l), back[i]);
		}
	}
	/* a mostly-'x' mask: 10 symbols in 9 octets are all 7 bits or 8 */
	assert_int_equal(huff_fill(out, 9, 10), 0);
	assert_int_equal(nghttp2_value(out, 9, back), 10);
	for (int i = 0; i < 10; i++)
		assert_true(back[i] == 'x' || back[i] == 'X');
	assert_int_equal(huff_fill(out, 2, 20), -1); /* no 20 symbols fit in 2 octets */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_octet),
		cmocka_unit_test(test_count_and_invalid),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
