// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fleet.c - a fleet message's JSON back into a struct event (see fleet.h).
 * Library code: no I/O; a refused message is a reason, never a message.
 * The fields read are those output.c's JSON writes, type by type.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "common.h"
#include "export.h"
#include "fleet.h"
#include "output.h"

/* a reader of one object's members: what went wrong is kept, not returned */
struct rd {
	json_t *o;
	enum fleet_bad bad;
};

static const char *const bad_names[FLEET_BAD_N] = {
	[FLEET_OK] = "ok", [FLEET_TOO_LONG] = "too_long", [FLEET_NOT_JSON] = "not_json",
	[FLEET_MISSING] = "missing_field", [FLEET_BAD_VALUE] = "bad_value",
	[FLEET_BAD_HOST] = "bad_host",
};

const char *fleet_bad_name(enum fleet_bad why)
{
	return why < FLEET_BAD_N ? bad_names[why] : "unknown";
}

/* the first failure wins */
static void fail(struct rd *r, enum fleet_bad why)
{
	if (!r->bad)
		r->bad = why;
}

/* member k: NULL when absent (FLEET_MISSING when req) */
static json_t *get(struct rd *r, const char *k, bool req)
{
	json_t *v = json_object_get(r->o, k);

	if (!v && req)
		fail(r, FLEET_MISSING);
	return v;
}

/* a string member; NULL when absent or null */
static const char *str(struct rd *r, const char *k, bool req)
{
	json_t *v = get(r, k, req);

	if (v && !json_is_string(v) && !json_is_null(v))
		fail(r, FLEET_BAD_VALUE);
	return json_string_value(v);
}

/* an integer member in [min, max]; 0 when absent */
static int64_t num(struct rd *r, const char *k, bool req, int64_t min, int64_t max)
{
	json_t *v = get(r, k, req);
	json_int_t n = json_integer_value(v);

	if (v && (!json_is_integer(v) || n < min || n > max)) {
		fail(r, FLEET_BAD_VALUE);
		return 0;
	}
	return n;
}

/* a true/false member; false when absent */
static bool flag(struct rd *r, const char *k)
{
	json_t *v = get(r, k, false);

	if (v && !json_is_boolean(v))
		fail(r, FLEET_BAD_VALUE);
	return json_is_true(v);
}

/* "2026-11-25T12:00:00.123456789Z" as output_rfc3339 writes it (any RFC
 * 3339 time: am_parse_rfc3339), in wall ns */
static uint64_t ts(struct rd *r, const char *k, bool req)
{
	const char *s = str(r, k, req);
	uint64_t ns = 0;

	if (s && am_parse_rfc3339(s, &ns))
		fail(r, FLEET_BAD_VALUE);
	return ns;
}

/* the address s into addr and *family (0 when s is NULL) */
static void addr_of(struct rd *r, const char *s, uint8_t addr[16], uint16_t *family)
{
	*family = 0;
	if (!s)
		return;
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = AF_INET6;
	else
		fail(r, FLEET_BAD_VALUE);
}

/* an address member (null or absent: family 0) */
static void addr(struct rd *r, const char *k, uint8_t a[16], uint16_t *family)
{
	addr_of(r, str(r, k, false), a, family);
}

/* the type for a name; 0 (and bad) for an unknown one */
static uint32_t type_of(struct rd *r, const char *k)
{
	const char *s = str(r, k, true);
	uint32_t t = event_type_from_name(s);

	if (!t) /* absent, null or unknown: no event can be made of it */
		fail(r, s ? FLEET_BAD_VALUE : FLEET_MISSING);
	return t;
}

/* ---- one type's fields ---- */

