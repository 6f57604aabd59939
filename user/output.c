// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * output.c - the stdout sink (see output.h).
 *
 * JSON: one object per line with the fields of SPEC.md "Events: JSON Lines".
 * Text: one line per event for people,
 *   12:00:00.123 claude/bash[1234] open /home/u/x O_WRONLY|O_CREAT = 3
 * (local time, "AGENT/COMM[PID]", COMM alone when untagged, AGENT alone when
 * it equals COMM).  Control bytes (C0, DEL, C1) and invalid UTF-8 in text
 * are shown as \xNN (escape.h) so that a file name cannot drive the terminal.
 *
 * Lines are queued in o->buf and written by output_flush(), or when the
 * queue passes OUT_FLUSH_AT bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "escape.h"
#include "intent.h"
#include "output.h"
#include "view.h"

#define OUT_FLUSH_AT (64u << 10)

struct output {
	FILE *f;
	enum output_format fmt;
	bool color;
	struct jw buf;   /* queued lines */
	struct view *view; /* the compact text view, NULL: every event */
};

struct output *output_new(FILE *f, enum output_format fmt, bool color)
{
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	o->fmt = fmt;
	o->color = color;
	jw_init(&o->buf);
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	jw_free(&o->buf);
	view_free(o->view);
	free(o);
}

int output_parse_format(const char *s, enum output_format *fmt)
{
	if (s && strcmp(s, "text") == 0)
		*fmt = OUTPUT_TEXT;
	else if (s && strcmp(s, "json") == 0)
		*fmt = OUTPUT_JSON;
	else
		return -EINVAL;
	return 0;
}

/* ---- shared helpers ---- */

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
}

/* the text of a net address, or NULL for an unknown family */
static const char *addr_text(uint16_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	return inet_ntop(family, addr, buf, (socklen_t)len);
}

/* the text of a destination: host, else n's address ("[v6]"), into buf
 * (inspect.c's dest_name is another thing: which name a connection has) */
static const char *dest_text(const struct event_net *n, const char *host, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const char *ad = addr_text(n->family, n->daddr, a, sizeof(a));

	if (host && *host)
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, n->family == AF_INET6 ? "[%s]" : "%s", ad ? ad : "?");
	return buf;
}

const char *output_net_dest(const struct event_net *n, char *buf, size_t len)
{
	char d[300];

	snprintf(buf, len, "%s:%u", dest_text(n, n->host, d, sizeof(d)), n->dport);
	return buf;
}

const char *output_http_url(const struct event_http *h, char *buf, size_t len)
{
	char d[300], port[8] = "";
	const char *host = h->host && *h->host ? h->host : h->net.host;
	const char *path = h->path ? h->path : "";

	if (h->net.dport && h->net.dport != (h->tls ? 443 : 80))
		snprintf(port, sizeof(port), ":%u", h->net.dport);
	/* an absolute-form target (to a proxy) is already a URL */
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s://%s%s%s%s", h->tls ? "https" : "http",
			 dest_text(&h->net, host, d, sizeof(d)), port, *path == '/' ? "" : "/", path);
	return buf;
}

/* "2026-11-25T12:00:00.123456789Z"; the second's part is formatted once
 * per second and thread (events come in time order: no strftime each) */
void output_rfc3339(uint64_t ns, char *buf, size_t len)
{
	static __thread char sec_text[40];
	static __thread uint64_t sec_of = UINT64_MAX;
	static __thread size_t sec_len;
	uint64_t sec = ns / 1000000000ull, frac = ns % 1000000000ull;
	char tail[12] = ".000000000Z";

	if (sec != sec_of) {
		time_t t = (time_t)sec;
		struct tm tm;

		sec_len = gmtime_r(&t, &tm) ?
			  strftime(sec_text, sizeof(sec_text), "%Y-%m-%dT%H:%M:%S", &tm) : 0;
		sec_of = sec;
	}
	for (int i = 9; i > 0; i--, frac /= 10)
		tail[i] = (char)('0' + frac % 10);
	if (len < sec_len + sizeof(tail)) {
		snprintf(buf, len, "%.*s%s", (int)sec_len, sec_text, tail);
		return;
	}
	memcpy(buf, sec_text, sec_len);
	memcpy(buf + sec_len, tail, sizeof(tail));
}

