// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* enrich.c - tag and enrich stage; see enrich.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "enrich.h"
#include "redact.h"

void enrich_init(struct enrich *e, struct tagger *t, int64_t boot_to_real_ns,
		 enrich_emit_fn emit, void *arg)
{
	memset(e, 0, sizeof(*e));
	e->tagger = t;
	e->cache = t->cache;
	e->boot_to_real_ns = boot_to_real_ns;
	e->emit = emit;
	e->emit_arg = arg;
}

/* push one component of len n onto out (at *o), folding "." and ".." */
static void push_component(char *out, size_t *o, size_t len, const char *c, size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.'))
		return;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		while (*o > 1 && out[*o - 1] != '/')
			(*o)--;
		if (*o > 1)
			(*o)--; /* the slash, unless it is the root */
		return;
	}
	if (*o + 1 + n >= len)
		return; /* too long: keep what fits */
	if (*o > 1)
		out[(*o)++] = '/';
	memcpy(out + *o, c, n);
	*o += n;
}

static void push_path(char *out, size_t *o, size_t len, const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");

		push_component(out, o, len, p, n);
		p += n;
		while (*p == '/')
			p++;
	}
}

const char *enrich_abspath(const char *base, const char *path, char *out, size_t len)
{
	size_t o = 1;

	if (!path || path[0] == '/' || !base || base[0] != '/' || len < 2)
		return path;
	out[0] = '/';
	push_path(out, &o, len, base);
	push_path(out, &o, len, path);
	out[o] = '\0';
	return out;
}

/* what every event carries, from the cache; loads /proc for a new pid */
static struct proc_info *fill_common(struct enrich *e, struct event *ev)
{
	struct proc_info *pi = proc_cache_get(e->cache, ev->pid);

	if (!pi && ev->type != AM_EV_EXIT) {
		if (ev->agent_id != AM_AGENT_NONE && (pi = proc_cache_upsert(e->cache, ev->pid))) {
			pi->agent_id = ev->agent_id; /* tagged when it is read: it is recorded */
			pi->agent_pid = ev->agent_pid;
		}
		proc_cache_load(e->cache, e->tagger->procfs, ev->pid);
		pi = proc_cache_get(e->cache, ev->pid);
	}
	if (!pi)
		pi = proc_cache_upsert(e->cache, ev->pid);
	if (!pi)
		return NULL;
	if (ev->agent_id == AM_AGENT_NONE && pi->agent_id != AM_AGENT_NONE) {
		ev->agent_id = pi->agent_id; /* tagged by userspace after the record */
		ev->agent_pid = pi->agent_pid;
	} else if (ev->agent_id != AM_AGENT_NONE) {
		pi->agent_id = ev->agent_id;
		pi->agent_pid = ev->agent_pid;
	}
	if (ev->ppid)
		pi->ppid = ev->ppid;
	else
		ev->ppid = pi->ppid;
	if (ev->comm[0])
		memcpy(pi->comm, ev->comm, sizeof(pi->comm));
	else
		memcpy(ev->comm, pi->comm, sizeof(ev->comm));
	pi->uid = ev->uid;
	ev->exe = pi->exe;
	ev->agent = agents_name(e->tagger->agents, ev->agent_id);
	return pi;
}

/* fork: the child's entry, inherited from its parent; not emitted */
static void on_fork(struct enrich *e, struct event *ev)
{
	struct proc_info *parent = proc_cache_get(e->cache, ev->ppid);
	struct proc_info *child = proc_cache_upsert(e->cache, ev->pid);

	if (!child)
		return;
	child->ppid = ev->ppid;
	child->uid = ev->uid;
	child->agent_id = ev->agent_id;
	child->agent_pid = ev->agent_pid;
	memcpy(child->comm, ev->comm, sizeof(child->comm));
	if (parent) {
		proc_info_set(&child->exe, parent->exe);
		proc_info_set(&child->cwd, parent->cwd);
	}
}

