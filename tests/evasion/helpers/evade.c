// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * evade.c - process and socket tricks an agent could use to slip past
 * agentmon, for the evasion tests (tests/evasion/).  One mode per trick:
 *
 *   evade dfork DONE PROG [ARG...]    fork, setsid, fork; the grandchild waits
 *                                     to be reparented, writes "PID MID PPID"
 *                                     to DONE (through DONE.tmp), execs PROG
 *   evade cloneparent OUT PROG [ARG...]  clone(CLONE_PARENT): the child is
 *                                     a sibling of this process, not its
 *                                     child; it writes "PID" to OUT, execs PROG
 *   evade vfork OUT PROG [ARG...]     vfork + execv; "CHILDPID" to OUT
 *   evade spawn OUT PROG [ARG...]     posix_spawn; "CHILDPID" to OUT
 *   evade thread OUT FILE ADDR PORT   a second thread opens FILE for writing
 *                                     and connects to ADDR:PORT (IPv4 TCP);
 *                                     "PID TID" to OUT
 *   evade memfd SRC PROG-ARGV0 [ARG...]  copies SRC into a memfd and runs it
 *                                     with execveat(fd, "", AT_EMPTY_PATH)
 *   evade raw ADDR udp|icmp|ip PORT N N datagrams of 100 bytes of payload
 *                                     through socket(AF_INET, SOCK_RAW,
 *                                     IPPROTO_UDP/ICMP/RAW) and sendto (ip:
 *                                     a whole IPv4+UDP packet written by
 *                                     hand); prints the bytes accepted
 *   evade ping ADDR N                 N ICMP echoes through an unprivileged
 *                                     ping socket (SOCK_DGRAM, IPPROTO_ICMP)
 *   evade udpconn ADDR PORT N SIZE    connect a UDP socket, then N send()s of
 *                                     SIZE bytes (no address on the send)
 *   evade compat_open PATH            open(PATH, O_WRONLY|O_CREAT) through the
 *                                     32-bit syscall table (int $0x80) of a
 *                                     64-bit process (x86_64 only); exit 3
 *                                     when the kernel has no IA32 emulation
 *   evade compat_connect ADDR PORT    a TCP socket (64-bit call) connected
 *                                     through int $0x80 (i386 connect, 362);
 *                                     exit 3 without IA32 emulation
 * Exit status 0 on success (exec modes: the status of the program).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* write text to path atomically (path.tmp, then rename) */
static void put(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		die(tmp);
	if (rename(tmp, path))
		die("rename");
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* "PID" of the child to out, then its exit status */
static int put_pid_wait(const char *out, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", pid);
	put(out, buf);
	return wait_status(pid);
}

/* text to out, then exec argv (never returns) */
static void put_exec(const char *out, const char *text, char **argv)
{
	put(out, text);
	execv(argv[0], argv);
	die("execv");
}

static int do_dfork(char **argv)
{
	char buf[128];
	pid_t mid = fork(), gc;

	if (mid < 0)
		die("fork");
	if (mid > 0)
		return wait_status(mid);
	if (setsid() < 0)
		die("setsid");
	mid = getpid();
	gc = fork();
	if (gc < 0)
		die("fork");
	if (gc > 0)
		_exit(0);
	for (int i = 0; i < 300 && getppid() == mid; i++)
		usleep(10000);
	snprintf(buf, sizeof(buf), "%d %d %d\n", getpid(), mid, getppid());
	put_exec(argv[0], buf, argv + 1);
	return 1;
}

static int do_cloneparent(char **argv)
{
	char buf[32];
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0L, 0L, 0L, 0L);

	if (pid < 0)
		die("clone(CLONE_PARENT)");
	if (pid > 0)
		return 0; /* not ours to wait for */
	snprintf(buf, sizeof(buf), "%d\n", getpid());
	put_exec(argv[0], buf, argv + 1);
	return 1;
}

static int do_vfork(char **argv)
{
	pid_t pid = vfork();

	if (pid < 0)
		die("vfork");
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	return put_pid_wait(argv[0], pid);
}

static int do_spawn(char **argv)
{
	pid_t pid;
	int rc = posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ);

	if (rc) {
		errno = rc;
		die("posix_spawn");
	}
	return put_pid_wait(argv[0], pid);
}

