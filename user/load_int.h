/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * load_int.h - what load.c, load_pin.c and load_tls.c share, private to
 * them: the loader's state and the helpers that report into it
 * (load_util.c).  load.c calls load_pin.c and load_tls.c, never the reverse.
 */
#ifndef AGENTMON_LOAD_INT_H
#define AGENTMON_LOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fsguard.h"
#include "load.h"
#include "agentmon.skel.h"
#include "scanq.h"
#include "tls_cache.h"
#include "tls_cover.h"

#define TRACEFS_DIR   "/sys/kernel/tracing"
#define TRACEFS_MAGIC 0x74726163
#define BTF_VMLINUX   "/sys/kernel/btf/vmlinux"
#define N_SOCK_PROGS  4
#define N_DATA_PROGS  2
#define N_TLS_FNS     11     /* SSL_write(_ex), SSL_read(_ex), gnutls send/recv,
				BoringSSL's tls_write_app_data, aws-lc's
				EVP_AEAD_CTX_seal, OpenSSL 3's ssl_write_internal,
				BoringSSL's tls_open_app_data, aws-lc's
				EVP_AEAD_CTX_open (the last five located) */
#define TLS_FN_BORING_WRITE 6
#define TLS_FN_AWSLC_SEAL   7
#define TLS_FN_OSSL3_WRITE  8
#define TLS_FN_BORING_READ  9
#define TLS_FN_AWSLC_OPEN   10
#define TLS_BIN_MAX   4096   /* binaries whose verdict is cached */
#define TLS_PROBES_MAX 16     /* tracefs uprobe events of the shared libraries */
#define TLS_BIN_LINKS 8       /* uprobe links one binary may hold (writes first) */
#define TLS_RETRY_NS  (60ull * 1000000000ull) /* a scan cut by its time budget is
					       * done again after this (a loaded
					       * host's, not the file's, fault) */
#define TLS_LINKS_MAX 1024    /* uprobe links in all, at most (load_links.c) */
#define TLS_UPROBE_FDS 8192   /* descriptors of all TLS uprobes (links and
				 per-process perf events), at most */

/* what skel_load loads besides the tracepoints */
#define LOAD_SOCK 1          /* cgroup sock_addr hooks */
#define LOAD_DATA 2          /* cgroup skb hooks and TLS uprobes */

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* one binary's TLS verdict, keyed by inode */
struct tls_bin {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime, mtime_ns;      /* size and mtime: a rewritten file is another */
	int64_t ctime, ctime_ns;      /* and ctime (no user sets it back) */
	int rc;                       /* what loader_attach_tls_binary returns;
				       * objects: -ENODATA carries no TLS library */
	bool object;                  /* judged as a shared object (locator only) */
	bool attached;                /* rc 0: its uprobes are attached now */
	bool running;                 /* load_links.c: some process runs it */
	uint64_t retry_ns;            /* monotonic ns from which a timed-out scan's
				       * verdict is dropped (scanned again); 0: kept */
	long off[N_TLS_FNS];          /* rc 0: file offsets of its TLS functions */
	char msg[512];
};

struct loader {
	struct agentmon_bpf *skel;
	struct loader_opts opts;      /* as loader_open got them */
	bool hooks_on;                /* the agent hooks (sock, skb, TLS) are attached */
	bool quiet;                   /* re-attaching: the status line is not redone */
	int teardown_fd;              /* readable when detached uprobes are gone; -1 */
	struct bpf_link *sock_links[N_SOCK_PROGS];
	struct bpf_link *data_links[N_DATA_PROGS];
	struct bpf_link **tls_links;  /* every uprobe link, libraries and binaries */
	struct load_link_id *tls_link_ids; /* whose each is (parallel) */
	size_t n_tls_links, cap_tls_links;
	size_t link_budget;           /* links at most (0: not computed yet) */
	uint64_t links_released;      /* of binaries nothing ran any more */
	uint64_t links_refused;       /* not attached: the budget was spent */
	uint64_t gc_quiet_until;      /* monotonic ns: no sweep before */
	struct tls_bin *bins;         /* binary verdicts, TLS_BIN_MAX at most */
	size_t n_bins, cap_bins;
	size_t bin_evict;             /* where cache_bin looks next when full */
	uint64_t bins_evicted;        /* verdicts given way to newer ones */
	char tls_libs[256];           /* the shared libraries hooked, for messages */
	bool tls_scoped;              /* the libraries' uprobes are per tagged process
				       * (load_scope.c); else system-wide */
	char tls_wide_why[160];       /* why they are system-wide */
	int probes[TLS_PROBES_MAX];   /* tracefs event ids of the scoped uprobes */
	int n_probes;
	unsigned scope_gen;           /* names this attach's tracefs events */
	struct tls_cover cover;       /* the processes they cover */
	uint64_t *bits;               /* tagged_bits, mmapped */
	size_t bits_len;
	bool adopted;                 /* tagged, tagged_bits were pinned by an earlier run */
	int names_fd;                 /* agent_names (pinned), -1 when not pinning */
	int pin_lock_fd;              /* the pin directory, flock()ed for this run, or -1 */
	char pin_note[384];           /* why tags are not pinned, or pinned ones dropped */
	struct scanq *scanq;          /* the scanner thread (load_scan.c); NULL: files
				       * are scanned on the caller's thread */
	uint64_t scan_stale;          /* scanned files that changed before their attach */
	uint64_t exe_by_path;         /* binaries of processes gone, found by their exec's path */
	uint64_t exe_gone;            /* ... not: the exec record cannot name the file */
	uint64_t exe_mismatch;        /* ... refused: another file is at that path now */
	struct fsguard guard;         /* agents' files opened without asking FUSE
				       * (guard.refused: files on FUSE, not scanned) */
	struct tls_cache *tcache;     /* verdicts that outlive the run (opts.tls_cache);
				       * NULL: none */
	char tcache_note[640];        /* why the cache file was ignored at start */
	char status[1024];
	struct loader_gap gaps[LOADER_GAPS_MAX]; /* loader_gaps (load_gap) */
	size_t n_gaps;
};