/* ---- JSON ---- */

static void json_common(struct jw *w, const struct event *ev)
{
	char ts[48];

	output_rfc3339(ev->ts_ns, ts, sizeof(ts));
	jw_key(w, "ts");        jw_str(w, ts);
	jw_key(w, "type");      jw_str(w, event_type_name(ev->type));
	jw_key(w, "pid");       jw_uint(w, ev->pid);
	jw_key(w, "tid");       jw_uint(w, ev->tid);
	jw_key(w, "ppid");      jw_uint(w, ev->ppid);
	jw_key(w, "uid");       jw_uint(w, ev->uid);
	jw_key(w, "comm");      jw_str(w, ev->comm);
	jw_key(w, "exe");       jw_str(w, ev->exe);
	jw_key(w, "agent");     jw_str(w, ev->agent);
	jw_key(w, "agent_pid"); jw_uint(w, ev->agent_pid);
}

static void json_exec(struct jw *w, const struct event_exec *x)
{
	const char *a = x->argv, *end = x->argv + x->argv_len;

	jw_key(w, "filename");
	jw_str(w, x->filename);
	jw_key(w, "argv");
	jw_arr_begin(w);
	for (uint32_t i = 0; a && i < x->argc && a < end; i++) {
		size_t n = strnlen(a, (size_t)(end - a));

		jw_strn(w, a, n);
		a += n + 1;
	}
	jw_arr_end(w);
	jw_key(w, "cwd");
	jw_str(w, x->cwd);
	if (x->argv_trunc) {
		jw_key(w, "argv_truncated");
		jw_bool(w, true);
	}
}

static void json_file(struct jw *w, uint32_t type, const struct event_file *f)
{
	char b[256];

	jw_key(w, "path");
	jw_str(w, f->path);
	if (type == AM_EV_RENAME) {
		jw_key(w, "new_path");
		jw_str(w, f->new_path);
	} else if (type == AM_EV_OPEN) {
		jw_key(w, "flags");
		jw_str(w, output_open_flags(f->flags, b, sizeof(b)));
		jw_key(w, "write");
		jw_bool(w, f->write);
	} else if (type == AM_EV_CHMOD) {
		snprintf(b, sizeof(b), "%04o", f->mode & 07777);
		jw_key(w, "mode");
		jw_str(w, b);
	}
	jw_key(w, "ret");
	jw_int(w, f->ret);
}

static void json_net(struct jw *w, uint32_t type, const struct event_net *n)
{
	char a[INET6_ADDRSTRLEN];

	jw_key(w, "proto");
	jw_str(w, proto_name(n->proto));
	jw_key(w, "daddr");
	jw_str(w, addr_text(n->family, n->daddr, a, sizeof(a)));
	jw_key(w, "dport");
	jw_uint(w, n->dport);
	if (n->host && type != AM_EV_ACCEPT) {
		jw_key(w, "host");
		jw_str(w, n->host);
	}
	if (n->has_ret) {
		jw_key(w, type == AM_EV_SEND ? "bytes" : "ret");
		jw_int(w, n->ret);
	}
	if (n->io_uring) {
		jw_key(w, "io_uring");
		jw_bool(w, true);
	}
}

static void json_syscall(struct jw *w, const struct event_syscall *y)
{
	jw_key(w, "syscall"); jw_str(w, y->name);
	jw_key(w, "compat");  jw_bool(w, y->compat);
	jw_key(w, "nr");      jw_uint(w, y->nr);
	if (y->target) {
		jw_key(w, "target_pid");
		jw_uint(w, y->target);
	}
	if (y->kind == AM_SYS_PTRACE) {
		jw_key(w, "request");
		jw_uint(w, y->arg);
	}
	jw_key(w, "ret");     jw_int(w, y->ret);
}

