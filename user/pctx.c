// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* pctx.c - a policy parse's errors and YAML node helpers; see pctx.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pctx.h"

int pctx_err(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int at;

	at = snprintf(c->err, c->errlen, "%s:%zu: ", c->name, n ? n->start_mark.line + 1 : 1);
	if (at < 0 || (size_t)at >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + at, c->errlen - (size_t)at, fmt, ap);
	va_end(ap);
	/* at the top level "where" is empty: drop its ": " */
	if (!strncmp(c->err + at, ": ", 2))
		memmove(c->err + at, c->err + at + 2, strlen(c->err + at + 2) + 1);
	return -EINVAL;
}

yaml_node_t *pctx_node(struct pctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

bool pctx_is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* the text of a scalar node, or an error naming where */
int pctx_scalar(struct pctx *c, yaml_node_t *n, const char *where, const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE || pctx_is_null(n))
		return pctx_err(c, n, "%s: expected a string", where);
	*out = (const char *)n->data.scalar.value;
	if (strlen(*out) != n->data.scalar.length)
		return pctx_err(c, n, "%s: string contains a NUL byte", where);
	return 0;
}

int pctx_dup_scalar(struct pctx *c, yaml_node_t *n, const char *where, char **out)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* call fn for each item of a sequence (or for a single scalar when allowed) */
int pctx_each_item(struct pctx *c, yaml_node_t *n, const char *where, bool scalar_ok,
		     item_fn fn, void *arg)
{
	char w[256];
	int r;

	if (pctx_is_null(n))
		return 0;
	if (scalar_ok && n->type == YAML_SCALAR_NODE)
		return fn(c, n, where, arg);
	if (n->type != YAML_SEQUENCE_NODE)
		return pctx_err(c, n, "%s: expected a list", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		snprintf(w, sizeof(w), "%s[%td]", where, it - n->data.sequence.items.start);
		r = fn(c, pctx_node(c, *it), w, arg);
		if (r)
			return r;
	}
	return 0;
}

int pctx_each_key(struct pctx *c, yaml_node_t *n, const char *where,
		    const struct key_fn *keys, void *arg)
{
	char w[256];
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return pctx_err(c, n, "%s: expected a mapping", where);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = pctx_node(c, pr->key);
		const struct key_fn *kf;
		const char *ks = NULL;

		if ((r = pctx_scalar(c, k, where, &ks)))
			return r;
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++)
			if (!strcmp((const char *)pctx_node(c, q->key)->data.scalar.value, ks))
				return pctx_err(c, k, "%s: duplicate key '%s'", where, ks);
		for (kf = keys; kf->key && strcmp(kf->key, ks); kf++)
			;
		if (!kf->key)
			return pctx_err(c, k, "%s: unknown key '%s'", where, ks);
		snprintf(w, sizeof(w), "%s%s%s", where, *where ? "." : "", ks);
		if ((r = kf->fn(c, pctx_node(c, pr->value), w, arg)))
			return r;
	}
	return 0;
}

/* append one zeroed element to *v (n elements of size sz); NULL on ENOMEM */
void *pctx_grow(void *vp, size_t *n, size_t sz)
{
	void **v = vp;
	char *p = realloc(*v, (*n + 1) * sz);

	if (!p)
		return NULL;
	*v = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

int pctx_add_str(char ***v, size_t *n, const char *s)
{
	char **slot = pctx_grow(v, n, sizeof(char *));

	if (!slot)
		return -ENOMEM;
	*slot = strdup(s);
	return *slot ? 0 : -ENOMEM;
}

/* a number in [min, max] (with k/m/g when units) into *out */
int pctx_number(struct pctx *c, yaml_node_t *n, const char *where, uint64_t min, uint64_t max,
		  bool units, uint64_t *out)
{
	const char *s = NULL;
	int r = pctx_scalar(c, n, where, &s);

	if (!r && am_parse_u64(s, min, max, units, out))
		r = pctx_err(c, n, "%s: '%s' is not a number in %llu-%llu%s", where, s,
			 (unsigned long long)min, (unsigned long long)max, units ? " (k, m, g)" : "");
	return r;
}

/* an absolute path into *out */
int pctx_abs_path(struct pctx *c, yaml_node_t *n, const char *where, char **out)
{
	int r = pctx_dup_scalar(c, n, where, out);

	if (!r && (*out)[0] != '/')
		r = pctx_err(c, n, "%s: '%s' is not an absolute path", where, *out);
	return r;
}

int pctx_url(struct pctx *c, yaml_node_t *n, const char *where, const char *a, const char *b,
	     char **out, const char **rest)
{
	int r = pctx_dup_scalar(c, n, where, out);

	if (r)
		return r;
	*rest = !strncmp(*out, a, strlen(a)) ? *out + strlen(a) :
		!strncmp(*out, b, strlen(b)) ? *out + strlen(b) : NULL;
	return !*rest || !**rest || **rest == '/';
}

/* a duration ("90s", "10m", "1h", "7d"; plain seconds) in [1 s, 10 years] */
int pctx_duration(struct pctx *c, yaml_node_t *n, const char *where, uint64_t *out_s)
{
	const char *s = NULL;
	uint64_t ns;
	int r = pctx_scalar(c, n, where, &s);

	if (!r && (am_parse_duration(s, &ns) || ns < 1000000000ull ||
		   ns > 3650ull * 86400 * 1000000000ull))
		r = pctx_err(c, n, "%s: '%s' is not a duration from 1s to 3650d (s, m, h, d)", where, s);
	if (!r)
		*out_s = ns / 1000000000ull;
	return r;
}

