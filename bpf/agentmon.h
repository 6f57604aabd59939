/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * agentmon.h - the one header shared by the BPF programs and the collector.
 *
 * Every record the kernel puts in the ring buffer starts with struct am_hdr
 * and is followed by a fixed part per type and, for exec and file events,
 * variable-length strings.  Records are sized to their content: hdr.size is
 * the exact number of bytes of the record.
 *
 * Layout rules: fixed-width types only, ordered u64, u32, u16, u8 inside each
 * struct, padding written out, every size a multiple of 8.  The sizes are
 * checked by tests/unit/test_layout.c; bump AM_ABI_VERSION on any change.
 */
#ifndef AGENTMON_H
#define AGENTMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define AM_ABI_VERSION 2

/* ---- limits and defaults, defined once for both sides ---- */
#define AM_COMM_LEN        16      /* task->comm */
#define AM_FORK_WAKE_NS    (200ull * 1000 * 1000) /* fork records of younger parents wake the collector */
#define AM_NAME_MAX        64      /* agent executable basename key */
#define AM_PATH_MAX        4096    /* one path, including its NUL */
#define AM_ARGV_MAX        4096    /* argv bytes kept per exec (power of 2) */
#define AM_ARGC_MAX        64      /* arguments read per exec */
#define AM_DPATH_DEPTH     48      /* dentry components walked for cwd/dfd */
#define AM_MAX_TAGGED      65536   /* tagged thread groups */
#define AM_MAX_INFLIGHT    16384   /* threads inside a watched syscall */
#define AM_MAX_AGENT_EXES  1024    /* executable basenames in agent_exe */
#define AM_RINGBUF_BYTES   (16u << 20)  /* default ring buffer size */
#define AM_WAKEUP_BYTES    (256u << 10) /* force a wakeup above this backlog */
#define AM_AGENT_NONE      0xffffffffu  /* agent_id of an untagged process */
#define AM_DATA_CAP_DEFAULT 1024   /* bytes of a write captured, by default */
#define AM_DATA_CAP_MAX    4096    /* the most a setting may ask (power of 2) */
#define AM_DATA_WINDOW_DEFAULT (64u << 10) /* bytes of a socket captured from its start */
#define AM_TAGGED_WORDS    65536   /* tagged_bits: u64 words, one bit per tgid up to 4M */

/* ---- record types ---- */
enum am_type {
	AM_EV_EXEC     = 1,  /* struct am_exec */
	AM_EV_EXIT     = 2,  /* struct am_exit: last thread of a group exited */
	AM_EV_FORK     = 3,  /* struct am_hdr only: hdr describes the new child */
	AM_EV_OPEN     = 4,  /* struct am_file */
	AM_EV_UNLINK   = 5,  /* struct am_file */
	AM_EV_RENAME   = 6,  /* struct am_file, path2 = new path */
	AM_EV_CHMOD    = 7,  /* struct am_file, mode = new mode */
	AM_EV_CONNECT  = 8,  /* struct am_net */
	AM_EV_ACCEPT   = 9,  /* struct am_net, daddr/dport = the peer */
	AM_EV_SEND     = 10, /* struct am_net, ret = bytes when AM_F_RET */
	AM_EV_DATA     = 11, /* struct am_data: socket or TLS bytes, first cap_len */
	AM_EV_SYSCALL  = 12, /* struct am_sys: a call past what the handlers watch */
	AM_EV_KERNEL_MAX,    /* first value the kernel never emits */

	/* produced by the collector only */
	AM_EV_DROP     = 32, /* events the kernel could not deliver */
	AM_EV_DNS      = 33,
	AM_EV_HTTP     = 34,
	AM_EV_ALERT    = 35,
	AM_EV_TAG      = 36, /* a process tagged with a past nobody watched (/proc scan) */
	AM_EV_LLM      = 37, /* one exchange with a model API (user/llm.h) */
};

