// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_rules.c - allow entries vs destinations, the rules on requests, syscalls and the default policy (uploads: test_rules_uploads.c). */

#include "rules_fixture.h"

struct row {
	const char *host;    /* NULL: by address */
	const char *addr;    /* text, NULL: none */
	uint16_t port;
	const char *method;  /* NULL: no request; "?": a request, method not known */
	const char *path;
	enum rules_match want;
};

static void judge_rows(const struct row *rows, size_t n)
{
	struct policy *p = load();

	for (size_t i = 0; i < n; i++) {
		uint8_t a[16] = { 0 };
		struct rules_dest d = { .host = rows[i].host, .port = rows[i].port,
					.method = rows[i].method, .path = rows[i].path,
					.request = rows[i].method != NULL };

		if (d.method && !strcmp(d.method, "?"))
			d.method = NULL;

		if (rows[i].addr) {
			d.family = strchr(rows[i].addr, ':') ? AF_INET6 : AF_INET;
			assert_int_equal(inet_pton(d.family, rows[i].addr, a), 1);
			d.addr = a;
		}
		if (rules_judge(p, &d) != rows[i].want)
			fail_msg("row %zu (%s %s %s %s): got %d want %d", i, rows[i].host,
				 rows[i].addr, rows[i].method, rows[i].path, rules_judge(p, &d),
				 rows[i].want);
	}
	policy_free(p);
}

