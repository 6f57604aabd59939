/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * load.h - the BPF side as the collector sees it: checks what the kernel
 * offers, opens, loads and attaches the skeleton, and owns the maps.
 *
 * Library code: returns negative errno and writes a one-line reason into
 * the caller's buffer; never prints except through libbpf's print callback.
 */
#ifndef AGENTMON_LOAD_H
#define AGENTMON_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"
#include "tls_cover.h"

struct loader;
struct exe_id;
struct ring_buffer;

struct loader_opts {
	uint32_t ringbuf_bytes;   /* 0: AM_RINGBUF_BYTES; rounded to a power of 2 */
	const char *cgroup_path;  /* cgroup v2 root for sock_addr hooks; NULL: find it */
	uint32_t collector_pid;   /* never tagged */
	uint32_t data_cap;        /* bytes captured per AM_EV_DATA record; 0: AM_DATA_CAP_DEFAULT,
				     above AM_DATA_CAP_MAX: AM_DATA_CAP_MAX */
	const char *pin_dir;      /* bpffs directory where the tags outlive the run (tagged,
				     tagged_bits, agent_names), adopted when present; NULL:
				     nothing is pinned */
	uint32_t data_window;     /* bytes of each socket captured from its start (later
				     packets: only the first after the peer spoke, the rest
				     counted); 0: AM_DATA_WINDOW_DEFAULT (64 KiB) */
	uint32_t max_tagged;      /* entries of the tagged map; 0: AM_MAX_TAGGED (tests
				     make it tiny to fill it) */
	uint32_t max_tls_calls;   /* entries of the tls_calls LRU map; 0: AM_MAX_INFLIGHT
				     (tests make it tiny to evict from it) */
	bool tls_per_process;     /* the shared TLS libraries' uprobes on tagged
				     processes only (load_scope.c); false: on every
				     process (the default) */
	const char *tls_cache;    /* file of the TLS verdicts that outlive the run
				     (tls_cache.h): a binary seen by an earlier run
				     is attached at its first exec, unscanned; NULL:
				     none */
};

/*
 * loader_check - what loader_open verifies first, without loading anything:
 * privileges, BTF, ring buffer support.  0 or -errno with err set.
 */
int loader_check(char *err, size_t errlen);
/* the cgroup v2 mount point (from /proc/mounts) into buf, where the socket
 * hooks go; 0 or -ENOENT */
int loader_cgroup2_root(char *buf, size_t len);
/* whether tracefs is mounted at /sys/kernel/tracing (loader_open mounts it
 * when not) */
bool loader_tracefs_mounted(void);
/* --tls-uprobes when not given: true is process (per agent process) */
#define LOADER_TLS_PER_PROCESS_DEFAULT true
/* whether the kernel takes perf events inherited by threads only
 * (inherit_thread, Linux 5.13), without which --tls-uprobes process falls
 * back to system-wide: tried on a software event of the caller; 0 or
 * -errno (EINVAL: not in this kernel) */
int loader_inherit_thread_check(void);

/*
 * loader_open - verify root/CAP_BPF, BTF at /sys/kernel/btf/vmlinux and ring
 * buffer support, mount tracefs when missing, then open, load and attach
 * every program.  Hooks the kernel refuses that have a fallback are reported
 * in loader_status(); a missing essential hook fails.  Returns 0 or -errno
 * with err set ("not running as root", "kernel has no BTF ...").
 *
 * Besides the tracepoints and the cgroup sock_addr hooks this attaches, as
 * far as the kernel allows (each reported in loader_status()):
 *  - cgroup skb egress/ingress on the cgroup v2 root: AM_EV_DATA records of
 *    sockets that tagged tasks connected or sent on (SOCK_SEND: first bytes
 *    of each packet within the byte window, count-only records after it;
 *    SOCK_RECV: DNS answers from port 53);
 *  - uprobes on SSL_write(_ex)/SSL_read(_ex) of libssl.so.3 (and .so.1.1)
 *    and gnutls_record_send/recv of libgnutls.so.30, found in the usual
 *    library directories, for every process (the programs return at once
 *    for untagged ones): AM_EV_DATA TLS_SEND/TLS_RECV records.
 */
int loader_open(struct loader **out, const struct loader_opts *opts,
		char *err, size_t errlen);
void loader_close(struct loader *l);

/* the ring buffer map's fd, for ring_buffer__new() */
int loader_events_fd(const struct loader *l);