/* ---- hdr.flags ---- */
#define AM_F_ARGV_TRUNC  0x0001 /* exec: argv was cut at AM_ARGV_MAX/AM_ARGC_MAX */
#define AM_F_CANDIDATE   0x0002 /* exec: untagged process, userspace decides */
#define AM_F_NEW_TAG     0x0004 /* exec: the kernel tagged it here (agent root) */
#define AM_F_PATH_TRUNC  0x0008 /* a path or cwd was cut */
#define AM_F_PRE         0x0010 /* net: seen by a cgroup hook, before the op */
#define AM_F_RET         0x0020 /* net: seen at syscall exit, ret is valid */
#define AM_F_IO_URING    0x0040 /* net: issued from an io_uring worker */
#define AM_F_SIGNALED    0x0080 /* exit: killed by a signal */
#define AM_F_CONNECTED   0x0100 /* data: a UDP socket the agent connected (its sends
				   make no send events: the collector counts these) */
#define AM_F_TAG_LOST    0x0200 /* fork, exec: the kernel could not store this process's
				   tag (tagged map full): it is NOT watched */
#define AM_F_INTERP      0x0400 /* exec: through a #! or binfmt_misc interpreter: exe_ino
				   and exe_dev are the interpreter's, not filename's */

/* hdr: common to every record.  56 bytes. */
struct am_hdr {
	__u64 ts_ns;      /* bpf_ktime_get_boot_ns() at the hook */
	__u32 pid;        /* thread group id of the task */
	__u32 tid;        /* thread id */
	__u32 ppid;       /* tgid of the real parent; 0 where the hook cannot see it */
	__u32 uid;        /* real uid */
	__u32 agent_pid;  /* tgid of the agent's root process; 0 for candidates */
	__u32 agent_id;   /* userspace's agent table index, or AM_AGENT_NONE */
	__u16 type;       /* enum am_type */
	__u16 size;       /* total bytes of this record, header included */
	__u16 flags;      /* AM_F_* */
	__u8  comm[AM_COMM_LEN]; /* task->comm at the hook, NUL-padded */
	__u8  _pad[2];
};

/*
 * exec: followed by filename, argv, cwd (each of its _len bytes).  exe_ino
 * and exe_dev identify the file the kernel runs (bprm->file: what
 * /proc/PID/exe names; the interpreter under AM_F_INTERP), exe_dev in the
 * kernel's encoding (MAJOR << 20 | MINOR); both 0 when unknown (ABI 1
 * traces).  80 bytes.
 */
struct am_exec {
	struct am_hdr hdr;
	__u64 exe_ino;       /* inode number of the file executed */
	__u32 exe_dev;       /* its super block's s_dev (kernel encoding) */
	__u32 argc;          /* strings in the argv data */
	__u16 filename_len;  /* bytes of filename, NUL included */
	__u16 argv_len;      /* bytes of argv: NUL-terminated strings back to back */
	__u16 cwd_len;       /* bytes of cwd, NUL included; 0 when unknown */
	__u8  _pad[2];
};

/* exit: 64 bytes */
struct am_exit {
	struct am_hdr hdr;
	__u32 status;        /* raw wait status: (code << 8) | signal */
	__u8  _pad[4];
};

/*
 * file: followed by path, path2, base, base2 (each of its _len bytes).
 * base is the directory a relative path is resolved against (the dfd or the
 * cwd), read by the kernel at the syscall; 0 bytes when path is absolute.
 * 80 bytes.
 */
struct am_file {
	struct am_hdr hdr;
	__s64 ret;           /* syscall return value */
	__u32 flags;         /* open flags, or rename flags */
	__u32 mode;          /* mode of open(O_CREAT) and chmod */
	__u16 path_len;      /* bytes, NUL included */
	__u16 path2_len;     /* rename: new path, NUL included; else 0 */
	__u16 base_len;      /* directory for a relative path; else 0 */
	__u16 base2_len;     /* rename: directory for a relative new path */
};

/*
 * net: connect, accept, send.  Addresses in network byte order, IPv4 in the
 * first 4 bytes of daddr/saddr.  A cgroup hook emits AM_F_PRE records (the
 * destination, before the operation, also for io_uring); the syscall exit
 * emits AM_F_RET records (with ret); the collector pairs them by tid.
 * 112 bytes.
 */
