// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_export.c - the NATS export's parts that need no server (the policy
 * block is in test_policy.c): the subject's host token (., *, >, space and control
 * bytes become _), the message body (the JSON line of `run --format json`
 * with "host" last, escaped), --host-id checks, what each setting takes;
 * and export_new's refusals (a password file others may read), without a
 * server: it starts, queues and stops with everything kept in the spool; at
 * the spool bound the rest is lost, counted and said once; its threads block
 * the main loop's signals.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common.h"
#include "export.h"
#include "export_spool.h"
#include "tmpdir.h"
#include "output.h"
#include "policy.h"

static void subject_host(void **state)
{
	char out[64];

	(void)state;
	export_subject_host("dev.box 1*>\t\x7f" "x", out, sizeof(out));
	assert_string_equal(out, "dev_box_1____x");
	export_subject_host("h\xc3\xa9", out, sizeof(out));   /* UTF-8 kept */
	assert_string_equal(out, "h\xc3\xa9");
	export_subject_host("abcdef", out, 4);
	assert_string_equal(out, "abc");
	assert_true(export_host_ok("laptop-7.corp"));
	assert_false(export_host_ok(""));
	assert_false(export_host_ok("a\nb"));
}

static void body(void **state)
{
	struct event ev = { .type = AM_EV_EXIT, .pid = 42, .agent = "claude",
			    .comm = "node" };
	struct jw w;
	json_t *j;
	json_error_t e;

	(void)state;
	jw_init(&w);
	assert_int_equal(export_body(&w, &ev, "dev \"box\""), 0);
	assert_true(w.len && w.buf[w.len - 1] == '}');         /* no newline */
	j = json_loadb(w.buf, w.len, 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "host")), "dev \"box\"");
	assert_string_equal(json_string_value(json_object_get(j, "type")), "exit");
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), 42);
	json_decref(j);
	/* the run --format json line, with ,"host":... before its end */
	{
		struct jw line;
		char tail[64];

		jw_init(&line);
		output_line(&line, &ev, OUTPUT_JSON, false);
		snprintf(tail, sizeof(tail), ",\"host\":\"dev \\\"box\\\"\"}");
		assert_int_equal(w.len, line.len - 2 + strlen(tail));
		assert_memory_equal(w.buf, line.buf, line.len - 2);
		assert_memory_equal(w.buf + line.len - 2, tail, strlen(tail));
		jw_free(&line);
	}
	jw_free(&w);
}

/* pw: dir/pw holding a password, with mode; spool: dir/spool */
static void password_file(char pw[128], char spool[128], mode_t mode)
{
	int fd;

	snprintf(pw, 128, "%s/pw", dir);
	snprintf(spool, 128, "%s/spool", dir);
	fd = open(pw, O_WRONLY | O_CREAT, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	close(fd);
}

/* a password file others may read: refused, nothing started */
static void password_mode(void **state)
{
	char pw[128], spool[128], err[512];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .user = "u", .subject = "agentmon",
				   .password_file = pw, .spool_dir = spool };
	struct export *x = (struct export *)1;

	(void)state;
	password_file(pw, spool, 0644);
	assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), -EPERM);
	assert_null(x);
	assert_non_null(strstr(err, "group or others may read it"));
	assert_null(strstr(err, "secret"));
}

/* a password over nats:// to another host: said once, first, by
 * export_news (not a loss); to this host, or over tls://: nothing said */
static void password_clear(void **state)
{
	char pw[128], spool[128], err[512], msg[320];
	struct policy_nats cfg = { .url = "nats://192.0.2.1:4222", .user = "u",
				   .subject = "agentmon", .password_file = pw, .spool_dir = spool };
	static const char *const quiet[] = { "nats://127.0.0.1:9", "nats://localhost:9",
					     "nats://[::1]:9", "tls://192.0.2.1:4222" };
	struct export *x = NULL;
	bool lost = true;

	(void)state;
	password_file(pw, spool, 0600);
	assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), 0);
	assert_true(export_news(x, msg, sizeof(msg), &lost));
	assert_false(lost);
	assert_string_equal(msg, "export.nats: user u's password goes in clear to "
			    "nats://192.0.2.1:4222 (a tls:// URL keeps it private)");
	export_free(x);
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		cfg.url = (char *)quiet[i];
		x = NULL;
		assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), 0);
		if (export_news(x, msg, sizeof(msg), &lost))   /* the worker's own news only */
			assert_null(strstr(msg, "in clear"));
		export_free(x);
	}
}

