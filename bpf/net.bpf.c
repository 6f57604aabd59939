// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * net.bpf.c - sockets of tagged tasks (AF_INET/AF_INET6, TCP and UDP only).
 *
 * AM_F_PRE records, from cgroup sock_addr hooks on the cgroup v2 root, before
 * the operation (they also see io_uring, marked AM_F_IO_URING):
 *   sock_connect4/6  -> AM_EV_CONNECT     sock_sendmsg4/6 -> AM_EV_SEND
 * AM_F_RET records, tail-called from sys_exit_dispatch (sys.bpf.c):
 *   h_connect  connect: destination from the user sockaddr, ret
 *   h_send     sendto/sendmsg carrying a destination: destination, bytes
 *   h_accept   accept/accept4 with ret >= 0: the peer of the new socket
 * The collector pairs PRE and RET records by tid.
 * The sock_addr hooks also mark the socket in sk_store (owner, agent, byte
 * counters) for the cgroup skb hooks of data.bpf.c.
 */
#include "common.bpf.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* set by the loader from helper probes; false leaves the field empty */
const volatile bool sock_have_task = false;  /* get_current_task, probe_read_kernel */
const volatile bool sock_have_comm = false;  /* get_current_comm */
const volatile bool sock_have_regs = false;  /* get_current_task_btf, task_pt_regs */
const volatile bool sock_have_storage = false; /* sk_storage_get in sock_addr programs */

static __always_inline bool proto_ok(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* ---- cgroup sock_addr hooks ---- */

/* header fields in a cgroup hook, as far as the kernel's helpers allow */
static __always_inline void sock_hdr(struct am_hdr *h, __u16 type, const struct am_tag *tag)
{
	__u64 pt = bpf_get_current_pid_tgid();

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->agent_pid = tag->agent_pid;
	h->agent_id = tag->agent_id;
	h->type = type;
	h->size = sizeof(struct am_net);
	h->flags = AM_F_PRE;
	if (sock_have_comm)
		bpf_get_current_comm(h->comm, sizeof(h->comm));
	if (sock_have_task) {
		struct task_struct *task = (void *)bpf_get_current_task();

		h->ppid = BPF_CORE_READ(task, real_parent, tgid);
		if (BPF_CORE_READ(task, flags) & PF_IO_WORKER)
			h->flags |= AM_F_IO_URING;
	}
	if (sock_have_regs) {
		struct pt_regs *regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());

		if (BPF_CORE_READ(regs, SC_NR_FIELD) == NR_io_uring_enter)
			h->flags |= AM_F_IO_URING; /* issued inline by io_uring_enter */
	}
}

/* mark the socket as a tagged task's, owned by the task of h */
static __always_inline void sock_mark(struct bpf_sock_addr *ctx, const struct am_hdr *h)
{
	struct bpf_sock *sk = ctx->sk;
	__u16 flags = h->flags & AM_F_IO_URING;
	struct am_sk *st;

	if (!sock_have_storage || !sk)
		return;
	if (h->type == AM_EV_CONNECT && ctx->protocol == IPPROTO_UDP)
		flags |= AM_F_CONNECTED;
	st = bpf_sk_storage_get(&sk_store, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	flags |= st->flags & AM_F_CONNECTED; /* a connected socket stays so */
	if (st->tid == h->tid && st->agent_id == h->agent_id && st->flags == flags)
		return;
	st->tgid = h->pid;
	st->tid = h->tid;
	st->ppid = h->ppid;
	st->uid = h->uid;
	st->agent_pid = h->agent_pid;
	st->agent_id = h->agent_id;
	st->flags = flags;
	__builtin_memcpy(st->comm, h->comm, AM_COMM_LEN);
}

static __always_inline int sock_pre(struct bpf_sock_addr *ctx, __u16 type, bool v6)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct am_net n = {};
	struct am_tag *tag;

	if (!tgid_bit(tgid) || !(tag = bpf_map_lookup_elem(&tagged, &tgid)) ||
	    !proto_ok(ctx->protocol))
		return 1;
	sock_hdr(&n.hdr, type, tag);
	n.fd = 0xffffffff;
	n.proto = ctx->protocol;
	n.dport = bpf_ntohs(ctx->user_port);
	if (v6) {
		n.family = AF_INET6;
		__u32 *d = (__u32 *)n.daddr;

		/* the verifier wants constant offsets into the context */
		d[0] = ctx->user_ip6[0];
		d[1] = ctx->user_ip6[1];
		d[2] = ctx->user_ip6[2];
		d[3] = ctx->user_ip6[3];
	} else {
		n.family = AF_INET;
		*(__u32 *)n.daddr = ctx->user_ip4;
	}
	emit(&n, sizeof(n), type, type == AM_EV_CONNECT);
	sock_mark(ctx, &n.hdr);
	return 1;
}

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx) { return sock_pre(ctx, AM_EV_CONNECT, false); }
SEC("cgroup/connect6")
int sock_connect6(struct bpf_sock_addr *ctx) { return sock_pre(ctx, AM_EV_CONNECT, true); }
SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx) { return sock_pre(ctx, AM_EV_SEND, false); }
SEC("cgroup/sendmsg6")
int sock_sendmsg6(struct bpf_sock_addr *ctx) { return sock_pre(ctx, AM_EV_SEND, true); }