/* filename, argv (into m->argv, NUL-separated, as decode makes it), cwd */
static void rd_exec(struct rd *r, struct fleet_msg *m)
{
	struct event_exec *x = &m->ev.exec;
	json_t *a = get(r, "argv", true), *v;
	size_t i, total = 0;

	x->filename = str(r, "filename", false);
	x->cwd = str(r, "cwd", false);
	x->argv_trunc = flag(r, "argv_truncated");
	if (a && !json_is_array(a))
		fail(r, FLEET_BAD_VALUE);
	json_array_foreach(a, i, v)
		total += json_string_length(v) + 1;
	if (r->bad || !(m->argv = malloc(total + 1)))
		return fail(r, FLEET_BAD_VALUE);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return fail(r, FLEET_BAD_VALUE);
		memcpy(m->argv + x->argv_len, json_string_value(v), json_string_length(v) + 1);
		x->argv_len += json_string_length(v) + 1;
	}
	x->argv = m->argv;
	x->argc = (uint32_t)json_array_size(a);
}

/* path, ret and what the type adds: new_path, flags and write, mode */
static void rd_file(struct rd *r, uint32_t type, struct event_file *f)
{
	const char *s;
	char *end;

	f->path = str(r, "path", true);
	f->ret = num(r, "ret", false, INT64_MIN, INT64_MAX);
	if (type == AM_EV_RENAME)
		f->new_path = str(r, "new_path", false);
	if (type == AM_EV_OPEN) {
		f->write = flag(r, "write");
		if ((s = str(r, "flags", true)) && output_open_flags_parse(s, &f->flags))
			fail(r, FLEET_BAD_VALUE);
	}
	if (type == AM_EV_CHMOD && (s = str(r, "mode", true))) {
		unsigned long mode = strtoul(s, &end, 8);

		if (*end || end == s || mode > 07777)
			fail(r, FLEET_BAD_VALUE);
		f->mode = (uint32_t)mode;
	}
}

/* "tcp", "udp" or null/absent (0) */
static uint8_t proto_of(struct rd *r)
{
	const char *p = str(r, "proto", false);

	if (p && strcmp(p, "tcp") && strcmp(p, "udp"))
		fail(r, FLEET_BAD_VALUE);
	return !p ? 0 : !strcmp(p, "tcp") ? IPPROTO_TCP : IPPROTO_UDP;
}

/* connect, accept, send; own: the destination name, the first "host" (none
 * for an accept) */
static void rd_net(struct rd *r, uint32_t type, struct event_net *n, const char *own)
{
	const char *ret_key = type == AM_EV_SEND ? "bytes" : "ret";

	n->proto = proto_of(r);
	addr(r, "daddr", n->daddr, &n->family);
	n->dport = (uint16_t)num(r, "dport", true, 0, UINT16_MAX);
	n->host = type == AM_EV_ACCEPT ? NULL : own;
	n->has_ret = get(r, ret_key, false) != NULL;
	n->ret = num(r, ret_key, false, INT64_MIN, INT64_MAX);
	n->io_uring = flag(r, "io_uring");
}

/* a request; own: its destination name (the first "host") */
static void rd_http(struct rd *r, struct event_http *h, const char *own)
{
	const char *v = str(r, "version", false);

	h->method = str(r, "method", false);
	h->host = own;
	h->path = str(r, "path", false);
	addr(r, "daddr", h->net.daddr, &h->net.family);
	h->net.dport = (uint16_t)num(r, "dport", true, 0, UINT16_MAX);
	h->net.proto = IPPROTO_TCP;
	h->tls = flag(r, "tls");
	h->bytes = (uint64_t)num(r, "bytes", false, 0, INT64_MAX);
	h->version = v && !strcmp(v, "2") ? 20 : 11;
	h->req_host = str(r, "req_host", false);
	h->incomplete = str(r, "incomplete", false);
	h->status = (int)num(r, "status", false, 0, 999);
}

/* query and answers (addresses into m->answers and m->families) */
static void rd_dns(struct rd *r, struct fleet_msg *m)
{
	json_t *a = get(r, "answers", false), *v;
	size_t i, n = json_array_size(a);

	m->ev.dns.query = str(r, "query", true);
	if (a && !json_is_array(a))
		return fail(r, FLEET_BAD_VALUE);
	if (!n)
		return;
	m->answers = calloc(n, sizeof(*m->answers));
	m->families = calloc(n, sizeof(*m->families));
	if (!m->answers || !m->families)
		return fail(r, FLEET_BAD_VALUE);
	json_array_foreach(a, i, v) {
		addr_of(r, json_string_value(v), m->answers[i], &m->families[i]);
		if (!m->families[i])
			return fail(r, FLEET_BAD_VALUE);
	}
	m->ev.dns.answers = (const uint8_t (*)[16])m->answers;
	m->ev.dns.families = m->families;
	m->ev.dns.n_answers = n;
}

