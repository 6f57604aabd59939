/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pctx.h - one parse of a policy file (policy.c): its libyaml document, the
 * policy being built and where an error goes; the node helpers that read
 * scalars, numbers, durations, paths, lists and mappings and report each
 * problem as "FILE:LINE: where: problem" (where is a path such as
 * allow[2].ports, 0-based indexes; empty at the top level).
 *
 * Library code: no printing.  Every helper returns 0, -EINVAL with the
 * error written (c->err), or -ENOMEM.
 */
#ifndef AGENTMON_PCTX_H
#define AGENTMON_PCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct policy;

struct pctx {
	const char *name;          /* the file, as errors name it */
	yaml_document_t *doc;
	struct policy *p;          /* being built */
	char *err;
	size_t errlen;
};

typedef int (*item_fn)(struct pctx *c, yaml_node_t *n, const char *where, void *arg);

/* a mapping's known keys: one handler each (ends with a NULL key) */
struct key_fn {
	const char *key;
	item_fn fn;
};

/* "FILE:LINE: " and the message into c->err; -EINVAL */
int pctx_err(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
yaml_node_t *pctx_node(struct pctx *c, int i);
/* a plain scalar "", "~" or "null" */
bool pctx_is_null(const yaml_node_t *n);
/* the text of a scalar node (no NUL inside) */
int pctx_scalar(struct pctx *c, yaml_node_t *n, const char *where, const char **out);
/* the same, a copy into *out (its old value freed) */
int pctx_dup_scalar(struct pctx *c, yaml_node_t *n, const char *where, char **out);
/* fn for each item of a sequence (or for a single scalar when scalar_ok); null: none */
int pctx_each_item(struct pctx *c, yaml_node_t *n, const char *where, bool scalar_ok,
		   item_fn fn, void *arg);
/* each key's handler; an unknown or duplicate key is an error */
int pctx_each_key(struct pctx *c, yaml_node_t *n, const char *where,
		  const struct key_fn *keys, void *arg);
/* a number in [min, max] (with k/m/g when units) */
int pctx_number(struct pctx *c, yaml_node_t *n, const char *where, uint64_t min, uint64_t max,
		bool units, uint64_t *out);
/* an absolute path into *out */
int pctx_abs_path(struct pctx *c, yaml_node_t *n, const char *where, char **out);
/*
 * a URL into *out (its old value freed) and *rest, what follows its scheme:
 * 0; 1 when it is not scheme a or b followed by a host (empty, or a '/'
 * first): the caller says what it wants; or an error, said (-errno)
 */
int pctx_url(struct pctx *c, yaml_node_t *n, const char *where, const char *a, const char *b,
	     char **out, const char **rest);
/* a duration ("90s", "10m", "1h", "7d"; plain seconds) from 1 s to 3650 d, in seconds */
int pctx_duration(struct pctx *c, yaml_node_t *n, const char *where, uint64_t *out_s);

/* one zeroed element appended to *vp (n elements of size sz): it, or NULL on ENOMEM */
void *pctx_grow(void *vp, size_t *n, size_t sz);
/* a copy of s appended to *v; 0 or -ENOMEM */
int pctx_add_str(char ***v, size_t *n, const char *s);

/* the policy's export: section into c->p->nats (policy_export.c) */
int policy_sec_export(struct pctx *c, yaml_node_t *n, const char *where, void *arg);
/* the policy's view: section into c->p->view (policy_view.c) */
int policy_sec_view(struct pctx *c, yaml_node_t *n, const char *where, void *arg);

#endif
