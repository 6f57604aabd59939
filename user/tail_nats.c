// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tail_nats.c - `agentmon tail --nats URL`: the fleet's events from a NATS
 * JetStream stream (SPEC.md "Fleet"), filtered and rendered here with the
 * local tail's code: tail_filter_match (subscribers.h), the compact view
 * (view.h, one per host: pids of different hosts are different processes)
 * and output_line (output.h), the host after the time.
 *
 * The consumer: a push consumer on <subject>.> (or <subject>.<host>.> with
 * --host), ephemeral and from new messages by default (--all: from the
 * stream's first message; --since: from a time); --durable NAME keeps
 * its place in the stream, so a restarted tail prints what came while it
 * was stopped, once (every message is acked once printed).  Types are
 * filtered here, not by subject: a drop event passes every filter, as in the
 * local tail, and one consumer has one filter subject (nats-server 2.9).
 *
 * A message whose subject or body is not what an exporter sends is counted
 * by reason (fleet.h), said once per reason on stderr, acked and skipped.
 * Connection lost: libnats reconnects (backoff up to 5 s), said on stderr;
 * the subscription ended otherwise: one line, exit 1.
 * Messages go to stderr, one line each; the result is the exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "common.h"
#include "escape.h"
#include "export.h"
#include "fleet.h"
#include "policy.h"
#include "replay.h"
#include "subscribers.h"
#include "tail.h"
#include "view.h"

#define TN_VIEWS 64            /* hosts with a compact view at once */
#define TN_WAIT_MS 200         /* a wait for a message, then signals are seen */
#define TN_BACKOFF_MAX_MS 5000
#define TN_SECRET_MAX 4096     /* bytes of a password file */
#define TN_NAME_MAX 64         /* a stream or consumer name */

enum { TN_BAD_SUBJECT = FLEET_BAD_N, TN_REASONS };

/* one host's compact view */
struct tn_view {
	char host[FLEET_HOST_MAX];
	struct view *v;
	uint64_t used;
};

struct tail_nats {
	const struct tail_opts *o;
	struct tail_filter f;
	char filter_subject[512];
	uint64_t since_ns;         /* --since, wall ns (replay_parse_time) */
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	struct fleet_msg m;
	struct jw out;
	struct tn_view views[TN_VIEWS];
	struct policy_view globs;  /* --config's view: globs, for every view */
	uint64_t tick;
	uint64_t received, shown, bad[TN_REASONS];
	volatile bool closing;     /* our close: the disconnection is not news */
};

/* a refusal's name: fleet.h's, or bad_subject */
static const char *reason_name(int why)
{
	return why == TN_BAD_SUBJECT ? "bad_subject" : fleet_bad_name((enum fleet_bad)why);
}

/* ---- options ---- */

/* a stream or consumer name NATS takes: 1-64 of [A-Za-z0-9_-] */
static bool good_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n && n <= TN_NAME_MAX && !s[n];
}

/* a subject prefix: dot-separated non-empty tokens without wildcards */
static bool good_prefix(const char *s)
{
	size_t n = strlen(s);

	return n && n <= POLICY_SUBJECT_MAX && s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..") &&
	       !strpbrk(s, "*> \t\r\n");
}

/* checks the fleet options, --since into *since_ns (wall ns); 0, or
 * AM_EXIT_USAGE with a line printed */
static int check_opts(const struct tail_opts *o, uint64_t *since_ns)
{
	uint64_t now = am_now_ns(CLOCK_REALTIME);
	const char *bad = NULL;

	if (strncmp(o->nats, "nats://", 7) && strncmp(o->nats, "tls://", 6))
		bad = "--nats takes nats://HOST:PORT or tls://HOST:PORT";
	else if (!good_prefix(o->subject))
		bad = "bad --subject (dot-separated words, no '*', '>' or spaces)";
	else if (o->stream && !good_name(o->stream))
		bad = "bad --stream (1-64 letters, digits, '_' or '-')";
	else if (o->durable && !good_name(o->durable))
		bad = "bad --durable (1-64 letters, digits, '_' or '-')";
	else if (!o->user != !o->password_file)
		bad = "--user and --password-file go together";
	else if (o->creds && o->user)
		bad = "--creds or --user, not both";
	else if (!o->tls_cert != !o->tls_key)
		bad = "--tls-cert and --tls-key go together";
	else if (o->host && (!*o->host || strlen(o->host) >= FLEET_HOST_MAX))
		bad = "bad --host (1-255 bytes)";
	else if (o->all && o->since)
		bad = "--all or --since, not both";
	else if (o->since && (replay_parse_time(o->since, now, since_ns) || *since_ns > now))
		bad = "bad --since (an RFC 3339 time such as 2026-12-03T07:00:00Z, not in the "
		      "future, or an age such as 10m, 2h, 1d)";
	if (bad)
		am_err("tail: %s", bad);
	return bad ? AM_EXIT_USAGE : 0;
}

