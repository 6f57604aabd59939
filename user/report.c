// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* report.c - a session report's aggregation; see report.h.  Renderers:
 * report_html.c, report_text.c (text and JSON). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "escape.h"
#include "redact.h"
#include "report.h"
#include "rules.h"
#include "table.h"

/* index entries: every process, destination and file of every session */
#define INDEX_MAX (REPORT_SESSIONS_MAX * (REPORT_PROCS_MAX + REPORT_DESTS_MAX + \
					  REPORT_FILES_MAX) + REPORT_SESSIONS_MAX + 64)

/* entries past the caps remembered, so that each is counted once; past this
 * the least recently seen are forgotten (and may be counted again) */
#define CUT_MAX (1u << 16)

/* bits of an index key's hash (fewer: collisions on purpose, for a test) */
#ifndef REPORT_KEY_BITS
#define REPORT_KEY_BITS 64
#endif
/* hashes tried for one key whose first ones are another key's: past them the
 * entry is counted as cut (an agent may choose names that collide) */
#define KEY_PROBES 8

enum key_kind { KEY_SESSION = 1, KEY_PROC, KEY_DEST, KEY_FILE };

static const char *const METHODS[REPORT_METHODS] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "other",
};

const char *report_method_name(unsigned i)
{
	return i < REPORT_METHODS ? METHODS[i] : "other";
}

const char *report_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03lluZ", (unsigned long long)(ns % 1000000000ull / 1000000));
	return buf;
}

/* ---- strings as they may be shown ---- */

/* s redacted by fn (redact_keys, redact_query, redact_arg), escaped, cut */
static char *shown(const char *s, size_t (*fn)(const char *, size_t, char *, size_t))
{
	char red[REPORT_STR_MAX * 2], out[REPORT_STR_MAX];
	size_t n = strnlen(s, sizeof(red) - 1);

	n = fn(s, n, red, sizeof(red));
	escape_text(out, sizeof(out), red, n);
	return strdup(out);
}

static char *keep(const char *s)
{
	return s ? shown(s, redact_keys) : NULL;
}

/* argc NUL-separated arguments, each redacted, joined by spaces */
static char *join_argv(const struct event_exec *x)
{
	char buf[REPORT_STR_MAX], red[REPORT_STR_MAX];
	const char *a = x->argv, *end = x->argv + x->argv_len;
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < x->argc && a < end && len + 1 < sizeof(buf); i++) {
		size_t n = strnlen(a, (size_t)(end - a));
		size_t rn = redact_arg(a, n, red, sizeof(red));

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s", i ? " " : "");
		if (len + 1 < sizeof(buf))
			len += escape_text(buf + len, sizeof(buf) - len, red, rn);
		a += n + 1;
	}
	if (x->argv_trunc && len + 5 < sizeof(buf))
		strcat(buf, " ...");
	return strdup(buf[0] ? buf : (x->filename ? x->filename : "?"));
}

/* ---- the index ---- */

struct ikey {
	uint64_t h;
};

