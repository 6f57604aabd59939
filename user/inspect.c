// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* inspect.c - from captured bytes to http/dns events; see inspect.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"
#include "dns.h"
#include "http1.h"
#include "http2.h"
#include "inspect.h"
#include "llmconn.h"
#include "reasm.h"
#include "redact.h"
#include "status.h"
#include "table.h"
#include "tls_sni.h"
#include "inspect_int.h"

/* show what c holds, with the status when one came */
void inspect_held_show(struct inspect *in, struct conn *c, int status)
{
	struct held *h = c->held;

	if (!h || !h->since_ns)
		return;
	h->ev.http.status = status;
	h->since_ns = 0;
	in->print(in->arg, &h->ev);
}

/* a connection evicted or freed: what it holds is shown first */
static void conn_release(void *val, void *arg)
{
	struct inspect *in = arg;
	struct conn *c = val;

	if (in->mem_evicting)
		in->mem_evicted++;
	else if (!in->freeing)
		in->conns_evicted++;
	in->mem -= c->mem;
	inspect_held_show(in, c, 0);
	llmconn_end_all(&in->llm, &c->llm, !in->freeing);
	reasm_release(in->reasm, &c->wire);
	reasm_release(in->reasm, &c->plain);
	free(c->held);
	http2_conn_free(c->h2tx);
	http2_conn_free(c->h2rx);
}

struct inspect *inspect_new(struct names *names, inspect_emit_fn print,
			    inspect_emit_fn judge, void *arg)
{
	struct inspect *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->conns = table_new(sizeof(struct conn_key), sizeof(struct conn), CONNS_MAX,
			      conn_release, in);
	in->reasm = reasm_new(0, 0);
	if (!in->conns || !in->reasm) {
		table_free(in->conns);
		reasm_free(in->reasm);
		free(in);
		return NULL;
	}
	in->mem_budget = INSPECT_MEM_BUDGET;
	in->names = names;
	in->print = print;
	in->judge = judge;
	in->arg = arg;
	return in;
}

void inspect_on_llm(struct inspect *in, inspect_is_llm_fn is_llm, inspect_emit_fn llm)
{
	if (!llmconn_init(&in->llm, llm, in->arg))
		in->is_llm = is_llm; /* else no exchange is read */
}

void inspect_on_llm_watch(struct inspect *in, void (*watch)(void *arg, uint32_t pid,
							     uint64_t bytes), void *arg)
{
	in->llm.watch = watch;
	in->llm.watch_arg = arg;
}

void inspect_on_hello(struct inspect *in, inspect_emit_fn hello)
{
	in->hello = hello;
}

void inspect_free(struct inspect *in)
{
	if (!in)
		return;
	in->freeing = true;
	table_free(in->conns); /* what connections still hold is shown */
	reasm_free(in->reasm);
	llmconn_fini(&in->llm);
	free(in);
}

/* the pipeline's boot-time clock: a replay runs on the recorded time */
uint64_t inspect_now_ns(const struct inspect *in)
{
	return in->now_ns ? in->now_ns : am_now_ns(CLOCK_BOOTTIME);
}

static uint64_t now_s(const struct inspect *in)
{
	return inspect_now_ns(in) / 1000000000ull;
}

void inspect_status(const struct inspect *in, struct status_http *h)
{
	struct reasm_stats r;

	reasm_stats(in->reasm, &r);
	h->heads_incomplete = r.incomplete;
	h->heads_evicted = r.evicted;
	h->heads_budget = r.budget_full;
	h->conns_evicted = in->conns_evicted;
	h->answers_unattributed = in->unattributed;
	h->answers_unattributed_bytes = in->unattributed_bytes;
}

void inspect_clock(struct inspect *in, uint64_t now_boot_ns)
{
	if (in && now_boot_ns != UINT64_MAX && now_boot_ns > in->now_ns)
		in->now_ns = now_boot_ns;
}

