// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_tls_cache.c - the TLS verdicts that outlive the collector: a cache
 * written and read back holds the same entries (mode 0600, no temporary
 * left); an identity that differs in any field (ctime too) finds nothing; a
 * damaged or foreign file (magic, field count, numbers, offsets outside the
 * file, duplicates, too many entries, a NUL) is ignored whole; a file or
 * directory others can write is refused; offsets are bounded by the size;
 * the least recently used entry goes when the cache is full.  Verdicts
 * without offsets round-trip (version 2, N lines; version 1 still read), are
 * checked (verdict range, binary or object), bounded (TLS_CACHE_NEG_MAX),
 * and never evict an entry with offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls_cache.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_tls_cache.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/sub/cache", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static struct tls_cache_id id_n(uint64_t ino)
{
	return (struct tls_cache_id){ .dev = 2049, .ino = ino, .size = 300000000,
		.mtime = 1700000000, .mtime_ns = 5, .ctime = 1700000001, .ctime_ns = 7 };
}

/* id_n(ino) where a pointer is wanted (valid until the next call) */
static const struct tls_cache_id *idp(uint64_t ino)
{
	static struct tls_cache_id id;

	id = id_n(ino);
	return &id;
}

static void offs(long *off, long first)
{
	for (int i = 0; i < TLS_CACHE_FNS; i++)
		off[i] = -1;
	off[7] = first;
	off[10] = first + 0x100;
}

