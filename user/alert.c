// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * alert.c - alert events: summary, chain, suppression (see alert.h).
 *
 * The alerter owns a fixed array of max_keys suppression slots (allocated
 * once, searched linearly: alerts are rare) and, per slot with repeats, a
 * deep copy of the first repeat's event (its strings in one allocation), so
 * that the summary alert can be emitted after the cause's memory is gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agents.h"
#include "alert.h"
#include "output.h"
#include "storm.h"

struct akey {
	bool used;
	char rule[24];
	char agent[AM_NAME_MAX];
	char host[256];
	uint32_t agent_pid;
	uint64_t until_ns;      /* the window closes */
	uint64_t last_ns;       /* ts of the last repeat */
	uint32_t count;         /* repeats folded */
	struct rules_verdict v; /* of the first repeat */
	char chain[256];        /* of the first repeat */
	struct event_copy held;       /* the first repeat, when count */
};

struct alerter {
	uint64_t window_ns;
	size_t n;
	struct akey *keys;
	uint64_t next_ns;       /* no open key's window closes before (UINT64_MAX:
				 * none open): the tick walks the keys only then */
	struct proc_cache *pc;
	alert_emit_fn emit;
	void *arg;
	struct storm *storm;    /* the per-agent budget */
};

/* ---- text ---- */

/* append to buf (size len, *at used), keeping it NUL-terminated */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

/* "claude (pid 4242)" or "claude (pid 4242) via curl[4251]" */
static void summary_who(const struct event *ev, char *buf, size_t len, size_t *at)
{
	if (!ev->agent) {
		put(buf, len, at, "%s (pid %u)", ev->comm, ev->pid);
		return;
	}
	put(buf, len, at, "%s (pid %u)", ev->agent, ev->agent_pid);
	if (ev->pid != ev->agent_pid)
		put(buf, len, at, " via %s[%u]", ev->comm, ev->pid);
}

/* the bytes a send alert tells of: the verdict's count (unexpected_upload:
 * all the destination's bytes), else the send's own; 0 when unknown */
static uint64_t send_bytes(const struct event *ev, const struct rules_verdict *v)
{
	return v->bytes ? v->bytes : ev->net.has_ret && ev->net.ret > 0 ? (uint64_t)ev->net.ret : 0;
}

static void summary_what(const struct event *ev, const struct rules_verdict *v,
			 char *buf, size_t len, size_t *at)
{
	char d[320];

	if (ev->type == AM_EV_HTTP) {
		put(buf, len, at, " sent %s %s (%llu bytes)", ev->http.method ? ev->http.method : "?",
		    output_http_url(&ev->http, d, sizeof(d)), (unsigned long long)ev->http.bytes);
	} else if (ev->type == AM_EV_CONNECT) {
		put(buf, len, at, " connected to %s", output_net_dest(&ev->net, d, sizeof(d)));
	} else if (ev->type == AM_EV_SEND) {
		uint64_t bytes = send_bytes(ev, v);

		output_net_dest(&ev->net, d, sizeof(d));
		if (bytes)
			put(buf, len, at, " sent %llu bytes to %s", (unsigned long long)bytes, d);
		else
			put(buf, len, at, " sent data to %s", d);
		if (v->bytes)
			put(buf, len, at, " with no HTTP request seen");
	} else {
		put(buf, len, at, " %s", event_type_name(ev->type));
	}
}

size_t alert_summary(const struct event *cause, const struct rules_verdict *v,
		     char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	summary_who(cause, buf, len, &at);
	summary_what(cause, v, buf, len, &at);
	if (v->reason[0])
		put(buf, len, &at, " - %s", v->reason);
	return at;
}

/*
 * the name a process goes by in a chain: its executable's basename (the
 * program, where comm may be a thread's name: "HTTP Client", "Bun Pool 1"),
 * else comm; a versioned binary's basename ("2.1.197") gives way to comm
 */
static const char *chain_name(const char *exe, const char *comm)
{
	const char *b = exe ? strrchr(exe, '/') : NULL;

	b = b ? b + 1 : exe;
	return b && *b && !agents_version_like(b) ? b : comm;
}

size_t alert_chain(struct proc_cache *pc, const struct event *cause, char *buf, size_t len)
{
	const char *comm[ALERT_CHAIN_MAX];
	uint32_t pid[ALERT_CHAIN_MAX], next = cause->ppid;
	size_t n = 1, at = 0;
	bool cut = false;

	comm[0] = chain_name(cause->exe, cause->comm);
	pid[0] = cause->pid;
	while (pc && pid[n - 1] != cause->agent_pid && cause->agent_pid && next > 0) {
		struct proc_info *p = proc_cache_get(pc, next);

		if (!p)
			break;
		if (n == ALERT_CHAIN_MAX) {
			cut = true;
			break;
		}
		comm[n] = chain_name(p->exe, p->comm);
		pid[n++] = p->pid;
		next = p->ppid;
	}
	if (len)
		buf[0] = '\0';
	if (cut)
		put(buf, len, &at, "... > ");
	while (n--)
		put(buf, len, &at, "%s[%u]%s", comm[n], pid[n], n ? " > " : "");
	return at;
}

