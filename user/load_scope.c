// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_scope.c - the TLS uprobes on the shared libraries, per tagged
 * process (see tls_cover.h): each function is a uprobe event of tracefs
 * (group agentmon_PID), its BPF program attached to one perf event on the
 * collector itself (the carrier: it maps no libssl), and every covering
 * attach opens one perf event per probe on each thread of the process, with
 * inherit set.  The kernel puts a uprobe's breakpoint only into the mms of
 * the processes its perf events target (trace_uprobe's filter, re-applied
 * at each mmap, so also after exec, and copied into every child at fork):
 * an untagged process never takes the int3 trap of a TLS call.  The uprobe
 * PMU (perf_event_open type uprobe) is not used for this: an inherited copy
 * re-reads its path from the forking process's memory (fork fails EFAULT).
 * Without tracefs uprobe events the uprobes stay system-wide (load_tls.c).
 *
 * Inherited copies alone are not enough: the filter matches each event's
 * target task (hw.target->mm), but perf swaps the contexts of tasks whose
 * contexts are clones (a parent and a child, two siblings: every event
 * inherited) at a context switch without changing the events' targets
 * (perf_event_context_sched_out), and a task that exits frees the inherited
 * events of the context it holds then (perf_event_exit_event: "the original
 * events could've ended up in a random child task").  A child that exits
 * holding its live parent's or sibling's context takes that process's
 * events out of the filter; its next TLS call fails the filter and the
 * kernel removes the breakpoints from its mm (UPROBE_HANDLER_REMOVE):
 * measured, 1 `git clone` in 4 lost git-remote-https's plaintext.  So
 * (1) every covering attach adds, on each thread, one event inherited by
 * threads only (inherit_thread): a fork then does not inherit all of the
 * context's events, the child's context is no clone (perf_event_init_context
 * `inherited_all`) and is never swapped; (2) a process covered by its
 * parent's attach gets, at its fork event, a guard of its own: every probe
 * opened on its main thread (inherit_thread), events the collector holds,
 * which stay in the filter whatever context they end up in.  A guard of
 * one event only (kept its forks from being clones) was not enough: a
 * thread's context is a clone of its process's, and a thread that exits
 * holding its process's context frees the process's inherited events too
 * (curl's threaded DNS resolver: the pi agent's POST was missed in 5 of 12
 * runs beside two CPU hogs; test_tls_ctx_swap's thread variant, 0 of 8).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common.h"
#include "load_int.h"

#define UPROBE_EVENTS TRACEFS_DIR "/uprobe_events"
#define SCOPE_THREADS_MAX 1024  /* threads of one process attached, at most */

/* write one command line to uprobe_events; 0 or -errno */
static int uprobe_events_write(const char *cmd)
{
	int fd = open(UPROBE_EVENTS, O_WRONLY | O_APPEND | O_CLOEXEC), rc = 0;
	size_t len = strlen(cmd);

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, len) != (ssize_t)len)
		rc = -errno;
	close(fd);
	return rc;
}

/* remove the events of agentmon groups whose collector is gone (and, with
 * own, this collector's): a collector killed leaves its events behind */
static void scope_clean(bool own)
{
	FILE *f = fopen(UPROBE_EVENTS, "re");
	char line[512], cmd[160];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char group[64], event[64];
		int pid;

		if (sscanf(line, "%*c:%63[^/]/%63s", group, event) != 2 ||
		    sscanf(group, "agentmon_%d", &pid) != 1 || pid <= 0)
			continue;
		if (pid == getpid() ? !own : !kill(pid, 0) || errno != ESRCH)
			continue;
		snprintf(cmd, sizeof(cmd), "-:%s/%s\n", group, event);
		uprobe_events_write(cmd); /* busy: still in use, left for later */
	}
	fclose(f);
}

int load_scope_begin(struct loader *l)
{
	if (l->n_probes) /* a probe still carried from the last attach */
		return -EBUSY;
	if (access(UPROBE_EVENTS, W_OK))
		return -errno;
	scope_clean(true);
	l->scope_gen++;
	return 0;
}