static void json_http(struct jw *w, const struct event_http *h)
{
	char a[INET6_ADDRSTRLEN];

	jw_key(w, "method");  jw_str(w, h->method);
	jw_key(w, "host");    jw_str(w, h->host && *h->host ? h->host : h->net.host);
	jw_key(w, "path");    jw_str(w, h->path);
	jw_key(w, "daddr");   jw_str(w, addr_text(h->net.family, h->net.daddr, a, sizeof(a)));
	jw_key(w, "dport");   jw_uint(w, h->net.dport);
	jw_key(w, "tls");     jw_bool(w, h->tls);
	jw_key(w, "bytes");   jw_uint(w, h->bytes);
	jw_key(w, "version"); jw_str(w, h->version == 20 ? "2" : "1.1");
	if (h->req_host) {
		jw_key(w, "req_host");
		jw_str(w, h->req_host);
	}
	if (h->incomplete) {
		jw_key(w, "incomplete");
		jw_str(w, h->incomplete);
	}
	if (h->status) {
		jw_key(w, "status");
		jw_int(w, h->status);
	}
}

static void json_dns(struct jw *w, const struct event_dns *d)
{
	char a[INET6_ADDRSTRLEN];

	jw_key(w, "query");
	jw_str(w, d->query);
	jw_key(w, "answers");
	jw_arr_begin(w);
	for (size_t i = 0; d->answers && d->families && i < d->n_answers; i++) {
		const char *t = addr_text(d->families[i], d->answers[i], a, sizeof(a));

		if (t)
			jw_str(w, t);
	}
	jw_arr_end(w);
}

/* an alert_storm's hosts, first_ts and last_ts */
static void json_storm(struct jw *w, const struct event_alert *al)
{
	char ts[40];

	jw_key(w, "hosts");
	jw_arr_begin(w);
	for (size_t i = 0; al->hosts && i < al->n_hosts; i++)
		jw_str(w, al->hosts[i]);
	jw_arr_end(w);
	output_rfc3339(al->first_ns, ts, sizeof(ts));
	jw_key(w, "first_ts");
	jw_str(w, ts);
	output_rfc3339(al->last_ns, ts, sizeof(ts));
	jw_key(w, "last_ts");
	jw_str(w, ts);
}

static void json_alert(struct jw *w, const struct event_alert *al)
{
	jw_key(w, "rule");     jw_str(w, al->rule);
	jw_key(w, "severity"); jw_str(w, al->severity);
	jw_key(w, "summary");  jw_str(w, al->summary);
	jw_key(w, "chain");    jw_str(w, al->chain);
	jw_key(w, "count");    jw_uint(w, al->count);
	jw_key(w, "cause");    jw_str(w, event_type_name(al->cause_type));
	if (al->intent)
		intent_json(w, al->intent);
	if (al->first_ns)
		json_storm(w, al);
}

static void json_tag(struct jw *w, const struct event_tag *t)
{
	char ts[40];

	output_rfc3339(t->since_ns, ts, sizeof(ts));
	jw_key(w, "how");       jw_str(w, t->how);
	jw_key(w, "since");     jw_str(w, ts);
	jw_key(w, "unwatched"); jw_bool(w, true);
}

/* the fields of an event of type (an alert's cause type for an alert) */
static void json_fields(struct jw *w, uint32_t type, const struct event *ev)
{
	switch (type) {
	case AM_EV_EXEC:
		json_exec(w, &ev->exec);
		break;
	case AM_EV_EXIT:
		jw_key(w, "exit_code");
		jw_int(w, ev->exit.exit_code);
		if (ev->exit.signal) {
			jw_key(w, "signal");
			jw_int(w, ev->exit.signal);
		}
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		json_file(w, type, &ev->file);
		break;
	case AM_EV_CONNECT: case AM_EV_ACCEPT: case AM_EV_SEND:
		json_net(w, type, &ev->net);
		break;
	case AM_EV_DROP:
		jw_key(w, "lost");
		jw_uint(w, ev->drop.lost);
		if (ev->drop.reason) {
			jw_key(w, "reason");
			jw_str(w, ev->drop.reason);
		}
		break;
	case AM_EV_TAG:
		json_tag(w, &ev->tag);
		break;
	case AM_EV_HTTP:
		json_http(w, &ev->http);
		break;
	case AM_EV_SYSCALL:
		json_syscall(w, &ev->sys);
		break;
	case AM_EV_DNS:
		json_dns(w, &ev->dns);
		break;
	case AM_EV_LLM:
		intent_llm_json(w, &ev->llm);
		break;
	default:
		break;
	}
}