/* the file a uprobe link is on: a binary's (dev, ino), or ino 0 for a
 * shared library (never released) */
struct load_link_id {
	dev_t dev;
	ino_t ino;
};

/* load_links.c: the descriptors the limit allows the TLS uprobes, links and
 * per-process perf events together (RLIMIT_NOFILE less a reserve, halved,
 * at most TLS_UPROBE_FDS) */
size_t load_links_budget(void);
/* load_links.c: keep link (on dev/ino, ino 0: a library); -ENOMEM (the
 * link is then destroyed) */
int load_keep_link(struct loader *l, struct bpf_link *link, dev_t dev, ino_t ino);
/* load_links.c: destroy the links kept since there were n0 */
void load_drop_links_since(struct loader *l, size_t n0);
/* load_links.c: whether want more links fit the budget, after releasing
 * those of binaries no process runs when they do not */
bool load_links_room(struct loader *l, size_t want);
/* load_links.c: the perf fds the per-process events may hold in all: the
 * budget less the links (those of binaries no process runs released first
 * when the events have no room left) */
int load_links_scope_room(struct loader *l);

/* the TLS functions: symbol, entry program, library */
struct tls_fn {
	const char *sym;
	struct bpf_program *prog;
	int lib;                      /* AM_TLS_OPENSSL or AM_TLS_GNUTLS */
	bool entry_only;              /* no uretprobe (tls_ret): the entry program
				       * reads everything */
};

/*
 * A binary opened once: it is read and attached through fd only, so that
 * renaming another file over its path, or its process exec'ing another
 * binary (sudo) between the scan and the attach, cannot move the uprobes:
 * "/proc/self/fd/N" resolves, for the kernel, to the inode read.  Files are
 * read with pread (libelf's ELF_C_READ), never mmapped: truncating one
 * while it is read is an error, not a SIGBUS.
 */
struct tls_file {
	int fd;
	struct stat st;               /* at open: dev, ino, size, mtime */
	char fdpath[32];              /* "/proc/self/fd/N" */
	bool by_exec;                 /* opened by its exec's path (open_req) */
};

/* load_file.c: 0 or -errno (-ENOEXEC: not a regular file; -ESTALE: the
 * path named another file when reopened) */
int tls_file_open(const char *path, struct tls_file *f);
/* load_file.c: the same for a file an agent names (path walked by
 * l->guard, pid's view): -EREMOTE on a FUSE mount, not opened nor stat'ed */
int tls_file_open_guarded(struct loader *l, const char *path, uint32_t pid, struct tls_file *f);
bool tls_file_same(const struct tls_file *f);
void tls_file_close(struct tls_file *f);

/* load_tls.c: what load_tls_file is asked to judge */
struct load_scan_req {
	const char *show;             /* the file's name in messages */
	const char *label;            /* the executable of the process that asked */
	uint32_t pid;                 /* that process */
	bool object;                  /* a shared object it loaded (else its binary) */
	bool now;                     /* scan on this thread, not the scanner's */
	const struct exe_id *exe;     /* the exec that ran the binary: when the file at
				       * path is gone, the one at the exec's path, if it
				       * is the file the kernel ran (exe_id.h); or NULL */
};
/* load_tls.c: the TLS verdict on the file at path (loader_attach_tls_binary's
 * returns), cached per file; a file not cached yet is handed to the scanner
 * thread (-EINPROGRESS; -EAGAIN when its queue is full) unless q->now */
int load_tls_file(struct loader *l, const char *path, const struct load_scan_req *q, char *err,
		  size_t errlen);
/* load_tls.c: the files the scanner finished, judged and attached (cb told of
 * each); how many */
int load_tls_scanned(struct loader *l, loader_scanned_fn cb, void *arg);

/* load_scan.c: the scanner thread started (when it cannot be, files are
 * read inline: said in the status line) and stopped, joined */