/* the password in file (its first line) into buf, refused when others may
 * read the file (as the exporter refuses it); 0 or a line printed and -1 */
static int read_secret(const char *file, char *buf, size_t len)
{
	FILE *f = fopen(file, "re");
	struct stat st;
	size_t n;

	if (!f || fstat(fileno(f), &st)) {
		am_err("tail: cannot read --password-file %s: %s", file, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	n = st.st_mode & 077 ? 0 : fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!*buf || n == len - 1 || st.st_mode & 077) {
		am_err("tail: --password-file %s: %s", file, st.st_mode & 077 ?
		       "group or others may read it (chmod 600)" : *buf ? "too long" : "empty");
		explicit_bzero(buf, len);
		return -1;
	}
	return 0;
}

/* ---- connection ---- */

/* libnats's threads: said on stderr, unless we are closing */
static void on_disconnected(natsConnection *nc, void *closure)
{
	const struct tail_nats *t = closure;

	if (!t->closing)
		am_warn("tail: lost the connection to %s; reconnecting", t->o->nats);
}

/* libnats's thread: said on stderr */
static void on_reconnected(natsConnection *nc, void *closure)
{
	const struct tail_nats *t = closure;

	am_warn("tail: reconnected to %s", t->o->nats);
}

/* 100 ms, doubled each attempt, at most TN_BACKOFF_MAX_MS */
static int64_t backoff(natsConnection *nc, int attempts, void *closure)
{
	return attempts >= 6 ? TN_BACKOFF_MAX_MS : (int64_t)100 << attempts;
}

/* "STATUS: the server's or library's words" of the last failure (without
 * libnats's "(file.c:123): " and without saying the status twice) */
static const char *why(natsStatus s, char *buf, size_t len)
{
	const char *text = natsStatus_GetText(s), *last = nats_GetLastError(NULL), *p;

	if (last && *last == '(' && (p = strstr(last, "): ")))
		last = p + 3;
	if (!last || !*last || !strcmp(last, text))
		last = NULL;
	if (s == NATS_ERR && last) /* "Error": the words say more */
		text = "";
	snprintf(buf, len, "%s%s%s", text, last && *text ? ": " : "", last ? last : "");
	return buf;
}

/* the connection options of t->o (pw: the password, or NULL); NATS_OK,
 * else the first failure */
static natsStatus conn_opts(struct tail_nats *t, natsOptions *no, const char *pw)
{
	const struct tail_opts *o = t->o;
	natsStatus s;

	s = natsOptions_SetURL(no, o->nats);
	if (s == NATS_OK)
		s = natsOptions_SetName(no, "agentmon-tail");
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(no, -1);
	if (s == NATS_OK)
		s = natsOptions_SetCustomReconnectDelay(no, backoff, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(no, on_disconnected, t);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(no, on_reconnected, t);
	if (s == NATS_OK && o->creds)
		s = natsOptions_SetUserCredentialsFromFiles(no, o->creds, NULL);
	if (s == NATS_OK && o->user)
		s = natsOptions_SetUserInfo(no, o->user, pw);
	if (s == NATS_OK && (o->tls_ca || o->tls_cert))
		s = natsOptions_SetSecure(no, true);
	if (s == NATS_OK && o->tls_ca)
		s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
	if (s == NATS_OK && o->tls_cert)
		s = natsOptions_LoadCertificatesChain(no, o->tls_cert, o->tls_key);
	return s;
}

/* connect and subscribe; 0, or AM_EXIT_RUNTIME with one line printed */
static int tn_open_held(struct tail_nats *t)
{
	const struct tail_opts *o = t->o;
	natsOptions *no = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	char buf[512], pw[TN_SECRET_MAX] = "";
	natsStatus s;

	if (o->user && read_secret(o->password_file, pw, sizeof(pw)))
		return AM_EXIT_RUNTIME;
	if ((s = natsOptions_Create(&no)) == NATS_OK)
		s = conn_opts(t, no, pw);
	explicit_bzero(pw, sizeof(pw));
	if (s != NATS_OK) {
		am_err("tail: bad NATS options: %s", why(s, buf, sizeof(buf)));
		natsOptions_Destroy(no);
		return AM_EXIT_RUNTIME;
	}
	if (s == NATS_OK)
		s = natsConnection_Connect(&t->nc, no);
	natsOptions_Destroy(no);
	if (s != NATS_OK) {
		am_err("tail: cannot connect to %s: %s", o->nats, why(s, buf, sizeof(buf)));
		return AM_EXIT_RUNTIME;
	}
	if ((s = natsConnection_JetStream(&t->js, t->nc, NULL)) == NATS_OK &&
	    (s = jsSubOptions_Init(&so)) == NATS_OK) {
		so.Stream = o->stream;
		so.ManualAck = true;
		so.Config.Durable = o->durable;
		so.Config.DeliverPolicy = o->all ? js_DeliverAll : o->since ?
					  js_DeliverByStartTime : js_DeliverNew;
		so.Config.OptStartTime = o->since ? (int64_t)t->since_ns : 0;
		so.Config.AckPolicy = js_AckExplicit;
		s = js_SubscribeSync(&t->sub, t->js, t->filter_subject, NULL, &so, &jerr);
	}
	if (s != NATS_OK) {
		am_err("tail: cannot follow %s on %s%s%s: %s", t->filter_subject, o->nats,
		       o->stream ? " in stream " : "", o->stream ? o->stream : "",
		       why(s, buf, sizeof(buf)));
		return AM_EXIT_RUNTIME;
	}
	am_info("tail: following %s on %s%s%s%s%s", t->filter_subject, o->nats,
		o->durable ? " as " : "", o->durable ? o->durable : "",
		o->all ? " from its first message" : o->since ? " since " : "",
		o->since ? o->since : "");
	return 0;
}

/* tn_open_held with the main loop's signals blocked: libnats's threads,
 * started by the connect, inherit the mask and never take them */
static int tn_open(struct tail_nats *t)
{
	sigset_t old;
	int ret;

	am_signals_hold(&old);
	ret = tn_open_held(t);
	am_signals_restore(&old);
	return ret;
}

/* flush the last acks, free everything, wait for libnats's threads */
static void tn_close(struct tail_nats *t)
{
	t->closing = true;
	if (t->nc)
		natsConnection_FlushTimeout(t->nc, 1000); /* the last acks */
	natsSubscription_Destroy(t->sub); /* not unsubscribed: a durable stays */
	jsCtx_Destroy(t->js);
	natsConnection_Destroy(t->nc);
	for (size_t i = 0; i < TN_VIEWS; i++)
		view_free(t->views[i].v);
	policy_view_free(&t->globs);
	jw_free(&t->out);
	nats_CloseAndWait(2000); /* its threads gone: nothing left to leak */
}

/* ---- one message ---- */

/* the host token of subj (<prefix>.<host>.<type>) into host, and type's
 * name checked; false when subj is not an exporter's */
static bool subject_host(const struct tail_nats *t, const char *subj, char *host, size_t len)
{
	size_t p = strlen(t->o->subject);
	const char *h = subj + p + 1, *dot;

	if (strncmp(subj, t->o->subject, p) || subj[p] != '.' || !(dot = strchr(h, '.')) ||
	    strchr(dot + 1, '.') || dot == h || (size_t)(dot - h) >= len)
		return false;
	memcpy(host, h, (size_t)(dot - h));
	host[dot - h] = '\0';
	return true;
}

/* the compact view of host: found, a free one, or the least recently used
 * one's (its fold lines written first); NULL when out of memory */
static struct view *host_view(struct tail_nats *t, const char *host, uint64_t ts_ns)
{
	struct tn_view *old = &t->views[0], *hv;

	for (size_t i = 0; i < TN_VIEWS; i++) {
		hv = &t->views[i];
		if (hv->v && !strcmp(hv->host, host)) {
			hv->used = ++t->tick;
			return hv->v;
		}
		if (!hv->v || (old->v && hv->used < old->used))
			old = hv;
	}
	if (old->v) {
		view_flush(old->v, &t->out, ts_ns);
		view_free(old->v);
	}
	snprintf(old->host, sizeof(old->host), "%s", host);
	old->used = ++t->tick;
	if (!(old->v = view_new(t->f.color)) || view_label(old->v, host) ||
	    view_policy(old->v, &t->globs)) {
		view_free(old->v);
		old->v = NULL;
	}
	return old->v;
}

/* the message's reason for being refused, said on stderr the first time */
static void refuse(struct tail_nats *t, int reason, const char *subj)
{
	char s[160];

	if (!t->bad[reason]++) {
		escape_text(s, sizeof(s), subj, strlen(subj));
		am_warn("tail: skipped a message on %s: %s (counted; --stats for the counts)", s,
			reason_name(reason));
	}
}

/* m's lines into t->out, as the local tail renders them for t->f */
static void render(struct tail_nats *t, const struct event *ev)
{
	struct view *v;

	if (t->f.json || t->f.verbose || t->f.types) {
		output_line(&t->out, ev, tail_filter_format(&t->f), t->f.color);
		return;
	}
	if ((v = host_view(t, ev->fleet_host, ev->ts_ns)))
		view_event(v, &t->out, ev);
	else
		t->out.oom = true;
}

/* t->out to stdout; 0, or -errno */
static int put(struct tail_nats *t)
{
	int ret = 0;

	errno = 0;
	if (t->out.oom)
		ret = -ENOMEM;
	else if (t->out.len && (fwrite(t->out.buf, 1, t->out.len, stdout) != t->out.len ||
				fflush(stdout)))
		ret = errno ? -errno : -EIO;
	jw_reset(&t->out);
	t->out.oom = false;
	return ret;
}

/* one message: checked, filtered, shown; 0 or put()'s error */
static int on_msg(struct tail_nats *t, natsMsg *msg)
{
	const char *subj = natsMsg_GetSubject(msg);
	char host[FLEET_HOST_MAX];
	enum fleet_bad bad;
	int ret = 0;

	t->received++;
	if (!subject_host(t, subj, host, sizeof(host))) {
		refuse(t, TN_BAD_SUBJECT, subj);
		return 0;
	}
	bad = fleet_msg_parse(&t->m, host, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
	if (!bad && strcmp(strrchr(subj, '.') + 1, event_type_name(t->m.ev.type))) {
		fleet_msg_clear(&t->m);
		bad = FLEET_BAD_VALUE; /* the subject's type is not the body's */
	}
	if (bad) {
		refuse(t, bad, subj);
		return 0;
	}
	/* --host: the name itself, not only its subject form (dev1_corp) */
	if ((!t->o->host || !strcmp(t->m.ev.fleet_host, t->o->host)) &&
	    tail_filter_match(&t->f, &t->m.ev)) {
		render(t, &t->m.ev);
		t->shown++;
		ret = put(t);
	}
	fleet_msg_clear(&t->m);
	return ret;
}

/* the counts on stderr: with --stats, or when a message was refused */
static void print_stats(const struct tail_nats *t)
{
	char line[512];
	size_t at;
	uint64_t bad = 0;

	for (int i = 1; i < TN_REASONS; i++)
		bad += t->bad[i];
	if (!t->o->stats && !bad)
		return;
	at = (size_t)snprintf(line, sizeof(line), "tail: %llu messages, %llu shown, %llu malformed",
			      (unsigned long long)t->received, (unsigned long long)t->shown,
			      (unsigned long long)bad);
	for (int i = 1; i < TN_REASONS && at < sizeof(line); i++)
		if (t->bad[i])
			at += (size_t)snprintf(line + at, sizeof(line) - at, " %s=%llu",
					       reason_name(i), (unsigned long long)t->bad[i]);
	am_info("%s", line);
}

/*
 * the view: globs of --config's policy (none without) into t->globs and
 * every view: at the start and at a SIGHUP.  A policy that does not load
 * changes nothing; -EINVAL or -ENOMEM, said on stderr
 */
static int tn_globs(struct tail_nats *t)
{
	struct policy *p = NULL;
	char err[512];
	int ret = 0;

	am_reload = 0;
	if (!t->o->config)
		return 0;
	if (policy_load(t->o->config, &p, err, sizeof(err))) {
		am_err("tail: policy reload refused, keeping the old view globs: %s", err);
		return -EINVAL;
	}
	if (policy_view_copy(&t->globs, &p->view))
		ret = -ENOMEM;
	for (size_t i = 0; i < TN_VIEWS; i++)
		if (t->views[i].v && view_policy(t->views[i].v, &t->globs))
			ret = -ENOMEM;
	policy_free(p);
	if (ret)
		am_err("tail: view globs: out of memory (some views have none)");
	else if (t->nc) /* a SIGHUP's, not the start's */
		am_info("tail: view globs reloaded from %s", t->o->config);
	return ret;
}

/* every view's fold lines due now (processes idle 30 s); put()'s error */
static int tn_tick(struct tail_nats *t)
{
	uint64_t now = am_now_ns(CLOCK_REALTIME);

	for (size_t i = 0; i < TN_VIEWS; i++)
		if (t->views[i].v)
			view_tick(t->views[i].v, &t->out, now);
	return put(t);
}

/* messages until a signal or stdout fails; the exit status */
static int tn_loop(struct tail_nats *t)
{
	char buf[256];
	natsMsg *msg;
	natsStatus s;
	int ret = 0;

	while (!am_exiting && !ret) {
		if (am_reload)
			tn_globs(t);
		if ((ret = tn_tick(t)))
			break;
		s = natsSubscription_NextMsg(&msg, t->sub, TN_WAIT_MS);
		if (s == NATS_TIMEOUT) /* also while libnats reconnects */
			continue;
		if (s == NATS_SLOW_CONSUMER) { /* unacked: the server sends them again */
			am_warn("tail: reading too slowly: the NATS library dropped messages; "
				"the server sends them again");
			continue;
		}
		if (s != NATS_OK) {
			am_err("tail: the subscription on %s ended: %s", t->o->nats,
			       why(s, buf, sizeof(buf)));
			return AM_EXIT_RUNTIME;
		}
		ret = on_msg(t, msg);
		if (ret != -EPIPE)
			natsMsg_Ack(msg, NULL);
		natsMsg_Destroy(msg);
	}
	if (ret && ret != -EPIPE)
		am_err("tail: cannot write to stdout: %s", strerror(-ret));
	return ret && ret != -EPIPE ? AM_EXIT_RUNTIME : AM_EXIT_OK;
}

int tail_nats_run(const struct tail_opts *o)
{
	static struct tail_nats t;
	char err[256], host[FLEET_HOST_MAX];
	int ret;

	memset(&t, 0, sizeof(t));
	t.o = o;
	jw_init(&t.out);
	if ((ret = check_opts(o, &t.since_ns)))
		return ret;
	if (tail_filter_of(o, &t.f, err, sizeof(err))) {
		am_err("tail: %s", err);
		return AM_EXIT_USAGE;
	}
	if (o->host)
		export_subject_host(o->host, host, sizeof(host));
	snprintf(t.filter_subject, sizeof(t.filter_subject), "%s.%s%s>", o->subject,
		 o->host ? host : "", o->host ? "." : "");
	if (am_signals_setup() || tn_globs(&t))
		ret = AM_EXIT_RUNTIME;
	else if (!(ret = tn_open(&t)) && !(ret = tn_loop(&t))) {
		/* fold lines still held, as the local tail's end */
		for (size_t i = 0; i < TN_VIEWS; i++)
			if (t.views[i].v)
				view_flush(t.views[i].v, &t.out, am_now_ns(CLOCK_REALTIME));
		put(&t);
	}
	print_stats(&t);
	tn_close(&t);
	return ret;
}

/* *field, when unset, as the policy says (NULL stays unset) */
static void take(const char **field, const char *from)
{
	if (!*field && from)
		*field = from;
}

int tail_nats_config(struct tail_opts *o, struct policy **keep, char *err, size_t errlen)
{
	const struct policy_nats *n;

	*keep = NULL;
	if (policy_load(o->config, keep, err, errlen))
		return -EINVAL;
	if (!(n = (*keep)->nats)) {
		snprintf(err, errlen, "%s: no export.nats block to follow", o->config);
		policy_free(*keep);
		*keep = NULL;
		return -EINVAL;
	}
	take(&o->nats, n->url);
	take(&o->subject, n->subject);
	take(&o->creds, n->creds_file);
	if (!o->creds) {
		take(&o->user, n->user);
		take(&o->password_file, n->password_file);
	}
	take(&o->tls_ca, n->ca_file);
	take(&o->tls_cert, n->cert_file);
	take(&o->tls_key, n->key_file);
	return 0;
}
