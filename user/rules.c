// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rules.c - the alert rules (see rules.h); destinations against the allow
 * list are judged in rules_match.c.
 *
 * Everything here is a pure function of its arguments except struct
 * rules_uploads, a fixed array of connection slots searched linearly (a few
 * thousand entries, touched only for send events of tagged processes).
 */
#include <netinet/in.h>
#include <sys/random.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rules.h"

/* ---- rules ---- */

static bool verdict(struct rules_verdict *v, const char *rule, const char *sev,
		    const char *reason, const char *arg)
{
	v->rule = rule;
	v->severity = sev;
	snprintf(v->reason, sizeof(v->reason), reason, arg ? arg : "");
	return true;
}

/* every method but GET, HEAD and OPTIONS writes; NULL (not known) too */
bool rules_is_write_method(const char *m)
{
	return !m || (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS"));
}

static void verdict_clear(struct rules_verdict *v)
{
	memset(v, 0, sizeof(*v));
}

bool rules_outbound_post(const struct policy *p, const struct event *ev,
			 struct rules_verdict *v)
{
	const char *m = "an unknown method";
	struct rules_dest d;
	enum rules_match got;

	verdict_clear(v);
	if (ev->type != AM_EV_HTTP || !rules_is_write_method(ev->http.method))
		return false;
	rules_dest_of(ev, &d);
	got = rules_judge(p, &d);
	if (ev->http.req_host) { /* the stricter of the destination and the named host */
		struct rules_dest named = d;
		enum rules_match m2;

		named.host = ev->http.req_host;
		m2 = rules_judge(p, &named);
		if (m2 < got) {
			got = m2;
			d = named;
		}
	}
	if (d.method)
		m = d.method;
	switch (got) {
	case RULES_ALLOWED:
		return false;
	case RULES_NO_METHOD:
		return verdict(v, "outbound_post", "high", "host not allowed for %s", m);
	case RULES_NO_PATH:
		return verdict(v, "outbound_post", "high", "path not allowed for %s", m);
	case RULES_DENIED:
		return verdict(v, "outbound_post", "high", "denied by the policy for %s", m);
	default:
		return verdict(v, "outbound_post", "high",
			       d.host ? "host not in the allow list%s" :
			       "address not in the allow list%s", NULL);
	}
}

bool rules_host_mismatch(const struct event *ev, struct rules_verdict *v)
{
	verdict_clear(v);
	if (ev->type != AM_EV_HTTP || !ev->http.req_host)
		return false;
	return verdict(v, "host_mismatch", "high", "the request names host %s", ev->http.req_host);
}

bool rules_uring_network(const struct event *ev, struct rules_verdict *v)
{
	verdict_clear(v);
	if ((ev->type != AM_EV_CONNECT && ev->type != AM_EV_SEND) || !ev->net.io_uring ||
	    ev->agent_id == AM_AGENT_NONE)
		return false;
	return verdict(v, "uring_network", "medium",
		       "network I/O through io_uring%s", NULL);
}

bool rules_syscall(const struct event *ev, struct rules_verdict *v)
{
	char what[64];

	verdict_clear(v);
	if (ev->type != AM_EV_SYSCALL || ev->agent_id == AM_AGENT_NONE || !ev->sys.name)
		return false;
	if (ev->sys.compat)
		return verdict(v, "compat_syscall", "high", "%s through the 32-bit syscall table, "
			       "which agentmon does not decode", ev->sys.name);
	if (ev->sys.target)
		snprintf(what, sizeof(what), "%s of pid %u", ev->sys.name, ev->sys.target);
	else
		snprintf(what, sizeof(what), "%s of an unknown pid", ev->sys.name);
	return verdict(v, "process_tamper", "high", "%s, a process outside the agent", what);
}

/* ---- bytes per connection (explained?) and per destination (counted) ---- */

/* one connection (pid, fd, addresses and ports): were requests read on it? */
struct upload_slot {
	uint32_t pid, fd;
	uint8_t daddr[16];
	uint16_t dport, sport;
	bool used, http;
	bool posted;           /* a request on it raised outbound_post */
	uint8_t tls;           /* enum rules_tls of its ClientHello */
	uint64_t last_use;     /* u->clock when last touched */
	/* RULES_TLS_PENDING, _HOOKED: what it sent, to whom, judged when it ends */
	uint64_t pending;
	uint64_t pending_born; /* the destination's born, to find it again */
	size_t pending_dest;
	uint16_t family;
	bool listed;           /* its destination is in the allow list */
	bool plain;            /* RULES_TLS_HOOKED: TLS plaintext was seen on it */
	/* bytes it added to a destination's count before a request explained
	 * it (TLS records on the wire come before their plaintext) */
	uint64_t counted;
	uint64_t dest_born;    /* that destination's born, to find it again */
	size_t dest;           /* its index */
	uint32_t hnext;        /* next slot of its index chain, index + 1; 0 ends */
	uint32_t hb;           /* its index bucket while used */
};

/* bytes one agent session sent to one destination in the current window */
struct dest_slot {
	uint32_t agent_pid, agent_id;
	char host[RULES_HOST_KEY]; /* "" when the destination has no name */
	uint8_t daddr[16];         /* the key when host is "" */
	uint16_t dport;
	bool used, alerted;
	bool due;              /* over the threshold by bytes a request may yet
				* explain: judged again at u->due[due_at] */
	size_t due_at;
	bool unseen_alerted;   /* unseen_tls raised in this window */
	uint64_t bytes;
	uint64_t unseen_bytes; /* of those, sent on unseen TLS connections */
	uint64_t since_ns;     /* ts_ns of the window's first bytes */
	uint64_t last_use;
	uint64_t born;         /* u->clock when it was made (never reused) */
};

/* a copy of the send that put a destination over the threshold, while
 * its plaintext may still explain it */
struct upload_due {
	bool used;
	size_t dest;
	uint64_t born, due_ns;
	struct event ev;       /* its strings point into the buffers below */
	char agent[AM_NAME_MAX], exe[RULES_HOST_KEY], host[RULES_HOST_KEY];
};

struct rules_uploads {
	uint64_t threshold, window_ns;
	size_t n, n_dests;
	uint64_t clock, evicted;
	struct upload_slot *slots;
	/* connection index: bucket -> first slot of its chain, index + 1
	 * (0: empty); keys hashed with a random seed so that an agent, which
	 * chooses its ports and fds, cannot pile its connections in one chain */
	uint32_t *heads;
	size_t nb;             /* buckets, a power of two >= n */
	uint64_t seed;
	struct dest_slot *dests;
	struct upload_due due[RULES_UPLOAD_DUE_MAX];
};

struct rules_uploads *rules_uploads_new(uint64_t threshold, uint64_t window_ns, size_t slots)
{
	struct rules_uploads *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->threshold = threshold ? threshold : RULES_UPLOAD_THRESHOLD_DEFAULT;
	u->window_ns = window_ns ? window_ns : RULES_UPLOAD_WINDOW_DEFAULT_NS;
	u->n = slots ? slots : RULES_UPLOAD_SLOTS_DEFAULT;
	u->n_dests = u->n;
	for (u->nb = 64; u->nb < u->n; u->nb <<= 1)
		;
	if (getrandom(&u->seed, sizeof(u->seed), GRND_NONBLOCK) != sizeof(u->seed))
		u->seed = am_now_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)u; /* early boot */
	u->slots = calloc(u->n, sizeof(*u->slots));
	u->heads = calloc(u->nb, sizeof(*u->heads));
	u->dests = calloc(u->n_dests, sizeof(*u->dests));
	if (!u->slots || !u->heads || !u->dests || u->n >= UINT32_MAX) {
		rules_uploads_free(u);
		return NULL;
	}
	return u;
}