static struct conn_key key_of(const struct event_data *d)
{
	struct conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, d->saddr, sizeof(k.saddr));
	memcpy(k.daddr, d->daddr, sizeof(k.daddr));
	k.sport = d->sport;
	k.dport = d->dport;
	k.family = d->family;
	k.proto = d->proto;
	return k;
}

/* the destination of a data event, as a net event's fields */
static void net_of(const struct event_data *d, struct event_net *n)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->daddr, d->daddr, sizeof(n->daddr));
	memcpy(n->saddr, d->saddr, sizeof(n->saddr));
	n->dport = d->dport;
	n->sport = d->sport;
	n->family = d->family;
	n->proto = d->proto;
	n->fd = UINT32_MAX; /* one key for wire and TLS bytes of a connection */
}

/* the name the connection itself was opened to: the TLS server name, the
 * target of a CONNECT tunnel; NULL when neither */
static const char *authority(const struct conn *c)
{
	if (c->tls && c->sni[0])
		return c->sni;
	return !c->tls && c->tunnel[0] ? c->tunnel : NULL;
}

/* the name of the destination: the connection's authority, else the
 * request's own, else SNI, else DNS */
static const char *dest_name(struct inspect *in, const struct conn *c,
			     const struct event_data *d, const char *req_host)
{
	if (authority(c))
		return authority(c);
	if (req_host && *req_host)
		return req_host;
	if (c->sni[0])
		return c->sni;
	return names_lookup(in->names, d->family, d->daddr, now_s(in));
}

/* a and b name the same host (case and a trailing dot aside) */
static bool same_host(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	na -= na && a[na - 1] == '.';
	nb -= nb && b[nb - 1] == '.';
	return na == nb && !strncasecmp(a, b, na);
}

void inspect_copy_cut(char *dst, size_t size, const char *s, size_t len)
{
	if (!s)
		len = 0;
	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(dst, s, len);
	dst[len] = '\0';
}

/* keep ev (copied) until its response, showing what was held before */
static void hold(struct inspect *in, struct conn *c, const struct event *ev, uint32_t stream)
{
	struct held *h = c->held;

	if (!h && !(h = c->held = calloc(1, sizeof(*h)))) {
		in->print(in->arg, (struct event *)ev); /* no memory: show it now */
		return;
	}
	inspect_held_show(in, c, 0);
	h->ev = *ev;
	h->stream = stream;
	h->since_ns = inspect_now_ns(in);
	if (ev->http.method) {
		inspect_copy_cut(h->method, sizeof(h->method), ev->http.method, strlen(ev->http.method));
		h->ev.http.method = h->method;
	}
	if (ev->http.req_host) {
		inspect_copy_cut(h->req_host, sizeof(h->req_host), ev->http.req_host,
				 strlen(ev->http.req_host));
		h->ev.http.req_host = h->req_host;
	}
	if (ev->http.host) {
		inspect_copy_cut(h->host, sizeof(h->host), ev->http.host, strlen(ev->http.host));
		h->ev.http.host = h->ev.http.net.host = h->host;
	}
	inspect_copy_cut(h->path, sizeof(h->path), ev->http.path, strlen(ev->http.path));
	h->ev.http.path = h->path;
	if (ev->exe) {
		inspect_copy_cut(h->exe, sizeof(h->exe), ev->exe, strlen(ev->exe));
		h->ev.exe = h->exe;
	}
	if (ev->agent) {
		inspect_copy_cut(h->agent, sizeof(h->agent), ev->agent, strlen(ev->agent));
		h->ev.agent = h->agent;
	}
}

/*
 * one request seen: an http event, judged now, shown with its response.
 * method NULL: not known (the head was cut; in->incomplete says how, "cut"
 * when it does not say).  host: the
 * one the request names, or NULL; when the connection was opened to another
 * (TLS server name, CONNECT target) that one is the destination and host
 * goes in req_host (host_mismatch).
 */
