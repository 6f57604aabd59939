// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * policy.c - the policy file (see policy.h and SPEC.md "Policy file").
 *
 * The YAML is loaded with libyaml's document API and walked node by node
 * (pctx.h: the node helpers); every node carries its line, so each problem
 * is reported as "FILE:LINE: where: problem" (where is a path such as
 * allow[2].ports, with 0-based indexes).  A policy is built fresh (defaults, then the file) and
 * handed out only when both parsed: on any error it is freed whole.
 *
 * The embedded default policy is in policy_default.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <yaml.h>

#include "common.h"
#include "metrics.h"
#include "pctx.h"
#include "policy.h"

#define POLICY_MAX_BYTES (1u << 20)

/* ---- agents ---- */

struct agent_item {
	char *name;
	yaml_node_t *match;
	yaml_node_t *node;
};

static int agent_name(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct agent_item *a = arg;
	int r = pctx_dup_scalar(c, n, where, &a->name);

	if (!r && (strlen(a->name) >= AM_NAME_MAX || strchr(a->name, '/')))
		return pctx_err(c, n, "%s: '%s' is not an agent name (1-%d characters, no '/')",
			    where, a->name, AM_NAME_MAX - 1);
	return r;
}

static int agent_match(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	((struct agent_item *)arg)->match = n;
	return 0;
}

static int agent_pattern(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct agent_item *a = arg;
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	r = agents_add_pattern(c->p->agents, a->name, s);
	if (r == -EINVAL)
		return pctx_err(c, n, "%s: '%s' is not a match pattern", where, s);
	return r;
}

static int agent_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "name", agent_name }, { "match", agent_match }, { NULL, NULL },
	};
	struct agent_item a = { .node = n };
	char w[300];
	int r = pctx_each_key(c, n, where, keys, &a);

	if (!r && !a.name)
		r = pctx_err(c, n, "%s: missing name", where);
	if (!r && agents_intern(c->p->agents, a.name) == AM_AGENT_NONE)
		r = -ENOMEM;
	snprintf(w, sizeof(w), "%s.match", where);
	if (!r && a.match)
		r = pctx_each_item(c, a.match, w, true, agent_pattern, &a);
	free(a.name);
	return r;
}

static int sec_agents(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, false, agent_item, NULL);
}

/* ---- allow ---- */

static bool host_ok(const char *h)
{
	size_t n;

	if (!strncmp(h, "*.", 2))
		h += 2;
	n = strlen(h);
	if (!n || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '.')
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
			return false;
	return true;
}

static int allow_host(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_allow *a = arg;
	int r = pctx_dup_scalar(c, n, where, &a->host);

	if (r)
		return r;
	for (char *s = a->host; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	if (!host_ok(a->host))
		return pctx_err(c, n, "%s: '%s' is not a host name or *.suffix", where, a->host);
	return 0;
}

/* "ADDR/PREFIX" or "ADDR" into a; host bits are cleared */
static bool parse_cidr(const char *s, struct policy_allow *a)
{
	char addr[64], *end;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long pfx, max;

	if (n >= sizeof(addr))
		return false;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, a->net) == 1)
		a->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, addr, a->net) == 1)
		a->family = AF_INET6, max = 128;
	else
		return false;
	pfx = max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return false;
		pfx = strtoul(slash + 1, &end, 10);
		if (*end || pfx > max)
			return false;
	}
	a->prefix = (uint8_t)pfx;
	for (unsigned long bit = pfx; bit < max; bit++)
		a->net[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return true;
}

static int allow_cidr(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	if (!parse_cidr(s, arg))
		return pctx_err(c, n, "%s: '%s' is not an IPv4 or IPv6 network (ADDR/PREFIX)", where, s);
	return 0;
}

static int allow_port(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_allow *a = arg;
	uint16_t *slot;
	const char *s = NULL;
	char *end;
	long v;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	v = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
	if (!v || *end || v > 65535 || strlen(s) > 5)
		return pctx_err(c, n, "%s: %s is not a port (1-65535)", where, s);
	slot = pctx_grow(&a->ports, &a->n_ports, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = (uint16_t)v;
	return 0;
}

static int allow_ports(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, true, allow_port, arg);
}

