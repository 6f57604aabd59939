// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_cover.c - the books of the per-process TLS uprobes (see tls_cover.h):
 * covered processes, the attaches covering them, the fd budget.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls_cover.h"

void tls_cover_init(struct tls_cover *c, const struct tls_cover_ops *ops, void *arg, int fd_max)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->arg = arg;
	c->st.fd_max = fd_max;
}

void tls_cover_budget(struct tls_cover *c, int fd_max)
{
	c->st.fd_max = fd_max;
}

static void root_release(struct tls_cover *c, uint32_t r)
{
	struct tls_cover_root *root = &c->roots[r];

	c->st.fds -= root->fds.n;
	c->ops->detach(c->arg, &root->fds);
	memset(root, 0, sizeof(*root));
	c->st.roots--;
	c->st.released++;
}

/* a process's guard closed (none: nothing) */
static void guard_release(struct tls_cover *c, struct tls_cover_proc *p)
{
	if (!p->guard.fd)
		return;
	c->st.fds -= p->guard.n;
	c->ops->detach(c->arg, &p->guard);
	p->guard = (struct tls_cover_fds){ NULL, 0, 0 };
}

void tls_cover_free(struct tls_cover *c)
{
	for (size_t i = 0; i < c->n_procs; i++)
		guard_release(c, &c->procs[i]);
	for (size_t r = 0; r < c->n_roots; r++)
		if (c->roots[r].used)
			root_release(c, (uint32_t)r);
	free(c->roots);
	free(c->procs);
	c->roots = NULL;
	c->procs = NULL;
	c->n_roots = c->cap_roots = c->n_procs = c->cap_procs = 0;
	c->st.procs = 0;
}

/* f's fds moved to the end of fds (at *n); detach will close none */
static void fds_take(struct tls_cover *c, struct tls_cover_fds *f, int *fds, size_t *n)
{
	if (!f->n)
		return; /* no guard: no array */
	memcpy(fds + *n, f->fd, (size_t)f->n * sizeof(*fds));
	*n += (size_t)f->n;
	c->st.fds -= f->n;
	f->n = 0;
}

int *tls_cover_surrender(struct tls_cover *c, size_t *n)
{
	size_t total = (size_t)(c->st.fds > 0 ? c->st.fds : 0);
	int *fds = total ? malloc(total * sizeof(*fds)) : NULL;

	*n = 0;
	for (size_t r = 0; fds && r < c->n_roots; r++)
		if (c->roots[r].used)
			fds_take(c, &c->roots[r].fds, fds, n);
	for (size_t i = 0; fds && i < c->n_procs; i++)
		fds_take(c, &c->procs[i].guard, fds, n);
	tls_cover_free(c);
	return fds;
}

static struct tls_cover_proc *proc_find(const struct tls_cover *c, uint32_t tgid)
{
	for (size_t i = 0; i < c->n_procs; i++)
		if (c->procs[i].tgid == tgid)
			return &c->procs[i];
	return NULL;
}

bool tls_cover_covered(const struct tls_cover *c, uint32_t tgid)
{
	return proc_find(c, tgid) != NULL;
}

/* since when p is covered for sure (boot clock): its own attach's end, or
 * its guard's (none made: no guard op, the root's; the guard not made yet:
 * never, UINT64_MAX) */
static uint64_t tls_cover_since(const struct tls_cover *c, const struct tls_cover_proc *p)
{
	const struct tls_cover_root *root = &c->roots[p->root];

	if (p->own || !c->ops->guard)
		return root->done_ns;
	return p->guard.n ? p->guard_ns : UINT64_MAX;
}

bool tls_cover_unsure(struct tls_cover *c, uint32_t tgid, uint64_t ts_ns)
{
	const struct tls_cover_proc *p = proc_find(c, tgid);

	if (p && ts_ns >= tls_cover_since(c, p))
		return false;
	c->st.unsure++;
	return true;
}

/* tgid covered by root r */
static int proc_add(struct tls_cover *c, uint32_t tgid, uint32_t r)
{
	if (c->n_procs == c->cap_procs) {
		size_t cap = c->cap_procs ? 2 * c->cap_procs : 64;
		struct tls_cover_proc *p;

		if (cap > TLS_COVER_PROCS_MAX || !(p = realloc(c->procs, cap * sizeof(*p))))
			return -ENOMEM;
		c->procs = p;
		c->cap_procs = cap;
	}
	c->procs[c->n_procs++] = (struct tls_cover_proc){ .tgid = tgid, .root = r };
	c->roots[r].refs++;
	c->st.procs++;
	return 0;
}

