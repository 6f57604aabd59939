// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* llmconn.c - the model API exchanges of connections; see llmconn.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "llmconn.h"

#define HOST_MAX 256
#define EXE_MAX  2048

struct llmconn_pend {
	struct llmconn_pend *next;
	struct exchange *x;
	uint32_t stream;           /* HTTP/2 stream id, 0: HTTP/1 */
	bool watched;              /* counted in L->watched */
	uint64_t last_ns;          /* boot ns of its last bytes */
	uint64_t answer_ts;        /* wall ns of the last answer bytes, 0: none */
	struct event ev;           /* the request's event; strings below */
	char host[HOST_MAX];
	char exe[EXE_MAX];
	char agent[AM_NAME_MAX];
};

int llmconn_init(struct llmconn *L, llmconn_emit_fn emit, void *arg)
{
	if (!L->out && !(L->out = calloc(1, sizeof(*L->out))))
		return -ENOMEM;
	L->emit = emit;
	L->arg = arg;
	return 0;
}

void llmconn_fini(struct llmconn *L)
{
	free(L->out);
	L->out = NULL;
}

/* the slot of pid in L->watched, else a free one (LLMCONN_WATCHED: none) */
static size_t watch_slot(const struct llmconn *L, uint32_t pid)
{
	size_t free_at = LLMCONN_WATCHED;

	for (size_t i = 0; i < LLMCONN_WATCHED; i++) {
		if (L->watched[i].open && L->watched[i].pid == pid)
			return i;
		if (!L->watched[i].open && free_at == LLMCONN_WATCHED)
			free_at = i;
	}
	return free_at;
}

/* one more (up: true) or one less exchange of pid over TLS; false when no
 * slot was free */
static bool watch_count(struct llmconn *L, uint32_t pid, bool up)
{
	size_t i = watch_slot(L, pid);

	if (!L->watch || i == LLMCONN_WATCHED || (!up && !L->watched[i].open))
		return false;
	L->watched[i].pid = pid;
	L->watched[i].open += up ? 1 : -1;
	L->watch(L->watch_arg, pid, (uint64_t)L->watched[i].open * LLMCONN_WATCH_BYTES);
	return true;
}

/* p (unlinked) is over: its llm event */
static void pend_end(struct llmconn *L, struct llmconn_pend *p, bool evicted)
{
	struct event ev = p->ev;

	if (p->watched)
		watch_count(L, p->ev.pid, false);

	L->open--;
	L->evicted += evicted;
	ev.type = AM_EV_LLM;
	memset(&ev.llm, 0, sizeof(ev.llm));
	ev.llm.host = p->host;
	ev.llm.missed = exchange_decode(p->x, L->out);
	ev.llm.x = L->out;
	L->unread += L->out->encoding_unread;
	L->inflate_cut += L->out->inflate_cut;
	ev.llm.evicted = evicted;
	if (p->answer_ts)
		ev.ts_ns = p->answer_ts;
	L->emit(L->arg, &ev);
	exchange_free(p->x);
	free(p);
}

/* the link to stream's exchange in *list, or to the list's end */
static struct llmconn_pend **link_of(struct llmconn_pend **list, uint32_t stream)
{
	while (*list && (*list)->stream != stream)
		list = &(*list)->next;
	return list;
}

void llmconn_end(struct llmconn *L, struct llmconn_pend **list, uint32_t stream)
{
	struct llmconn_pend **at = link_of(list, stream), *p = *at;

	if (!p)
		return;
	*at = p->next;
	pend_end(L, p, false);
}

void llmconn_end_all(struct llmconn *L, struct llmconn_pend **list, bool evicted)
{
	while (*list) {
		struct llmconn_pend *p = *list;

		*list = p->next;
		pend_end(L, p, evicted);
	}
}

static void copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