int load_scope_release(struct loader *l, struct bpf_link **links, size_t n)
{
	size_t nfd;
	int *fds = tls_cover_surrender(&l->cover, &nfd);
	int done = load_destroy_all(links, n, fds, nfd);

	free(fds);
	return done;
}

void load_scope_end(struct loader *l)
{
	tls_cover_free(&l->cover); /* the counts since start stay */
	l->n_probes = 0;
}

void load_scope_close(struct loader *l)
{
	tls_cover_free(&l->cover);
	scope_clean(true);
}

/* the id of tracefs event group/name, or -errno */
static int event_id(const char *group, const char *name)
{
	char path[256], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), TRACEFS_DIR "/events/%s/%s/id", group, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

/* how an event opened on a task is copied into the tasks it clones */
enum scope_inherit {
	INHERIT_NONE,     /* the carrier on the collector */
	INHERIT_ALL,      /* children and threads: covered from their start */
	INHERIT_THREADS,  /* threads only: its forks' contexts are no clones */
};

static int perf_open(int id, pid_t tid, enum scope_inherit how)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_TRACEPOINT,
				     .config = (uint64_t)id, .inherit = how != INHERIT_NONE,
				     .inherit_thread = how == INHERIT_THREADS };

	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int loader_inherit_thread_check(void)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_SOFTWARE,
				     .config = PERF_COUNT_SW_DUMMY, .inherit = 1,
				     .inherit_thread = 1, .disabled = 1 };
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* whether the kernel takes events inherited by threads only (5.13 and
 * later), without which a covered process's forks are swapped (see the
 * top): tried once on the collector itself; 0 or -errno */