/* a free root slot's index, or -ENOMEM */
static int root_slot(struct tls_cover *c)
{
	for (size_t r = 0; r < c->n_roots; r++)
		if (!c->roots[r].used)
			return (int)r;
	if (c->n_roots == c->cap_roots) {
		size_t cap = c->cap_roots ? 2 * c->cap_roots : 16;
		struct tls_cover_root *p = realloc(c->roots, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->roots = p;
		c->cap_roots = cap;
	}
	memset(&c->roots[c->n_roots], 0, sizeof(c->roots[0]));
	return (int)c->n_roots++;
}

static int failed(struct tls_cover *c, int err)
{
	c->st.failed++;
	c->st.last_err = err;
	return err;
}

/* a covering attach of its own for tgid */
static int attach(struct tls_cover *c, uint32_t tgid, uint64_t now_ns)
{
	struct tls_cover_fds fds = { NULL, 0, 0 };
	int r = root_slot(c), rc;

	if (r < 0)
		return failed(c, r);
	if (c->st.fds >= c->st.fd_max)
		return failed(c, -EMFILE);
	rc = c->ops->attach(c->arg, tgid, c->st.fd_max - c->st.fds, &fds);
	if (rc == -ESRCH)
		return 0; /* gone already: nothing to cover */
	if (rc)
		return failed(c, rc);
	c->roots[r] = (struct tls_cover_root){ .fds = fds, .done_ns = fds.ns ? fds.ns : now_ns,
					       .tgid = tgid, .used = true };
	c->st.fds += fds.n;
	c->st.roots++;
	c->st.attached++;
	if ((rc = proc_add(c, tgid, (uint32_t)r))) {
		root_release(c, (uint32_t)r);
		return failed(c, rc);
	}
	c->procs[c->n_procs - 1].own = true;
	return 0;
}

int tls_cover_root(struct tls_cover *c, uint32_t tgid, uint64_t now_ns)
{
	return proc_find(c, tgid) ? 0 : attach(c, tgid, now_ns);
}

/* the guard of procs[i] (covered by inheritance), when ops make one */
static int guard(struct tls_cover *c, size_t i, uint64_t now_ns)
{
	struct tls_cover_fds fds = { NULL, 0, 0 };
	struct tls_cover_proc *p = &c->procs[i];
	int rc;

	if (!c->ops->guard)
		return 0;
	if (c->st.fds >= c->st.fd_max)
		return failed(c, -EMFILE);
	rc = c->ops->guard(c->arg, p->tgid, c->st.fd_max - c->st.fds, &fds);
	if (rc == -ESRCH)
		return 0; /* gone already: its exit releases the books */
	if (rc)
		return failed(c, rc);
	c->st.guarded++;
	c->st.full_guards++;
	p->guard = fds;
	p->guard_ns = fds.ns ? fds.ns : now_ns;
	c->st.fds += fds.n;
	return 0;
}

static uint32_t proc_del(struct tls_cover *c, size_t i);

int tls_cover_fork(struct tls_cover *c, uint32_t ppid, uint32_t tgid, uint64_t fork_ns,
		   uint64_t now_ns)
{
	struct tls_cover_proc *p = proc_find(c, tgid);
	int rc;

	/* a new process: one of this tgid in the books is gone (its exit was
	 * lost) and its attach or guard targets that one, not this one */
	if (p)
		proc_del(c, (size_t)(p - c->procs));
	p = proc_find(c, ppid);
	if (!p || fork_ns <= c->roots[p->root].done_ns + TLS_COVER_EARLY_NS)
		return attach(c, tgid, now_ns);
	if ((rc = proc_add(c, tgid, p->root)))
		return failed(c, rc);
	c->st.inherited++;
	return guard(c, c->n_procs - 1, now_ns);
}

/* forget procs[i]; the process of the attach released, or 0 */
static uint32_t proc_del(struct tls_cover *c, size_t i)
{
	uint32_t r = c->procs[i].root, root = c->roots[r].tgid;

	guard_release(c, &c->procs[i]);
	c->procs[i] = c->procs[--c->n_procs];
	c->st.procs--;
	if (--c->roots[r].refs)
		return 0;
	root_release(c, r);
	return root;
}

uint32_t tls_cover_exit(struct tls_cover *c, uint32_t tgid)
{
	struct tls_cover_proc *p = proc_find(c, tgid);

	return p ? proc_del(c, (size_t)(p - c->procs)) : 0;
}

size_t tls_cover_sweep(struct tls_cover *c, bool (*alive)(void *arg, uint32_t tgid), void *arg)
{
	size_t n = 0;

	for (size_t i = c->n_procs; i-- > 0;) {
		if (!alive(arg, c->procs[i].tgid)) {
			proc_del(c, i);
			n++;
		}
	}
	return n;
}

void tls_cover_stats(const struct tls_cover *c, struct tls_cover_stats *st)
{
	*st = c->st;
}