void inspect_emit_http(struct inspect *in, const struct event *data, struct conn *c,
		       const char *method, const char *host, const char *path, size_t path_len,
		       uint64_t bytes, uint16_t version, uint32_t stream)
{
	const struct event_data *d = &data->data;
	const char *auth = authority(c);
	struct event ev = *data;

	ev.type = AM_EV_HTTP;
	memset(&ev.http, 0, sizeof(ev.http));
	net_of(d, &ev.http.net);
	ev.http.net.io_uring = data->flags & AM_F_IO_URING;
	redact_query(path ? path : "", path ? path_len : 0, in->path, sizeof(in->path));
	ev.http.method = method;
	ev.http.host = dest_name(in, c, d, host);
	if (auth && host && *host && !same_host(auth, host))
		ev.http.req_host = host;
	ev.http.incomplete = in->incomplete ? in->incomplete : method ? NULL : "cut";
	ev.http.net.host = ev.http.host;
	ev.http.path = in->path;
	ev.http.bytes = bytes;
	ev.http.version = version;
	ev.http.tls = c->tls;
	in->judge(in->arg, &ev);
	hold(in, c, &ev, stream);
}

/* a send event for the bytes a data event says went out, named name */
static void send_of(const struct event *data, const char *name, struct event *ev)
{
	const struct event_data *d = &data->data;

	*ev = *data;
	ev->type = AM_EV_SEND;
	net_of(d, &ev->net);
	ev->net.has_ret = true;
	ev->net.ret = d->ret;
	ev->net.io_uring = data->flags & AM_F_IO_URING;
	ev->net.host = name;
}

/*
 * bytes of a connection whose requests are not visible (bytes, of the data
 * event's): judged only.  opaque: bytes of a readable stream that no request
 * explains, counted as upload even on a connection with requests.
 */
static void tally(struct inspect *in, const struct event *data, const struct conn *c,
		  uint64_t bytes, bool opaque)
{
	struct event ev;

	if (!bytes || data->data.ret <= 0)
		return;
	send_of(data, dest_name(in, c, &data->data, NULL), &ev);
	ev.net.ret = (int64_t)bytes;
	ev.net.opaque = opaque;
	ev.net.tls_wire = c->tls && !opaque;
	in->judge(in->arg, &ev);
}

/*
 * a packet of a UDP socket the agent connected: its send()/write() calls
 * make no send event (no destination in the call), so the bytes on the wire
 * stand for them, shown and judged like any send (QUIC, glibc's resolver)
 */
static void udp_connected_send(struct inspect *in, const struct event *data)
{
	const struct event_data *d = &data->data;
	struct event ev;

	if (d->ret <= 0)
		return;
	send_of(data, names_lookup(in->names, d->family, d->daddr, now_s(in)), &ev);
	ev.net.fd = (uint32_t)d->sock_id; /* one upload count per socket */
	in->print(in->arg, &ev);
	in->judge(in->arg, &ev);
}

/*
 * a POST to path of stream (0: HTTP/1) on c (in->cur): when it is a tagged
 * agent's call to a model API, read its exchange.  req_host: the host the
 * request names.  False when it is not read.
 */
bool inspect_llm_start(struct inspect *in, struct conn *c, const char *req_host,
		       const char *path, size_t path_len, int64_t content_length, uint32_t stream)
{
	const struct event *ev = in->cur;
	struct llmconn_req r = {
		.ev = ev, .api = llm_api_of(path, path_len), .path = path, .path_len = path_len,
		.content_length = content_length, .stream = stream, .now_ns = inspect_now_ns(in),
		.tls = c->tls,
	};

	r.host = dest_name(in, c, &ev->data, req_host);
	if (!in->is_llm || !ev->agent || r.api == LLM_NONE || !r.host ||
	    !in->is_llm(in->arg, r.host))
		return false;
	if (!stream)
		llmconn_end_all(&in->llm, &c->llm, false);
	return llmconn_start(&in->llm, &c->llm, &r);
}

static const char *const incomplete_why[] = {
	[REASM_CUT] = "cut", [REASM_OVERFLOW] = "overflow", [REASM_MALFORMED] = "malformed",
};