static int allow_method(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", NULL,
	};
	struct policy_allow *a = arg;
	char up[16];
	const char *s = NULL;
	size_t i;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	for (i = 0; s[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)s[i]);
	up[i] = '\0';
	for (i = 0; methods[i] && (strcmp(methods[i], up) || strlen(s) != strlen(up)); i++)
		;
	if (!methods[i])
		return pctx_err(c, n, "%s: '%s' is not an HTTP method", where, s);
	return pctx_add_str(&a->methods, &a->n_methods, up);
}

static int allow_methods(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, true, allow_method, arg);
}

static int allow_path(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_allow *a = arg;
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	if (*s != '/' && *s != '*')
		return pctx_err(c, n, "%s: '%s' is not a path glob (starts with / or *)", where, s);
	return pctx_add_str(&a->paths, &a->n_paths, s);
}

static int allow_paths(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, true, allow_path, arg);
}

/* one allow entry, or (arg not NULL) one deny entry: the same keys */
static int allow_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "host", allow_host },       { "cidr", allow_cidr },
		{ "ports", allow_ports },     { "methods", allow_methods },
		{ "paths", allow_paths },     { NULL, NULL },
	};
	struct policy *p = c->p;
	struct policy_allow *a = arg ? pctx_grow(&p->deny, &p->n_deny, sizeof(*a)) :
				       pctx_grow(&p->allow, &p->n_allow, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->line = (int)n->start_mark.line + 1;
	if ((r = pctx_each_key(c, n, where, keys, a)))
		return r;
	if (a->host && a->family)
		return pctx_err(c, n, "%s: host and cidr exclude each other", where);
	if (!a->host && !a->family)
		return pctx_err(c, n, "%s: needs a host or a cidr", where);
	return 0;
}

static int sec_allow(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, false, allow_item, NULL);
}

static int sec_deny(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, false, allow_item, c);
}

/* ---- alerts ---- */

static int hook_url(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_webhook *h = arg;
	const char *rest;
	int r = pctx_url(c, n, where, "https://", "http://", &h->url, &rest);

	if (r == 1)
		return pctx_err(c, n, "%s: '%s' is not an http:// or https:// URL", where, h->url);
	return r;
}

static int hook_secret(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_dup_scalar(c, n, where, &((struct policy_webhook *)arg)->secret_file);
}

static int hook_format(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	if (strcmp(s, "json") && strcmp(s, "slack"))
		return pctx_err(c, n, "%s: '%s' is not a format (json or slack)", where, s);
	((struct policy_webhook *)arg)->slack = !strcmp(s, "slack");
	return 0;
}

static int hook_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "url", hook_url }, { "secret_file", hook_secret },
		{ "format", hook_format }, { NULL, NULL },
	};
	struct policy *p = c->p;
	struct policy_webhook *h = pctx_grow(&p->webhooks, &p->n_webhooks, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->line = (int)n->start_mark.line + 1;
	if ((r = pctx_each_key(c, n, where, keys, h)))
		return r;
	return h->url ? 0 : pctx_err(c, n, "%s: missing url", where);
}

static int alerts_webhooks(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, false, hook_item, NULL);
}

static int alerts_window(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 1, 86400, false, &c->p->alert_window_s);
}

static int alerts_upload(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 1, 1ull << 40, true, &c->p->upload_threshold);
}

static int alerts_unseen(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 1, 1ull << 40, true, &c->p->unseen_tls_threshold);
}

static int alerts_budget(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 1, 100000, false, &c->p->alert_budget);
}

static int alerts_ttl(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_duration(c, n, where, &c->p->alert_ttl_s);
}


static int alerts_spool(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	free(c->p->spool_dir);
	c->p->spool_dir = NULL;
	return pctx_abs_path(c, n, where, &c->p->spool_dir);
}

