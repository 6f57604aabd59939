// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_rules.c - allow entries vs destinations, the three rules, upload accounting. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rules.h"

static const char yaml[] =
	"allow:\n"
	"  - host: api.example.com\n"
	"  - host: \"*.corp.example\"\n"
	"    methods: [GET, HEAD]\n"
	"  - host: git.example\n"
	"    methods: [GET, POST]\n"
	"    paths: [\"*/git-upload-pack\", \"/info/*\"]\n"
	"  - cidr: 10.0.0.0/8\n"
	"    ports: [443]\n"
	"  - cidr: 2001:db8::/32\n"
	"  - host: alt.example\n"
	"    ports: [8443]\n"
	"    methods: [PUT]\n";

static struct policy *load(void)
{
	struct policy *p = NULL;
	char err[256];

	assert_int_equal(policy_load_buffer("t.yaml", yaml, strlen(yaml), &p, err, sizeof(err)), 0);
	return p;
}

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

static struct event http_ev(const char *method, const char *host, const char *path)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_HTTP;
	ev.pid = 10; ev.agent_pid = 10; ev.agent_id = 0; ev.agent = "claude";
	ev.http.method = method; ev.http.host = host; ev.http.path = path;
	ev.http.net.family = AF_INET; ev.http.net.dport = 443;
	memcpy(ev.http.net.daddr, "\xc0\x00\x02\x01", 4);
	ev.http.tls = true;
	return ev;
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

static struct event send_ev(uint32_t fd, const char *addr, int64_t bytes, const char *host)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_SEND;
	ev.pid = 20; ev.agent_pid = 20; ev.agent = "codex";
	ev.net.fd = fd; ev.net.family = AF_INET; ev.net.dport = 443; ev.net.proto = 6;
	inet_pton(AF_INET, addr, ev.net.daddr);
	ev.net.has_ret = true; ev.net.ret = bytes; ev.net.host = host;
	return ev;
}

#define SEC 1000000000ull

static void test_uploads(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(1000, 10 * SEC, 4);
	struct rules_verdict v;
	struct event ev = send_ev(5, "198.51.100.7", 600, "paste.example"), h;

	assert_non_null(u);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_true(rules_uploads_send(u, p, &ev, &v));        /* 1200 > 1000 */
	assert_string_equal(v.rule, "unexpected_upload");
	assert_string_equal(v.severity, "medium");
	assert_int_equal(v.bytes, 1200);
	assert_false(rules_uploads_send(u, p, &ev, &v));       /* once per window */
	/* a new connection to the same host adds to the same count */
	rules_uploads_reset(u, &ev);
	ev = send_ev(6, "198.51.100.9", 600, "paste.example");
	assert_false(rules_uploads_send(u, p, &ev, &v));
	/* the next window starts over */
	ev.ts_ns = 11 * SEC;
	assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_true(rules_uploads_send(u, p, &ev, &v));
	assert_int_equal(v.bytes, 1200);
	/* an HTTP request on the connection explains the bytes... */
	ev = send_ev(6, "198.51.100.7", 5000, NULL);
	h = http_ev("GET", "x", "/");
	h.pid = 20; h.http.net = ev.net;
	rules_uploads_http(u, &h, false);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	/* ...but not the bytes no request explains */
	ev.net.opaque = true;
	assert_true(rules_uploads_send(u, p, &ev, &v));
	assert_string_equal(v.reason, "address not in the allow list");
	/* listed destinations and local ones never alert */
	ev = send_ev(7, "10.1.1.1", 5000, NULL);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	ev = send_ev(8, "127.0.0.1", 5000, NULL);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	ev = send_ev(9, "198.51.100.7", 5000, "api.example.com");
	assert_false(rules_uploads_send(u, p, &ev, &v));
	/* bounded: 4 slots; exit forgets the process's connections */
	assert_int_equal(rules_uploads_count(u), 4);
	ev = send_ev(10, "198.51.100.8", 5000, NULL);
	assert_true(rules_uploads_send(u, p, &ev, &v));
	assert_int_equal(rules_uploads_count(u), 4);
	assert_true(rules_uploads_evicted(u) > 0);             /* destinations forgotten */
	rules_uploads_forget_pid(u, 20);
	assert_int_equal(rules_uploads_count(u), 0);
	rules_uploads_free(u);
	policy_free(p);
}

/* the ClientHello of ev's connection, its plaintext read as how says */
static void hello_tls(struct rules_uploads *u, const struct event *send, enum rules_tls how)
{
	struct event d;

	memset(&d, 0, sizeof(d));
	d.type = AM_EV_DATA;
	d.pid = send->pid; d.agent_pid = send->agent_pid; d.agent = send->agent;
	d.data.fd = send->net.fd; d.data.dport = send->net.dport; d.data.sport = send->net.sport;
	memcpy(d.data.daddr, send->net.daddr, 16);
	rules_uploads_tls(u, &d, how);
}