/* ---- sys_exit handlers ---- */

/* local address and port of sk, and its protocol */
static __always_inline void sock_local(struct am_net *n, struct sock *sk)
{
	if (sk)
		sk_local(sk, n->family, &n->proto, &n->sport, n->saddr);
}

/* destination from a user sockaddr; false unless AF_INET/AF_INET6 */
static __always_inline bool user_dest(struct am_net *n, const void *uaddr)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr)) {
		/* a short sockaddr_in at the end of a page: read it alone */
		if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
			return false;
	}
	n->family = sa.sin6_family;
	n->dport = bpf_ntohs(sa.sin6_port);
	if (n->family == AF_INET6)
		__builtin_memcpy(n->daddr, &sa.sin6_addr, 16);
	else if (n->family == AF_INET)
		__builtin_memcpy(n->daddr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	else
		return false;
	return true;
}

/* fill the header and put n in the ring buffer when its protocol is wanted */
static __always_inline int net_emit(struct am_net *n, __u16 type, const struct am_tag *tag,
				    long ret)
{
	if (!proto_ok(n->proto))
		return 0;
	hdr_fill(&n->hdr, type, sizeof(*n), tag);
	n->hdr.flags = AM_F_RET;
	n->ret = ret;
	emit(n, sizeof(*n), type, type == AM_EV_CONNECT);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_connect, struct pt_regs *regs, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct am_tag *tag = handler_tag(task);
	struct am_net n = {};

	if (!tag || !user_dest(&n, (void *)SC_ARG1(regs)))
		return 0;
	n.fd = SC_ARG0(regs);
	sock_local(&n, fd_sock(task, n.fd));
	return net_emit(&n, AM_EV_CONNECT, tag, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_send, struct pt_regs *regs, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct am_tag *tag = handler_tag(task);
	struct am_net n = {};
	void *dest;

	if (!tag)
		return 0;
	if (SC_NR(regs) == NR_sendto) {
		dest = (void *)SC_ARG4(regs);
	} else {
		struct user_msghdr m = {};

		bpf_probe_read_user(&m, sizeof(m), (void *)SC_ARG1(regs));
		dest = m.msg_name;
	}
	if (!dest || !user_dest(&n, dest))
		return 0; /* no destination: a connected socket, seen at connect */
	n.fd = SC_ARG0(regs);
	sock_local(&n, fd_sock(task, n.fd));
	return net_emit(&n, AM_EV_SEND, tag, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_accept, struct pt_regs *regs, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct am_tag *tag = handler_tag(task);
	struct am_net n = {};
	struct sock *sk;

	if (!tag || ret < 0)
		return 0;
	sk = fd_sock(task, ret);
	if (!sk)
		return 0;
	n.fd = ret;
	sk_peer(sk, &n.family, &n.dport, n.daddr);
	if (n.family != AF_INET && n.family != AF_INET6)
		return 0;
	sock_local(&n, sk);
	return net_emit(&n, AM_EV_ACCEPT, tag, ret);
}