static int record_dir(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	free(c->p->record.dir);
	c->p->record.dir = NULL;
	return pctx_abs_path(c, n, where, &c->p->record.dir);
}

static int record_rotate_bytes(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 64 << 10, 1ull << 40, true, &c->p->record.rotate_bytes);
}

static int record_rotate_age(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_duration(c, n, where, &c->p->record.rotate_age_s);
}

static int record_keep_age(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_duration(c, n, where, &c->p->record.keep_age_s);
}

static int record_keep_bytes(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 64 << 10, 1ull << 50, true, &c->p->record.keep_bytes);
}

static int sec_record(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "dir", record_dir }, { "rotate_bytes", record_rotate_bytes },
		{ "rotate_age", record_rotate_age }, { "keep_age", record_keep_age },
		{ "keep_bytes", record_keep_bytes }, { NULL, NULL },
	};

	return pctx_is_null(n) ? 0 : pctx_each_key(c, n, where, keys, NULL);
}

static int metrics_listen(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct sockaddr_storage sa;
	const char *s = NULL;
	socklen_t len;
	bool loopback;
	int r = pctx_scalar(c, n, where, &s);

	if (!r && metrics_parse_listen(s, &sa, &len, &loopback))
		r = pctx_err(c, n, "%s: '%s' is not ADDR:PORT or [ADDR6]:PORT", where, s);
	if (r)
		return r;
	free(c->p->metrics_listen);
	c->p->metrics_listen = strdup(s);
	return c->p->metrics_listen ? 0 : -ENOMEM;
}

static int sec_metrics(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = { { "listen", metrics_listen }, { NULL, NULL } };

	return pctx_is_null(n) ? 0 : pctx_each_key(c, n, where, keys, NULL);
}

static int alerts_intent(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (!r && strcmp(s, "true") && strcmp(s, "false"))
		r = pctx_err(c, n, "%s: '%s' is not true or false", where, s);
	if (!r)
		c->p->intent_off = !strcmp(s, "false");
	return r;
}

static int llm_host(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (!r && !host_ok(s))
		r = pctx_err(c, n, "%s: '%s' is not a host name or *.suffix", where, s);
	return r ? r : pctx_add_str(&c->p->llm_hosts, &c->p->n_llm_hosts, s);
}

static int sec_llm_hosts(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_each_item(c, n, where, false, llm_host, NULL);
}

static int sec_alerts(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "webhooks", alerts_webhooks }, { "window", alerts_window },
		{ "upload_threshold", alerts_upload }, { "spool_dir", alerts_spool },
		{ "unseen_tls_threshold", alerts_unseen }, { "intent", alerts_intent },
		{ "budget", alerts_budget }, { "ttl", alerts_ttl }, { NULL, NULL },
	};

	return pctx_is_null(n) ? 0 : pctx_each_key(c, n, where, keys, NULL);
}

/* ---- documents ---- */