/* a call not followed; "request" makes it a ptrace, compat a 32-bit one */
static void rd_syscall(struct rd *r, struct event_syscall *y)
{
	y->name = str(r, "syscall", true);
	y->compat = flag(r, "compat");
	y->nr = (uint32_t)num(r, "nr", false, 0, UINT32_MAX);
	y->target = (uint32_t)num(r, "target_pid", false, 0, UINT32_MAX);
	y->ret = num(r, "ret", false, INT64_MIN, INT64_MAX);
	y->kind = y->compat ? AM_SYS_COMPAT : 0;
	if (get(r, "request", false)) {
		y->kind = AM_SYS_PTRACE;
		y->arg = (uint64_t)num(r, "request", false, 0, INT64_MAX);
	}
}

/* s into a fixed buffer of len bytes, cut */
static void copy_cut(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

/* an llm event's "cut" object (absent: nothing cut) */
static void rd_llm_cut(struct rd *r, struct fleet_msg *m)
{
	struct rd c = { .o = get(r, "cut", false) };

	if (!c.o)
		return;
	if (!json_is_object(c.o))
		return fail(r, FLEET_BAD_VALUE);
	m->llm.prompt_cut = flag(&c, "prompt");
	m->llm.prompt_partial = flag(&c, "request_partial");
	m->ev.llm.evicted = flag(&c, "evicted");
	m->llm.inputs_cut = (uint32_t)num(&c, "inputs", false, 0, UINT32_MAX);
	m->llm.tools_dropped = (uint32_t)num(&c, "tools_dropped", false, 0, UINT32_MAX);
	m->llm.bad_json = (uint32_t)num(&c, "bad_json", false, 0, UINT32_MAX);
	m->ev.llm.missed = (uint64_t)num(&c, "bytes_missed", false, 0, INT64_MAX);
	fail(r, c.bad);
}

/* an llm exchange into m->llm (strings cut to its bounds, at most
 * LLM_TOOLS_MAX tools); own: the model API's host */
static void rd_llm(struct rd *r, struct fleet_msg *m, const char *own)
{
	struct llm *x = &m->llm;
	const char *api = str(r, "api", false);
	json_t *tools = get(r, "tools", false), *v;
	size_t i;

	if (api) {   /* one of llm_api_name's ("unknown" too); else refused, not guessed */
		x->api = LLM_NONE;
		while (x->api <= LLM_GEMINI && strcmp(llm_api_name(x->api), api))
			x->api++;
		if (x->api > LLM_GEMINI) {
			x->api = LLM_NONE;
			fail(r, FLEET_BAD_VALUE);
		}
	}
	copy_cut(x->model, sizeof(x->model), str(r, "model", false));
	copy_cut(x->prompt, sizeof(x->prompt), str(r, "prompt", false));
	if (tools && !json_is_array(tools))
		fail(r, FLEET_BAD_VALUE);
	json_array_foreach(tools, i, v) {
		struct rd t = { .o = v };
		struct llm_tool *tl = &x->tools[x->n_tools];

		if (!json_is_object(v) || x->n_tools >= LLM_TOOLS_MAX)
			return fail(r, FLEET_BAD_VALUE);
		copy_cut(tl->name, sizeof(tl->name), str(&t, "name", false));
		copy_cut(tl->input, sizeof(tl->input), str(&t, "input", false));
		tl->input_len = strlen(tl->input);
		tl->key = -1;
		x->n_tools++;
		fail(r, t.bad);
	}
	rd_llm_cut(r, m);
	m->ev.llm.host = own;
	m->ev.llm.x = x;
}

/* the fields of type (an alert's cause type for an alert) */
static void rd_fields(struct rd *r, struct fleet_msg *m, uint32_t type, const char *own)
{
	struct event *ev = &m->ev;

	switch (type) {
	case AM_EV_EXEC: rd_exec(r, m); break;
	case AM_EV_EXIT:
		ev->exit.exit_code = (int)num(r, "exit_code", true, INT32_MIN, INT32_MAX);
		ev->exit.signal = (int)num(r, "signal", false, 0, INT32_MAX);
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		rd_file(r, type, &ev->file);
		break;
	case AM_EV_CONNECT: case AM_EV_ACCEPT: case AM_EV_SEND:
		rd_net(r, type, &ev->net, own);
		break;
	case AM_EV_DROP:
		ev->drop.lost = (uint64_t)num(r, "lost", true, 0, INT64_MAX);
		ev->drop.reason = str(r, "reason", false);
		break;
	case AM_EV_TAG:
		ev->tag.how = str(r, "how", false);
		ev->tag.since_ns = ts(r, "since", false);
		break;
	case AM_EV_HTTP: rd_http(r, &ev->http, own); break;
	case AM_EV_SYSCALL: rd_syscall(r, &ev->sys); break;
	case AM_EV_DNS: rd_dns(r, m); break;
	case AM_EV_LLM: rd_llm(r, m, own); break;
	default: break;
	}
}

/* an alert's "intent" object into m->intent (absent or null: none) */
static void rd_intent(struct rd *r, struct fleet_msg *m)
{
	struct rd i = { .o = get(r, "intent", false) };
	struct event_intent *it = &m->intent;

	if (!i.o || json_is_null(i.o))
		return;
	if (!json_is_object(i.o))
		return fail(r, FLEET_BAD_VALUE);
	it->tool = str(&i, "tool", false);
	it->input = str(&i, "input", false);
	it->prompt = str(&i, "prompt", false);
	it->model = str(&i, "model", false);
	it->host = str(&i, "host", false);
	it->match = str(&i, "match", false);
	it->ts_ns = ts(&i, "ts", false);
	m->alert.intent = it;
	fail(r, i.bad);
}

/* an alert_storm's hosts and times */
static void rd_storm(struct rd *r, struct fleet_msg *m)
{
	json_t *a = get(r, "hosts", false), *v;
	size_t i;

	if (!a)
		return;
	if (!json_is_array(a))
		return fail(r, FLEET_BAD_VALUE);
	if (json_array_size(a) && !(m->hosts = calloc(json_array_size(a), sizeof(*m->hosts))))
		return fail(r, FLEET_BAD_VALUE);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return fail(r, FLEET_BAD_VALUE);
		m->hosts[i] = json_string_value(v);
	}
	m->alert.hosts = m->hosts;
	m->alert.n_hosts = json_array_size(a);
	m->alert.first_ns = ts(r, "first_ts", true);
	m->alert.last_ns = ts(r, "last_ts", true);
}

