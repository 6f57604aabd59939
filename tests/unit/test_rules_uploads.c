// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_rules_uploads.c - upload accounting: unexpected_upload, unseen_tls, plaintext explaining wire bytes. */

#include "rules_fixture.h"

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

/* the connection index through churn: 8 slots, 600 connections made,
 * replaced and forgotten; the last one is still found (its request
 * explains its bytes) and a new one's are not explained */
static void test_uploads_index_churn(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(1000, 10 * SEC, 8);
	struct rules_verdict v;
	struct event ev, h, c;

	(void)state;
	assert_non_null(u);
	for (uint32_t i = 0; i < 600; i++) {
		ev = send_ev(3 + i % 37, "198.51.100.7", 0, NULL);
		ev.net.sport = (uint16_t)(1000 + i);
		assert_false(rules_uploads_send(u, p, &ev, &v));
		if (i % 3 == 0) { /* another connect on the fd ends it */
			c = ev;
			c.type = AM_EV_CONNECT;
			c.net.sport = 0;
			c.net.dport = 80;
			rules_uploads_reset(u, &c);
		}
		assert_true(rules_uploads_count(u) <= 8);
		if (i == 300) {
			rules_uploads_forget_pid(u, 20);
			assert_int_equal(rules_uploads_count(u), 0);
		}
	}
	/* ev (i = 599, not reset) is found: its request explains its bytes */
	h = http_ev("GET", "x", "/");
	h.pid = 20; h.http.net = ev.net;
	rules_uploads_http(u, &h, false);
	ev.net.ret = 5000;
	assert_false(rules_uploads_send(u, p, &ev, &v));
	/* a connection never seen: its bytes are nobody's request's */
	ev.net.sport = 999;
	ev.net.opaque = true;
	assert_true(rules_uploads_send(u, p, &ev, &v));
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

/* a connection whose TLS was sent before its process's per-process uprobes
 * were in place (the root window): when it ends unread, to a host not
 * listed, unseen_tls whatever its size, once per connection; read after all
 * (a request, or plaintext: the attach landed mid-connection), or to a
 * listed host, nothing */
static void early_send(struct rules_uploads *u, const struct policy *p, uint32_t fd,
		       const char *addr, const char *host, struct event *ev)
{
	struct rules_verdict v;

	*ev = send_ev(fd, addr, 300, host);
	ev->net.sport = (uint16_t)(41000 + fd);
	hello_tls(u, ev, RULES_TLS_EARLY);
	assert_false(rules_uploads_send(u, p, ev, &v)); /* not at once: may be read yet */
}

static void test_unseen_tls_early(void **state)
{
	struct policy *p = load();
	struct rules_uploads *u = rules_uploads_new(0, 0, 0);
	struct rules_verdict v;
	struct event ev, ex, send, h, d;

	(void)state;
	ex = send_ev(9, "198.51.100.7", 0, NULL);
	ex.type = AM_EV_EXIT;
	early_send(u, p, 5, "198.51.100.7", "paste.example", &ev);
	early_send(u, p, 6, "198.51.100.7", "paste.example", &ev);
	for (int i = 0; i < 2; i++) { /* each connection, same destination */
		assert_true(rules_uploads_tls_ended(u, p, &ex, &send, &v));
		assert_string_equal(v.rule, "unseen_tls");
		assert_non_null(strstr(v.reason, "before agentmon's hooks were in place"));
		assert_int_equal(v.bytes, 300);
		assert_int_equal(send.type, AM_EV_SEND);
		assert_string_equal(send.net.host, "paste.example");
	}
	assert_false(rules_uploads_tls_ended(u, p, &ex, &send, &v));
	rules_uploads_forget_pid(u, 20);
	/* a listed host: counted only */
	early_send(u, p, 7, "198.51.100.9", "api.example.com", &ev);
	/* a request read on it */
	early_send(u, p, 8, "198.51.100.8", "other.example", &ev);
	h = http_ev("POST", "other.example", "/");
	h.pid = 20; h.http.net = ev.net;
	rules_uploads_http(u, &h, false);
	/* its plaintext read (the attach landed mid-connection) */
	early_send(u, p, 10, "198.51.100.10", "third.example", &ev);
	memset(&d, 0, sizeof(d));
	d.type = AM_EV_DATA;
	d.pid = ev.pid; d.agent_pid = ev.agent_pid; d.agent = ev.agent;
	d.data.fd = ev.net.fd; d.data.dport = ev.net.dport; d.data.sport = ev.net.sport;
	memcpy(d.data.daddr, ev.net.daddr, 16);
	rules_uploads_plain(u, &d);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uploads),
		cmocka_unit_test(test_uploads_index_churn),
		cmocka_unit_test(test_uploads_split),
		cmocka_unit_test(test_uploads_wait_plaintext),
		cmocka_unit_test(test_unseen_tls),
		cmocka_unit_test(test_unseen_tls_pending),
		cmocka_unit_test(test_unseen_tls_early),
		cmocka_unit_test(test_tls_hooked_blind),
		cmocka_unit_test(test_pending_plain),
		cmocka_unit_test(test_pending_plain_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