/* the client sent (fed) or read (!send) a piece on c: to its exchange */
static void llm_piece(struct inspect *in, struct conn *c, const struct event_data *d, bool send)
{
	if (!send || !c->llm_fed)
		llmconn_bytes(&in->llm, &c->llm, 0, send, d->buf, d->cap_len,
			      d->ret > 0 ? (uint64_t)d->ret : 0, inspect_now_ns(in), in->cur->ts_ns);
}

/* a whole POST head r of in->cur on c: its exchange, from the bytes after
 * the head in this piece */
static void llm_h1(struct inspect *in, struct conn *c, const struct http1_req *r)
{
	const struct event_data *d = &in->cur->data;
	const uint8_t *end;
	size_t off;

	if (!inspect_llm_start(in, c, in->host, r->path, r->path_len, r->content_length, 0))
		return;
	c->llm_fed = true;
	end = memmem(d->buf, d->cap_len, "\r\n\r\n", 4);
	off = end ? (size_t)(end + 4 - d->buf) : d->cap_len;
	if (d->ret > 0 && (uint64_t)d->ret > off)
		llmconn_bytes(&in->llm, &c->llm, 0, true, d->buf + off, d->cap_len - off,
			      (uint64_t)d->ret - off, inspect_now_ns(in), in->cur->ts_ns);
}

/* an HTTP/1 head the stream found (of in->cur on in->cur_conn) */
static void h1_head(void *arg, const struct reasm_head *h)
{
	struct inspect *in = arg;
	const struct http1_req *r = h->req;
	struct conn *c = in->cur_conn;
	bool whole = h->end == REASM_COMPLETE;
	uint64_t body = whole && r->content_length > 0 ? (uint64_t)r->content_length : 0;

	inspect_copy_cut(in->method, sizeof(in->method), r->method, r->method_len);
	inspect_copy_cut(in->host, sizeof(in->host), r->host, r->host_len);
	in->incomplete = whole ? NULL : incomplete_why[h->end];
	inspect_emit_http(in, in->cur, c, whole ? in->method : NULL, in->host, r->path,
			  r->path_len, body, r->version ? r->version : 11, 0);
	in->incomplete = NULL;
	if (whole && !strcmp(in->method, "POST"))
		llm_h1(in, c, r);
	if (whole && !strcmp(in->method, "CONNECT") && !c->tls)
		snprintf(c->tunnel, sizeof(c->tunnel), "%s", in->host);
}

/*
 * plaintext a client sent (wire or TLS): HTTP/2 frames or HTTP/1 heads.
 * Returns the bytes no request explains.
 */
static uint64_t requests(struct inspect *in, const struct event *ev, struct conn *c,
			 struct reasm_stream *s)
{
	const struct event_data *d = &ev->data;
	uint64_t ret = d->ret > 0 ? (uint64_t)d->ret : 0;

	if (c->h2 || (reasm_idle(s) && http2_is_preface(d->buf, d->cap_len))) {
		c->h2 = true;
		return inspect_h2_feed(in, c, d, true) ? 0 : ret;
	}
	c->llm_fed = false;
	ret = reasm_feed(in->reasm, s, d->buf, d->cap_len, ret, h1_head, in);
	llm_piece(in, c, d, true);
	return ret;
}

/* the first bytes of a TLS connection name its server */
static bool client_hello(struct inspect *in, const struct event_data *d, struct conn *c)
{
	struct tls_hello h;

	if (d->cap_len < 6 || d->buf[0] != 0x16 || tls_parse_client_hello(d->buf, d->cap_len, &h) != 1)
		return false;
	c->tls = true;
	c->h2 = false;
	if (h.has_sni) {
		snprintf(c->sni, sizeof(c->sni), "%s", h.sni);
		names_add(in->names, d->family, d->daddr, h.sni, 0, now_s(in));
	}
	return true;
}

