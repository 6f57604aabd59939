// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_webhook.c - HMAC vectors (RFC 4231) and delivery to a real HTTP
 * receiver on 127.0.0.1 run by a thread of this test: each alert once with
 * a valid signature; receiver down then up; a new instance over the spool
 * of an old one; permanent refusals.  Every wait is bounded (10 s).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "webhook.h"

#define SECRET "s3cret-key"
#define MAX_GOT 32

/* ---- the receiver ---- */

struct got {
	char id[64];
	char body[2048];
	bool sig_ok;
};

struct receiver {
	int lfd;
	uint16_t port;
	int status;             /* reply */
	const char *poison;     /* a body containing it: 503, and not counted */
	volatile bool stop;
	pthread_t thread;
	pthread_mutex_t lock;
	struct got got[MAX_GOT];
	int n;
};

/* the value of header name in the head, or "" */
static void header(const char *head, const char *name, char *out, size_t len)
{
	const char *p = strcasestr(head, name), *e;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ' || *p == ':')
		p++;
	e = strstr(p, "\r\n");
	snprintf(out, len, "%.*s", e ? (int)(e - p) : 0, p);
}

static void serve_one(struct receiver *r, int fd)
{
	char buf[8192], cl[16], sig[128], want[72], reply[128];
	size_t have = 0;
	char *end = NULL;
	struct got g = { 0 };

	while (have < sizeof(buf) - 1 && !(end = strstr(buf, "\r\n\r\n"))) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
	}
	if (!end)
		return;
	*end = '\0';
	header(buf, "Content-Length", cl, sizeof(cl));
	header(buf, "X-Agentmon-Alert-Id", g.id, sizeof(g.id));
	header(buf, "X-Agentmon-Signature", sig, sizeof(sig));
	size_t len = strtoul(cl, NULL, 10), at = have - (size_t)(end + 4 - buf);
	memmove(g.body, end + 4, at < sizeof(g.body) ? at : 0);
	while (at < len && at < sizeof(g.body) - 1) {
		ssize_t n = read(fd, g.body + at, sizeof(g.body) - 1 - at);

		if (n <= 0)
			return;
		at += (size_t)n;
	}
	g.body[at] = '\0';
	webhook_sign(SECRET, strlen(SECRET), g.body, at, want);
	g.sig_ok = !strcmp(sig, want);
	bool poisoned = r->poison && strstr(g.body, r->poison);

	pthread_mutex_lock(&r->lock);
	if (r->n < MAX_GOT && !poisoned)
		r->got[r->n++] = g;
	pthread_mutex_unlock(&r->lock);
	snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
		 "Connection: close\r\n\r\n", poisoned ? 503 : r->status);
	if (write(fd, reply, strlen(reply)) < 0)
		return;
}

static void *serve(void *arg)
{
	struct receiver *r = arg;

	while (!r->stop) {
		struct pollfd p = { .fd = r->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(r->lfd, NULL, NULL);
		if (fd >= 0) {
			serve_one(r, fd);
			close(fd);
		}
	}
	return NULL;
}

/* listen on 127.0.0.1:port (0: any) and serve */
static void receiver_start(struct receiver *r, uint16_t port, int status)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int one = 1;

	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	getsockname(r->lfd, (struct sockaddr *)&a, &al);
	r->port = ntohs(a.sin_port);
	r->status = status;
	r->stop = false;
	pthread_mutex_init(&r->lock, NULL);
	assert_int_equal(pthread_create(&r->thread, NULL, serve, r), 0);
}

static void receiver_stop(struct receiver *r)
{
	r->stop = true;
	pthread_join(r->thread, NULL);
	close(r->lfd);
}

/* a free port: bind one, close it */
static uint16_t free_port(void)
{
	struct receiver r = { 0 };

	receiver_start(&r, 0, 200);
	receiver_stop(&r);
	return r.port;
}

/* ---- helpers ---- */

struct fixture {
	char dir[64];
	char secret[96];
	char url[64];
	struct policy_webhook cfg;
	struct webhook_settings set;
};

