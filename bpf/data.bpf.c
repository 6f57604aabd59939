// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * data.bpf.c - the bytes on the wire of tagged tasks' sockets, from cgroup
 * skb hooks on the cgroup v2 root, whatever the path that sent them (write,
 * send*, writev, sendfile, splice, io_uring):
 *   data_egress   AM_EV_DATA/AM_DATA_SOCK_SEND: first bytes of the payload
 *                 (after the IP and TCP/UDP headers) of packets of sockets
 *                 that net.bpf.c marked in sk_store; others return at once
 *   data_ingress  AM_EV_DATA/AM_DATA_SOCK_RECV: DNS answers (UDP from port
 *                 53) to marked sockets; on marked TCP sockets it notes
 *                 that the peer spoke (the next send starts a new request)
 * The header comes from the socket's owner in sk_store: these hooks can run
 * in softirq, with no meaningful current task.  Both always return 1: they
 * never drop a packet.
 *
 * Byte window, per socket: payload is captured while the socket has sent
 * less than data_window bytes, and for the first packet sent after the peer
 * sent payload (HTTP keep-alive: each new request follows a response).
 * Other packets are counted; a count-only record (cap_len 0, ret = bytes
 * not yet reported) goes out when the total passes next_report, which grows
 * by max(window, total / 4) each time (about 45 records for 1 GiB).  TCP
 * retransmissions (sequence at or below what was sent) are skipped.  TLS
 * application data records (0x17 0x03) keep only their first 8 bytes: the
 * plaintext comes from tls.bpf.c.
 *
 * Request heads (head.bpf.h): a captured packet whose payload starts one opens
 * a head budget of AM_HEAD_MAX bytes on the socket (AM_POST_MAX for a POST,
 * whose body a model API reads: llm events, and the first AM_HEAD_MAX bytes
 * of its answer are captured too, AM_DATA_SOCK_RECV); while it lasts, packets
 * (in the window or not) are captured whole, as consecutive records of up to
 * AM_DATA_CAP_MAX bytes (ret of each = its bytes, the last one's also counts
 * what was not captured), so a head longer than data_cap, or spread over
 * several packets, reaches the collector without gaps.
 */
#include "common.bpf.h"
#include "head.bpf.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TLS_APPDATA_CAP 8
#define AM_POST_MAX   (128u << 10) /* a cleartext POST: head and body captured */
#define AM_PKT_CHUNKS 16           /* records of one packet (64 KiB) */

/* set by the loader before load */
const volatile __u32 data_cap = AM_DATA_CAP_DEFAULT;
const volatile __u32 data_window = AM_DATA_WINDOW_DEFAULT;

/* what the headers of one packet say; addresses as on the wire */
struct pkt {
	__u8  saddr[16];
	__u8  daddr[16];
	__u32 off;           /* payload offset from the network header */
	__u32 len;           /* payload bytes */
	__u32 seq;           /* TCP sequence number */
	__u16 family;
	__u16 sport, dport;  /* host order */
	__u8  proto;
};

static __always_inline bool parse(struct __sk_buff *skb, struct pkt *p)
{
	__u8 vhl;

	if (bpf_skb_load_bytes(skb, 0, &vhl, 1))
		return false;
	if ((vhl >> 4) == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return false;
		if (ip.frag_off & bpf_htons(0x1fff))
			return false; /* not the first fragment: no transport header */
		p->family = AF_INET;
		p->proto = ip.protocol;
		p->off = (ip.ihl & 0xf) * 4;
		__builtin_memcpy(p->saddr, &ip.saddr, 4);
		__builtin_memcpy(p->daddr, &ip.daddr, 4);
	} else if ((vhl >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return false;
		p->family = AF_INET6;
		p->proto = ip6.nexthdr; /* extension headers: not TCP/UDP, skipped */
		p->off = sizeof(ip6);
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
	} else {
		return false;
	}
	if (p->proto == IPPROTO_TCP) {
		struct tcphdr th;

		if (bpf_skb_load_bytes(skb, p->off, &th, sizeof(th)))
			return false;
		p->sport = bpf_ntohs(th.source);
		p->dport = bpf_ntohs(th.dest);
		p->seq = bpf_ntohl(th.seq);
		p->off += th.doff * 4;
	} else if (p->proto == IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_skb_load_bytes(skb, p->off, &uh, sizeof(uh)))
			return false;
		p->sport = bpf_ntohs(uh.source);
		p->dport = bpf_ntohs(uh.dest);
		p->off += sizeof(uh);
	} else {
		return false;
	}
	p->len = skb->len > p->off ? skb->len - p->off : 0;
	return true;
}

