/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * common.bpf.h - what every BPF file shares: the maps (weak definitions, so
 * the static linker in `bpftool gen object` merges them into one map each),
 * the syscall numbers, the record header, the ring buffer output with its
 * drop accounting and wakeup policy, and the bounded dentry walk.
 */
#ifndef AGENTMON_COMMON_BPF_H
#define AGENTMON_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "agentmon.h"

#define AF_INET      2
#define AF_INET6     10
#define AT_FDCWD     -100
#define O_WRONLY     01
#define O_CREAT      0100
#define O_TRUNC      01000
#define PF_IO_WORKER 0x00000010
#define TS_COMPAT    0x0002

/* ---- syscall numbers, defined once (negative: the architecture has no such call) ---- */
#if defined(__TARGET_ARCH_x86)
#define NR_read          0
#define NR_write         1
#define NR_readv         19
#define NR_writev        20
#define NR_open          2
#define NR_connect       42
#define NR_accept        43
#define NR_sendto        44
#define NR_recvfrom      45
#define NR_sendmsg       46
#define NR_recvmsg       47
#define NR_rename        82
#define NR_creat         85
#define NR_unlink        87
#define NR_chmod         90
#define NR_openat        257
#define NR_unlinkat      263
#define NR_renameat      264
#define NR_fchmodat      268
#define NR_accept4       288
#define NR_renameat2     316
#define NR_io_uring_enter 426
#define NR_openat2       437
#define NR_fchmodat2     452
#define NR_ptrace        101
#define NR_process_vm_writev 311
#define NR_pidfd_getfd   438
/* the user's syscall arguments, still in pt_regs at sys_exit */
#define SC_NR_FIELD orig_ax
#define SC_NR(r)   ((r)->orig_ax)
#define SC_ARG0(r) ((r)->di)
#define SC_ARG1(r) ((r)->si)
#define SC_ARG2(r) ((r)->dx)
#define SC_ARG3(r) ((r)->r10)
#define SC_ARG4(r) ((r)->r8)
#define SC_ARG5(r) ((r)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define NR_open          -1
#define NR_rename        -2
#define NR_creat         -3
#define NR_unlink        -4
#define NR_chmod         -5
#define NR_unlinkat      35
#define NR_renameat      38
#define NR_fchmodat      53
#define NR_openat        56
#define NR_read          63
#define NR_write         64
#define NR_readv         65
#define NR_writev        66
#define NR_accept        202
#define NR_connect       203
#define NR_sendto        206
#define NR_recvfrom      207
#define NR_sendmsg       211
#define NR_recvmsg       212
#define NR_accept4       242
#define NR_renameat2     276
#define NR_io_uring_enter 426
#define NR_openat2       437
#define NR_fchmodat2     452
#define NR_ptrace        117
#define NR_process_vm_writev 271
#define NR_pidfd_getfd   438
#define SC_NR_FIELD syscallno
#define SC_NR(r)   ((r)->syscallno)
#define SC_ARG0(r) ((r)->orig_x0)
#define SC_ARG1(r) ((r)->regs[1])
#define SC_ARG2(r) ((r)->regs[2])
#define SC_ARG3(r) ((r)->regs[3])
#define SC_ARG4(r) ((r)->regs[4])
#define SC_ARG5(r) ((r)->regs[5])
#else
#error "agentmon: unsupported architecture (x86_64 and arm64 only)"
#endif

/* ---- maps: weak, identical in every file, merged by the static linker ---- */

/* the one ring buffer; max_entries set by userspace before load */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AM_RINGBUF_BYTES);
} events SEC(".maps") __weak;

/* tgid -> tag: the set of agent processes */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AM_MAX_TAGGED);
	__type(key, __u32);
	__type(value, struct am_tag);
} tagged SEC(".maps") __weak;

/*
 * tgid -> one bit, the cheap prefilter checked before any hash lookup:
 * array lookups are inlined by the verifier.  A bit is set by whoever
 * creates the tgid's `tagged` entry and cleared by whoever deletes it
 * (BPF programs and the loader alike), with atomic adds only, so the bit
 * and the entry stay in step on every kernel from 5.8.  Mmapped by the
 * loader (BPF_F_MMAPABLE).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AM_TAGGED_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} tagged_bits SEC(".maps") __weak;

/*
 * sockets of tagged tasks, marked at the cgroup connect/sendmsg hooks:
 * the owner (cgroup skb hooks have no current task) and the byte window
 */
