// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_tls.c - the TLS uprobes (see load.h): OpenSSL and GnuTLS functions
 * found in an ELF file's symbol tables, attached to the shared libraries at
 * start and, on demand, to binaries that carry their own OpenSSL/BoringSSL
 * (node), with each binary's verdict cached by inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common.h"
#include "exe_id.h"
#include "load_int.h"
#include "scanq.h"
#include "tls_locate.h"
#include "tls_scan.h"

_Static_assert(N_TLS_FNS == TLS_SCAN_FNS, "tls_scan.c names every TLS function");
_Static_assert(N_TLS_FNS == TLS_CACHE_FNS, "the TLS cache keeps every TLS function");

void load_tls_fns(struct agentmon_bpf *s, struct tls_fn *f)
{
	const char *const *n = tls_scan_syms;

	f[0] = (struct tls_fn){ n[0], s->progs.ossl_write, AM_TLS_OPENSSL, false };
	f[1] = (struct tls_fn){ n[1], s->progs.ossl_write_ex, AM_TLS_OPENSSL, false };
	f[2] = (struct tls_fn){ n[2], s->progs.ossl_read, AM_TLS_OPENSSL, false };
	f[3] = (struct tls_fn){ n[3], s->progs.ossl_read_ex, AM_TLS_OPENSSL, false };
	f[TLS_SCAN_GTLS_SEND] = (struct tls_fn){ n[4], s->progs.gtls_send, AM_TLS_GNUTLS, false };
	f[5] = (struct tls_fn){ n[5], s->progs.gtls_recv, AM_TLS_GNUTLS, false };
	/* no symbol: tls_locate finds it; the name is one no symbol table holds */
	f[TLS_FN_BORING_WRITE] = (struct tls_fn){ n[TLS_FN_BORING_WRITE], s->progs.bssl_write_app,
						  AM_TLS_OPENSSL, false };
	f[TLS_FN_AWSLC_SEAL] = (struct tls_fn){ n[TLS_FN_AWSLC_SEAL], s->progs.awslc_seal,
						AM_TLS_OPENSSL, true };
	f[TLS_FN_OSSL3_WRITE] = (struct tls_fn){ n[TLS_FN_OSSL3_WRITE], s->progs.ossl_write_int,
						 AM_TLS_OPENSSL, false };
	f[TLS_FN_BORING_READ] = (struct tls_fn){ n[TLS_FN_BORING_READ], s->progs.bssl_open_app,
						 AM_TLS_OPENSSL, false };
	f[TLS_FN_AWSLC_OPEN] = (struct tls_fn){ n[TLS_FN_AWSLC_OPEN], s->progs.awslc_open,
						AM_TLS_OPENSSL, false };
}

/* ---- TLS uprobes ---- */

/* a verdict on f (as a binary or an object) with nothing judged yet */
static struct tls_bin bin_of(const struct tls_file *f, bool object)
{
	return (struct tls_bin){ .object = object, .dev = f->st.st_dev, .ino = f->st.st_ino,
		.size = f->st.st_size, .mtime = f->st.st_mtim.tv_sec,
		.mtime_ns = f->st.st_mtim.tv_nsec, .ctime = f->st.st_ctim.tv_sec,
		.ctime_ns = f->st.st_ctim.tv_nsec };
}

/* one uprobe (ret: a uretprobe) at off of f, for every process, or for the
 * processes the per-process events cover (scoped) */
static struct bpf_link *attach_one(struct loader *l, const struct tls_file *f,
				   struct bpf_program *prog, long off, bool ret, bool scoped)
{
	if (scoped)
		return load_scope_probe(l, f->fdpath, off, ret, prog);
	return bpf_program__attach_uprobe(prog, ret, -1, f->fdpath, (size_t)off);
}

/* what a set of TLS uprobes is on (attach_tls_fns) */
enum tls_on { TLS_ON_LIB, TLS_ON_SCOPED, TLS_ON_BIN };