struct am_net {
	struct am_hdr hdr;
	__s64 ret;           /* connect result, send bytes, accepted fd */
	__u8  daddr[16];     /* destination (peer for accept) */
	__u8  saddr[16];     /* local address where known, else zero */
	__u32 fd;            /* socket fd where known, else 0xffffffff */
	__u16 dport;         /* host byte order */
	__u16 sport;         /* host byte order, 0 when unknown */
	__u16 family;        /* AF_INET (2) or AF_INET6 (10) */
	__u8  proto;         /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8  _pad[5];
};

/* am_data.source: where the bytes were seen */
enum am_data_source {
	AM_DATA_SOCK_SEND = 1, /* write, writev, send, sendmsg on a TCP or UDP socket */
	AM_DATA_SOCK_RECV = 2, /* a UDP answer from port 53 (DNS); the answer to a
				* cleartext TCP POST (its first AM_HEAD_MAX bytes) */
	AM_DATA_TLS_SEND  = 3, /* plaintext handed to SSL_write(_ex), gnutls_record_send */
	AM_DATA_TLS_RECV  = 4, /* plaintext returned by SSL_read(_ex), gnutls_record_recv */
};

/* am_data.lib: the TLS library of a TLS_* record */
enum am_tls_lib {
	AM_TLS_NONE    = 0,
	AM_TLS_OPENSSL = 1,    /* libssl, or OpenSSL/BoringSSL linked into the binary */
	AM_TLS_GNUTLS  = 2,
};

/*
 * data: the first cap_len bytes an agent sent or received, followed by those
 * bytes.  The socket is the fd of the syscall (for TLS: the write/read
 * syscall made inside the library call), with its addresses read from the
 * kernel's socket.  AM_F_IO_URING when it came through io_uring.  120 bytes.
 *
 * SOCK_SEND/SOCK_RECV come from the cgroup skb hooks (one record per
 * packet, hdr from the socket's owner, fd 0xffffffff, addresses from the
 * packet, sock_id = the socket cookie).  SOCK_SEND bytes are captured for
 * the first data_window bytes of a socket and for the first packet after
 * the peer sent data (a new request on a keep-alive connection); other
 * packets are only counted, and reported by cap_len = 0 records whose ret
 * is the uncaptured bytes since the previous record of the socket, so the
 * sum of ret over a sock_id is the bytes it sent.  TLS_* records: ret is the
 * bytes the call moved, fd the socket of the syscall inside the call
 * (0xffffffff when the library wrote elsewhere, e.g. a memory BIO).
 */
struct am_data {
	struct am_hdr hdr;
	__u64 sock_id;       /* identity of the socket while it lives; 0 unknown */
	__s64 ret;           /* bytes the operation moved (its return value) */
	__u8  daddr[16];     /* peer address, network order (IPv4: first 4 bytes) */
	__u8  saddr[16];     /* local address */
	__u32 fd;            /* socket fd, 0xffffffff unknown */
	__u16 dport;         /* peer port, host order */
	__u16 sport;         /* local port, host order */
	__u16 family;        /* AF_INET/AF_INET6, 0 unknown */
	__u16 cap_len;       /* bytes that follow */
	__u8  proto;         /* IPPROTO_TCP/UDP, 0 unknown */
	__u8  source;        /* enum am_data_source */
	__u8  lib;           /* enum am_tls_lib */
	__u8  _pad[1];
};

/* faults map (per-CPU array): what the kernel could not do, counted by index */
enum am_fault {
	AM_FAULT_TAG_FULL = 0,  /* a tag not stored: the tagged map is full */
	AM_FAULT_SCRATCH_BUSY = 1, /* a record not built: every scratch slot of the CPU
				      was in use (also counted in drops) */
	AM_FAULT_TLS_NOSOCK = 2, /* a sealed TLS record (aws-lc) sent without its socket:
				    no write of it was seen before its context's next
				    AM_AWSLC_PEND_MAX records */
	AM_FAULT_TAG_BIT = 3,   /* a tagged process's exit found its tagged_bits bit
				   clear (emitted all the same): the prefilter and
				   the tags were out of step */
	AM_FAULT_MAX,
};

