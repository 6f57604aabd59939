// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * file.bpf.c - file syscalls of tagged tasks, tail-called from
 * sys_exit_dispatch (sys.bpf.c) with the syscall's pt_regs and result:
 *   h_open    open, openat, openat2, creat           -> AM_EV_OPEN
 *   h_unlink  unlink, unlinkat                       -> AM_EV_UNLINK
 *   h_rename  rename, renameat, renameat2            -> AM_EV_RENAME
 *   h_chmod   chmod, fchmodat, fchmodat2             -> AM_EV_CHMOD
 * Paths are read from user memory at exit, as the process gave them; for a
 * relative path the kernel adds the directory it was resolved against.
 * These programs are never attached; the loader puts them in `handlers`.
 */
#include "common.bpf.h"

/* what one file syscall did, taken from its arguments */
struct file_args {
	const char *path;
	const char *path2;   /* rename: the new path */
	int dfd;             /* directory fd of path */
	int dfd2;            /* directory fd of path2 */
	__u32 flags;
	__u32 mode;
};

/* a user string at rec + off, NUL included; an unreadable one reads as "" */
static __always_inline __u32 put_upath(__u8 *rec, __u32 off, const char *upath)
{
	long n = bpf_probe_read_user_str(&rec[off & STR_OFF_MASK], AM_PATH_MAX, upath);

	if (n <= 0) {
		rec[off & STR_OFF_MASK] = 0;
		n = 1;
	}
	return n & (2 * AM_PATH_MAX - 1);
}

/* the directory a relative path at rec + poff is resolved against, at rec + off */
static __always_inline __u32 put_base(__u8 *rec, __u32 off, __u32 poff, int dfd,
				      struct task_struct *task, __u16 *flags)
{
	struct file *f;

	if (rec[poff & STR_OFF_MASK] == '/' || !rec[poff & STR_OFF_MASK])
		return 0;
	if (dfd == AT_FDCWD)
		return put_cwd(rec, off, task, flags);
	f = fd_file(task, dfd);
	if (!f)
		return 0;
	return put_dpath(rec, off, BPF_CORE_READ(f, f_path.dentry),
			 BPF_CORE_READ(f, f_path.mnt), task, flags);
}

/* build the record for a, with result ret, and put it in the ring buffer */
static __always_inline int file_emit(__u16 type, const struct file_args *a, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct am_tag *tag = handler_tag(task);
	__u32 off = sizeof(struct am_file), p1, p2;
	struct am_file *f;
	__u8 *rec;

	if (!tag)
		return 0;
	rec = scratch_get(type);
	if (!rec)
		return 0;
	f = (void *)rec;
	hdr_fill(&f->hdr, type, 0, tag);
	f->ret = ret;
	f->flags = a->flags;
	f->mode = a->mode;
	p1 = off;
	f->path_len = put_upath(rec, off, a->path);
	off += f->path_len;
	p2 = off;
	f->path2_len = a->path2 ? put_upath(rec, off, a->path2) : 0;
	off += f->path2_len;
	f->base_len = put_base(rec, off, p1, a->dfd, task, &f->hdr.flags);
	off += f->base_len;
	f->base2_len = a->path2 ? put_base(rec, off, p2, a->dfd2, task, &f->hdr.flags) : 0;
	off += f->base2_len;
	f->hdr.size = off & SCRATCH_MASK;
	emit(rec, off & SCRATCH_MASK, type, false);
	scratch_put(rec);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_open, struct pt_regs *regs, long ret)
{
	long nr = SC_NR(regs);
	struct file_args a = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD };

	if (nr == NR_open || nr == NR_creat) {
		a.path = (void *)SC_ARG0(regs);
		a.flags = nr == NR_creat ? O_CREAT | O_WRONLY | O_TRUNC : SC_ARG1(regs);
		a.mode = nr == NR_creat ? SC_ARG1(regs) : SC_ARG2(regs);
	} else {
		a.dfd = SC_ARG0(regs);
		a.path = (void *)SC_ARG1(regs);
		if (nr == NR_openat2) {
			struct open_how how = {};

			bpf_probe_read_user(&how, sizeof(how), (void *)SC_ARG2(regs));
			a.flags = how.flags;
			a.mode = how.mode;
		} else {
			a.flags = SC_ARG2(regs);
			a.mode = SC_ARG3(regs);
		}
	}
	if (!(a.flags & O_CREAT) && !(a.flags & (1u << 22))) /* O_TMPFILE */
		a.mode = 0;
	return file_emit(AM_EV_OPEN, &a, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_unlink, struct pt_regs *regs, long ret)
{
	struct file_args a = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD };

	if (SC_NR(regs) == NR_unlink) {
		a.path = (void *)SC_ARG0(regs);
	} else {
		a.dfd = SC_ARG0(regs);
		a.path = (void *)SC_ARG1(regs);
		a.flags = SC_ARG2(regs); /* AT_REMOVEDIR */
	}
	return file_emit(AM_EV_UNLINK, &a, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_rename, struct pt_regs *regs, long ret)
{
	struct file_args a = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD };
	long nr = SC_NR(regs);

	if (nr == NR_rename) {
		a.path = (void *)SC_ARG0(regs);
		a.path2 = (void *)SC_ARG1(regs);
	} else {
		a.dfd = SC_ARG0(regs);
		a.path = (void *)SC_ARG1(regs);
		a.dfd2 = SC_ARG2(regs);
		a.path2 = (void *)SC_ARG3(regs);
		if (nr == NR_renameat2)
			a.flags = SC_ARG4(regs);
	}
	return file_emit(AM_EV_RENAME, &a, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_chmod, struct pt_regs *regs, long ret)
{
	struct file_args a = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD };
	long nr = SC_NR(regs);

	if (nr == NR_chmod) {
		a.path = (void *)SC_ARG0(regs);
		a.mode = SC_ARG1(regs);
	} else {
		a.dfd = SC_ARG0(regs);
		a.path = (void *)SC_ARG1(regs);
		a.mode = SC_ARG2(regs);
		if (nr == NR_fchmodat2)
			a.flags = SC_ARG3(regs);
	}
	return file_emit(AM_EV_CHMOD, &a, ret);
}
