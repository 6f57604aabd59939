// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_swap.c - an agent that swaps its executable while agentmon reads it:
 * it carries its own SSL_write (so the collector scans it and attaches a
 * uprobe there), waits until the collector (pid CPID) holds its file open
 * (the scan), then at once execs VICTIM ARGS..., so that a collector
 * attaching by "/proc/PID/exe" after the scan would place its int3 bytes
 * inside VICTIM at SSL_write's offset.  Built with a large symbol table
 * (tests/integration/test_tls_swap.sh) to make the scan slow.
 * usage: tls_swap CPID VICTIM [ARGS...]; exits 2 on a usage or exec error
 */
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* the TLS function the collector hooks, at a file offset the test checks */
__asm__(".text\n.p2align 12\ntls_swap_pad: .skip 0x1000, 0x90\n"
	".globl SSL_write\n.type SSL_write, @function\n"
	"SSL_write: mov %edx, %eax\n ret\n.size SSL_write, .-SSL_write\n");

/* cpid has an fd open on the file self */
static bool holds(const char *cpid, const char *self)
{
	char dir[64], path[PATH_MAX + 64], link[PATH_MAX];
	bool found = false;
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", cpid);
	if (!(dp = opendir(dir)))
		return false;
	while (!found && (d = readdir(dp))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, self);
		}
	}
	closedir(dp);
	return found;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: tls_swap CPID VICTIM [ARGS...]\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = '\0';
	/* the collector opens this file when it sees the exec; 10 s at most */
	for (int i = 0; i < 1000000; i++) {
		if (holds(argv[1], self)) {
			fprintf(stderr, "tls_swap: opened by the collector, exec'ing %s\n", argv[2]);
			break;
		}
		nanosleep(&(struct timespec){ 0, 10000 }, NULL);
	}
	execv(argv[2], argv + 2);
	perror("tls_swap: execv");
	return 2;
}