/* the oldest exchange of a full list ends (the newest are first) */
static void make_room(struct llmconn *L, struct llmconn_pend **list)
{
	size_t n = 0;

	for (struct llmconn_pend **at = list; *at; at = &(*at)->next)
		if (++n >= LLMCONN_STREAMS) {
			llmconn_end_all(L, at, false);
			return;
		}
}

bool llmconn_start(struct llmconn *L, struct llmconn_pend **list, const struct llmconn_req *r)
{
	struct llmconn_pend *p;

	llmconn_end(L, list, r->stream);
	make_room(L, list);
	if (!(p = calloc(1, sizeof(*p))))
		return false;
	p->x = r->stream ? exchange_new_h2(r->api, r->path, r->path_len, &L->held) :
		exchange_new(r->api, r->path, r->path_len, r->content_length, &L->held);
	if (!p->x) {
		free(p);
		return false;
	}
	p->stream = r->stream;
	p->ev = *r->ev;
	p->last_ns = r->now_ns;
	copy_str(p->host, sizeof(p->host), r->host);
	copy_str(p->exe, sizeof(p->exe), r->ev->exe);
	copy_str(p->agent, sizeof(p->agent), r->ev->agent);
	p->ev.exe = r->ev->exe ? p->exe : NULL;
	p->ev.agent = p->agent;
	p->next = *list;
	*list = p;
	L->open++;
	p->watched = r->tls && watch_count(L, p->ev.pid, true);
	return true;
}

void llmconn_bytes(struct llmconn *L, struct llmconn_pend **list, uint32_t stream, bool send,
		   const uint8_t *buf, size_t cap, uint64_t ret, uint64_t now_ns, uint64_t ts_ns)
{
	struct llmconn_pend *p = *link_of(list, stream);

	if (!p)
		return;
	p->last_ns = now_ns;
	if (send) {
		exchange_send(p->x, buf, cap, ret);
		return;
	}
	p->answer_ts = ts_ns;
	exchange_recv(p->x, buf, cap, ret);
	if (exchange_done(p->x))
		llmconn_end(L, list, stream);
}

/* the exchanges of *list that keep(p, v) does not keep end */
static void end_unless(struct llmconn *L, struct llmconn_pend **list,
		       bool (*keep)(const struct llmconn_pend *p, uint64_t v), uint64_t v)
{
	while (*list) {
		struct llmconn_pend *p = *list;

		if (keep(p, v)) {
			list = &p->next;
			continue;
		}
		*list = p->next;
		pend_end(L, p, false);
	}
}

static bool had_bytes_since(const struct llmconn_pend *p, uint64_t ns)
{
	return p->last_ns > ns;
}

static bool stream_upto(const struct llmconn_pend *p, uint64_t last)
{
	return p->stream <= last;
}

static bool pid_other(const struct llmconn_pend *p, uint64_t pid)
{
	return p->ev.pid != pid;
}

void llmconn_exit(struct llmconn *L, struct llmconn_pend **list, uint32_t pid)
{
	end_unless(L, list, pid_other, pid);
}

void llmconn_idle(struct llmconn *L, struct llmconn_pend **list, uint64_t idle_before)
{
	end_unless(L, list, had_bytes_since, idle_before);
}

void llmconn_end_above(struct llmconn *L, struct llmconn_pend **list, uint32_t last)
{
	end_unless(L, list, stream_upto, last);
}

bool llmconn_has_pid(const struct llmconn_pend *list, uint32_t pid)
{
	for (; list; list = list->next)
		if (list->ev.pid == pid)
			return true;
	return false;
}

bool llmconn_has(const struct llmconn_pend *list, uint32_t stream)
{
	for (; list; list = list->next)
		if (stream == UINT32_MAX || list->stream == stream)
			return true;
	return false;
}

size_t llmconn_mem(const struct llmconn_pend *list)
{
	size_t n = 0;

	for (; list; list = list->next)
		n += sizeof(*list) + exchange_mem(list->x);
	return n;
}
