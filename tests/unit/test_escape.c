// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_escape.c - agent-chosen bytes for log lines, text output and Slack:
 * newlines and journal priorities, terminal escapes, C1 controls, invalid
 * UTF-8 (overlong, surrogates, cut), Slack's <!channel>; valid UTF-8 kept;
 * cuts at character boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static void text_is(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t len = escape_text(out, sizeof(out), in, n);

	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
}

/* a literal's bytes, its NULs included */
#define TEXT_IS(lit, want) text_is(lit, sizeof(lit) - 1, want)

static void test_controls(void **state)
{
	(void)state;
	TEXT_IS("/tmp/x\n<2>agentmon: forged", "/tmp/x\\x0a<2>agentmon: forged");
	TEXT_IS("a\rb\tc\x1b[2Jd\x7f", "a\\x0db\\x09c\\x1b[2Jd\\x7f");
	TEXT_IS("nul\0after", "nul\\x00after");
	TEXT_IS("plain /usr/bin/node", "plain /usr/bin/node");
	TEXT_IS("", "");
}

static void test_utf8(void **state)
{
	(void)state;
	TEXT_IS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");          /* kept */
	TEXT_IS("\xc2\x9b" "31m", "\\xc2\\x9b31m");                /* C1 CSI */
	TEXT_IS("\xc2\x85", "\\xc2\\x85");                         /* C1 NEL */
	TEXT_IS("\xc2\xa0", "\xc2\xa0");                           /* U+00A0 kept */
	TEXT_IS("\x9b" "1m", "\\x9b1m");                           /* raw 8-bit CSI */
	TEXT_IS("\xc0\x8a", "\\xc0\\x8a");                         /* overlong \n */
	TEXT_IS("\xe0\x80\x8a", "\\xe0\\x80\\x8a");                /* overlong */
	TEXT_IS("\xed\xa0\x80", "\\xed\\xa0\\x80");                /* surrogate */
	TEXT_IS("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");       /* > U+10FFFF */
	TEXT_IS("ab\xe2\x82", "ab\\xe2\\x82");                     /* cut sequence */
	TEXT_IS("\xff\xfe", "\\xff\\xfe");
}

static void test_span(void **state)
{
	size_t bad;

	(void)state;
	assert_int_equal(escape_span("abc\ndef", 7, &bad), 3);
	assert_int_equal(bad, 1);
	assert_int_equal(escape_span("x\xc2\x9by", 4, &bad), 1);
	assert_int_equal(bad, 2);
	assert_int_equal(escape_span("abc", 3, &bad), 3);
	assert_int_equal(bad, 0);
}

static void test_cut(void **state)
{
	char out[8];

	(void)state;
	/* "ab" + euro (3 bytes) + "cd" into 6 usable bytes: the euro fits whole */
	assert_int_equal(escape_text(out, 6, "ab\xe2\x82\xac" "cd", 7), 5);
	assert_string_equal(out, "ab\xe2\x82\xac");
	/* into 5 usable bytes: cut before the euro, never inside it */
	assert_int_equal(escape_text(out, 5, "ab\xe2\x82\xac" "cd", 7), 2);
	assert_string_equal(out, "ab");
	/* an escape is whole or absent */
	assert_int_equal(escape_text(out, 6, "a\nb", 3), 5);
	assert_string_equal(out, "a\\x0a");
	assert_int_equal(escape_text(out, 5, "a\nb", 3), 1);
	assert_string_equal(out, "a");
}

static void test_slack(void **state)
{
	char out[256];

	(void)state;
	escape_slack(out, sizeof(out), "ALERT high outbound_post: <!channel> & <@U123|x> [a > b]");
	assert_string_equal(out, "ALERT high outbound_post: &lt;!channel&gt; &amp; "
			    "&lt;@U123|x&gt; [a &gt; b]");
	escape_slack(out, sizeof(out), "line\n<!here>");
	assert_string_equal(out, "line\\x0a&lt;!here&gt;");
	assert_int_equal(escape_slack(out, 4, "<<<"), 0); /* an entity is whole or absent */
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls), cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_span), cmocka_unit_test(test_cut),
		cmocka_unit_test(test_slack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
