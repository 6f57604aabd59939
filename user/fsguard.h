/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fsguard.h - a file an agent names, opened O_PATH by the collector without
 * a file system the agent serves itself (FUSE: fusermount3 is setuid on
 * many desktops) being asked anything: a FUSE server that never answers a
 * lookup, getattr or open would block the caller (the collector's event
 * loop) for as long as it likes.
 *
 * The path is walked one component at a time (openat O_PATH|O_NOFOLLOW,
 * which asks no file system but the one holding the directory); each
 * descriptor's mount (its mnt_id, from /proc/self/fdinfo: procfs only) is
 * looked up in the mount table before anything is asked of it, a lookup
 * in it included.  A file or directory on a mount of type fuse, fuseblk or
 * fuse.* is refused (-EREMOTE), and so is one on a mount found neither in
 * the collector's mount table nor in the asking process's (fail closed).
 * Symbolic links are read and followed by the walk, except in procfs,
 * whose magic links (/proc/PID/exe, fd/N, map_files, cwd, root) the kernel
 * follows: jumping to a dentry asks no file system anything.  The mount
 * table is read again when /proc/self/mountinfo polls changed.  Library
 * code: no output, errors returned.
 */
#ifndef AGENTMON_FSGUARD_H
#define AGENTMON_FSGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct fsguard_mnt {
	uint64_t id;                  /* mount id (mnt_id, unique on the host) */
	dev_t dev;                    /* its super block's device (MAJ:MIN) */
	bool fuse;                    /* fuse, fuseblk or fuse.* */
};

struct fsguard {
	int poll_fd;                  /* /proc/self/mountinfo, polled for changes; -1 */
	bool loaded;                  /* mnts holds the mount table read last */
	struct fsguard_mnt *mnts;     /* the collector's mounts */
	size_t n, cap;
	uint64_t refused;             /* files refused: on FUSE or an unknown mount */
	const char *mountinfo;        /* the table's path (tests: another file) */
};

/* an empty guard over mountinfo (NULL: /proc/self/mountinfo); the table is
 * read at first use */
void fsguard_init(struct fsguard *g, const char *mountinfo);
void fsguard_close(struct fsguard *g);

/*
 * fsguard_open - an O_PATH descriptor of absolute path's file into *fd
 * (symbolic links followed as open(2) does), no FUSE file system asked
 * anything: 0; -EREMOTE when the file or a directory on the way is on a
 * FUSE mount or on one not known (counted in g->refused); -EINVAL for a
 * relative path, -ELOOP, -ENAMETOOLONG, or -errno of the walk.  pid: the
 * process the path is the view of (its mount table is looked in for a
 * mount the collector does not see), 0: none.
 */
int fsguard_open(struct fsguard *g, const char *path, uint32_t pid, int *fd);

/* whether the mount of mount id id is FUSE in mountinfo's text: 1 FUSE,
 * 0 not, -ENOENT not listed (tests, and the table's parser) */
int fsguard_mnt_type(const char *text, uint64_t id);

/* the line of mount id in the mount table at path mountinfo (a
 * /proc/.../mountinfo) into *m: 0, -ENOENT not listed, -EIO unreadable;
 * the one parser of mount tables (exe_id.c's device fallback too) */
int fsguard_mnt_find(const char *mountinfo, uint64_t id, struct fsguard_mnt *m);

/*
 * fsguard_stat - dev and ino of the file at path (symbolic links
 * followed) from the inode the kernel holds, never asking its file system
 * (statx AT_STATX_DONT_SYNC: a FUSE inode's cached attributes); for
 * /proc/PID/exe of any process.  0 or -errno
 */
int fsguard_stat(const char *path, dev_t *dev, ino_t *ino);

#endif /* AGENTMON_FSGUARD_H */
