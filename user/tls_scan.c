// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_scan.c - an ELF file's TLS functions, read by fd (see tls_scan.h):
 * the symbol scan that was load_tls.c's, and the locator after it.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "tls_scan.h"

#define SCAN_SECTION_MAX (512ull << 20)  /* a symbol table larger is skipped */
#define SCAN_READ_MAX (256ull << 20)     /* all the tables read of one file, at most
					  * (libelf keeps each until elf_end) */

const char *const tls_scan_syms[TLS_SCAN_FNS] = {
	"SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex",
	"gnutls_record_send", "gnutls_record_recv",
	"\001tls_write_app_data", "\001EVP_AEAD_CTX_seal", "\001ssl_write_internal",
	"\001tls_open_app_data", "\001EVP_AEAD_CTX_open",
};


/* DT_NEEDED entries of a SHT_DYNAMIC section: a TLS library, or libcurl
 * (which uses one) */
static void scan_needed(Elf *e, const GElf_Shdr *sh, Elf_Data *data, struct tls_scan *out)
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
static void scan_sym(Elf *e, const GElf_Shdr *sh, const GElf_Sym *sym, struct tls_scan *out)
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
	for (int j = 0; j < TLS_SCAN_FNS; j++) {
		GElf_Shdr fs;

		if (strcmp(name, tls_scan_syms[j]))
			continue;
		if (sym->st_shndx == SHN_UNDEF) {
			out->imports |= j == TLS_SCAN_SSL_WRITE || j == TLS_SCAN_GTLS_SEND;
		} else if (out->off[j] < 0 && sym->st_shndx < SHN_LORESERVE &&
			   gelf_getshdr(elf_getscn(e, sym->st_shndx), &fs) &&
			   sym->st_value >= fs.sh_addr && sym->st_value - fs.sh_addr < fs.sh_size) {
			out->off[j] = (long)(sym->st_value - fs.sh_addr + fs.sh_offset);
		}
		return;
	}
}

/* the symbols of one table, until the deadline or *cancel; 0 or -ETIME */
static int scan_table(Elf *e, const GElf_Shdr *sh, Elf_Data *data, const struct am_budget *budget,
		      const atomic_bool *cancel, struct tls_scan *out)
{
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Sym sym;

		if (!(i & 0xffff) && (am_budget_over(budget) || (cancel && atomic_load(cancel))))
			return -ETIME;
		if (gelf_getsym(data, (int)i, &sym) && sym.st_name)
			scan_sym(e, sh, &sym, out);
	}
	return 0;
}

/*
 * a section worth reading: a dynamic section or a symbol table whose entries
 * have their type's size (a crafted entsize of 1 would loop per byte), within
 * SCAN_SECTION_MAX and, with the ones read before (*read), SCAN_READ_MAX
 */
static bool table_ok(Elf *e, const GElf_Shdr *sh, uint64_t *read)
{
	Elf_Type t = sh->sh_type == SHT_DYNAMIC ? ELF_T_DYN : ELF_T_SYM;

	if (sh->sh_type != SHT_DYNAMIC && sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM)
		return false;
	if (!sh->sh_entsize || sh->sh_entsize != gelf_fsize(e, t, 1, EV_CURRENT) ||
	    sh->sh_size > SCAN_SECTION_MAX || *read + sh->sh_size > SCAN_READ_MAX)
		return false;
	*read += sh->sh_size;
	return true;
}

/* the symbol scan (tls_scan_syms_fd), cut short once *cancel is set */
static int syms_until(int fd, const atomic_bool *cancel, struct tls_scan *out)
{
	uint64_t read = 0;
	struct am_budget budget;
	Elf_Scn *scn = NULL;
	Elf *e;

	am_budget_start(&budget, TLS_SCAN_BUDGET_NS, TLS_SCAN_WALL_NS);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < TLS_SCAN_FNS; i++)
		out->off[i] = -1;
	out->loc_rc = -ENOENT;
	if (!tls_locate_elf_ready())
		return out->rc = -ENOTSUP;
	e = elf_begin(fd, ELF_C_READ, NULL); /* pread, never mmap */
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return out->rc = -ENOEXEC;
	}
	while (!out->rc && (scn = elf_nextscn(e, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		/* a crafted file's thousands of sections: the budget holds here too */
		if (am_budget_over(&budget) || (cancel && atomic_load(cancel))) {
			out->rc = -ETIME;
			break;
		}
		if (!gelf_getshdr(scn, &sh) || !table_ok(e, &sh, &read))
			continue;
		if (!(data = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			scan_needed(e, &sh, data, out);
		else
			out->rc = scan_table(e, &sh, data, &budget, cancel, out);
	}
	elf_end(e);
	return out->rc;
}

int tls_scan_syms_fd(int fd, struct tls_scan *out)
{
	return syms_until(fd, NULL, out);
}

void tls_scan_fd_until(int fd, const atomic_bool *cancel, struct tls_scan *out)
{
	uint64_t t0 = am_now_ns(CLOCK_MONOTONIC);

	if (!syms_until(fd, cancel, out) && out->off[TLS_SCAN_SSL_WRITE] < 0 && !out->imports)
		out->loc_rc = tls_locate_fd_until(&out->loc, fd, cancel);
	out->ns = am_now_ns(CLOCK_MONOTONIC) - t0;
}

void tls_scan_fd(int fd, struct tls_scan *out)
{
	tls_scan_fd_until(fd, NULL, out);
}

bool tls_scan_timed_out(const struct tls_scan *s)
{
	return s->rc == -ETIME || s->loc_rc == -ETIME;
}

bool tls_scan_failed(const struct tls_scan *s)
{
	return (s->rc && s->rc != -ENOEXEC && s->rc != -ETIME) || s->loc_rc == -EIO ||
	       s->loc_rc == -ENOMEM || s->loc_rc == -EINVAL || s->loc_rc == -E2BIG;
}