/*
 * attach entry and return uprobes of every function of library lib (0: any)
 * that the scan found, through f's fd; when f changed meanwhile (size,
 * mtime) they are detached again: -ESTALE.  A library's links are
 * system-wide (TLS_ON_LIB) or carry per-process events (TLS_ON_SCOPED); a
 * binary's (TLS_ON_BIN, always system-wide) are on its inode, at most
 * TLS_BIN_LINKS of them, writes first; every link must fit the descriptor
 * budget (load_links.c; -EMFILE when none did).  Returns the number of
 * functions attached or -errno
 */
static int attach_tls_fns(struct loader *l, const struct tls_file *f, const struct tls_fn *fns,
			  const struct tls_scan *et, int lib, enum tls_on on)
{
	/* writes first: SSL_write(_ex), the located ones, gnutls send; then reads */
	static const int order[] = { 0, 1, TLS_FN_BORING_WRITE, TLS_FN_AWSLC_SEAL,
				     TLS_FN_OSSL3_WRITE, 4, TLS_FN_BORING_READ,
				     TLS_FN_AWSLC_OPEN, 2, 3, 5 };
	_Static_assert(sizeof(order) / sizeof(order[0]) == N_TLS_FNS,
		       "every TLS function has its place in the attach order");
	size_t n0 = l->n_tls_links;
	int n = 0, rc = 0, p0 = l->n_probes;

	for (int k = 0; k < N_TLS_FNS; k++) {
		int j = order[k];
		struct bpf_link *in, *ret;
		int need = fns[j].entry_only ? 1 : 2;

		if (et->off[j] < 0 || (lib && fns[j].lib != lib))
			continue;
		if ((on == TLS_ON_BIN && l->n_tls_links - n0 + need > TLS_BIN_LINKS) ||
		    !load_links_room(l, need)) {
			l->links_refused += need;
			rc = n ? rc : -EMFILE;
			continue;
		}
		in = attach_one(l, f, fns[j].prog, et->off[j], false, on == TLS_ON_SCOPED);
		if (!in) {
			rc = -errno;
			continue;
		}
		ret = fns[j].entry_only ? NULL :
		      attach_one(l, f, l->skel->progs.tls_ret, et->off[j], true, on == TLS_ON_SCOPED);
		if (!ret && !fns[j].entry_only) {
			rc = -errno;
			bpf_link__destroy(in);
			continue;
		}
		if (load_keep_link(l, in, f->st.st_dev, on == TLS_ON_BIN ? f->st.st_ino : 0) ||
		    (ret && load_keep_link(l, ret, f->st.st_dev, on == TLS_ON_BIN ? f->st.st_ino : 0)))
			return -ENOMEM;
		n++;
	}
	if (n && !tls_file_same(f)) {
		load_drop_links_since(l, n0);
		l->n_probes = p0;
		return -ESTALE;
	}
	return n ? n : rc;
}

/* the first of the usual library directories holding name, into buf */
static bool find_lib(const char *name, char *buf, size_t len, struct stat *st)
{
	static const char *const dirs[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
		"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
		"/usr/local/lib64",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (!stat(buf, st) && S_ISREG(st->st_mode))
			return true;
	}
	return false;
}

/* the shared TLS libraries, each attached once (one inode under several
 * names); into msg what each got; whether a scoped attach failed */
static bool attach_libs(struct loader *l, const struct tls_fn *fns, bool scoped, char *msg,
			size_t len)
{
	static const struct { const char *name; int lib; } libs[] = {
		{ "libssl.so.3", AM_TLS_OPENSSL }, { "libssl.so.1.1", AM_TLS_OPENSSL },
		{ "libgnutls.so.30", AM_TLS_GNUTLS },
	};
	struct stat seen[3];
	int nseen = 0;
	bool bad = false;

	l->tls_libs[0] = msg[0] = '\0';
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		char path[512];
		struct tls_file f;
		struct tls_scan et;
		struct stat st;
		bool dup = false;
		int want = libs[i].lib == AM_TLS_OPENSSL ? 4 : 2, rc;
		size_t n = strlen(msg);

		if (!find_lib(libs[i].name, path, sizeof(path), &st))
			continue;
		for (int k = 0; k < nseen; k++)
			dup |= seen[k].st_dev == st.st_dev && seen[k].st_ino == st.st_ino;
		if (dup)
			continue;
		seen[nseen++] = st;
		rc = tls_file_open(path, &f);
		if (!rc)
			rc = tls_scan_syms_fd(f.fd, &et);
		if (!rc)
			rc = attach_tls_fns(l, &f, fns, &et, libs[i].lib,
					    scoped ? TLS_ON_SCOPED : TLS_ON_LIB);
		tls_file_close(&f);
		bad |= scoped && rc < 0 && rc != -ESTALE;
		if (rc > 0) {
			size_t k = strlen(l->tls_libs);

			snprintf(l->tls_libs + k, sizeof(l->tls_libs) - k, "%s%s", k ? ", " : "",
				 libs[i].name);
		}
		snprintf(msg + n, len - n, " %s %d/%d%s%s", path, rc > 0 ? rc : 0, want,
			 rc < 0 ? " failed: " : "", rc < 0 ? strerror(-rc) : "");
		if (!scoped && rc < 0) /* the last attempt (scoped ones fall back to this) */
			load_gap(l, LOAD_GAP_AGENT | LOAD_GAP_UNSAID, "tls uprobes", "%.100s: %s",
				 path, strerror(-rc));
	}
	if (!nseen)
		snprintf(msg, len, " no libssl or libgnutls found");
	return bad;
}

