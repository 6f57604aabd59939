// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * proc.bpf.c - process lifecycle, on scheduler tracepoints (not per syscall):
 *   proc_fork  owns tag inheritance: a tagged parent's new thread group gets
 *              the same tag (AM_EV_FORK; urgent when the parent is younger
 *              than AM_FORK_WAKE_NS: see user/tls_cover.h);
 *   proc_exec  owns exec records and tagging by executable basename
 *              (agent_exe rules, candidates for userspace);
 *   proc_exit  owns AM_EV_EXIT and removing a dead group from `tagged`.
 */
#include "common.bpf.h"

SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct am_tag *tag, t;
	struct am_hdr h;
	__u16 lost;

	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0; /* a new thread: shares the group's tag */
	if (!tgid_bit(ptgid))
		return 0;
	tag = bpf_map_lookup_elem(&tagged, &ptgid);
	if (!tag)
		return 0;
	t = *tag;
	t.start_ns = BPF_CORE_READ(child, start_boottime);
	lost = tag_put(ctgid, &t);
	hdr_fill(&h, AM_EV_FORK, sizeof(h), &t);
	h.flags = lost;
	h.pid = ctgid;
	h.tid = ctgid;
	h.ppid = ptgid;
	BPF_CORE_READ_INTO(&h.comm, child, comm);
	/* a young parent's child may need a TLS uprobe attach of its own, and
	 * may speak TLS within ms: its record goes out at once */
	emit(&h, sizeof(h), AM_EV_FORK,
	     bpf_ktime_get_boot_ns() - BPF_CORE_READ(parent, group_leader, start_boottime) <
		     AM_FORK_WAKE_NS);
	return 0;
}

/* whether the NUL-padded basename key looks like a version (AM_VERSION_KEY) */
static __always_inline bool version_like(const struct am_name *key)
{
	bool dot = false;

	if (key->name[0] < '0' || key->name[0] > '9')
		return false;
	for (__u32 i = 1; i < AM_NAME_MAX; i++) {
		char c = key->name[i];

		if (!c)
			break;
		if (c == '.')
			dot = true;
		else if (c < '0' || c > '9')
			return false;
	}
	return dot;
}

/*
 * the agent_exe rule for the basename of the filename at fname, or NULL; a
 * version-like basename with no rule of its own takes AM_VERSION_KEY's
 */
static __always_inline struct am_exe_rule *exe_rule(__u8 *rec, __u32 fname, __u32 fnlen)
{
	struct am_name key = {};
	struct am_exe_rule *rule;
	__u32 start = 0, blen;
	bool found = false;

	if (fnlen < 2 || fnlen > AM_PATH_MAX)
		return NULL;
	for (__u32 i = 0; i < AM_NAME_MAX; i++) {
		if (i + 2 > fnlen) {
			found = true; /* no slash: the whole name */
			break;
		}
		if (rec[(fname + fnlen - 2 - i) & SCRATCH_MASK] == '/') {
			start = fnlen - 1 - i;
			found = true;
			break;
		}
	}
	if (!found)
		return NULL; /* longer than any key */
	blen = (fnlen - 1 - start) & (AM_NAME_MAX - 1);
	bpf_probe_read_kernel(key.name, blen, &rec[(fname + start) & STR_OFF_MASK]);
	rule = bpf_map_lookup_elem(&agent_exe, &key);
	if (rule || !version_like(&key))
		return rule;
	__builtin_memset(&key, 0, sizeof(key));
	__builtin_memcpy(key.name, AM_VERSION_KEY, sizeof(AM_VERSION_KEY));
	return bpf_map_lookup_elem(&agent_exe, &key);
}

/*
 * the tag of an exec'ing untagged process: tagged now by an AM_RULE_TAG
 * rule, or a candidate.  Returns the hdr flags, 0 when it is not reported.
 */
static __always_inline __u16 exec_untagged(__u8 *rec, __u32 fname, __u32 fnlen,
					   __u32 tgid, struct am_tag *t)
{
	struct am_config *cfg = config_get();
	struct am_exe_rule *rule;

	if (cfg && cfg->collector_pid == tgid)
		return 0;
	rule = exe_rule(rec, fname, fnlen);
	if (rule && rule->action == AM_RULE_TAG) {
		t->agent_pid = tgid;
		t->agent_id = rule->agent_id;
		t->start_ns = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
					    group_leader, start_boottime);
		return AM_F_NEW_TAG | tag_put(tgid, t);
	}
	if ((rule && rule->action == AM_RULE_CANDIDATE) || (cfg && cfg->candidate_all)) {
		t->agent_pid = 0;
		t->agent_id = AM_AGENT_NONE;
		return AM_F_CANDIDATE;
	}
	return 0;
}

/* argv strings of the new image at rec + off; sets argc and AM_F_ARGV_TRUNC */
static __always_inline __u32 put_argv(__u8 *rec, __u32 off, struct task_struct *p,
				      struct am_exec *e)
{
	unsigned long arg = BPF_CORE_READ(p, mm, arg_start);
	unsigned long end = BPF_CORE_READ(p, mm, arg_end);
	__u32 len = 0, argc = 0;

