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
#include "load_int.h"
#include "tls_locate.h"

void load_tls_fns(struct agentmon_bpf *s, struct tls_fn *f)
{
	f[0] = (struct tls_fn){ "SSL_write", s->progs.ossl_write, AM_TLS_OPENSSL, false };
	f[1] = (struct tls_fn){ "SSL_write_ex", s->progs.ossl_write_ex, AM_TLS_OPENSSL, false };
	f[2] = (struct tls_fn){ "SSL_read", s->progs.ossl_read, AM_TLS_OPENSSL, false };
	f[3] = (struct tls_fn){ "SSL_read_ex", s->progs.ossl_read_ex, AM_TLS_OPENSSL, false };
	f[4] = (struct tls_fn){ "gnutls_record_send", s->progs.gtls_send, AM_TLS_GNUTLS, false };
	f[5] = (struct tls_fn){ "gnutls_record_recv", s->progs.gtls_recv, AM_TLS_GNUTLS, false };
	/* no symbol: tls_locate finds it; the name is one no symbol table holds */
	f[TLS_FN_BORING_WRITE] = (struct tls_fn){ "\001tls_write_app_data", s->progs.bssl_write_app,
						  AM_TLS_OPENSSL, false };
	f[TLS_FN_AWSLC_SEAL] = (struct tls_fn){ "\001EVP_AEAD_CTX_seal", s->progs.awslc_seal,
						AM_TLS_OPENSSL, true };
	f[TLS_FN_OSSL3_WRITE] = (struct tls_fn){ "\001ssl_write_internal", s->progs.ossl_write_int,
						 AM_TLS_OPENSSL, false };
}

/* ---- TLS uprobes ---- */

/* what an ELF file says about the TLS functions */
struct elf_tls {
	long off[N_TLS_FNS];          /* file offset of a defined function, -1 */
	bool imports;                 /* it imports SSL_write or gnutls_record_send, or
					 links libssl, libgnutls or libcurl */
	bool go_tls;                  /* Go's crypto/tls (not hooked) */
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
};

#define SCAN_BUDGET_NS   (3ull * 1000000000ull) /* one binary's symbol scan, at most */
#define SCAN_SECTION_MAX (512ull << 20)          /* a symbol table larger is skipped */

/* open path read-only (following /proc/PID/exe to the inode it runs) and
 * check it is a regular file; 0 or -errno (-ENOEXEC: not a regular file) */
static int tls_file_open(const char *path, struct tls_file *f)
{
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &f->st) || !S_ISREG(f->st.st_mode)) {
		int rc = S_ISREG(f->st.st_mode) ? -errno : -ENOEXEC;

		close(f->fd);
		f->fd = -1;
		return rc;
	}
	snprintf(f->fdpath, sizeof(f->fdpath), "/proc/self/fd/%d", f->fd);
	return 0;
}

/* the file still has the size and mtime it had when opened (its content
 * was not rewritten while it was read and attached) */
static bool tls_file_same(const struct tls_file *f)
{
	struct stat now;

	return !fstat(f->fd, &now) && now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino &&
	       now.st_size == f->st.st_size && now.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec;
}

static void tls_file_close(struct tls_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* DT_NEEDED entries of a SHT_DYNAMIC section: a TLS library, or libcurl
 * (which uses one) */
static void scan_needed(Elf *e, const GElf_Shdr *sh, Elf_Data *data, struct elf_tls *out)
{
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		const char *lib;
		GElf_Dyn dyn;

		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag != DT_NEEDED ||
		    !(lib = elf_strptr(e, sh->sh_link, dyn.d_un.d_val)))
			continue;
		if (!strncmp(lib, "libssl.", 7) || !strncmp(lib, "libgnutls.", 10) ||
		    (!strncmp(lib, "libcurl", 7) && strncmp(lib, "libcurl-nss", 11)))
			out->imports = true;
	}
}

