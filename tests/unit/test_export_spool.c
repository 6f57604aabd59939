// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_export_spool.c - the export's write-ahead spool: records appended
 * come back in order, byte for byte; what was acked is not handed out by a
 * later open (a SIGKILL's restart), what was not is; a damaged record in
 * the middle (bad CRC, bad length) and a torn tail are skipped and counted
 * while every whole record around them is sent; the byte bound refuses
 * appends (nothing is dropped silently); segments roll and go once acked;
 * a clean close with everything acked leaves an empty directory; a
 * directory another user owns or others may write in is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "export_spool.h"
#include "tmpdir.h"

static struct export_spool *open_spool(uint64_t max)
{
	struct export_spool *s = NULL;
	char err[256];

	assert_int_equal(export_spool_open(dir, max, &s, err, sizeof(err)), 0);
	return s;
}

/* the spool in path (1 MiB) */
static struct export_spool *open_spool_at(const char *path)
{
	struct export_spool *s = NULL;
	char err[256];

	assert_int_equal(export_spool_open(path, 1 << 20, &s, err, sizeof(err)), 0);
	return s;
}

/* n records "id<i>", subject "agentmon.h.open", body {"i":<i>} */
static void append_n(struct export_spool *s, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char id[32], body[64];
		struct xspool_rec r = { .id = id, .subject = "agentmon.h.open", .subject_len = 15,
					.body = body };

		r.id_len = (size_t)snprintf(id, sizeof(id), "id%d", i);
		r.body_len = (size_t)snprintf(body, sizeof(body), "{\"i\":%d}", i);
		assert_int_equal(export_spool_append(s, &r, 1), 1);
	}
}

/* the next record is number i; its end in *end */
static void next_is(struct export_spool *s, int i, struct xspool_pos *end)
{
	struct xspool_rec r;
	char want[32];
	struct xspool_pos e;

	assert_int_equal(export_spool_next(s, &r, end ? end : &e), 1);
	snprintf(want, sizeof(want), "id%d", i);
	assert_int_equal(r.id_len, strlen(want));
	assert_memory_equal(r.id, want, r.id_len);
	assert_int_equal(r.subject_len, 15);
	assert_memory_equal(r.subject, "agentmon.h.open", 15);
	snprintf(want, sizeof(want), "{\"i\":%d}", i);
	assert_int_equal(r.body_len, strlen(want));
	assert_memory_equal(r.body, want, r.body_len);
}

static void none_left(struct export_spool *s)
{
	struct xspool_rec r;
	struct xspool_pos e;

	assert_int_equal(export_spool_next(s, &r, &e), 0);
}

static void in_order(void **state)
{
	struct export_spool *s = open_spool(8 << 20);
	struct xspool_stats st;

	(void)state;
	append_n(s, 0, 100);
	for (int i = 0; i < 100; i++)
		next_is(s, i, NULL);
	none_left(s);
	append_n(s, 100, 1);     /* the writer's segment read as it grows */
	next_is(s, 100, NULL);
	{                         /* a record larger than the reader's first buffer */
		static char big[XSPOOL_BODY_MAX];
		struct xspool_rec r = { .id = "big", .id_len = 3, .subject = "s", .subject_len = 1,
					.body = big, .body_len = sizeof(big) }, got;
		struct xspool_pos end;

		memset(big, 'b', sizeof(big));
		assert_int_equal(export_spool_append(s, &r, 1), 1);
		append_n(s, 101, 1);
		assert_int_equal(export_spool_next(s, &got, &end), 1);
		assert_int_equal(got.body_len, sizeof(big));
		assert_memory_equal(got.body, big, sizeof(big));
		next_is(s, 101, NULL);
	}
	export_spool_stats(s, &st);
	assert_int_equal(st.pending, 103);
	assert_int_equal(st.damaged, 0);
	export_spool_free(s);
}

/* acked up to record 40: a crash and a new open hand out 40.. only */
static void restart_after_ack(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	struct xspool_pos end = { 0 };
	struct xspool_stats st;

	(void)state;
	append_n(s, 0, 60);
	for (int i = 0; i < 40; i++)
		next_is(s, i, &end);
	export_spool_acked(s, end, 40);
	assert_int_equal(export_spool_sync(s), 0);
	export_spool_free(s);     /* what SIGKILL leaves: the same files */
	s = open_spool(1 << 20);
	export_spool_stats(s, &st);
	assert_int_equal(st.pending, 20);
	for (int i = 40; i < 60; i++)
		next_is(s, i, NULL);
	none_left(s);
	/* rewind: what was handed out and not acked comes again */
	export_spool_rewind(s);
	next_is(s, 40, NULL);
	export_spool_free(s);
	/* an acked file past every segment (damaged) deletes nothing: all resent */
	{
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/acked", dir);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "%016x %016x\n", 0x7fffffff, 0);
		fclose(f);
	}
	s = open_spool(1 << 20);
	next_is(s, 0, NULL);    /* from the first record: the stream drops the copies */
	export_spool_free(s);
}