static void fixture_init(struct fixture *f, uint16_t port)
{
	FILE *s;

	strcpy(f->dir, "/tmp/agentmon-webhook-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->secret, sizeof(f->secret), "%s/secret", f->dir);
	s = fopen(f->secret, "w");
	assert_non_null(s);
	fputs(SECRET "\n", s);
	fclose(s);
	assert_int_equal(chmod(f->secret, 0600), 0);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u/hook", port);
	f->cfg = (struct policy_webhook){ .url = f->url, .secret_file = f->secret };
	f->set = (struct webhook_settings){ .spool_dir = f->dir, .backoff_min_ms = 50,
					    .backoff_max_ms = 200, .grace_ms = 200,
					    .timeout_ms = 2000 };
}

static void fixture_done(struct fixture *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

static struct webhook *start(struct fixture *f)
{
	struct webhook *w = NULL;
	char err[256];

	if (webhook_new(&f->cfg, &f->set, &w, err, sizeof(err)))
		fail_msg("webhook_new: %s", err);
	return w;
}

static void send_summary(struct webhook *w, int i, const char *summary)
{
	struct event_alert al = { .rule = "outbound_post", .severity = "high",
				  .summary = summary,
				  .chain = "claude[1]", .cause_type = AM_EV_HTTP, .count = 1 };
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_ALERT;
	ev.alert = &al;
	ev.pid = (uint32_t)i;
	strcpy(ev.comm, "claude");
	ev.http.method = "POST";
	ev.http.host = "x";
	ev.http.path = "/y";
	assert_int_equal(webhook_send(w, &ev), 0);
}

static void send_alert(struct webhook *w, int i)
{
	send_summary(w, i, "claude (pid 1) sent POST https://x/y - nope");
}

/* wait up to 10 s for the webhook's delivered (or spooled) count */
static void wait_for(struct webhook *w, uint64_t delivered, uint64_t min_failed)
{
	struct webhook_status st;

	for (int i = 0; i < 1000; i++) {
		webhook_status(w, &st);
		if (st.delivered >= delivered && st.failed >= min_failed)
			return;
		usleep(10000);
	}
	fail_msg("timeout: delivered %llu failed %llu spooled %llu last_error %s",
		 (unsigned long long)st.delivered, (unsigned long long)st.failed,
		 (unsigned long long)st.spooled, st.last_error);
}

/* the receiver got n alerts, each id once, each signed right */
static void check_got(struct receiver *r, int n)
{
	pthread_mutex_lock(&r->lock);
	assert_int_equal(r->n, n);
	for (int i = 0; i < n; i++) {
		assert_true(r->got[i].sig_ok);
		assert_int_equal(strlen(r->got[i].id), 32);
		/* the id inside the signed body, as in the header; then the send time */
		assert_memory_equal(r->got[i].body, "{\"alert_id\":\"", 13);
		assert_memory_equal(r->got[i].body + 13, r->got[i].id, 32);
		assert_memory_equal(r->got[i].body + 45, "\",\"sent_at\":\"20", 15);
		assert_non_null(strstr(r->got[i].body, "Z\",\"ts\":\""));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(r->got[i].id, r->got[j].id);
	}
	pthread_mutex_unlock(&r->lock);
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);

		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			char sub[512];

			snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
			n += count_files(sub, suffix);
		} else if (l > s && !strcmp(e->d_name + l - s, suffix)) {
			n++;
		}
	}
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_sign_rfc4231(void **state)
{
	char out[72];
	uint8_t key[20];

	memset(key, 0x0b, sizeof(key));
	assert_int_equal(webhook_sign(key, sizeof(key), "Hi There", 8, out), 0);
	assert_string_equal(out, "sha256=b0344c61d8db38535ca8afceaf0bf12b"
				 "881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(webhook_sign("Jefe", 4, "what do ya want for nothing?", 28, out), 0);
	assert_string_equal(out, "sha256=5bdcc146bf60754e6a042426089575c7"
				 "5a003f089d2739839dec58b964ec3843");
}

static void test_deliver(void **state)
{
	struct receiver r = { 0 };
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;
	struct stat sb;

	receiver_start(&r, 0, 200);
	fixture_init(&f, r.port);
	w = start(&f);
	for (int i = 0; i < 5; i++)
		send_alert(w, i);
	wait_for(w, 5, 0);
	webhook_status(w, &st);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.failed, 0);
	webhook_free(w);
	receiver_stop(&r);
	check_got(&r, 5);
	assert_int_equal(count_files(f.dir, ".json"), 0);
	assert_int_equal(stat(f.dir, &sb), 0);
	fixture_done(&f);
}