void output_event_json(struct jw *w, const struct event *ev)
{
	jw_obj_begin(w);
	json_common(w, ev);
	if (ev->type == AM_EV_ALERT && ev->alert) {
		json_alert(w, ev->alert);
		if (ev->alert->cause_type != AM_EV_ALERT)
			json_fields(w, ev->alert->cause_type, ev);
	} else {
		json_fields(w, ev->type, ev);
	}
	if (ev->fleet_host) { /* as the exporter adds it: last */
		jw_key(w, "host");
		jw_str(w, ev->fleet_host);
	}
	jw_obj_end(w);
}

/* ---- text ---- */

#define addf jw_printf /* json.h */

void output_text_safe(struct jw *b, const char *s, size_t n)
{
	if (!s) {
		jw_raw(b, "?", 1);
		return;
	}
	while (n) {
		size_t bad, run = escape_span(s, n, &bad);

		jw_raw(b, s, run);
		for (size_t i = 0; i < bad; i++)
			addf(b, "\\x%02x", (unsigned char)s[run + i]);
		s += run + bad;
		n -= run + bad;
	}
}

static void add_str(struct jw *b, const char *s)
{
	output_text_safe(b, s, s ? strlen(s) : 0);
}

void output_text_who(struct jw *b, const char *color, const char *agent, const char *comm,
		     uint32_t pid)
{
	bool same = agent && strcmp(agent, comm) == 0;

	if (agent) {
		if (color)
			jw_raw(b, color, strlen(color));
		add_str(b, agent);
		if (color)
			jw_raw(b, "\033[0m", 4);
		if (!same)
			jw_raw(b, "/", 1);
	}
	if (!same)
		add_str(b, comm);
	addf(b, "[%u]", pid);
}

static void text_exec(struct jw *b, const struct event_exec *x)
{
	const char *a = x->argv, *end = x->argv + x->argv_len;

	jw_raw(b, " ", 1);
	add_str(b, x->filename);
	jw_raw(b, " [", 2);
	for (uint32_t i = 0; a && i < x->argc && a < end; i++) {
		size_t n = strnlen(a, (size_t)(end - a));

		if (i)
			jw_raw(b, " ", 1);
		output_text_safe(b, a, n);
		a += n + 1;
	}
	jw_raw(b, x->argv_trunc ? " ...]" : "]", x->argv_trunc ? 5 : 1);
}

static void text_file(struct jw *b, uint32_t type, const struct event_file *f)
{
	char fl[256];

	jw_raw(b, " ", 1);
	add_str(b, f->path);
	if (type == AM_EV_RENAME) {
		jw_raw(b, " -> ", 4);
		add_str(b, f->new_path);
	} else if (type == AM_EV_OPEN) {
		addf(b, " %s", output_open_flags(f->flags, fl, sizeof(fl)));
	} else if (type == AM_EV_CHMOD) {
		addf(b, " %04o", f->mode & 07777);
	}
	addf(b, " = %lld", (long long)f->ret);
}

static void text_net(struct jw *b, uint32_t type, const struct event_net *n)
{
	char a[INET6_ADDRSTRLEN];
	const char *p = proto_name(n->proto);
	const char *ad = addr_text(n->family, n->daddr, a, sizeof(a));
	bool v6 = n->family == AF_INET6;

	addf(b, " %s %s%s%s:%u", p ? p : "?", v6 ? "[" : "", ad ? ad : "?", v6 ? "]" : "",
	     n->dport);
	if (n->host && type != AM_EV_ACCEPT) {
		jw_raw(b, " (", 2);
		add_str(b, n->host);
		jw_raw(b, ")", 1);
	}
	if (n->has_ret)
		addf(b, type == AM_EV_SEND ? " %lld bytes" : " = %lld", (long long)n->ret);
	if (n->io_uring)
		jw_raw(b, " io_uring", 9);
}