struct am_sk {
	__u64 sock_id;       /* socket cookie, 0 until the first packet */
	__u64 sent;          /* payload bytes sent */
	__u64 counted;       /* bytes covered by records so far */
	__u64 next_report;   /* sent at which the next count-only record goes out */
	__u32 snd_end;       /* TCP: sequence after the last byte sent */
	__u32 tgid, tid, ppid, uid, agent_pid, agent_id;
	__u16 flags;         /* AM_F_IO_URING when an io_uring worker connected it,
				AM_F_CONNECTED for a connected UDP socket */
	__u8  seq_valid;     /* snd_end is set */
	__u8  rx_turn;       /* the peer sent payload since our last send */
	__u8  comm[AM_COMM_LEN];
	__u32 head_left;     /* bytes still captured whole after a request head began
				(data.bpf.c, head.bpf.h) */
	__u32 rx_left;       /* bytes of the answer to a cleartext POST still
				captured (data.bpf.c) */
};
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct am_sk);
} sk_store SEC(".maps") __weak;

/* a TLS library call in progress, per thread (pid_tgid), tagged tgids only */
struct tls_call {
	__u64 buf;           /* the user buffer */
	__u64 out;           /* size_t * of SSL_write_ex/SSL_read_ex, else 0 */
	__s32 fd;            /* the fd of the last read/write syscall inside, -1 */
	__u8  source;        /* AM_DATA_TLS_SEND / AM_DATA_TLS_RECV */
	__u8  lib;           /* enum am_tls_lib */
	__u8  in_call;       /* inside a library call (buf, out, fd, source, lib valid) */
	__u8  pending;       /* TLS_SENDs that made no socket write wait in tls_pend
				for the thread's next socket write (node and Bun
				write to a memory BIO, then to the socket): how many */
	__u8  kind;          /* AM_TLS_CALL_*: where the call's plaintext is at return */
	__u8  tls13;         /* aws-lc open of a TLS 1.3 record: ends in its type */
	__u8  _pad[4];
};
/* tls_call.kind */
enum {
	AM_TLS_CALL_BUF = 0,  /* buf, and out (size_t *) or the return value */
	AM_TLS_CALL_SPAN = 1, /* out is a Span<uint8_t> * set at return 0
				 (BoringSSL's tls_open_app_data: decrypted in place) */
	AM_TLS_CALL_OPEN = 2, /* aws-lc's EVP_AEAD_CTX_open: buf = out, out = out_len,
				 returns 1 */
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AM_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct tls_call);
} tls_calls SEC(".maps") __weak;

/*
 * The read side's socket: a record decrypted by a located read function
 * (BoringSSL's tls_open_app_data, aws-lc's EVP_AEAD_CTX_open) makes no
 * socket syscall inside the call; its bytes came with the thread's last
 * socket read (Bun's event loop and tokio read, then decrypt on the same
 * thread).  tls_readers: tagged tgids whose threads called one (set at its
 * entry, deleted at the group's exit); tls_lastrd: per thread of those, the
 * socket of its last TCP read with bytes (fd and socket cookie: a socket closed
 * and its fd reused meanwhile does not match), deleted at the thread's exit
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} tls_readers SEC(".maps") __weak;
/* tls.bpf.c's llm_rx: tgid -> bytes of TLS reads still captured whole, as
 * the kernel armed them (only the kernel writes it); llm_watch: the same, as
 * the collector set them (only the collector sets or deletes it; the kernel
 * takes bytes from it), so that the collector's end of one exchange never
 * takes back the kernel's arming for the next request; llm_tx: tgid ->
 * bytes of TLS writes still captured whole (armed by a request head: its
 * body).  Each an LRU hash of 4096 processes, as tls_readers: an agent that
 * keeps more processes speaking TLS at once can evict another's arming (its
 * bytes then show as request_partial / bytes_missed, not silently); at 256
 * a `for` loop of curls could */
#define AM_TGID_BUDGET struct { \
	__uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096); \
	__type(key, __u32); __type(value, __s64); }
AM_TGID_BUDGET llm_rx SEC(".maps") __weak;
AM_TGID_BUDGET llm_watch SEC(".maps") __weak;
AM_TGID_BUDGET llm_tx SEC(".maps") __weak;
struct tls_lastrd { __u64 cookie; __s32 fd; __u32 _pad; };
/* a syscall that reads a socket's bytes (read, readv, recvfrom, recvmsg) */
static __always_inline bool sc_reads(long nr)
{
	return nr == NR_read || nr == NR_readv || nr == NR_recvfrom || nr == NR_recvmsg;
}
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AM_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct tls_lastrd);
} tls_lastrd SEC(".maps") __weak;

