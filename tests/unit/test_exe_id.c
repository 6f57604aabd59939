// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_exe_id.c - the file an exec ran, found by its path: the path named
 * (relative ones against the exec's cwd), the identity check, the mount's
 * device where st_dev is not the super block's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agentmon.h"
#include "exe_id.h"
#include "tmpdir.h"

/* the kernel's encoding of userspace's dev_t */
static uint32_t kdev(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

static void test_dev_encoding(void **state)
{
	(void)state;
	assert_true(exe_id_dev(8u << 20 | 1) == makedev(8, 1));
	assert_true(exe_id_dev(259u << 20 | 0x12345) == makedev(259, 0x12345));
	assert_true(exe_id_dev(0) == makedev(0, 0));
}

static void test_path(void **state)
{
	struct exe_id id = { .path = "/usr/bin/codex", .cwd = "/home/dev", .ino = 12, .dev = 1 };
	char buf[64], small[8];

	(void)state;
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/usr/bin/codex");
	id.path = "bin/codex";
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/dev/bin/codex");
	id.path = "././/bin/codex";
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/dev/bin/codex");
	id.path = "./";
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
	id.path = "bin/codex";
	id.cwd = "/";
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/bin/codex");
	assert_int_equal(exe_id_path(&id, small, sizeof(small)), -ENAMETOOLONG);
	id.cwd = NULL; /* a relative path without a cwd names nothing */
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
	id.cwd = "relative";
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
	id = (struct exe_id){ .path = "/x", .ino = 0, .dev = 1 }; /* no identity (ABI 1) */
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
	id = (struct exe_id){ .path = "/s.sh", .ino = 5, .interp = true }; /* the script's */
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
	id = (struct exe_id){ .path = "", .ino = 5 };
	assert_int_equal(exe_id_path(&id, buf, sizeof(buf)), -ENOENT);
}

/* a file in dir, its identity as the kernel gives it; its fd */
static int file_id(const char *name, struct exe_id *id, char *path, size_t len)
{
	struct stat st;
	int fd;

	snprintf(path, len, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*id = (struct exe_id){ .path = path, .ino = st.st_ino, .dev = kdev(st.st_dev) };
	return fd;
}

static void test_match(void **state)
{
	char a[128], b[128];
	struct exe_id ia, ib;
	int fa = file_id("a", &ia, a, sizeof(a)), fb = file_id("b", &ib, b, sizeof(b)), fc;

	(void)state;
	assert_int_equal(exe_id_match(&ia, fa), 0);
	assert_int_equal(exe_id_match(&ib, fb), 0);
	assert_int_equal(exe_id_match(&ia, fb), -ESTALE); /* another file */
	/* b renamed over a: the path names another inode than the exec ran */
	assert_int_equal(rename(b, a), 0);
	fc = open(a, O_RDONLY);
	assert_int_equal(exe_id_match(&ia, fc), -ESTALE);
	assert_int_equal(exe_id_match(&ib, fc), 0);
	ia.dev ^= 1u << 20; /* the same inode number on another device */
	assert_int_equal(exe_id_match(&ib, fa), -ESTALE);
	assert_int_equal(exe_id_match(&ia, fa), -ESTALE);
	ia.ino = 0;
	assert_int_equal(exe_id_match(&ia, fa), -ENOENT);
	assert_int_equal(exe_id_match(&ib, -1), -EBADF);
	close(fa);
	close(fb);
	close(fc);
}

/* st_dev is not s_dev (a btrfs subvolume): the device of fd's mount, from
 * mountinfo, is compared; a mount listed with another device is refused */
static void test_mountinfo(void **state)
{
	struct exe_id id;
	struct statx sx;
	char a[128], mi[128];
	int fd = file_id("m", &id, a, sizeof(a));
	FILE *f;

	(void)state;
	assert_int_equal(statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx), 0);
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	f = fopen(mi, "w");
	fprintf(f, "1 0 0:1 / / rw - rootfs rootfs rw\n");
	fprintf(f, "%llu 1 0:77 / /data rw - btrfs /dev/vdb rw\n",
		(unsigned long long)sx.stx_mnt_id);
	fclose(f);
	id.dev = 77; /* s_dev 0:77, st_dev the subvolume's */
	assert_int_equal(exe_id_match_in(&id, fd, mi), 0);
	id.dev = 78;
	assert_int_equal(exe_id_match_in(&id, fd, mi), -ESTALE);
	f = fopen(mi, "w"); /* the mount not listed: refused */
	fprintf(f, "garbage\n\n1 0 0:77 / / rw - rootfs rootfs rw\n");
	fclose(f);
	id.dev = 77;
	assert_int_equal(exe_id_match_in(&id, fd, mi), -ESTALE);
	snprintf(mi, sizeof(mi), "%s/none", dir);
	assert_int_equal(exe_id_match_in(&id, fd, mi), -ESTALE);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_encoding),
		cmocka_unit_test(test_path),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mountinfo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
