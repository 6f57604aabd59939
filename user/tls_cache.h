/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_cache.h - the TLS verdicts that outlive the collector: for every file
 * whose TLS functions were found (a scan, a locate), its identity (device,
 * inode, size, mtime, ctime: ctime no user can set back) and the file
 * offsets of those functions, kept in a small file (run --tls-cache), so
 * that a later collector attaches a binary it has seen at its first exec,
 * without reading it again.  The file is written whole, atomically (a
 * temporary file renamed), mode 0600; it is read only when root's and
 * nobody else can write it or its directory, and trusted in nothing: every
 * field is checked (an offset lies inside its file's size), a damaged or
 * foreign file is ignored whole.  TLS_CACHE_MAX entries, the least recently
 * used one evicted.  Verdicts without offsets (the file uses a shared TLS
 * library, has none of its own, Go's crypto/tls) are kept too, so that a
 * later collector does not read such files again either: at most
 * TLS_CACHE_NEG_MAX of them, and one never evicts an entry with offsets.
 */
#ifndef AGENTMON_TLS_CACHE_H
#define AGENTMON_TLS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_CACHE_FNS 11   /* offsets of an entry (load_int.h N_TLS_FNS) */
#define TLS_CACHE_MAX 1024     /* entries kept */
#define TLS_CACHE_NEG_MAX 768  /* of them, verdicts without offsets */

/* what a scan of the file said */
enum tls_cache_verdict {
	TLS_CACHE_LOCATED,    /* its TLS functions, at off */
	TLS_CACHE_SHARED,     /* a binary that uses a shared TLS library */
	TLS_CACHE_NONE,       /* a binary: no TLS library recognised */
	TLS_CACHE_GO,         /* a binary: Go's crypto/tls (not hooked) */
	TLS_CACHE_OBJ_SHARED, /* an object: libssl itself, or a user of it */
	TLS_CACHE_OBJ_NONE,   /* an object: no TLS library of its own */
	TLS_CACHE_VERDICTS
};

/* what a file is: an entry matches only this exact identity */
struct tls_cache_id {
	uint64_t dev, ino, size;
	int64_t mtime, mtime_ns, ctime, ctime_ns;
	bool object;                  /* judged as a shared object */
};

struct tls_cache_ent {
	struct tls_cache_id id;
	int64_t used;                 /* wall clock seconds: last put or hit (LRU) */
	enum tls_cache_verdict verdict;
	long off[TLS_CACHE_FNS];      /* LOCATED: file offsets; -1: not there */
};

struct tls_cache {
	char path[512];               /* "": no cache */
	struct tls_cache_ent ent[TLS_CACHE_MAX];
	size_t n, n_neg;              /* entries; of them, not LOCATED */
	uint64_t hits;                /* finds that matched */
	uint64_t saved, save_failed;  /* writes of the file */
};

/* path "" or NULL: a cache that holds nothing and writes nothing */
void tls_cache_init(struct tls_cache *c, const char *path);
/*
 * read c->path into c (replacing what it held).  0; -ENOENT when there is no
 * file yet; -EPERM when it or its directory is not root's alone (ignored);
 * -EBADMSG when it is damaged or foreign (ignored whole); other -errno.
 * On an error c holds nothing.
 */
int tls_cache_load(struct tls_cache *c);
/* the entry for id (its use noted now), or NULL */
const struct tls_cache_ent *tls_cache_find(struct tls_cache *c, const struct tls_cache_id *id,
					   int64_t now);
/* remember off for id (replacing id's entry, else the least recently used
 * one without offsets, else the least recently used one, when full); false
 * when no offset is valid (off < 0 or >= size) */
bool tls_cache_put(struct tls_cache *c, const struct tls_cache_id *id, const long *off,
		   int64_t now);
/* remember verdict v (not LOCATED) for id (replacing id's entry, else the
 * least recently used one without offsets when full or TLS_CACHE_NEG_MAX
 * are kept); false when v is LOCATED or out of range, or when only entries
 * with offsets could give way */
bool tls_cache_put_verdict(struct tls_cache *c, const struct tls_cache_id *id,
			   enum tls_cache_verdict v, int64_t now);
/* write c to c->path atomically (its directory made 0700 when missing);
 * 0 or -errno (counted in save_failed) */
int tls_cache_save(struct tls_cache *c);

#endif
