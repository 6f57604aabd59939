/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * body.bpf.h - tls.bpf.c's capture of a model exchange beyond the first
 * bytes of each call: the budgets of TLS reads and writes kept whole after
 * a request head (llm_rx, llm_watch, llm_tx: maps in common.bpf.h), and the
 * rest of a waiting record kept whole (awslc_rest, tls_pend_rest).
 * Included by tls.bpf.c after common.bpf.h and head.bpf.h.
 */
#ifndef AGENTMON_BODY_BPF_H
#define AGENTMON_BODY_BPF_H

/* the first bytes of buf, up to limit and moved, into d's payload; how many */
static __always_inline __u32 capture(struct am_data *d, __u64 buf, __s64 moved, __u32 limit)
{
	__u32 cap = cap_clamp(moved < limit ? moved : limit);

	if (cap && bpf_probe_read_user((__u8 *)d + sizeof(*d), cap, (void *)buf))
		cap = 0;
	cap = cap_clamp(cap);
	d->cap_len = cap;
	d->hdr.size = sizeof(*d) + cap;
	return cap;
}

/*
 * tgid -> bytes of TLS reads still captured whole (head_emit), two budgets
 * (maps in common.bpf.h): llm_rx, armed by answer_arm at a request head;
 * llm_watch, set by the collector while it reads a model API exchange of
 * the process over TLS (user/llmconn.h) and deleted by it when it has none.
 * Neither writer touches the other's, so a collector ending an exchange
 * late cannot undo the arming for a request written meanwhile.  Both go at
 * the process's exit (proc.bpf.c)
 */
#define AM_ANSWER_ARM (128 << 10)
/* bytes of TLS writes after a request head captured whole (its body: a
 * model request's prompt may be anywhere in it), llm_tx */
#define AM_BODY_ARM (256 << 10)

/* moved bytes taken from budget map m's entry for tgid while it lasts */
static __always_inline bool budget_take(void *m, __u32 tgid, __s64 moved)
{
	__s64 *left = bpf_map_lookup_elem(m, &tgid);

	if (!left || *left <= 0)
		return false;
	__sync_fetch_and_add(left, -moved);
	return true;
}

/* a read of a process whose model API answer is being read: true while
 * one of its budgets lasts (the collector's first) */
static __always_inline bool answer_watched(__u32 tgid, __s64 moved)
{
	return budget_take(&llm_watch, tgid, moved) || budget_take(&llm_rx, tgid, moved);
}

/* a request head was written (p: its first n bytes): an HTTP/1 POST or an
 * HTTP/2 header block arms the capture of the process's next writes (the
 * body, llm_tx) and of its answer (llm_rx) */
static __always_inline void answer_arm(__u32 tgid, const __u8 *p, __u32 n)
{
	bool post = n >= 5 && p[0] == 'P' && p[1] == 'O' && p[2] == 'S' && p[3] == 'T' && p[4] == ' ';
	__s64 arm = AM_ANSWER_ARM, body = AM_BODY_ARM, *left;

	if (!post && h1_head(p, n))
		return; /* HTTP/1 other than POST */
	bpf_map_update_elem(&llm_tx, &tgid, &body, BPF_ANY);
	left = bpf_map_lookup_elem(&llm_rx, &tgid);
	if (!left)
		bpf_map_update_elem(&llm_rx, &tgid, &arm, BPF_ANY);
	else if (*left < arm)
		*left = arm;
}

/*
 * a waiting record captured whole (llm_tx: a request body): the rest of
 * record k of d (its first chunk), moved bytes at in, is kept in map (its
 * rest map: awslc_rest, tls_pend_rest) until it goes out (body_emit),
 * marked in d (_pad[0], cleared before it goes out): only such a record
 * looks for a rest.  d's ret stays all of it, in case the rest is evicted
 */
#define AM_REST_KEPT 1
static __always_inline void body_keep(void *map, const void *k, struct am_data *d,
				      __u64 in, __s64 moved)
{
	struct body_rest *rs;
	void *zero;

	if (moved <= AM_DATA_CAP_MAX || !(zero = bpf_map_lookup_elem(&body_zero, &zero_key)) ||
	    bpf_map_update_elem(map, k, zero, BPF_ANY) || !(rs = bpf_map_lookup_elem(map, k)))
		return;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < AM_BODY_REST; i++) {
		struct am_data *c = (struct am_data *)rs->b[i];
		__s64 left = moved - (__s64)(i + 1) * AM_DATA_CAP_MAX;

		if (left <= 0)
			break;
		__builtin_memcpy(c, d, sizeof(*d));
		capture(c, in + (__u64)(i + 1) * AM_DATA_CAP_MAX, left, AM_DATA_CAP_MAX);
		c->ret = left <= AM_DATA_CAP_MAX || i == AM_BODY_REST - 1 ? left : AM_DATA_CAP_MAX;
		rs->n = i + 1;
	}
	d->_pad[0] = AM_REST_KEPT;
}

/*
 * the kept rest rs of a record goes out after it, with its socket (d: the
 * record's first chunk, as it went out).  A global function: verified once,
 * not once per state of the flush loops around it (h_awslc's budget)
 */
__noinline int body_out(struct body_rest *rs, const struct am_data *d)
{
	if (!rs || !d)
		return 0;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < AM_BODY_REST; i++) {
		struct am_data *c = (struct am_data *)rs->b[i];

		if (i >= rs->n)
			break;
		c->sock_id = d->sock_id;
		__builtin_memcpy(c->daddr, d->daddr, sizeof(c->daddr));
		__builtin_memcpy(c->saddr, d->saddr, sizeof(c->saddr));
		c->fd = d->fd;
		c->dport = d->dport;
		c->sport = d->sport;
		c->family = d->family;
		c->proto = d->proto;
		emit(c, sizeof(*c) + cap_clamp(c->cap_len), AM_EV_DATA, false);
	}
	return 0;
}

/* record d (key k) goes out (its rest in map, kept by body_keep, after it) */
static __always_inline void body_emit(void *map, const void *k, struct am_data *d)
{
	struct body_rest *rs = NULL;

	if (d->_pad[0] == AM_REST_KEPT)
		rs = bpf_map_lookup_elem(map, k);
	d->_pad[0] = 0;
	if (rs && rs->n) /* its first chunk's ret: its own bytes */
		d->ret = cap_clamp(d->cap_len);
	emit(d, sizeof(*d) + cap_clamp(d->cap_len), AM_EV_DATA, false);
	if (rs) {
		body_out(rs, d);
		bpf_map_delete_elem(map, k);
	}
}

#endif
