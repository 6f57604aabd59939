// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * policy_export.c - the policy's export: section (SPEC.md "Fleet"):
 *
 *   export:
 *     nats:
 *       url: tls://nats.corp.example:4222     # or nats://
 *       creds_file: /etc/agentmon/nats.creds  # or user + password_file
 *       tls: {ca_file: ..., cert_file: ..., key_file: ...}
 *       subject: agentmon                     # <subject>.<host>.<type>
 *       what: [alerts]                        # or [alerts, events]
 *       spool_dir: /var/lib/agentmon/export   # optional
 *       spool_bytes: 256m                     # optional
 *
 * Every problem is "FILE:LINE: export.nats.KEY: problem" (pctx.h); a
 * later file's export: replaces the earlier one whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pctx.h"
#include "policy.h"


void policy_nats_free(struct policy_nats *n)
{
	if (!n)
		return;
	free(n->url);
	free(n->creds_file);
	free(n->user);
	free(n->password_file);
	free(n->ca_file);
	free(n->cert_file);
	free(n->key_file);
	free(n->subject);
	free(n->spool_dir);
	free(n);
}

/* two optional strings equal (both NULL, or the same text) */
static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool policy_nats_same(const struct policy_nats *a, const struct policy_nats *b)
{
	if (!a || !b)
		return a == b;
	return same_str(a->url, b->url) && same_str(a->creds_file, b->creds_file) &&
	       same_str(a->user, b->user) && same_str(a->password_file, b->password_file) &&
	       same_str(a->ca_file, b->ca_file) && same_str(a->cert_file, b->cert_file) &&
	       same_str(a->key_file, b->key_file) && same_str(a->subject, b->subject) &&
	       a->events == b->events && same_str(a->spool_dir, b->spool_dir) &&
	       a->spool_bytes == b->spool_bytes;
}

static int nats_url(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_nats *x = arg;
	const char *rest;
	int r = pctx_url(c, n, where, "nats://", "tls://", &x->url, &rest);

	if (r == 1 || (!r && (*rest == ':' || strpbrk(rest, " ,@"))))
		return pctx_err(c, n, "%s: '%s' is not a nats://HOST:PORT or tls://HOST:PORT URL "
				"(credentials go in creds_file or user + password_file)", where, x->url);
	return r;
}

static int nats_creds(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->creds_file);
}

static int nats_user(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_nats *x = arg;
	int r = pctx_dup_scalar(c, n, where, &x->user);

	if (!r && (!x->user[0] || strpbrk(x->user, " \t\r\n")))
		r = pctx_err(c, n, "%s: a user name is one word", where);
	return r;
}

static int nats_password(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->password_file);
}

static int tls_ca(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->ca_file);
}

static int tls_cert(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->cert_file);
}

static int tls_key(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->key_file);
}

static int nats_tls(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "ca_file", tls_ca }, { "cert_file", tls_cert }, { "key_file", tls_key },
		{ NULL, NULL },
	};
	struct policy_nats *x = arg;
	int r = pctx_each_key(c, n, where, keys, arg);

	if (!r && !x->cert_file != !x->key_file)
		r = pctx_err(c, n, "%s: cert_file and key_file go together", where);
	return r;
}

/* a subject prefix: tokens of letters, digits, '-' and '_' joined by '.' */
static bool subject_ok(const char *s)
{
	size_t len = strlen(s);
	bool tok = false;

	if (!len || len > POLICY_SUBJECT_MAX)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!tok)
				return false;
			tok = false;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '-' || *s == '_') {
			tok = true;
		} else {
			return false;
		}
	}
	return tok;
}

static int nats_subject(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_nats *x = arg;
	int r = pctx_dup_scalar(c, n, where, &x->subject);

	if (!r && !subject_ok(x->subject))
		r = pctx_err(c, n, "%s: '%s' is not a subject prefix (tokens of letters, digits, "
			     "'-' and '_' joined by '.', no wildcards, at most %d bytes)", where,
			     x->subject, POLICY_SUBJECT_MAX);
	return r;
}

/* one item of what: alerts or events; arg counts alerts */
static int what_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_nats *x = c->p->nats;
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	if (!strcmp(s, "alerts"))
		(*(int *)arg)++;
	else if (!strcmp(s, "events"))
		x->events = true;
	else
		return pctx_err(c, n, "%s: '%s' is neither alerts nor events", where, s);
	return 0;
}

static int nats_what(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	int alerts = 0;
	int r = pctx_each_item(c, n, where, true, what_item, &alerts);

	if (!r && !alerts)
		r = pctx_err(c, n, "%s: alerts are always exported: [alerts] or [alerts, events]",
			     where);
	return r;
}

static int nats_spool_dir(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_abs_path(c, n, where, &((struct policy_nats *)arg)->spool_dir);
}

static int nats_spool_bytes(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	return pctx_number(c, n, where, 1 << 20, 1ull << 40, true,
			   &((struct policy_nats *)arg)->spool_bytes);
}

/* what the keys left to check together: url, one way to log in */
static int nats_whole(struct pctx *c, yaml_node_t *n, const char *where,
		      const struct policy_nats *x)
{
	if (!x->url)
		return pctx_err(c, n, "%s: missing url", where);
	if (x->creds_file && (x->user || x->password_file))
		return pctx_err(c, n, "%s: creds_file or user + password_file, not both", where);
	if (!x->user != !x->password_file)
		return pctx_err(c, n, "%s: user and password_file go together", where);
	if ((x->ca_file || x->cert_file) && strncmp(x->url, "tls://", 6))
		return pctx_err(c, n, "%s: tls: files need a tls:// url", where);
	return 0;
}

static int export_nats(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "url", nats_url }, { "creds_file", nats_creds }, { "user", nats_user },
		{ "password_file", nats_password }, { "tls", nats_tls },
		{ "subject", nats_subject }, { "what", nats_what },
		{ "spool_dir", nats_spool_dir }, { "spool_bytes", nats_spool_bytes },
		{ NULL, NULL },
	};
	struct policy_nats *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	policy_nats_free(c->p->nats);
	c->p->nats = x;
	x->line = (int)n->start_mark.line + 1;
	if (n->type != YAML_MAPPING_NODE)
		return pctx_err(c, n, "%s: a mapping (url, creds_file, tls, subject, what)", where);
	if ((r = pctx_each_key(c, n, where, keys, x)) || (r = nats_whole(c, n, where, x)))
		return r;
	if (!x->subject && !(x->subject = strdup("agentmon")))
		return -ENOMEM;
	return 0;
}

int policy_sec_export(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = { { "nats", export_nats }, { NULL, NULL } };

	if (pctx_is_null(n)) {
		policy_nats_free(c->p->nats);
		c->p->nats = NULL;
		return 0;
	}
	return pctx_each_key(c, n, where, keys, NULL);
}