/* the only segment file of the directory */
static void seg_path(char *out, size_t len, int nth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char names[8][32];
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) && n < 8)
		if (!strncmp(e->d_name, "seg-", 4))
			snprintf(names[n++], sizeof(names[0]), "%.31s", e->d_name);
	closedir(d);
	assert_true(nth < n);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	snprintf(out, len, "%s/%s", dir, names[nth]);
}

static void poke(const char *path, off_t at, uint8_t v)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, 1, at), 1);
	close(fd);
}

/* a flipped byte in record 5, a bad length in record 9, a torn tail:
 * every other record is sent, three stretches counted */
static void damaged(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	char path[128];
	struct xspool_stats st;
	size_t rec = XSPOOL_HDR + 3 + 3 + 15 + 7;  /* id0..id9: same size */
	int fd;

	(void)state;
	append_n(s, 0, 10);
	append_n(s, 10, 5);
	export_spool_free(s);
	seg_path(path, sizeof(path), 0);
	poke(path, (off_t)(5 * rec + XSPOOL_HDR + 8), 'X');       /* body of id5: CRC fails */
	poke(path, (off_t)(9 * rec + 6), 0x7f);                    /* id9's length: huge */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(10 * rec + 5 * (rec + 2) - 4)), 0); /* id14 torn */
	close(fd);
	s = open_spool(1 << 20);
	export_spool_stats(s, &st);
	assert_int_equal(st.damaged, 3);
	assert_int_equal(st.pending, 12);
	for (int i = 0; i < 14; i++)
		if (i != 5 && i != 9)
			next_is(s, i, NULL);
	none_left(s);
	export_spool_stats(s, &st);
	assert_int_equal(st.damaged, 3);   /* counted once, at open */
	export_spool_free(s);
}

/* garbage between two records: resynchronised on the next magic */
static void garbage_between(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	char path[128];
	struct xspool_stats st;
	int fd;

	(void)state;
	append_n(s, 0, 1);
	export_spool_free(s);
	seg_path(path, sizeof(path), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "AMX1AMX1garbage\0\0\0", 18), 18);
	close(fd);
	s = open_spool(1 << 20);
	append_n(s, 1, 1);            /* a new segment: the old tail is not appended to */
	next_is(s, 0, NULL);
	next_is(s, 1, NULL);
	none_left(s);
	export_spool_stats(s, &st);
	assert_int_equal(st.damaged, 1);
	export_spool_free(s);
}

/* the bound refuses (the caller counts the loss); acked segments go */
static void bound_and_roll(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	char body[4096];
	struct xspool_rec r = { .id = "x", .id_len = 1, .subject = "s", .subject_len = 1,
				.body = body, .body_len = sizeof(body) };
	struct xspool_stats st;
	struct xspool_pos end = { 0 };
	struct xspool_rec got;
	int taken = 0, k;

	(void)state;
	memset(body, 'a', sizeof(body));
	while ((k = export_spool_append(s, &r, 1)) == 1)
		taken++;
	assert_int_equal(k, 0);
	assert_in_range(taken, 200, 256);
	export_spool_stats(s, &st);
	assert_true(st.bytes <= 1 << 20);
	while (export_spool_next(s, &got, &end) == 1)
		;
	export_spool_acked(s, end, (uint64_t)taken);
	assert_int_equal(export_spool_append(s, &r, 1), 1);  /* room again */
	export_spool_free(s);
}

/* everything acked: a clean close leaves no segment */
static void clean_close(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	struct xspool_pos end;
	DIR *d;
	struct dirent *e;
	int files = 0;

	(void)state;
	append_n(s, 0, 3);
	for (int i = 0; i < 3; i++)
		next_is(s, i, &end);
	export_spool_acked(s, end, 3);
	export_spool_free(s);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)))
		files += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 0);
}

