// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * record.c - the recorder; see record.h.
 *
 * Two threads.  The collector's thread owns `cur` (the block being filled)
 * and the clock fields; it hands whole blocks and rotation requests to the
 * writer through a queue under `lock`.  The writer thread owns the open
 * trace_writer and is the only one touching files.  The figures shown by
 * recorder_status() are written under `lock`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../bpf/agentmon.h"
#include "agents.h"
#include "common.h"
#include "record.h"
#include "scrub.h"
#include "trace.h"

#define TICK_AFTER_NS (3ull * 1000 * 1000 * 1000) /* clock entries after the last entry */

enum item_kind { ITEM_BLOCK, ITEM_ROTATE };

struct item {
	struct item *next;
	enum item_kind kind;
	struct trace_block b;      /* ITEM_BLOCK */
	uint64_t wall_ns;          /* ITEM_ROTATE: the new file's time */
};

struct recorder {
	struct record_settings s;
	char *dir;
	record_snapshot_fn snap;
	void *snap_arg;
	struct trace_info info;

	/* the collector's thread */
	struct scrub scrub;            /* secrets masked before a record goes in */
	struct trace_block cur;
	uint64_t now_boot, now_wall;   /* the last tick's clock */
	uint64_t cur_first_boot;       /* clock when cur got its first entry */
	uint64_t last_entry_boot;
	uint64_t file_wall;            /* when the current file was asked for */
	uint64_t retry_boot;           /* next retry after a failure */
	bool since_tick;               /* entries since the last clock entry */
	bool in_snapshot;              /* entries go in even when failed */
	bool reported;                 /* the failure was reported */

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;           /* the writer has nothing queued or in hand */
	bool busy;                     /* the writer holds an item */
	struct item *head, *tail;
	uint64_t queued_bytes;
	bool stopping, failed;
	uint64_t file_bytes;           /* bytes of the current file */
	struct record_status st;
	pthread_t thread;

	/* the writer thread */
	struct trace_writer *w;
	unsigned seq;
};

/* ---- the writer thread ---- */

static void fail(struct recorder *r, const char *why)
{
	pthread_mutex_lock(&r->lock);
	r->failed = true;
	snprintf(r->st.reason, sizeof(r->st.reason), "%s", why);
	r->st.file[0] = '\0';
	pthread_mutex_unlock(&r->lock);
}

static void close_file(struct recorder *r)
{
	if (r->w && trace_writer_close(r->w))
		fail(r, "closing the trace file failed");
	r->w = NULL;
}

static void prune(struct recorder *r, const char *keep, uint64_t wall_ns)
{
	struct trace_prune p = {
		.keep_age_ns = r->s.keep_age_s * 1000000000ull, .keep_bytes = r->s.keep_bytes,
	};
	char err[256];
	int n = trace_prune_dir(r->dir, &p, wall_ns, keep, err, sizeof(err));

	if (n > 0) {
		pthread_mutex_lock(&r->lock);
		r->st.pruned += (uint64_t)n;
		pthread_mutex_unlock(&r->lock);
	}
}

