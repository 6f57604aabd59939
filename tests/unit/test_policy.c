// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_policy.c - the policy file: good file, default policy, exact error messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

static const char good[] =
	"agents:                    # added to the defaults\n"
	"  - name: forum-bot\n"
	"    match: [/opt/bots/forum-bot, \"*/forum_bot.py\"]\n"
	"  - name: solo\n"
	"    match: solo-bin\n"
	"allow:\n"
	"  - host: API.Example.com\n"
	"  - host: \"*.corp.example\"\n"
	"    methods: [get, HEAD]\n"
	"  - host: github.com\n"
	"    methods: [GET, POST]\n"
	"    paths: [\"*/git-upload-pack\", \"*/info/refs\"]\n"
	"  - cidr: 10.1.2.3/8\n"
	"    ports: [443, 8443]\n"
	"  - cidr: \"fd00::/8\"\n"
	"    ports: 22\n"
	"alerts:\n"
	"  webhooks:\n"
	"    - url: https://hooks.example/agentmon\n"
	"      secret_file: /etc/agentmon/webhook.secret\n"
	"      format: slack\n";

/* the default policy's allow entry for host, or NULL */
static const struct policy_allow *find_host(const struct policy *p, const char *host)
{
	for (size_t i = 0; i < p->n_allow; i++)
		if (p->allow[i].host && !strcmp(p->allow[i].host, host))
			return &p->allow[i];
	return NULL;
}

static void test_default(void **state)
{
	struct policy *p = NULL;
	char err[256] = "";
	const struct policy_allow *a;

	assert_int_equal(policy_load(NULL, &p, err, sizeof(err)), 0);
	assert_non_null(p);
	assert_string_equal(p->source, "<default>");
	assert_int_equal(agents_count(p->agents), 17); /* agents.c default_agents */
	assert_int_equal(p->n_webhooks, 0);
	assert_non_null(find_host(p, "api.anthropic.com"));
	assert_non_null(find_host(p, "*.anthropic.com"));
	assert_non_null(find_host(p, "api.openai.com"));
	assert_non_null(find_host(p, "generativelanguage.googleapis.com"));
	assert_null(find_host(p, "*.googleapis.com"));
	assert_non_null(find_host(p, "pypi.org"));
	a = find_host(p, "github.com");
	assert_non_null(a);
	assert_int_equal(a->n_methods, 2);
	assert_string_equal(a->methods[1], "POST");
	assert_int_equal(a->n_paths, 2);
	assert_string_equal(a->paths[0], "*/git-upload-pack");
	a = find_host(p, "registry.npmjs.org");
	assert_int_equal(a->n_methods, 2); /* GET, HEAD: a publish alerts */
	policy_free(p);
}