static void dns_answer(struct inspect *in, const struct event *ev)
{
	const struct event_data *d = &ev->data;
	uint8_t addrs[DNS_MAX_ADDRS][16];
	uint16_t fams[DNS_MAX_ADDRS];
	struct event out = *ev;
	size_t n = 0;

	if (dns_parse(d->buf, d->cap_len, d->proto == 6, &in->dns) != 1 || !in->dns.response ||
	    !in->dns.has_question)
		return;
	for (size_t i = 0; i < in->dns.n_addrs; i++) {
		const struct dns_addr *a = &in->dns.addrs[i];

		names_add(in->names, a->family, a->addr, in->dns.qname, a->ttl, now_s(in));
		memcpy(addrs[n], a->addr, 16);
		fams[n++] = a->family;
	}
	out.type = AM_EV_DNS;
	memset(&out.dns, 0, sizeof(out.dns));
	out.dns.query = in->dns.qname;
	out.dns.answers = (const uint8_t (*)[16])addrs;
	out.dns.families = fams;
	out.dns.n_answers = n;
	in->print(in->arg, &out);
	in->judge(in->arg, &out);
}

/* response bytes the client read: the status of the request held */
static void responses(struct inspect *in, struct conn *c, const struct event_data *d)
{
	int status;

	if (c->h2) {
		inspect_h2_feed(in, c, d, false);
		return;
	}
	llm_piece(in, c, d, false);
	if (c->held && c->held->since_ns && http1_parse_status(d->buf, d->cap_len, &status) == 1)
		inspect_held_show(in, c, status);
}

struct tick_arg {
	struct inspect *in;
	uint64_t now;
};

static bool tick_one(const void *key, void *val, void *arg)
{
	struct tick_arg *t = arg;
	struct conn *c = val;

	if (c->held && c->held->since_ns && c->held->since_ns + INSPECT_HOLD_NS <= t->now)
		inspect_held_show(t->in, c, 0);
	if (t->now > INSPECT_LLM_IDLE_NS)
		llmconn_idle(&t->in->llm, &c->llm, t->now - INSPECT_LLM_IDLE_NS);
	return false;
}

const char *inspect_hello_sni(const struct inspect *in)
{
	return in->cur_conn && in->cur_conn->sni[0] ? in->cur_conn->sni : NULL;
}

void inspect_tick(struct inspect *in, uint64_t now_boot_ns)
{
	struct tick_arg t = { in, now_boot_ns };

	if (!in)
		return;
	inspect_clock(in, now_boot_ns);
	table_each(in->conns, tick_one, &t);
}

void inspect_set_mem_budget(struct inspect *in, size_t bytes)
{
	in->mem_budget = bytes ? bytes : INSPECT_MEM_BUDGET;
}

/* all the per-connection state: the connections and what they hold */
static size_t mem_total(const struct inspect *in)
{
	return in->mem + table_count(in->conns) * sizeof(struct conn);
}

void inspect_mem(const struct inspect *in, struct inspect_mem *m)
{
	m->bytes = in ? mem_total(in) : 0;
	m->budget = in ? in->mem_budget : 0;
	m->evicted = in ? in->mem_evicted : 0;
	m->llm_evicted = in ? in->llm.evicted : 0;
	m->llm_unread = in ? in->llm.unread : 0;
	m->llm_inflate_cut = in ? in->llm.inflate_cut : 0;
}

/* what c holds besides itself */
static size_t conn_mem(const struct conn *c)
{
	return (c->held ? sizeof(*c->held) : 0) + c->wire.len + c->plain.len +
	       http2_conn_mem(c->h2tx) + http2_conn_mem(c->h2rx) + llmconn_mem(c->llm);
}

/* c was fed: account for what it holds now, and evict the least recently
 * used connections while all of them hold more than the budget */
static void mem_account(struct inspect *in, struct conn *c)
{
	size_t now = conn_mem(c);

	in->mem = in->mem - c->mem + now;
	c->mem = now;
	in->mem_evicting = true;
	while (mem_total(in) > in->mem_budget && table_evict_lru(in->conns))
		;
	in->mem_evicting = false;
}