/* cover a process tagged before the hooks were on (adopted, scanned) */
static int cover_tagged(void *arg, uint32_t tgid, const struct am_tag *tag)
{
	(void)tag;
	load_scope_cover(arg, tgid);
	return 0;
}

/*
 * uprobes on the shared TLS libraries: per tagged process when tracefs
 * uprobe events can be made (load_scope.c), else (or when that fails) for
 * every process
 */
void load_tls_attach_libs(struct loader *l)
{
	struct tls_fn fns[N_TLS_FNS];
	size_t n0 = l->n_tls_links;
	char msg[768];
	int rc, it = 0;

	if (!bpf_program__autoload(l->skel->progs.tls_ret)) {
		load_gap(l, LOAD_GAP_AGENT, "tls uprobes", "not loadable on this kernel");
		return;
	}
	load_tls_fns(l->skel, fns);
	rc = l->opts.tls_per_process ? load_scope_begin(l) : -ECANCELED;
	if (!rc && (it = loader_inherit_thread_check())) {
		load_scope_end(l);
		rc = -ENOTSUP;
	}
	l->tls_scoped = !rc;
	if (rc == -ECANCELED)
		snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "--tls-uprobes system");
	else if (rc == -ENOTSUP)
		snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "no inherit_thread perf events "
			 "(%s; Linux 5.13 or later)", strerror(-it));
	else if (rc)
		snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "no tracefs uprobe events: %s",
			 strerror(-rc));
	if (l->tls_scoped && attach_libs(l, fns, true, msg, sizeof(msg))) {
		load_drop_links_since(l, n0);
		load_scope_end(l);
		l->tls_scoped = false;
		snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "tracefs uprobe events failed:%.120s",
			 msg);
	}
	if (!l->tls_scoped)
		attach_libs(l, fns, false, msg, sizeof(msg));
	load_status_add(l, "; tls uprobes (%s):%s", l->tls_scoped ? "per agent process" :
			"system-wide", msg);
	if (l->tls_scoped)
		loader_tags_each(l, cover_tagged, l);
}

void load_tls_widen(struct loader *l, const char *why)
{
	struct tls_fn fns[N_TLS_FNS];
	char msg[768];

	if (!l->tls_scoped)
		return;
	l->tls_scoped = false;
	snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "%s", why);
	load_tls_fns(l->skel, fns);
	attach_libs(l, fns, false, msg, sizeof(msg));
	close(load_scope_release(l, NULL, 0));
}

/*
 * node carries its own OpenSSL: hook the usual node binaries now, so that a
 * short-lived first run is not missed while loader_attach_tls_binary reads
 * its symbols
 */
void load_tls_attach_known(struct loader *l)
{
	static const char *const bins[] = { "/usr/bin/node", "/usr/local/bin/node",
					    "/usr/bin/nodejs" };
	int n = 0;

	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		char msg[8];

		if (!access(bins[i], X_OK) && loader_attach_tls_binary(l, bins[i], msg, sizeof(msg)) == 0)
			load_status_add(l, "%s%s", n++ ? ", " : "; tls uprobes on ", bins[i]);
	}
}

