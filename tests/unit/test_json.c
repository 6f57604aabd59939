// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_json.c - the JSON writer: structure, commas, escaping of any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* the JSON of one string written alone */
static void check_str(const char *in, size_t n, const char *want)
{
	struct jw w;

	jw_init(&w);
	jw_strn(&w, in, n);
	assert_false(w.oom);
	assert_string_equal(w.buf, want);
	jw_free(&w);
}

static void test_structure(void **state)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "a"); jw_int(&w, -5);
	jw_key(&w, "b"); jw_arr_begin(&w);
	jw_uint(&w, 18446744073709551615ull); jw_bool(&w, true); jw_null(&w);
	jw_arr_begin(&w); jw_arr_end(&w);
	jw_obj_begin(&w); jw_obj_end(&w);
	jw_arr_end(&w);
	jw_key(&w, "c"); jw_str(&w, NULL);
	jw_key(&w, "d"); jw_obj_begin(&w); jw_key(&w, "e"); jw_bool(&w, false); jw_obj_end(&w);
	jw_key(&w, "f"); jw_raw(&w, "1.5", 3);
	jw_obj_end(&w);
	assert_string_equal(w.buf,
		"{\"a\":-5,\"b\":[18446744073709551615,true,null,[],{}],\"c\":null,"
		"\"d\":{\"e\":false},\"f\":1.5}");
	jw_reset(&w);
	assert_int_equal(w.len, 0);
	jw_arr_begin(&w); jw_int(&w, INT64_MIN); jw_int(&w, 0); jw_uint(&w, 0);
	jw_int(&w, INT64_MAX); jw_int(&w, -1); jw_uint(&w, 10); jw_arr_end(&w);
	assert_string_equal(w.buf, "[-9223372036854775808,0,0,9223372036854775807,-1,10]");
	jw_free(&w);
}

static void test_deep_nesting(void **state)
{
	char want[1024];
	struct jw w;
	size_t k = 0;

	/* [0,[1,[2,...[99]...],99],...] : each close restores the outer comma */
	jw_init(&w);
	for (int i = 0; i < 100; i++) {
		jw_arr_begin(&w);
		jw_int(&w, i);
		k += (size_t)snprintf(want + k, sizeof(want) - k, "%s[%d", i ? "," : "", i);
	}
	for (int i = 99; i >= 0; i--) {
		jw_arr_end(&w);
		if (i)
			jw_int(&w, i);
		k += (size_t)snprintf(want + k, sizeof(want) - k, "]%s", i ? "," : "");
		if (i)
			k += (size_t)snprintf(want + k, sizeof(want) - k, "%d", i);
	}
	assert_true(k < sizeof(want));
	assert_string_equal(w.buf, want);
	jw_free(&w);
}

static void test_escape_ascii(void **state)
{
	check_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_str("\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"");
	check_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	check_str("a\0b", 3, "\"a\\u0000b\"");
	check_str("", 0, "\"\"");
	check_str("/ok</", 5, "\"/ok</\"");
}

static void test_escape_utf8(void **state)
{
	/* valid: 2, 3, 4 byte sequences, U+10FFFF */
	check_str("\xc3\xa9", 2, "\"\xc3\xa9\"");
	check_str("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	check_str("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
	check_str("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");
	/* bad lead bytes */
	check_str("\x80", 1, "\"\\ufffd\"");
	check_str("\xff\xfe", 2, "\"\\ufffd\\ufffd\"");
	/* truncated: each byte replaced, the following ASCII kept */
	check_str("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	check_str("\xc3z", 2, "\"\\ufffdz\"");
	/* overlong */
	check_str("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	check_str("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	check_str("\xf0\x80\x80\xaf", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* surrogate U+D800 */
	check_str("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	/* above U+10FFFF */
	check_str("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_str("\xf5\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_long_string(void **state)
{
	static char big[100000];
	struct jw w;

	memset(big, 'x', sizeof(big));
	jw_init(&w);
	jw_strn(&w, big, sizeof(big));
	assert_int_equal(w.len, sizeof(big) + 2);
	assert_int_equal(strlen(w.buf), w.len);
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_escape_ascii),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