static void test_down_then_up(void **state)
{
	struct receiver r = { 0 };
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;

	fixture_init(&f, free_port());
	w = start(&f);
	for (int i = 0; i < 3; i++)
		send_alert(w, i);
	wait_for(w, 0, 2);
	webhook_status(w, &st);
	assert_int_equal(st.spooled, 3);
	assert_int_equal(st.delivered, 0);
	assert_non_null(strstr(st.last_error, "onnect"));
	assert_null(strstr(st.last_error, "127.0.0.1"));
	assert_int_equal(count_files(f.dir, ".json"), 3);
	receiver_start(&r, (uint16_t)strtoul(strrchr(f.url, ':') + 1, NULL, 10), 200);
	wait_for(w, 3, 0);
	webhook_free(w);
	receiver_stop(&r);
	check_got(&r, 3);
	assert_int_equal(count_files(f.dir, ".json"), 0);
	fixture_done(&f);
}

static void test_restart(void **state)
{
	struct receiver r = { 0 };
	struct fixture f;
	struct webhook *w;
	uint16_t port = free_port();

	fixture_init(&f, port);
	w = start(&f);
	send_alert(w, 1);
	send_alert(w, 2);
	wait_for(w, 0, 1);
	webhook_free(w);                     /* stop: the alerts stay spooled */
	assert_int_equal(count_files(f.dir, ".json"), 2);
	receiver_start(&r, port, 200);
	w = start(&f);                       /* a new run over the same spool */
	wait_for(w, 2, 0);
	webhook_free(w);
	receiver_stop(&r);
	check_got(&r, 2);
	assert_int_equal(count_files(f.dir, ".json"), 0);
	fixture_done(&f);
}

/* a burst larger than the queue, endpoint down: every alert is spooled */
static void test_burst_spooled(void **state)
{
	struct fixture f;
	struct webhook *w;

	fixture_init(&f, free_port());       /* nobody listens there */
	w = start(&f);
	for (int i = 0; i < 50; i++)
		send_alert(w, i);            /* asserts each was taken */
	webhook_free(w);
	assert_int_equal(count_files(f.dir, ".json"), 50);
	fixture_done(&f);
}

static void test_slack_and_refusal(void **state)
{
	struct receiver r = { 0 };
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;

	receiver_start(&r, 0, 400);
	fixture_init(&f, r.port);
	f.cfg.slack = true;
	f.cfg.secret_file = NULL;
	w = start(&f);
	send_alert(w, 1);
	for (int i = 0; i < 1000; i++) {
		webhook_status(w, &st);
		if (st.rejected)
			break;
		usleep(10000);
	}
	assert_int_equal(st.rejected, 1);
	assert_string_equal(st.last_error, "HTTP 400");
	webhook_free(w);
	receiver_stop(&r);
	assert_int_equal(r.n, 1);
	assert_false(r.got[0].sig_ok);       /* unsigned without a secret */
	assert_non_null(strstr(r.got[0].body, "Z\",\"text\":\"ALERT high outbound_post: claude "
					   "(pid 1) sent POST https://x/y - nope [claude[1]]\"}"));
	assert_int_equal(count_files(f.dir, ".rejected"), 1);
	fixture_done(&f);
}

/* an alert the receiver keeps failing (503) does not hold up the others */
static void test_poison_no_block(void **state)
{
	struct receiver r = { 0 };
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;

	r.poison = "POISON";
	receiver_start(&r, 0, 200);
	fixture_init(&f, r.port);
	f.set.backoff_min_ms = 400;
	f.set.backoff_max_ms = 400;
	w = start(&f);
	send_summary(w, 0, "POISON");
	for (int i = 1; i <= 4; i++)
		send_alert(w, i);
	wait_for(w, 4, 1);
	webhook_status(w, &st);
	assert_int_equal(st.spooled, 1);     /* the poisoned one, still retried */
	assert_int_equal(st.rejected, 0);
	webhook_free(w);
	receiver_stop(&r);
	check_got(&r, 4);
	assert_int_equal(count_files(f.dir, ".json"), 1);
	fixture_done(&f);
}

