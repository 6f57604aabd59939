// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_metrics.c - Prometheus text: families, samples, label escaping, listen
 * addresses; the ring buffer's positions mapped once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "metrics.h"

/* mappings of BPF maps this process holds (/proc/self/maps) */
static int bpf_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "anon_inode:bpf-map") != NULL;
	fclose(f);
	return n;
}

/* the ring buffer's position pages are mapped once (libbpf maps its own),
 * read-only, and read as size and use; a real ring buffer map (root) */
static void test_ring_mapped_once(void **state)
{
	struct metrics_ring r;
	uint64_t size, used;
	int before, fd;

	(void)state;
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "test_ring", 0, 0, 1 << 16, NULL);
	if (fd < 0)
		skip(); /* not root, or no BPF here: nothing to map */
	before = bpf_mappings();
	metrics_ring_init(&r, fd);
	assert_int_equal(bpf_mappings(), before + 1);
	assert_true(metrics_ring_read(&r, &size, &used));
	assert_int_equal(size, 1 << 16);
	assert_int_equal(used, 0);
	metrics_ring_release(&r);
	assert_int_equal(bpf_mappings(), before);
	assert_false(metrics_ring_read(&r, &size, &used));
	metrics_ring_init(&r, -1); /* no map: unknown, nothing mapped */
	assert_false(metrics_ring_read(&r, &size, &used));
	close(fd);
}

static char *label_of(const char *v)
{
	struct jw w;

	jw_init(&w);
	metrics_label(&w, v);
	jw_raw(&w, "", 1); /* NUL */
	return w.buf;
}

