// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_fsguard.c - files an agent names, opened without asking a FUSE
 * server: the mount table's types, the walk (symbolic links relative and
 * absolute, procfs magic links, loops), and a file refused on a mount the
 * table calls FUSE (a copy of the real table with one type rewritten). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsguard.h"
#include "tmpdir.h"

static void test_types(void **state)
{
	const char *t = "garbage line\n"
			"5 no separator\n"
			"21 1 0:20 / /proc rw - proc proc rw\n"
			"30 21 0:30 / /proc/fs/fuse/connections rw - fusectl fusectl rw\n"
			"40 1 0:40 / /mnt/a rw,nosuid shared:9 - fuse /dev/fuse rw,user_id=0\n"
			"41 1 8:17 / /mnt/b rw - fuseblk /dev/sdb1 rw\n"
			"42 1 0:42 / /mnt/c rw master:3 - fuse.sshfs host: rw\n"
			"43 1 0:43 / /mnt/d rw - fuse. x rw\n"
			"44 1 0:44 / /mnt/fuse rw - ext4 /dev/fuse rw";

	(void)state;
	assert_int_equal(fsguard_mnt_type(t, 21), 0);
	assert_int_equal(fsguard_mnt_type(t, 30), 0); /* the control fs is the kernel's */
	assert_int_equal(fsguard_mnt_type(t, 40), 1);
	assert_int_equal(fsguard_mnt_type(t, 41), 1);
	assert_int_equal(fsguard_mnt_type(t, 42), 1);
	assert_int_equal(fsguard_mnt_type(t, 43), 0);
	assert_int_equal(fsguard_mnt_type(t, 44), 0); /* named fuse, not of its type */
	assert_int_equal(fsguard_mnt_type(t, 4), -ENOENT);
	assert_int_equal(fsguard_mnt_type(t, 5), -ENOENT); /* not the next line's type */
	assert_int_equal(fsguard_mnt_type("", 4), -ENOENT);
}

/* fd names the file at path (as stat follows it) */
static void same(int fd, const char *path)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(fd);
}

static void test_walk(void **state)
{
	struct fsguard g;
	char p[256], q[256];
	int fd;

	(void)state;
	fsguard_init(&g, NULL);
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/rel", dir);
	assert_int_equal(symlink("sub/../sub//file", p), 0);
	snprintf(q, sizeof(q), "%s/sub", dir);
	snprintf(p, sizeof(p), "%s/abs", dir);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/loop", dir);
	assert_int_equal(symlink("loop", p), 0);

	snprintf(p, sizeof(p), "%s/sub/file", dir);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), 0);
	same(fd, p);
	snprintf(p, sizeof(p), "%s/rel", dir);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), 0);
	same(fd, p);
	snprintf(p, sizeof(p), "%s/abs/./file", dir);
	assert_int_equal(fsguard_open(&g, p, getpid(), &fd), 0);
	same(fd, p);
	assert_int_equal(fsguard_open(&g, "/proc/self/exe", 0, &fd), 0); /* a magic link */
	same(fd, "/proc/self/exe");
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)getpid()); /* opened at once */
	assert_int_equal(fsguard_open(&g, p, 0, &fd), 0);
	same(fd, "/proc/self/exe");
	snprintf(p, sizeof(p), "/proc/%d/exe/x", (int)getpid()); /* not at once: walked */
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/loop", dir);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -ELOOP);
	snprintf(p, sizeof(p), "%s/none/file", dir);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -ENOENT);
	assert_int_equal(fsguard_open(&g, "sub/file", 0, &fd), -EINVAL);
	assert_int_equal(fd, -1);
	assert_int_equal(g.refused, 0);
	fsguard_close(&g);
}

/* a copy of the real mount table at path, the mount of mount id id made
 * of type fuse.test (drop: left out) */
static void fake_table(const char *path, uint64_t id, bool drop)
{
	FILE *in = fopen("/proc/self/mountinfo", "r"), *out = fopen(path, "w");
	char line[8192];

	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		unsigned long long m;
		char *sep = strstr(line, " - ");

		if (sep && sscanf(line, "%llu", &m) == 1 && m == id && drop) {
			continue;
		} else if (sep && sscanf(line, "%llu", &m) == 1 && m == id) {
			char *rest = strchr(sep + 3, ' ');

			*sep = '\0';
			fprintf(out, "%s - fuse.test%s", line, rest ? rest : "\n");
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
}

static void test_fuse_refused(void **state)
{
	struct fsguard g;
	struct statx sx;
	char mi[256], p[256];
	int fd = 0;

	(void)state;
	assert_int_equal(statx(AT_FDCWD, dir, 0, STATX_MNT_ID, &sx), 0);
	assert_true(sx.stx_mask & STATX_MNT_ID);
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	fake_table(mi, sx.stx_mnt_id, false);
	snprintf(p, sizeof(p), "%s/file", dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	fsguard_init(&g, mi);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -EREMOTE);
	assert_int_equal(fd, -1);
	assert_int_equal(g.refused, 1);
	/* a magic link into it: refused once the walk reaches it */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(fsguard_open(&g, "/proc/self/cwd/file", 0, &fd), -EREMOTE);
	assert_int_equal(g.refused, 2);
	assert_int_equal(chdir("/"), 0);
	fsguard_close(&g);
	/* the mount left out of the table: found in the asking process's (its
	 * mount namespace's), else refused */
	snprintf(mi, sizeof(mi), "%s/mountinfo.less", dir);
	fake_table(mi, sx.stx_mnt_id, true);
	fsguard_init(&g, mi);
	snprintf(p, sizeof(p), "%s/file", dir);
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -EREMOTE);
	assert_int_equal(fsguard_open(&g, p, (uint32_t)getpid(), &fd), 0);
	close(fd);
	assert_int_equal(g.refused, 1);
	fsguard_close(&g);
	/* a table that lists nothing: every mount unknown, refused */
	snprintf(mi, sizeof(mi), "%s/empty", dir);
	close(open(mi, O_CREAT | O_WRONLY, 0600));
	fsguard_init(&g, mi);
	assert_int_equal(fsguard_open(&g, "/proc/self/exe", 0, &fd), -EREMOTE);
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)getpid());
	assert_int_equal(fsguard_open(&g, p, 0, &fd), -EREMOTE);
	assert_int_equal(g.refused, 2);
	fsguard_close(&g);
}

static void test_stat(void **state)
{
	struct stat st;
	dev_t dev;
	ino_t ino;

	(void)state;
	assert_int_equal(fsguard_stat("/proc/self/exe", &dev, &ino), 0);
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	assert_true(dev == st.st_dev && ino == st.st_ino);
	assert_int_equal(fsguard_stat("/nonexistent/x", &dev, &ino), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuse_refused, setup, teardown),
		cmocka_unit_test(test_stat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