void load_tls_detach(struct loader *l)
{
	if (l->teardown_fd >= 0)
		close(l->teardown_fd);
	l->teardown_fd = load_scope_release(l, l->tls_links, l->n_tls_links);
	l->n_tls_links = 0; /* the shared libraries' too: attached again with the hooks */
	load_scope_end(l); /* the carriers went with the links */
	for (size_t i = 0; i < l->n_bins; i++)
		l->bins[i].attached = false;
}

/* attach a binary's cached functions again (after the hooks were off) */
static int reattach_bin(struct loader *l, const struct tls_file *f, struct tls_bin *c)
{
	struct tls_fn fns[N_TLS_FNS];
	struct tls_scan et = { .imports = false };
	int rc;

	if (!l->hooks_on || (c->rc && c->rc != -EMFILE) || c->attached)
		return c->rc;
	load_tls_fns(l->skel, fns);
	memcpy(et.off, c->off, sizeof(et.off));
	rc = attach_tls_fns(l, f, fns, &et, AM_TLS_OPENSSL, TLS_ON_BIN);
	c->attached = rc > 0;
	if (rc > 0 && c->rc == -EMFILE) { /* the budget has room again */
		c->rc = 0;
		snprintf(c->msg, sizeof(c->msg), "OpenSSL/BoringSSL linked in, hooked "
			 "(once the uprobe budget had room)");
	}
	return rc > 0 ? 0 : rc;
}

/* the verdict on path's OpenSSL functions at et: attach them when the hooks are on */
static void own_openssl(struct loader *l, const char *path, const struct tls_file *f,
			const struct tls_scan *et, struct tls_bin *b)
{
	struct tls_fn fns[N_TLS_FNS];
	int rc = 1;

	load_tls_fns(l->skel, fns);
	memcpy(b->off, et->off, sizeof(b->off));
	if (l->hooks_on)
		rc = attach_tls_fns(l, f, fns, et, AM_TLS_OPENSSL, TLS_ON_BIN);
	b->rc = rc > 0 ? 0 : rc;
	b->attached = l->hooks_on && rc > 0;
	if (rc > 0)
		snprintf(b->msg, sizeof(b->msg), "%s: OpenSSL/BoringSSL linked in, hooked", path);
	else if (rc == -ESTALE)
		snprintf(b->msg, sizeof(b->msg), "%s: changed while its symbols were read; not hooked",
			 path);
	else if (rc == -EMFILE)
		snprintf(b->msg, sizeof(b->msg), "%s: OpenSSL linked in, not hooked: the uprobe "
			 "budget is spent (status: links refused); its TLS is judged unseen", path);
	else
		snprintf(b->msg, sizeof(b->msg), "%s: OpenSSL linked in, uprobe attach failed: %s",
			 path, strerror(-rc));
}

/* the functions tls_locate finds, and their uprobe slots; a read side is
 * hooked only with its write side (the locator's write-side checks are the
 * proof that the library is the one the programs expect) */
static const struct {
	enum tls_loc_fn loc, with;
	int fn;
} located_fns[] = {
	{ TLS_LOC_WRITE, TLS_LOC_WRITE, TLS_FN_BORING_WRITE },
	{ TLS_LOC_SEAL, TLS_LOC_SEAL, TLS_FN_AWSLC_SEAL },
	{ TLS_LOC_OSSL_WRITE, TLS_LOC_OSSL_WRITE, TLS_FN_OSSL3_WRITE },
	{ TLS_LOC_READ, TLS_LOC_WRITE, TLS_FN_BORING_READ },
	{ TLS_LOC_OPEN, TLS_LOC_SEAL, TLS_FN_AWSLC_OPEN },
};

/*
 * a stripped binary with BoringSSL inside (Bun: Claude Code, opencode),
 * aws-lc (rustls on aws-lc-rs: Codex) or a static OpenSSL 3 (Copilot's
 * runtime.node): what the locator found in the file f (et->loc, scanned by
 * fd, bounded: tls_scan.c) is hooked like the OpenSSL functions; false when
 * the file holds none.  Not located: b->rc -ENOENT, the reason in b->msg (a
 * ClientHello of the binary then warns that its plaintext is not visible)
 */
