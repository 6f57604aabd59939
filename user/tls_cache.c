// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_cache.c - the TLS verdicts that outlive the collector (tls_cache.h).
 *
 * The file, text:
 *   agentmon-tls-cache 2 FNS
 *   E DEV INO SIZE MTIME MTIME_NS CTIME CTIME_NS OBJECT USED OFF*FNS
 *   N DEV INO SIZE MTIME MTIME_NS CTIME CTIME_NS OBJECT USED VERDICT
 * one line per entry: E for one with offsets (an offset -1 when absent),
 * N for a verdict without (enum tls_cache_verdict, 1 and up); every number
 * decimal.  Version 1 (E lines only) is read too; version 2 is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "tls_cache.h"

#define MAGIC "agentmon-tls-cache"
#define VERSION 2
#define LINE_MAX_LEN 512
#define FILE_MAX ((TLS_CACHE_MAX + 1) * LINE_MAX_LEN)
#define NS_PER_S 1000000000LL
#define ID_FIELDS 9                          /* identity and use */
#define FIELDS (ID_FIELDS + TLS_CACHE_FNS)   /* after "E" */

void tls_cache_init(struct tls_cache *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path ? path : "");
}

static bool id_eq(const struct tls_cache_id *a, const struct tls_cache_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime == b->mtime &&
	       a->mtime_ns == b->mtime_ns && a->ctime == b->ctime && a->ctime_ns == b->ctime_ns &&
	       a->object == b->object;
}

/* the offsets are valid for a file of size: each -1 or inside it, one at least */
static bool offs_ok(const long *off, uint64_t size)
{
	int n = 0;

	for (int i = 0; i < TLS_CACHE_FNS; i++) {
		if (off[i] < -1 || (off[i] >= 0 && (uint64_t)off[i] >= size))
			return false;
		n += off[i] >= 0;
	}
	return n > 0;
}

/* one decimal number, the whole token, within [min, max] */
static bool num(const char *tok, long long min, long long max, long long *out)
{
	char *end;

	if (!tok || !*tok || (*tok != '-' && (*tok < '0' || *tok > '9')))
		return false;
	errno = 0;
	*out = strtoll(tok, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

/* whether verdict v (not LOCATED) is one on a file judged as object */
static bool verdict_ok(long long v, bool object)
{
	if (v == TLS_CACHE_SHARED || v == TLS_CACHE_NONE || v == TLS_CACHE_GO)
		return !object;
	return (v == TLS_CACHE_OBJ_SHARED || v == TLS_CACHE_OBJ_NONE) && object;
}

/* one E line, or with neg an N line (its text, modified) into e; false
 * when anything is off */
static bool parse_ent(char *line, bool neg, struct tls_cache_ent *e)
{
	long long v[FIELDS];
	char *save = NULL, *tok = strtok_r(line, " ", &save);
	int nf = neg ? ID_FIELDS + 1 : FIELDS;
	static const long long lim[ID_FIELDS][2] = {
		{ 0, LLONG_MAX }, { 0, LLONG_MAX }, { 1, LLONG_MAX }, { LLONG_MIN, LLONG_MAX },
		{ 0, NS_PER_S - 1 }, { LLONG_MIN, LLONG_MAX }, { 0, NS_PER_S - 1 }, { 0, 1 },
		{ LLONG_MIN, LLONG_MAX },
	};

	if (!tok || strcmp(tok, neg ? "N" : "E"))
		return false;
	for (int i = 0; i < nf; i++) {
		tok = strtok_r(NULL, " ", &save);
		if (!num(tok, i < ID_FIELDS ? lim[i][0] : neg ? 1 : -1,
			 i < ID_FIELDS ? lim[i][1] : neg ? TLS_CACHE_VERDICTS - 1 : LONG_MAX, &v[i]))
			return false;
	}
	if (strtok_r(NULL, " ", &save))
		return false;
	e->id = (struct tls_cache_id){ .dev = (uint64_t)v[0], .ino = (uint64_t)v[1],
		.size = (uint64_t)v[2], .mtime = v[3], .mtime_ns = v[4], .ctime = v[5],
		.ctime_ns = v[6], .object = v[7] };
	e->used = v[8];
	e->verdict = neg ? (enum tls_cache_verdict)v[ID_FIELDS] : TLS_CACHE_LOCATED;
	for (int i = 0; i < TLS_CACHE_FNS; i++)
		e->off[i] = neg ? -1 : (long)v[ID_FIELDS + i];
	return neg ? verdict_ok(v[ID_FIELDS], e->id.object) : offs_ok(e->off, e->id.size);
}

/* the version of a head line (1 or 2), or 0 when it is none of ours */
static int version(const char *line)
{
	char head[64];

	for (int v = 1; line && v <= VERSION; v++) {
		snprintf(head, sizeof(head), "%s %d %d", MAGIC, v, TLS_CACHE_FNS);
		if (!strcmp(line, head))
			return v;
	}
	return 0;
}

/* the text of buf (NUL-terminated) into c: 0 or -EBADMSG */
static int parse(struct tls_cache *c, char *buf)
{
	char *save = NULL, *line = strtok_r(buf, "\n", &save);
	int ver = version(line);

	if (!ver)
		return -EBADMSG;
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct tls_cache_ent e;
		bool neg = ver > 1 && line[0] == 'N';

		if (c->n == TLS_CACHE_MAX || strlen(line) >= LINE_MAX_LEN ||
		    !parse_ent(line, neg, &e) || (neg && c->n_neg == TLS_CACHE_NEG_MAX))
			return -EBADMSG;
		for (size_t i = 0; i < c->n; i++)
			if (id_eq(&c->ent[i].id, &e.id))
				return -EBADMSG;
		c->ent[c->n++] = e;
		c->n_neg += neg;
	}
	return 0;
}

/* only root (the collector's user) can write st: a file or directory */
static bool own_only(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & 022);
}

