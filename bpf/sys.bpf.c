// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sys.bpf.c - the one syscall hook: tp_btf/sys_exit.  It owns nothing but
 * the dispatch: syscall number first (most calls return here), then the
 * tagged_bits prefilter (an inlined array load: untagged tasks return here
 * without any hash lookup), then a tail call into the handler for the
 * concern (file.bpf.c, net.bpf.c).  For read/write/send/recv calls of a
 * thread inside a TLS library call (tls.bpf.c) it records the fd in the
 * call's state (tail call to h_tls, tls.bpf.c), which ties the plaintext to
 * its socket.  No sys_enter hook: the
 * arguments are still in pt_regs at exit.  No subprograms (tail calls and
 * bpf-to-bpf calls cannot mix before 5.10).
 */
#include "common.bpf.h"

const volatile __u64 wakeup_bytes = AM_WAKEUP_BYTES;

#define H_RW 100 /* read/write family: only the TLS fd is recorded */

static __always_inline int handler_for(long nr)
{
	switch (nr) {
	case NR_read: case NR_write: case NR_readv: case NR_writev:
	case NR_recvfrom: case NR_recvmsg:
		return H_RW;
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		return AM_H_OPEN;
	case NR_unlink: case NR_unlinkat:
		return AM_H_UNLINK;
	case NR_rename: case NR_renameat: case NR_renameat2:
		return AM_H_RENAME;
	case NR_chmod: case NR_fchmodat: case NR_fchmodat2:
		return AM_H_CHMOD;
	case NR_connect:
		return AM_H_CONNECT;
	case NR_sendto: case NR_sendmsg:
		return AM_H_SEND;
	case NR_accept: case NR_accept4:
		return AM_H_ACCEPT;
	}
	return -1;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_dispatch, struct pt_regs *regs, long ret)
{
	int h = handler_for(SC_NR(regs));
	__u64 pt;

	if (h < 0)
		return 0;
	pt = bpf_get_current_pid_tgid();
	if (!tgid_bit(pt >> 32))
		return 0;
	if (h == H_RW || h == AM_H_SEND) {
		/* inside a TLS call: h_tls records the fd (and goes on to h_send) */
		if (bpf_map_lookup_elem(&tls_calls, &pt))
			bpf_tail_call(ctx, &handlers, AM_H_TLS);
		if (h == H_RW)
			return 0;
	}
	bpf_tail_call(ctx, &handlers, h);
	return 0;
}

/* the license of the linked object; one definition for all files */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
