// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * exe_id.c - the file an exec ran, found again by its path (see exe_id.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "agentmon.h"
#include "common.h"
#include "exe_id.h"
#include "fsguard.h"

struct exe_id exe_id_of(const struct event *ev)
{
	return (struct exe_id){ .path = ev->exec.filename, .cwd = ev->exec.cwd,
		.ino = ev->exec.exe_ino, .dev = ev->exec.exe_dev, .interp = ev->exec.interp };
}

dev_t exe_id_dev(uint32_t kdev)
{
	return makedev(kdev >> 20, kdev & 0xfffff);
}

int exe_id_path(const struct exe_id *id, char *buf, size_t len)
{
	const char *p = id->path;
	int n;

	if (!id->ino || id->interp || !p || !p[0])
		return -ENOENT;
	if (p[0] == '/')
		return snprintf(buf, len, "%s", p) >= (int)len ? -ENAMETOOLONG : 0;
	while (p[0] == '.' && p[1] == '/') /* "./bin/x": the cwd's bin/x */
		for (p += 2; *p == '/'; p++)
			;
	if (id->cwd && id->cwd[0] == '/' && *p)
		n = snprintf(buf, len, "%s%s%s", id->cwd,
			     id->cwd[strlen(id->cwd) - 1] == '/' ? "" : "/", p);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int exe_id_match_in(const struct exe_id *id, int fd, const char *mountinfo)
{
	struct stat st;
	struct fsguard_mnt m;
	dev_t want = exe_id_dev(id->dev);
	uint64_t mnt;

	if (!id->ino)
		return -ENOENT;
	if (fstat(fd, &st))
		return -errno;
	if (st.st_ino != id->ino)
		return -ESTALE;
	if (st.st_dev == want)
		return 0;
	/* st_dev is not s_dev here (a btrfs subvolume): the mount's is */
	if (am_fd_mnt_id(fd, &mnt) || fsguard_mnt_find(mountinfo, mnt, &m))
		return -ESTALE;
	return m.dev == want ? 0 : -ESTALE;
}

int exe_id_match(const struct exe_id *id, int fd)
{
	return exe_id_match_in(id, fd, "/proc/self/mountinfo");
}
