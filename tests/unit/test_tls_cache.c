// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_tls_cache.c - the TLS verdicts that outlive the collector: a cache
 * written and read back holds the same entries (mode 0600, no temporary
 * left); an identity that differs in any field (ctime too) finds nothing; a
 * damaged or foreign file (magic, field count, numbers, offsets outside the
 * file, duplicates, too many entries, a NUL) is ignored whole; a file or
 * directory others can write is refused; offsets are bounded by the size;
 * the least recently used entry goes when the cache is full.
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
	refused("agentmon-tls-cache 2 11\n" GOOD, -EBADMSG);           /* another version */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(not_roots_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(bounds_and_lru, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
