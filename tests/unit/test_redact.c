// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_redact.c - secret headers, query parameters and key shapes; small buffers never uncover a secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "redact.h"

static void check_header(const char *name, const char *value, const char *want)
{
	char out[256];
	size_t n = redact_header_value(name, strlen(name), value, strlen(value), out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_header_names(void **state)
{
	static const char *const secret[] = {
		"Authorization", "proxy-authorization", "Cookie", "SET-COOKIE", "X-Api-Key",
		"api-key", "X-Auth-Token", "x-goog-api-key", "X-Amz-Security-Token",
		"x-client-secret", "X-Password", "MyApikey", "anthropic-session-id",
		"X-API_KEY", "x-credentials",
	};
	static const char *const plain[] = {
		"Host", "Content-Type", "openai-organization", "anthropic-version",
		"User-Agent", "Accept", "X-Request-Id", "Content-Length",
	};

	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		assert_true(redact_header_is_secret(secret[i], strlen(secret[i])));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		assert_false(redact_header_is_secret(plain[i], strlen(plain[i])));
}

static void test_header_values(void **state)
{
	check_header("Authorization", "Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
		     "Bearer [REDACTED]");
	check_header("authorization", "Basic dXNlcjpwYXNz", "Basic [REDACTED]");
	check_header("Authorization", "sk-abcdefghijklmnopqrstuvwxyz", "[REDACTED]");
	check_header("Authorization", "AVeryVeryLongSchemeName credentials", "[REDACTED]");
	check_header("Proxy-Authorization", "Digest username=x", "Digest [REDACTED]");
	check_header("Cookie", "session=abc; theme=dark", "[REDACTED]");
	check_header("x-api-key", "Bearer abc", "[REDACTED]");
	check_header("Host", "api.openai.com", "api.openai.com");
	/* a key where no key belongs is still caught */
	check_header("X-Debug", "token=ghp_0123456789abcdefghijABCDEFGHIJ0123 ok",
		     "token=[REDACTED] ok"); /* a secret field's value, whatever it holds */
}

static void check_query(const char *in, const char *want)
{
	char out[512];

	assert_int_equal(redact_query(in, strlen(in), out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void test_query(void **state)
{
	check_query("/v1/models", "/v1/models");
	check_query("/v1beta/models/gemini:generateContent?key=AIzaSyABCDEF&alt=sse",
		    "/v1beta/models/gemini:generateContent?key=[REDACTED]&alt=sse");
	check_query("/x?API_KEY=1&Token=2&access_token=3&q=4&Secret=5&password=6",
		    "/x?API_KEY=[REDACTED]&Token=[REDACTED]&access_token=[REDACTED]&q=4"
		    "&Secret=[REDACTED]&password=[REDACTED]");
	check_query("/s3/obj?X-Amz-Signature=abc&sig=d;signature=e&auth=f&apikey=g",
		    "/s3/obj?X-Amz-Signature=abc&sig=[REDACTED];signature=[REDACTED]"
		    "&auth=[REDACTED]&apikey=[REDACTED]");
	/* percent-encoded names, names containing a secret word, no value */
	check_query("/x?api%5Fkey=1&refresh_token=2&client_secret=3&key&monkey=4",
		    "/x?api%5Fkey=[REDACTED]&refresh_token=[REDACTED]&client_secret=[REDACTED]"
		    "&key&monkey=4");
	check_query("/x?q=1#access_token=zzz", "/x?q=1#access_token=[REDACTED]");
	check_query("/x?", "/x?");
	check_query("/x?&&=", "/x?&&=");
	check_query("/p/sk-proj-abcdefghijklmnopqrstuvwx/y?k=v", "/p/sk-proj-[REDACTED]/y?k=v");
}

static void check_keys(const char *in, const char *want)
{
	char out[512];

	assert_int_equal(redact_keys(in, strlen(in), out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void test_key_shapes(void **state)
{
	check_keys("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-_yz end",
		   "key sk-ant-[REDACTED] end");
	check_keys("OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz012345", "OPENAI=sk-proj-[REDACTED]");
	check_keys("sk-abcdefghijklmnopqrst", "sk-[REDACTED]");
	check_keys("task-abcdefghijklmnopqrstuvwxyz", "task-abcdefghijklmnopqrstuvwxyz");
	check_keys("sk-short and sk-", "sk-short and sk-");
	check_keys("ghp_0123456789abcdefghijABCDEFGHIJ0123", "ghp_[REDACTED]");
	check_keys("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
		   "github_pat_[REDACTED]");
	check_keys("slack xoxb-1234567890-abcdefghij and xoxp-12", "slack xoxb-[REDACTED] and xoxp-12");
	check_keys("aws AKIAIOSFODNN7EXAMPLE.", "aws AKIA[REDACTED].");
	check_keys("AKIAshortlower", "AKIAshortlower");
	check_keys("google AIzaSyA-abcdefghijklmnopqrstuvwxyz0123456", "google AIza[REDACTED]");
	check_keys("glpat-abcdefghijklmnopqrst", "glpat-[REDACTED]");
	/* cut by the end of the buffer: redacted from REDACTED's length on */
	check_keys("x sk-abcdefghijkl", "x sk-[REDACTED]");
	check_keys("x sk-abcdefghi", "x sk-abcdefghi");
	check_keys("", "");
}

/* JSON Web Tokens: three base64url parts, the first a JSON object */
static void test_jwt(void **state)
{
	check_keys("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU ok",
		   "Bearer eyJ[REDACTED] ok");
	check_keys("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln.", "t=eyJ[REDACTED].");
	check_keys("\"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.\"", "\"eyJ[REDACTED]\"");
	/* cut by the end of the buffer: the start of one is one */
	check_keys("x eyJhbGciOiJIUzI1NiJ9.eyJz", "x eyJ[REDACTED]");
	/* not one: a single part, two dots in a row, too short, a word before it */
	check_keys("eyJhbGciOiJIUzI1NiJ9 ok", "eyJhbGciOiJIUzI1NiJ9 ok");
	check_keys("eyJhbGciOiJIUzI1NiJ9..eyJz.x ok", "eyJhbGciOiJIUzI1NiJ9..eyJz.x ok");
	check_keys("eyJa.b.c ok", "eyJa.b.c ok");
	check_keys("heyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln ok",
		   "heyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln ok");
}

/* JSON members and form fields whose names are secret; the list is the headers' and query's */
static void test_fields(void **state)
{
	check_keys("{\"user\":\"bob\",\"password\": \"hunter2\",\"api_key\":\"k\\\"1\",\"n\":1}",
		   "{\"user\":\"bob\",\"password\": \"[REDACTED]\",\"api_key\":\"[REDACTED]\",\"n\":1}");
	check_keys("{\"Client_Secret\" : \"abc\", \"max_tokens\": 1024, \"token\":\"\"}",
		   "{\"Client_Secret\" : \"[REDACTED]\", \"max_tokens\": 1024, \"token\":\"\"}");
	/* escaped inside a JSON string (a tool's input in a prompt) */
	check_keys("{\"input\":\"{\\\"secret\\\":\\\"s3cr3t\\\"}\"}",
		   "{\"input\":\"{\\\"secret\\\":\\\"[REDACTED]\\\"}\"}");
	/* a value cut by the end of the buffer: all of it */
	check_keys("{\"password\":\"hunt", "{\"password\":\"[REDACTED]");
	/* application/x-www-form-urlencoded, and a query in free text */
	check_keys("grant_type=password&username=bob&password=hunter2&client_secret=abc&x=1",
		   "grant_type=password&username=bob&password=[REDACTED]&client_secret=[REDACTED]&x=1");
	check_keys("passwd=a%20b&Token=t secret=s", "passwd=[REDACTED]&Token=[REDACTED] secret=[REDACTED]");
	/* a JSON escape ends the value: the text a prompt shows (unescaped) is cut alike */
	check_keys("{\"p\":\"run password=abc\\ndef\"}", "{\"p\":\"run password=[REDACTED]\\ndef\"}");
	check_keys("see https://h/cb?code=1&access_token=zz#x", "see https://h/cb?code=1&access_token=[REDACTED]#x");
	/* not secret: another name, a name inside a word, no value */
	check_keys("monkey=1 mypassword_hint=2 x.token=", "monkey=1 mypassword_hint=[REDACTED] x.token=");
	check_keys("{\"note\":\"password=\"}", "{\"note\":\"password=\"}");
}

/* in place, as traces store them: the length kept, what redact_keys finds again */
static void test_mask(void **state)
{
	char s[] = "a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln {\"token\":\"abc\"} password=pw&q=1";
	char out[256];

	assert_int_equal(redact_keys_mask(s, strlen(s)), 17 + 15 + 4 + 3 + 2);
	assert_string_equal(s, "a eyJXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXX.XXXX {\"token\":\"xxx\"} "
			       "password=xx&q=1");
	redact_keys(s, strlen(s), out, sizeof(out));
	assert_string_equal(out, "a eyJ[REDACTED] {\"token\":\"[REDACTED]\"} password=[REDACTED]&q=1");
}

/* command-line arguments: curl -H headers, URLs with keys, bare keys */
static void test_args(void **state)
{
	static const char key[] = "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm9Nb8Vc7";
	char out[256], in[256];
	size_t n;

	(void)state;
	snprintf(in, sizeof(in), "Authorization: Bearer %s", key);
	n = redact_arg(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, "Authorization: Bearer [REDACTED]");
	assert_int_equal(n, strlen(out));
	snprintf(in, sizeof(in), "x-api-key:%s", key);
	redact_arg(in, strlen(in), out, sizeof(out));
	assert_null(strstr(out, "Zx9Qw8"));
	assert_non_null(strstr(out, "x-api-key: "));
	redact_arg("https://h.example/v1?api_key=abc123&q=2", 39, out, sizeof(out));
	assert_string_equal(out, "https://h.example/v1?api_key=[REDACTED]&q=2");
	snprintf(in, sizeof(in), "--token=%s", key);
	redact_arg(in, strlen(in), out, sizeof(out));
	assert_null(strstr(out, "Zx9Qw8"));
	redact_arg("Content-Type: text/plain", 24, out, sizeof(out));
	assert_string_equal(out, "Content-Type: text/plain");
	redact_arg("-d", 2, out, sizeof(out));
	assert_string_equal(out, "-d");
}

static void test_in_place(void **state)
{
	char buf[] = "a sk-ant-abcdefghijklmnopqrstuvwxyz b ghp_0123456789abcdefghijABCDEFGHIJ0123 c";

	assert_int_equal(redact_keys(buf, strlen(buf), buf, sizeof(buf)),
			 strlen("a sk-ant-[REDACTED] b ghp_[REDACTED] c"));
	assert_string_equal(buf, "a sk-ant-[REDACTED] b ghp_[REDACTED] c");
}

/* every output size: a prefix of the full result, NUL-terminated, never the secret */
static void test_small_buffers(void **state)
{
	const char *path = "/x?token=supersecretvalue&q=sk-abcdefghijklmnopqrstuvwxyz";
	const char *want = "/x?token=[REDACTED]&q=sk-[REDACTED]";
	char out[128];

	for (size_t sz = 0; sz < sizeof(out); sz++) {
		size_t n;

		memset(out, 'Z', sizeof(out));
		n = redact_query(path, strlen(path), out, sz);
		assert_true(n < (sz ? sz : 1));
		if (sz) {
			assert_int_equal(out[n], '\0');
			assert_memory_equal(out, want, n);
		}
		assert_int_equal(out[sz], 'Z');
		assert_null(memmem(out, sizeof(out), "supersecret", 11));
		n = redact_header_value("Authorization", 13, "Bearer abcdef", 13, out, sz);
		if (sz)
			assert_memory_equal(out, "Bearer [REDACTED]", n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_key_shapes),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