/* tagging: the tagged map, keyed by tgid */
int loader_tag(struct loader *l, uint32_t tgid, const struct am_tag *tag);
int loader_untag(struct loader *l, uint32_t tgid);
/* untag tgid only while its entry still has start_ns (not a newer process's
 * tag); 0, -ENOENT when not tagged, -ESTALE when it is another's */
int loader_untag_if(struct loader *l, uint32_t tgid, uint64_t start_ns);
/* 0 and *tag filled when tagged, -ENOENT when not */
int loader_lookup(struct loader *l, uint32_t tgid, struct am_tag *tag);
/* whether tgid is tagged now (its bit: no syscall) */
bool loader_tagged(const struct loader *l, uint32_t tgid);
/* capture bytes of tgid's TLS reads whole (a model API answer is being
 * read, llmconn.h); 0: no more.  The collector's own budget (llm_watch):
 * the kernel's arming by a request head (llm_rx) is never touched.  0 or
 * -errno */
int loader_llm_watch(struct loader *l, uint32_t tgid, uint64_t bytes);
/* cb for every entry of `tagged` (cb must not untag); stops when cb
 * returns non-zero.  Returns the number of entries visited */
size_t loader_tags_each(struct loader *l,
			int (*cb)(void *arg, uint32_t tgid, const struct am_tag *tag), void *arg);

/*
 * Pinned state (opts.pin_dir): whether this run adopted the tags of an
 * earlier one; what became of pinned tags that did not fit (NULL: nothing);
 * the agent names their agent ids stand for (AM_MAX_AGENT_NAMES of them).
 * name_set returns 0 (also when nothing is pinned), -E2BIG or -errno;
 * name returns 0, or -ENOENT when id has no name.
 */
#define AM_MAX_AGENT_NAMES 1024
bool loader_adopted(const struct loader *l);
const char *loader_pin_note(const struct loader *l);
/* why the TLS cache file (opts.tls_cache) was ignored at start (NULL:
 * nothing to say) */
const char *loader_tls_cache_note(const struct loader *l);
int loader_agent_name_set(struct loader *l, uint32_t id, const char *name);
int loader_agent_name(struct loader *l, uint32_t id, char name[AM_NAME_MAX]);

/* agent_exe rules (basename -> rule); clear removes all of them */
int loader_set_exe_rule(struct loader *l, const char *basename,
			const struct am_exe_rule *rule);
int loader_clear_exe_rules(struct loader *l);
int loader_set_config(struct loader *l, const struct am_config *cfg);

/*
 * loader_drops - events the kernel could not reserve since load, summed over
 * CPUs; per_type (AM_EV_KERNEL_MAX entries) may be NULL.  Returns the total.
 */
uint64_t loader_drops(struct loader *l, uint64_t *per_type);
/* what the kernel could not do since load (enum am_fault), summed over CPUs */
uint64_t loader_faults(struct loader *l, uint32_t fault);

/*
 * loader_attach_tls_binary - for a binary a tagged process execs (best
 * pass /proc/PID/exe): when it carries OpenSSL/BoringSSL itself with
 * symbols (node, bun), attach the TLS uprobes to it, for every process that
 * runs it.  The file is opened once and read (pread, never mmapped),
 * attached ("/proc/self/fd/N") and checked again through that one fd: a
 * file renamed over path, or the process exec'ing another binary meanwhile,
 * cannot move the uprobes; a file whose size or mtime changed meanwhile is
 * detached again (-ESTALE).  The verdict is cached per file (dev, ino, size,
 * mtime): a repeated call costs one open and fstat.  This call reads the
 * file on the caller's thread (at start); loader_scan_tls_binary hands it
 * to the scanner thread.  err always gets a one-line status.  Returns
 *   0        its own TLS library is hooked (also when it was already);
 *   1        it links a shared TLS library (libssl, libgnutls): covered by
 *            the library hooks when that library is one loader_status lists;
 *   -ENOENT  no TLS library recognised (or not an ELF file): its TLS
 *            plaintext is not visible, rely on SNI and DNS (say so loudly);
 *   -EREMOTE the file is on a FUSE mount (or one the collector cannot
 *            see): never opened nor stat'ed (its server, maybe the agent,
 *            could block the caller), not scanned; counted (on_fuse), its
 *            TLS judged unseen.  Every path an agent names is walked so
 *            (fsguard.h), binaries and objects alike;
 *   other -errno: it could not be read or the attach failed.
 */