/* the alert's own members; its cause's type */
static uint32_t rd_alert(struct rd *r, struct fleet_msg *m)
{
	struct event_alert *al = &m->alert;

	al->rule = str(r, "rule", true);
	al->severity = str(r, "severity", false);
	al->summary = str(r, "summary", false);
	al->chain = str(r, "chain", false);
	al->count = (uint32_t)num(r, "count", false, 0, UINT32_MAX);
	al->cause_type = type_of(r, "cause");
	rd_intent(r, m);
	rd_storm(r, m);
	m->ev.alert = al;
	return al->cause_type;
}

/* ---- the two hosts ---- */

static size_t skip_ws(const char *b, size_t len, size_t at)
{
	while (at < len && (b[at] == ' ' || b[at] == '\t' || b[at] == '\n' || b[at] == '\r'))
		at++;
	return at;
}

/* the JSON value at *at (a new reference), *at past it; NULL when none */
static json_t *value_at(const char *b, size_t len, size_t *at)
{
	json_error_t e;
	json_t *v;

	*at = skip_ws(b, len, *at);
	v = json_loadb(b + *at, len - *at, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
	if (v)
		*at = skip_ws(b, len, *at + (size_t)e.position);
	return v;
}

/*
 * the first top-level "host" member's value of the object text b (a new
 * reference, NULL when none) and how many there are; b was parsed whole
 * already, so each step only finds where the next member starts
 */
static json_t *first_host(const char *b, size_t len, size_t *count)
{
	size_t at = skip_ws(b, len, 0) + 1; /* past '{' */
	json_t *first = NULL, *k, *v;

	*count = 0;
	while (at < len && b[at] != '}' && (k = value_at(b, len, &at))) {
		at++; /* ':' */
		v = value_at(b, len, &at);
		if (v && json_is_string(k) && !strcmp(json_string_value(k), "host") && !(*count)++)
			first = json_incref(v);
		json_decref(k);
		json_decref(v);
		if (!v || at >= len || b[at] != ',')
			break;
		at++;
	}
	return first;
}

/* whether host's subject form is sub (always, without sub) */
static bool names(const char *host, const char *sub)
{
	char s[FLEET_HOST_MAX];

	if (!host || !sub)
		return host != NULL;
	export_subject_host(host, s, sizeof(s));
	return strlen(host) < sizeof(s) && !strcmp(s, sub);
}

/* m->ev.fleet_host and the event's own host, from the "host" members */
static const char *rd_hosts(struct rd *r, struct fleet_msg *m, const char *sub, const void *body,
			    size_t len)
{
	const char *last = str(r, "host", false), *first, *own = NULL;
	size_t n = 0;

	m->own_host = first_host(body, len, &n);
	first = json_string_value(m->own_host);
	if (n > 1 && !names(last, sub) && names(first, sub)) {
		m->ev.fleet_host = first; /* the sender's came first */
		own = last;
	} else {
		m->ev.fleet_host = last;
		own = n > 1 ? first : NULL;
	}
	if (!names(m->ev.fleet_host, sub) || strlen(m->ev.fleet_host) >= FLEET_HOST_MAX)
		fail(r, FLEET_BAD_HOST);
	return own;
}

/* ---- the message ---- */

/* the members every event has (ts, type, pid, comm required) */
static void rd_common(struct rd *r, struct event *ev)
{
	const char *comm = str(r, "comm", true);

	ev->ts_ns = ts(r, "ts", true);
	ev->type = type_of(r, "type");
	ev->pid = (uint32_t)num(r, "pid", true, 0, UINT32_MAX);
	ev->tid = (uint32_t)num(r, "tid", false, 0, UINT32_MAX);
	ev->ppid = (uint32_t)num(r, "ppid", false, 0, UINT32_MAX);
	ev->uid = (uint32_t)num(r, "uid", false, 0, UINT32_MAX);
	ev->agent_pid = (uint32_t)num(r, "agent_pid", false, 0, UINT32_MAX);
	ev->agent = str(r, "agent", false);
	ev->agent_id = ev->agent ? 0 : AM_AGENT_NONE;
	ev->exe = str(r, "exe", false);
	copy_cut(ev->comm, sizeof(ev->comm), comm);
}

enum fleet_bad fleet_msg_parse(struct fleet_msg *m, const char *subject_host, const void *body,
			       size_t len)
{
	struct rd r = { 0 };
	uint32_t type;
	const char *own;

	memset(m, 0, sizeof(*m));
	if (len > FLEET_MSG_MAX)
		return FLEET_TOO_LONG;
	if (!(m->root = r.o = json_loadb(body, len, 0, NULL)) || !json_is_object(r.o)) {
		fleet_msg_clear(m);
		return FLEET_NOT_JSON;
	}
	rd_common(&r, &m->ev);
	own = rd_hosts(&r, m, subject_host, body, len);
	type = m->ev.type == AM_EV_ALERT ? rd_alert(&r, m) : m->ev.type;
	if (!r.bad && type != AM_EV_ALERT)
		rd_fields(&r, m, type, own);
	if (r.bad)
		fleet_msg_clear(m);
	return r.bad;
}

void fleet_msg_clear(struct fleet_msg *m)
{
	json_decref(m->root);
	json_decref(m->own_host);
	free(m->argv);
	free(m->answers);
	free(m->families);
	free(m->hosts);
	memset(m, 0, sizeof(*m));
}