/* close the current file and start the next one */
static void rotate(struct recorder *r, uint64_t wall_ns)
{
	char path[4096], err[512];
	struct trace_info info = r->info;

	close_file(r);
	if (trace_file_name(path, sizeof(path), r->dir, wall_ns, r->seq++)) {
		fail(r, "trace file name too long");
		return;
	}
	info.created_ns = wall_ns;
	if (trace_writer_open(&r->w, path, &info, err, sizeof(err))) {
		r->w = NULL;
		fail(r, err);
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->failed = false;
	r->st.files++;
	r->file_bytes = trace_writer_bytes(r->w);
	r->st.bytes += r->file_bytes;
	snprintf(r->st.file, sizeof(r->st.file), "%s", path);
	pthread_mutex_unlock(&r->lock);
	prune(r, path, wall_ns);
}

static void write_block(struct recorder *r, const struct trace_block *b)
{
	uint64_t before = r->w ? trace_writer_bytes(r->w) : 0;
	char err[512];
	int ret = r->w ? trace_writer_block(r->w, b, err, sizeof(err)) : -EBADF;

	if (ret && r->w) {
		fail(r, err);
		close_file(r);
	}
	pthread_mutex_lock(&r->lock);
	if (ret) {
		r->st.lost += b->entries;
	} else {
		r->st.entries += b->entries;
		r->st.bytes += trace_writer_bytes(r->w) - before;
		r->file_bytes = trace_writer_bytes(r->w);
	}
	pthread_mutex_unlock(&r->lock);
}

static void *writer_main(void *arg)
{
	struct recorder *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct item *it;

		while (!r->head && !r->stopping)
			pthread_cond_wait(&r->cond, &r->lock);
		if (!(it = r->head))
			break;
		r->head = it->next;
		if (!r->head)
			r->tail = NULL;
		r->queued_bytes -= it->b.len;
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		if (it->kind == ITEM_ROTATE)
			rotate(r, it->wall_ns);
		else
			write_block(r, &it->b);
		trace_block_free(&it->b);
		free(it);
		pthread_mutex_lock(&r->lock);
		r->busy = false;
		if (!r->head)
			pthread_cond_broadcast(&r->idle);
	}
	pthread_mutex_unlock(&r->lock);
	close_file(r);
	return NULL;
}

/* ---- the collector's thread ---- */