static bool own_boring(struct loader *l, const char *path, const struct tls_file *f,
		       struct tls_scan *et, struct tls_bin *b)
{
	static const char *const libs[] = { "BoringSSL", "aws-lc", "OpenSSL 3" };
	const struct tls_locate *t = &et->loc;
	int rc = et->loc_rc;
	size_t n;

	if (rc == -ENOENT || rc == -ENOEXEC || rc == -ENOTSUP)
		return false;
	if (rc) {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: %s%s, %s; its TLS plaintext is not visible (SNI and DNS only)",
			 path, rc == -EIO || rc == -ETIME ? "TLS library unknown" : libs[t->lib],
			 rc == -EIO || rc == -ETIME ? "" : " linked in", t->why);
		return true;
	}
	for (size_t i = 0; i < sizeof(located_fns) / sizeof(located_fns[0]); i++)
		if (t->vaddr[located_fns[i].loc] && t->vaddr[located_fns[i].with])
			et->off[located_fns[i].fn] = (long)t->off[located_fns[i].loc];
	own_openssl(l, path, f, et, b);
	for (size_t i = 0; i < sizeof(located_fns) / sizeof(located_fns[0]); i++) {
		enum tls_loc_fn w = located_fns[i].loc;

		n = strlen(b->msg);
		if (et->off[located_fns[i].fn] >= 0)
			snprintf(b->msg + n, sizeof(b->msg) - n, " (located %s at 0x%llx, file offset 0x%llx)",
				 tls_locate_name(w), (unsigned long long)t->vaddr[w],
				 (unsigned long long)t->off[w]);
	}
	return true;
}

/* the cached verdict on the file f (as a binary or as an object), or NULL */
static struct tls_bin *cached_bin(struct loader *l, const struct tls_file *f, bool object)
{
	struct tls_bin id = bin_of(f, object);

	return load_tls_cached(l, &id, am_now_ns(CLOCK_MONOTONIC));
}

/* a verdict kept for the next calls, unless the file was changing: tried
 * again later (one too slow to read stays unread, its TLS unseen, for
 * TLS_RETRY_NS, rather than be read again at each exec: b->retry_ns) */
static void remember(struct loader *l, const struct tls_bin *b)
{
	if (b->rc == -ESTALE)
		l->scan_stale++;
	else
		load_tls_cache_bin(l, b);
}

/* whether the TLS uprobes can be loaded at all (else nothing is scanned) */
static bool tls_loadable(const struct loader *l)
{
	return bpf_program__autoload(l->skel->progs.tls_ret);
}

/* the verdict v on path, one without offsets (a scan's or the TLS
 * cache's), into b: rc and msg; returns v */
static int say(const struct loader *l, const char *path, enum tls_cache_verdict v,
	       struct tls_bin *b)
{
	if (v == TLS_CACHE_SHARED) {
		b->rc = 1;
		snprintf(b->msg, sizeof(b->msg), "%s: uses a shared TLS library (hooked: %s)", path,
			 l->tls_libs[0] ? l->tls_libs : "none");
	} else if (v == TLS_CACHE_NONE || v == TLS_CACHE_GO) {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: no TLS library recognised%s; unless it loads libssl or libgnutls later (python's _ssl does), its TLS plaintext is not visible (SNI and DNS only)",
			 path, v == TLS_CACHE_GO ? " (Go crypto/tls, not hooked)" : "");
	} else {
		b->rc = -ENODATA; /* OBJ_SHARED: libssl itself (hooked by name), or a user of it */
		snprintf(b->msg, sizeof(b->msg), "%s: no TLS library of its own%s", path,
			 v == TLS_CACHE_OBJ_SHARED ? " to locate" : "");
	}
	return (int)v;
}

/* judge the file f (opened from path) by its scan et into b; the verdict
 * to keep in the cache file when it has no offsets, else -1 */