static void text_http(struct jw *b, const struct event_http *h)
{
	char u[2048], a[INET6_ADDRSTRLEN];
	const char *ad = addr_text(h->net.family, h->net.daddr, a, sizeof(a));
	bool v6 = h->net.family == AF_INET6;

	jw_raw(b, " ", 1);
	add_str(b, h->method ? h->method : "?");
	jw_raw(b, " ", 1);
	add_str(b, output_http_url(h, u, sizeof(u)));
	addf(b, " (%s%s%s:%u) %llu bytes HTTP/%s", v6 ? "[" : "", ad ? ad : "?", v6 ? "]" : "",
	     h->net.dport, (unsigned long long)h->bytes, h->version == 20 ? "2" : "1.1");
	if (h->req_host) {
		jw_raw(b, " names ", 7);
		add_str(b, h->req_host);
	}
	if (h->incomplete) {
		addf(b, " head ");
		add_str(b, h->incomplete);
	}
	if (h->status)
		addf(b, " = %d", h->status);
}

static void text_dns(struct jw *b, const struct event_dns *d)
{
	char a[INET6_ADDRSTRLEN];

	jw_raw(b, " ", 1);
	add_str(b, d->query);
	jw_raw(b, " ->", 3);
	for (size_t i = 0; d->answers && d->families && i < d->n_answers; i++) {
		const char *t = addr_text(d->families[i], d->answers[i], a, sizeof(a));

		addf(b, "%s %s", i ? "," : "", t ? t : "?");
	}
	if (!d->n_answers)
		jw_raw(b, " (none)", 7);
}

void output_text_details(struct jw *b, const struct event *ev)
{
	switch (ev->type) {
	case AM_EV_EXEC:
		text_exec(b, &ev->exec);
		break;
	case AM_EV_EXIT:
		addf(b, " %d", ev->exit.exit_code);
		if (ev->exit.signal)
			addf(b, " (signal %d)", ev->exit.signal);
		break;
	case AM_EV_FORK:
		addf(b, " from %u", ev->ppid);
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		text_file(b, ev->type, &ev->file);
		break;
	case AM_EV_CONNECT: case AM_EV_ACCEPT: case AM_EV_SEND:
		text_net(b, ev->type, &ev->net);
		break;
	case AM_EV_DROP:
		addf(b, " %llu events lost", (unsigned long long)ev->drop.lost);
		if (ev->drop.reason) {
			jw_raw(b, ": ", 2);
			add_str(b, ev->drop.reason);
		}
		break;
	case AM_EV_HTTP:
		text_http(b, &ev->http);
		break;
	case AM_EV_SYSCALL:
		jw_raw(b, " ", 1);
		add_str(b, ev->sys.name); /* a fleet message's is hostile: escaped */
		if (ev->sys.compat)
			jw_raw(b, " (32-bit table)", 15);
		if (ev->sys.target)
			addf(b, " pid %u", ev->sys.target);
		addf(b, " = %lld", (long long)ev->sys.ret);
		break;
	case AM_EV_DNS:
		text_dns(b, &ev->dns);
		break;
	case AM_EV_LLM: {
		char t[1024];

		add_str(b, (intent_llm_text(&ev->llm, t, sizeof(t)), t));
		break;
	}
	case AM_EV_TAG: {
		char ts[40];

		output_rfc3339(ev->tag.since_ns, ts, sizeof(ts));
		jw_raw(b, " ", 1);
		add_str(b, ev->tag.how); /* a fleet message's is hostile: escaped */
		addf(b, ": running since %s; its activity before was not watched", ts);
		break;
	}
	default:
		break;
	}
}

void output_text_alert(struct jw *b, bool color, const struct event_alert *al)
{
	bool hot = al->severity && (!strcmp(al->severity, "high") ||
				    !strcmp(al->severity, "critical"));

	if (color)
		jw_raw(b, hot ? "\033[1;31m" : "\033[1;33m", 7);
	jw_raw(b, "ALERT ", 6);
	add_str(b, al->severity);
	jw_raw(b, " ", 1);
	add_str(b, al->rule);
	jw_raw(b, ": ", 2);
	add_str(b, al->summary);
	if (color)
		jw_raw(b, "\033[0m", 4);
	if (al->chain && *al->chain) {
		jw_raw(b, " [", 2);
		add_str(b, al->chain);
		jw_raw(b, "]", 1);
	}
	if (al->intent) {
		char t[1024];

		intent_text(al->intent, t, sizeof(t));
		jw_raw(b, "\n    ", 5);
		add_str(b, t);
	}
}

