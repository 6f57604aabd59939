// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* connhold.c - connects wait for the ClientHello that names them; see connhold.h. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "agentmon.h"
#include "connhold.h"

struct held {
	struct event ev;
	uint64_t held_ns;
	char *exe;            /* ev.exe's copy (owned) */
	char *agent;          /* ev.agent's copy (owned: a reload frees the policy's) */
	char *dns;            /* ev.net.host's copy (owned: the names cache reuses its) */
	char *host;           /* the name given at release (owned) */
};

struct connhold {
	connhold_emit_fn emit;
	void *arg;
	struct held slot[CONNHOLD_MAX]; /* [0, n): in the order held */
	unsigned n;
};

struct connhold *connhold_new(connhold_emit_fn emit, void *arg)
{
	struct connhold *h = calloc(1, sizeof(*h));

	if (h) {
		h->emit = emit;
		h->arg = arg;
	}
	return h;
}

/* slot i goes out (with host, when given) and leaves the hold */
static void release(struct connhold *h, unsigned i, const char *host)
{
	struct held *s = &h->slot[i];

	if (host && (s->host = strdup(host)))
		s->ev.net.host = s->host; /* out of memory: with the name it had */
	h->emit(h->arg, &s->ev);
	free(s->exe);
	free(s->agent);
	free(s->dns);
	free(s->host);
	memmove(s, s + 1, (h->n - i - 1) * sizeof(*s));
	h->n--;
}

void connhold_free(struct connhold *h)
{
	if (!h)
		return;
	while (h->n)
		release(h, 0, NULL);
	free(h);
}

/*
 * the oldest connect of d's process to d's destination, on d's socket when
 * d names it (bytes from a write); from the wire (cgroup skb) the socket is
 * not known, the destination is
 */
static int find(const struct connhold *h, const struct event *d)
{
	for (unsigned i = 0; i < h->n; i++) {
		const struct event *c = &h->slot[i].ev;

		if (c->pid == d->pid &&
		    event_same_dest(c->net.family, c->net.dport, c->net.daddr, d->data.family,
				    d->data.dport, d->data.daddr) &&
		    (d->data.fd == UINT32_MAX || d->data.fd == c->net.fd))
			return (int)i;
	}
	return -1;
}

static int find_fd(const struct connhold *h, uint32_t pid, uint32_t fd)
{
	for (unsigned i = 0; i < h->n; i++)
		if (h->slot[i].ev.pid == pid && h->slot[i].ev.net.fd == fd)
			return (int)i;
	return -1;
}

static bool worth_holding(const struct event *ev)
{
	const struct event_net *n = &ev->net;

	return ev->type == AM_EV_CONNECT && ev->agent_id != AM_AGENT_NONE &&
	       n->proto == IPPROTO_TCP && !n->pre && n->fd != UINT32_MAX &&
	       (!n->has_ret || n->ret == 0 || n->ret == -EINPROGRESS);
}

bool connhold_put(struct connhold *h, const struct event *ev, uint64_t held_ns)
{
	struct held *s;
	int i;

	if (!h || !worth_holding(ev))
		return false;
	i = find_fd(h, ev->pid, ev->net.fd);
	if (i >= 0)
		release(h, (unsigned)i, NULL); /* the fd was closed and reused */
	if (h->n == CONNHOLD_MAX)
		release(h, 0, NULL);
	s = &h->slot[h->n];
	memset(s, 0, sizeof(*s));
	s->ev = *ev;
	s->held_ns = held_ns;
	if ((ev->exe && !(s->exe = strdup(ev->exe))) ||
	    (ev->agent && !(s->agent = strdup(ev->agent))) ||
	    (ev->net.host && !(s->dns = strdup(ev->net.host)))) {
		free(s->exe);
		free(s->agent);
		return false; /* out of memory: shown now, without waiting */
	}
	s->ev.exe = s->exe;
	s->ev.agent = s->agent;
	s->ev.net.host = s->dns;
	h->n++;
	return true;
}

void connhold_hello(struct connhold *h, const struct event *data, const char *host)
{
	int i = h ? find(h, data) : -1;

	if (i >= 0)
		release(h, (unsigned)i, host);
}

void connhold_data(struct connhold *h, const struct event *data)
{
	connhold_hello(h, data, NULL);
}

void connhold_exit(struct connhold *h, uint32_t pid)
{
	for (unsigned i = 0; h && i < h->n;) {
		if (h->slot[i].ev.pid == pid)
			release(h, i, NULL);
		else
			i++;
	}
}

void connhold_tick(struct connhold *h, uint64_t now_ns)
{
	/* held in arrival order: the expired ones are a prefix */
	while (h && h->n && now_ns - h->slot[0].held_ns >= CONNHOLD_NS &&
	       now_ns >= h->slot[0].held_ns)
		release(h, 0, NULL);
}

unsigned connhold_count(const struct connhold *h)
{
	return h ? h->n : 0;
}