/* endpoint down: alerts past their ttl expire, counted, files removed */
static void test_ttl_expiry(void **state)
{
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;

	fixture_init(&f, free_port());
	f.set.ttl_ns = 300000000ull;
	w = start(&f);
	for (int i = 0; i < 3; i++)
		send_alert(w, i);
	for (int i = 0; i < 300; i++) {
		webhook_status(w, &st);
		if (st.expired == 3 && !st.spooled)
			break;
		usleep(10000);
	}
	assert_int_equal(st.expired, 3);
	assert_int_equal(st.spooled + st.queued, 0);
	webhook_free(w);
	assert_int_equal(count_files(f.dir, ".json"), 0);
	fixture_done(&f);
}

/* the bound: a full queue lets the lowest go, counted as dropped */
static void test_bound_dropped(void **state)
{
	struct fixture f;
	struct webhook *w;
	struct webhook_status st;

	fixture_init(&f, free_port());
	f.set.spool_max = 5;
	w = start(&f);
	for (int i = 0; i < 8; i++)
		send_alert(w, i);            /* each taken: the oldest go */
	webhook_status(w, &st);
	assert_int_equal(st.dropped, 3);
	webhook_free(w);
	assert_int_equal(count_files(f.dir, ".json"), 5);
	fixture_done(&f);
}

static void test_bad_config(void **state)
{
	struct policy_webhook cfg = { .url = "http://127.0.0.1:1/", .secret_file = "/nonexistent/s" };
	struct webhook *w = (void *)1;
	char err[256];

	assert_int_equal(webhook_new(&cfg, NULL, &w, err, sizeof(err)), -ENOENT);
	assert_null(w);
	assert_string_equal(err, "secret_file /nonexistent/s: No such file or directory");
}

/* every webhook of a policy checked: warnings as lines, the first error named by line */
static void warned(void *arg, const char *line)
{
	snprintf(arg, 256, "%s", line);
}