static void test_hosts(void **state)
{
	static const struct row rows[] = {
		{ "api.example.com", NULL, 443, "POST", "/v1/messages", RULES_ALLOWED },
		{ "API.Example.COM", NULL, 443, "DELETE", "/", RULES_ALLOWED },
		{ "api.example.com.", NULL, 443, "POST", "/", RULES_ALLOWED },
		{ "x.api.example.com", NULL, 443, "POST", "/", RULES_NO_DEST },
		{ "example.com", NULL, 443, "GET", "/", RULES_NO_DEST },
		/* *.suffix: subdomains only, any depth, not the apex or look-alikes */
		{ "forum.corp.example", NULL, 443, "GET", "/", RULES_ALLOWED },
		{ "a.b.corp.example", NULL, 443, "HEAD", "/", RULES_ALLOWED },
		{ "forum.corp.example", NULL, 443, "POST", "/api/posts", RULES_NO_METHOD },
		{ "corp.example", NULL, 443, "GET", "/", RULES_NO_DEST },
		{ "evilcorp.example", NULL, 443, "GET", "/", RULES_NO_DEST },
		/* no request: methods and paths are not judged */
		{ "forum.corp.example", NULL, 443, NULL, NULL, RULES_ALLOWED },
		{ "Forum.Corp.Example", "10.1.2.3", 443, "get", "/", RULES_ALLOWED },
	};

	judge_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_paths_ports_methods(void **state)
{
	static const struct row rows[] = {
		{ "git.example", NULL, 443, "POST", "/org/repo.git/git-upload-pack", RULES_ALLOWED },
		{ "git.example", NULL, 443, "POST", "/org/repo.git/git-upload-pack?x=1", RULES_ALLOWED },
		{ "git.example", NULL, 443, "POST", "/org/repo.git/git-receive-pack", RULES_NO_PATH },
		{ "git.example", NULL, 443, "GET", "/info/refs?service=git-upload-pack", RULES_ALLOWED },
		{ "git.example", NULL, 443, "GET", "/infox/refs", RULES_NO_PATH },
		{ "git.example", NULL, 443, "GET",
		  "http://git.example/info/refs", RULES_ALLOWED },  /* absolute form */
		{ "git.example", NULL, 443, "PUT", "/info/refs", RULES_NO_METHOD },
		{ "alt.example", NULL, 8443, "PUT", "/x", RULES_ALLOWED },
		{ "alt.example", NULL, 443, "PUT", "/x", RULES_NO_DEST },
		{ "alt.example", NULL, 8443, "POST", "/x", RULES_NO_METHOD },
		/* a request whose method is not known: only an entry without
		 * methods (and paths) allows it */
		{ "api.example.com", NULL, 443, "?", "/x", RULES_ALLOWED },
		{ "a.corp.example", NULL, 443, "?", "/x", RULES_NO_METHOD },
		{ "alt.example", NULL, 8443, "?", "/x", RULES_NO_METHOD },
		{ "git.example", NULL, 443, "?", "/info/refs", RULES_NO_METHOD },
		{ "paste.example", NULL, 443, "?", NULL, RULES_NO_DEST },
		{ "paste.example", NULL, 443, NULL, NULL, RULES_NO_DEST },
	};

	judge_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_cidr_and_local(void **state)
{
	static const struct row rows[] = {
		{ NULL, "10.200.1.1", 443, "POST", "/", RULES_ALLOWED },
		{ NULL, "10.200.1.1", 80, "POST", "/", RULES_NO_DEST },
		{ NULL, "11.0.0.1", 443, "POST", "/", RULES_NO_DEST },
		{ NULL, "::ffff:10.0.0.9", 443, NULL, NULL, RULES_ALLOWED },   /* v4-mapped */
		{ NULL, "2001:db8:1::5", 22, "DELETE", "/", RULES_ALLOWED },
		{ NULL, "2001:db9::5", 22, "DELETE", "/", RULES_NO_DEST },
		/* a name does not hide the address from cidr entries */
		{ "intranet.example", "10.0.0.5", 443, "POST", "/", RULES_ALLOWED },
		/* local */
		{ NULL, "127.0.0.1", 8080, "POST", "/", RULES_ALLOWED },
		{ NULL, "127.9.9.9", 1, "POST", "/", RULES_ALLOWED },
		{ NULL, "::1", 8080, "POST", "/", RULES_ALLOWED },
		{ NULL, "::ffff:127.0.0.1", 8080, "POST", "/", RULES_ALLOWED },
		{ "LocalHost", "10.9.9.9", 80, "POST", "/", RULES_ALLOWED },
		/* a host written as an address: judged by where the bytes went */
		{ "127.0.0.1", "127.0.0.1", 8080, "POST", "/", RULES_ALLOWED },
		{ "[::1]", "::1", 8080, "POST", "/", RULES_ALLOWED },
		{ "127.0.0.1", "203.0.113.9", 80, "POST", "/", RULES_NO_DEST },
		/* loopback with another name is judged by the name */
		{ "paste.example", "127.0.0.1", 80, "POST", "/", RULES_NO_DEST },
		{ NULL, NULL, 80, "POST", "/", RULES_NO_DEST },
	};

	judge_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_matchers(void **state)
{
	assert_true(rules_host_match("*.a.b", "x.a.b"));
	assert_false(rules_host_match("*.a.b", "a.b"));
	assert_false(rules_host_match("a.b", NULL));
	assert_true(rules_path_match("/api/*", "/api/x/y?q=/z"));
	assert_false(rules_path_match("/api/*", "/apix"));
	assert_true(rules_path_match("/p", "/p#frag"));
	assert_false(rules_path_match("/p", NULL));
}

static void test_outbound_post(void **state)
{
	struct policy *p = load();
	struct rules_verdict v;
	struct event ev = http_ev("POST", "forum.corp.example", "/api/posts");

	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.rule, "outbound_post");
	assert_string_equal(v.severity, "high");
	assert_string_equal(v.reason, "host not allowed for POST");
	ev = http_ev("GET", "paste.example", "/");
	assert_false(rules_outbound_post(p, &ev, &v));        /* reads never alert */
	assert_null(v.rule);
	ev = http_ev("PATCH", "paste.example", "/x");
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "host not in the allow list");
	ev = http_ev("POST", "git.example", "/r/git-receive-pack");
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "path not allowed for POST");
	ev = http_ev("delete", NULL, "/x");                    /* by address */
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "address not in the allow list");
	ev = http_ev("POST", "api.example.com", "/v1/messages");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", NULL, "/x");
	ev.http.net.host = "api.example.com";                  /* name from DNS/SNI */
	assert_false(rules_outbound_post(p, &ev, &v));
	ev.type = AM_EV_SEND;
	assert_false(rules_outbound_post(p, &ev, &v));
	policy_free(p);
}