/* no server (port 9 on loopback is closed): what is sent stays spooled,
 * and a next open of the spool finds every message, in order */
static void no_server_keeps(void **state)
{
	char spool[128], err[512];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .subject = "agentmon",
				   .spool_dir = spool, .events = false };
	struct event alert_ev = { .type = AM_EV_ALERT, .pid = 1 };
	struct event_alert al = { .rule = "outbound_post", .severity = "high", .summary = "s",
				  .cause_type = AM_EV_ALERT, .count = 1 };
	struct event open_ev = { .type = AM_EV_OPEN, .pid = 1 };
	struct export *x = NULL;
	struct export_spool *s;
	struct xspool_rec r;
	struct xspool_pos end;
	struct jw json, want;
	int n = 0;

	(void)state;
	alert_ev.alert = &al;
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	assert_int_equal(export_new(&cfg, "h.1", NULL, &x, err, sizeof(err)), 0);
	jw_init(&json);
	jw_init(&want);
	output_event_json(&json, &alert_ev);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(export_send(x, &alert_ev), 0);
		assert_int_equal(export_send(x, &open_ev), 0);  /* not wanted: alerts only */
		/* rendered once by the caller (run --format json): the same body */
		assert_int_equal(export_send_json(x, &alert_ev, json.buf, json.len), 0);
	}
	export_free(x);
	assert_int_equal(export_body(&want, &alert_ev, "h.1"), 0);
	assert_int_equal(export_spool_open(spool, 1 << 20, &s, err, sizeof(err)), 0);
	while (export_spool_next(s, &r, &end) == 1) {
		assert_int_equal(r.subject_len, strlen("agentmon.h_1.alert"));
		assert_memory_equal(r.subject, "agentmon.h_1.alert", r.subject_len);
		assert_int_equal(r.id_len, 32);
		assert_int_equal(r.body_len, want.len);
		assert_memory_equal(r.body, want.buf, want.len);
		n++;
	}
	assert_int_equal(n, 10);
	export_spool_free(s);
	jw_free(&json);
	jw_free(&want);
}

/* the spool bound (1 MiB, no server): what does not fit is lost, counted,
 * said once; spooled + lost is what was sent */
static void bound_counts(void **state)
{
	char spool[128], err[512], msg[320];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .subject = "agentmon",
				   .spool_dir = spool, .spool_bytes = 1 << 20 };
	struct event_alert al = { .rule = "outbound_post", .severity = "high",
				  .summary = "a summary long enough to fill a spool of one MiB "
					     "with a few thousand alerts in a unit test",
				  .cause_type = AM_EV_ALERT, .count = 1 };
	struct event ev = { .type = AM_EV_ALERT, .pid = 1, .alert = &al };
	struct export_status st;
	struct export *x = NULL;
	bool lost = false;

	(void)state;
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), 0);
	for (int i = 0; i < 6000; i++)
		export_send(x, &ev);   /* -EAGAIN: lost, counted */
	for (int i = 0; i < 500; i++) {   /* the worker takes the queue (5 s at most) */
		export_status(x, &st);
		if (!st.queued && st.spooled + st.lost == 6000)
			break;
		usleep(10000);
	}
	assert_int_equal(st.queued, 0);
	assert_true(st.lost > 0);
	assert_int_equal(st.spooled + st.lost, 6000);
	assert_int_equal(st.acked, 0);
	assert_true(export_news(x, msg, sizeof(msg), &lost));
	assert_true(lost);
	assert_non_null(strstr(msg, "lost at the queue or spool bound"));
	while (export_news(x, msg, sizeof(msg), &lost))   /* other news (no server): not a loss */
		assert_false(lost);
	export_free(x);
}

