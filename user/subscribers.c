// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * subscribers.c - tail clients' filters, queues and missed counts (see
 * subscribers.h).  Library code: errors are returned, never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"
#include "subscribers.h"
#include "view.h"

#define ARGS_MAX 512     /* a request line's arguments */
#define NOTICE_MAX 160   /* one missed notice */

static const char TYPE_LIST[] =
	"exec, exit, open, unlink, rename, chmod, connect, accept, send, dns, http, alert, drop";

/* a comma-separated list of type names into bits; -EINVAL naming the bad one */
static int parse_types(char *list, uint64_t *types, char *err, size_t errlen)
{
	char *save = NULL, *name;

	if (!*list || list[strlen(list) - 1] == ',') {
		snprintf(err, errlen, "empty event type in 'type=%s' (%s)", list, TYPE_LIST);
		return -EINVAL;
	}
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		uint32_t t = event_type_from_name(name);

		if (!t || t >= 64) {
			snprintf(err, errlen, "unknown event type '%s' (%s)", name, TYPE_LIST);
			return -EINVAL;
		}
		*types |= 1ull << t;
	}
	return 0;
}

/* an agent name: 1-63 printable bytes, no spaces */
static int parse_agent(const char *name, struct tail_filter *f, char *err, size_t errlen)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			n = 0;
	if (!n || n >= sizeof(f->agent)) {
		snprintf(err, errlen, "bad agent name '%s' (1-63 printable characters)", name);
		return -EINVAL;
	}
	memcpy(f->agent, name, n + 1);
	return 0;
}

static int parse_word(char *w, struct tail_filter *f, char *err, size_t errlen)
{
	uint64_t v;

	if (!strcmp(w, "json"))
		f->json = true;
	else if (!strcmp(w, "color"))
		f->color = true;
	else if (!strcmp(w, "verbose"))
		f->verbose = true;
	else if (!strcmp(w, "alerts"))
		f->alerts = true;
	else if (!strncmp(w, "agent=", 6))
		return parse_agent(w + 6, f, err, errlen);
	else if (!strncmp(w, "type=", 5))
		return parse_types(w + 5, &f->types, err, errlen);
	else if (!strncmp(w, "pid=", 4)) {
		if (am_parse_u64(w + 4, 1, UINT32_MAX, false, &v)) {
			snprintf(err, errlen, "bad pid '%s' (a number, 1 or more)", w + 4);
			return -EINVAL;
		}
		f->pid = (uint32_t)v;
	} else {
		snprintf(err, errlen, "unknown tail option '%s'", w);
		return -EINVAL;
	}
	return 0;
}

int tail_filter_parse(const char *args, struct tail_filter *f, char *err, size_t errlen)
{
	char copy[ARGS_MAX], *save = NULL, *w;
	int ret;

	memset(f, 0, sizeof(*f));
	if (strlen(args) >= sizeof(copy)) {
		snprintf(err, errlen, "tail request too long");
		return -EINVAL;
	}
	strcpy(copy, args);
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if ((ret = parse_word(w, f, err, errlen)))
			return ret;
	return 0;
}

/* append " word" to line (size len, *at used); false when it does not fit */
static bool add_word(char *line, size_t len, size_t *at, const char *fmt, const char *s)
{
	int n = snprintf(line + *at, len - *at, fmt, s);

	if (n < 0 || (size_t)n >= len - *at)
		return false;
	*at += (size_t)n;
	return true;
}

int tail_filter_request(const struct tail_filter *f, char *line, size_t len)
{
	char pid[16];
	size_t at = 0;
	bool ok = add_word(line, len, &at, "%s", "tail");

	ok = ok && (!f->json || add_word(line, len, &at, " %s", "json"));
	ok = ok && (!f->color || add_word(line, len, &at, " %s", "color"));
	ok = ok && (!f->verbose || add_word(line, len, &at, " %s", "verbose"));
	ok = ok && (!f->agent[0] || add_word(line, len, &at, " agent=%s", f->agent));
	for (uint32_t t = 1, first = 1; ok && t < 64; t++) {
		if (!(f->types & (1ull << t)))
			continue;
		ok = add_word(line, len, &at, first ? " type=%s" : ",%s", event_type_name(t));
		first = 0;
	}
	snprintf(pid, sizeof(pid), "%u", f->pid);
	ok = ok && (!f->pid || add_word(line, len, &at, " pid=%s", pid));
	ok = ok && (!f->alerts || add_word(line, len, &at, " %s", "alerts"));
	return ok ? 0 : -ENAMETOOLONG;
}

bool tail_filter_match(const struct tail_filter *f, const struct event *ev)
{
	if (f->own_uid && ev->uid != f->uid) /* drops too: counts of the whole monitor */
		return false;
	if (ev->type == AM_EV_DROP)
		return true;
	if (f->alerts && ev->type != AM_EV_ALERT)
		return false;
	if (f->types && (ev->type >= 64 || !(f->types & (1ull << ev->type))))
		return false;
	if (f->agent[0] && (!ev->agent || strcmp(ev->agent, f->agent)))
		return false;
	return !f->pid || ev->pid == f->pid || ev->agent_pid == f->pid;
}

/* ---- the queue ---- */