/* the marked socket of skb, NULL for every other */
static __always_inline struct am_sk *skb_owner(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return NULL;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&sk_store, sk, 0, 0);
}

/*
 * one record: cap bytes of payload (0 for a count-only record), ret bytes
 * accounted.  out: the packet goes from us (addresses as they are) or to us
 * (peer = the packet's source).
 */
/*
 * one record built in the per-CPU scratch (not yet emitted): cap bytes of
 * payload from offset at (0 for a count-only record), ret bytes accounted.
 * out: the packet goes from us (addresses as they are) or to us (peer = the
 * packet's source).  NULL when there is no scratch.
 */
static __always_inline struct am_data *data_fill(struct __sk_buff *skb, struct am_sk *st,
						 const struct pkt *p, __u8 source, __s64 ret,
						 __u32 at, __u32 cap)
{
	struct am_data *d = scratch_get(AM_EV_DATA);
	bool out = source == AM_DATA_SOCK_SEND;

	if (!d)
		return NULL;
	cap = cap_clamp(cap);
	d->hdr.ts_ns = bpf_ktime_get_boot_ns();
	d->hdr.pid = st->tgid;
	d->hdr.tid = st->tid;
	d->hdr.ppid = st->ppid;
	d->hdr.uid = st->uid;
	d->hdr.agent_pid = st->agent_pid;
	d->hdr.agent_id = st->agent_id;
	d->hdr.type = AM_EV_DATA;
	d->hdr.flags = st->flags;
	__builtin_memcpy(d->hdr.comm, st->comm, AM_COMM_LEN);
	d->hdr._pad[0] = d->hdr._pad[1] = 0;
	d->sock_id = st->sock_id;
	d->ret = ret;
	__builtin_memcpy(d->daddr, out ? p->daddr : p->saddr, 16);
	__builtin_memcpy(d->saddr, out ? p->saddr : p->daddr, 16);
	d->fd = 0xffffffff;
	d->dport = out ? p->dport : p->sport;
	d->sport = out ? p->sport : p->dport;
	d->family = p->family;
	d->proto = p->proto;
	d->source = source;
	d->lib = AM_TLS_NONE;
	d->_pad[0] = 0;
	if (cap && bpf_skb_load_bytes(skb, p->off + at, (__u8 *)d + sizeof(*d), cap_clamp1(cap)))
		cap = 0;
	cap = cap_clamp(cap);
	d->cap_len = cap;
	d->hdr.size = sizeof(*d) + cap;
	return d;
}

/* emit d and give its scratch slot back */
static __always_inline void data_send(struct am_data *d)
{
	__u32 cap = cap_clamp(d->cap_len);

	emit(d, sizeof(*d) + cap, AM_EV_DATA, false);
	scratch_put(d);
}

/* one record: cap bytes of payload (0 for a count-only record), ret bytes accounted */
static __always_inline void data_emit(struct __sk_buff *skb, struct am_sk *st,
				      const struct pkt *p, __u8 source, __s64 ret, __u32 cap)
{
	struct am_data *d = data_fill(skb, st, p, source, ret, 0, cap);

	if (d)
		data_send(d);
}

/*
 * a packet of a request head: its first st->head_left bytes whole, in
 * records of AM_DATA_CAP_MAX (the last record's ret also counts the rest)
 */
static __always_inline __u32 chunks_emit(struct __sk_buff *skb, struct am_sk *st,
					 const struct pkt *p, __u8 source, __u32 left)
{
#pragma clang loop unroll(disable)
	for (int i = 0; i < AM_PKT_CHUNKS; i++) {
		__u32 at = i * AM_DATA_CAP_MAX, cap = AM_DATA_CAP_MAX;
		struct am_data *d;
		bool last;

		if (at >= p->len || at >= left)
			break;
		if (p->len - at < cap)
			cap = p->len - at;
		if (left - at < cap)
			cap = left - at;
		last = at + cap >= p->len || at + cap >= left || i == AM_PKT_CHUNKS - 1;
		d = data_fill(skb, st, p, source, last ? p->len - at : cap, at, cap);
		if (d)
			data_send(d);
	}
	return p->len < left ? left - p->len : 0;
}

