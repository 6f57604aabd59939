// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tamper.c - an agent acting on other processes, and the 32-bit entry probe
 * (tests/evasion/test_syscall_paths.sh):
 *
 *   tamper probe32                  can this 64-bit process use int $0x80?
 *                                   a child makes getpid through it; exit 0
 *                                   when it works, 3 (reason on stdout) when
 *                                   the kernel refuses it (IA-32 emulation
 *                                   off: SIGSEGV; not built in: ENOSYS)
 *   tamper victim PIDFILE           an untagged target: writes "PID ADDR" (a
 *                                   writable buffer) to PIDFILE, then waits
 *                                   until killed
 *   tamper ptrace PID               PTRACE_ATTACH to PID, wait, PTRACE_DETACH
 *   tamper vmwrite PID ADDR         process_vm_writev 8 bytes to ADDR in PID
 *   tamper getfd PID FD             pidfd_open(PID) + pidfd_getfd(FD)
 *   tamper selfchild                ptrace-attach and process_vm_writev to
 *                                   its own child (part of the agent: not
 *                                   reported), then exit
 *
 * Exit status 0 on success, 1 with a message on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static char target_buf[64] = "untouched";

static int die(const char *what)
{
	fprintf(stderr, "tamper: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int probe32(void)
{
#if defined(__x86_64__)
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		long ret;

		/* 20: getpid in the i386 table */
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		_exit(ret == getpid() ? 0 : ret == -ENOSYS ? 3 : 4);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		printf("int $0x80 kills the process with signal %d (IA-32 emulation off)\n",
		       WTERMSIG(st));
	else
		printf("int $0x80 getpid failed (status %d: no IA-32 emulation)\n",
		       WEXITSTATUS(st));
	return 3;
#else
	printf("not x86_64: no int $0x80\n");
	return 3;
#endif
}

static int victim(const char *pidfile)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	if (!(f = fopen(tmp, "w")))
		die("pidfile");
	fprintf(f, "%d %p\n", (int)getpid(), (void *)target_buf);
	fclose(f);
	if (rename(tmp, pidfile))
		die("rename");
	for (;;)
		pause();
	return 0;
}

static void do_ptrace(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		die("PTRACE_ATTACH");
	if (waitpid(pid, &st, __WALL) < 0)
		die("waitpid");
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		die("PTRACE_DETACH");
}

static void do_vmwrite(pid_t pid, void *addr)
{
	char data[8] = "pwned!!";
	struct iovec l = { data, sizeof(data) }, r = { addr, sizeof(data) };

	if (process_vm_writev(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(data))
		die("process_vm_writev");
}

static void do_getfd(pid_t pid, int fd)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), got;

	if (pfd < 0)
		die("pidfd_open");
	got = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	if (got < 0)
		die("pidfd_getfd");
	close(got);
	close(pfd);
}

static int selfchild(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (;;)
			pause();
	}
	do_ptrace(pid);
	do_vmwrite(pid, target_buf);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "probe32"))
		return probe32();
	if (!strcmp(m, "victim") && argc == 3)
		return victim(argv[2]);
	if (!strcmp(m, "selfchild"))
		return selfchild();
	if (!strcmp(m, "ptrace") && argc == 3) {
		do_ptrace(atoi(argv[2]));
		return 0;
	}
	if (!strcmp(m, "vmwrite") && argc == 4) {
		do_vmwrite(atoi(argv[2]), (void *)(uintptr_t)strtoull(argv[3], NULL, 16));
		return 0;
	}
	if (!strcmp(m, "getfd") && argc == 4) {
		do_getfd(atoi(argv[2]), atoi(argv[3]));
		return 0;
	}
	fprintf(stderr, "usage: tamper probe32 | victim PIDFILE | ptrace PID | "
		"vmwrite PID ADDR | getfd PID FD | selfchild\n");
	return 2;
}