int lq_init(struct line_queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->buf = malloc(cap);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void lq_free(struct line_queue *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

bool lq_push(struct line_queue *q, const void *s, size_t n)
{
	size_t tail, first;

	if (n > q->cap - q->len)
		return false;
	tail = (q->head + q->len) % q->cap;
	first = n < q->cap - tail ? n : q->cap - tail;
	memcpy(q->buf + tail, s, first);
	memcpy(q->buf, (const char *)s + first, n - first);
	q->len += n;
	return true;
}

long lq_send(struct line_queue *q, int fd)
{
	long total = 0;

	while (q->len) {
		size_t chunk = q->len < q->cap - q->head ? q->len : q->cap - q->head;
		ssize_t n = send(fd, q->buf + q->head, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		q->head = (q->head + (size_t)n) % q->cap;
		q->len -= (size_t)n;
		total += n;
	}
	if (!q->len)
		q->head = 0; /* a reader that keeps up touches only the first pages */
	return total;
}

/* ---- subscribers ---- */

int sub_init(struct subscriber *s, const struct tail_filter *f)
{
	memset(s, 0, sizeof(*s));
	s->f = *f;
	return lq_init(&s->q, TAIL_QUEUE_BYTES);
}

/* whether clients with filters a and b see the same view */
static bool same_view(const struct tail_filter *a, const struct tail_filter *b)
{
	return !strcmp(a->agent, b->agent) && a->pid == b->pid && a->alerts == b->alerts &&
	       a->color == b->color && a->own_uid == b->own_uid && (!a->own_uid || a->uid == b->uid);
}

int sub_view(struct subscriber *s, struct fanout *fo)
{
	struct view_share *sh;

	if (s->f.json || s->f.verbose || s->f.types)
		return 0;
	for (sh = fo->shares; sh && (sh->fed || !same_view(&sh->key, &s->f)); sh = sh->next)
		;
	if (!sh) {
		if (!(sh = calloc(1, sizeof(*sh))) || !(sh->view = view_new(s->f.color)) ||
		    view_policy(sh->view, fo->globs)) {
			if (sh)
				view_free(sh->view);
			free(sh);
			return -ENOMEM;
		}
		jw_init(&sh->out);
		sh->fo = fo;
		sh->key = s->f;
		sh->next = fo->shares;
		fo->shares = sh;
	}
	sh->refs++;
	s->share = sh;
	return 0;
}

/* one client fewer for sh; the last one frees it */
static void share_put(struct view_share *sh)
{
	struct view_share **pp = &sh->fo->shares;

	if (--sh->refs)
		return;
	while (*pp != sh)
		pp = &(*pp)->next;
	*pp = sh->next;
	view_free(sh->view);
	jw_free(&sh->out);
	free(sh);
}

void sub_free(struct subscriber *s)
{
	if (s->share)
		share_put(s->share);
	lq_free(&s->q);
	memset(s, 0, sizeof(*s));
}

void sub_notice(struct subscriber *s)
{
	char line[NOTICE_MAX];
	size_t n;

	if (!s->missed || s->q.len > s->q.cap / 2)
		return; /* nothing missed, or not drained enough to resume */
	n = output_missed_line(line, sizeof(line), tail_filter_format(&s->f), s->missed,
			       am_now_ns(CLOCK_REALTIME));
	if (n && lq_push(&s->q, line, n)) {
		s->missed = 0;
		s->unsent += n;
	}
}

bool sub_offer(struct subscriber *s, const char *line, size_t n)
{
	sub_notice(s);
	if (s->missed || !lq_push(&s->q, line, n)) {
		s->missed++;
		s->missed_total++;
		return false;
	}
	s->unsent += n;
	return true;
}

/* ---- one event formatted once per format ---- */

void fanout_init(struct fanout *fo)
{
	memset(fo, 0, sizeof(*fo));
	for (int k = 0; k < FANOUT_N; k++)
		jw_init(&fo->line[k]);
}

void fanout_free(struct fanout *fo)
{
	for (int k = 0; k < FANOUT_N; k++)
		jw_free(&fo->line[k]);
	while (fo->shares) { /* none when every subscriber was freed */
		fo->shares->refs = 1;
		share_put(fo->shares);
	}
}

void fanout_begin(struct fanout *fo)
{
	memset(fo->have, 0, sizeof(fo->have));
	for (struct view_share *sh = fo->shares; sh; sh = sh->next)
		sh->have = false;
}

void fanout_tick(struct fanout *fo, uint64_t now_ns)
{
	for (struct view_share *sh = fo->shares; sh; sh = sh->next) {
		jw_reset(&sh->out);
		view_tick(sh->view, &sh->out, now_ns);
		sh->have = true;
	}
}

int fanout_view_policy(struct fanout *fo, const struct policy_view *pv)
{
	int err = 0;

	fo->globs = pv;
	for (struct view_share *sh = fo->shares; sh; sh = sh->next)
		if (view_policy(sh->view, pv))
			err = -ENOMEM;
	return err;
}

const struct jw *fanout_line(struct fanout *fo, const struct event *ev,
			     const struct tail_filter *f)
{
	int k = f->json ? FANOUT_JSON : f->color ? FANOUT_COLOR : FANOUT_TEXT;

	if (!fo->have[k]) {
		jw_reset(&fo->line[k]);
		output_line(&fo->line[k], ev, tail_filter_format(f), k == FANOUT_COLOR);
		fo->have[k] = true;
	}
	return fo->line[k].oom ? NULL : &fo->line[k];
}

const struct jw *sub_line(struct subscriber *s, struct fanout *fo, const struct event *ev)
{
	struct view_share *sh = s->share;

	if (!sh)
		return fanout_line(fo, ev, &s->f);
	if (!sh->have) {
		jw_reset(&sh->out);
		view_event(sh->view, &sh->out, ev);
		sh->have = sh->fed = true;
	}
	return sh->out.oom ? NULL : &sh->out;
}