/* the file at path holds text (its directory made first) */
static void write_file(const char *text)
{
	char d[160];
	FILE *f;

	snprintf(d, sizeof(d), "%s/sub", dir);
	mkdir(d, 0700);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static void round_trip(void **state)
{
	struct tls_cache *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct tls_cache_id id1 = id_n(11), id2 = id_n(12), other;
	const struct tls_cache_ent *e;
	long off[TLS_CACHE_FNS];
	struct stat st;
	char tmp[160];

	(void)state;
	tls_cache_init(a, path);
	assert_int_equal(tls_cache_load(a), -ENOENT);
	offs(off, 0x1000);
	assert_true(tls_cache_put(a, &id1, off, 100));
	id2.object = true;
	offs(off, 0x2000);
	assert_true(tls_cache_put(a, &id2, off, 101));
	assert_int_equal(tls_cache_save(a), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	assert_int_not_equal(access(tmp, F_OK), 0);

	tls_cache_init(b, path);
	assert_int_equal(tls_cache_load(b), 0);
	assert_int_equal(b->n, 2);
	e = tls_cache_find(b, &id2, 200);
	assert_non_null(e);
	assert_int_equal(e->off[7], 0x2000);
	assert_int_equal(e->off[10], 0x2100);
	assert_int_equal(e->off[0], -1);
	assert_int_equal(e->used, 200);
	assert_non_null(tls_cache_find(b, &id1, 200));
	assert_int_equal(b->hits, 2);
	/* any field of the identity differs: another file */
	other = id1, other.ctime_ns++;
	assert_null(tls_cache_find(b, &other, 200));
	other = id1, other.size--;
	assert_null(tls_cache_find(b, &other, 200));
	other = id1, other.mtime++;
	assert_null(tls_cache_find(b, &other, 200));
	other = id1, other.object = true;
	assert_null(tls_cache_find(b, &other, 200));
	assert_int_equal(b->hits, 2);
	free(a);
	free(b);
}

/* text at path is refused whole with rc */
static void refused(const char *text, int rc)
{
	struct tls_cache *c = calloc(1, sizeof(*c));
	struct tls_cache_id id = id_n(1);

	write_file(text);
	tls_cache_init(c, path);
	assert_int_equal(tls_cache_load(c), rc);
	assert_int_equal(c->n, 0);
	assert_null(tls_cache_find(c, &id, 1));
	free(c);
}

#define HEAD "agentmon-tls-cache 1 11\n"
#define GOOD "E 2049 1 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 4096 -1 -1 4352\n"

static void damaged(void **state)
{
	struct tls_cache *c = calloc(1, sizeof(*c));

	(void)state;
	write_file(HEAD GOOD);
	tls_cache_init(c, path);
	assert_int_equal(tls_cache_load(c), 0);
	assert_int_equal(c->n, 1);
	free(c);
	refused("agentmon-tls-cache 3 11\n" GOOD, -EBADMSG);           /* another version */
	refused("agentmon-tls-cache 1 12\n" GOOD, -EBADMSG);           /* another function set */
	refused("", -EBADMSG);
	refused(HEAD "E 2049 1 300000000\n", -EBADMSG);                /* cut */
	refused(HEAD "E 2049 1 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 "
		"4096 -1 -1 4352 5\n", -EBADMSG);                       /* a field too many */
	refused(HEAD "E 2049 1 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 "
		"300000000 -1 -1 4352\n", -EBADMSG);                    /* an offset past the end */
	refused(HEAD "E 2049 1 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 "
		"-2 -1 -1 4352\n", -EBADMSG);
	refused(HEAD "E 2049 1 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 "
		"-1 -1 -1 -1\n", -EBADMSG);                             /* nothing located */
	refused(HEAD "E 2049 1 300000000 1700000000 1000000000 1700000001 7 0 9 -1 -1 -1 -1 -1 "
		"-1 -1 4096 -1 -1 4352\n", -EBADMSG);                   /* ns out of range */
	refused(HEAD "E 2049 1 300000000 1700000000 5 1700000001 7 2 9 -1 -1 -1 -1 -1 -1 -1 "
		"4096 -1 -1 4352\n", -EBADMSG);                         /* object not 0/1 */
	refused(HEAD "E 2049 1 3e8 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 -1 -1 "
		"4096 -1 -1 4352\n", -EBADMSG);                         /* not decimal */
	refused(HEAD "E 2049 1 99999999999999999999 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 "
		"-1 -1 -1 4096 -1 -1 4352\n", -EBADMSG);                /* overflows */
	refused(HEAD GOOD GOOD, -EBADMSG);                              /* one file twice */
	refused(HEAD "X" GOOD, -EBADMSG);
}

static void nul_byte(void **state)
{
	struct tls_cache *c = calloc(1, sizeof(*c));
	char text[] = HEAD GOOD;
	int fd;

	(void)state;
	write_file("");
	text[sizeof(HEAD) + 3] = '\0';
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	tls_cache_init(c, path);
	assert_int_equal(tls_cache_load(c), -EBADMSG);
	free(c);
}

static void too_many(void **state)
{
	size_t len = sizeof(HEAD) + (TLS_CACHE_MAX + 1) * 160;
	char *text = malloc(len), *p = text;

	(void)state;
	p += sprintf(p, HEAD);
	for (int i = 0; i <= TLS_CACHE_MAX; i++)
		p += sprintf(p, "E 2049 %d 300000000 1700000000 5 1700000001 7 0 9 -1 -1 -1 -1 -1 "
			     "-1 -1 4096 -1 -1 4352\n", i + 1);
	refused(text, -EBADMSG);
	free(text);
}

static void not_roots_alone(void **state)
{
	struct tls_cache *c = calloc(1, sizeof(*c));
	char d[160];

	(void)state;
	write_file(HEAD GOOD);
	tls_cache_init(c, path);
	chmod(path, 0620);                  /* its group can write it */
	assert_int_equal(tls_cache_load(c), -EPERM);
	chmod(path, 0600);
	snprintf(d, sizeof(d), "%s/sub", dir);
	chmod(d, 0777);                     /* anyone can replace it */
	assert_int_equal(tls_cache_load(c), -EPERM);
	assert_int_equal(c->n, 0);
	assert_int_equal(tls_cache_save(c), -EPERM);
	assert_int_equal(c->save_failed, 1);
	chmod(d, 0700);
	assert_int_equal(tls_cache_load(c), 0);
	assert_int_equal(c->n, 1);
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(tls_cache_load(c), -EPERM);
	assert_int_equal(c->n, 0);
	free(c);
}

static void bounds_and_lru(void **state)
{
	struct tls_cache *c = calloc(1, sizeof(*c));
	struct tls_cache_id id;
	long off[TLS_CACHE_FNS];

	(void)state;
	tls_cache_init(c, path);
	id = id_n(1);
	id.size = 0x1000;
	offs(off, 0x1000);  /* at the end: outside */
	assert_false(tls_cache_put(c, &id, off, 1));
	offs(off, 0);
	off[10] = 0xfff;
	assert_true(tls_cache_put(c, &id, off, 1));
	for (int i = 0; i < TLS_CACHE_FNS; i++)
		off[i] = -1;
	assert_false(tls_cache_put(c, &id, off, 1)); /* nothing located */
	assert_int_equal(c->n, 1);
	/* full: the least recently used goes (ino 1 was used last) */
	offs(off, 0x10);
	for (int i = 2; i <= TLS_CACHE_MAX; i++) {
		id = id_n((uint64_t)i);
		assert_true(tls_cache_put(c, &id, off, 10 + i));
	}
	assert_int_equal(c->n, TLS_CACHE_MAX);
	id = id_n(1);
	id.size = 0x1000;
	assert_non_null(tls_cache_find(c, &id, 5000));
	id = id_n(TLS_CACHE_MAX + 1);
	assert_true(tls_cache_put(c, &id, off, 5001));
	assert_int_equal(c->n, TLS_CACHE_MAX);
	assert_non_null(tls_cache_find(c, &id, 5002));
	id = id_n(2);
	assert_null(tls_cache_find(c, &id, 5003));   /* the oldest */
	id = id_n(1);
	id.size = 0x1000;
	assert_non_null(tls_cache_find(c, &id, 5004));
	/* the same file again replaces its entry */
	offs(off, 0x20);
	assert_true(tls_cache_put(c, &id, off, 5005));
	assert_int_equal(c->n, TLS_CACHE_MAX);
	assert_int_equal(tls_cache_find(c, &id, 5006)->off[7], 0x20);
	/* a cache without a file saves nothing and loads nothing */
	tls_cache_init(c, NULL);
	assert_int_equal(tls_cache_save(c), 0);
	assert_int_equal(tls_cache_load(c), -ENOENT);
	free(c);
}

#define HEAD2 "agentmon-tls-cache 2 11\n"
#define NEG(obj, v) "N 2049 77 300000000 1700000000 5 1700000001 7 " obj " 9 " v "\n"

/* verdicts without offsets: written as N lines of version 2, read back the
 * same; a version 1 file is read as before; a bad N line refuses the file */
static void verdicts(void **state)
{
	struct tls_cache *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct tls_cache_id bin = id_n(21), go = id_n(22), obj = id_n(23), lib = id_n(24);
	const struct tls_cache_ent *e;
	long off[TLS_CACHE_FNS];
	char line[128];
	FILE *f;

	(void)state;
	tls_cache_init(a, path);
	obj.object = lib.object = true;
	assert_true(tls_cache_put_verdict(a, &bin, TLS_CACHE_NONE, 100));
	assert_true(tls_cache_put_verdict(a, &go, TLS_CACHE_GO, 100));
	assert_true(tls_cache_put_verdict(a, &obj, TLS_CACHE_OBJ_NONE, 100));
	assert_true(tls_cache_put_verdict(a, &lib, TLS_CACHE_OBJ_SHARED, 100));
	assert_false(tls_cache_put_verdict(a, &bin, TLS_CACHE_LOCATED, 100)); /* offsets: put */
	assert_false(tls_cache_put_verdict(a, &bin, TLS_CACHE_OBJ_NONE, 100)); /* not an object */
	assert_false(tls_cache_put_verdict(a, &obj, TLS_CACHE_SHARED, 100));
	assert_false(tls_cache_put_verdict(a, &obj, TLS_CACHE_VERDICTS, 100));
	offs(off, 0x1000);
	assert_true(tls_cache_put(a, idp(25), off, 100));
	assert_int_equal(a->n, 5);
	assert_int_equal(a->n_neg, 4);
	/* a file scanned again with offsets now: its entry, with them */
	assert_true(tls_cache_put(a, &go, off, 101));
	assert_int_equal(a->n_neg, 3);
	assert_true(tls_cache_put_verdict(a, &go, TLS_CACHE_GO, 102));
	assert_int_equal(a->n_neg, 4);
	assert_int_equal(tls_cache_save(a), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, HEAD2);
	fclose(f);

	tls_cache_init(b, path);
	assert_int_equal(tls_cache_load(b), 0);
	assert_int_equal(b->n, 5);
	assert_int_equal(b->n_neg, 4);
	e = tls_cache_find(b, &bin, 200);
	assert_non_null(e);
	assert_int_equal(e->verdict, TLS_CACHE_NONE);
	assert_int_equal(e->off[7], -1);
	assert_int_equal(tls_cache_find(b, &go, 200)->verdict, TLS_CACHE_GO);
	assert_int_equal(tls_cache_find(b, &obj, 200)->verdict, TLS_CACHE_OBJ_NONE);
	assert_int_equal(tls_cache_find(b, &lib, 200)->verdict, TLS_CACHE_OBJ_SHARED);
	e = tls_cache_find(b, idp(25), 200);
	assert_int_equal(e->verdict, TLS_CACHE_LOCATED);
	assert_int_equal(e->off[7], 0x1000);
	free(a);
	free(b);

	write_file(HEAD2 GOOD NEG("0", "2") NEG("1", "5"));
	refused(HEAD2 GOOD NEG("0", "2") NEG("1", "5") NEG("1", "5"), -EBADMSG); /* twice */
	refused(HEAD GOOD NEG("0", "2"), -EBADMSG);        /* N lines are version 2's */
	refused(HEAD2 NEG("0", "0"), -EBADMSG);            /* LOCATED has offsets */
	refused(HEAD2 NEG("0", "6"), -EBADMSG);            /* out of range */
	refused(HEAD2 NEG("1", "1"), -EBADMSG);            /* a binary's verdict on an object */
	refused(HEAD2 NEG("0", "4"), -EBADMSG);            /* an object's on a binary */
	refused(HEAD2 NEG("0", "2 -1"), -EBADMSG);         /* a field too many */
	refused(HEAD2 "N 2049 77 300000000\n", -EBADMSG);  /* cut */
}

/* at most TLS_CACHE_NEG_MAX verdicts without offsets; one never takes the
 * place of an entry with offsets, and one with offsets takes the place of
 * the least recently used one without first */
static void verdict_bounds(void **state)
{
	struct tls_cache *c = calloc(1, sizeof(*c));
	struct tls_cache_id id;
	long off[TLS_CACHE_FNS];

	(void)state;
	tls_cache_init(c, path);
	for (int i = 1; i <= TLS_CACHE_NEG_MAX + 1; i++) {
		id = id_n((uint64_t)i);
		assert_true(tls_cache_put_verdict(c, &id, TLS_CACHE_NONE, 10 + i));
	}
	assert_int_equal(c->n_neg, TLS_CACHE_NEG_MAX);
	assert_null(tls_cache_find(c, idp(1), 5000));  /* the oldest went */
	assert_non_null(tls_cache_find(c, idp(2), 5000));
	/* the rest of the room goes to entries with offsets */
	offs(off, 0x10);
	for (int i = 0; c->n < TLS_CACHE_MAX; i++) {
		id = id_n(100000 + (uint64_t)i);
		assert_true(tls_cache_put(c, &id, off, 1)); /* older than every verdict */
	}
	/* full: one with offsets evicts the least recently used verdict (ino 3) */
	assert_true(tls_cache_put(c, idp(200000), off, 6000));
	assert_int_equal(c->n, TLS_CACHE_MAX);
	assert_int_equal(c->n_neg, TLS_CACHE_NEG_MAX - 1);
	assert_null(tls_cache_find(c, idp(3), 6001));
	assert_non_null(tls_cache_find(c, idp(100000), 6001));
	/* and a verdict takes a verdict's place, never one with offsets */
	assert_true(tls_cache_put_verdict(c, idp(300000), TLS_CACHE_NONE, 6002));
	assert_int_equal(c->n_neg, TLS_CACHE_NEG_MAX - 1);
	assert_null(tls_cache_find(c, idp(4), 6003));
	while (c->n_neg) /* every verdict replaced by offsets */
		assert_true(tls_cache_put(c, idp(400000 + c->n_neg), off, 7000));
	assert_false(tls_cache_put_verdict(c, idp(500000), TLS_CACHE_NONE, 7001));
	assert_int_equal(c->n, TLS_CACHE_MAX);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(not_roots_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(bounds_and_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(verdict_bounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