static void push(struct recorder *r, struct item *it)
{
	pthread_mutex_lock(&r->lock);
	if (r->tail)
		r->tail->next = it;
	else
		r->head = it;
	r->tail = it;
	r->queued_bytes += it->b.len;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void add_lost(struct recorder *r, uint64_t n)
{
	pthread_mutex_lock(&r->lock);
	r->st.lost += n;
	pthread_mutex_unlock(&r->lock);
}

/* cur's entries will never be written: counted as lost */
static void drop_cur(struct recorder *r)
{
	add_lost(r, r->cur.entries);
	trace_block_reset(&r->cur);
}

/* hand cur to the writer; dropped (counted) when the queue is over its bound */
static void handoff(struct recorder *r)
{
	struct item *it = NULL;
	bool full;

	if (!r->cur.entries)
		return;
	pthread_mutex_lock(&r->lock);
	full = r->queued_bytes + r->cur.len > r->s.queue_bytes;
	pthread_mutex_unlock(&r->lock);
	if (!full)
		it = calloc(1, sizeof(*it));
	if (!it) {
		drop_cur(r);
		return;
	}
	it->kind = ITEM_BLOCK;
	it->b = r->cur;
	memset(&r->cur, 0, sizeof(r->cur));
	push(r, it);
}

/*
 * room for an entry of about `need` bytes in cur: false (entry counted as
 * lost) while recording is stopped, outside a snapshot
 */
static bool room(struct recorder *r, size_t need)
{
	if (r->reported && !r->in_snapshot) {
		add_lost(r, 1);
		return false;
	}
	if (r->cur.len + need + 64 > TRACE_BLOCK_RAW_MAX)
		handoff(r);
	return true;
}

/* after an entry went in (ret 0) or not */
static void added(struct recorder *r, int ret, bool clock)
{
	if (ret) {
		add_lost(r, 1);
		return;
	}
	if (r->cur.entries == 1)
		r->cur_first_boot = r->now_boot;
	if (!clock) {
		r->since_tick = true;
		r->last_entry_boot = r->now_boot;
	}
	if (r->cur.len >= RECORD_BLOCK_BYTES)
		handoff(r);
}

void recorder_record(struct recorder *r, const void *data, size_t size)
{
	const void *clean;

	if (!r)
		return;
	if (!(clean = scrub_record(&r->scrub, data, size, &size)))
		add_lost(r, 1); /* too large to scrub: never stored whole */
	else if (room(r, size))
		added(r, trace_block_add(&r->cur, TRACE_RECORD, clean, size, NULL, 0), false);
}

void recorder_agent(struct recorder *r, uint32_t id, const char *name)
{
	if (r && room(r, strlen(name) + 16))
		added(r, trace_block_add_agent(&r->cur, id, name, NULL, 0), false);
}

static int agent_added(void *r, uint32_t id, const char *name)
{
	recorder_agent(r, id, name);
	return 0;
}

void recorder_agents(struct recorder *r, const struct agents *a, uint32_t *count,
		     uint64_t *renames)
{
	if (r)
		agents_each_new(a, count, renames, agent_added, r);
}

void recorder_proc(struct recorder *r, const struct proc_info *pi)
{
	struct trace_proc_view v = {
		.pid = pi->pid, .ppid = pi->ppid, .uid = pi->uid,
		.agent_pid = pi->agent_pid, .agent_id = pi->agent_id,
		.exe = pi->exe, .cwd = pi->cwd,
	};
	size_t need = 64 + (pi->exe ? strlen(pi->exe) : 0) + (pi->cwd ? strlen(pi->cwd) : 0);

	memcpy(v.comm, pi->comm, sizeof(v.comm) - 1);
	if (r && room(r, need))
		added(r, trace_block_add_proc(&r->cur, &v), false);
}

void recorder_tag(struct recorder *r, uint32_t tgid, uint32_t agent_pid, uint32_t agent_id)
{
	struct trace_tag t = { .tgid = tgid, .agent_pid = agent_pid, .agent_id = agent_id };

	if (r && room(r, sizeof(t)))
		added(r, trace_block_add(&r->cur, TRACE_TAG, &t, sizeof(t), NULL, 0), false);
}

void recorder_drop(struct recorder *r, uint64_t boot_ns, uint64_t lost)
{
	struct trace_drop d = { .ts_ns = boot_ns, .lost = lost };

	if (r && room(r, sizeof(d)))
		added(r, trace_block_add(&r->cur, TRACE_DROP, &d, sizeof(d), NULL, 0), false);
}

void recorder_unwatched(struct recorder *r, const struct trace_unwatched *u)
{
	if (r && room(r, sizeof(*u)))
		added(r, trace_block_add(&r->cur, TRACE_UNWATCHED, u, sizeof(*u), NULL, 0), false);
}

/* ask for a new file that starts with the state a replay needs */
static void start_file(struct recorder *r, uint64_t wall_ns)
{
	struct item *it = calloc(1, sizeof(*it));

	handoff(r);
	if (!it)
		return; /* the current file goes on; asked again at the next tick */
	it->kind = ITEM_ROTATE;
	it->wall_ns = wall_ns;
	push(r, it);
	r->file_wall = wall_ns;
	r->in_snapshot = true;
	r->snap(r, r->snap_arg);
	r->in_snapshot = false;
	handoff(r);
}

static void clock_entry(struct recorder *r)
{
	struct trace_tick t = { .boot_ns = r->now_boot, .wall_ns = r->now_wall };

	if (!r->since_tick && r->now_boot - r->last_entry_boot >= TICK_AFTER_NS)
		return;
	r->since_tick = false;
	if (room(r, sizeof(t)))
		added(r, trace_block_add(&r->cur, TRACE_TICK, &t, sizeof(t), NULL, 0), true);
}

/* report a failure once, retry every RECORD_RETRY_NS, report the resume */
static int watch_failure(struct recorder *r, char *err, size_t errlen)
{
	bool f;

	pthread_mutex_lock(&r->lock);
	f = r->failed;
	if (f != r->reported)
		snprintf(err, errlen, "%s", f ? r->st.reason : r->st.file);
	pthread_mutex_unlock(&r->lock);
	if (f && !r->reported) {
		r->reported = true;
		drop_cur(r);
		r->retry_boot = r->now_boot + RECORD_RETRY_NS;
		return -EIO;
	}
	if (f && r->now_boot >= r->retry_boot) {
		r->retry_boot = r->now_boot + RECORD_RETRY_NS;
		start_file(r, r->now_wall);
	}
	if (!f && r->reported) {
		r->reported = false;
		return 1;
	}
	return 0;
}

int recorder_tick(struct recorder *r, uint64_t boot_ns, uint64_t wall_ns,
		  char *err, size_t errlen)
{
	uint64_t file_bytes;

	if (!r)
		return 0;
	r->now_boot = boot_ns;
	r->now_wall = wall_ns;
	if (!r->reported)
		clock_entry(r);
	if (r->cur.entries && boot_ns - r->cur_first_boot >= RECORD_BLOCK_NS)
		handoff(r);
	pthread_mutex_lock(&r->lock);
	file_bytes = r->file_bytes;
	pthread_mutex_unlock(&r->lock);
	if (!r->reported && (file_bytes >= r->s.rotate_bytes || (wall_ns > r->file_wall &&
			     wall_ns - r->file_wall >= r->s.rotate_age_s * 1000000000ull))) {
		pthread_mutex_lock(&r->lock);
		r->file_bytes = 0; /* asked once; the writer sets it again */
		pthread_mutex_unlock(&r->lock);
		start_file(r, wall_ns);
	}
	return watch_failure(r, err, errlen);
}

void recorder_flush(struct recorder *r)
{
	handoff(r);
	pthread_mutex_lock(&r->lock);
	while (r->head || r->busy)
		pthread_cond_wait(&r->idle, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void recorder_status(struct recorder *r, struct record_status *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	st->failed = r->failed;
	pthread_mutex_unlock(&r->lock);
	st->masked = r->scrub.masked; /* the pipeline's thread, as status */
	st->scrub_evicted = r->scrub.evicted;
	st->scrub_h2_lost = r->scrub.h2_lost;
	st->scrub_h2_resumed = r->scrub.h2_resumed;
	st->scrub_h2_cut_kept = r->scrub.h2_cut_kept;
	st->scrub_h2_as_text = r->scrub.h2_forgotten + r->scrub.h2_nomem;
}

/* ---- set-up ---- */

static int check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;
	int r = am_mkdirs(dir, 0755, 0700); /* the parents 0755, like /var/lib */

	if (r) {
		snprintf(err, errlen, "cannot create the trace directory %s: %s", dir, strerror(-r));
		return r;
	}
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "the trace directory %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "the trace directory %s is not writable: %s", dir,
			 strerror(errno));
		return -EACCES;
	}
	return 0;
}