static void test_check_policy(void **state)
{
	struct policy_webhook hooks[2] = {
		{ .url = "http://hooks.example/x", .line = 4 },
		{ .url = "http://127.0.0.1:1/", .secret_file = "/nonexistent/s", .line = 9 },
	};
	struct policy p = { .source = "x.yaml", .webhooks = hooks, .n_webhooks = 1 };
	char err[256] = "", warn[256] = "";

	(void)state;
	assert_int_equal(webhook_check_policy(&p, warned, warn, err, sizeof(err)), 0);
	assert_non_null(strstr(warn, "x.yaml: webhook at line 4: plain http://"));
	p.n_webhooks = 2;
	assert_int_equal(webhook_check_policy(&p, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "x.yaml:9: secret_file /nonexistent/s: No such file or directory");
}

/* a secret others could read is refused, at webhook_new and webhook_check */
static void test_secret_mode(void **state)
{
	struct fixture f;
	struct webhook *w = (void *)1;
	char err[256], warn[256], want[256];

	fixture_init(&f, 1);
	assert_int_equal(chmod(f.secret, 0640), 0);
	snprintf(want, sizeof(want), "secret_file %s: mode 0640 lets group or others read or "
		 "change it (chmod 600 it)", f.secret);
	assert_int_equal(webhook_new(&f.cfg, &f.set, &w, err, sizeof(err)), -EPERM);
	assert_null(w);
	assert_string_equal(err, want);
	assert_int_equal(webhook_check(&f.cfg, warn, sizeof(warn), err, sizeof(err)), -EPERM);
	assert_string_equal(err, want);
	assert_string_equal(warn, ""); /* http to 127.0.0.1: no warning */
	assert_int_equal(chmod(f.secret, 0400), 0);
	assert_int_equal(webhook_check(&f.cfg, warn, sizeof(warn), err, sizeof(err)), 0);
	f.cfg.url = "http://hooks.example/x";
	f.cfg.line = 7;
	assert_int_equal(webhook_check(&f.cfg, warn, sizeof(warn), err, sizeof(err)), 0);
	assert_non_null(strstr(warn, "line 7: plain http://"));
	fixture_done(&f);
}

/* the secret file's content: newlines stripped, empty and oversized refused */
static void test_secret_read(void **state)
{
	char path[] = "/tmp/test_webhook_secret.XXXXXX", err[256], big[WEBHOOK_SECRET_MAX + 2];
	unsigned char *sec = (void *)1;
	size_t len = 1;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "k3y\r\n\n", 6), 6);
	assert_int_equal(webhook_secret_read(path, &sec, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(sec, "k3y", 3);
	free(sec);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "\n", 1, 0), 1);
	assert_int_equal(webhook_secret_read(path, &sec, &len, err, sizeof(err)), -EINVAL);
	assert_null(sec);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, ": empty"));
	memset(big, 'k', sizeof(big));
	assert_int_equal(pwrite(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(webhook_secret_read(path, &sec, &len, err, sizeof(err)), -EINVAL);
	assert_null(sec);
	assert_non_null(strstr(err, "longer than 4096 bytes"));
	close(fd);
	unlink(path);
}

static void test_url_insecure(void **state)
{
	assert_true(webhook_url_insecure("http://hooks.example/agentmon"));
	assert_true(webhook_url_insecure("HTTP://10.0.0.5:8080/x"));
	assert_true(webhook_url_insecure("http://127.0.0.1@evil.example/"));
	assert_true(webhook_url_insecure("http://[2001:db8::1]:80/"));
	assert_false(webhook_url_insecure("https://hooks.example/agentmon"));
	assert_false(webhook_url_insecure("http://127.0.0.1:9000/hook"));
	assert_false(webhook_url_insecure("http://localhost/hook"));
	assert_false(webhook_url_insecure("http://user:pw@localhost:8080/hook"));
	assert_false(webhook_url_insecure("http://[::1]:8080/hook"));
}

/* the id and send time are inside what is signed: another id, another signature */
static void test_envelope(void **state)
{
	static const char body[] = "{\"ts\":\"x\",\"type\":\"alert\"}";
	const char *id1 = "0123456789abcdef0123456789abcdef";
	const char *id2 = "fedcba9876543210fedcba9876543210";
	char *a, *b, sa[72], sb[72];
	size_t la, lb;

	a = webhook_envelope(id1, 1764633600123456789ull, body, sizeof(body) - 1, &la);
	assert_non_null(a);
	assert_int_equal(la, strlen("{\"alert_id\":\"0123456789abcdef0123456789abcdef\","
				    "\"sent_at\":\"2025-12-02T00:00:00.123456789Z\","
				    "\"ts\":\"x\",\"type\":\"alert\"}"));
	assert_memory_equal(a, "{\"alert_id\":\"0123456789abcdef0123456789abcdef\","
			    "\"sent_at\":\"2025-12-02T00:00:00.123456789Z\","
			    "\"ts\":\"x\",\"type\":\"alert\"}", la);
	b = webhook_envelope(id2, 1764633600123456789ull, body, sizeof(body) - 1, &lb);
	assert_non_null(b);
	assert_int_equal(webhook_sign(SECRET, strlen(SECRET), a, la, sa), 0);
	assert_int_equal(webhook_sign(SECRET, strlen(SECRET), b, lb, sb), 0);
	assert_string_not_equal(sa, sb);
	free(b);
	b = webhook_envelope(id1, 1764633660123456789ull, body, sizeof(body) - 1, &lb);
	assert_int_equal(webhook_sign(SECRET, strlen(SECRET), b, lb, sb), 0);
	assert_string_not_equal(sa, sb); /* a minute later: another signature */
	free(b);
	free(a);
	b = webhook_envelope(id1, 0, "{}", 2, &lb);
	assert_non_null(b);
	assert_memory_equal(b, "{\"alert_id\":\"0123456789abcdef0123456789abcdef\","
			    "\"sent_at\":\"1970-01-01T00:00:00.000000000Z\"}", lb);
	free(b);
	assert_null(webhook_envelope(id1, 0, "[1]", 3, &lb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_rfc4231),
		cmocka_unit_test(test_deliver),
		cmocka_unit_test(test_down_then_up),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_burst_spooled),
		cmocka_unit_test(test_slack_and_refusal),
		cmocka_unit_test(test_poison_no_block),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_bound_dropped),
		cmocka_unit_test(test_bad_config), cmocka_unit_test(test_secret_mode),
		cmocka_unit_test(test_check_policy),
		cmocka_unit_test(test_url_insecure), cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_secret_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