static void hello_unseen(struct rules_uploads *u, const struct event *send)
{
	hello_tls(u, send, RULES_TLS_UNSEEN);
}

/* unseen TLS to an unlisted host: unseen_tls past 4 KiB (not 64 KiB), at
 * once, counted over the agent's connections; hooked TLS and allowed hosts
 * never raise it; the policy's threshold counts */
static void test_unseen_tls(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(0, 0, 0);
	struct rules_verdict v;
	struct event ev = send_ev(5, "198.51.100.7", 3000, "paste.example");

	hello_unseen(u, &ev);
	assert_false(rules_uploads_send(u, p, &ev, &v));       /* 3000 */
	assert_true(rules_uploads_send(u, p, &ev, &v));        /* 6000 > 4096 */
	assert_string_equal(v.rule, "unseen_tls");
	assert_string_equal(v.severity, "high");
	assert_int_equal(v.bytes, 6000);
	assert_string_equal(v.reason, "host not in the allow list, over TLS agentmon cannot read");
	for (int i = 0; i < 30; i++) /* once per window; no unexpected_upload besides */
		assert_false(rules_uploads_send(u, p, &ev, &v));
	/* the same bytes over TLS agentmon reads: only unexpected_upload's 64 KiB */
	ev = send_ev(6, "198.51.100.8", 3000, "other.example");
	for (int i = 0; i < 21; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	/* an allowed host never */
	ev = send_ev(7, "198.51.100.9", 3000, "api.example.com");
	hello_unseen(u, &ev);
	for (int i = 0; i < 30; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	/* split over connections of 2000 bytes each: still counted */
	for (int i = 0; i < 3; i++) {
		ev = send_ev(10 + i, "198.51.100.10", 2000, "split.example");
		rules_uploads_reset(u, &ev);
		hello_unseen(u, &ev);
		assert_int_equal(rules_uploads_send(u, p, &ev, &v), i == 2);
	}
	assert_string_equal(v.rule, "unseen_tls");
	rules_uploads_free(u);
	policy_free(p);
	/* the policy's threshold */
	static const char y[] = "alerts:\n  unseen_tls_threshold: 10k\n";
	char err[256];

	p = NULL;
	assert_int_equal(policy_load_buffer("t.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_int_equal(p->unseen_tls_threshold, 10240);
	u = rules_uploads_new(0, 0, 0);
	ev = send_ev(5, "198.51.100.7", 6000, "paste.example");
	hello_unseen(u, &ev);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_true(rules_uploads_send(u, p, &ev, &v));
	rules_uploads_free(u);
	policy_free(p);
}

/* a ClientHello whose process was gone before its library could be told:
 * judged when the connection ends (exit, fd reused), unless a request was
 * read on it; the alert names the connection's destination */
static void test_unseen_tls_pending(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(0, 0, 0);
	struct rules_verdict v;
	struct event ev = send_ev(5, "198.51.100.7", 5000, "paste.example"), ex, send, h;

	ev.net.sport = 40001;
	hello_tls(u, &ev, RULES_TLS_PENDING);
	for (int i = 0; i < 4; i++) /* 20000 bytes: not at once (may be read yet) */
		assert_false(rules_uploads_send(u, p, &ev, &v));
	/* a new connection on another fd ends nothing */
	ex = send_ev(9, "198.51.100.7", 0, NULL);
	ex.type = AM_EV_CONNECT;
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	/* nor its own connect, shown late (it waited for its ClientHello) */
	ex = ev;
	ex.type = AM_EV_CONNECT;
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	ex.net.sport++; /* another connection on fd 5 ends it */
	assert_true(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	assert_string_equal(v.rule, "unseen_tls");
	assert_int_equal(v.bytes, 20000);
	assert_int_equal(send.type, AM_EV_SEND);
	assert_int_equal(send.net.fd, 5);
	assert_int_equal(send.net.dport, 443);
	assert_string_equal(send.net.host, "paste.example");
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v)); /* once */
	ex = send_ev(9, "198.51.100.7", 0, NULL);
	ex.type = AM_EV_EXIT;
	rules_uploads_forget_pid(u, 20);
	/* a request read on the connection explains it */
	ev = send_ev(6, "198.51.100.8", 5000, "other.example");
	hello_tls(u, &ev, RULES_TLS_PENDING);
	for (int i = 0; i < 4; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	h = http_ev("POST", "other.example", "/");
	h.pid = 20; h.http.net = ev.net;
	rules_uploads_http(u, &h, false);
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	/* an allowed host, and a small upload, never */
	ev = send_ev(7, "198.51.100.9", 5000, "api.example.com");
	hello_tls(u, &ev, RULES_TLS_PENDING);
	for (int i = 0; i < 4; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	ev = send_ev(8, "198.51.100.10", 3000, "small.example");
	hello_tls(u, &ev, RULES_TLS_PENDING);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	/* past upload_threshold: one alert, unseen_tls at its end (not
	 * unexpected_upload on the way) */
	ev = send_ev(11, "198.51.100.11", 20000, "big.example");
	hello_tls(u, &ev, RULES_TLS_PENDING);
	for (int i = 0; i < 4; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_true(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	assert_string_equal(v.rule, "unseen_tls");
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	rules_uploads_free(u);
	policy_free(p);
}

/* connections judged pending (their process was gone at the ClientHello:
 * python loads libssl late) whose plaintext was seen after all: their bytes
 * are readable, counted toward unexpected_upload, never unseen_tls */
static void test_pending_plain(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(10000, 60 * SEC, 0);
	struct rules_verdict v;
	struct event ev, ex, send, d;
	bool alerted = false;

	(void)state;
	for (uint32_t fd = 3; fd < 15; fd++) { /* 12 connections of 2100 bytes */
		ev = send_ev(fd, "198.51.100.7", 2100, "paste.example");
		ev.net.sport = (uint16_t)(40000 + fd);
		hello_tls(u, &ev, RULES_TLS_PENDING);
		memset(&d, 0, sizeof(d));
		d.type = AM_EV_DATA;
		d.pid = 20; d.agent = "codex"; d.data.fd = fd; d.data.dport = 443;
		d.data.sport = ev.net.sport;
		memcpy(d.data.daddr, ev.net.daddr, 16);
		rules_uploads_plain(u, &d);
		assert_false(rules_uploads_send(u, p, &ev, &v));
		ex = ev;
		ex.type = AM_EV_CONNECT;
		ex.net.sport++; /* the next connection on this fd ends it */
		if (rules_uploads_tls_ended(u, p, &ex, &send, &v)) {
			assert_string_equal(v.rule, "unexpected_upload");
			assert_false(alerted);
			alerted = true;
		}
	}
	assert_true(alerted);
	rules_uploads_free(u);
	policy_free(p);
}

/* the wire's slot of a connection has no fd (cgroup skb): the plaintext of
 * the same connection (fd known) still marks it read, so no unseen_tls */
static void test_pending_plain_wire(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(0, 0, 0);
	struct rules_verdict v;
	struct event ev = send_ev(UINT32_MAX, "198.51.100.7", 5000, "paste.example"), ex, send, d;

	(void)state;
	ev.net.sport = 40001;
	hello_tls(u, &ev, RULES_TLS_PENDING);
	memset(&d, 0, sizeof(d));
	d.type = AM_EV_DATA;
	d.pid = 20; d.agent = "codex"; d.data.fd = 3; d.data.dport = 443;
	d.data.sport = ev.net.sport;
	memcpy(d.data.daddr, ev.net.daddr, 16);
	rules_uploads_plain(u, &d);
	for (int i = 0; i < 4; i++) /* 20000 bytes: over the unseen threshold */
		assert_false(rules_uploads_send(u, p, &ev, &v));
	ex = send_ev(9, "198.51.100.7", 0, NULL);
	ex.type = AM_EV_EXIT;
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	rules_uploads_free(u);
	policy_free(p);
}

/* a hooked library's connection that sent application data and showed no
 * plaintext: monitor_degraded when it ends (wherever it went); plaintext
 * seen, or a request read, or a small amount: nothing */
static void test_tls_hooked_blind(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(0, 0, 0);
	struct rules_verdict v;
	struct event ev = send_ev(5, "198.51.100.7", 5000, "api.example.com"), ex, send, d;

	hello_tls(u, &ev, RULES_TLS_HOOKED);
	for (int i = 0; i < 4; i++)
		assert_false(rules_uploads_send(u, p, &ev, &v));
	ex = send_ev(9, "198.51.100.7", 0, NULL);
	ex.type = AM_EV_EXIT;
	assert_true(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	assert_string_equal(v.rule, "monitor_degraded");
	assert_int_equal(v.bytes, 20000);
	assert_string_equal(send.net.host, "api.example.com");
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	rules_uploads_forget_pid(u, 20);
	/* plaintext seen on it */
	ev = send_ev(6, "198.51.100.8", 5000, "other.example");
	hello_tls(u, &ev, RULES_TLS_HOOKED);
	memset(&d, 0, sizeof(d));
	d.type = AM_EV_DATA;
	d.pid = 20; d.agent = "codex"; d.data.fd = 6; d.data.dport = 443;
	memcpy(d.data.daddr, ev.net.daddr, 16);
	rules_uploads_plain(u, &d);
	for (int i = 0; i < 4; i++)
		rules_uploads_send(u, p, &ev, &v);
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	/* a small amount */
	ev = send_ev(7, "198.51.100.9", 3000, "small.example");
	hello_tls(u, &ev, RULES_TLS_HOOKED);
	assert_false(rules_uploads_send(u, p, &ev, &v));
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	rules_uploads_free(u);
	policy_free(p);
}

/* many small connections, each under the threshold, from one agent session */
static void test_uploads_split(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(1000, 0, 0);
	struct rules_verdict v;
	int alerts = 0;

	for (uint32_t fd = 3; fd < 23; fd++) {
		struct event ev = send_ev(fd, "198.51.100.7", 100, "paste.example");

		alerts += rules_uploads_send(u, p, &ev, &v);
		rules_uploads_reset(u, &ev);
	}
	assert_int_equal(alerts, 1);
	/* requests read on one connection explain that one only, not another
	 * from the same process to the same address and port */
	{
		struct event a = send_ev(UINT32_MAX, "198.51.100.20", 5000, NULL), h2;

		a.net.sport = 40001;
		h2 = http_ev("GET", "x", "/");
		h2.pid = 20; h2.http.net = a.net;
		rules_uploads_http(u, &h2, false);
		assert_false(rules_uploads_send(u, p, &a, &v));
		a.net.sport = 40002;
		assert_true(rules_uploads_send(u, p, &a, &v));
	}
	/* bytes a connection sent before its first request was read (TLS
	 * records on the wire come before their plaintext) are taken back */
	{
		struct rules_uploads *w = rules_uploads_new(1000, 0, 0);

		for (uint16_t port = 1; port <= 20; port++) {
			struct event a = send_ev(UINT32_MAX, "198.51.100.30", 300, "docs.example"), r;

			a.net.sport = port;
			assert_false(rules_uploads_send(w, p, &a, &v));
			r = http_ev("GET", "docs.example", "/");
			r.pid = 20; r.http.net = a.net;
			rules_uploads_http(w, &r, false);
		}
		rules_uploads_free(w);
	}
	/* another agent session to the same host counts apart */
	{
		struct event ev = send_ev(3, "198.51.100.7", 900, "paste.example");

		ev.agent_pid = 99;
		assert_false(rules_uploads_send(u, p, &ev, &v));
	}
	rules_uploads_free(u);
	policy_free(p);
}

/* TLS records on the wire before their plaintext (node: the plaintext
 * record waits for the socket write that carried them): over the threshold
 * only by them, the count is judged again later; the request read in time
 * explains them (no alert), else the wait ends in the alert.  Opaque bytes
 * after a request that raised outbound_post are its body: not counted. */
static void test_uploads_wait_plaintext(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(1000, 0, 0);
	struct rules_verdict v;
	const struct event *cause;
	struct event a = send_ev(UINT32_MAX, "198.51.100.40", 800, "paste.example"), r;

	assert_non_null(u);
	a.ts_ns = SEC;
	a.net.tls_wire = true;
	assert_false(rules_uploads_send(u, p, &a, &v));
	assert_false(rules_uploads_send(u, p, &a, &v));        /* 1600: waits */
	assert_false(rules_uploads_due(u, p, SEC + RULES_UPLOAD_GRACE_NS - 1, &cause, &v));
	r = http_ev("POST", "paste.example", "/up");
	r.pid = 20; r.http.net = a.net;
	rules_uploads_http(u, &r, true);                       /* explained */
	a.net.opaque = true; a.net.tls_wire = false;
	assert_false(rules_uploads_send(u, p, &a, &v));        /* its body */
	assert_false(rules_uploads_due(u, p, UINT64_MAX, &cause, &v));
	/* no request in time: the alert, with the send that passed the count */
	a = send_ev(UINT32_MAX, "198.51.100.40", 800, "paste.example");
	a.net.sport = 2; a.net.tls_wire = true; a.ts_ns = 2 * SEC;
	assert_false(rules_uploads_send(u, p, &a, &v));
	assert_false(rules_uploads_send(u, p, &a, &v));
	assert_true(rules_uploads_due(u, p, 3 * SEC, &cause, &v));
	assert_string_equal(v.rule, "unexpected_upload");
	assert_int_equal(v.bytes, 1600);
	assert_int_equal(cause->net.sport, 2);
	assert_string_equal(cause->net.host, "paste.example");
	assert_false(rules_uploads_due(u, p, UINT64_MAX, &cause, &v));
	rules_uploads_free(u);
	policy_free(p);
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
		cmocka_unit_test(test_uploads),
		cmocka_unit_test(test_uploads_split),
		cmocka_unit_test(test_uploads_wait_plaintext),
		cmocka_unit_test(test_unseen_tls),
		cmocka_unit_test(test_unseen_tls_pending),
		cmocka_unit_test(test_tls_hooked_blind),
		cmocka_unit_test(test_pending_plain),
		cmocka_unit_test(test_pending_plain_wire),
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_deny),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