struct exit_arg {
	struct inspect *in;
	uint32_t pid;
};

/* the exchanges of a->pid on c end; what c holds is counted anew (no
 * eviction while the table is walked: the memory only shrinks) */
static bool exit_one(const void *key, void *val, void *arg)
{
	struct exit_arg *a = arg;
	struct conn *c = val;
	size_t now;

	if (!llmconn_has_pid(c->llm, a->pid))
		return false;
	llmconn_exit(&a->in->llm, &c->llm, a->pid);
	now = conn_mem(c);
	a->in->mem = a->in->mem - c->mem + now;
	c->mem = now;
	return false;
}

void inspect_exit(struct inspect *in, uint32_t pid)
{
	struct exit_arg a = { in, pid };

	if (in && in->llm.open)
		table_each(in->conns, exit_one, &a);
}

struct answer_of {
	uint32_t pid;
	struct conn *c;            /* the one exchange of pid awaiting bytes */
	unsigned n;                /* how many there are */
};

static bool answer_one(const void *key, void *val, void *arg)
{
	struct answer_of *a = arg;
	struct conn *c = val;

	if (c->tls && llmconn_has_pid(c->llm, a->pid)) {
		a->c = c;
		a->n++;
	}
	return false;
}

/*
 * TLS plaintext a process read with no socket known (node reads through a
 * memory BIO): the answer of its one open model API exchange over TLS, if
 * it has exactly one (with several it is not known whose: not used, counted
 * in status http as unattributed)
 */
static bool socketless_answer(struct inspect *in, const struct event *ev)
{
	struct answer_of a = { .pid = ev->pid };

	if (ev->data.source != AM_DATA_TLS_RECV || ev->data.family || !in->llm.open)
		return false;
	table_each(in->conns, answer_one, &a);
	if (a.n > 1) {
		in->unattributed++;
		in->unattributed_bytes += ev->data.ret > 0 ? (uint64_t)ev->data.ret : 0;
	}
	if (a.n != 1)
		return a.n > 0;
	in->cur = ev;
	in->cur_conn = a.c;
	if (a.c->h2)
		inspect_h2_feed(in, a.c, &ev->data, false);
	else
		llm_piece(in, a.c, &ev->data, false);
	in->cur = NULL;
	in->cur_conn = NULL;
	mem_account(in, a.c);
	return true;
}

void inspect_data(struct inspect *in, const struct event *ev)
{
	const struct event_data *d = &ev->data;
	struct conn_key k = key_of(d);
	struct conn *c;

	if (d->source == AM_DATA_SOCK_RECV && d->proto != 6) {
		dns_answer(in, ev);
		return;
	}
	if (d->proto == 17 && d->source == AM_DATA_SOCK_SEND && (ev->flags & AM_F_CONNECTED)) {
		udp_connected_send(in, ev);
		return;
	}
	if (socketless_answer(in, ev))
		return;
	if (d->proto != 6 || !(c = table_put(in->conns, &k, NULL)))
		return; /* other UDP sends are judged as send events */
	in->cur = ev;
	in->cur_conn = c;
	switch (d->source) {
	case AM_DATA_SOCK_SEND:
		if (client_hello(in, d, c)) {
			if (in->hello)
				in->hello(in->arg, (struct event *)ev);
			break;
		}
		if (c->tls)
			tally(in, ev, c, (uint64_t)d->ret, false);
		else
			tally(in, ev, c, requests(in, ev, c, &c->wire), true);
		break;
	case AM_DATA_TLS_SEND:
		c->tls = true;
		tally(in, ev, c, requests(in, ev, c, &c->plain), true);
		break;
	case AM_DATA_SOCK_RECV: /* the answer to a cleartext POST */
		if (!c->tls)
			responses(in, c, d);
		break;
	case AM_DATA_TLS_RECV:
		responses(in, c, d);
		break;
	default:
		break;
	}
	in->cur = NULL;
	in->cur_conn = NULL;
	mem_account(in, c);
}
