// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * alertq.c - fair, bounded, aged queue of alerts to deliver (see alertq.h).
 *
 * One array, searched linearly (at most max items, 10,000 by default:
 * a pass costs microseconds, small next to one HTTP attempt); removal moves
 * the last item into the hole, so order is kept by seq, not by position.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertq.h"
#include "storm.h"

#define ALERTQ_MAX_DEFAULT 10000
#define ALERTQ_TTL_DEFAULT (86400ull * 1000000000ull)

void alertq_init(struct alertq *q, size_t max, uint64_t ttl_ns)
{
	memset(q, 0, sizeof(*q));
	q->max = max ? max : ALERTQ_MAX_DEFAULT;
	q->ttl_ns = ttl_ns ? ttl_ns : ALERTQ_TTL_DEFAULT;
}

void alertq_free(struct alertq *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].body);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

uint64_t alertq_lane(const char *agent, uint32_t agent_pid)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = agent ? agent : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return (h ^ agent_pid) * 0x100000001b3ull;
}

/* the text of JSON key's string value ("key":"...") into out, "" if none */
static void json_field(const char *body, const char *key, char *out, size_t len)
{
	const char *p = strstr(body, key), *e;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	if (*p == '"') {
		for (e = ++p; *e && *e != '"'; e += *e == '\\' && e[1] ? 2 : 1)
			;
	} else {
		for (e = p; *e >= '0' && *e <= '9'; e++)
			;
	}
	n = (size_t)(e - p) < len - 1 ? (size_t)(e - p) : len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

void alertq_meta_of_body(struct alertq_item *it, const char *body, size_t len)
{
	char agent[AM_NAME_MAX * 2], pid[16], sev[16], count[16];

	(void)len; /* bodies are NUL-terminated (spool_read) */
	json_field(body, "\"agent\":", agent, sizeof(agent));
	json_field(body, "\"agent_pid\":", pid, sizeof(pid));
	json_field(body, "\"severity\":", sev, sizeof(sev));
	json_field(body, "\"count\":", count, sizeof(count));
	if (!sev[0] && !strncmp(body, "{\"text\":\"ALERT ", 15)) { /* Slack */
		size_t n = strcspn(body + 15, " ");

		snprintf(sev, sizeof(sev), "%.*s", (int)(n < 15 ? n : 15), body + 15);
	}
	it->lane = alertq_lane(agent, (uint32_t)strtoul(pid, NULL, 10));
	it->sev = storm_severity_rank(sev);
	it->count = (uint32_t)strtoul(count, NULL, 10);
}

/* a ranks strictly lower than b: what a full queue lets go first */
static bool lower(const struct alertq_item *a, const struct alertq_item *b)
{
	if (a->sev != b->sev)
		return a->sev < b->sev;
	if (a->count != b->count)
		return a->count > b->count;
	return a->seq < b->seq;
}

/* the live item to drop first; -1 when none */
static ssize_t victim(const struct alertq *q)
{
	ssize_t v = -1;

	for (size_t i = 0; i < q->n; i++)
		if (!q->v[i].dead && (v < 0 || lower(&q->v[i], &q->v[v])))
			v = (ssize_t)i;
	return v;
}

void alertq_kill(struct alertq *q, size_t i)
{
	if (i < q->n && !q->v[i].dead) {
		q->v[i].dead = true;
		q->live--;
	}
}

int alertq_add(struct alertq *q, const struct alertq_item *it)
{
	struct alertq_item n = *it;

	n.seq = ++q->seq;
	n.dead = n.busy = false;
	if (q->live >= q->max) {
		ssize_t v = victim(q);

		q->evicted++;
		if (v < 0 || lower(&n, &q->v[v]))
			return -EAGAIN;
		alertq_kill(q, (size_t)v);
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct alertq_item *p = realloc(q->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		q->v = p;
		q->cap = cap;
	}
	q->v[q->n++] = n;
	q->live++;
	return 0;
}

/* better candidate c than best for the lane after last (round robin):
 * lanes above last first, the lowest lane, then the oldest in it */
static bool rr_better(const struct alertq_item *c, const struct alertq_item *best,
		      uint64_t last)
{
	bool c_up = c->lane > last, b_up = best->lane > last;

	if (c_up != b_up)
		return c_up;
	if (c->lane != best->lane)
		return c->lane < best->lane;
	return c->seq < best->seq;
}

ssize_t alertq_next(struct alertq *q, uint64_t now_ns, uint64_t *wake_ns)
{
	ssize_t best = -1;

	*wake_ns = 0;
	for (size_t i = 0; i < q->n; i++) {
		const struct alertq_item *c = &q->v[i];

		if (c->dead || c->busy || !c->name[0])
			continue;
		if (c->next_try_ns > now_ns) {
			if (!*wake_ns || c->next_try_ns < *wake_ns)
				*wake_ns = c->next_try_ns;
			continue;
		}
		if (best < 0 || rr_better(c, &q->v[best], q->last_lane))
			best = (ssize_t)i;
	}
	if (best >= 0)
		q->last_lane = q->v[best].lane;
	return best;
}

ssize_t alertq_unspooled(struct alertq *q)
{
	ssize_t best = -1;

	for (size_t i = 0; i < q->n; i++) {
		const struct alertq_item *c = &q->v[i];

		if (!c->dead && !c->busy && !c->name[0] &&
		    (best < 0 || rr_better(c, &q->v[best], q->last_spooled)))
			best = (ssize_t)i;
	}
	if (best >= 0)
		q->last_spooled = q->v[best].lane;
	return best;
}

size_t alertq_expire(struct alertq *q, uint64_t now_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < q->n; i++) {
		if (!q->v[i].dead && now_ns - q->v[i].added_ns >= q->ttl_ns &&
		    now_ns >= q->v[i].added_ns) {
			alertq_kill(q, i);
			n++;
		}
	}
	q->expired += n;
	return n;
}

ssize_t alertq_dead(const struct alertq *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].dead && !q->v[i].busy)
			return (ssize_t)i;
	return -1;
}

void alertq_remove(struct alertq *q, size_t i)
{
	if (i >= q->n)
		return;
	if (!q->v[i].dead)
		q->live--;
	free(q->v[i].body);
	q->v[i] = q->v[--q->n];
}

void alertq_retry(struct alertq *q, size_t i, uint64_t now_ns, unsigned min_ms,
		  unsigned max_ms, uint64_t rnd)
{
	struct alertq_item *it = &q->v[i];
	unsigned b = it->backoff_ms ? it->backoff_ms : min_ms;

	it->next_try_ns = now_ns + (b / 2 + rnd % (b / 2 + 1)) * 1000000ull;
	it->backoff_ms = b >= max_ms / 2 ? max_ms : b * 2;
}

void alertq_counts(const struct alertq *q, size_t *spooled, size_t *in_memory)
{
	*spooled = *in_memory = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (q->v[i].dead)
			continue;
		if (q->v[i].name[0])
			(*spooled)++;
		else
			(*in_memory)++;
	}
}