/* every method but GET, HEAD and OPTIONS writes; an unknown one too */
static void test_write_methods(void **state)
{
	static const char *const writes[] = { "POST", "PROPPATCH", "MKCOL", "CONNECT", "TRACE",
					      "X-ANYTHING", "get", NULL };
	struct policy *p = load();
	struct rules_verdict v;
	struct event ev;

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		assert_true(rules_is_write_method(writes[i]));
		ev = http_ev(writes[i], "paste.example", "/x");
		assert_true(rules_outbound_post(p, &ev, &v));
	}
	assert_string_equal(v.reason, "host not in the allow list");
	ev = http_ev(NULL, "a.corp.example", "/x");       /* listed for GET/HEAD only */
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "host not allowed for an unknown method");
	ev = http_ev(NULL, "api.example.com", "");        /* listed for any method */
	assert_false(rules_outbound_post(p, &ev, &v));
	assert_false(rules_is_write_method("GET"));
	assert_false(rules_is_write_method("HEAD"));
	assert_false(rules_is_write_method("OPTIONS"));
	policy_free(p);
}

/* a request naming another host than its TLS server name: host_mismatch,
 * and outbound_post judged by the stricter of the two */
static void test_host_mismatch(void **state)
{
	struct policy *p = load();
	struct rules_verdict v;
	struct event ev = http_ev("POST", "front.forum.example", "/x");

	assert_false(rules_host_mismatch(&ev, &v));
	ev.http.req_host = "api.example.com";
	assert_true(rules_host_mismatch(&ev, &v));
	assert_string_equal(v.rule, "host_mismatch");
	assert_string_equal(v.severity, "high");
	assert_true(rules_outbound_post(p, &ev, &v));     /* the front is not allowed */
	/* an allowed server name with a forbidden named host: the named one */
	ev = http_ev("POST", "api.example.com", "/x");
	ev.http.req_host = "a.corp.example";
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "host not allowed for POST");
	/* naming localhost hides nothing */
	ev = http_ev("POST", "paste.example", "/x");
	ev.http.req_host = "localhost";
	assert_true(rules_outbound_post(p, &ev, &v));
	/* both allowed: no outbound_post (host_mismatch still) */
	ev = http_ev("PUT", "api.example.com", "/x");
	ev.http.req_host = "api.example.com.";
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("GET", "paste.example", "/x");
	ev.http.req_host = "a.corp.example";
	assert_true(rules_host_mismatch(&ev, &v));
	ev.type = AM_EV_SEND;
	assert_false(rules_host_mismatch(&ev, &v));
	policy_free(p);
}

static void test_uring(void **state)
{
	struct rules_verdict v;
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_CONNECT;
	ev.agent_id = 1;
	assert_false(rules_uring_network(&ev, &v));
	ev.net.io_uring = true;
	assert_true(rules_uring_network(&ev, &v));
	assert_string_equal(v.rule, "uring_network");
	assert_string_equal(v.severity, "medium");
	ev.type = AM_EV_SEND;
	assert_true(rules_uring_network(&ev, &v));
	ev.agent_id = AM_AGENT_NONE;
	assert_false(rules_uring_network(&ev, &v));
	ev.agent_id = 1;
	ev.type = AM_EV_OPEN;
	assert_false(rules_uring_network(&ev, &v));
}

