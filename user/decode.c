// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * decode.c - validate one raw record and fill a struct event (see decode.h).
 *
 * Size rule: hdr.size must be at least the header and at most len.  Bytes
 * past hdr.size are ignored (a ring buffer sample or a trace block may be
 * padded); everything the record describes must lie inside hdr.size.
 * Records are read with memcpy, so rec needs no alignment.
 *
 * Strings are never copied (except comm): ev points into rec, so rec must
 * outlive ev.  Every variable string must end in its NUL at the last byte of
 * its length; a length of 0 means "absent" where the field is optional.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "decode.h"

/* a cursor over the variable part of a record */
struct cur {
	const char *p;
	size_t left;
};

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/*
 * take a string of len bytes that must end with NUL; *out is NULL for an
 * absent (len 0) string.  Returns false when it does not fit or lacks NUL.
 */
static bool take_str(struct cur *c, size_t len, const char **out)
{
	*out = NULL;
	if (len == 0)
		return true;
	if (len > c->left || c->p[len - 1] != '\0')
		return false;
	*out = c->p;
	c->p += len;
	c->left -= len;
	return true;
}

/* argv must hold exactly argc NUL-terminated strings and nothing else */
static bool argv_valid(const char *argv, size_t len, uint32_t argc)
{
	uint32_t n = 0;

	if (len && argv[len - 1] != '\0')
		return false;
	for (size_t i = 0; i < len; i++)
		n += argv[i] == '\0';
	return n == argc;
}

