/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * common.h - what every subcommand shares, written once: messages on stderr
 * (lowercase, "agentmon: what failed: on what"), the libbpf print callback,
 * the exit flag set by signals, and small string helpers.
 */
#ifndef AGENTMON_COMMON_H
#define AGENTMON_COMMON_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AM_EXIT_OK      0
#define AM_EXIT_RUNTIME 1
#define AM_EXIT_USAGE   2

#define AM_DEFAULT_SOCKET "/run/agentmon/agentmon.sock"
#define AM_DEFAULT_CONFIG "/etc/agentmon/agentmon.yaml"
#define AM_DEFAULT_TRACES "/var/lib/agentmon/traces"
#define AM_DEFAULT_TLS_CACHE "/var/lib/agentmon/tls-cache"
#define AM_VERSION        "0.1.0"

/* message levels, printed with journald's <N> prefix when stderr is the journal */
enum am_level { AM_LOG_ERR = 3, AM_LOG_WARN = 4, AM_LOG_INFO = 6, AM_LOG_DEBUG = 7 };

extern bool am_verbose;
/* whether to colour what goes to fd: a terminal, and NO_COLOR unset or empty */
bool am_color_ok(int fd);

void am_log(enum am_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define am_err(...)  am_log(AM_LOG_ERR, __VA_ARGS__)
#define am_warn(...) am_log(AM_LOG_WARN, __VA_ARGS__)
#define am_info(...) am_log(AM_LOG_INFO, __VA_ARGS__)
#define am_debug(...) do { if (am_verbose) am_log(AM_LOG_DEBUG, __VA_ARGS__); } while (0)

/* route libbpf's messages through am_log (debug ones only with -v) */
void am_libbpf_setup(void);

/* set by SIGINT/SIGTERM (am_exiting) and SIGHUP (am_reload) handlers */
extern volatile sig_atomic_t am_exiting;
extern volatile sig_atomic_t am_reload;
/* install the handlers; 0 or -errno */
int am_signals_setup(void);

/*
 * the signals the main loop handles (SIGINT, SIGTERM, SIGHUP) blocked in the
 * calling thread, its old mask in *old; am_signals_restore puts it back.
 * Around a library call that starts threads (libnats's connect), so that they
 * never take a signal meant for the main loop.
 */
void am_signals_hold(sigset_t *old);
void am_signals_restore(const sigset_t *old);

/*
 * pthread_create(th, NULL, fn, arg) with those signals blocked in the new
 * thread (and in every thread it starts): a worker never takes a signal meant
 * for the main loop, whose blocking call it must interrupt.  0 or -errno.
 */
int am_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/* parse a decimal unsigned number in [min, max] (suffix k/m/g when units); -EINVAL */
int am_parse_u64(const char *s, uint64_t min, uint64_t max, bool units, uint64_t *out);

/* parse a duration: a decimal number with s, m, h or d (plain: seconds) into ns; -EINVAL */
int am_parse_duration(const char *s, uint64_t *out_ns);

/*
 * the mount id of the file open at fd (any fd, O_PATH too): statx's
 * STATX_MNT_ID where the kernel has it (5.8), else the mnt_id: line of
 * /proc/self/fdinfo/FD (am_fdinfo_mnt_id: procfs mounted).  The id of
 * /proc/PID/mountinfo's first field.  0, or -errno (-EIO: no such line)
 */
int am_fd_mnt_id(int fd, uint64_t *id);
int am_fdinfo_mnt_id(int fd, uint64_t *id);

/*
 * parse an RFC 3339 time, "2026-11-25T14:00:00[.123456789](Z|z|+HH:MM|-HH:MM)",
 * into wall ns since the epoch (fraction digits past the ninth ignored).
 * -EINVAL for anything else: a bad field, a time before 1970 or past 2554,
 * bytes after the zone; *out_ns untouched then
 */
int am_parse_rfc3339(const char *s, uint64_t *out_ns);

/*
 * mkdir -p: the missing parents of path with mode parents, path itself with
 * mode leaf (both under the umask); existing ones are left as they are.
 * 0, or -errno of the first that cannot be made (-ENAMETOOLONG past PATH_MAX).
 */
int am_mkdirs(const char *path, unsigned int parents, unsigned int leaf);

/* monotonic / boot / realtime clocks in ns */
uint64_t am_now_ns(int clock_id);

/*
 * a time budget for work that must not hold its thread for long (a scan of
 * a file an agent chose): cpu_ns of the calling thread's CPU time, which a
 * loaded host (or a sanitizer) does not eat into, and wall_ns of wall time,
 * which a read that blocks without using CPU (a file served through FUSE)
 * does.  Checked by the thread that started it.
 */
struct am_budget {
	uint64_t cpu_end, wall_end;
};
void am_budget_start(struct am_budget *b, uint64_t cpu_ns, uint64_t wall_ns);
bool am_budget_over(const struct am_budget *b);
/* raise the soft RLIMIT_NOFILE to the hard one; the soft limit now (0 when
 * it cannot be read) */
uint64_t am_raise_nofile(void);
/* descriptors this process has open now (/proc/self/fd), -1 when unknown */
long am_fds_open(void);
/* whether path's last component names a shared library: *.so or
 * *.so.N[.N...] (not ld.so.cache, not notes.so.txt) */
bool am_so_name(const char *path);

#endif