/* what an index key leads to: entry i of kind's array of session */
struct ientry {
	uint32_t i, session, kind;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* the hash of (k, session, the n bytes at p) seeded with seed */
static uint64_t hash_of(uint32_t seed, enum key_kind k, uint32_t session, const void *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	h = fnv(h, &seed, sizeof(seed));
	h = fnv(h, &k, sizeof(k));
	h = fnv(h, &session, sizeof(session));
	return fnv(h, p, n);
}

/* probe's index key of (k, session, the n bytes at p) */
static struct ikey key_of(enum key_kind k, uint32_t session, const void *p, size_t n,
			  uint32_t probe)
{
	uint64_t h = hash_of(probe, k, session, p, n);

	return (struct ikey){ REPORT_KEY_BITS < 64 ? h & ((1ull << (REPORT_KEY_BITS & 63)) - 1) : h };
}

/* a stored key (NULL: none) is the n bytes at key (none when n is 0) */
static bool same_bytes(const char *stored, const void *key, size_t n)
{
	return stored ? strlen(stored) == n && !memcmp(stored, key, n) : !n;
}

/* a destination's key: its peer, then its name's bytes (none without) */
struct dest_key {
	struct report_peer peer;
	char host[256];
};

static bool same_peer(const struct report_dest *d, const struct report_peer *p)
{
	return d->family == p->family && d->port == p->port &&
	       !memcmp(d->daddr, p->daddr, sizeof(p->daddr));
}

/* entry i of kind k (of session, or the session i) has the key at key: a
 * hash hit alone is not enough */
static bool key_is(const struct report *r, enum key_kind k, uint32_t session, uint32_t i,
		   const void *key, size_t n)
{
	const struct report_session *s = &r->sessions[k == KEY_SESSION ? i : session];
	const struct dest_key *dk = key;
	uint32_t pid;

	if ((k == KEY_SESSION && i >= r->n_sessions) || (k == KEY_PROC && i >= s->n_procs) ||
	    (k == KEY_DEST && i >= s->n_dests) || (k == KEY_FILE && i >= s->n_files))
		return false;
	switch (k) {
	case KEY_SESSION:
		return s->root_pid == session && same_bytes(s->key, key, n);
	case KEY_PROC:
		memcpy(&pid, key, sizeof(pid));
		return s->procs[i].pid == pid;
	case KEY_DEST:
		return same_peer(&s->dests[i], &dk->peer) &&
		       same_bytes(s->dests[i].key, dk->host, n - sizeof(dk->peer));
	default:
		return same_bytes(s->files[i].key, key, n);
	}
}

/*
 * the index of (k, session, key): >= 0 when it has an entry; -1 when new,
 * *slot to fill (table_del(r->index, ko) to give it up); -2 when out of
 * memory or when every probe is another key's (*slot NULL).  *ko: the last
 * hash tried
 */
static int64_t index_find(struct report *r, enum key_kind k, uint32_t session, const void *key,
			  size_t n, struct ientry **slot, struct ikey *ko)
{
	for (uint32_t probe = 0; probe < KEY_PROBES; probe++) {
		bool created = false;
		struct ientry *v;

		*ko = key_of(k, session, key, n, probe);
		if (!(v = *slot = table_put(r->index, ko, &created)))
			return -2; /* ENOMEM */
		if (created) {
			*v = (struct ientry){ .session = session, .kind = k };
			return -1;
		}
		if (v->kind == k && v->session == session && key_is(r, k, session, v->i, key, n))
			return (int64_t)v->i;
	}
	*slot = NULL;
	return -2;
}

/* grow *arr (elements of size sz, n used) to hold one more, up to max */
static void *grow(void **arr, uint32_t n, uint32_t max, size_t sz)
{
	uint32_t cap = n < 8 ? 8 : n;

	if (n >= max)
		return NULL;
	if (n == 0 || (n >= 8 && !(n & (n - 1)))) {
		void *a = realloc(*arr, (size_t)(n ? cap * 2 : cap) * sz);

		if (!a)
			return NULL;
		*arr = a;
	}
	return memset((char *)*arr + (size_t)n * sz, 0, sz);
}

/* ---- sessions ---- */

static struct report_session *session_of(struct report *r, const struct event *ev)
{
	size_t an = strnlen(ev->agent, 256);
	struct ikey k;
	struct report_session *s;
	struct ientry *slot;
	int64_t i = index_find(r, KEY_SESSION, ev->agent_pid, ev->agent, an, &slot, &k);