/* the directory of c->path is root's alone */
static int dir_ok(const char *path)
{
	char dir[sizeof(((struct tls_cache *)0)->path)];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &st))
		return -errno;
	return S_ISDIR(st.st_mode) && own_only(&st) ? 0 : -EPERM;
}

/* the whole file fd (at most FILE_MAX bytes) into buf */
static int read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break;
		n += (size_t)r;
	}
	if (n == cap || memchr(buf, '\0', n))
		return -EBADMSG;
	buf[n] = '\0';
	return 0;
}

int tls_cache_load(struct tls_cache *c)
{
	struct stat st;
	char *buf;
	int fd, rc;

	c->n = c->n_neg = 0;
	if (!c->path[0])
		return -ENOENT;
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	rc = fstat(fd, &st) ? -errno : !S_ISREG(st.st_mode) || !own_only(&st) ? -EPERM :
	     dir_ok(c->path);
	buf = rc ? NULL : malloc(FILE_MAX + 1);
	if (!rc && !buf)
		rc = -ENOMEM;
	if (!rc)
		rc = read_all(fd, buf, FILE_MAX + 1);
	if (!rc)
		rc = parse(c, buf);
	free(buf);
	close(fd);
	if (rc)
		c->n = c->n_neg = 0;
	return rc;
}

const struct tls_cache_ent *tls_cache_find(struct tls_cache *c, const struct tls_cache_id *id,
					   int64_t now)
{
	for (size_t i = 0; i < c->n; i++) {
		if (id_eq(&c->ent[i].id, id)) {
			c->ent[i].used = now;
			c->hits++;
			return &c->ent[i];
		}
	}
	return NULL;
}

/* the least recently used entry (neg: of those without offsets), or -1 */
static long lru(const struct tls_cache *c, bool neg)
{
	long at = -1;

	for (size_t i = 0; i < c->n; i++)
		if ((!neg || c->ent[i].verdict != TLS_CACHE_LOCATED) &&
		    (at < 0 || c->ent[i].used < c->ent[at].used))
			at = (long)i;
	return at;
}

/* where id's entry goes: its own, a new one, or the one that gives way
 * (never one with offsets for one without); -1 when none can */