struct thread_arg { const char *file, *addr; int port; pid_t tid; int ok; };

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port) };
	int fd, s;

	a->tid = (pid_t)syscall(SYS_gettid);
	fd = open(a->file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	if (write(fd, "from a thread\n", 14) != 14)
		return NULL;
	close(fd);
	inet_pton(AF_INET, a->addr, &sa.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return NULL;
	close(s);
	a->ok = 1;
	return NULL;
}

static int do_thread(char **argv)
{
	struct thread_arg a = { argv[1], argv[2], atoi(argv[3]), 0, 0 };
	pthread_t t;
	char buf[64];

	if (pthread_create(&t, NULL, thread_main, &a) || pthread_join(t, NULL))
		die("pthread");
	if (!a.ok)
		die("thread: open or connect failed");
	snprintf(buf, sizeof(buf), "%d %d\n", getpid(), a.tid);
	put(argv[0], buf);
	return 0;
}

static int do_memfd(char **argv)
{
	int in = open(argv[0], O_RDONLY), fd = memfd_create("innocent", MFD_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (in < 0 || fd < 0)
		die("open/memfd_create");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			die("write");
	close(in);
	syscall(SYS_execveat, fd, "", argv + 1, environ, AT_EMPTY_PATH);
	die("execveat");
	return 1;
}

static unsigned short csum(const void *p, size_t n)
{
	const unsigned char *b = p;
	unsigned long s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (unsigned)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (unsigned)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((unsigned short)~s);
}

/* n sends of buf (to sa, or on a connected socket when sa is NULL); prints
 * the bytes accepted */
static int send_n(int s, const void *buf, size_t len, const struct sockaddr_in *sa, int n)
{
	long total = 0;

	for (int i = 0; i < n; i++) {
		ssize_t r = sa ? sendto(s, buf, len, 0, (const struct sockaddr *)sa, sizeof(*sa)) :
				 send(s, buf, len, 0);

		if (r < 0)
			die("send");
		total += r;
	}
	printf("%ld\n", total);
	return 0;
}

static int do_raw(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int icmp = !strcmp(argv[1], "icmp"), ip = !strcmp(argv[1], "ip"), n = atoi(argv[3]), s;
	unsigned char pkt[128] = { 0 }, *l4 = ip ? pkt + 20 : pkt;
	size_t len = (ip ? 20 : 0) + 108;

	inet_pton(AF_INET, argv[0], &sa.sin_addr);
	s = socket(AF_INET, SOCK_RAW, icmp ? IPPROTO_ICMP : ip ? IPPROTO_RAW : IPPROTO_UDP);
	if (s < 0)
		die("socket(SOCK_RAW)");
	memset(l4 + 8, 'R', 100);
	if (icmp) {
		l4[0] = 8; /* echo request */
		l4[5] = 1;
		((unsigned short *)l4)[1] = csum(l4, 108);
	} else {
		((unsigned short *)l4)[0] = htons(40000);
		((unsigned short *)l4)[1] = htons((unsigned short)atoi(argv[2]));
		((unsigned short *)l4)[2] = htons(108); /* checksum 0: none */
	}
	if (ip) { /* IPv4 header; the kernel fills in id, checksum and source */
		pkt[0] = 0x45;
		((unsigned short *)pkt)[1] = htons((unsigned short)len);
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 16, &sa.sin_addr, 4);
	}
	return send_n(s, pkt, len, &sa, n);
}

static int do_ping(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char pkt[108] = { 8, 0 };
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), n = atoi(argv[1]);

	if (s < 0)
		die("socket(ping)");
	inet_pton(AF_INET, argv[0], &sa.sin_addr);
	memset(pkt + 8, 'P', 100);
	return send_n(s, pkt, sizeof(pkt), &sa, n);
}

static int do_udpconn(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
	int s = socket(AF_INET, SOCK_DGRAM, 0), n = atoi(argv[2]);
	size_t size = (size_t)atol(argv[3]);
	char *buf = malloc(size);

	if (s < 0 || !buf)
		die("socket");
	memset(buf, 'U', size);
	inet_pton(AF_INET, argv[0], &sa.sin_addr);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	return send_n(s, buf, size, NULL, n);
}

#if defined(__x86_64__)
/* a page below 4 GiB: int $0x80 takes 32-bit pointers */
static void *low_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	if (p == MAP_FAILED)
		die("mmap(MAP_32BIT)");
	return p;
}

/* system call nr of the i386 table, from this 64-bit process; exits 3
 * when the kernel has no IA32 emulation */
static long int80(long nr, long a, long b, long c, const char *what)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	if (ret == -ENOSYS)
		exit(3);
	if (ret < 0) {
		errno = (int)-ret;
		die(what);
	}
	return ret;
}

static int do_compat_open(char **argv)
{
	char *path = low_page();

	snprintf(path, 4096, "%s", argv[0]);
	/* 5: open; 0101: O_WRONLY|O_CREAT */
	printf("%ld\n", int80(5, (long)(unsigned long)path, 0101, 0600, "open through int $0x80"));
	return 0;
}

static int do_compat_connect(char **argv)
{
	struct sockaddr_in *sa = low_page();
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		die("socket");
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, argv[0], &sa->sin_addr);
	/* 362: connect */
	int80(362, s, (long)(unsigned long)sa, (long)sizeof(*sa), "connect through int $0x80");
	return 0;
}
#else
static int do_compat_open(char **argv)
{
	(void)argv;
	return 3;
}

static int do_compat_connect(char **argv)
{
	(void)argv;
	return 3;
}
#endif

int main(int argc, char **argv)
{
	static const struct { const char *name; int min; int (*fn)(char **); } modes[] = {
		{ "dfork", 2, do_dfork }, { "cloneparent", 2, do_cloneparent },
		{ "vfork", 2, do_vfork }, { "spawn", 2, do_spawn },
		{ "thread", 4, do_thread }, { "memfd", 2, do_memfd }, { "raw", 4, do_raw },
		{ "ping", 2, do_ping }, { "udpconn", 4, do_udpconn },
		{ "compat_open", 1, do_compat_open }, { "compat_connect", 2, do_compat_connect },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name)) {
			if (argc - 2 < modes[i].min)
				break;
			return modes[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: see the comment at the top of evade.c\n");
	return 2;
}
