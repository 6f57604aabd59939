// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * ssl_tiny.c - a tiny binary that carries its own SSL_write, so that the
 * collector scans it and hooks it when an agent execs it.  Copied under
 * hundreds of names (distinct inodes), it is the descriptor-exhaustion
 * attack of tests/attack/test_fd_exhaustion.sh: each copy costs uprobe
 * links.  usage: ssl_tiny [SECONDS]  (sleeps that long, then exits 0)
 */
#include <stdlib.h>
#include <unistd.h>

__asm__(".text\n.globl SSL_write\n.type SSL_write, @function\n"
	"SSL_write: mov %edx, %eax\n ret\n.size SSL_write, .-SSL_write\n");

int main(int argc, char **argv)
{
	if (argc > 1)
		sleep((unsigned)atoi(argv[1]));
	return 0;
}
