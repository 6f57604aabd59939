// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sys.bpf.c - the one syscall hook: tp_btf/sys_exit.  It owns nothing but
 * the dispatch: syscall number first (most calls return here), then the
 * tagged_bits prefilter (an inlined array load: untagged tasks return here
 * without any hash lookup), then a tail call into the handler for the
 * concern (file.bpf.c, net.bpf.c, watch.bpf.c).  A tagged task's call
 * through the 32-bit compat table whose number is a watched call of that
 * table goes to h_syscall (watch.bpf.c) instead.  For read/write/send/recv
 * calls of a thread inside a TLS library call (tls.bpf.c) it records the fd
 * in the call's state (tail call to h_tls, tls.bpf.c), which ties the
 * plaintext to its socket; so it does for the socket reads of a tgid in
 * tls_readers (records decrypted after the read: tls_lastrd).  No sys_enter
 * hook: the arguments are still in pt_regs at exit.  No subprograms (tail
 * calls and bpf-to-bpf calls cannot mix before 5.10).
 */
#include "common.bpf.h"

const volatile __u64 wakeup_bytes = AM_WAKEUP_BYTES;
const volatile __u8 urgent_force;

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
	case NR_ptrace: case NR_process_vm_writev: case NR_pidfd_getfd:
		return AM_H_SYSCALL;
	}
	return -1;
}

/*
 * numbers of the i386 table whose calls the handlers would watch (open,
 * creat, unlink, chmod, ptrace, rename, socketcall, openat, unlinkat,
 * renameat, fchmodat, sendmmsg, process_vm_writev, renameat2, connect,
 * accept4, sendto, sendmsg, openat2, pidfd_getfd, fchmodat2): a tagged task
 * making one of them through the compat entry is reported by h_syscall
 */
static __always_inline bool compat_watched(long nr)
{
#if defined(__TARGET_ARCH_x86)
	switch (nr) {
	case 5: case 8: case 10: case 15: case 26: case 38: case 102:
	case 295: case 301: case 302: case 306: case 345: case 348: case 353:
	case 362: case 364: case 369: case 370: case 437: case 438: case 452:
		return true;
	}
#endif
	return false;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_dispatch, struct pt_regs *regs, long ret)
{
	long nr = SC_NR(regs);
	int h = handler_for(nr);
	bool compat = compat_watched(nr);
	__u64 pt;

	if (h < 0 && !compat)
		return 0;
	pt = bpf_get_current_pid_tgid();
	if (!tgid_bit(pt >> 32))
		return 0;
	/* a compat number, and a 32-bit entry: not what handler_for thinks */
	if (compat && task_compat((void *)bpf_get_current_task()))
		bpf_tail_call(ctx, &handlers, AM_H_SYSCALL);
	if (h < 0)
		return 0;
	if (h == H_RW || h == AM_H_SEND) {
		__u32 tgid = pt >> 32;

		/* inside a TLS call, or a read of a thread whose records are
		 * decrypted after the read: h_tls records the fd (and goes on
		 * to h_send) */
		if (bpf_map_lookup_elem(&tls_calls, &pt) ||
		    (ret > 0 && sc_reads(nr) && bpf_map_lookup_elem(&tls_readers, &tgid)))
			bpf_tail_call(ctx, &handlers, AM_H_TLS);
		/* a write of a process with aws-lc records waiting: h_awslc
		 * (tls.bpf.c) looks for them in it (and goes on to h_send) */
		if (sc_is_write(nr) && ret > 0 && bpf_map_lookup_elem(&awslc_wait, &(__u32){ pt >> 32 }))
			bpf_tail_call(ctx, &handlers, AM_H_AWSLC);
		if (h == H_RW)
			return 0;
	}
	bpf_tail_call(ctx, &handlers, h);
	return 0;
}

/* the license of the linked object; one definition for all files */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