int loader_attach_tls_binary(struct loader *l, const char *path, char *err, size_t errlen);
/*
 * loader_scan_tls_binary - the same for the binary process pid runs, off
 * the event loop: a file not judged yet is opened (/proc/PID/exe) and
 * handed to the scanner thread, -EINPROGRESS (its verdict comes through
 * loader_scan_collect; label, the process's executable, comes back with
 * it), -EAGAIN when the scan queue is full (counted; fail closed: unseen)
 */
int loader_scan_tls_binary(struct loader *l, uint32_t pid, const char *label, char *err,
			   size_t errlen);
/*
 * loader_scan_exec - the same for the process an exec record describes
 * (id: exe_id.h): when /proc/PID/exe cannot be opened (the process is
 * over) or holds another inode than the exec ran (the process ran another
 * file since), the file at the exec's path is scanned instead, but only
 * when it is the file the kernel ran; counted in loader_scans (exe_by_path,
 * exe_gone, exe_mismatch).  Returns as loader_scan_tls_binary; -ESTALE
 * when another file is at that path now (refused), -ENOENT when the record
 * cannot name the file (an interpreter ran, no identity in the record).
 */
int loader_scan_exec(struct loader *l, uint32_t pid, const char *label, const struct exe_id *id,
		     char *err, size_t errlen);
/*
 * loader_attach_tls_objects - the shared objects process pid has mapped
 * executable (not its main binary): one that carries its own BoringSSL or
 * aws-lc (Copilot's runtime.node, dlopened by node) is located and hooked
 * like a binary, opened through /proc/PID/map_files (the inode mapped, not
 * a path the process can rename); verdicts cached per file like binaries,
 * files not judged yet handed to the scanner.  Returns 1 when one or more
 * are hooked and none is unseen, 0 when none carries such a library,
 * -EINPROGRESS when one is being scanned (and none is unseen), -ENOENT when
 * one does but is not hooked (err says which and why).
 */
int loader_attach_tls_objects(struct loader *l, uint32_t pid, const char *label, char *err,
			      size_t errlen);
/*
 * loader_scan_object - process pid opened path (absolute), a shared object
 * it is about to map (*.node, *.so): the file there (regular files only,
 * opened O_PATH first) is handed to the scanner now, so that its TLS
 * library is hooked before its first connection.  Returns as
 * loader_attach_tls_objects does for one object (-ENODATA: none of its
 * own, or not a file).
 */
int loader_scan_object(struct loader *l, uint32_t pid, const char *path, const char *label,
		       char *err, size_t errlen);

/* a scan the scanner thread finished, judged and attached on the loop:
 * told once for the process that asked and once for each process of another
 * executable that asked for the same file meanwhile (scanq.h, joiners) */
struct loader_scanned {
	const char *label;            /* as the request gave it */
	uint32_t pid;                 /* the process that asked */
	bool object;                  /* a shared object (else a binary) */
	int rc;                       /* as loader_attach_tls_binary returns */
	const char *msg;              /* the verdict line */
	uint64_t ns;                  /* how long the scan took */
};
typedef void (*loader_scanned_fn)(void *arg, const struct loader_scanned *r);
/* readable when the scanner finished files (-1: no scanner thread) */
int loader_scan_fd(const struct loader *l);
/* judge and attach what the scanner finished, cb told of each; how many */
int loader_scan_collect(struct loader *l, loader_scanned_fn cb, void *arg);
/* the scanner's figures (scanq.h), stale: changed before their attach */
struct loader_scans {
	bool thread;                  /* a scanner thread runs (else inline) */
	uint64_t depth, queued, done, timed_out, failed, dropped, joined, untold, stale, max_ns;
	uint64_t cache_hits;          /* files attached from the TLS cache, unscanned */
	uint64_t evicted;             /* verdicts kept in memory given way to newer ones */
	uint64_t cache_failed;        /* writes of the cache file that failed */
	const char *cache;            /* its path (NULL: none) */
	uint64_t exe_by_path;         /* binaries of processes already gone, scanned by
				       * their exec's path (the file the kernel ran) */
	uint64_t exe_gone;            /* ... not scanned: the record cannot name it */
	uint64_t exe_mismatch;        /* ... refused: another file is at the path now */
	uint64_t on_fuse;             /* files on a FUSE mount (or one not seen), never
				       * opened nor scanned: their TLS judged unseen */
};
void loader_scans(struct loader *l, struct loader_scans *out);