static int threads_only_ok(int id)
{
	int fd = perf_open(id, getpid(), INHERIT_THREADS);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

struct bpf_link *load_scope_probe(struct loader *l, const char *fdpath, long off, bool ret,
				  struct bpf_program *prog)
{
	char group[32], name[32], cmd[256];
	struct bpf_link *link;
	int id, pfd, rc;

	if (l->n_probes >= TLS_PROBES_MAX) {
		errno = E2BIG;
		return NULL;
	}
	snprintf(group, sizeof(group), "agentmon_%d", (int)getpid());
	snprintf(name, sizeof(name), "p%d_%u_%d", (int)getpid(), l->scope_gen, l->n_probes);
	snprintf(cmd, sizeof(cmd), "%c:%s/%s %s:0x%lx\n", ret ? 'r' : 'p', group, name, fdpath,
		 (unsigned long)off);
	if ((rc = uprobe_events_write(cmd)) || (id = event_id(group, name)) < 0) {
		errno = rc ? -rc : EIO;
		return NULL;
	}
	l->probes[l->n_probes++] = id;
	if (l->n_probes == 1 && (rc = threads_only_ok(id))) {
		errno = -rc;
		return NULL;
	}
	if ((pfd = perf_open(id, getpid(), INHERIT_NONE)) < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link)
		close(pfd);
	return link;
}

/* the events of probes [from, to) on thread tid into out; 0 or -errno */
static int open_probes(struct loader *l, pid_t tid, int from, int to, enum scope_inherit how,
		       int budget, struct tls_cover_fds *out)
{
	for (int i = from; i < to; i++) {
		int fd;

		if (out->n >= budget)
			return -EMFILE;
		if ((fd = perf_open(l->probes[i], tid, how)) < 0)
			return -errno;
		out->fd[out->n++] = fd;
	}
	return 0;
}

/* one perf event per probe on thread tid, inherited, and the one that keeps
 * its forks' contexts from being clones (see the top); 0 or -errno */
static int attach_thread(struct loader *l, pid_t tid, int budget, struct tls_cover_fds *out)
{
	int rc = open_probes(l, tid, 0, l->n_probes, INHERIT_ALL, budget, out);

	return rc ? rc : open_probes(l, tid, 0, 1, INHERIT_THREADS, budget, out);
}

static bool tid_in(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* the threads of tgid not yet in tids, attached; how many new, or -errno */
static int attach_threads(struct loader *l, uint32_t tgid, pid_t *tids, int *nt, int budget,
			  struct tls_cover_fds *out)
{
	char path[64];
	struct dirent *d;
	int added = 0, rc = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%u/task", tgid);
	if (!(dir = opendir(path)))
		return errno == ENOENT ? -ESRCH : -errno;
	while (!rc && (d = readdir(dir))) {
		pid_t tid = (pid_t)atoi(d->d_name);

		if (tid <= 0 || tid_in(tids, *nt, tid))
			continue;
		if (*nt >= SCOPE_THREADS_MAX) {
			rc = -EMFILE;
			break;
		}
		rc = attach_thread(l, tid, budget, out);
		if (rc == -ESRCH)
			rc = 0; /* the thread ended meanwhile */
		tids[(*nt)++] = tid;
		added++;
	}
	closedir(dir);
	return rc ? rc : added;
}

/* the events in fds closed, its array kept for another try */
static void scope_detach_keep(struct tls_cover_fds *fds)
{
	for (int i = 0; i < fds->n; i++)
		close(fds->fd[i]);
	fds->n = 0;
}

static void scope_detach(void *arg, struct tls_cover_fds *fds)
{
	(void)arg;
	scope_detach_keep(fds);
	free(fds->fd);
	fds->fd = NULL;
}

/*
 * every thread of tgid (a thread made after the first one's event is open
 * inherits it; one made by another thread meanwhile is found by the next
 * pass): the threads are read again until a pass finds no new one
 */
static int scope_attach(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out)
{
	struct loader *l = arg;
	int per = l->n_probes + 1;
	int cap = budget < SCOPE_THREADS_MAX * per ? budget : SCOPE_THREADS_MAX * per;
	pid_t *tids = malloc(SCOPE_THREADS_MAX * sizeof(*tids));
	int nt = 0, rc = 0;

	out->n = 0;
	out->fd = malloc((size_t)(cap > 0 ? cap : 1) * sizeof(int));
	if (!tids || !out->fd || !l->n_probes)
		rc = l->n_probes ? -ENOMEM : -ENODEV;
	for (int pass = 0; !rc && pass < 4; pass++) {
		rc = attach_threads(l, tgid, tids, &nt, cap, out);
		if (rc > 0)
			rc = 0;
		else if (!rc)
			break;
	}
	free(tids);
	if (!rc && !out->n)
		rc = -ESRCH;
	if (rc)
		scope_detach(l, out);
	out->ns = am_now_ns(CLOCK_BOOTTIME);
	return rc;
}

/* the probes' guard events on the first live thread of tgid (its main
 * thread has exited: the perf events of an exited task are refused ESRCH,
 * the filter matches the mm all the same); -ESRCH when none is left */
static int guard_other_thread(struct loader *l, uint32_t tgid, int budget,
			      struct tls_cover_fds *out)
{
	char path[64];
	struct dirent *d;
	int rc = -ESRCH;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%u/task", tgid);
	if (!(dir = opendir(path)))
		return -ESRCH;
	while (rc == -ESRCH && (d = readdir(dir))) {
		pid_t tid = (pid_t)atoi(d->d_name);

		if (tid <= 0 || tid == (pid_t)tgid)
			continue;
		scope_detach_keep(out);
		rc = open_probes(l, tid, 0, l->n_probes, INHERIT_THREADS, budget, out);
	}
	closedir(dir);
	return rc;
}

/*
 * the guard of a process covered by its parent's attach: every probe on its
 * main thread (the filter matches its mm: one thread is enough), copied into
 * its threads only; on another of its threads when the main thread has
 * exited.  -ESRCH when it is gone, -EMFILE over budget, -errno
 */
static int scope_guard(void *arg, uint32_t tgid, int budget, struct tls_cover_fds *out)
{
	struct loader *l = arg;
	int rc;

	out->n = 0;
	if (!l->n_probes)
		return -ENODEV;
	if (!(out->fd = malloc((size_t)l->n_probes * sizeof(int))))
		return -ENOMEM;
	rc = open_probes(l, (pid_t)tgid, 0, l->n_probes, INHERIT_THREADS, budget, out);
	if (rc == -ESRCH)
		rc = guard_other_thread(l, tgid, budget, out);
	if (rc)
		scope_detach(l, out);
	out->ns = am_now_ns(CLOCK_BOOTTIME);
	return rc;
}

static const struct tls_cover_ops scope_ops = { scope_attach, scope_detach, scope_guard };

/* the per-process events hold one fd per probe and thread of each covering
 * attach, within the descriptor budget they share with the links
 * (load_links.c, which decides the room) */
void load_scope_init(struct loader *l)
{
	tls_cover_init(&l->cover, &scope_ops, l, load_links_scope_room(l));
}

int load_scope_cover(struct loader *l, uint32_t tgid)
{
	tls_cover_budget(&l->cover, load_links_scope_room(l));
	return tls_cover_root(&l->cover, tgid, am_now_ns(CLOCK_BOOTTIME));
}

/* ---- public (load.h) ---- */

/* a process could not be covered: fail closed, the uprobes go system-wide
 * (the per-process events are closed: the system-wide ones see them all) */
static void scope_failed(struct loader *l, uint32_t tgid, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "process %u could not be covered: %s", tgid, strerror(-err));
	load_tls_widen(l, why);
}

/* 1: an attach of its own, 0: none needed or possible */
static int scope_made(struct loader *l, uint32_t tgid, uint64_t attached0, int rc)
{
	if (rc)
		scope_failed(l, tgid, rc);
	return !rc && l->cover.st.attached > attached0;
}

int loader_tls_root(struct loader *l, uint32_t tgid)
{
	uint64_t a0 = l->cover.st.attached;

	if (!l->tls_scoped || !l->n_probes)
		return 0; /* system-wide, or no library to hook */
	return scope_made(l, tgid, a0, load_scope_cover(l, tgid));
}

int loader_tls_fork(struct loader *l, uint32_t ppid, uint32_t tgid, uint64_t fork_ns)
{
	uint64_t a0 = l->cover.st.attached, g0 = l->cover.st.guarded;

	if (!l->tls_scoped || !l->n_probes)
		return 0;
	tls_cover_budget(&l->cover, load_links_scope_room(l));
	if (scope_made(l, tgid, a0, tls_cover_fork(&l->cover, ppid, tgid, fork_ns,
						   am_now_ns(CLOCK_BOOTTIME))))
		return 1;
	return l->tls_scoped && l->cover.st.guarded > g0 ? 2 : 0;
}

bool loader_tls_unsure(struct loader *l, uint32_t tgid, uint64_t ts_ns)
{
	return l->tls_scoped && l->n_probes && tls_cover_unsure(&l->cover, tgid, ts_ns);
}

uint32_t loader_tls_exit(struct loader *l, uint32_t tgid)
{
	return tls_cover_exit(&l->cover, tgid);
}

static bool still_tagged(void *arg, uint32_t tgid)
{
	return loader_tagged(arg, tgid);
}

size_t loader_tls_sweep(struct loader *l)
{
	return tls_cover_sweep(&l->cover, still_tagged, l);
}

void loader_tls_scope(const struct loader *l, struct loader_tls_scope *s)
{
	memset(s, 0, sizeof(*s));
	tls_cover_stats(&l->cover, &s->cover);
	s->scoped = l->tls_scoped;
	s->hooked = l->hooks_on && l->tls_libs[0];
	snprintf(s->wide_why, sizeof(s->wide_why), "%s", l->tls_wide_why);
}