/* TLS_SEND records waiting for their socket, per thread (pid_tgid) and
 * slot (0 .. the thread's tls_call.pending - 1, in call order).  A plain
 * hash, not an LRU: a waiting record leaves only by going out or by being
 * counted (tls_pend_reap), never by an eviction nobody sees; when full, a
 * new record goes out at once without its socket (pend_add).  A thread's
 * records always fill slots 0 .. n-1, so slot 0 says whether it has any:
 * that finds the records of a thread whose tls_calls entry (the count) was
 * evicted from its LRU map (orphans, reaped and counted at the thread's
 * next TLS call or its exit) */
#define AM_TLS_PEND_MAX 8
struct tls_pend_key { __u64 pt; __u64 slot; };
struct tls_rec { __u8 b[sizeof(struct am_data) + AM_DATA_CAP_MAX]; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct tls_pend_key);
	__type(value, struct tls_rec);
} tls_pend SEC(".maps") __weak;

/*
 * aws-lc's sealed records (awslc_seal, tls.bpf.c), by process and
 * EVP_AEAD_CTX * (the key of one connection's sending direction): the
 * socket the context's records were seen written to, and the records sealed
 * and not yet tied to one (seq head .. tail - 1, at most AM_AWSLC_PEND_MAX)
 */
#define AM_AWSLC_PEND_MAX 16
/* an LRU hash map of n entries from K to V */
#define AWSLC_LRU(n, K, V) struct { \
	__uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, n); \
	__type(key, K); __type(value, V); }
/* a process's address: of an EVP_AEAD_CTX (awslc_ctxs), of a buffer (awslc_bufs) */
struct awslc_key { __u32 tgid; __u32 _pad; __u64 addr; };
struct awslc_ctx {
	__u64 sk;            /* struct sock * its records went to, 0 unknown */
	__u64 cookie;        /* that socket's cookie */
	__s32 fd;            /* its fd, -1 unknown */
	__u32 head;          /* seq of the oldest waiting record */
	__u32 tail;          /* seq the next waiting record gets */
	__u32 _pad;
};
AWSLC_LRU(4096, struct awslc_key, struct awslc_ctx) awslc_ctxs SEC(".maps") __weak;

/* a waiting record: the address of its TLS record in the user's memory
 * (header, then the plaintext sealed in place: what a write sends), then
 * the record as it goes out */
struct awslc_rec_key { __u32 tgid; __u32 seq; __u64 ctx; };
struct awslc_rec { __u64 buf; __u8 b[sizeof(struct am_data) + AM_DATA_CAP_MAX]; };
AWSLC_LRU(1024, struct awslc_rec_key, struct awslc_rec) awslc_recs SEC(".maps") __weak;

/* the rest of a waiting record captured whole (llm_tx: a request body),
 * by the record's key: its chunks after the first AM_DATA_CAP_MAX bytes,
 * each a record as it goes out (n of them); body_zero: an empty one to
 * make entries from */
#define AM_BODY_REST 3 /* a TLS record's 16 KiB: 4 chunks */
struct body_rest { __u32 n; __u32 _pad; __u8 b[AM_BODY_REST][sizeof(struct am_data) + AM_DATA_CAP_MAX]; };
AWSLC_LRU(64, struct awslc_rec_key, struct body_rest) awslc_rest SEC(".maps") __weak;
AWSLC_LRU(64, struct tls_pend_key, struct body_rest) tls_pend_rest SEC(".maps") __weak;
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32);
	 __type(value, struct body_rest); } body_zero SEC(".maps") __weak;

/* the address of a waiting record's TLS record -> its context and seq */
struct awslc_buf { __u64 ctx; __u32 seq; __u32 _pad; };
AWSLC_LRU(1024, struct awslc_key, struct awslc_buf) awslc_bufs SEC(".maps") __weak;

/* tgid -> its records waiting in awslc_recs: while there is an entry, the
 * process's socket writes go to h_awslc (deleted at exit, the records still
 * waiting then counted as dropped) */
AWSLC_LRU(4096, __u32, __s64) awslc_wait SEC(".maps") __weak;