/* one symbol: a TLS function defined or imported, Go's crypto/tls */
static void scan_sym(Elf *e, const GElf_Shdr *sh, const GElf_Sym *sym, const struct tls_fn *fns,
		     struct elf_tls *out)
{
	const char *name = elf_strptr(e, sh->sh_link, sym->st_name);

	if (!name || (name[0] != 'S' && name[0] != 'g' && name[0] != 'c'))
		return;
	if (name[0] == 'c') {
		if (!strcmp(name, "crypto/tls.(*Conn).Write"))
			out->go_tls = true;
		return;
	}
	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC &&
	    !(sym->st_shndx == SHN_UNDEF && GELF_ST_TYPE(sym->st_info) == STT_NOTYPE))
		return;
	for (int j = 0; j < N_TLS_FNS; j++) {
		GElf_Shdr fs;

		if (strcmp(name, fns[j].sym))
			continue;
		if (sym->st_shndx == SHN_UNDEF) {
			out->imports |= j == 0 || j == 4;
		} else if (out->off[j] < 0 && sym->st_shndx < SHN_LORESERVE &&
			   gelf_getshdr(elf_getscn(e, sym->st_shndx), &fs) &&
			   sym->st_value >= fs.sh_addr && sym->st_value - fs.sh_addr < fs.sh_size) {
			out->off[j] = (long)(sym->st_value - fs.sh_addr + fs.sh_offset);
		}
		return;
	}
}

/*
 * scan .symtab and .dynsym of the file open at fd once, by pread, within
 * SCAN_BUDGET_NS; 0, -ENOEXEC (not ELF), -ETIME (over budget), -ENOTSUP
 */
static int elf_scan(int fd, const struct tls_fn *fns, struct elf_tls *out)
{
	uint64_t deadline = mono_ns() + SCAN_BUDGET_NS;
	Elf_Scn *scn = NULL;
	int rc = 0;
	Elf *e;

	for (int i = 0; i < N_TLS_FNS; i++)
		out->off[i] = -1;
	out->imports = out->go_tls = false;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return -ENOEXEC;
	}
	while (!rc && (scn = elf_nextscn(e, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || sh.sh_size > SCAN_SECTION_MAX ||
		    (sh.sh_type != SHT_DYNAMIC && sh.sh_type != SHT_SYMTAB &&
		     sh.sh_type != SHT_DYNSYM) || !(data = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_DYNAMIC) {
			scan_needed(e, &sh, data, out);
			continue;
		}
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			if (!(i & 0xffff) && mono_ns() > deadline) {
				rc = -ETIME;
				break;
			}
			if (gelf_getsym(data, (int)i, &sym) && sym.st_name)
				scan_sym(e, &sh, &sym, fns, out);
		}
	}
	elf_end(e);
	return rc;
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
			  const struct elf_tls *et, int lib, enum tls_on on)
{
	/* writes first: SSL_write(_ex), the located ones, gnutls send; then reads */
	static const int order[] = { 0, 1, TLS_FN_BORING_WRITE, TLS_FN_AWSLC_SEAL,
				     TLS_FN_OSSL3_WRITE, 4, 2, 3, 5 };
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
		struct elf_tls et;
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
			rc = elf_scan(f.fd, fns, &et);
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
	int rc;

	if (!bpf_program__autoload(l->skel->progs.tls_ret)) {
		load_status_add(l, "; tls uprobes: not loadable on this kernel");
		return;
	}
	load_tls_fns(l->skel, fns);
	rc = l->opts.tls_per_process ? load_scope_begin(l) : -ECANCELED;
	l->tls_scoped = !rc;
	if (rc == -ECANCELED)
		snprintf(l->tls_wide_why, sizeof(l->tls_wide_why), "the default (--tls-uprobes system)");
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
	struct elf_tls et = { .imports = false };
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
			const struct elf_tls *et, struct tls_bin *b)
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