	for (int i = 0; i < AM_ARGC_MAX && arg < end && len < AM_ARGV_MAX - 1; i++) {
		__u32 room;
		long n;

		barrier_var(len); /* keep the mask: the verifier needs it */
		room = AM_ARGV_MAX - (len & (AM_ARGV_MAX - 1));
		n = bpf_probe_read_user_str(&rec[(off + len) & STR_OFF_MASK], room, (void *)arg);
		if (n <= 0)
			break;
		argc++;
		len += n;
		arg += n;
	}
	if (arg < end)
		e->hdr.flags |= AM_F_ARGV_TRUNC;
	e->argc = argc;
	return len & (2 * AM_ARGV_MAX - 1);
}

/*
 * whether a kernel string that filled AM_PATH_MAX bytes was cut there: its
 * own last byte is not the NUL (or cannot be read).  bprm->filename may be
 * longer than PATH_MAX ("/dev/fd/N/" + a path, for execveat).
 */
static __always_inline bool name_cut(const char *src)
{
	__u8 c = 0;

	return bpf_probe_read_kernel(&c, 1, src + AM_PATH_MAX - 1) || c;
}

/*
 * the identity of the file the kernel runs (bprm->file: the interpreter of
 * a #! script or a binfmt_misc entry, AM_F_INTERP, which bprm->interp then
 * names instead of filename): the collector checks the file it finds at
 * the exec's path against it when /proc/PID/exe is gone
 */
static __always_inline void exe_id(struct am_exec *e, struct linux_binprm *bprm)
{
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);

	e->exe_ino = BPF_CORE_READ(ino, i_ino);
	e->exe_dev = BPF_CORE_READ(ino, i_sb, s_dev);
	if (BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename))
		e->hdr.flags |= AM_F_INTERP;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const __u32 fname = sizeof(struct am_exec);
	struct am_tag t = {}, *tag;
	struct am_exec *e;
	__u32 off, size;
	__u16 flags = 0, cut = 0;
	__u8 *rec;
	long n;

	rec = scratch_get(AM_EV_EXEC);
	if (!rec)
		return 0;
	e = (void *)rec;
	n = bpf_probe_read_kernel_str(&rec[fname], AM_PATH_MAX, BPF_CORE_READ(bprm, filename));
	if (n <= 0)
		n = 1, rec[fname] = 0;
	if (n >= AM_PATH_MAX && name_cut(BPF_CORE_READ(bprm, filename)))
		cut = AM_F_PATH_TRUNC;
	tag = tgid_bit(tgid) ? bpf_map_lookup_elem(&tagged, &tgid) : NULL;
	if (tag)
		t = *tag;
	else if (!(flags = exec_untagged(rec, fname, n, tgid, &t)))
		goto out;

	hdr_fill(&e->hdr, AM_EV_EXEC, 0, &t);
	e->hdr.flags = flags | cut;
	e->filename_len = n;
	*(__u16 *)&e->_pad[0] = 0;
	exe_id(e, bprm);
	/* 1..AM_PATH_MAX as the verifier sees it: a name that fills the buffer
	 * keeps its last byte (n & (AM_PATH_MAX - 1) put argv over it) */
	off = fname + ((n - 1) & (AM_PATH_MAX - 1)) + 1;
	e->argv_len = put_argv(rec, off, p, e);
	off += e->argv_len;
	e->cwd_len = put_cwd(rec, off, p, &e->hdr.flags);
	size = (off + e->cwd_len) & SCRATCH_MASK;
	e->hdr.size = size;
	emit(rec, size, AM_EV_EXEC, true);
out:
	scratch_put(rec);
	return 0;
}

/*
 * The exit of a tagged process is decided by its `tagged` entry alone, not
 * by the tagged_bits prefilter: an exit is rare next to syscalls, and one
 * missed vanishes silently (a bit found clear beside a live entry is counted,
 * AM_FAULT_TAG_BIT).  The per-process TLS state goes at the group's death
 * whether or not a tag is still there (a reused pid must not inherit it); a
 * thread's waiting TLS records (tls_pend) at its own exit, counted as lost.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u64 pt = bpf_get_current_pid_tgid();
	struct am_tag *tag = bpf_map_lookup_elem(&tagged, &tgid);
	bool bit = tgid_bit(tgid);
	struct am_exit e;

	if (bit || tag)
		bpf_map_delete_elem(&tls_lastrd, &pt); /* p is the current task */
	tls_pend_gone(pt);   /* its records still waiting for a socket write: lost, counted */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads of the group still run */
	bpf_map_delete_elem(&tls_readers, &tgid);
	bpf_map_delete_elem(&llm_rx, &tgid);
	bpf_map_delete_elem(&llm_watch, &tgid);
	bpf_map_delete_elem(&llm_tx, &tgid);
	if (!tag) {
		awslc_gone(tgid);
		return 0;
	}
	if (!bit)
		fault_count(AM_FAULT_TAG_BIT);
	hdr_fill(&e.hdr, AM_EV_EXIT, sizeof(e), tag);
	e.status = BPF_CORE_READ(p, exit_code);
	if (e.status & 0x7f)
		e.hdr.flags |= AM_F_SIGNALED;
	*(__u32 *)e._pad = 0;
	emit(&e, sizeof(e), AM_EV_EXIT, true);
	if (bit)
		tag_del(tgid);
	else
		bpf_map_delete_elem(&tagged, &tgid); /* no bit to take back */
	awslc_gone(tgid);
	return 0;
}