static int yaml_error(struct pctx *c, const yaml_parser_t *ps)
{
	if (ps->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	snprintf(c->err, c->errlen, "%s:%zu: %s%s%s", c->name, ps->problem_mark.line + 1,
		 ps->problem ? ps->problem : "YAML error",
		 ps->context ? " " : "", ps->context ? ps->context : "");
	return -EINVAL;
}

/* load the one document of yaml into doc; a second document is an error */
static int load_doc(struct pctx *c, const char *yaml, size_t len, yaml_document_t *doc)
{
	yaml_parser_t ps;
	yaml_document_t extra;
	int r = 0;

	if (!yaml_parser_initialize(&ps))
		return -ENOMEM;
	yaml_parser_set_input_string(&ps, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&ps, doc)) {
		r = yaml_error(c, &ps);
		yaml_parser_delete(&ps);
		return r;
	}
	if (!yaml_parser_load(&ps, &extra)) {
		r = yaml_error(c, &ps);
	} else {
		if (yaml_document_get_root_node(&extra)) {
			r = pctx_err(c, yaml_document_get_root_node(&extra),
				 "only one YAML document is allowed");
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&ps);
	if (r)
		yaml_document_delete(doc);
	return r;
}

/* parse one YAML text (named name) into c->p */
static int parse_into(struct pctx *c, const char *yaml, size_t len)
{
	static const struct key_fn keys[] = {
		{ "agents", sec_agents }, { "allow", sec_allow }, { "deny", sec_deny },
		{ "alerts", sec_alerts }, { "record", sec_record }, { "llm_hosts", sec_llm_hosts },
		{ "metrics", sec_metrics }, { "export", policy_sec_export }, { "view", policy_sec_view },
		{ NULL, NULL },
	};
	yaml_document_t doc;
	yaml_node_t *root;
	int r;

	if (len > POLICY_MAX_BYTES) {
		snprintf(c->err, c->errlen, "%s: larger than %u bytes", c->name, POLICY_MAX_BYTES);
		return -EINVAL;
	}
	if ((r = load_doc(c, yaml, len, &doc)))
		return r;
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !pctx_is_null(root))
		r = root->type == YAML_MAPPING_NODE ? pctx_each_key(c, root, "", keys, NULL) :
			pctx_err(c, root, "the policy must be a mapping (agents, allow, alerts, record)");
	yaml_document_delete(&doc);
	return r;
}

/* ---- public ---- */

static void entries_free(struct policy_allow *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].host);
		free(e[i].ports);
		for (size_t j = 0; j < e[i].n_methods; j++)
			free(e[i].methods[j]);
		free(e[i].methods);
		for (size_t j = 0; j < e[i].n_paths; j++)
			free(e[i].paths[j]);
		free(e[i].paths);
	}
	free(e);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	agents_free(p->agents);
	entries_free(p->allow, p->n_allow);
	entries_free(p->deny, p->n_deny);
	for (size_t i = 0; i < p->n_webhooks; i++) {
		free(p->webhooks[i].url);
		free(p->webhooks[i].secret_file);
	}
	free(p->webhooks);
	free(p->spool_dir);
	for (size_t i = 0; i < p->n_llm_hosts; i++)
		free(p->llm_hosts[i]);
	free(p->llm_hosts);
	free(p->record.dir);
	free(p->metrics_listen);
	policy_nats_free(p->nats);
	policy_view_free(&p->view);
	free(p->source);
	free(p);
}

int policy_load_buffer(const char *name, const char *yaml, size_t len,
		       struct policy **out, char *err, size_t errlen)
{
	char dummy[1];
	struct pctx c = { .name = "<default>", .err = errlen ? err : dummy,
			  .errlen = errlen ? errlen : sizeof(dummy) };
	struct policy *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	c.err[0] = '\0';
	c.p = p;
	*out = NULL;
	if (!p || !(p->agents = agents_new_default()))
		goto fail;
	if ((r = parse_into(&c, policy_default_yaml, strlen(policy_default_yaml))))
		goto fail;
	if (yaml) {
		c.name = name ? name : "<policy>";
		if ((r = parse_into(&c, yaml, len)))
			goto fail;
	}
	r = -ENOMEM;
	if (!(p->source = strdup(yaml ? c.name : "<default>")))
		goto fail;
	*out = p;
	return 0;
fail:
	if (r == -ENOMEM && !c.err[0])
		snprintf(c.err, c.errlen, "%s: out of memory", c.name);
	policy_free(p);
	return r;
}

/* the whole file at path into a new buffer; -errno */
static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = POLICY_MAX_BYTES + 2;
	int r = 0;

	if (!f)
		return -errno;
	*buf = malloc(cap);
	if (!*buf) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(*buf, 1, cap - 1, f);
	if (ferror(f))
		r = -EIO;
	fclose(f);
	if (r) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return policy_load_buffer(NULL, NULL, 0, out, err, errlen);
	*out = NULL;
	r = read_all(path, &buf, &len);
	if (r) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
		return r == -ENOENT ? -ENOENT : r;
	}
	r = policy_load_buffer(path, buf, len, out, err, errlen);
	free(buf);
	return r;
}