/* a syscall that writes a buffer to an fd (write, writev, sendto, sendmsg) */
static __always_inline bool sc_is_write(long nr)
{
	return nr == NR_write || nr == NR_writev || nr == NR_sendto || nr == NR_sendmsg;
}

/* executable basename -> rule, checked at exec of untagged processes */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AM_MAX_AGENT_EXES);
	__type(key, struct am_name);
	__type(value, struct am_exe_rule);
} agent_exe SEC(".maps") __weak;

/* struct am_config, one entry ("config" is taken by a vmlinux.h typedef) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct am_config);
} config_map SEC(".maps") __weak;

/* records that could not be put in the ring buffer, per record type */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AM_EV_KERNEL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps") __weak;

/* what the kernel could not do (tags lost...), indexed by enum am_fault */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AM_FAULT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} faults SEC(".maps") __weak;

/* sys_exit dispatcher -> handler programs, indexed by enum am_handler */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, AM_H_MAX);
	__type(key, __u32);
	__type(value, __u32);
} handlers SEC(".maps") __weak;

/*
 * per-CPU scratch: records being built (exec, file, data records).  One CPU
 * runs several programs at once: a softirq's cgroup skb program interrupts
 * a syscall-exit program in the middle of its record, and a uprobe or an
 * egress skb program in task context can be preempted by another task's.
 * So each CPU has SCRATCH_SLOTS buffers, and a program holds one from
 * scratch_get() to scratch_put(): a buffer is taken by adding 1 to its busy
 * word and reading 1 back (anyone else reads 2 and gives it back), which
 * needs only the atomic add every kernel has.  No free buffer: the record
 * is lost and counted (drops, and faults[AM_FAULT_SCRATCH_BUSY]).
 */
#define SCRATCH_BYTES 32768
#define SCRATCH_MASK  (SCRATCH_BYTES - 1)
#define STR_OFF_MASK  0x3fff /* string offsets stay below 16K: 16K + 4K fits */
#define SCRATCH_SLOTS 4      /* task, its softirq, and preempted uprobes or sends */
/* a percpu value is at most 32K: the busy word is in the last 8 bytes,
 * which no record reaches (strings start below 16K and hold at most 4K) */
struct scratch {
	__u8 b[SCRATCH_BYTES - 8];
	__u64 busy;          /* holders, and takers about to give it back */
};
_Static_assert(AM_EXEC_MAX <= STR_OFF_MASK + 1 + AM_PATH_MAX &&
	       AM_FILE_MAX <= STR_OFF_MASK + 1 + AM_PATH_MAX &&
	       STR_OFF_MASK + 1 + AM_PATH_MAX <= SCRATCH_BYTES - 8,
	       "records stay clear of the scratch buffer's busy word");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps") __weak;

/* per-CPU scratch: a path built backwards by the dentry walk */
#define PB_SIZE 4096
#define PB_MASK (PB_SIZE - 1)
#define NAME_MASK 255
/* pos lives in the map, not in a register, so that the verifier does not
 * track it precisely through the loop and can prune its states */
struct pathbuf { __u64 pos; __u8 b[PB_SIZE + NAME_MASK + 1]; };
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pathbuf);
} pathbuf SEC(".maps") __weak;

static const __u32 zero_key;

/* backlog above which a record forces a wakeup: the loader sets it to
 * min(AM_WAKEUP_BYTES, ring size / 4); defined in sys.bpf.c */
extern const volatile __u64 wakeup_bytes;
/* urgent records force their wakeup: set by the loader for per-process TLS
 * uprobes (--tls-uprobes process), whose attaches race the tagged children;
 * defined in sys.bpf.c */
extern const volatile __u8 urgent_force;
/* bytes of data captured per record (<= AM_DATA_CAP_MAX); defined in data.bpf.c */
extern const volatile __u32 data_cap;

/* one buffer tried: it when it was free (now ours), else NULL */
static __always_inline void *scratch_try(__u32 i)
{
	struct scratch *sc = bpf_map_lookup_elem(&scratch, &i);

	if (!sc)
		return NULL;
	__sync_fetch_and_add(&sc->busy, 1);
	if (*(volatile __u64 *)&sc->busy == 1)
		return sc;
	__sync_fetch_and_add(&sc->busy, -1);
	return NULL;
}

static __always_inline void fault_count(__u32 fault);
static __always_inline void drop_count(__u32 type);