/*
 * candidate exec: an untagged process ran an interpreter or a file a path
 * pattern may match.  Tag it (and anything it forked already) when it is an
 * agent; return false when it is not, and the event is dropped.
 */
static bool decide_candidate(struct enrich *e, struct event *ev)
{
	const struct event_exec *x = &ev->exec;
	uint32_t id = tagger_match_exec(e->tagger, ev->pid, ev->exe ? ev->exe : x->filename,
					x->argv, x->argv_len, x->argc);

	if (id == AM_AGENT_NONE || ev->pid == e->tagger->self_pid)
		return false;
	ev->agent_id = id;
	ev->agent_pid = ev->pid;
	tagger_tag_tree(e->tagger, ev->pid, ev->pid, id);
	return true;
}

/* argv as it may be shown: secrets in arguments redacted (never longer) */
static void redact_argv(struct enrich *e, struct event_exec *x)
{
	size_t in = 0, out = 0;

	for (uint32_t i = 0; i < x->argc && in < x->argv_len; i++) {
		size_t len = strnlen(x->argv + in, x->argv_len - in);

		out += redact_arg(x->argv + in, len, e->argv + out, sizeof(e->argv) - out) + 1;
		in += len + 1;
		if (out >= sizeof(e->argv))
			break;
	}
	x->argv = e->argv;
	x->argv_len = out < sizeof(e->argv) ? out : sizeof(e->argv);
}

static bool on_exec(struct enrich *e, struct event *ev, struct proc_info *pi)
{
	const char *exe = enrich_abspath(ev->exec.cwd, ev->exec.filename, e->exe, sizeof(e->exe));

	ev->exe = exe;
	if ((ev->flags & AM_F_CANDIDATE) && ev->agent_id == AM_AGENT_NONE &&
	    !decide_candidate(e, ev))
		return false;
	if (pi) {
		proc_info_set(&pi->exe, exe);
		if (ev->exec.cwd)
			proc_info_set(&pi->cwd, ev->exec.cwd);
		pi->agent_id = ev->agent_id;
		pi->agent_pid = ev->agent_pid;
		ev->exe = pi->exe ? pi->exe : exe;
	}
	ev->agent = agents_name(e->tagger->agents, ev->agent_id);
	redact_argv(e, &ev->exec);
	return true;
}

static void on_file(struct enrich *e, struct event *ev, struct proc_info *pi)
{
	struct event_file *f = &ev->file;
	const char *cwd = pi ? pi->cwd : NULL;

	f->path = enrich_abspath(f->base ? f->base : cwd, f->path, e->path[0], sizeof(e->path[0]));
	if (f->new_path)
		f->new_path = enrich_abspath(f->new_base ? f->new_base : cwd, f->new_path,
					     e->path[1], sizeof(e->path[1]));
}

/* the name a destination address is known by (DNS, SNI, Host) at boot_ns */
static void name_dest(struct enrich *e, struct event_net *n, uint64_t boot_ns)
{
	if (e->names && !n->host && n->family)
		n->host = names_lookup(e->names, n->family, n->daddr, boot_ns / 1000000000ull);
}

static void finish(struct enrich *e, struct event *ev)
{
	if (ev->type == AM_EV_CONNECT || ev->type == AM_EV_SEND)
		name_dest(e, &ev->net, ev->ts_ns);
	ev->ts_ns += (uint64_t)e->boot_to_real_ns;
	e->emit(e->emit_arg, ev);
}

/* fill, then emit one event that needs no pairing */
static void complete(struct enrich *e, struct event *ev)
{
	struct proc_info *pi = fill_common(e, ev);

	switch (ev->type) {
	case AM_EV_EXEC:
		if (!on_exec(e, ev, pi))
			goto untagged;
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		on_file(e, ev, pi);
		break;
	default:
		break;
	}
	if (ev->agent_id == AM_AGENT_NONE)
		goto untagged;
	finish(e, ev);
	return;
untagged:
	/* never report an untagged process, nor keep it: it sends no exit */
	if (pi && pi->agent_id == AM_AGENT_NONE)
		proc_cache_remove(e->cache, ev->pid);
}