/* the write-side functions tls_locate finds, and their uprobe slots */
static const struct {
	enum tls_loc_fn loc;
	int fn;
} located_fns[] = {
	{ TLS_LOC_WRITE, TLS_FN_BORING_WRITE },
	{ TLS_LOC_SEAL, TLS_FN_AWSLC_SEAL },
	{ TLS_LOC_OSSL_WRITE, TLS_FN_OSSL3_WRITE },
};

/*
 * a stripped binary with BoringSSL inside (Bun: Claude Code, opencode),
 * aws-lc (rustls on aws-lc-rs: Codex) or a static OpenSSL 3 (Copilot's
 * runtime.node): locate tls_write_app_data, EVP_AEAD_CTX_seal and
 * ssl_write_internal in the file f (read by fd, bounded) and hook those
 * found like the OpenSSL functions; false when the file holds none.  Not
 * located: b->rc -ENOENT, the reason in b->msg (a ClientHello of the binary
 * then warns that its plaintext is not visible)
 */
static bool own_boring(struct loader *l, const char *path, const struct tls_file *f,
		       struct elf_tls *et, struct tls_bin *b)
{
	static const char *const libs[] = { "BoringSSL", "aws-lc", "OpenSSL 3" };
	struct tls_locate t;
	int rc = tls_locate_fd(&t, f->fd);
	size_t n;

	if (rc == -ENOENT || rc == -ENOEXEC || rc == -ENOTSUP)
		return false;
	if (rc) {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: %s%s, %s; its TLS plaintext is not visible (SNI and DNS only)",
			 path, rc == -EIO || rc == -ETIME ? "TLS library unknown" : libs[t.lib],
			 rc == -EIO || rc == -ETIME ? "" : " linked in", t.why);
		return true;
	}
	for (size_t i = 0; i < sizeof(located_fns) / sizeof(located_fns[0]); i++)
		if (t.vaddr[located_fns[i].loc])
			et->off[located_fns[i].fn] = (long)t.off[located_fns[i].loc];
	own_openssl(l, path, f, et, b);
	for (size_t i = 0; i < sizeof(located_fns) / sizeof(located_fns[0]); i++) {
		enum tls_loc_fn w = located_fns[i].loc;

		n = strlen(b->msg);
		if (t.vaddr[w])
			snprintf(b->msg + n, sizeof(b->msg) - n, " (located %s at 0x%llx, file offset 0x%llx)",
				 tls_locate_name(w), (unsigned long long)t.vaddr[w],
				 (unsigned long long)t.off[w]);
	}
	return true;
}

/* the cached verdict on the file f (as a binary or as an object), or NULL */
static struct tls_bin *cached_bin(struct loader *l, const struct tls_file *f, bool object)
{
	for (size_t i = 0; i < l->n_bins; i++) {
		struct tls_bin *c = &l->bins[i];

		if (c->object == object && c->dev == f->st.st_dev && c->ino == f->st.st_ino && c->size == f->st.st_size &&
		    c->mtime == f->st.st_mtim.tv_sec && c->mtime_ns == f->st.st_mtim.tv_nsec)
			return c;
	}
	return NULL;
}

/* remember b (unless the table is full: later calls scan again) */
static void cache_bin(struct loader *l, const struct tls_bin *b)
{
	if (l->n_bins == l->cap_bins && l->cap_bins < TLS_BIN_MAX) {
		size_t cap = l->cap_bins ? 2 * l->cap_bins : 16;
		struct tls_bin *p = realloc(l->bins, cap * sizeof(*p));

		if (p) {
			l->bins = p;
			l->cap_bins = cap;
		}
	}
	if (l->n_bins < l->cap_bins)
		l->bins[l->n_bins++] = *b;
}

/* scan the file f (opened from path) and judge it into b */
static void judge_bin(struct loader *l, const char *path, const struct tls_file *f,
		      struct tls_bin *b)
{
	struct tls_fn fns[N_TLS_FNS];
	struct elf_tls et;
	int rc;