static void expect_label(const char *in, const char *want)
{
	char *got = label_of(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_label_escaping(void **state)
{
	(void)state;
	expect_label("claude", "claude");
	expect_label("a\\b", "a\\\\b");
	expect_label("say \"hi\"", "say \\\"hi\\\"");
	expect_label("two\nlines", "two\\nlines");
	expect_label("bell\a", "bell\xef\xbf\xbd");           /* C0 control */
	expect_label("esc\x1b[2J", "esc\xef\xbf\xbd[2J");     /* terminal sequence */
	expect_label("bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd"); /* not UTF-8 */
	expect_label("caf\xc3\xa9", "caf\xc3\xa9");           /* UTF-8 passes */
	expect_label("", "");
	expect_label(NULL, "");
}

/* a status with a little of everything, a hostile agent name included */
static void sample(struct status *s)
{
	static const struct { const char *name; uint32_t pid; } procs[] = {
		{ "claude", 100 }, { "claude", 100 }, { "claude", 200 },
		{ "ev\"il\n# TYPE x counter\nx 1", 300 },
	};

	status_init(s);
	s->started_ns = 1795608000123456789ull;
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		assert_int_equal(status_add_proc(s, procs[i].name, procs[i].pid), 0);
	s->events[AM_EV_OPEN] = 50000;
	s->events[AM_EV_ALERT] = 2;
	s->drops[AM_EV_OPEN] = 12;
	s->drops[AM_EV_EXEC] = 3;
	s->alerts = 2;
	s->webhooks.count = 1;
	s->webhooks.delivered = 7;
	s->http.answers_unattributed = 3;
	s->webhooks.queued = 4;
	s->tail.connected = 2;
	s->degraded.undecodable = 5;
	s->resources.rss_bytes = 1 << 20;
	s->resources.fds_open = 42;
	s->resources.fds_limit = 1024;
}

static char *format(const struct status *st, const struct metrics_alerts *a)
{
	struct metrics_snap m = { .st = st, .alerts = a, .n_hooks = 2, .ring_known = true,
				  .ring_size = 1 << 24, .ring_used = 4096, .cpu_seconds = 1.25 };
	struct jw w;

	strcpy(m.hooks[0].name, "proc_exec");
	m.hooks[0].attached = true;
	strcpy(m.hooks[1].name, "sock_connect4");
	jw_init(&w);
	assert_int_equal(metrics_format(&m, &w), 0);
	jw_raw(&w, "", 1);
	return w.buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* a sample line: name, optional {labels}, one space, a number; nothing else */
static void check_sample(const char *l, size_t n)
{
	const char *sp = memchr(l, ' ', n), *brace = memchr(l, '{', n);
	char *end;

	assert_non_null(sp);
	if (brace && brace < sp) { /* a quoted label value may hold a space */
		sp = NULL;
		for (const char *p = l + n - 1; p > l; p--)
			if (*p == ' ') {
				sp = p;
				break;
			}
		assert_true(sp[-1] == '}');
	}
	assert_true(!strncmp(l, "agentmon_", 9) || !strncmp(l, "process_", 8));
	strtod(sp + 1, &end);
	assert_ptr_equal(end, l + n);
}

/* every line is a HELP, a TYPE (counters end in _total) or a sample */
static void check_grammar(const char *text)
{
	const char *l = text, *nl;
	int types = 0;

	for (; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		assert_non_null(nl);
		if (!strncmp(l, "# HELP ", 7))
			continue;
		if (!strncmp(l, "# TYPE ", 7)) {
			const char *t = memchr(l + 7, ' ', (size_t)(nl - l - 7));

			assert_non_null(t);
			types++;
			if (!strncmp(t + 1, "counter", 7))
				assert_true(!strncmp(t - 6, "_total", 6));
			continue;
		}
		check_sample(l, (size_t)(nl - l));
	}
	assert_true(types > 20);
}

static void test_format(void **state)
{
	struct metrics_alerts a = { 0 };
	struct status s;
	char *text;

	(void)state;
	sample(&s);
	metrics_count_alert(&a, "outbound_post", "high");
	metrics_count_alert(&a, "outbound_post", "high");
	metrics_count_alert(&a, "monitor_degraded", NULL);
	text = format(&s, &a);
	check_grammar(text);
	assert_true(has_line(text, "# TYPE agentmon_events_total counter"));
	assert_true(has_line(text, "agentmon_events_total{type=\"open\"} 50000"));
	assert_true(has_line(text, "agentmon_events_total{type=\"exec\"} 0"));
	assert_true(has_line(text, "agentmon_drops_total 15"));
	assert_true(has_line(text, "agentmon_kernel_drops_total{type=\"exec\"} 3"));
	assert_true(has_line(text, "agentmon_lost_total{reason=\"undecodable\"} 5"));
	assert_true(has_line(text, "agentmon_lost_total{reason=\"tls_answer_unattributed\"} 3"));
	assert_true(has_line(text, "agentmon_alerts_total{rule=\"outbound_post\",severity=\"high\"} 2"));
	assert_true(has_line(text, "agentmon_alerts_total{rule=\"monitor_degraded\",severity=\"unknown\"} 1"));
	assert_true(has_line(text, "agentmon_webhook_deliveries_total{result=\"delivered\"} 7"));
	assert_true(has_line(text, "agentmon_webhook_queue_depth 4"));
	assert_true(has_line(text, "agentmon_tail_clients 2"));
	assert_true(has_line(text, "agentmon_agents 3"));
	assert_true(has_line(text, "agentmon_tagged_processes 4"));
	assert_true(has_line(text, "agentmon_agent_processes{agent=\"claude\"} 3"));
	assert_true(has_line(text, "agentmon_agent_processes{agent=\"ev\\\"il\\n# TYPE x counter\\nx 1\"} 1"));
	assert_true(has_line(text, "agentmon_hook_attached{hook=\"proc_exec\"} 1"));
	assert_true(has_line(text, "agentmon_hook_attached{hook=\"sock_connect4\"} 0"));
	assert_true(has_line(text, "agentmon_ringbuf_size_bytes 16777216"));
	assert_true(has_line(text, "agentmon_ringbuf_used_bytes 4096"));
	assert_true(has_line(text, "process_cpu_seconds_total 1.250000"));
	assert_true(has_line(text, "process_resident_memory_bytes 1048576"));
	assert_true(has_line(text, "process_open_fds 42"));
	assert_true(has_line(text, "process_max_fds 1024"));
	assert_false(has_line(text, "x 1")); /* the hostile name forged no sample */
	assert_false(strstr(text, "agentmon_export_")); /* no export.nats: no export families */
	free(text);
	/* with export.nats: messages by result, queue depth, spool */
	s.export = (struct export_status){ .on = true, .connected = true, .queued = 3,
		.inflight = 2, .spooled = 9, .spool_bytes = 8192, .acked = 100, .duplicates = 4,
		.failed = 5, .lost = 6, .damaged = 1 };
	text = format(&s, &a);
	check_grammar(text);
	assert_true(has_line(text, "# TYPE agentmon_export_messages_total counter"));
	assert_true(has_line(text, "agentmon_export_messages_total{result=\"acked\"} 100"));
	assert_true(has_line(text, "agentmon_export_messages_total{result=\"duplicate\"} 4"));
	assert_true(has_line(text, "agentmon_export_messages_total{result=\"lost\"} 6"));
	assert_true(has_line(text, "agentmon_export_messages_total{result=\"damaged\"} 1"));
	assert_true(has_line(text, "agentmon_export_queue_depth 3"));
	assert_true(has_line(text, "agentmon_export_spool_messages 9"));
	assert_true(has_line(text, "agentmon_export_spool_bytes 8192"));
	assert_true(has_line(text, "agentmon_export_connected 1"));
	assert_true(has_line(text, "agentmon_lost_total{reason=\"export\"} 6"));
	free(text);
	status_release(&s);
}

static void test_alert_kinds_bounded(void **state)
{
	struct metrics_alerts *a = calloc(1, sizeof(*a));
	char rule[32];

	(void)state;
	for (int i = 0; i < METRICS_ALERT_KINDS + 10; i++) {
		snprintf(rule, sizeof(rule), "rule_%d", i);
		metrics_count_alert(a, rule, "low");
	}
	metrics_count_alert(a, "rule_0", "low");
	assert_int_equal(a->n, METRICS_ALERT_KINDS);
	assert_int_equal(a->kinds[0].count, 2);
	assert_string_equal(a->kinds[METRICS_ALERT_KINDS].rule, "other");
	assert_int_equal(a->kinds[METRICS_ALERT_KINDS].count, 10);
	free(a);
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
	socklen_t len;
	bool lo;

	(void)state;
	assert_int_equal(metrics_parse_listen("127.0.0.1:9464", &sa, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(v4->sin_port), 9464);
	assert_int_equal(metrics_parse_listen("127.1.2.3:1", &sa, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(metrics_parse_listen("[::1]:9464", &sa, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(metrics_parse_listen("0.0.0.0:9464", &sa, &len, &lo), 0);
	assert_false(lo);
	assert_int_equal(metrics_parse_listen("[::]:80", &sa, &len, &lo), 0);
	assert_false(lo);
	assert_int_equal(metrics_parse_listen("localhost:9464", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen("127.0.0.1", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen("127.0.0.1:", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen("127.0.0.1:0", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen("127.0.0.1:65536", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen("127.0.0.1:80x", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen(":80", &sa, &len, &lo), -EINVAL);
	assert_int_equal(metrics_parse_listen(NULL, &sa, &len, &lo), -EINVAL);
}

/* a free port on 127.0.0.1 */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* req sent to sa, the whole answer (HTTP/1.0: the server closes) into buf */
static void request(const struct sockaddr_storage *sa, socklen_t len, const char *req,
		    char *buf, size_t cap)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (const struct sockaddr *)sa, len), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

static void test_http(void **state)
{
	struct sockaddr_storage sa;
	struct metrics *m, *again;
	char addr[32], buf[4096], err[256];
	socklen_t len;
	bool lo;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	assert_int_equal(metrics_parse_listen(addr, &sa, &len, &lo), 0);
	assert_int_equal(metrics_start(&m, &sa, len, err, sizeof(err)), 0);
	assert_int_equal(metrics_publish(m, "a_total 1\n", 10), 0);
	request(&sa, len, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 200", 12) || !strncmp(buf, "HTTP/1.0 200", 12));
	assert_non_null(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\na_total 1\n"));
	request(&sa, len, "HEAD /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
	assert_null(strstr(buf, "a_total"));
	request(&sa, len, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 404 "));
	request(&sa, len, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 405 "));
	assert_non_null(strstr(buf, "Allow: GET, HEAD"));
	assert_int_equal(metrics_scrapes(m), 2);
	/* the port is taken: an error naming why, nothing started */
	assert_int_equal(metrics_start(&again, &sa, len, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "cannot listen"));
	metrics_stop(m);
}

/* the collector's feed: a snapshot at most once a METRICS_EVERY_NS, none when off */
static void test_feed_pace(void **state)
{
	struct metrics_feed f;
	bool loopback = false;
	char err[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(metrics_feed_start(&f, NULL, -1, &loopback, err, sizeof(err)), 0);
	assert_true(loopback);
	assert_false(metrics_feed_due(&f, 5 * METRICS_EVERY_NS)); /* off */
	assert_int_equal(metrics_feed_start(&f, "nowhere", -1, &loopback, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "bad metrics address 'nowhere' (ADDR:PORT, [ADDR6]:PORT)");
	f.m = (struct metrics *)&f; /* on (never dereferenced here) */
	assert_true(metrics_feed_due(&f, 5 * METRICS_EVERY_NS));
	f.at = 5 * METRICS_EVERY_NS;
	assert_false(metrics_feed_due(&f, 6 * METRICS_EVERY_NS - 1));
	assert_true(metrics_feed_due(&f, 6 * METRICS_EVERY_NS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_alert_kinds_bounded),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_ring_mapped_once),
		cmocka_unit_test(test_feed_pace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
