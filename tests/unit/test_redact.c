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
		     "token=ghp_[REDACTED] ok");
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
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