static int judge_bin(struct loader *l, const char *path, const struct tls_file *f,
		     struct tls_scan *et, struct tls_bin *b)
{
	if (!tls_loadable(l)) {
		b->rc = -ENOTSUP;
		snprintf(b->msg, sizeof(b->msg), "%s: tls uprobes not loadable on this kernel", path);
	} else if (et->rc == -ENOEXEC) {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: not an ELF file, no TLS library recognised", path);
	} else if (et->rc) {
		b->rc = et->rc;
		snprintf(b->msg, sizeof(b->msg), "%s: cannot read: %s", path, strerror(-et->rc));
	} else if (et->off[0] >= 0) {
		own_openssl(l, path, f, et, b);
	} else if (et->imports) {
		return say(l, path, TLS_CACHE_SHARED, b);
	} else if (!own_boring(l, path, f, et, b)) { /* else located, or not: b says */
		return say(l, path, et->go_tls ? TLS_CACHE_GO : TLS_CACHE_NONE, b);
	}
	return -1;
}

/* a shared object: only its own BoringSSL or aws-lc is looked for (the
 * shared libssl and libgnutls are hooked for every process already); as
 * judge_bin */
static int judge_obj(struct loader *l, const char *path, const struct tls_file *f,
		     struct tls_scan *et, struct tls_bin *b)
{
	if (!tls_loadable(l)) {
		b->rc = -ENOTSUP;
		snprintf(b->msg, sizeof(b->msg), "%s: tls uprobes not loadable on this kernel", path);
	} else if (et->rc || et->off[0] >= 0 || et->imports) {
		say(l, path, TLS_CACHE_OBJ_SHARED, b);
		return et->rc ? -1 : TLS_CACHE_OBJ_SHARED; /* unread: asked again */
	} else if (!own_boring(l, path, f, et, b)) {
		return say(l, path, TLS_CACHE_OBJ_NONE, b);
	}
	return -1;
}

/*
 * the verdict b on the file f (shown as show) from its scan et, on the
 * loop: f, read by fd, must be unchanged (dev, ino, size, mtime) before
 * anything is attached through that fd, and again after (attach_tls_fns);
 * a verdict is cached unless the file was changing; the next runs keep its
 * offsets, or a verdict without (a file not read, or its TLS library not
 * located, is read again by the next run)
 */
static void judge(struct loader *l, const char *show, const struct tls_file *f, bool object,
		  struct tls_scan *et, struct tls_bin *b)
{
	int v = -1;

	*b = bin_of(f, object);
	if (!tls_file_same(f)) {
		b->rc = -ESTALE;
		snprintf(b->msg, sizeof(b->msg), "%s: changed while it was read; not hooked", show);
	} else {
		v = object ? judge_obj(l, show, f, et, b) : judge_bin(l, show, f, et, b);
	}
	if (tls_scan_timed_out(et) && b->rc) /* the host was slow, maybe not the file */
		b->retry_ns = am_now_ns(CLOCK_MONOTONIC) + TLS_RETRY_NS;
	remember(l, b);
	if (b->rc == 0 || b->rc == -EMFILE) /* its offsets found */
		load_scan_persist(l, b, TLS_CACHE_LOCATED);
	else if (v >= 0)
		load_scan_persist(l, b, (enum tls_cache_verdict)v);
}

/*
 * the verdict b on the file f from the offsets the cache file holds for its
 * identity (an earlier run scanned it), attached as a scan's: false when it
 * holds none
 */
static bool recalled(struct loader *l, const char *show, const struct tls_file *f, bool object,
		     struct tls_bin *b)
{
	struct tls_scan et = { .rc = 0, .loc_rc = -ENOENT };
	size_t n;
	int v;

	*b = bin_of(f, object);
	if (!tls_loadable(l) || (v = load_scan_recall(l, b)) < 0)
		return false;
	if (v == TLS_CACHE_LOCATED) {
		memcpy(et.off, b->off, sizeof(et.off));
		own_openssl(l, show, f, &et, b);
	} else {
		say(l, show, (enum tls_cache_verdict)v, b);
	}
	n = strlen(b->msg);
	snprintf(b->msg + n, sizeof(b->msg) - n, " (%s from the TLS cache, not scanned)",
		 v == TLS_CACHE_LOCATED ? "file offsets" : "verdict");
	remember(l, b);
	return true;
}