/* ---- emission and suppression ---- */

/* the host or address text of ev's destination, "" when none */
static void key_host(const struct event *ev, char *buf, size_t len)
{
	struct rules_dest d;

	buf[0] = '\0';
	if (ev->type != AM_EV_HTTP && ev->type != AM_EV_CONNECT && ev->type != AM_EV_SEND)
		return;
	rules_dest_of(ev, &d);
	if (d.host)
		snprintf(buf, len, "%s", d.host);
	else if (d.addr)
		inet_ntop(d.family, d.addr, buf, (socklen_t)len);
}


/* "claude (pid 4242): alert storm, 4970 alerts folded (outbound_post 4970)
 * to a.example, b.example and 4962 more in 9 s" */
static void storm_summary(const struct storm_info *st, char *buf, size_t len)
{
	size_t at = 0;

	put(buf, len, &at, "%s (pid %u): alert storm, %llu alerts folded (", st->agent,
	    st->agent_pid, (unsigned long long)st->alerts);
	for (size_t i = 0; i < st->n_rules; i++)
		put(buf, len, &at, "%s%s %llu", i ? ", " : "", st->rules[i].name,
		    (unsigned long long)st->rules[i].count);
	if (st->other_rules)
		put(buf, len, &at, ", other rules %llu", (unsigned long long)st->other_rules);
	put(buf, len, &at, ")");
	for (size_t i = 0; i < st->n_hosts; i++)
		put(buf, len, &at, "%s%s", i ? ", " : " to ", st->hosts[i]);
	if (st->more_hosts)
		put(buf, len, &at, " and %llu more", (unsigned long long)st->more_hosts);
	put(buf, len, &at, " in %llu s", (unsigned long long)((st->last_ns - st->first_ns) /
							       1000000000ull));
}

/* the alert_storm summary of an agent's storm (never itself budgeted) */
static void storm_emit(const struct storm_info *st, void *arg)
{
	struct alerter *a = arg;
	const char *hosts[STORM_HOSTS_MAX];
	char summary[1536], chain[256];
	struct event_alert ea = {
		.rule = "alert_storm", .severity = st->severity ? st->severity : "high",
		.summary = summary, .chain = chain, .cause_type = st->cause_type,
		.count = st->alerts > UINT32_MAX ? UINT32_MAX : (uint32_t)st->alerts,
		.hosts = hosts, .n_hosts = st->n_hosts,
		.first_ns = st->first_ns, .last_ns = st->last_ns,
	};
	struct event out = st->cause.ev;

	for (size_t i = 0; i < st->n_hosts; i++)
		hosts[i] = st->hosts[i];
	out.agent = st->agent[0] ? st->agent : NULL;
	out.ts_ns = st->last_ns;
	storm_summary(st, summary, sizeof(summary));
	alert_chain(a->pc, &out, chain, sizeof(chain));
	out.type = AM_EV_ALERT;
	out.alert = &ea;
	a->emit(&out, a->arg);
}

/* emit the alert of cause; chain NULL: computed now; folded: a window's
 * summary of count repeats */
static void emit(struct alerter *a, const struct event *cause, const struct rules_verdict *v,
		 const char *chain, uint32_t count, bool folded)
{
	char summary[768], ch[256], host[256];
	struct event_alert ea = { .rule = v->rule, .severity = v->severity, .summary = summary,
				  .chain = chain, .cause_type = cause->type, .count = count };
	struct event out = *cause;
	size_t at = alert_summary(cause, v, summary, sizeof(summary));

	if (!chain) {
		alert_chain(a->pc, cause, ch, sizeof(ch));
		ea.chain = ch;
	}
	if (folded)
		put(summary, sizeof(summary), &at, " (%u more in %llu s)", count,
		    (unsigned long long)(a->window_ns / 1000000000ull));
	if (cause->type == AM_EV_SEND && v->bytes) { /* its "bytes": the summary's */
		out.net.has_ret = true;
		out.net.ret = (int64_t)send_bytes(cause, v);
	}
	out.type = AM_EV_ALERT;
	out.alert = &ea;
	key_host(cause, host, sizeof(host));
	if (storm_admit(a->storm, &out, host, storm_emit, a))
		a->emit(&out, a->arg);
}