void output_text_host(struct jw *b, const char *host)
{
	if (!host)
		return;
	add_str(b, host);
	jw_raw(b, " ", 1);
}

void output_text_time(struct jw *b, uint64_t ts_ns)
{
	time_t sec = (time_t)(ts_ns / 1000000000ull);
	struct tm tm;

	localtime_r(&sec, &tm);
	addf(b, "%02d:%02d:%02d.%03u ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	     (unsigned)(ts_ns % 1000000000ull / 1000000));
}

static void text_line(struct jw *b, bool color, const struct event *ev)
{
	output_text_time(b, ev->ts_ns);
	output_text_host(b, ev->fleet_host);
	if (ev->type == AM_EV_ALERT && ev->alert) {
		output_text_alert(b, color, ev->alert);
	} else {
		output_text_who(b, color ? "\033[1;36m" : NULL, ev->agent, ev->comm, ev->pid);
		addf(b, " %s", event_type_name(ev->type));
		output_text_details(b, ev);
	}
	jw_raw(b, "\n", 1);
}

void output_line(struct jw *w, const struct event *ev, enum output_format fmt, bool color)
{
	if (fmt == OUTPUT_JSON) {
		w->comma = false; /* a new top-level value: no comma before it */
		output_event_json(w, ev);
		jw_raw(w, "\n", 1);
		w->comma = false;
	} else {
		text_line(w, color, ev);
	}
}

size_t output_missed_line(char *buf, size_t len, enum output_format fmt, uint64_t missed,
			  uint64_t ts_ns)
{
	char ts[48];
	int n;

	output_rfc3339(ts_ns, ts, sizeof(ts));
	if (fmt == OUTPUT_JSON)
		n = snprintf(buf, len, "{\"ts\":\"%s\",\"type\":\"missed\",\"missed\":%llu}\n",
			     ts, (unsigned long long)missed);
	else
		n = snprintf(buf, len, "-- missed %llu events (this client read too slowly)\n",
			     (unsigned long long)missed);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

int output_compact(struct output *o)
{
	if (o->fmt != OUTPUT_TEXT || o->view)
		return 0;
	return (o->view = view_new(o->color)) ? 0 : -ENOMEM;
}

/* a line was queued: flushed when enough are */
static int queued(struct output *o)
{
	if (o->buf.oom) {
		jw_reset(&o->buf);
		return -ENOMEM;
	}
	return o->buf.len >= OUT_FLUSH_AT ? output_flush(o) : 0;
}

int output_event(struct output *o, const struct event *ev)
{
	if (o->view)
		view_event(o->view, &o->buf, ev);
	else
		output_line(&o->buf, ev, o->fmt, o->color);
	return queued(o);
}

bool output_is_json(const struct output *o)
{
	return o->fmt == OUTPUT_JSON && !o->view;
}

int output_json_line(struct output *o, const char *json, size_t len)
{
	jw_raw(&o->buf, json, len);
	jw_raw(&o->buf, "\n", 1);
	o->buf.comma = false;
	return queued(o);
}

int output_view_policy(struct output *o, const struct policy_view *pv)
{
	return o->view ? view_policy(o->view, pv) : 0;
}

void output_tick(struct output *o, uint64_t now_ns)
{
	if (o->view)
		view_tick(o->view, &o->buf, now_ns);
}

void output_finish(struct output *o, uint64_t ts_ns)
{
	if (o->view)
		view_flush(o->view, &o->buf, ts_ns);
}

int output_flush(struct output *o)
{
	int err = 0;

	errno = 0;
	if (o->buf.len && fwrite(o->buf.buf, 1, o->buf.len, o->f) != o->buf.len)
		err = errno ? -errno : -EIO;
	jw_reset(&o->buf);
	if (fflush(o->f) != 0 && !err)
		err = errno ? -errno : -EIO;
	return err;
}