	if (!bpf_program__autoload(l->skel->progs.tls_ret)) {
		b->rc = -ENOTSUP;
		snprintf(b->msg, sizeof(b->msg), "%s: tls uprobes not loadable on this kernel", path);
		return;
	}
	load_tls_fns(l->skel, fns);
	rc = elf_scan(f->fd, fns, &et);
	if (rc == -ENOEXEC) {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: not an ELF file, no TLS library recognised", path);
	} else if (rc) {
		b->rc = rc;
		snprintf(b->msg, sizeof(b->msg), "%s: cannot read: %s", path, strerror(-rc));
	} else if (et.off[0] >= 0) {
		own_openssl(l, path, f, &et, b);
	} else if (et.imports) {
		b->rc = 1;
		snprintf(b->msg, sizeof(b->msg), "%s: uses a shared TLS library (hooked: %s)", path,
			 l->tls_libs[0] ? l->tls_libs : "none");
	} else if (own_boring(l, path, f, &et, b)) {
		/* located, or BoringSSL not located: b says which */
	} else {
		b->rc = -ENOENT;
		snprintf(b->msg, sizeof(b->msg), "%s: no TLS library recognised%s; unless it loads libssl or libgnutls later (python's _ssl does), its TLS plaintext is not visible (SNI and DNS only)",
			 path, et.go_tls ? " (Go crypto/tls, not hooked)" : "");
	}
}

/* a shared object: only its own BoringSSL or aws-lc is looked for (the
 * shared libssl and libgnutls are hooked for every process already) */
static void judge_obj(struct loader *l, const char *path, const struct tls_file *f,
		      struct tls_bin *b)
{
	struct tls_fn fns[N_TLS_FNS];
	struct elf_tls et;

	load_tls_fns(l->skel, fns);
	if (!bpf_program__autoload(l->skel->progs.tls_ret)) {
		b->rc = -ENOTSUP;
		snprintf(b->msg, sizeof(b->msg), "%s: tls uprobes not loadable on this kernel", path);
	} else if (elf_scan(f->fd, fns, &et) || et.off[0] >= 0 || et.imports) {
		b->rc = -ENODATA; /* libssl itself (hooked by name), or a user of it */
		snprintf(b->msg, sizeof(b->msg), "%s: no TLS library of its own to locate", path);
	} else if (!own_boring(l, path, f, &et, b)) {
		b->rc = -ENODATA;
		snprintf(b->msg, sizeof(b->msg), "%s: no TLS library of its own", path);
	}
}

/* the verdict on the file at path (opened there; show: its name in messages) */
static int attach_file(struct loader *l, const char *path, const char *show, bool object,
		       char *err, size_t errlen)
{
	struct tls_bin b = { .object = object }, *c;
	struct tls_file f;
	int rc = tls_file_open(path, &f);

	if (rc) /* an object unmapped meanwhile is no longer used */
		return load_fail(err, errlen, object ? -ENODATA : -ENOENT, "%s: %s", show,
				 rc == -ENOEXEC ? "not a regular file" : strerror(-rc));
	if ((c = cached_bin(l, &f, object))) {
		load_fail(err, errlen, 0, "%s", c->msg);
		rc = reattach_bin(l, &f, c);
		tls_file_close(&f);
		return rc;
	}
	b.dev = f.st.st_dev;
	b.ino = f.st.st_ino;
	b.size = f.st.st_size;
	b.mtime = f.st.st_mtim.tv_sec;
	b.mtime_ns = f.st.st_mtim.tv_nsec;
	if (object)
		judge_obj(l, show, &f, &b);
	else
		judge_bin(l, show, &f, &b);
	tls_file_close(&f);
	/* a file changing: try again later; one too slow to read stays unread
	 * (its TLS is unseen) rather than stall the loop at each exec */
	if (b.rc != -ESTALE)
		cache_bin(l, &b);
	load_fail(err, errlen, 0, "%s", b.msg);
	return b.rc;
}

int loader_attach_tls_binary(struct loader *l, const char *path, char *err, size_t errlen)
{
	return attach_file(l, path, path, false, err, errlen);
}

#define OBJS_MAX 128 /* mappings of one process looked at */

