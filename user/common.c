// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* common.c - messages, libbpf print callback, signals, small helpers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include <bpf/libbpf.h>

#include "common.h"
#include "escape.h"

bool am_verbose;
volatile sig_atomic_t am_exiting;
volatile sig_atomic_t am_reload;

/* journald sets JOURNAL_STREAM when stderr is connected to it */
static bool to_journal(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = getenv("JOURNAL_STREAM") != NULL;
	return cached;
}

/*
 * one message, one line: its control bytes, C1 and invalid UTF-8 as \xNN
 * (escape.h), so that a name an agent chose (an exe path, a comm, a file
 * name, a host) cannot end the line and forge another, at any priority
 */
static void vlog(enum am_level level, const char *fmt, va_list ap)
{
	char line[1024], safe[4 * sizeof(line)];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	escape_text(safe, sizeof(safe), line, (size_t)n);
	if (to_journal())
		fprintf(stderr, "<%d>%s\n", level, safe);
	else
		fprintf(stderr, "agentmon: %s\n", safe);
}

void am_log(enum am_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !am_verbose)
		return 0;
	vlog(level == LIBBPF_WARN ? AM_LOG_WARN : AM_LOG_DEBUG, fmt, ap);
	return 0;
}

void am_libbpf_setup(void)
{
	libbpf_set_print(libbpf_print);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		am_reload = 1;
	else
		am_exiting = 1;
}

int am_signals_setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void am_signals_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void am_signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int am_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t old;
	int r;

	am_signals_hold(&old);   /* the new thread inherits the mask */
	r = pthread_create(th, NULL, fn, arg);
	am_signals_restore(&old);
	return -r;
}

int am_parse_u64(const char *s, uint64_t min, uint64_t max, bool units, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (units && *end) {
		int shift = strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 :
			    strchr("gG", *end) ? 30 : -1;
		if (shift < 0 || end[1] || v > (max >> shift))
			return -EINVAL;
		v <<= shift;
		end++;
	}
	if (*end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

uint64_t am_now_ns(int clock_id)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void am_budget_start(struct am_budget *b, uint64_t cpu_ns, uint64_t wall_ns)
{
	b->cpu_end = am_now_ns(CLOCK_THREAD_CPUTIME_ID) + cpu_ns;
	b->wall_end = am_now_ns(CLOCK_MONOTONIC) + wall_ns;
}

bool am_budget_over(const struct am_budget *b)
{
	return am_now_ns(CLOCK_MONOTONIC) > b->wall_end ||
	       am_now_ns(CLOCK_THREAD_CPUTIME_ID) > b->cpu_end;
}

int am_fdinfo_mnt_id(int fd, uint64_t *id)
{
	char path[64], buf[512];
	unsigned long long v;
	const char *m;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	m = strstr(buf, "mnt_id:");
	if (!m || sscanf(m + 7, "%llu", &v) != 1)
		return -EIO;
	*id = v;
	return 0;
}

int am_fd_mnt_id(int fd, uint64_t *id)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx))
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return am_fdinfo_mnt_id(fd, id);
	*id = sx.stx_mnt_id;
	return 0;
}

/* the fraction and zone after "...T14:00:00" at p: *frac ns, *off seconds
 * east of UTC; the end of the zone, or NULL */
static const char *rfc3339_tail(const char *p, uint64_t *frac, int64_t *off)
{
	uint64_t scale = 1000000000ull;
	int hh, mm;

	*frac = 0;
	*off = 0;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return NULL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				*frac += (uint64_t)(*p - '0') * scale;
			}
	}
	if (*p == 'Z' || *p == 'z')
		return p + 1;
	if (*p != '+' && *p != '-')
		return NULL;
	if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
	    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
		return NULL;
	hh = (p[1] - '0') * 10 + (p[2] - '0');
	mm = (p[4] - '0') * 10 + (p[5] - '0');
	if (hh > 23 || mm > 59)
		return NULL;
	*off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
	return p + 6;
}

int am_parse_rfc3339(const char *s, uint64_t *out_ns)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	uint64_t frac;
	int64_t off, secs;

	if (!p || !(p = rfc3339_tail(p, &frac, &off)) || *p)
		return -EINVAL;
	secs = (int64_t)timegm(&tm) - off;
	if (secs < 0 || (uint64_t)secs > UINT64_MAX / 1000000000ull - 1)
		return -EINVAL;
	*out_ns = (uint64_t)secs * 1000000000ull + frac;
	return 0;
}

int am_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct { char unit; uint64_t ns; } units[] = {
		{ '\0', 1000000000ull }, { 's', 1000000000ull }, { 'm', 60000000000ull },
		{ 'h', 3600000000000ull }, { 'd', 86400000000000ull },
	};
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] != units[i].unit || (end[0] && end[1]))
			continue;
		if (n > UINT64_MAX / units[i].ns)
			return -EINVAL;
		*out_ns = n * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

int am_mkdirs(const char *path, unsigned int parents, unsigned int leaf)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)parents) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, (mode_t)leaf) && errno != EEXIST ? -errno : 0;
}

uint64_t am_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return 0;
	if (r.rlim_cur < r.rlim_max) {
		struct rlimit up = { .rlim_cur = r.rlim_max, .rlim_max = r.rlim_max };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			r = up;
	}
	return r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)r.rlim_cur;
}

long am_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = -1; /* the directory's own descriptor */

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

bool am_color_ok(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no);
}

bool am_so_name(const char *path)
{
	const char *b = strrchr(path, '/'), *v;
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 3 && !strcmp(b + n - 3, ".so"))
		return true;
	if (!(v = strstr(b, ".so.")) || v == b || !v[4])
		return false;
	return strspn(v + 4, "0123456789.") == strlen(v + 4);
}