/*
 * scratch_get - a free scratch buffer of this CPU for a record of type, held
 * until scratch_put(); NULL (counted: the record of type is lost) when
 * every one is in use
 */
static __always_inline void *scratch_get(__u32 type)
{
	void *buf = NULL;

	for (__u32 i = 0; i < SCRATCH_SLOTS && !buf; i++)
		buf = scratch_try(i);
	if (!buf) {
		fault_count(AM_FAULT_SCRATCH_BUSY);
		drop_count(type);
	}
	return buf;
}

/* give back what scratch_get returned (the pointer as it was returned) */
static __always_inline void scratch_put(void *buf)
{
	__sync_fetch_and_add(&((struct scratch *)buf)->busy, -1);
}

static __always_inline struct am_config *config_get(void)
{
	return bpf_map_lookup_elem(&config_map, &zero_key);
}

/* n clamped to [0, AM_DATA_CAP_MAX] in a way the verifier keeps track of */
static __always_inline __u32 cap_clamp(__u64 n)
{
	/* in asm: clang would turn a plain min() into code the verifier cannot bound */
	asm volatile("if %0 <= %1 goto +1; %0 = %1" : "+r"(n) : "i"(AM_DATA_CAP_MAX));
	return n;
}

/* the same, in [1, AM_DATA_CAP_MAX], for helpers that refuse a zero size */
static __always_inline __u32 cap_clamp1(__u64 n)
{
	asm volatile("if %0 <= %1 goto +1; %0 = %1; if %0 > 0 goto +1; %0 = 1"
		     : "+r"(n) : "i"(AM_DATA_CAP_MAX));
	return n;
}

/* ---- tagging ---- */

/* the prefilter: false means certainly untagged */
static __always_inline bool tgid_bit(__u32 tgid)
{
	__u32 w = tgid >> 6;
	__u64 *p = bpf_map_lookup_elem(&tagged_bits, &w);

	return p && (*p >> (tgid & 63)) & 1;
}

static __always_inline void tgid_bit_add(__u32 tgid, bool set)
{
	__u32 w = tgid >> 6;
	__u64 *p = bpf_map_lookup_elem(&tagged_bits, &w);
	__u64 bit = 1ull << (tgid & 63);

	if (p)
		__sync_fetch_and_add(p, set ? bit : -bit);
}

static __always_inline void fault_count(__u32 fault)
{
	__u64 *n = bpf_map_lookup_elem(&faults, &fault);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * tag tgid: the creator of the entry sets its bit.  Returns AM_F_TAG_LOST
 * (counted in faults) when the tag could not be stored: the map is full.
 */
static __always_inline __u16 tag_put(__u32 tgid, const struct am_tag *t)
{
	if (!bpf_map_update_elem(&tagged, &tgid, t, BPF_NOEXIST)) {
		tgid_bit_add(tgid, true);
		return 0;
	}
	if (!bpf_map_update_elem(&tagged, &tgid, t, BPF_ANY))
		return 0;
	fault_count(AM_FAULT_TAG_FULL);
	return AM_F_TAG_LOST;
}

/* untag tgid: the deleter of the entry clears its bit */
static __always_inline void tag_del(__u32 tgid)
{
	if (!bpf_map_delete_elem(&tagged, &tgid))
		tgid_bit_add(tgid, false);
}

/* ---- record header ---- */

static __always_inline void hdr_fill(struct am_hdr *h, __u16 type, __u16 size,
				     const struct am_tag *tag)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct task_struct *task = (void *)bpf_get_current_task();

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->agent_pid = tag ? tag->agent_pid : 0;
	h->agent_id = tag ? tag->agent_id : AM_AGENT_NONE;
	h->type = type;
	h->size = size;
	h->flags = 0;
	h->_pad[0] = h->_pad[1] = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* a record of type lost: counted for the collector's drop events */
static __always_inline void drop_count(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &type);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* process tgid is gone: its aws-lc records still waiting are lost (counted
 * in drops); their entries age out of the LRU maps */
static __always_inline void awslc_gone(__u32 tgid)
{
	__s64 *w = bpf_map_lookup_elem(&awslc_wait, &tgid);
	__u32 type = AM_EV_DATA;
	__u64 *n;

	if (!w)
		return;
	if (*w > 0 && (n = bpf_map_lookup_elem(&drops, &type)))
		__sync_fetch_and_add(n, *w);
	bpf_map_delete_elem(&awslc_wait, &tgid);
}

/*
 * thread pt's TLS_SEND records in tls_pend slots 0 .. n-1 are lost: counted
 * in drops[AM_EV_DATA] (the collector shows a drop event) and deleted with
 * their rest; n is AM_TLS_PEND_MAX for a thread whose count is unknown
 */
static __always_inline void tls_pend_reap(__u64 pt, __u8 n)
{
	__u32 type = AM_EV_DATA;
	__u64 lost = 0, *cnt;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < AM_TLS_PEND_MAX; i++) {
		struct tls_pend_key k = { .pt = pt, .slot = i };

		if (i >= n)
			break;
		if (!bpf_map_delete_elem(&tls_pend, &k))
			lost++;
		bpf_map_delete_elem(&tls_pend_rest, &k);
	}
	if (lost && (cnt = bpf_map_lookup_elem(&drops, &type)))
		__sync_fetch_and_add(cnt, lost);
}