void rules_uploads_free(struct rules_uploads *u)
{
	if (!u)
		return;
	free(u->slots);
	free(u->heads);
	free(u->dests);
	free(u);
}

/* the better victim of two slots: a free one, else the least recently used */
#define VICTIM(v, s) (!(s)->used ? (v)->used : ((v)->used && (s)->last_use < (v)->last_use))

/* a connection as the slots key it */
struct conn_key {
	uint32_t pid, fd;
	const uint8_t *daddr;  /* 16 bytes */
	uint16_t dport, sport;
};

static void key_of(const struct event *ev, struct conn_key *k)
{
	const struct event_net *n = ev->type == AM_EV_HTTP ? &ev->http.net : &ev->net;

	*k = (struct conn_key){ ev->pid, n->fd, n->daddr, n->dport, n->sport };
	if (ev->type == AM_EV_DATA)
		*k = (struct conn_key){ ev->pid, ev->data.fd, ev->data.daddr, ev->data.dport,
					ev->data.sport };
}

static bool slot_is(const struct upload_slot *s, const struct conn_key *k)
{
	return s->used && s->pid == k->pid && s->fd == k->fd && s->dport == k->dport &&
	       s->sport == k->sport && !memcmp(s->daddr, k->daddr, 16);
}

static uint64_t mix(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* k's index bucket */
static uint32_t bucket_of(const struct rules_uploads *u, const struct conn_key *k)
{
	uint64_t a, b, h;

	memcpy(&a, k->daddr, 8);
	memcpy(&b, k->daddr + 8, 8);
	h = mix(mix(mix(u->seed, ((uint64_t)k->pid << 32) | k->fd), a), b);
	h = mix(h, ((uint64_t)k->dport << 16) | k->sport);
	return (uint32_t)(h & (u->nb - 1));
}

/* the used slot keyed k, NULL when none: one chain walked, not the table */
static struct upload_slot *slot_find(struct rules_uploads *u, const struct conn_key *k)
{
	for (uint32_t i = u->heads[bucket_of(u, k)]; i; i = u->slots[i - 1].hnext)
		if (slot_is(&u->slots[i - 1], k))
			return &u->slots[i - 1];
	return NULL;
}

static void slot_link(struct rules_uploads *u, struct upload_slot *s, const struct conn_key *k)
{
	s->hb = bucket_of(u, k);
	s->hnext = u->heads[s->hb];
	u->heads[s->hb] = (uint32_t)(s - u->slots) + 1;
}

/* s (used or not) is no connection's any more: out of the index */
static void slot_drop(struct rules_uploads *u, struct upload_slot *s)
{
	uint32_t me = (uint32_t)(s - u->slots) + 1, *at;

	if (!s->used)
		return;
	for (at = &u->heads[s->hb]; *at && *at != me; at = &u->slots[*at - 1].hnext)
		;
	if (*at)
		*at = s->hnext;
	s->used = false;
	s->hnext = 0;
}

/* the slot of ev's connection; created (evicting the least recently used:
 * a walk of the table, once per new connection) when create, else NULL
 * when unknown */
static struct upload_slot *slot_of(struct rules_uploads *u, const struct event *ev, bool create)
{
	struct upload_slot *victim = &u->slots[0], *s;
	struct conn_key k;

	key_of(ev, &k);
	if ((s = slot_find(u, &k))) {
		s->last_use = ++u->clock;
		return s;
	}
	if (!create)
		return NULL;
	for (size_t i = 0; i < u->n; i++)
		if (VICTIM(victim, &u->slots[i]))
			victim = &u->slots[i];
	slot_drop(u, victim);
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->pid = k.pid;
	victim->fd = k.fd;
	victim->dport = k.dport;
	victim->sport = k.sport;
	memcpy(victim->daddr, k.daddr, 16);
	victim->last_use = ++u->clock;
	slot_link(u, victim, &k);
	return victim;
}

static bool dest_is(const struct dest_slot *t, const struct event *ev, const struct rules_dest *d)
{
	if (!t->used || t->agent_pid != ev->agent_pid || t->agent_id != ev->agent_id)
		return false;
	if (d->host)
		return !strncasecmp(t->host, d->host, sizeof(t->host) - 1) &&
		       strlen(d->host) < sizeof(t->host);
	return !t->host[0] && t->dport == d->port && d->addr && !memcmp(t->daddr, d->addr, 16);
}

/* the count of ev's agent session and destination d (evicting the least
 * recently used, counted, when the table is full) */
static struct dest_slot *dest_of(struct rules_uploads *u, const struct event *ev,
				 const struct rules_dest *d)
{
	struct dest_slot *victim = &u->dests[0];

	for (size_t i = 0; i < u->n_dests; i++) {
		struct dest_slot *t = &u->dests[i];

		if (dest_is(t, ev, d)) {
			t->last_use = ++u->clock;
			return t;
		}
		if (VICTIM(victim, t))
			victim = t;
	}
	u->evicted += victim->used;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->agent_pid = ev->agent_pid;
	victim->agent_id = ev->agent_id;
	if (d->host)
		snprintf(victim->host, sizeof(victim->host), "%s", d->host);
	else if (d->addr)
		memcpy(victim->daddr, d->addr, 16);
	victim->dport = d->port;
	victim->since_ns = ev->ts_ns;
	victim->last_use = victim->born = ++u->clock;
	return victim;
}

/* the destination s counted bytes for, NULL when forgotten */
static struct dest_slot *counted_dest(struct rules_uploads *u, const struct upload_slot *s)
{
	struct dest_slot *t = &u->dests[s->dest];

	return s->counted && t->used && t->born == s->dest_born ? t : NULL;
}

void rules_uploads_http(struct rules_uploads *u, const struct event *ev, bool posted)
{
	struct upload_slot *s;
	struct dest_slot *t;

	if (ev->type != AM_EV_HTTP || !(s = slot_of(u, ev, true)))
		return;
	s->http = true;
	s->posted |= posted;
	if ((t = counted_dest(u, s))) {
		t->bytes -= s->counted < t->bytes ? s->counted : t->bytes;
		if (t->due && t->bytes <= u->threshold) {
			u->due[t->due_at].used = false; /* explained: no alert */
			t->due = false;
		}
	}
	s->counted = 0;
}

/* keep a copy of ev as t's cause, to judge again at due_ns; false when
 * every due entry is taken (then judge now) */
static bool due_hold(struct rules_uploads *u, struct dest_slot *t, const struct event *ev,
		     uint64_t due_ns)
{
	struct upload_due *e = NULL;

	for (size_t i = 0; i < RULES_UPLOAD_DUE_MAX && !e; i++)
		if (!u->due[i].used)
			e = &u->due[i];
	if (!e)
		return false;
	e->used = true;
	e->dest = (size_t)(t - u->dests);
	e->born = t->born;
	e->due_ns = due_ns;
	e->ev = *ev;
	e->ev.agent = ev->agent ? strncpy(e->agent, ev->agent, sizeof(e->agent) - 1) : NULL;
	e->ev.exe = ev->exe ? strncpy(e->exe, ev->exe, sizeof(e->exe) - 1) : NULL;
	e->ev.net.host = ev->net.host ? strncpy(e->host, ev->net.host, sizeof(e->host) - 1) : NULL;
	t->due = true;
	t->due_at = (size_t)(e - u->due);
	return true;
}

void rules_uploads_tls(struct rules_uploads *u, const struct event *ev, enum rules_tls how)
{
	struct upload_slot *s;

	if (ev->type == AM_EV_DATA && (s = slot_of(u, ev, true)))
		s->tls = (uint8_t)how;
}

/* a send on a connection whose TLS reader was not told: kept for its end */
static void pending_add(struct upload_slot *s, const struct event *ev, const struct dest_slot *t,
			bool listed, size_t dest)
{
	s->pending += (uint64_t)ev->net.ret;
	s->pending_dest = dest;
	s->pending_born = t->born;
	s->family = ev->net.family;
	s->listed = listed;
}

/* the policy's unseen_tls_threshold, or its default */
static uint64_t unseen_max(const struct policy *p)
{
	return p->unseen_tls_threshold ? p->unseen_tls_threshold : RULES_UNSEEN_TLS_THRESHOLD_DEFAULT;
}

/* t's count of bytes sent over unseen TLS passed the threshold: unseen_tls,
 * once per window, in place of unexpected_upload (the allow list was checked) */
static bool unseen_tls(const struct policy *p, struct dest_slot *t,
		       const struct rules_dest *d, struct rules_verdict *v)
{
	uint64_t max = unseen_max(p);

	if (t->unseen_alerted || t->unseen_bytes <= max)
		return false;
	t->unseen_alerted = t->alerted = true; /* not unexpected_upload as well */
	v->bytes = t->unseen_bytes;
	return verdict(v, "unseen_tls", "high", "%s not in the allow list, over TLS agentmon "
		       "cannot read", d->host ? "host" : "address");
}

/* t's count passed the threshold: unexpected_upload, once per window (the
 * allow list was checked); a wait for t's plaintext ends */
static bool unexpected(struct rules_uploads *u, struct dest_slot *t,
		       const struct rules_dest *d, struct rules_verdict *v)
{
	if (t->alerted || t->bytes <= u->threshold)
		return false;
	t->alerted = true;
	if (t->due) /* a wait for plaintext on t ends */
		u->due[t->due_at].used = false;
	t->due = false;
	v->bytes = t->bytes;
	return verdict(v, "unexpected_upload", "medium",
		       d->host ? "host not in the allow list%s" : "address not in the allow list%s",
		       NULL);
}

/* the count of ev's session and destination d, its window restarted when over */
static struct dest_slot *dest_now(struct rules_uploads *u, const struct event *ev,
				  const struct rules_dest *d)
{
	struct dest_slot *t = dest_of(u, ev, d);

	if (ev->ts_ns >= t->since_ns + u->window_ns) {
		t->since_ns = ev->ts_ns;
		t->bytes = t->unseen_bytes = 0;
		t->alerted = t->unseen_alerted = false;
	}
	return t;
}

bool rules_uploads_send(struct rules_uploads *u, const struct policy *p,
			const struct event *ev, struct rules_verdict *v)
{
	struct upload_slot *s;
	struct dest_slot *t;
	struct rules_dest d;

	verdict_clear(v);
	if (ev->type != AM_EV_SEND || !ev->net.has_ret || ev->net.ret <= 0)
		return false;
	s = slot_of(u, ev, true);
	if (s->http && (!ev->net.opaque || s->posted))
		return false; /* its requests explain its bytes, or were alerted */
	rules_dest_of(ev, &d);
	t = dest_now(u, ev, &d);
	t->bytes += (uint64_t)ev->net.ret;
	if (s->tls == RULES_TLS_UNSEEN)
		t->unseen_bytes += (uint64_t)ev->net.ret;
	if (s->tls == RULES_TLS_PENDING || s->tls == RULES_TLS_HOOKED || s->tls == RULES_TLS_EARLY)
		pending_add(s, ev, t, rules_judge(p, &d) == RULES_ALLOWED, (size_t)(t - u->dests));
	if (!ev->net.opaque) { /* may be taken back (opaque bytes never are) */
		if (!s->counted || s->dest_born != t->born) {
			s->counted = 0;
			s->dest = (size_t)(t - u->dests);
			s->dest_born = t->born;
		}
		s->counted += (uint64_t)ev->net.ret;
	}
	if ((t->alerted && t->unseen_alerted) || rules_judge(p, &d) == RULES_ALLOWED)
		return false;
	if (s->tls == RULES_TLS_UNSEEN && unseen_tls(p, t, &d, v))
		return true;
	if (s->tls == RULES_TLS_PENDING || s->tls == RULES_TLS_EARLY)
		return false; /* judged when it ends: unseen_tls, or explained */
	if (t->alerted || t->due || t->bytes <= u->threshold)
		return false;
	/* over only by bytes this connection's plaintext may explain (TLS
	 * records reach the wire before it): judged again a little later */
	if (ev->net.tls_wire && !s->http && t->bytes - s->counted <= u->threshold &&
	    due_hold(u, t, ev, ev->ts_ns + RULES_UPLOAD_GRACE_NS))
		return false;
	return unexpected(u, t, &d, v);
}

bool rules_uploads_due(struct rules_uploads *u, const struct policy *p, uint64_t now_ns,
		       const struct event **cause, struct rules_verdict *v)
{
	verdict_clear(v);
	for (size_t i = 0; i < RULES_UPLOAD_DUE_MAX; i++) {
		struct upload_due *e = &u->due[i];
		struct dest_slot *t = &u->dests[e->dest];
		struct rules_dest d;

		if (!e->used || e->due_ns > now_ns)
			continue;
		e->used = false;
		if (!t->used || t->born != e->born || !t->due)
			continue;  /* the destination was forgotten */
		t->due = false;
		rules_dest_of(&e->ev, &d);
		if (rules_judge(p, &d) == RULES_ALLOWED || !unexpected(u, t, &d, v))
			continue;
		*cause = &e->ev;
		return true;
	}
	return false;
}

void rules_uploads_plain(struct rules_uploads *u, const struct event *ev)
{
	struct conn_key k, wire;

	if (ev->type != AM_EV_DATA)
		return;
	key_of(ev, &k);
	wire = k;
	wire.fd = UINT32_MAX; /* the wire's slot of the connection (cgroup skb: no fd) */
	for (int w = 0; w < 2; w++) {
		struct upload_slot *s = slot_find(u, w ? &wire : &k);

		if (s) {
			s->plain = true;
			s->last_use = ++u->clock;
		}
	}
}

/* *send: a send event of ev's process standing for s's connection to host */
static void stand_in(const struct upload_slot *s, const struct event *ev, const char *host,
		     uint64_t bytes, struct event *send)
{
	*send = *ev;
	send->type = AM_EV_SEND;
	memset(&send->net, 0, sizeof(send->net));
	send->net.fd = s->fd;
	memcpy(send->net.daddr, s->daddr, 16);
	send->net.dport = s->dport;
	send->net.sport = s->sport;
	send->net.family = s->family;
	send->net.proto = IPPROTO_TCP;
	send->net.has_ret = true;
	send->net.ret = (int64_t)bytes;
	send->net.host = host;
}

/* s (pending) ended: its bytes to t count as unseen, unless its plaintext
 * was seen after all (python loads libssl late: its ClientHello may be
 * judged after it exited); when they pass the threshold (or all bytes
 * upload_threshold), *send stands for the connection */
static bool pending_end(struct rules_uploads *u, struct upload_slot *s,
			struct dest_slot *t, const struct policy *p, const struct event *ev,
			struct event *send, struct rules_verdict *v)
{
	struct rules_dest d = { .host = t->host[0] ? t->host : NULL };

	if (!s->plain)
		t->unseen_bytes += s->pending;
	s->pending = 0;
	if (s->listed || ((s->plain || !unseen_tls(p, t, &d, v)) && !unexpected(u, t, &d, v)))
		return false;
	stand_in(s, ev, d.host, v->bytes, send);
	return true;
}

/* s (hooked) ended: more than the unseen threshold sent after its ClientHello
 * and no plaintext seen, no request read: the hooks did not see it */
static bool blind_end(struct upload_slot *s, const struct dest_slot *t, const struct policy *p,
		      const struct event *ev, struct event *send, struct rules_verdict *v)
{
	uint64_t max = unseen_max(p);
	uint64_t n = s->pending;

	s->pending = 0;
	if (s->plain || n <= max)
		return false;
	v->bytes = n;
	verdict(v, "monitor_degraded", "high", "TLS hooked, yet no plaintext seen for its "
		"application data%s", "");
	stand_in(s, ev, t && t->host[0] ? t->host : NULL, n, send);
	return true;
}

/* s (sent before its process's uprobes were in place) ended with no request
 * nor plaintext read on it: to a host not listed, unseen_tls whatever its
 * size, one alert per connection (each such connection is a blind spot);
 * its bytes count as unseen toward t (still its destination's count) */
static bool early_end(struct upload_slot *s, struct dest_slot *t, const struct event *ev,
		      struct event *send, struct rules_verdict *v)
{
	uint64_t n = s->pending;
	const char *host = t && t->host[0] ? t->host : NULL;

	s->pending = 0;
	if (s->http || s->plain)
		return false; /* read after all (the attach landed in time) */
	if (t)
		t->unseen_bytes += n;
	if (s->listed)
		return false; /* counted (unsure_connections) only */
	v->bytes = n;
	verdict(v, "unseen_tls", "high", "%s not in the allow list, over TLS sent before "
		"agentmon's hooks were in place", host ? "host" : "address");
	stand_in(s, ev, host, n, send);
	return true;
}

/*
 * whether connect n (of s's process) opens another connection on s's fd,
 * which ends s's; not s's own connect, shown late (it waited for its
 * ClientHello, connhold.h): same destination and local port
 */
static bool replaced_by(const struct upload_slot *s, const struct event_net *n)
{
	if (s->fd != n->fd)
		return false;
	return s->dport != n->dport || memcmp(s->daddr, n->daddr, 16) ||
	       (n->sport && s->sport && n->sport != s->sport);
}

bool rules_uploads_tls_ended(struct rules_uploads *u, const struct policy *p,
			     const struct event *ev, struct event *send, struct rules_verdict *v)
{
	verdict_clear(v);
	for (size_t i = 0; i < u->n; i++) {
		struct upload_slot *s = &u->slots[i];
		struct dest_slot *t = &u->dests[s->pending_dest];

		if (!s->used || s->pid != ev->pid || !s->pending ||
		    (s->tls != RULES_TLS_PENDING && s->tls != RULES_TLS_HOOKED &&
		     s->tls != RULES_TLS_EARLY) ||
		    (ev->type == AM_EV_CONNECT && !replaced_by(s, &ev->net)))
			continue;
		if (s->tls == RULES_TLS_EARLY) {
			if (early_end(s, t->used && t->born == s->pending_born ? t : NULL, ev, send, v))
				return true;
			continue;
		}
		if (s->tls == RULES_TLS_HOOKED && !s->http) {
			bool found = t->used && t->born == s->pending_born;

			if (blind_end(s, found ? t : NULL, p, ev, send, v))
				return true;
			continue;
		}
		if (s->http || !t->used || t->born != s->pending_born) {
			s->pending = 0; /* explained, or its count is gone */
			continue;
		}
		if (pending_end(u, s, t, p, ev, send, v))
			return true;
	}
	return false;
}

void rules_uploads_reset(struct rules_uploads *u, const struct event *ev)
{
	const struct event_net *n = &ev->net;

	for (size_t i = 0; i < u->n; i++)
		if (u->slots[i].used && u->slots[i].pid == ev->pid && replaced_by(&u->slots[i], n))
			slot_drop(u, &u->slots[i]);
}

void rules_uploads_forget_pid(struct rules_uploads *u, uint32_t pid)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->slots[i].pid == pid)
			slot_drop(u, &u->slots[i]);
}

size_t rules_uploads_count(const struct rules_uploads *u)
{
	size_t c = 0;

	for (size_t i = 0; i < u->n; i++)
		c += u->slots[i].used;
	return c;
}

uint64_t rules_uploads_evicted(const struct rules_uploads *u)
{
	return u->evicted;
}