/* hand the file f to the scanner thread (it owns f's fd once queued) */
static int queue_scan(struct loader *l, struct tls_file *f, const struct load_scan_req *q,
		      char *err, size_t errlen)
{
	struct scanq_job j = { .fd = f->fd, .st = f->st, .object = q->object, .pid = q->pid };
	int rc;

	snprintf(j.show, sizeof(j.show), "%s", q->show);
	snprintf(j.label, sizeof(j.label), "%s", q->label ? q->label : "");
	rc = scanq_push(l->scanq, &j);
	if (!rc)
		f->fd = -1;
	tls_file_close(f);
	if (!rc || rc == -EALREADY)
		return load_fail(err, errlen, -EINPROGRESS, "%s: being scanned (off the event loop)",
				 q->show);
	return load_fail(err, errlen, -EAGAIN, "%s: not scanned, the scan queue is full (status: "
			 "scans dropped); its TLS is judged unseen until it is", q->show);
}

/*
 * the binary an exec ran, when /proc/PID/exe no longer names it (the
 * process is over, or ran another file since), opened into f by the path
 * the exec named (into path), only when it is the file the kernel ran: a
 * file renamed over that path meanwhile is refused (-ESTALE).  Counted:
 * found, gone (-ENOENT and the like), or refused.
 */
static int open_by_exec(struct loader *l, const struct exe_id *id, struct tls_file *f,
			char *path, size_t len)
{
	int rc = exe_id_path(id, path, len);

	if (!rc && !(rc = tls_file_open_guarded(l, path, 0, f)) && (rc = exe_id_match(id, f->fd)))
		tls_file_close(f);
	if (!rc)
		l->exe_by_path++;
	else if (rc == -ESTALE)
		l->exe_mismatch++;
	else if (rc != -EREMOTE) /* on FUSE: counted by the guard */
		l->exe_gone++;
	return rc;
}

/*
 * the file of request q at path, into f; for a binary whose exec record is
 * known (q->exe), the file at the exec's path (into epath, f->by_exec)
 * when path cannot be opened (the process is over) or holds another inode
 * than the exec ran (the process ran another file since, or its pid is
 * reused).  Every path is walked by the guard (fsguard.h): nothing on a
 * FUSE mount is opened or stat'ed on the loop.
 * 0, -ESTALE (another file at the exec's path), -EREMOTE (on FUSE), or -errno
 */
static int open_req(struct loader *l, const char *path, const struct load_scan_req *q,
		    struct tls_file *f, char *epath, size_t len)
{
	int rc = tls_file_open_guarded(l, path, q->pid, f);

	f->by_exec = false;
	if (!q->exe || q->object || rc == -EREMOTE)
		return rc;
	/* by inode only: its device may be another mount namespace's (btrfs) */
	if (!rc && q->exe->ino && (uint64_t)f->st.st_ino != q->exe->ino) {
		tls_file_close(f);
		rc = -ESTALE;
	}
	if (!rc)
		return 0;
	rc = open_by_exec(l, q->exe, f, epath, len);
	f->by_exec = !rc;
	return rc;
}

/* path could not be opened (rc): the error told in err */
static int open_failed(const char *path, const struct load_scan_req *q, int rc, char *err,
		       size_t errlen)
{
	if (rc == -ESTALE)
		return load_fail(err, errlen, -ESTALE, "%s: another file than the one its exec ran "
				 "is at that path now; not scanned", path);
	if (rc == -EREMOTE) /* its server could block the loop: never asked */
		return load_fail(err, errlen, -EREMOTE, "%s: on a FUSE mount (or one the collector "
				 "cannot see), not scanned (status: tls scans, on fuse); its TLS is "
				 "judged unseen", q->show);
	return load_fail(err, errlen, q->object ? -ENODATA : -ENOENT, "%s: %s", q->show,
			 rc == -ENOEXEC ? "not a regular file" : strerror(-rc));
}