	/* the root's pid execs again after the root exited: pid reuse, a new session */
	if (i >= 0 && !(r->sessions[i].ended && ev->pid == ev->agent_pid &&
			ev->type == AM_EV_EXEC))
		return &r->sessions[i];
	if (i == -2 || r->n_sessions >= REPORT_SESSIONS_MAX) {
		if (i == -1)
			table_del(r->index, &k);
		return NULL;
	}
	s = &r->sessions[r->n_sessions];
	memset(s, 0, sizeof(*s));
	s->agent = keep(ev->agent);
	s->key = strndup(ev->agent, an);
	s->root_pid = ev->agent_pid;
	s->start_ns = ev->ts_ns;
	slot->i = r->n_sessions++;
	return s;
}

static uint32_t sess_no(const struct report *r, const struct report_session *s)
{
	return (uint32_t)(s - r->sessions);
}

/*
 * an entry past its list's cap: counted once (while the cut index holds it),
 * known by two hashes of its key seeded apart from the index's probes (two
 * cut entries taken for one would be counted once)
 */
static void cut_count(struct report *r, enum key_kind k, uint32_t session, const void *key,
		      size_t n, uint32_t *cut)
{
	uint64_t ck[2] = { hash_of(UINT32_MAX, k, session, key, n),
			   hash_of(UINT32_MAX - 1, k, session, key, n) };
	bool created = true;

	if (!r->cut) /* made at the first cut: most reports have none */
		r->cut = table_new(sizeof(ck), 1, CUT_MAX, NULL, NULL);
	if (!r->cut || !table_put(r->cut, ck, &created) || created)
		(*cut)++;
}

/* find or add an entry of kind k in s's array; NULL when cut */
static void *entry_of(struct report *r, struct report_session *s, enum key_kind kind,
		      const void *key, size_t kn, void **arr, uint32_t *n, uint32_t max,
		      size_t sz, uint32_t *cut)
{
	struct ikey k;
	struct ientry *slot;
	int64_t i = index_find(r, kind, sess_no(r, s), key, kn, &slot, &k);
	void *e;

	if (i >= 0)
		return (char *)*arr + (size_t)i * sz;
	e = i == -1 ? grow(arr, *n, max, sz) : NULL;
	if (!e) {
		if (slot)
			table_del(r->index, &k);
		cut_count(r, kind, sess_no(r, s), key, kn, cut);
		return NULL;
	}
	slot->i = (*n)++;
	return e;
}

static struct report_proc *proc_of(struct report *r, struct report_session *s,
				   const struct event *ev)
{
	struct report_proc *p = entry_of(r, s, KEY_PROC, &ev->pid, sizeof(ev->pid),
					 (void **)&s->procs, &s->n_procs, REPORT_PROCS_MAX,
					 sizeof(*p), &s->procs_cut);

	if (p && !p->pid) {
		p->pid = ev->pid;
		p->ppid = ev->ppid;
		p->first_ns = ev->ts_ns;
		escape_text(p->comm, sizeof(p->comm), ev->comm, strnlen(ev->comm, AM_COMM_LEN));
	}
	return p;
}

static void item_add(struct report_session *s, const struct event *ev, enum report_kind k,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void item_add(struct report_session *s, const struct event *ev, enum report_kind k,
		     const char *fmt, ...)
{
	struct report_item *it;
	char buf[REPORT_STR_MAX * 2];
	va_list ap;

	s->by_kind[k]++;
	it = grow((void **)&s->items, s->n_items, REPORT_TIMELINE_MAX, sizeof(*it));
	if (!it) {
		s->items_cut[k]++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	it->text = shown(buf, redact_keys); /* parts came unescaped: method, summary */
	if (!it->text) {
		s->items_cut[k]++;
		return;
	}
	it->ts_ns = ev->ts_ns;
	it->pid = ev->pid;
	it->kind = k;
	s->n_items++;
}

/* ---- processes ---- */

static void on_exec(struct report *r, struct report_session *s, const struct event *ev)
{
	struct report_proc *p = proc_of(r, s, ev);
	char *cmd = join_argv(&ev->exec);

	if (!cmd)
		return;
	item_add(s, ev, REPORT_EXEC, "%s", cmd);
	if (p && p->n_cmds < REPORT_CMDS_MAX) {
		p->cmds[p->n_cmds++] = cmd;
		if (p->n_cmds == 1)  /* the comm of the new program */
			escape_text(p->comm, sizeof(p->comm), ev->comm, strnlen(ev->comm, AM_COMM_LEN));
		return;
	}
	if (p)
		p->cmds_cut++;
	free(cmd);
}

static void on_exit_ev(struct report *r, struct report_session *s, const struct event *ev)
{
	struct report_proc *p = proc_of(r, s, ev);

	if (p) {
		p->exited = true;
		p->exit_code = ev->exit.exit_code;
	}
}

/* ---- files ---- */

static struct report_file *file_of(struct report *r, struct report_session *s, const char *path)
{
	struct report_file *f = entry_of(r, s, KEY_FILE, path, strnlen(path, 4096),
					 (void **)&s->files, &s->n_files, REPORT_FILES_MAX,
					 sizeof(*f), &s->files_cut);

	if (f && !f->key)
		f->key = strndup(path, strnlen(path, 4096)); /* NULL: no other event finds it */
	if (f && !f->path)
		f->path = keep(path);
	return f;
}

/* /dev/null, a tty...: written to, not a file written (/dev/shm holds files) */
static bool is_device(const char *path)
{
	return path && !strncmp(path, "/dev/", 5) && strncmp(path, "/dev/shm/", 9);
}

static void on_file(struct report *r, struct report_session *s, const struct event *ev)
{
	const struct event_file *e = &ev->file;
	static const char *const what[] = { [AM_EV_OPEN] = "write", [AM_EV_UNLINK] = "delete",
					    [AM_EV_RENAME] = "rename", [AM_EV_CHMOD] = "chmod" };
	struct report_file *f;
	char *path, *np = NULL;

	if (ev->type == AM_EV_OPEN && (!e->write || is_device(e->path))) {
		s->reads++;
		return;
	}
	if (!e->path)
		return;
	path = keep(e->path);
	if (ev->type == AM_EV_RENAME && e->new_path)
		np = keep(e->new_path);
	if (path)
		item_add(s, ev, REPORT_WRITE, "%s %s%s%s%s", what[ev->type], path, np ? " -> " : "",
			 np ? np : "", e->ret < 0 ? " (failed)" : "");
	free(path);
	if (e->ret < 0 || !(f = file_of(r, s, e->path))) {
		free(np);
		return;
	}
	f->last_ns = ev->ts_ns;
	f->written += ev->type == AM_EV_OPEN;
	f->deleted += ev->type == AM_EV_UNLINK;
	f->chmoded += ev->type == AM_EV_CHMOD;
	if (ev->type == AM_EV_RENAME) {
		f->renamed++;
		free(f->new_path);
		f->new_path = np;
	} else {
		free(np);
	}
}

/* ---- destinations ---- */

/* d's verdict := ev's when it is stricter (or d has none) */
static void verdict_of(const struct report *r, const struct event *ev, struct report_dest *d)
{
	static const char *const names[] = {
		[RULES_DENIED] = "denied", [RULES_NO_DEST] = "not listed",
		[RULES_NO_METHOD] = "listed (some methods)", [RULES_NO_PATH] = "listed (some paths)",
		[RULES_ALLOWED] = "allowed",
	};
	struct rules_dest rd;
	enum rules_match m;

	if (!r->policy) {
		d->verdict = "not judged";
		return;
	}
	rules_dest_of(ev, &rd);
	rd.request = false;
	rd.method = rd.path = NULL;
	m = rules_judge(r->policy, &rd);
	if (d->verdict && (int)m >= d->judged)
		return;
	d->verdict = (unsigned)m <= RULES_ALLOWED ? names[m] : "?";
	d->judged = (int)m;
}

/*
 * the destination of n named host (else n's name; of ev, whose type says
 * how to judge it): an address and port with a name, or none (hosts behind
 * one address are told apart; a name is cut to 255 bytes)
 */
static struct report_dest *dest_of(struct report *r, struct report_session *s,
				   const struct event *ev, const struct event_net *n,
				   const char *host)
{
	struct dest_key k = { .peer = { .family = n->family, .port = n->dport } };
	size_t hn;
	struct report_dest *d;

	if (!host || !*host)
		host = n->host;
	hn = host ? strnlen(host, sizeof(k.host)) : 0;
	memcpy(k.peer.daddr, n->daddr, sizeof(k.peer.daddr));
	if (hn)
		memcpy(k.host, host, hn);
	d = entry_of(r, s, KEY_DEST, &k, sizeof(k.peer) + hn, (void **)&s->dests, &s->n_dests,
		     REPORT_DESTS_MAX, sizeof(*d), &s->dests_cut);
	if (!d)
		return NULL;
	if (!d->verdict) {
		d->key = hn ? strndup(host, hn) : NULL; /* NULL: no other event finds it */
		memcpy(d->daddr, n->daddr, sizeof(d->daddr));
		d->family = n->family;
		d->port = n->dport;
		if (!n->family || !inet_ntop(n->family, n->daddr, d->addr, sizeof(d->addr)))
			strcpy(d->addr, "?");
	}
	verdict_of(r, ev, d);
	if (hn && !d->host)
		d->host = keep(host);
	return d;
}

static unsigned method_bit(const char *m)
{
	for (unsigned i = 0; m && i < REPORT_METHODS - 1; i++)
		if (!strcmp(m, METHODS[i]))
			return i;
	return REPORT_METHODS - 1;
}

static void dest_path(struct report_dest *d, const char *path)
{
	char *p;

	for (uint32_t i = 0; i < d->n_paths; i++)
		if (!strncmp(d->paths[i], path, REPORT_STR_MAX - 1))
			return; /* close enough: kept paths are cut */
	if (d->n_paths >= REPORT_PATHS_MAX || !(p = shown(path, redact_query))) {
		d->paths_cut++;
		return;
	}
	d->paths[d->n_paths++] = p;
}

static void on_http(struct report *r, struct report_session *s, const struct event *ev)
{
	const struct event_http *h = &ev->http;
	struct report_dest *d = dest_of(r, s, ev, &h->net, h->host);
	/* the request's own host: its destination may be named by another */
	const char *host = h->host && *h->host ? h->host : d && d->host ? d->host :
			   d ? d->addr : "?";
	char *path = shown(h->path ? h->path : "", redact_query);

	if (d) {
		d->requests++;
		d->methods |= (uint16_t)(1u << method_bit(h->method));
		d->body_bytes += h->bytes;
		d->bytes_sent += h->bytes;
		d->tls |= h->tls;
		if (h->path)
			dest_path(d, h->path);
	}
	item_add(s, ev, REPORT_REQUEST, "%s %s://%s:%u%s%s (%llu bytes)%s", h->method ? h->method : "?",
		 h->tls ? "https" : "http", host, h->net.dport, path && *path == '/' ? "" : "/",
		 path ? path : "", (unsigned long long)h->bytes, h->status ? "" : " no response");
	free(path);
}

static void on_net(struct report *r, struct report_session *s, const struct event *ev)
{
	struct report_dest *d;

	if (ev->type == AM_EV_CONNECT && ev->net.has_ret && ev->net.ret < 0 &&
	    ev->net.ret != -EINPROGRESS)
		return;
	if (!(d = dest_of(r, s, ev, &ev->net, NULL)))
		return;
	if (ev->type == AM_EV_CONNECT) {
		d->connects++;
		return;
	}
	d->sends++;
	if (ev->net.has_ret && ev->net.ret > 0)
		d->bytes_sent += (uint64_t)ev->net.ret;
}

void report_received(struct report *r, uint32_t agent_pid, const struct report_peer *peer,
		     uint64_t bytes)
{
	struct report_session *s = NULL;

	for (uint32_t i = r->n_sessions; i-- > 0 && !s;) /* the latest of a reused pid */
		if (r->sessions[i].root_pid == agent_pid)
			s = &r->sessions[i];
	if (!s)
		return; /* a session not reported (filtered out or cut) */
	for (uint32_t i = 0; peer->family && i < s->n_dests; i++) {
		if (same_peer(&s->dests[i], peer)) { /* its first name's: a read names none */
			s->dests[i].bytes_received += bytes;
			return;
		}
	}
	s->unattributed_received += bytes;
}

/* ---- alerts ---- */

static void on_alert(struct report *r, struct report_session *s, const struct event *ev)
{
	const struct event_alert *a = ev->alert;
	struct report_alert *x;
	struct event cause = *ev;

	item_add(s, ev, REPORT_ALERT, "%s (%s): %s", a->rule, a->severity,
		 a->summary ? a->summary : "");
	cause.type = a->cause_type;
	if (a->cause_type == AM_EV_HTTP || a->cause_type == AM_EV_CONNECT ||
	    a->cause_type == AM_EV_SEND) {
		const struct event_net *n = a->cause_type == AM_EV_HTTP ? &ev->http.net : &ev->net;
		struct report_dest *d = dest_of(r, s, &cause, n,
						a->cause_type == AM_EV_HTTP ? ev->http.host : NULL);

		if (d)
			d->alerts++;
	}
	x = grow((void **)&s->alerts, s->n_alerts, REPORT_ALERTS_MAX, sizeof(*x));
	if (!x) {
		s->alerts_cut++;
		return;
	}
	s->n_alerts++;
	x->ts_ns = ev->ts_ns;
	x->pid = ev->pid;
	x->count = a->count;
	x->rule = keep(a->rule);
	x->severity = keep(a->severity);
	x->summary = keep(a->summary);
	x->chain = keep(a->chain);
	if (a->intent) {
		x->tool = keep(a->intent->tool);
		x->input = keep(a->intent->input);
		x->prompt = keep(a->intent->prompt);
		x->model = keep(a->intent->model);
	}
}

/* ---- the process tree ---- */

#define TREE_DEPTH_MAX 64

static bool is_root(const struct report_session *s, const struct report_proc *p)
{
	if (p->pid == s->root_pid || p->ppid == p->pid)
		return true;
	for (uint32_t i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == p->ppid)
			return false;
	return true; /* its parent is not in the session: shown at the top */
}

static void tree_walk(const struct report_session *s, uint32_t i, unsigned depth, bool *seen,
		      report_tree_fn cb, void *arg)
{
	seen[i] = true;
	cb(arg, &s->procs[i], depth);
	for (uint32_t j = 0; j < s->n_procs; j++)
		if (!seen[j] && s->procs[j].ppid == s->procs[i].pid && depth < TREE_DEPTH_MAX)
			tree_walk(s, j, depth + 1, seen, cb, arg);
}

int report_tree(const struct report_session *s, report_tree_fn cb, void *arg)
{
	bool *seen = calloc(s->n_procs + 1, sizeof(*seen));

	if (!seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_procs; i++)
		if (!seen[i] && is_root(s, &s->procs[i]))
			tree_walk(s, i, 0, seen, cb, arg);
	for (uint32_t i = 0; i < s->n_procs; i++) /* cycles of parents */
		if (!seen[i])
			tree_walk(s, i, 0, seen, cb, arg);
	free(seen);
	return 0;
}

/* ---- the report ---- */

struct report *report_new(const struct policy *p)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->policy = p;
	r->sessions = calloc(REPORT_SESSIONS_MAX, sizeof(*r->sessions));
	r->index = table_new(sizeof(struct ikey), sizeof(struct ientry), INDEX_MAX, NULL, NULL);
	if (!r->sessions || !r->index) {
		report_free(r);
		return NULL;
	}
	return r;
}

int report_event(struct report *r, const struct event *ev)
{
	struct report_session *s;

	r->events++;
	if (ev->type == AM_EV_DROP) {
		r->drops_lost += ev->drop.lost;
		return 0;
	}
	if (!ev->agent) {
		r->untagged++;
		return 0;
	}
	if (!(s = session_of(r, ev))) {
		r->sessions_cut_events++;
		return 0;
	}
	s->events++;
	if (ev->ts_ns < s->start_ns)
		s->start_ns = ev->ts_ns;
	if (ev->ts_ns > s->end_ns)
		s->end_ns = ev->ts_ns;
	if (ev->type != AM_EV_ALERT)
		proc_of(r, s, ev);
	switch (ev->type) {
	case AM_EV_EXEC: on_exec(r, s, ev); break;
	case AM_EV_EXIT:
		on_exit_ev(r, s, ev);
		s->ended |= ev->pid == s->root_pid;
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		on_file(r, s, ev);
		break;
	case AM_EV_CONNECT: case AM_EV_SEND: on_net(r, s, ev); break;
	case AM_EV_HTTP: on_http(r, s, ev); break;
	case AM_EV_ALERT:
		if (ev->alert)
			on_alert(r, s, ev);
		break;
	default: break;
	}
	return 0;
}

void report_note(struct report *r, const char *fmt, ...)
{
	char buf[REPORT_STR_MAX], out[REPORT_STR_MAX];
	va_list ap;

	if (r->n_notes >= REPORT_NOTES_MAX) {
		r->notes_cut++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	escape_text(out, sizeof(out), buf, strlen(buf));
	if ((r->notes[r->n_notes] = strdup(out)))
		r->n_notes++;
}

static void session_free(struct report_session *s)
{
	for (uint32_t i = 0; i < s->n_procs; i++)
		for (uint32_t j = 0; j < s->procs[i].n_cmds; j++)
			free(s->procs[i].cmds[j]);
	for (uint32_t i = 0; i < s->n_items; i++)
		free(s->items[i].text);
	for (uint32_t i = 0; i < s->n_dests; i++) {
		free(s->dests[i].host);
		free(s->dests[i].key);
		for (uint32_t j = 0; j < s->dests[i].n_paths; j++)
			free(s->dests[i].paths[j]);
	}
	for (uint32_t i = 0; i < s->n_files; i++) {
		free(s->files[i].path);
		free(s->files[i].key);
		free(s->files[i].new_path);
	}
	for (uint32_t i = 0; i < s->n_alerts; i++) {
		struct report_alert *a = &s->alerts[i];

		free(a->rule); free(a->severity); free(a->summary); free(a->chain);
		free(a->tool); free(a->input); free(a->prompt); free(a->model);
	}
	free(s->procs); free(s->items); free(s->dests); free(s->files); free(s->alerts);
	free(s->agent);
	free(s->key);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->n_sessions; i++)
		session_free(&r->sessions[i]);
	for (uint32_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->sessions);
	table_free(r->index);
	table_free(r->cut);
	free(r);
}

int report_write(const struct report *r, FILE *f, enum report_format fmt)
{
	int ret = fmt == REPORT_HTML ? report_write_html(r, f) :
		  fmt == REPORT_TEXT ? report_write_text(r, f) : report_write_json(r, f);

	if (!ret && (fflush(f) || ferror(f)))
		ret = -EIO;
	return ret;
}