static void settings(struct recorder *r, const struct record_settings *s)
{
	struct utsname u;

	r->s = *s;
	r->s.rotate_bytes = s->rotate_bytes ? s->rotate_bytes : RECORD_ROTATE_BYTES;
	r->s.rotate_age_s = s->rotate_age_s ? s->rotate_age_s : RECORD_ROTATE_AGE_S;
	r->s.keep_age_s = s->keep_age_s ? s->keep_age_s : RECORD_KEEP_AGE_S;
	r->s.keep_bytes = s->keep_bytes ? s->keep_bytes : RECORD_KEEP_BYTES;
	r->s.queue_bytes = s->queue_bytes ? s->queue_bytes : RECORD_QUEUE_BYTES;
	r->info.version = TRACE_VERSION;
	r->info.abi = AM_ABI_VERSION;
	r->info.boot_to_real_ns = s->boot_to_real_ns;
	if (!uname(&u)) {
		snprintf(r->info.host, sizeof(r->info.host), "%s", u.nodename);
		snprintf(r->info.kernel, sizeof(r->info.kernel), "%s", u.release);
	}
}

int recorder_new(struct recorder **out, const struct record_settings *s,
		 record_snapshot_fn snap, void *arg, char *err, size_t errlen)
{
	struct recorder *r;
	int ret = check_dir(s->dir, err, errlen);

	if (ret)
		return ret;
	if (!(r = calloc(1, sizeof(*r))) || !(r->dir = strdup(s->dir)) || scrub_init(&r->scrub)) {
		if (r)
			free(r->dir);
		free(r);
		snprintf(err, errlen, "cannot start recording: out of memory");
		return -ENOMEM;
	}
	settings(r, s);
	r->snap = snap;
	r->snap_arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->idle, NULL);
	if ((ret = -am_thread_start(&r->thread, writer_main, r))) {
		snprintf(err, errlen, "cannot start the trace writer: %s", strerror(ret));
		scrub_release(&r->scrub);
		free(r->dir);
		free(r);
		return -ret;
	}
	r->now_boot = am_now_ns(CLOCK_BOOTTIME);
	r->now_wall = am_now_ns(CLOCK_REALTIME);
	start_file(r, r->now_wall);
	*out = r;
	return 0;
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	handoff(r);
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	trace_block_free(&r->cur);
	scrub_release(&r->scrub);
	pthread_cond_destroy(&r->cond);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->lock);
	free(r->dir);
	free(r);
}