/* one line of /proc/PID/maps: an executable mapping of a file other than
 * the main binary (inode exe) not seen yet; its range and path */
static bool obj_line(const char *line, ino_t exe, unsigned long *seen, size_t *n,
		     unsigned long *lo, unsigned long *hi, const char **name)
{
	unsigned long ino;
	char perms[5];
	int at = 0;

	if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", lo, hi, perms, &ino, &at) != 4 ||
	    perms[2] != 'x' || !ino || ino == exe || *n >= OBJS_MAX || !at)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (seen[i] == ino)
			return false;
	seen[(*n)++] = ino;
	*name = line + at;
	return true;
}

int loader_attach_tls_objects(struct loader *l, uint32_t pid, char *err, size_t errlen)
{
	unsigned long seen[OBJS_MAX], lo, hi;
	char path[64], line[512];
	const char *name;
	struct stat exe;
	size_t n = 0;
	int out = 0;
	FILE *f;

	load_fail(err, errlen, 0, "no shared object with its own TLS library");
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (stat(path, &exe))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char obj[96], msg[512];
		int rc;

		line[strcspn(line, "\n")] = '\0';
		if (!obj_line(line, exe.st_ino, seen, &n, &lo, &hi, &name))
			continue;
		snprintf(obj, sizeof(obj), "/proc/%u/map_files/%lx-%lx", pid, lo, hi);
		rc = attach_file(l, obj, name, true, msg, sizeof(msg));
		if (rc == 0 && out == 0) {
			out = 1;
			load_fail(err, errlen, 0, "%s", msg);
		}
		if (rc == -ENOENT || (rc < 0 && rc != -ENODATA && rc != -ENOTSUP)) {
			out = -ENOENT;
			load_fail(err, errlen, 0, "%s", msg);
		}
	}
	fclose(f);
	return out;
}

/*
 * the verdict on the binary at path without a loader and without attaching
 * (agentmon doctor): read as loader_attach_tls_binary reads it
 */
int loader_tls_verdict(const char *path, char *why, size_t whylen)
{
	static struct agentmon_bpf none; /* load_tls_fns: only the symbols' names */
	struct tls_fn fns[N_TLS_FNS];
	struct tls_locate t;
	struct tls_file f;
	struct elf_tls et;
	int rc = tls_file_open(path, &f);

	if (rc)
		return load_fail(why, whylen, rc, "%s", rc == -ENOEXEC ? "not a regular file" : strerror(-rc));
	load_tls_fns(&none, fns);
	rc = elf_scan(f.fd, fns, &et);
	if (rc == -ENOEXEC)
		rc = load_fail(why, whylen, -ENOENT, "not an ELF file, no TLS library recognised");
	else if (rc)
		rc = load_fail(why, whylen, rc, "cannot read: %s", strerror(-rc));
	else if (et.off[0] >= 0)
		rc = load_fail(why, whylen, LOADER_TLS_SYMBOLS, "OpenSSL/BoringSSL linked in, with symbols");
	else if (et.imports)
		rc = load_fail(why, whylen, LOADER_TLS_SHARED, "uses a shared TLS library (libssl, libgnutls)");
	else if ((rc = tls_locate_fd(&t, f.fd)) == 0)
		rc = load_fail(why, whylen, LOADER_TLS_LOCATED, "%s located", tls_locate_name(
				       t.vaddr[TLS_LOC_WRITE] ? TLS_LOC_WRITE : t.vaddr[TLS_LOC_SEAL] ?
				       TLS_LOC_SEAL : TLS_LOC_OSSL_WRITE));
	else if (rc == -ENOENT || rc == -ENOEXEC || rc == -ENOTSUP)
		rc = load_fail(why, whylen, -ENOENT, "no TLS library recognised%s",
			       et.go_tls ? " (Go crypto/tls, not hooked)" : "");
	else
		rc = load_fail(why, whylen, rc == -ETIME ? -ETIME : -ENOENT, "TLS library not located: %s", t.why);
	tls_file_close(&f);
	return rc;
}