static long slot(const struct tls_cache *c, const struct tls_cache_id *id, bool neg)
{
	long at;

	for (size_t i = 0; i < c->n; i++)
		if (id_eq(&c->ent[i].id, id))
			return (long)i;
	if (neg && c->n_neg >= TLS_CACHE_NEG_MAX)
		return lru(c, true);
	if (c->n < TLS_CACHE_MAX)
		return (long)c->n;
	at = lru(c, true);
	return at >= 0 || neg ? at : lru(c, false);
}

/* the entry for id: verdict v, offsets off (all -1 unless LOCATED) */
static bool store(struct tls_cache *c, const struct tls_cache_id *id, enum tls_cache_verdict v,
		  const long *off, int64_t now)
{
	bool neg = v != TLS_CACHE_LOCATED;
	long at = slot(c, id, neg);

	if (at < 0)
		return false;
	if ((size_t)at == c->n)
		c->n++;
	else if (c->ent[at].verdict != TLS_CACHE_LOCATED)
		c->n_neg--;
	c->ent[at] = (struct tls_cache_ent){ .id = *id, .used = now, .verdict = v };
	memcpy(c->ent[at].off, off, sizeof(c->ent[at].off));
	c->n_neg += neg;
	return true;
}

bool tls_cache_put(struct tls_cache *c, const struct tls_cache_id *id, const long *off,
		   int64_t now)
{
	return offs_ok(off, id->size) && store(c, id, TLS_CACHE_LOCATED, off, now);
}

bool tls_cache_put_verdict(struct tls_cache *c, const struct tls_cache_id *id,
			   enum tls_cache_verdict v, int64_t now)
{
	long none[TLS_CACHE_FNS];

	if (!verdict_ok(v, id->object))
		return false;
	for (int i = 0; i < TLS_CACHE_FNS; i++)
		none[i] = -1;
	return store(c, id, v, none, now);
}

static int write_ents(FILE *f, const struct tls_cache *c)
{
	fprintf(f, "%s %d %d\n", MAGIC, VERSION, TLS_CACHE_FNS);
	for (size_t i = 0; i < c->n; i++) {
		const struct tls_cache_ent *e = &c->ent[i];
		bool neg = e->verdict != TLS_CACHE_LOCATED;

		fprintf(f, "%c %llu %llu %llu %lld %lld %lld %lld %d %lld", neg ? 'N' : 'E',
			(unsigned long long)e->id.dev, (unsigned long long)e->id.ino,
			(unsigned long long)e->id.size, (long long)e->id.mtime,
			(long long)e->id.mtime_ns, (long long)e->id.ctime, (long long)e->id.ctime_ns,
			e->id.object, (long long)e->used);
		if (neg)
			fprintf(f, " %d", (int)e->verdict);
		for (int k = 0; !neg && k < TLS_CACHE_FNS; k++)
			fprintf(f, " %ld", e->off[k]);
		fputc('\n', f);
	}
	return fflush(f) || ferror(f) || fsync(fileno(f)) ? -EIO : 0;
}

int tls_cache_save(struct tls_cache *c)
{
	char tmp[sizeof(c->path) + 32], dir[sizeof(c->path)];
	FILE *f;
	int fd, rc;

	if (!c->path[0])
		return 0;
	snprintf(dir, sizeof(dir), "%s", c->path);
	rc = am_mkdirs(dirname(dir), 0755, 0700);
	rc = rc ? rc : dir_ok(c->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", c->path, (int)getpid());
	unlink(tmp);
	fd = rc ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (!rc && fd < 0)
		rc = -errno;
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (fd >= 0 && !f) {
		rc = -errno;
		close(fd);
	}
	if (f) {
		rc = write_ents(f, c);
		if (fclose(f) && !rc)
			rc = -EIO;
		if (!rc && rename(tmp, c->path))
			rc = -errno;
		if (rc)
			unlink(tmp);
	}
	if (rc)
		c->save_failed++;
	else
		c->saved++;
	return rc;
}