static struct enrich_pending *pending_slot(struct enrich *e, uint32_t tid, bool any_free)
{
	struct enrich_pending *free_slot = NULL;

	for (size_t i = 0; i < ENRICH_PENDING_MAX; i++) {
		struct enrich_pending *p = &e->pending[i];

		if (p->seen_ns && p->ev.tid == tid)
			return p;
		if (!p->seen_ns && !free_slot)
			free_slot = p;
	}
	return any_free ? free_slot : NULL;
}

static void pending_emit(struct enrich *e, struct enrich_pending *p)
{
	struct event ev = p->ev;

	p->seen_ns = 0;
	complete(e, &ev);
}

/* oldest pending slot, to make room */
static struct enrich_pending *pending_oldest(struct enrich *e)
{
	struct enrich_pending *old = &e->pending[0];

	for (size_t i = 1; i < ENRICH_PENDING_MAX; i++)
		if (e->pending[i].seen_ns < old->seen_ns)
			old = &e->pending[i];
	return old;
}

/* a cgroup hook's record: hold it until its syscall exit says how it went */
static void on_net_pre(struct enrich *e, struct event *ev)
{
	struct enrich_pending *p = pending_slot(e, ev->tid, true);

	if (p && p->seen_ns)
		pending_emit(e, p); /* the previous one never got a result */
	if (!p) {
		p = pending_oldest(e);
		pending_emit(e, p);
	}
	p->ev = *ev;
	p->seen_ns = ev->ts_ns ? ev->ts_ns : 1;
}

/* a syscall exit's record: merge the held destination with the result */
static void on_net_ret(struct enrich *e, struct event *ev)
{
	struct enrich_pending *p = pending_slot(e, ev->tid, false);

	if (p && p->ev.type == ev->type &&
	    event_same_dest(p->ev.net.family, p->ev.net.dport, p->ev.net.daddr, ev->net.family,
			    ev->net.dport, ev->net.daddr)) {
		ev->net.io_uring |= p->ev.net.io_uring;
		if (!ev->net.proto)
			ev->net.proto = p->ev.net.proto;
		p->seen_ns = 0;
	} else if (p) {
		pending_emit(e, p);
	}
	complete(e, ev);
}

void enrich_tick(struct enrich *e, uint64_t now_boot_ns)
{
	for (size_t i = 0; i < ENRICH_PENDING_MAX; i++) {
		struct enrich_pending *p = &e->pending[i];

		if (p->seen_ns && (now_boot_ns == UINT64_MAX ||
				   p->seen_ns + ENRICH_PENDING_NS <= now_boot_ns))
			pending_emit(e, p);
	}
}

/* flush what the exiting process still holds, emit the exit, forget it */
static void on_exit_event(struct enrich *e, struct event *ev)
{
	for (size_t i = 0; i < ENRICH_PENDING_MAX; i++)
		if (e->pending[i].seen_ns && e->pending[i].ev.pid == ev->pid)
			pending_emit(e, &e->pending[i]);
	complete(e, ev);
	proc_cache_remove(e->cache, ev->pid);
}

void enrich_event(struct enrich *e, struct event *ev)
{
	switch (ev->type) {
	case AM_EV_FORK:
		on_fork(e, ev);
		return;
	case AM_EV_EXIT:
		on_exit_event(e, ev);
		return;
	case AM_EV_CONNECT: case AM_EV_SEND: case AM_EV_ACCEPT:
		if (ev->net.pre) {
			on_net_pre(e, ev);
			return;
		}
		on_net_ret(e, ev);
		return;
	default:
		complete(e, ev);
	}
}
