// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * policy_view.c - the policy's view: key (see policy_view.h): its parse
 * into c->p->view, copies for the views that use it, and the match of a
 * path.  Errors are "FILE:LINE: view.show[I]: problem" (pctx.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pctx.h"
#include "policy.h"
#include "policy_view.h"

/* ---- memory ---- */

static void globs_free(struct policy_view_glob *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].pat);
	free(g);
}

void policy_view_free(struct policy_view *pv)
{
	globs_free(pv->show, pv->n_show);
	globs_free(pv->hide, pv->n_hide);
	memset(pv, 0, sizeof(*pv));
}

/* *dst := a copy of src's n globs; -ENOMEM (*dst NULL) */
static int globs_copy(struct policy_view_glob **dst, const struct policy_view_glob *src, size_t n)
{
	*dst = n ? calloc(n, sizeof(**dst)) : NULL;
	if (n && !*dst)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].home = src[i].home;
		if (!((*dst)[i].pat = strdup(src[i].pat))) {
			globs_free(*dst, i);
			*dst = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

int policy_view_copy(struct policy_view *dst, const struct policy_view *src)
{
	policy_view_free(dst);
	if (!src)
		return 0;
	if (globs_copy(&dst->show, src->show, src->n_show) ||
	    globs_copy(&dst->hide, src->hide, src->n_hide)) {
		policy_view_free(dst);
		return -ENOMEM;
	}
	dst->n_show = src->n_show;
	dst->n_hide = src->n_hide;
	return 0;
}

/* ---- match ---- */

size_t policy_view_normalize(const char *path, char *out, size_t len)
{
	size_t o = 0, base = path[0] == '/';
	const char *p = path;

	if (!len)
		return 0;
	if (base && len > 1)
		out[o++] = '/';
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > base && out[o - 1] != '/')
				o--; /* the last component off, */
			if (o > base)
				o--; /* and the '/' before it */
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (o > base && o < len - 1)
				out[o++] = '/';
			n = n < len - 1 - o ? n : len - 1 - o;
			memcpy(out + o, p, n);
			o += n;
		}
		p = e;
	}
	out[o] = '\0';
	return o;
}

/* g matches path (normalized) */
static bool glob_match(const struct policy_view_glob *g, const char *path)
{
	const char *sub = path;

	if (g->home) { /* what follows /root or /home/USER */
		if (!strncmp(path, "/root/", 6))
			sub = path + 5;
		else if (strncmp(path, "/home/", 6) || path[6] == '/' || !(sub = strchr(path + 6, '/')))
			return false;
	}
	return fnmatch(g->pat, sub, 0) == 0;
}

static bool any_match(const struct policy_view_glob *g, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (glob_match(&g[i], path))
			return true;
	return false;
}

enum policy_view_verdict policy_view_match(const struct policy_view *pv, const char *path)
{
	char norm[PATH_MAX];

	if (!pv || !path || (!pv->n_show && !pv->n_hide))
		return POLICY_VIEW_NONE;
	policy_view_normalize(path, norm, sizeof(norm));
	if (any_match(pv->show, pv->n_show, norm))
		return POLICY_VIEW_SHOW;
	return any_match(pv->hide, pv->n_hide, norm) ? POLICY_VIEW_HIDE : POLICY_VIEW_NONE;
}

/* ---- parse ---- */

/* one list of globs being parsed */
struct glob_list {
	struct policy_view_glob **v;
	size_t *n;
};

static int view_glob(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct glob_list *l = arg;
	struct policy_view *pv = &c->p->view;
	struct policy_view_glob *g;
	const char *s = NULL;
	size_t len;
	int r = pctx_scalar(c, n, where, &s);

	if (r)
		return r;
	len = strlen(s);
	if (pv->n_show + pv->n_hide >= POLICY_VIEW_MAX)
		return pctx_err(c, n, "%s: more than %d globs in view", where, POLICY_VIEW_MAX);
	if (!len || len > POLICY_VIEW_GLOB_MAX)
		return pctx_err(c, n, "%s: a glob is 1-%d bytes", where, POLICY_VIEW_GLOB_MAX);
	if (s[0] != '/' && s[0] != '*' && strncmp(s, "~/", 2))
		return pctx_err(c, n, "%s: '%s' does not start with /, ~/ or *", where, s);
	if (!(g = pctx_grow(l->v, l->n, sizeof(**l->v))))
		return -ENOMEM;
	g->home = s[0] == '~';
	if (!(g->pat = strdup(g->home ? s + 1 : s))) {
		(*l->n)--; /* the empty element: not kept */
		return -ENOMEM;
	}
	return 0;
}

static int view_show(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct glob_list l = { &c->p->view.show, &c->p->view.n_show };

	return pctx_each_item(c, n, where, true, view_glob, &l);
}

static int view_hide(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct glob_list l = { &c->p->view.hide, &c->p->view.n_hide };

	return pctx_each_item(c, n, where, true, view_glob, &l);
}

int policy_sec_view(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	static const struct key_fn keys[] = {
		{ "show", view_show }, { "hide", view_hide }, { NULL, NULL },
	};

	return pctx_is_null(n) ? 0 : pctx_each_key(c, n, where, keys, NULL);
}