static void test_syscall(void **state)
{
	struct rules_verdict v;
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_SYSCALL;
	ev.agent_id = 1;
	ev.sys = (struct event_syscall){ .name = "ptrace", .kind = AM_SYS_PTRACE, .target = 77 };
	assert_true(rules_syscall(&ev, &v));
	assert_string_equal(v.rule, "process_tamper");
	assert_string_equal(v.severity, "high");
	assert_non_null(strstr(v.reason, "ptrace of pid 77"));
	ev.sys.target = 0;
	assert_true(rules_syscall(&ev, &v));
	assert_non_null(strstr(v.reason, "ptrace of an unknown pid"));
	ev.sys = (struct event_syscall){ .name = "open", .kind = AM_SYS_COMPAT, .compat = true };
	assert_true(rules_syscall(&ev, &v));
	assert_string_equal(v.rule, "compat_syscall");
	assert_non_null(strstr(v.reason, "open through the 32-bit"));
	ev.agent_id = AM_AGENT_NONE;
	assert_false(rules_syscall(&ev, &v));
	ev.agent_id = 1;
	ev.type = AM_EV_OPEN;
	assert_false(rules_syscall(&ev, &v));
}

static void test_default_policy(void **state)
{
	struct policy *p = NULL;
	struct rules_verdict v;
	char err[128];
	struct event ev;

	assert_int_equal(policy_load_buffer(NULL, NULL, 0, &p, err, sizeof(err)), 0);
	ev = http_ev("POST", "api.anthropic.com", "/v1/messages");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "github.com", "/o/r.git/git-upload-pack");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "github.com", "/o/r.git/git-receive-pack");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("PUT", "registry.npmjs.org", "/pkg");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "forum.corp.example", "/api/posts");
	assert_true(rules_outbound_post(p, &ev, &v));
	/* the agents' default telemetry: one vendor host and path each */
	ev = http_ev("POST", "play.googleapis.com", "/log?format=json");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "play.googleapis.com", "/upload");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "ab.chatgpt.com", "/otlp/v1/metrics");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("PUT", "ab.chatgpt.com", "/otlp/v1/metrics");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "gb4w8c3ygj-default-sea.rum.aliyuncs.com", "/");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "attacker-default-sea.rum.aliyuncs.com", "/");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "d1.api.augmentcode.com", "/chat-stream");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "data.cline.bot", "/flags/?v=2");     /* cline */
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "otel.cline.bot", "/v1/logs");
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "otel.cline.bot", "/upload");        /* its one path */
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "models.opencode.ai", "/api.json");   /* reads only */
	assert_true(rules_outbound_post(p, &ev, &v));
	policy_free(p);
}

/* deny entries win over allow entries, the built-in ones included */
static void test_deny(void **state)
{
	static const char y[] = "deny:\n"
				"  - host: play.googleapis.com\n"
				"    methods: [POST]\n"
				"  - host: \"*.anthropic.com\"\n"
				"    paths: [\"/api/event_logging/*\"]\n";
	struct rules_dest d = { .host = "play.googleapis.com", .port = 443 };
	struct policy *p = NULL;
	struct rules_verdict v;
	char err[128];
	struct event ev;

	assert_int_equal(policy_load_buffer("d.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_int_equal(p->n_deny, 2);
	ev = http_ev("POST", "play.googleapis.com", "/log");
	assert_true(rules_outbound_post(p, &ev, &v));
	assert_string_equal(v.reason, "denied by the policy for POST");
	ev = http_ev("GET", "play.googleapis.com", "/log");     /* reads never alert */
	assert_false(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "api.anthropic.com", "/api/event_logging/v2/batch");
	assert_true(rules_outbound_post(p, &ev, &v));
	ev = http_ev("POST", "api.anthropic.com", "/v1/messages");
	assert_false(rules_outbound_post(p, &ev, &v));
	/* bytes whose request is not seen: the host alone decides */
	assert_int_equal(rules_judge(p, &d), RULES_DENIED);
	d.host = "localhost";
	assert_int_equal(rules_judge(p, &d), RULES_ALLOWED);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_paths_ports_methods),
		cmocka_unit_test(test_cidr_and_local),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_outbound_post),
		cmocka_unit_test(test_uring),
		cmocka_unit_test(test_write_methods),
		cmocka_unit_test(test_host_mismatch),
		cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_deny),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