void load_scan_start(struct loader *l);
void load_scan_stop(struct loader *l);
/* load_scan.c: the TLS cache file of opts.tls_cache read, before the known
 * binaries are judged (a missing file is no error; why one is ignored:
 * l->tcache_note); load_scan_stop frees it */
void load_scan_cache_open(struct loader *l);
/* load_scan.c: remember the verdict v on a file judged in the cache file
 * (LOCATED: b's offsets); false when there is no cache or it keeps none */
bool load_scan_persist(struct loader *l, const struct tls_bin *b, enum tls_cache_verdict v);
/* load_scan.c: the verdict the cache file holds for b's file (its
 * identity), its offsets into b->off when LOCATED; -1 when it holds none */
int load_scan_recall(struct loader *l, struct tls_bin *b);

/* write the one-line reason into err and return rc (a negative errno) */
int load_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* append to the loader's status line */
void load_status_add(struct loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* hook falls short (why): a gap (loader_gaps; LOAD_GAP_AGENT: an agent
 * hook's, redone at each attach), and "; hook: why" on the status line
 * unless LOAD_GAP_UNSAID (the line says it its own way) */
enum { LOAD_GAP_AGENT = 1, LOAD_GAP_UNSAID = 2 };
void load_gap(struct loader *l, unsigned flags, const char *hook, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* the agent hooks are attached again: their gaps go (the attach says its own) */
void load_gaps_reset_agent(struct loader *l);

/* load_tls.c: uprobes on the shared TLS libraries, for every process */
void load_tls_attach_libs(struct loader *l);
/* load_tls.c: the per-process uprobes failed (why): attach the libraries'
 * system-wide as well, close the per-process events */
void load_tls_widen(struct loader *l, const char *why);
/* load_tls.c: the usual node binaries (their own OpenSSL), hooked at start */
void load_tls_attach_known(struct loader *l);
/* load_scan.c: keep a verdict (TLS_BIN_MAX at most, then in place of one whose
 * file is not attached nor running) */
void load_tls_cache_bin(struct loader *l, const struct tls_bin *b);
/* load_scan.c: the verdict kept for the file id names (as a binary or an
 * object: dev, ino, size, mtime, ctime), or NULL; a timed-out scan's whose
 * retry_ns is past at now_ns (monotonic) is dropped: NULL, scanned again */
struct tls_bin *load_tls_cached(struct loader *l, const struct tls_bin *id, uint64_t now_ns);
/* load_tls.c: the TLS functions of the skeleton, N_TLS_FNS of them */
void load_tls_fns(struct agentmon_bpf *s, struct tls_fn *f);
/* load_tls.c: detach every uprobe (in the background: each waits for RCU);
 * the binaries' verdicts stay, to be attached again without a scan */
void load_tls_detach(struct loader *l);
/* load_util.c: destroy links without making the caller wait for uprobe RCU (a
 * grandchild does); returns an fd that reads EOF once they are gone, or -1 */
int load_destroy_links(struct bpf_link **links, size_t n);
/* load_util.c: the same, and the fds closed too (per-process perf events:
 * closing one on a live process takes its int3 out, ms each) */
int load_destroy_all(struct bpf_link **links, size_t n, const int *fds, size_t nfds);
/* load_pin.c: mount bpffs when missing, create opts.pin_dir, open or
 * create the pinned agent_names; when that fails, pin nothing (opts.pin_dir
 * NULL) and say why in l->pin_note */
void load_pin_start(struct loader *l);
/* load_pin.c: hold opts.pin_dir for this run (an exclusive flock on the
 * directory): -EBUSY, said in err, when another live collector holds it */
int load_pin_lock(struct loader *l, char *err, size_t errlen);
/* load_pin.c: before load, adopt the pinned tag maps that fit (else unpin
 * them) and pin them after load; sets l->adopted.  0 or -errno */
int load_pin_maps(struct loader *l, struct agentmon_bpf *s);
/* load_scope.c: per-process TLS uprobes (tracefs uprobe events, perf
 * events with inherit).  begin: before the libraries' probes (0: usable,
 * -errno); probe: one tracefs event carrying prog, its link (NULL, errno);
 * end: every per-process event closed, the books emptied (init: the books
 * set up); close: also the tracefs events removed */
int load_scope_begin(struct loader *l);
struct bpf_link *load_scope_probe(struct loader *l, const char *fdpath, long off, bool ret,
				  struct bpf_program *prog);
void load_scope_init(struct loader *l);
/* cover tagged process tgid (tls_cover_root), within the budget's room */
int load_scope_cover(struct loader *l, uint32_t tgid);
/* links and every per-process event closed in the background (see
 * load_destroy_all; its fd returned), the books emptied */
int load_scope_release(struct loader *l, struct bpf_link **links, size_t n);
void load_scope_end(struct loader *l);
void load_scope_close(struct loader *l);
#define TEARDOWN_WAIT_MS 5000   /* re-attaching waits this long at most for it */

#endif