/* am_sys.kind */
enum am_sys_kind {
	AM_SYS_COMPAT      = 1, /* a watched call through the 32-bit table (int $0x80):
				   the file and socket handlers do not decode it */
	AM_SYS_PTRACE      = 2, /* PTRACE_ATTACH/PTRACE_SEIZE of an untagged process */
	AM_SYS_VM_WRITEV   = 3, /* process_vm_writev into an untagged process */
	AM_SYS_PIDFD_GETFD = 4, /* pidfd_getfd: an fd taken from an untagged process */
	AM_SYS_KIND_MAX    = AM_SYS_PIDFD_GETFD,
};

/*
 * syscall: a tagged task made a call agentmon does not follow: one through
 * the 32-bit compat table, or one aimed at a process outside the agent
 * (reached through an untagged process).  Target: the pid as the caller
 * gave it (ptrace, process_vm_writev), the pid behind the pidfd
 * (pidfd_getfd), 0 for compat calls.  88 bytes.
 */
struct am_sys {
	struct am_hdr hdr;
	__s64 ret;           /* the call's result */
	__u64 arg;           /* ptrace: the request; pidfd_getfd: the target fd;
				compat: the first argument; else 0 */
	__u32 nr;            /* number in its table (i386 for compat calls) */
	__u32 target;        /* target pid, 0 when none */
	__u16 kind;          /* enum am_sys_kind */
	__u8  _pad[6];
};

/* tagged map value: one per tagged thread group */
struct am_tag {
	__u32 agent_pid;     /* tgid of the agent's root */
	__u32 agent_id;      /* userspace's agent table index */
	__u64 start_ns;      /* the group's start (boot ns, /proc/PID/stat field 22 in
				ns): a tag whose pid now runs another process is stale;
				0 unknown */
};

/* agent_exe map: key is the basename of an executable, NUL-padded */
struct am_name {
	char name[AM_NAME_MAX];
};

#define AM_RULE_TAG        1  /* exec of this basename tags the process */
#define AM_RULE_CANDIDATE  2  /* send the exec to userspace to decide */
/* key of the rule for version-like basenames ("2.1.197": a digit first,
 * digits and dots, a dot); no basename holds a '/' */
#define AM_VERSION_KEY     "/version"

struct am_exe_rule {
	__u32 agent_id;      /* for AM_RULE_TAG */
	__u32 action;        /* AM_RULE_* */
};

/* config map (array, one entry), written by userspace at start and reload */
struct am_config {
	__u32 collector_pid; /* never tag or report the collector itself */
	__u32 candidate_all; /* send every untagged exec as a candidate */
};

/*
 * Kernel-internal: the sys_exit dispatcher tail-calls one handler program
 * per concern through the `handlers` PROG_ARRAY; the loader fills it.
 */
enum am_handler {
	AM_H_OPEN    = 0,  /* open, openat, openat2, creat */
	AM_H_UNLINK  = 1,  /* unlink, unlinkat */
	AM_H_RENAME  = 2,  /* rename, renameat, renameat2 */
	AM_H_CHMOD   = 3,  /* chmod, fchmodat, fchmodat2 */
	AM_H_CONNECT = 4,  /* connect */
	AM_H_SEND    = 5,  /* sendto, sendmsg with a destination */
	AM_H_ACCEPT  = 6,  /* accept, accept4 */
	AM_H_TLS     = 7,  /* read/write/send/recv inside a TLS library call */
	AM_H_SYSCALL = 8,  /* compat calls, ptrace, process_vm_writev, pidfd_getfd */
	AM_H_AWSLC   = 9,  /* a socket write of a process with aws-lc records waiting */
	AM_H_MAX,
};

/* the largest record the kernel builds, for the per-CPU scratch buffer */
#define AM_EXEC_MAX (sizeof(struct am_exec) + AM_PATH_MAX + AM_ARGV_MAX + AM_PATH_MAX)
#define AM_FILE_MAX (sizeof(struct am_file) + 4 * AM_PATH_MAX)

#endif /* AGENTMON_H */