/*
 * loader_agent_hooks - attach (on) or detach (off) the hooks that only
 * agents' processes need: the sys_exit dispatcher (file and syscall-level
 * net events), the cgroup sock_addr and skb hooks and the TLS uprobes
 * (shared libraries, node, every binary hooked before).  Without them the
 * sched tracepoints still tag at fork and exec and report exec and exit;
 * untagged processes then pay nothing for syscalls, connects, packets or
 * TLS calls.  loader_open attaches them.  Detaching a uprobe waits for RCU:
 * it is done in the background.  Returns 1 when the state changed, else 0.
 */
int loader_agent_hooks(struct loader *l, bool on);
bool loader_agent_hooks_on(const struct loader *l);
/* whether the kernel holds any tagged process now (its tag bitmap) */
bool loader_any_tagged(const struct loader *l);

/*
 * The shared libraries' TLS uprobes per tagged process (tls_cover.h): the
 * collector tells the loader which processes were tagged other than by fork
 * (root), which tagged ones were forked and which exited.  When one cannot
 * be covered (fd budget, an error) the uprobes go system-wide until the
 * hooks are detached (fail closed), and the reason is kept.
 */
struct loader_tls_scope {
	bool hooked;                  /* the shared libraries are hooked now */
	bool scoped;                  /* per agent process; else system-wide */
	char wide_why[160];           /* why system-wide */
	struct tls_cover_stats cover;
};
/* root and fork return 1 when tgid got an attach of its own, fork 2 when
 * it got a guard of its own (covered by its parent's attach), else 0; exit
 * returns the process whose attach it released, or 0 */
int loader_tls_root(struct loader *l, uint32_t tgid);
int loader_tls_fork(struct loader *l, uint32_t ppid, uint32_t tgid, uint64_t fork_ns);
uint32_t loader_tls_exit(struct loader *l, uint32_t tgid);
/* tagged tgid sent a ClientHello at ts_ns (boot clock) before its per-process
 * uprobes were in place (tls_cover_unsure, counted): its plaintext may not
 * be read.  False when they are system-wide */
bool loader_tls_unsure(struct loader *l, uint32_t tgid, uint64_t ts_ns);
/* release the processes no longer tagged (exit events lost); how many */
size_t loader_tls_sweep(struct loader *l);
void loader_tls_scope(const struct loader *l, struct loader_tls_scope *s);
/* the TLS uprobe links and the descriptor budget they share with the
 * per-process perf events (load_links.c; those are in loader_tls_scope) */
struct loader_links {
	size_t links, budget, per_binary;
	uint64_t released;   /* links of binaries no process ran any more */
	uint64_t refused;    /* links not attached: the budget was spent */
};
void loader_links(const struct loader *l, struct loader_links *out);

/*
 * loader_hooks - fn(program name, attached now) for every hook program: the
 * tracepoints and the cgroup sock_addr and skb programs (not the tail-call
 * handlers; the TLS uprobes are links, see loader_links).  Returns how many.
 */
typedef void (*loader_hook_fn)(const char *name, bool attached, void *arg);
size_t loader_hooks(const struct loader *l, loader_hook_fn fn, void *arg);

/*
 * loader_tls_verdict - what loader_attach_tls_binary would find in the
 * binary at path, without a loader and without attaching anything (agentmon
 * doctor); why gets one line.  LOADER_TLS_SYMBOLS (its own OpenSSL with
 * symbols), LOADER_TLS_SHARED (a shared TLS library), LOADER_TLS_LOCATED
 * (BoringSSL, aws-lc or OpenSSL 3 located), -ENOENT (no TLS library
 * recognised, or not located: its TLS plaintext is not visible), -ETIME
 * (over the scan's time budget), other -errno (unreadable)
 */
enum { LOADER_TLS_SYMBOLS = 1, LOADER_TLS_SHARED, LOADER_TLS_LOCATED };
int loader_tls_verdict(const char *path, char *why, size_t whylen);

/* one line describing the hooks attached at start and the fallbacks, for
 * logs and status (not redone at an idle re-attach: see loader_gaps) */
const char *loader_status(const struct loader *l);

/* a hook missing or short of its programs now */
#define LOADER_GAPS_MAX 12
struct loader_gap {
	char hook[48];                /* "cgroup sock hooks", "socket data hooks",
				       * "tls uprobes", "data and tls programs", "tracefs" */
	char why[160];                /* "not loadable on this kernel", "3/4 attached", ... */
	bool agent;                   /* an agent hook: as its last attach found it */
};
/* the gaps (*n of them): those found at start, and the agent hooks' as
 * their last attach (at start or after idle) found them; valid until the
 * next attach */
const struct loader_gap *loader_gaps(const struct loader *l, size_t *n);

#endif