/* the record codec: round trip, and refusals */
static void codec(void **state)
{
	uint8_t buf[256];
	struct xspool_rec r = { .id = "abc", .id_len = 3, .subject = "a.b", .subject_len = 3,
				.body = "{}", .body_len = 2 }, out;
	size_t n = xspool_encode(&r, buf, sizeof(buf)), used = 0;

	(void)state;
	assert_int_equal(n, XSPOOL_HDR + 3 + 3 + 3 + 2);
	assert_int_equal(xspool_parse(buf, n, &out, &used), 1);
	assert_int_equal(used, n);
	assert_memory_equal(out.body, "{}", 2);
	assert_int_equal(xspool_parse(buf, n - 1, &out, &used), 0);
	assert_int_equal(used, n);
	assert_int_equal(xspool_parse(buf, 2, &out, &used), 0);
	assert_int_equal(xspool_parse((const uint8_t *)"AMX2", 4, &out, &used), -EBADMSG);
	r.id_len = 0;
	assert_int_equal(xspool_encode(&r, buf, sizeof(buf)), 0);
	r.id_len = XSPOOL_ID_MAX + 1;
	assert_int_equal(xspool_encode(&r, buf, sizeof(buf)), 0);
	r.id_len = 3;
	r.subject = "a b";          /* a space would split the protocol line */
	assert_int_equal(xspool_encode(&r, buf, sizeof(buf)), 0);
	r.subject = "a\r\n";
	assert_int_equal(xspool_encode(&r, buf, sizeof(buf)), 0);
	r.subject = "a.b";
	r.id = "a\nc";
	assert_int_equal(xspool_encode(&r, buf, sizeof(buf)), 0);
	/* a record whose CRC is right but whose subject is not: damaged */
	r.id = "abc";
	n = xspool_encode(&r, buf, sizeof(buf));
	buf[XSPOOL_HDR + 3 + 3 + 1] = ' ';
	{
		uint32_t crc = (uint32_t)crc32(0, buf + XSPOOL_HDR, (uInt)(n - XSPOOL_HDR));

		for (int i = 0; i < 4; i++)
			buf[8 + i] = (uint8_t)(crc >> (8 * i));
	}
	assert_int_equal(xspool_parse(buf, n, &out, &used), -EBADMSG);
}

/* a write that fails (the file size limit, EFBIG): nothing of it counted,
 * the next append goes to a new segment (the old one's tail may be torn);
 * every record appended whole comes back, in order, now and after a restart */
static void write_fails(void **state)
{
	struct export_spool *s = open_spool(1 << 20);
	struct rlimit old, lim;
	struct xspool_rec r = { .id = "big", .id_len = 3, .subject = "agentmon.h.open",
				.subject_len = 15 };
	static char body[4096];
	struct xspool_stats st;

	(void)state;
	append_n(s, 0, 3);
	export_spool_stats(s, &st);
	assert_int_equal(st.segments, 1);
	memset(body, 'b', sizeof(body));
	r.body = body;
	r.body_len = sizeof(body);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.bytes + 100;   /* part of the record fits */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(export_spool_append(s, &r, 1), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	append_n(s, 3, 2);
	export_spool_stats(s, &st);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.pending, 5);
	for (int i = 0; i < 5; i++)
		next_is(s, i, NULL);
	export_spool_free(s);
	s = open_spool(1 << 20);   /* a restart finds the same five, nothing damaged */
	for (int i = 0; i < 5; i++)
		next_is(s, i, NULL);
	export_spool_stats(s, &st);
	assert_int_equal(st.damaged, 0);
	export_spool_free(s);
}

/* a spool dir another user owns, one others may write in, a symbolic link
 * to one: refused with a clear error, nothing written there */
static void foreign_dir(void **state)
{
	struct export_spool *s = (struct export_spool *)1;
	char sub[128], link[160], err[256];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/spool", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	if (geteuid() == 0) {   /* another user's (nobody's) */
		assert_int_equal(chown(sub, 65534, 65534), 0);
		assert_int_equal(export_spool_open(sub, 1 << 20, &s, err, sizeof(err)), -EPERM);
		assert_null(s);
		assert_non_null(strstr(err, "another user owns it"));
		assert_int_equal(chown(sub, 0, 0), 0);
	}
	assert_int_equal(chmod(sub, 0777), 0);   /* ours, but others may write in it */
	assert_int_equal(export_spool_open(sub, 1 << 20, &s, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "group or others may write in it"));
	assert_int_equal(chmod(sub, 0720), 0);
	assert_int_equal(export_spool_open(sub, 1 << 20, &s, err, sizeof(err)), -EPERM);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(export_spool_open(link, 1 << 20, &s, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, link));
	{       /* nothing was written in it */
		DIR *d = opendir(sub);
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(n, 0);
	}
	/* ours, private: opened (0750 made 0700) */
	assert_int_equal(chmod(sub, 0750), 0);
	s = open_spool_at(sub);
	export_spool_free(s);
	{
		struct stat st;

		assert_int_equal(stat(sub, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(restart_after_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_between, setup, teardown),
		cmocka_unit_test_setup_teardown(bound_and_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(clean_close, setup, teardown),
		cmocka_unit_test(codec),
		cmocka_unit_test_setup_teardown(foreign_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(write_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
