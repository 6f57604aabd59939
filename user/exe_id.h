/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * exe_id.h - the file an exec ran, found again by its path once its
 * process is gone.  The exec record carries the path the process named,
 * its cwd, and the identity of the file the kernel ran (inode, s_dev:
 * struct am_exec).  A process over before the collector opens
 * /proc/PID/exe leaves only that path: the file found there is used only
 * when it is the file the kernel ran (a file renamed over the path
 * meanwhile is refused).  Library code: no output, errors returned.
 */
#ifndef AGENTMON_EXE_ID_H
#define AGENTMON_EXE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

/* what an exec record says of the file it ran */
struct exe_id {
	const char *path;      /* as the process named it */
	const char *cwd;       /* the process's cwd at the exec; NULL: unknown */
	uint64_t ino;          /* inode the kernel ran; 0: unknown (ABI 1 trace) */
	uint32_t dev;          /* its s_dev, kernel encoding (MAJOR << 20 | MINOR) */
	bool interp;           /* ino/dev are a #! or binfmt_misc interpreter's */
};

/* the identity of exec event ev (its strings stay ev's) */
struct exe_id exe_id_of(const struct event *ev);

/* the kernel's dev_t encoding as userspace's (st_dev) */
dev_t exe_id_dev(uint32_t kdev);

/*
 * exe_id_path - the absolute path of id's file into buf: its path, or cwd
 * joined with it when relative.  -ENOENT when the record cannot name it:
 * no identity (ino 0), an interpreter ran (the path names the script),
 * a relative path without a cwd, or an empty path; -ENAMETOOLONG.
 */
int exe_id_path(const struct exe_id *id, char *buf, size_t len);

/*
 * exe_id_match - whether the file open at fd is id's: 0 when its inode and
 * device are the kernel's; on a file system whose st_dev is not its super
 * block's s_dev (btrfs subvolumes, overlayfs), the device of fd's mount
 * (/proc/self/mountinfo) is compared instead.  -ESTALE when it is another
 * file, -ENOENT when id has no identity, -errno when fd cannot be read.
 */
int exe_id_match(const struct exe_id *id, int fd);

/* the same against a mountinfo file (tests): mountinfo's path */
int exe_id_match_in(const struct exe_id *id, int fd, const char *mountinfo);

#endif /* AGENTMON_EXE_ID_H */
