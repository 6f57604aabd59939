// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* load_file.c - a binary or shared object opened once for the TLS scan and
 * attach (struct tls_file, load_int.h): checked, read and attached through
 * its descriptor only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_int.h"
#include "fsguard.h"
#include "scanq.h"

/*
 * the file O_PATH descriptor pfd names (closed here) opened read-only
 * into f when it is a regular file: checked, then reopened through that
 * descriptor, so the file read is the file checked.  0 or -errno
 * (-ENOEXEC: not a regular file)
 */
static int open_pathfd(int pfd, struct tls_file *f)
{
	struct stat st;
	int rc = 0;

	f->fd = -1;
	if (fstat(pfd, &st))
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -ENOEXEC;
	if (!rc) {
		snprintf(f->fdpath, sizeof(f->fdpath), "/proc/self/fd/%d", pfd);
		f->fd = open(f->fdpath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		rc = f->fd < 0 ? -errno : fstat(f->fd, &f->st) ? -errno :
		     f->st.st_dev != st.st_dev || f->st.st_ino != st.st_ino ? -ESTALE : 0;
	}
	close(pfd);
	if (rc && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	if (!rc)
		snprintf(f->fdpath, sizeof(f->fdpath), "/proc/self/fd/%d", f->fd);
	return rc;
}

/*
 * open path read-only (following /proc/PID/exe, /proc/PID/fd/N and
 * map_files to the inode they name) when it is a regular file: it is first
 * opened O_PATH (a FIFO or a device an agent named is never opened for
 * reading) and checked, then reopened through that descriptor
 */
int tls_file_open(const char *path, struct tls_file *f)
{
	int pfd = open(path, O_PATH | O_CLOEXEC);

	f->fd = -1;
	return pfd < 0 ? -errno : open_pathfd(pfd, f);
}

/* as tls_file_open, the path walked by the loader's guard (fsguard.h): a
 * file on a FUSE mount is never opened nor stat'ed (-EREMOTE) */
int tls_file_open_guarded(struct loader *l, const char *path, uint32_t pid, struct tls_file *f)
{
	int pfd, rc = fsguard_open(&l->guard, path, pid, &pfd);

	f->fd = -1;
	return rc ? rc : open_pathfd(pfd, f);
}

/* the file still has the size, mtime and ctime it had when opened (its
 * content was not rewritten while it was read and attached) */
bool tls_file_same(const struct tls_file *f)
{
	struct stat now;

	return !fstat(f->fd, &now) && scanq_same_file(&now, &f->st);
}

/* close f's descriptor (again: a no-op) */
void tls_file_close(struct tls_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