int load_tls_file(struct loader *l, const char *path, const struct load_scan_req *q, char *err,
		  size_t errlen)
{
	struct tls_scan et = { .rc = -ENOTSUP, .loc_rc = -ENOENT };
	struct load_scan_req byexec;
	struct tls_bin b, *c;
	struct tls_file f;
	char epath[AM_PATH_MAX];
	int rc = open_req(l, path, q, &f, epath, sizeof(epath));

	if (rc == -ESTALE)
		return open_failed(epath, q, rc, err, errlen);
	if (rc) /* an object unmapped meanwhile is no longer used */
		return open_failed(path, q, rc, err, errlen);
	if (f.by_exec) {
		byexec = *q;
		byexec.show = epath;
		q = &byexec;
	}
	if ((c = cached_bin(l, &f, q->object))) {
		load_fail(err, errlen, 0, "%s", c->msg);
		rc = reattach_bin(l, &f, c);
		tls_file_close(&f);
		return rc;
	}
	if (recalled(l, q->show, &f, q->object, &b)) {
		tls_file_close(&f);
		return load_fail(err, errlen, b.rc, "%s", b.msg);
	}
	if (!q->now && l->scanq && tls_loadable(l))
		return queue_scan(l, &f, q, err, errlen);
	if (tls_loadable(l))
		tls_scan_fd(f.fd, &et);
	judge(l, q->show, &f, q->object, &et, &b);
	tls_file_close(&f);
	load_fail(err, errlen, 0, "%s", b.msg);
	return b.rc;
}

int load_tls_scanned(struct loader *l, loader_scanned_fn cb, void *arg)
{
	struct scanq_job j;
	int n = 0;

	while (l->scanq && scanq_pop(l->scanq, &j)) {
		struct tls_file f = { .fd = j.fd, .st = j.st };
		struct loader_scanned r = { .label = j.label, .pid = j.pid, .object = j.object,
					    .ns = j.scan.ns };
		struct tls_bin b;

		snprintf(f.fdpath, sizeof(f.fdpath), "/proc/self/fd/%d", f.fd);
		judge(l, j.show, &f, j.object, &j.scan, &b);
		tls_file_close(&f);
		r.rc = b.rc;
		r.msg = b.msg;
		for (uint32_t i = 0; cb && i <= j.n_joiners; i++) {
			if (i) { /* a process of another executable joined the scan */
				r.label = j.joiners[i - 1].label;
				r.pid = j.joiners[i - 1].pid;
			}
			cb(arg, &r);
		}
		n++;
	}
	return n;
}

/*
 * the verdict on the binary at path without a loader and without attaching
 * (agentmon doctor): read as loader_attach_tls_binary reads it
 */
int loader_tls_verdict(const char *path, char *why, size_t whylen)
{
	struct tls_scan et;
	struct tls_file f;
	int rc = tls_file_open(path, &f);

	if (rc)
		return load_fail(why, whylen, rc, "%s", rc == -ENOEXEC ? "not a regular file" : strerror(-rc));
	tls_scan_fd(f.fd, &et);
	tls_file_close(&f);
	if (et.rc == -ENOEXEC)
		return load_fail(why, whylen, -ENOENT, "not an ELF file, no TLS library recognised");
	if (tls_scan_timed_out(&et))
		return load_fail(why, whylen, -ETIME, "over the scan's time budget");
	if (tls_scan_failed(&et))
		return load_fail(why, whylen, -EIO, "cannot be read as it claims");
	if (et.off[TLS_SCAN_SSL_WRITE] >= 0)
		return load_fail(why, whylen, LOADER_TLS_SYMBOLS, "OpenSSL/BoringSSL linked in, with symbols");
	if (et.imports)
		return load_fail(why, whylen, LOADER_TLS_SHARED, "uses a shared TLS library (libssl, libgnutls)");
	if (et.loc_rc == 0)
		return load_fail(why, whylen, LOADER_TLS_LOCATED, "%s located", tls_locate_name(
				       et.loc.vaddr[TLS_LOC_WRITE] ? TLS_LOC_WRITE : et.loc.vaddr[TLS_LOC_SEAL] ?
				       TLS_LOC_SEAL : TLS_LOC_OSSL_WRITE));
	if (et.loc_rc == -ENOENT || et.loc_rc == -ENOTSUP || et.loc_rc == -ENOEXEC)
		return load_fail(why, whylen, -ENOENT, "no TLS library recognised%s",
				 et.go_tls ? " (Go crypto/tls, not hooked)" : "");
	return load_fail(why, whylen, -ENOENT, "TLS library not located: %s", et.loc.why);
}