static __always_inline void head_emit(struct __sk_buff *skb, struct am_sk *st,
				      const struct pkt *p)
{
	st->head_left = chunks_emit(skb, st, p, AM_DATA_SOCK_SEND, st->head_left);
}

/* a cleartext POST request starts at p (n captured bytes): its answer is
 * captured too (a model API's tool calls; llm events) */
static __always_inline bool post_head(const __u8 *p, __u32 n)
{
	return n > 5 && p[0] == 'P' && p[1] == 'O' && p[2] == 'S' && p[3] == 'T' && p[4] == ' ';
}

/* the bytes of this packet worth capturing */
static __always_inline __u32 send_cap(struct __sk_buff *skb, const struct pkt *p)
{
	__u32 cap = p->len < data_cap ? p->len : data_cap;
	__u8 h[2];

	if (cap > TLS_APPDATA_CAP && !bpf_skb_load_bytes(skb, p->off, h, 2) &&
	    h[0] == 0x17 && h[1] == 0x03)
		cap = TLS_APPDATA_CAP;
	return cap;
}

/*
 * a packet to capture: its first bytes; or, when it starts a request head
 * or continues one, all of it within the head budget
 */
static __always_inline void send_emit(struct __sk_buff *skb, struct am_sk *st,
				      const struct pkt *p)
{
	struct am_data *d;
	__u32 budget;
	bool head;

	if (!st->head_left) {
		d = data_fill(skb, st, p, AM_DATA_SOCK_SEND, p->len, 0, send_cap(skb, p));
		if (!d)
			return;
		head = p->proto == IPPROTO_TCP &&
		       head_start((__u8 *)d + sizeof(*d), cap_clamp(d->cap_len));
		budget = head && post_head((__u8 *)d + sizeof(*d), cap_clamp(d->cap_len)) ?
			 AM_POST_MAX : AM_HEAD_MAX;
		if (head)
			st->rx_left = budget == AM_POST_MAX ? AM_HEAD_MAX : 0;
		if (!head || p->len <= d->cap_len) {
			if (head) /* whole here; the head may go on in the next packets */
				st->head_left = budget - p->len;
			data_send(d);
			return;
		}
		scratch_put(d); /* not sent: head_emit sends the head in chunks */
		st->head_left = budget;
	}
	head_emit(skb, st, p);
}

SEC("cgroup_skb/egress")
int data_egress(struct __sk_buff *skb)
{
	struct am_sk *st = skb_owner(skb);
	struct pkt p = {};
	__u64 before;
	bool turn;

	if (!st)
		return 1;
	if (!st->sock_id)
		st->sock_id = bpf_get_socket_cookie(skb);
	if (!parse(skb, &p) || !p.len)
		return 1;
	if (p.proto == IPPROTO_TCP) {
		if (st->seq_valid && (__s32)(p.seq + p.len - st->snd_end) <= 0)
			return 1; /* a retransmission */
		st->snd_end = p.seq + p.len;
		st->seq_valid = 1;
	}
	before = st->sent;
	st->sent = before + p.len;
	turn = st->rx_turn;
	if (turn)
		st->rx_turn = 0;
	if (before < data_window || turn || st->head_left) {
		if (before > st->counted) /* what went uncaptured before this request */
			data_emit(skb, st, &p, AM_DATA_SOCK_SEND, before - st->counted, 0);
		st->counted = st->sent;
		send_emit(skb, st, &p);
	} else if (st->sent >= st->next_report) {
		__u64 step = st->sent / 4;

		data_emit(skb, st, &p, AM_DATA_SOCK_SEND, st->sent - st->counted, 0);
		st->counted = st->sent;
		st->next_report = st->sent + (step > data_window ? step : data_window);
	}
	return 1;
}

SEC("cgroup_skb/ingress")
int data_ingress(struct __sk_buff *skb)
{
	struct am_sk *st = skb_owner(skb);
	struct pkt p = {};

	if (!st || !parse(skb, &p) || !p.len)
		return 1;
	if (p.proto == IPPROTO_TCP) {
		if (!st->rx_turn)
			st->rx_turn = 1;
		if (st->rx_left)
			st->rx_left = chunks_emit(skb, st, &p, AM_DATA_SOCK_RECV, st->rx_left);
	} else if (p.sport == 53) {
		data_emit(skb, st, &p, AM_DATA_SOCK_RECV, p.len,
			  p.len < data_cap ? p.len : data_cap);
	}
	return 1;
}