static void test_good(void **state)
{
	struct policy *d = NULL, *p = NULL;
	char err[256] = "";
	const struct policy_allow *a;
	size_t nd;

	assert_int_equal(policy_load(NULL, &d, err, sizeof(err)), 0);
	nd = d->n_allow;
	policy_free(d);
	assert_int_equal(policy_load_buffer("good.yaml", good, strlen(good), &p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(p->source, "good.yaml");
	assert_int_equal(agents_count(p->agents), 19);
	assert_int_equal(agents_match_exec(p->agents, "/opt/bots/forum-bot", "", 0, 0), 17);
	assert_int_equal(agents_match_exec(p->agents, "/x/solo-bin", "", 0, 0), 18);
	assert_int_equal(p->n_allow, nd + 5); /* appended after the defaults */
	a = &p->allow[nd];
	assert_string_equal(a->host, "api.example.com");
	assert_int_equal(a->line, 7);
	assert_int_equal(a->n_methods, 0);
	a++;
	assert_string_equal(a->host, "*.corp.example");
	assert_string_equal(a->methods[0], "GET");
	assert_string_equal(a->methods[1], "HEAD");
	a += 2;
	assert_null(a->host);
	assert_int_equal(a->family, AF_INET);
	assert_int_equal(a->prefix, 8);
	assert_memory_equal(a->net, "\x0a\0\0\0", 4); /* host bits cleared */
	assert_int_equal(a->n_ports, 2);
	assert_int_equal(a->ports[1], 8443);
	a++;
	assert_int_equal(a->family, AF_INET6);
	assert_int_equal(a->net[0], 0xfd);
	assert_int_equal(a->n_ports, 1);
	assert_int_equal(a->ports[0], 22);
	assert_int_equal(p->n_webhooks, 1);
	assert_string_equal(p->webhooks[0].url, "https://hooks.example/agentmon");
	assert_string_equal(p->webhooks[0].secret_file, "/etc/agentmon/webhook.secret");
	assert_true(p->webhooks[0].slack);
	assert_int_equal(p->webhooks[0].line, 19);
	policy_free(p);
}

/* yaml must fail with exactly msg (after "bad.yaml:") */
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

static void test_errors(void **state)
{
	bad("agents: []\nrules: 1\n", "2: unknown key 'rules'");
	bad("allow:\n  - host: a\n  - host: b\n  - cidr: 10.0.0.0/8\n    ports: [443, 70000]\n",
	    "5: allow[2].ports[1]: 70000 is not a port (1-65535)");
	bad("allow:\n  - host: a\n    ports: [0]\n", "3: allow[0].ports[0]: 0 is not a port (1-65535)");
	bad("allow:\n  - host: a\n    ports: [-1]\n", "3: allow[0].ports[0]: -1 is not a port (1-65535)");
	bad("allow:\n  - host: a\n    ports: [http]\n",
	    "3: allow[0].ports[0]: http is not a port (1-65535)");
	bad("allow:\n  - host: a\n    methods: [GET, FETCH]\n",
	    "3: allow[0].methods[1]: 'FETCH' is not an HTTP method");
	bad("allow:\n  - host: a*b.com\n", "2: allow[0].host: 'a*b.com' is not a host name or *.suffix");
	bad("allow:\n  - host: \"a.com:443\"\n",
	    "2: allow[0].host: 'a.com:443' is not a host name or *.suffix");
	bad("allow:\n  - cidr: 10.0.0.0/33\n",
	    "2: allow[0].cidr: '10.0.0.0/33' is not an IPv4 or IPv6 network (ADDR/PREFIX)");
	bad("allow:\n  - cidr: ::1/129\n",
	    "2: allow[0].cidr: '::1/129' is not an IPv4 or IPv6 network (ADDR/PREFIX)");
	bad("allow:\n  - cidr: 10.0.0/8\n",
	    "2: allow[0].cidr: '10.0.0/8' is not an IPv4 or IPv6 network (ADDR/PREFIX)");
	bad("allow:\n  - host: a\n    cidr: 10.0.0.0/8\n", "2: allow[0]: host and cidr exclude each other");
	bad("allow:\n  - ports: [1]\n", "2: allow[0]: needs a host or a cidr");
	bad("deny:\n  - host: a.example\n  - methods: [POST]\n", "3: deny[1]: needs a host or a cidr");
	bad("deny:\n  - host: a.example\n    verbs: [POST]\n", "3: deny[0]: unknown key 'verbs'");
	bad("allow:\n  - host: a\n    paths: [x]\n",
	    "3: allow[0].paths[0]: 'x' is not a path glob (starts with / or *)");
	bad("allow:\n  - host: a\n    port: [1]\n", "3: allow[0]: unknown key 'port'");
	bad("allow:\n  - host: a\n    host: b\n", "3: allow[0]: duplicate key 'host'");
	bad("allow: {host: a}\n", "1: allow: expected a list");
	bad("allow:\n  - host: [a]\n", "2: allow[0].host: expected a string");
	bad("agents:\n  - match: [x]\n", "2: agents[0]: missing name");
	bad("agents:\n  - name: a/b\n",
	    "2: agents[0].name: 'a/b' is not an agent name (1-63 characters, no '/')");
	bad("agents:\n  - name: x\n    match: [{a: b}]\n", "3: agents[0].match[0]: expected a string");
	bad("alerts:\n  webhooks:\n    - url: ftp://x\n",
	    "3: alerts.webhooks[0].url: 'ftp://x' is not an http:// or https:// URL");
	bad("alerts:\n  webhooks:\n    - url: https://\n",
	    "3: alerts.webhooks[0].url: 'https://' is not an http:// or https:// URL");
	bad("alerts:\n  webhooks:\n    - url: http:///x\n",
	    "3: alerts.webhooks[0].url: 'http:///x' is not an http:// or https:// URL");
	bad("alerts:\n  webhooks:\n    - url: https://x\n      format: xml\n",
	    "4: alerts.webhooks[0].format: 'xml' is not a format (json or slack)");
	bad("alerts:\n  webhooks:\n    - format: json\n", "3: alerts.webhooks[0]: missing url");
	bad("alerts:\n  hooks: []\n", "2: alerts: unknown key 'hooks'");
	bad("alerts:\n  window: 0\n", "2: alerts.window: '0' is not a number in 1-86400");
	bad("alerts:\n  upload_threshold: 5x\n",
	    "2: alerts.upload_threshold: '5x' is not a number in 1-1099511627776 (k, m, g)");
	bad("alerts:\n  spool_dir: rel/dir\n", "2: alerts.spool_dir: 'rel/dir' is not an absolute path");
	bad("alerts:\n  budget: 0\n", "2: alerts.budget: '0' is not a number in 1-100000");
	bad("alerts:\n  ttl: 0s\n", "2: alerts.ttl: '0s' is not a duration from 1s to 3650d (s, m, h, d)");
	bad("- a\n- b\n", "1: the policy must be a mapping (agents, allow, alerts, record)");
	bad("record:\n  dir: traces\n", "2: record.dir: 'traces' is not an absolute path");
	bad("record:\n  rotate_bytes: 1k\n",
	    "2: record.rotate_bytes: '1k' is not a number in 65536-1099511627776 (k, m, g)");
	bad("record:\n  rotate_age: 0s\n",
	    "2: record.rotate_age: '0s' is not a duration from 1s to 3650d (s, m, h, d)");
	bad("record:\n  keep_age: 1w\n",
	    "2: record.keep_age: '1w' is not a duration from 1s to 3650d (s, m, h, d)");
	bad("record:\n  keep: 1\n", "2: record: unknown key 'keep'");
	/* YAML syntax errors with libyaml's line */
	bad("allow:\n  - host: [a\n", "3: did not find expected ',' or ']' while parsing a flow sequence");
	bad("allow:\n  - host: a\n bad: x\n",
	    "3: did not find expected key while parsing a block mapping");
	bad("agents: []\n---\nallow: []\n", "3: only one YAML document is allowed");
}

static void test_empty_and_files(void **state)
{
	char path[] = "/tmp/am-policy-XXXXXX", err[512];
	struct policy *p = NULL;
	FILE *f;
	int fd;

	assert_int_equal(policy_load_buffer("e.yaml", "", 0, &p, err, sizeof(err)), 0);
	policy_free(p);
	assert_int_equal(policy_load_buffer("e.yaml", "# nothing\n", 10, &p, err, sizeof(err)), 0);
	policy_free(p);
	assert_int_equal(policy_load("/nonexistent/agentmon.yaml", &p, err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_string_equal(err, "/nonexistent/agentmon.yaml: cannot read: No such file or directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("allow:\n  - host: ok.example\n  - host: ok2\n    methods: [PUTT]\n", f);
	fclose(f);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	char want[600];
	snprintf(want, sizeof(want), "%s:4: allow[1].methods[0]: 'PUTT' is not an HTTP method", path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	fputs(good, f);
	fclose(f);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), 0);
	assert_string_equal(p->source, path);
	policy_free(p);
	unlink(path);
}

static void test_alert_settings(void **state)
{
	static const char y[] = "alerts:\n  window: 120\n  upload_threshold: 256k\n"
				"  spool_dir: /var/tmp/spool\n  budget: 50\n  ttl: 2h\n";
	struct policy *p = NULL;
	char err[256];

	assert_int_equal(policy_load_buffer("a.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_int_equal(p->alert_window_s, 120);
	assert_int_equal(p->upload_threshold, 256 << 10);
	assert_string_equal(p->spool_dir, "/var/tmp/spool");
	assert_int_equal(p->alert_budget, 50);
	assert_int_equal(p->alert_ttl_s, 7200);
	policy_free(p);
	assert_int_equal(policy_load_buffer(NULL, NULL, 0, &p, err, sizeof(err)), 0);
	assert_int_equal(p->alert_window_s, 0);
	assert_int_equal(p->upload_threshold, 0);
	assert_null(p->spool_dir);
	assert_int_equal(p->alert_budget, 0);
	assert_int_equal(p->alert_ttl_s, 0);
	policy_free(p);
}

/* llm_hosts: the built-in model APIs plus the file's; alerts.intent */
static void test_llm_settings(void **state)
{
	static const char y[] = "llm_hosts: [llm-gw.corp.example, \"*.llm.test\"]\nalerts:\n  intent: false\n";
	static const char bad[] = "alerts:\n  intent: maybe\n";
	static const char bad2[] = "llm_hosts: llm.test\n";
	static const char bad3[] = "llm_hosts: [\"*-aiplatform.googleapis.com\"]\n";
	struct policy *p = NULL;
	char err[256];
	bool anthropic = false;

	assert_int_equal(policy_load_buffer(NULL, NULL, 0, &p, err, sizeof(err)), 0);
	assert_false(p->intent_off);
	for (size_t i = 0; i < p->n_llm_hosts; i++)
		anthropic |= !strcmp(p->llm_hosts[i], "api.anthropic.com");
	assert_true(anthropic);
	policy_free(p);
	assert_int_equal(policy_load_buffer("a.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_true(p->intent_off);
	assert_true(p->n_llm_hosts > 2);
	assert_string_equal(p->llm_hosts[p->n_llm_hosts - 2], "llm-gw.corp.example");
	assert_string_equal(p->llm_hosts[p->n_llm_hosts - 1], "*.llm.test");
	policy_free(p);
	assert_int_equal(policy_load_buffer("b.yaml", bad, strlen(bad), &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not true or false"));
	assert_int_equal(policy_load_buffer("c.yaml", bad2, strlen(bad2), &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_load_buffer("d.yaml", bad3, strlen(bad3), &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a host name"));
}

static void test_record_settings(void **state)
{
	static const char y[] = "record:\n  dir: /srv/traces\n  rotate_bytes: 16M\n"
				"  rotate_age: 30m\n  keep_age: 2d\n  keep_bytes: 2g\n";
	struct policy *p = NULL;
	char err[256];

	assert_int_equal(policy_load_buffer("r.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_string_equal(p->record.dir, "/srv/traces");
	assert_int_equal(p->record.rotate_bytes, 16 << 20);
	assert_int_equal(p->record.rotate_age_s, 1800);
	assert_int_equal(p->record.keep_age_s, 2 * 86400);
	assert_int_equal(p->record.keep_bytes, 2ull << 30);
	policy_free(p);
	assert_int_equal(policy_load_buffer(NULL, NULL, 0, &p, err, sizeof(err)), 0);
	assert_null(p->record.dir); /* the recorder's defaults */
	assert_int_equal(p->record.rotate_bytes, 0);
	policy_free(p);
}

/* metrics: listen: ADDR:PORT (run --metrics's twin), checked at load */
static void test_metrics_settings(void **state)
{
	static const char y[] = "metrics:\n  listen: \"[::1]:9464\"\n";
	struct policy *p = NULL;
	char err[256];

	(void)state;
	assert_int_equal(policy_load_buffer("m.yaml", y, strlen(y), &p, err, sizeof(err)), 0);
	assert_string_equal(p->metrics_listen, "[::1]:9464");
	policy_free(p);
	assert_int_equal(policy_load_buffer(NULL, NULL, 0, &p, err, sizeof(err)), 0);
	assert_null(p->metrics_listen); /* off by default */
	policy_free(p);
	bad("metrics:\n  listen: localhost\n",
	    "2: metrics.listen: 'localhost' is not ADDR:PORT or [ADDR6]:PORT");
	bad("metrics:\n  port: 9464\n", "2: metrics: unknown key 'port'");
}

/* yaml (NULL: none) that must load */
static struct policy *load_ok(const char *yaml)
{
	struct policy *p = NULL;
	char err[512];

	assert_int_equal(policy_load_buffer("x.yaml", yaml, yaml ? strlen(yaml) : 0, &p, err,
					    sizeof(err)), 0);
	return p;
}

#define N "export:\n  nats:\n    url: nats://h:4222\n"

static void test_export_good(void **state)
{
	struct policy *p = load_ok("alerts: {}\nexport:\n  nats:\n    url: tls://nats.corp:4222\n"
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
	p = load_ok("export:\n  nats:\n    url: nats://127.0.0.1:4222\n    creds_file: /a.creds\n"
		 "    what: alerts\n");
	assert_string_equal(p->nats->subject, "agentmon");  /* the default prefix */
	assert_false(p->nats->events);
	policy_free(p);
	p = load_ok("export:\n");
	assert_null(p->nats);                                /* none: no export */
	policy_free(p);
	{                                                    /* a reload's change */
		struct policy *a = load_ok(N "    what: [alerts]\n"), *b = load_ok(N);
		struct policy *e = load_ok(N "    what: [alerts, events]\n");

		assert_true(policy_nats_same(a->nats, b->nats));
		assert_false(policy_nats_same(a->nats, e->nats));
		assert_false(policy_nats_same(a->nats, NULL));
		assert_true(policy_nats_same(NULL, NULL));
		policy_free(a);
		policy_free(b);
		policy_free(e);
	}
	p = load_ok(NULL);
	assert_null(p->nats);
	policy_free(p);
}


static void test_export_errors(void **state)
{
	(void)state;
	bad("export:\n  nats:\n    url: http://h:4222\n",
	    "3: export.nats.url: 'http://h:4222' is not a nats://HOST:PORT or tls://HOST:PORT URL "
	    "(credentials go in creds_file or user + password_file)");
	bad("export:\n  nats:\n    url: nats://u:pw@h:4222\n",
	    "3: export.nats.url: 'nats://u:pw@h:4222' is not a nats://HOST:PORT or tls://HOST:PORT "
	    "URL (credentials go in creds_file or user + password_file)");
	bad("export:\n  nats:\n    url: tls://\n",
	    "3: export.nats.url: 'tls://' is not a nats://HOST:PORT or tls://HOST:PORT URL "
	    "(credentials go in creds_file or user + password_file)");
	bad("export:\n  nats:\n    url: nats://:4222\n",
	    "3: export.nats.url: 'nats://:4222' is not a nats://HOST:PORT or tls://HOST:PORT URL "
	    "(credentials go in creds_file or user + password_file)");
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
	{       /* one byte past POLICY_SUBJECT_MAX */
		char y[512], want[512];

		snprintf(y, sizeof(y), N "    subject: %0*d\n", POLICY_SUBJECT_MAX + 1, 0);
		snprintf(want, sizeof(want), "4: export.nats.subject: '%0*d' is not a subject prefix "
			 "(tokens of letters, digits, '-' and '_' joined by '.', no wildcards, at "
			 "most 128 bytes)", POLICY_SUBJECT_MAX + 1, 0);
		bad(y, want);
	}
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

#undef N

/* view: show and hide globs; textual normalization; "~/" any user's home */
static void test_view_key(void **state)
{
	struct policy *p = load_ok("view:\n  show: [\"/srv/*.db\", \"~/notes/*\"]\n"
				   "  hide: \"*/gen/*\"\n");
	char buf[64];

	(void)state;
	assert_int_equal(p->view.n_show, 2);
	assert_int_equal(p->view.n_hide, 1);
	assert_true(p->view.show[1].home);
	assert_int_equal(policy_view_match(&p->view, "/srv/a/b.db"), POLICY_VIEW_SHOW);
	assert_int_equal(policy_view_match(&p->view, "/x/../srv//c.db"), POLICY_VIEW_SHOW);
	assert_int_equal(policy_view_match(&p->view, "/srv/../etc/x.db"), POLICY_VIEW_NONE);
	assert_int_equal(policy_view_match(&p->view, "/home/ann/notes/t"), POLICY_VIEW_SHOW);
	assert_int_equal(policy_view_match(&p->view, "/root/notes/t"), POLICY_VIEW_SHOW);
	assert_int_equal(policy_view_match(&p->view, "/home/notes/t"), POLICY_VIEW_NONE);
	assert_int_equal(policy_view_match(&p->view, "/tmp/root/notes/t"), POLICY_VIEW_NONE);
	assert_int_equal(policy_view_match(&p->view, "/a/gen/x.db"), POLICY_VIEW_HIDE);
	assert_int_equal(policy_view_match(&p->view, "/srv/gen/x.db"), POLICY_VIEW_SHOW);
	assert_int_equal(policy_view_match(&p->view, "/etc/passwd"), POLICY_VIEW_NONE);
	policy_free(p);
	assert_int_equal(policy_view_match(NULL, "/srv/a.db"), POLICY_VIEW_NONE);
	assert_int_equal(policy_view_normalize("//a/./b/../../../c/", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "/c");
	assert_int_equal(policy_view_normalize("a/../b", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "b");
	assert_int_equal(policy_view_normalize("/abcdef", buf, 4), 3);
	assert_string_equal(buf, "/ab");
	assert_int_equal(policy_view_normalize("/..", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "/");
}

static void test_view_errors(void **state)
{
	char many[256 * 8 + 64];
	size_t n;

	(void)state;
	bad("view:\n  show: [\"/a\", \"rel/*\"]\n",
	    "2: view.show[1]: 'rel/*' does not start with /, ~/ or *");
	bad("view:\n  hide:\n    - \"~x\"\n", "3: view.hide[0]: '~x' does not start with /, ~/ or *");
	bad("view:\n  hide: [\"\"]\n", "2: view.hide[0]: a glob is 1-1024 bytes");
	bad("view:\n  shown: [/a]\n", "2: view: unknown key 'shown'");
	bad("view:\n  show: {a: 1}\n", "2: view.show: expected a list");
	bad("view: [/a]\n", "1: view: expected a mapping");
	n = (size_t)snprintf(many, sizeof(many), "view:\n  show: [");
	for (int i = 0; i < 257; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s/%x", i ? "," : "", i);
	snprintf(many + n, sizeof(many) - n, "]\n");
	bad(many, "2: view.show[256]: more than 256 globs in view");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_export_good),
		cmocka_unit_test(test_export_errors),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_and_files),
		cmocka_unit_test(test_alert_settings),
		cmocka_unit_test(test_llm_settings),
		cmocka_unit_test(test_record_settings),
		cmocka_unit_test(test_metrics_settings),
		cmocka_unit_test(test_view_key),
		cmocka_unit_test(test_view_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
