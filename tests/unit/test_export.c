// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_export.c - the NATS export's parts that need no server: the
 * policy's export.nats block (good ones; each problem named with file,
 * line and key), the subject's host token (., *, >, space and control
 * bytes become _), the message body (the JSON line of `run --format json`
 * with "host" last, escaped), --host-id checks, what each setting takes;
 * and export_new's refusals (a password file others may read), without a
 * server: it starts, queues and stops with everything kept in the spool.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "export.h"
#include "export_spool.h"
#include "output.h"
#include "policy.h"

static struct policy *load(const char *yaml)
{
	struct policy *p = NULL;
	char err[512];

	assert_int_equal(policy_load_buffer("x.yaml", yaml, yaml ? strlen(yaml) : 0, &p, err,
					    sizeof(err)), 0);
	return p;
}

static void good(void **state)
{
	struct policy *p = load("alerts: {}\nexport:\n  nats:\n    url: tls://nats.corp:4222\n"
				"    user: agentmon\n    password_file: /etc/agentmon/nats.pw\n"
				"    tls: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem}\n"
				"    subject: fleet.dev\n    what: [alerts, events]\n"
				"    spool_bytes: 64m\n");
	const struct policy_nats *n = p->nats;

	(void)state;
	assert_non_null(n);
	assert_string_equal(n->url, "tls://nats.corp:4222");
	assert_string_equal(n->user, "agentmon");
	assert_string_equal(n->password_file, "/etc/agentmon/nats.pw");
	assert_string_equal(n->ca_file, "/ca.pem");
	assert_string_equal(n->key_file, "/k.pem");
	assert_string_equal(n->subject, "fleet.dev");
	assert_true(n->events);
	assert_int_equal(n->spool_bytes, 64ull << 20);
	assert_int_equal(n->line, 4);
	policy_free(p);
	p = load("export:\n  nats:\n    url: nats://127.0.0.1:4222\n    creds_file: /a.creds\n"
		 "    what: alerts\n");
	assert_string_equal(p->nats->subject, "agentmon");  /* the default prefix */
	assert_false(p->nats->events);
	policy_free(p);
	p = load("export:\n");
	assert_null(p->nats);                                /* none: no export */
	policy_free(p);
	p = load(NULL);
	assert_null(p->nats);
	policy_free(p);
}

static void bad(const char *yaml, const char *msg)
{
	struct policy *p = (struct policy *)1;
	char err[512], want[512];

	snprintf(want, sizeof(want), "bad.yaml:%s", msg);
	assert_int_equal(policy_load_buffer("bad.yaml", yaml, strlen(yaml), &p, err, sizeof(err)),
			 -EINVAL);
	assert_null(p);
	assert_string_equal(err, want);
}

#define N "export:\n  nats:\n    url: nats://h:4222\n"

static void errors(void **state)
{
	(void)state;
	bad("export:\n  nats:\n    url: http://h:4222\n",
	    "3: export.nats.url: 'http://h:4222' is not a nats://HOST:PORT or tls://HOST:PORT URL "
	    "(credentials go in creds_file or user + password_file)");
	bad("export:\n  nats:\n    url: nats://u:pw@h:4222\n",
	    "3: export.nats.url: 'nats://u:pw@h:4222' is not a nats://HOST:PORT or tls://HOST:PORT "
	    "URL (credentials go in creds_file or user + password_file)");
	bad("export:\n  nats:\n    subject: a\n", "3: export.nats: missing url");
	bad(N "    what: [events]\n",
	    "4: export.nats.what: alerts are always exported: [alerts] or [alerts, events]");
	bad(N "    what: [alerts, logs]\n",
	    "4: export.nats.what[1]: 'logs' is neither alerts nor events");
	bad(N "    subject: agentmon.>\n",
	    "4: export.nats.subject: 'agentmon.>' is not a subject prefix (tokens of letters, "
	    "digits, '-' and '_' joined by '.', no wildcards, at most 128 bytes)");
	bad(N "    subject: a..b\n",
	    "4: export.nats.subject: 'a..b' is not a subject prefix (tokens of letters, "
	    "digits, '-' and '_' joined by '.', no wildcards, at most 128 bytes)");
	bad(N "    user: x\n", "3: export.nats: user and password_file go together");
	bad(N "    creds_file: /c\n    user: x\n    password_file: /p\n",
	    "3: export.nats: creds_file or user + password_file, not both");
	bad(N "    creds_file: relative.creds\n",
	    "4: export.nats.creds_file: 'relative.creds' is not an absolute path");
	bad(N "    tls: {ca_file: /ca.pem}\n", "3: export.nats: tls: files need a tls:// url");
	bad("export:\n  nats:\n    url: tls://h:1\n    tls: {cert_file: /c.pem}\n",
	    "4: export.nats.tls: cert_file and key_file go together");
	bad(N "    port: 1\n", "4: export.nats: unknown key 'port'");
	bad("export:\n  kafka: {}\n", "2: export: unknown key 'kafka'");
	bad(N "    spool_bytes: 1k\n",
	    "4: export.nats.spool_bytes: '1k' is not a number in 1048576-1099511627776 (k, m, g)");
}

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

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_export.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* a password file others may read: refused, nothing started */
static void password_mode(void **state)
{
	char pw[128], spool[128], err[512];
	struct policy_nats cfg = { .url = "nats://127.0.0.1:9", .user = "u", .subject = "agentmon",
				   .password_file = pw, .spool_dir = spool };
	struct export *x = (struct export *)1;
	int fd;

	(void)state;
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	fd = open(pw, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	close(fd);
	assert_int_equal(export_new(&cfg, "h", NULL, &x, err, sizeof(err)), -EPERM);
	assert_null(x);
	assert_non_null(strstr(err, "group or others may read it"));
	assert_null(strstr(err, "secret"));
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
	int n = 0;

	(void)state;
	alert_ev.alert = &al;
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	assert_int_equal(export_new(&cfg, "h.1", NULL, &x, err, sizeof(err)), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(export_send(x, &alert_ev), 0);
		assert_int_equal(export_send(x, &open_ev), 0);  /* not wanted: alerts only */
	}
	export_free(x);
	assert_int_equal(export_spool_open(spool, 1 << 20, &s, err, sizeof(err)), 0);
	while (export_spool_next(s, &r, &end) == 1) {
		assert_int_equal(r.subject_len, strlen("agentmon.h_1.alert"));
		assert_memory_equal(r.subject, "agentmon.h_1.alert", r.subject_len);
		assert_int_equal(r.id_len, 32);
		n++;
	}
	assert_int_equal(n, 5);
	export_spool_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good),
		cmocka_unit_test(errors),
		cmocka_unit_test(subject_host),
		cmocka_unit_test(body),
		cmocka_unit_test_setup_teardown(password_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(no_server_keeps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