/* the longest prefix with the longest host id: the subject kept whole;
 * a prefix past POLICY_SUBJECT_MAX or a bad host id: refused, said */
static void long_subject(void **state)
{
	char spool[128], err[512], prefix[POLICY_SUBJECT_MAX + 2], host[EXPORT_HOST_MAX + 2];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .subject = prefix,
				   .spool_dir = spool };
	struct export_status st;
	struct export *x = NULL;

	(void)state;
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	memset(prefix, 'p', POLICY_SUBJECT_MAX + 1);
	prefix[POLICY_SUBJECT_MAX + 1] = '\0';
	memset(host, 'h', EXPORT_HOST_MAX + 1);
	host[EXPORT_HOST_MAX] = '\0';
	assert_int_equal(export_new(&cfg, host, NULL, &x, err, sizeof(err)), -EINVAL);
	assert_null(x);
	assert_string_equal(err, "export.nats.subject: 129 bytes (1 to 128)");
	prefix[POLICY_SUBJECT_MAX] = '\0';
	host[EXPORT_HOST_MAX] = 'h';
	host[EXPORT_HOST_MAX + 1] = '\0';
	assert_int_equal(export_new(&cfg, host, NULL, &x, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad host id"));
	host[EXPORT_HOST_MAX] = '\0';
	assert_int_equal(export_new(&cfg, host, NULL, &x, err, sizeof(err)), 0);
	export_status(x, &st);
	assert_int_equal(strlen(st.subject), POLICY_SUBJECT_MAX + 1 + EXPORT_HOST_MAX);
	assert_memory_equal(st.subject, prefix, POLICY_SUBJECT_MAX);
	assert_memory_equal(st.subject + POLICY_SUBJECT_MAX + 1, host, EXPORT_HOST_MAX);
	export_free(x);
}

/* the SigBlk mask of thread tid of this process (/proc), 0 when unread */
static unsigned long long sigblk(long tid)
{
	char path[64], line[128];
	unsigned long long m = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &m) == 1)
			break;
	fclose(f);
	return m;
}

#define MAIN_SIGS ((1ull << (SIGHUP - 1)) | (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)))

static void *report_mask(void *arg)
{
	*(unsigned long long *)arg = sigblk(syscall(SYS_gettid));
	return NULL;
}

/* am_thread_start's thread, and every thread the export starts (its worker,
 * the connector, libnats's), block SIGINT, SIGTERM and SIGHUP: the main
 * loop's; the caller's mask is left as it was */
static void threads_block_signals(void **state)
{
	char spool[128], err[512];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .subject = "agentmon",
				   .spool_dir = spool };
	unsigned long long seen = 0;
	long self = syscall(SYS_gettid);
	struct export *x = NULL;
	struct dirent *d;
	pthread_t th;
	int others = 0;
	DIR *tasks;

	(void)state;
	assert_int_equal(sigblk(self) & MAIN_SIGS, 0);
	assert_int_equal(am_thread_start(&th, report_mask, &seen), 0);
	pthread_join(th, NULL);
	assert_int_equal(seen & MAIN_SIGS, MAIN_SIGS);
	assert_int_equal(sigblk(self) & MAIN_SIGS, 0);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), 0);
	usleep(200000);   /* the connector started (the check holds whenever it runs) */
	tasks = opendir("/proc/self/task");
	assert_non_null(tasks);
	while ((d = readdir(tasks))) {
		long tid = atol(d->d_name);

		if (tid <= 0 || tid == self)
			continue;
		others++;
		assert_int_equal(sigblk(tid) & MAIN_SIGS, MAIN_SIGS);
	}
	closedir(tasks);
	assert_true(others >= 1);   /* the worker at least */
	assert_int_equal(sigblk(self) & MAIN_SIGS, 0);
	export_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subject_host),
		cmocka_unit_test(body),
		cmocka_unit_test_setup_teardown(password_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(password_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(no_server_keeps, setup, teardown),
		cmocka_unit_test_setup_teardown(bound_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(threads_block_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(long_subject, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
