// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * watch.bpf.c - calls of tagged tasks that reach past what the other
 * handlers follow, tail-called from sys_exit_dispatch (sys.bpf.c):
 *   h_syscall  -> AM_EV_SYSCALL (struct am_sys), one of
 *     AM_SYS_COMPAT       a watched call through the 32-bit compat table
 *                         (int $0x80): the file and socket handlers cannot
 *                         decode it, so it is reported as such;
 *     AM_SYS_PTRACE       PTRACE_ATTACH / PTRACE_SEIZE of a process,
 *     AM_SYS_VM_WRITEV    process_vm_writev into a process,
 *     AM_SYS_PIDFD_GETFD  pidfd_getfd from a process,
 *                         each only when the target is not tagged (itself,
 *                         its own tree are the agent already): the agent
 *                         acting through a process agentmon does not watch.
 * Tamper records are urgent (the collector alerts on them); compat ones,
 * which a 32-bit program makes by the thousand, are batched.  Never attached;
 * the loader puts it in `handlers`.
 */
#include "common.bpf.h"

#define PTRACE_ATTACH 16
#define PTRACE_SEIZE  0x4206

/*
 * the global pid behind a pidfd of task, 0 when unknown: pidfs (6.9+)
 * keeps the struct pid in the inode's i_private, the anonymous inode of
 * older kernels in the file's private_data
 */
static __always_inline __u32 pidfd_target(struct task_struct *task, int fd)
{
	struct file *f = fd_file(task, fd);
	struct pid *pid;

	if (!f)
		return 0;
	pid = BPF_CORE_READ(f, f_inode, i_private);
	if (!pid)
		pid = BPF_CORE_READ(f, private_data);
	return pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/* a target known to be the agent's: the caller's group or a tagged group
 * (an unknown target, 0, is not: reported) */
static __always_inline bool inside(__u32 target, __u32 tgid)
{
	return target && (target == tgid || tgid_bit(target));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_syscall, struct pt_regs *regs, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct am_tag *tag = bpf_map_lookup_elem(&tagged, &tgid);
	long nr = SC_NR(regs);
	struct am_sys r = {};

	if (!tag)
		return 0;
	if (task_compat(task)) {
		r.kind = AM_SYS_COMPAT;
		r.arg = SC_ARG0(regs);
	} else if (nr == NR_ptrace) {
		r.kind = AM_SYS_PTRACE;
		r.arg = SC_ARG0(regs);
		r.target = SC_ARG1(regs);
		if (r.arg != PTRACE_ATTACH && r.arg != PTRACE_SEIZE)
			return 0; /* the rest act on a tracee attached before */
	} else if (nr == NR_process_vm_writev) {
		r.kind = AM_SYS_VM_WRITEV;
		r.target = SC_ARG0(regs);
	} else if (nr == NR_pidfd_getfd) {
		r.kind = AM_SYS_PIDFD_GETFD;
		r.target = pidfd_target(task, SC_ARG0(regs));
		r.arg = SC_ARG1(regs);
	} else {
		return 0;
	}
	if (r.kind != AM_SYS_COMPAT && inside(r.target, tgid))
		return 0;
	hdr_fill(&r.hdr, AM_EV_SYSCALL, sizeof(r), tag);
	r.ret = ret;
	r.nr = nr;
	/* a 32-bit program makes many compat calls: batched wakeups for those */
	emit(&r, sizeof(r), AM_EV_SYSCALL, r.kind != AM_SYS_COMPAT);
	return 0;
}