static int decode_exec(const char *rec, size_t size, struct event *ev, const char **why)
{
	struct am_exec x;
	struct cur c;
	const char *argv;

	if (size < sizeof(x))
		return fail(why, "exec record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	c.p = rec + sizeof(x);
	c.left = size - sizeof(x);
	if (x.filename_len == 0 || !take_str(&c, x.filename_len, &ev->exec.filename))
		return fail(why, "exec filename overflows the record or lacks its NUL");
	if (x.argv_len > c.left)
		return fail(why, "exec argv overflows the record");
	argv = c.p;
	if (!argv_valid(argv, x.argv_len, x.argc))
		return fail(why, "exec argv does not hold argc NUL-terminated strings");
	c.p += x.argv_len;
	c.left -= x.argv_len;
	if (!take_str(&c, x.cwd_len, &ev->exec.cwd))
		return fail(why, "exec cwd overflows the record or lacks its NUL");
	ev->exec.argv = argv;
	ev->exec.argv_len = x.argv_len;
	ev->exec.argc = x.argc;
	ev->exec.argv_trunc = (ev->flags & AM_F_ARGV_TRUNC) != 0;
	ev->exec.exe_ino = x.exe_ino;
	ev->exec.exe_dev = x.exe_dev;
	ev->exec.interp = (ev->flags & AM_F_INTERP) != 0;
	return 0;
}

static int decode_exit(const char *rec, size_t size, struct event *ev, const char **why)
{
	struct am_exit x;

	if (size < sizeof(x))
		return fail(why, "exit record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	if (x.status & 0x7f) {
		ev->exit.signal = x.status & 0x7f;
		ev->exit.exit_code = 128 + ev->exit.signal;
	} else {
		ev->exit.signal = 0;
		ev->exit.exit_code = (x.status >> 8) & 0xff;
	}
	return 0;
}

/* open flags that mean the file may be written */
static bool open_writes(uint32_t flags)
{
	uint32_t acc = flags & O_ACCMODE;

	return acc == O_WRONLY || acc == O_RDWR ||
	       (flags & (O_CREAT | O_TRUNC | O_APPEND)) != 0;
}

static int decode_file(const char *rec, size_t size, struct event *ev, const char **why)
{
	struct event_file *f = &ev->file;
	struct am_file x;
	struct cur c;

	if (size < sizeof(x))
		return fail(why, "file record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	c.p = rec + sizeof(x);
	c.left = size - sizeof(x);
	if (x.path_len == 0 || !take_str(&c, x.path_len, &f->path))
		return fail(why, "file path overflows the record or lacks its NUL");
	if (!take_str(&c, x.path2_len, &f->new_path))
		return fail(why, "file new path overflows the record or lacks its NUL");
	if (ev->type == AM_EV_RENAME && !f->new_path)
		return fail(why, "rename record without a new path");
	if (!take_str(&c, x.base_len, &f->base))
		return fail(why, "file base overflows the record or lacks its NUL");
	if (!take_str(&c, x.base2_len, &f->new_base))
		return fail(why, "file new base overflows the record or lacks its NUL");
	f->ret = x.ret;
	f->flags = x.flags;
	f->mode = x.mode;
	f->write = ev->type == AM_EV_OPEN && open_writes(x.flags);
	return 0;
}

static int decode_net(const char *rec, size_t size, struct event *ev, const char **why)
{
	struct event_net *n = &ev->net;
	struct am_net x;

	if (size < sizeof(x))
		return fail(why, "net record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	n->ret = x.ret;
	memcpy(n->daddr, x.daddr, sizeof(n->daddr));
	memcpy(n->saddr, x.saddr, sizeof(n->saddr));
	n->fd = x.fd;
	n->dport = x.dport;
	n->sport = x.sport;
	n->family = x.family;
	n->proto = x.proto;
	n->has_ret = (ev->flags & AM_F_RET) != 0;
	n->pre = (ev->flags & AM_F_PRE) != 0;
	n->io_uring = (ev->flags & AM_F_IO_URING) != 0;
	n->host = NULL;
	return 0;
}

/*
 * data: the fixed part, then exactly cap_len bytes (at most AM_DATA_CAP_MAX),
 * a known source, a TLS library only on TLS records
 */
static int decode_data(const char *rec, size_t size, struct event *ev, const char **why)
{
	struct event_data *d = &ev->data;
	struct am_data x;

	if (size < sizeof(x))
		return fail(why, "data record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	if (x.cap_len > AM_DATA_CAP_MAX || x.cap_len > size - sizeof(x))
		return fail(why, "data bytes overflow the record");
	if (x.source < AM_DATA_SOCK_SEND || x.source > AM_DATA_TLS_RECV)
		return fail(why, "data record with an unknown source");
	if (x.lib > AM_TLS_GNUTLS ||
	    (x.lib != AM_TLS_NONE && x.source != AM_DATA_TLS_SEND && x.source != AM_DATA_TLS_RECV))
		return fail(why, "data record with a bad TLS library");
	d->buf = (const uint8_t *)rec + sizeof(x);
	d->cap_len = x.cap_len;
	d->ret = x.ret;
	d->sock_id = x.sock_id;
	memcpy(d->daddr, x.daddr, sizeof(d->daddr));
	memcpy(d->saddr, x.saddr, sizeof(d->saddr));
	d->fd = x.fd;
	d->dport = x.dport;
	d->sport = x.sport;
	d->family = x.family;
	d->proto = x.proto;
	d->source = x.source;
	d->lib = x.lib;
	return 0;
}

/* the name of a call of the i386 table that h_syscall reports, NULL if none */
static const char *compat_name(uint32_t nr)
{
	static const struct { uint32_t nr; const char *name; } t[] = {
		{ 5, "open" }, { 8, "creat" }, { 10, "unlink" }, { 15, "chmod" },
		{ 26, "ptrace" }, { 38, "rename" }, { 102, "socketcall" }, { 295, "openat" },
		{ 301, "unlinkat" }, { 302, "renameat" }, { 306, "fchmodat" },
		{ 345, "sendmmsg" }, { 348, "process_vm_writev" }, { 353, "renameat2" },
		{ 362, "connect" }, { 364, "accept4" }, { 369, "sendto" }, { 370, "sendmsg" },
		{ 437, "openat2" }, { 438, "pidfd_getfd" }, { 452, "fchmodat2" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].nr == nr)
			return t[i].name;
	return NULL;
}

/* syscall: a known kind; a compat call of the watched i386 set */
static int decode_sys(const char *rec, size_t size, struct event *ev, const char **why)
{
	static const char *const names[] = {
		[AM_SYS_PTRACE] = "ptrace", [AM_SYS_VM_WRITEV] = "process_vm_writev",
		[AM_SYS_PIDFD_GETFD] = "pidfd_getfd",
	};
	struct event_syscall *y = &ev->sys;
	struct am_sys x;

	if (size < sizeof(x))
		return fail(why, "syscall record shorter than its fixed part");
	memcpy(&x, rec, sizeof(x));
	if (x.kind < AM_SYS_COMPAT || x.kind > AM_SYS_KIND_MAX)
		return fail(why, "syscall record of an unknown kind");
	y->compat = x.kind == AM_SYS_COMPAT;
	y->name = y->compat ? compat_name(x.nr) : names[x.kind];
	if (!y->name)
		return fail(why, "compat syscall record of a number not watched");
	y->ret = x.ret;
	y->arg = x.arg;
	y->nr = x.nr;
	y->target = x.target;
	y->kind = x.kind;
	return 0;
}

static void fill_header(const struct am_hdr *h, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = h->ts_ns;
	ev->type = h->type;
	ev->flags = h->flags;
	ev->pid = h->pid;
	ev->tid = h->tid;
	ev->ppid = h->ppid;
	ev->uid = h->uid;
	ev->agent_pid = h->agent_pid;
	ev->agent_id = h->agent_id;
	memcpy(ev->comm, h->comm, AM_COMM_LEN);
	ev->comm[AM_COMM_LEN] = '\0';
}

int decode_record(const void *rec, size_t len, struct event *ev, const char **why)
{
	const char *r = rec;
	struct am_hdr h;

	if (!rec || len < sizeof(h))
		return fail(why, "record shorter than its header");
	memcpy(&h, r, sizeof(h));
	if (h.size < sizeof(h) || h.size > len)
		return fail(why, "record size field disagrees with its length");
	fill_header(&h, ev);
	switch (h.type) {
	case AM_EV_EXEC:
		return decode_exec(r, h.size, ev, why);
	case AM_EV_EXIT:
		return decode_exit(r, h.size, ev, why);
	case AM_EV_FORK:
		return 0;
	case AM_EV_OPEN:
	case AM_EV_UNLINK:
	case AM_EV_RENAME:
	case AM_EV_CHMOD:
		return decode_file(r, h.size, ev, why);
	case AM_EV_CONNECT:
	case AM_EV_ACCEPT:
	case AM_EV_SEND:
		return decode_net(r, h.size, ev, why);
	case AM_EV_DATA:
		return decode_data(r, h.size, ev, why);
	case AM_EV_SYSCALL:
		return decode_sys(r, h.size, ev, why);
	default:
		return fail(why, "unknown record type");
	}
}