/*
 * thread pt has no tls_calls entry (its TLS state was evicted from the LRU
 * map, or it never had one): records still in tls_pend under it are orphans
 * no socket write will send and no count names; they are lost, counted
 * (one lookup when there are none)
 */
static __always_inline void tls_pend_orphans(__u64 pt)
{
	struct tls_pend_key k0 = { .pt = pt, .slot = 0 };

	if (bpf_map_lookup_elem(&tls_pend, &k0))
		tls_pend_reap(pt, AM_TLS_PEND_MAX);
}

/*
 * thread pt is gone: its TLS_SEND records still waiting in tls_pend for a
 * socket write it will never make are lost, counted (tls_pend_reap, or
 * tls_pend_orphans when its tls_calls entry was evicted); the thread's
 * tls_calls state is deleted (a reused thread id must not inherit it)
 */
static __always_inline void tls_pend_gone(__u64 pt)
{
	struct tls_call *c = bpf_map_lookup_elem(&tls_calls, &pt);

	if (!c) {
		tls_pend_orphans(pt);
		return;
	}
	tls_pend_reap(pt, c->pending);
	bpf_map_delete_elem(&tls_calls, &pt);
}

/*
 * emit - copy size bytes of a built record into the ring buffer.  Wakeups
 * are batched: none for ordinary records, forced when the backlog exceeds
 * wakeup_bytes, normal for urgent (rare, latency-relevant) records (the
 * kernel's own choice: it wakes a consumer that had caught up), forced when
 * urgent_force (per-process TLS uprobes: a tagged child's attach must not
 * wait for the poll timeout behind ordinary records).
 * A failure is counted in drops[type].
 */
static __always_inline void emit(void *rec, __u64 size, __u32 type, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent)
		flags = urgent_force ? BPF_RB_FORCE_WAKEUP : 0;
	else if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, rec, size, flags))
		drop_count(type);
}

/* ---- paths ---- */

/*
 * dpath - walk dentry/mount parents from (dentry, vfsmnt) up to the task's
 * root, crossing mount points, at most AM_DPATH_DEPTH components.  The path
 * is built backwards in pb; returns its start offset (the path runs to the
 * NUL at PB_SIZE - 1).  Sets AM_F_PATH_TRUNC in *flags when cut.
 */
static __always_inline __u32 dpath(struct pathbuf *pb, struct dentry *dentry,
				   struct vfsmount *vfsmnt, struct task_struct *task,
				   __u16 *flags)
{
	struct dentry *root_d = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(task, fs, root.mnt);
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (void *)vfsmnt - mnt_off;
	bool done = false;

	pb->pos = PB_SIZE - 1;
	pb->b[PB_SIZE - 1] = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < AM_DPATH_DEPTH; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		__u64 pos = pb->pos;
		struct qstr q;
		__u32 len;

		if (dentry == root_d && vfsmnt == root_m) {
			done = true;
			break;
		}
		if (dentry == mnt_root || dentry == parent) {
			struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);

			if (dentry != mnt_root || mp == mnt) {
				done = true; /* global root, or a detached tree */
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			vfsmnt = (void *)mp + mnt_off;
			continue;
		}
		q = BPF_CORE_READ(dentry, d_name);
		len = q.len & NAME_MASK;
		if (len + 1 > pos)
			break;
		pos -= len + 1;
		bpf_probe_read_kernel(&pb->b[(pos + 1) & PB_MASK], len, q.name);
		pb->b[pos & PB_MASK] = '/';
		pb->pos = pos;
		dentry = parent;
	}
	if (!done)
		*flags |= AM_F_PATH_TRUNC;
	if (pb->pos >= PB_SIZE - 1) {
		pb->pos = PB_SIZE - 2;
		pb->b[PB_SIZE - 2] = '/';
	}
	return pb->pos;
}