/* close k's window: its summary alert when repeats were folded */
static void key_close(struct alerter *a, struct akey *k)
{
	if (k->count && k->held.strs) {
		k->held.ev.ts_ns = k->last_ns;
		emit(a, &k->held.ev, &k->v, k->chain, k->count, true);
	}
	event_copy_clear(&k->held);
	k->used = false;
}

static bool key_is(const struct akey *k, const char *rule, const struct event *ev,
		   const char *host)
{
	return k->used && k->agent_pid == ev->agent_pid && !strcmp(k->rule, rule) &&
	       !strcmp(k->agent, ev->agent ? ev->agent : "") && !strcmp(k->host, host);
}

/* a free slot, closing the one whose window ends first when all are used */
static struct akey *key_slot(struct alerter *a)
{
	struct akey *first = NULL;

	for (size_t i = 0; i < a->n; i++) {
		if (!a->keys[i].used)
			return &a->keys[i];
		if (!first || a->keys[i].until_ns < first->until_ns)
			first = &a->keys[i];
	}
	key_close(a, first);
	return first;
}

static int fold(struct alerter *a, struct akey *k, const struct event *cause,
		const struct rules_verdict *v)
{
	if (!k->count) {
		if (event_copy_set(&k->held, cause)) {
			emit(a, cause, v, NULL, 1, false);
			return -ENOMEM;
		}
		k->v = *v;
		alert_chain(a->pc, cause, k->chain, sizeof(k->chain));
	}
	k->count++;
	k->last_ns = cause->ts_ns;
	return 0;
}

int alerter_raise(struct alerter *a, const struct event *cause, const struct rules_verdict *v)
{
	char host[256];
	struct akey *k;

	alerter_tick(a, cause->ts_ns);
	key_host(cause, host, sizeof(host));
	for (size_t i = 0; i < a->n; i++)
		if (key_is(&a->keys[i], v->rule, cause, host))
			return fold(a, &a->keys[i], cause, v);
	k = key_slot(a);
	memset(k, 0, sizeof(*k));
	k->used = true;
	snprintf(k->rule, sizeof(k->rule), "%s", v->rule);
	snprintf(k->agent, sizeof(k->agent), "%s", cause->agent ? cause->agent : "");
	snprintf(k->host, sizeof(k->host), "%s", host);
	k->agent_pid = cause->agent_pid;
	k->until_ns = cause->ts_ns + a->window_ns;
	if (k->until_ns < a->next_ns)
		a->next_ns = k->until_ns;
	emit(a, cause, v, NULL, 1, false);
	return 1;
}

/* called for every round of the collector's loop: the keys are walked only
 * when one of them is due */
void alerter_tick(struct alerter *a, uint64_t now_ns)
{
	if (now_ns >= a->next_ns) {
		a->next_ns = UINT64_MAX;
		for (size_t i = 0; i < a->n; i++) {
			struct akey *k = &a->keys[i];

			if (k->used && k->until_ns <= now_ns)
				key_close(a, k);
			else if (k->used && k->until_ns < a->next_ns)
				a->next_ns = k->until_ns;
		}
	}
	storm_tick(a->storm, now_ns, storm_emit, a);
}

void alerter_flush(struct alerter *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->keys[i].used)
			key_close(a, &a->keys[i]);
	a->next_ns = UINT64_MAX;
	storm_tick(a->storm, UINT64_MAX, storm_emit, a);
}

uint64_t alerter_storm_folded(const struct alerter *a)
{
	return storm_folded(a->storm);
}

size_t alerter_keys(const struct alerter *a)
{
	size_t c = 0;

	for (size_t i = 0; i < a->n; i++)
		c += a->keys[i].used;
	return c;
}

struct alerter *alerter_new(const struct alert_settings *s, struct proc_cache *pc,
			    alert_emit_fn emit_fn, void *arg)
{
	struct alerter *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->window_ns = s && s->window_ns ? s->window_ns : ALERT_WINDOW_DEFAULT_NS;
	a->n = s && s->max_keys ? s->max_keys : ALERT_MAX_KEYS_DEFAULT;
	a->next_ns = UINT64_MAX;
	a->pc = pc;
	a->emit = emit_fn;
	a->arg = arg;
	a->keys = calloc(a->n, sizeof(*a->keys));
	a->storm = storm_new(s ? s->budget : 0, a->window_ns, 0);
	if (!a->keys || !a->storm) {
		alerter_free(a);
		return NULL;
	}
	return a;
}

void alerter_free(struct alerter *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->keys && i < a->n; i++)
		event_copy_clear(&a->keys[i].held);
	storm_free(a->storm);
	free(a->keys);
	free(a);
}