/*
 * put_dpath - the path of (dentry, vfsmnt) at rec + off, NUL included.
 * Returns its length, 0 when it could not be read.
 */
static __always_inline __u32 put_dpath(__u8 *rec, __u32 off, struct dentry *dentry,
				       struct vfsmount *vfsmnt, struct task_struct *task,
				       __u16 *flags)
{
	struct pathbuf *pb = bpf_map_lookup_elem(&pathbuf, &zero_key);
	__u32 pos, len;

	if (!pb || !dentry || !vfsmnt)
		return 0;
	pos = dpath(pb, dentry, vfsmnt, task, flags) & PB_MASK;
	len = PB_SIZE - pos; /* 1..PB_SIZE: a path that fills pb keeps its length */
	if (len > PB_SIZE)
		return 0;
	if (bpf_probe_read_kernel(&rec[off & STR_OFF_MASK], len, &pb->b[pos]))
		return 0;
	return len;
}

/* the task's working directory at rec + off; returns its length or 0 */
static __always_inline __u32 put_cwd(__u8 *rec, __u32 off, struct task_struct *task,
				     __u16 *flags)
{
	struct path pwd = BPF_CORE_READ(task, fs, pwd);

	return put_dpath(rec, off, pwd.dentry, pwd.mnt, task, flags);
}

/* the struct file behind fd in the task's fd table, or NULL */
static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || !fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#define S_IFMT   0170000
#define S_IFSOCK 0140000

/* the socket behind fd, NULL when there is none or it is not a socket */
static __always_inline struct sock *fd_sock(struct task_struct *task, int fd)
{
	struct file *f = fd_file(task, fd);
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/*
 * The one reader of a socket's ends (net.bpf.c, tls.bpf.c): sk's peer
 * (family, port in host order, address in network order, IPv4 in the first
 * 4 bytes) and its local end (protocol, port, address, for the family
 * given).  Addresses stay as they were for a family neither AF_INET nor
 * AF_INET6.
 */
static __always_inline void sk_peer(struct sock *sk, __u16 *family, __u16 *dport, __u8 *daddr)
{
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	*dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (*family == AF_INET6 && bpf_core_field_exists(sk->__sk_common.skc_v6_daddr))
		BPF_CORE_READ_INTO((struct in6_addr *)daddr, sk, __sk_common.skc_v6_daddr);
	else if (*family == AF_INET)
		BPF_CORE_READ_INTO((__u32 *)daddr, sk, __sk_common.skc_daddr);
}

static __always_inline void sk_local(struct sock *sk, __u16 family, __u8 *proto, __u16 *sport,
				     __u8 *saddr)
{
	*proto = BPF_CORE_READ(sk, sk_protocol);
	*sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET6 && bpf_core_field_exists(sk->__sk_common.skc_v6_rcv_saddr))
		BPF_CORE_READ_INTO((struct in6_addr *)saddr, sk, __sk_common.skc_v6_rcv_saddr);
	else if (family == AF_INET)
		BPF_CORE_READ_INTO((__u32 *)saddr, sk, __sk_common.skc_rcv_saddr);
}

/* ---- tail-called sys_exit handlers (file.bpf.c, net.bpf.c) ---- */

/*
 * whether task's current syscall came through the 32-bit compat table
 * (x86: int $0x80 or a 32-bit program; other numbers, other arguments).
 * Always false elsewhere (arm64 AArch32 tasks: a known limit).
 */
static __always_inline bool task_compat(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return bpf_core_field_exists(task->thread_info.status) &&
	       (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT);
#else
	return false;
#endif
}

/*
 * the tag of the current task for a handler, NULL when untagged or when the
 * syscall came through the 32-bit compat table (h_syscall reports those)
 */
static __always_inline struct am_tag *handler_tag(struct task_struct *task)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct am_tag *tag = bpf_map_lookup_elem(&tagged, &tgid);

	if (tag && task_compat(task))
		return NULL;
	return tag;
}

#endif /* AGENTMON_COMMON_BPF_H */
