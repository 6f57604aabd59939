// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* scanq.c - the scanner thread and its bounded job queue (see scanq.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"
#include "scanq.h"

enum slot_state { SLOT_FREE, SLOT_WAITING, SLOT_RUNNING, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint64_t seq;                 /* push order: the oldest waiting runs first */
	struct scanq_job job;
};

struct scanq {
	pthread_mutex_t lock;         /* guards everything below but efd, work */
	pthread_cond_t wake;          /* a job waits, or stop */
	pthread_t thread;
	bool stop;
	atomic_bool cancel;           /* read by the running scan, unlocked */
	uint64_t seq;
	struct slot slots[SCANQ_MAX];
	struct scanq_stats st;
	int efd;
	scanq_work_fn work;
};

bool scanq_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* whether waiting slot a runs before b: executables first (an agent's own
 * binary, not the many libraries a python loads), then the oldest */
static bool before(const struct slot *a, const struct slot *b)
{
	if (a->job.object != b->job.object)
		return !a->job.object;
	return a->seq < b->seq;
}

/* the waiting slot to run next, or NULL (locked) */
static struct slot *next_waiting(struct scanq *q)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < SCANQ_MAX; i++)
		if (q->slots[i].state == SLOT_WAITING && (!best || before(&q->slots[i], best)))
			best = &q->slots[i];
	return best;
}

/* a finished job counted once the loop took it (locked) */
static void count_done(struct scanq *q, const struct tls_scan *s)
{
	q->st.done++;
	q->st.depth--;
	q->st.timed_out += tls_scan_timed_out(s);
	q->st.failed += tls_scan_failed(s);
	if (s->ns > q->st.max_ns)
		q->st.max_ns = s->ns;
}

static void *worker(void *arg)
{
	struct scanq *q = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct slot *s = NULL;
		struct tls_scan res;

		while (!q->stop && !(s = next_waiting(q)))
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->stop)
			break;
		s->state = SLOT_RUNNING;
		pthread_mutex_unlock(&q->lock);
		q->work(s->job.fd, &q->cancel, &res); /* the fd is read, never changed, by the worker */
		pthread_mutex_lock(&q->lock);
		s->job.scan = res;
		s->state = SLOT_DONE;
		if (write(q->efd, &one, sizeof(one)) < 0) {
			/* a full counter still reads as readable: nothing lost */
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int scanq_new(struct scanq **out, scanq_work_fn work)
{
	struct scanq *q = calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (!q)
		return -ENOMEM;
	q->work = work ? work : tls_scan_fd_until;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		rc = -errno;
		free(q);
		return rc;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	rc = am_thread_start(&q->thread, worker, q);
	if (rc) {
		close(q->efd);
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void scanq_free(struct scanq *q)
{
	if (!q)
		return;
	atomic_store(&q->cancel, true);
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (size_t i = 0; i < SCANQ_MAX; i++)
		if (q->slots[i].state != SLOT_FREE)
			close(q->slots[i].job.fd);
	close(q->efd);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* the slot holding st's identity as an object or not (any: either), or
 * NULL (locked) */
static struct slot *slot_of(struct scanq *q, const struct stat *st, bool any, bool object)
{
	for (size_t i = 0; i < SCANQ_MAX; i++)
		if (q->slots[i].state != SLOT_FREE && scanq_same_file(&q->slots[i].job.st, st) &&
		    (any || q->slots[i].job.object == object))
			return &q->slots[i];
	return NULL;
}

/* job's process joins s's scan, to be told its result: once per
 * executable (the latest process of it: the likeliest still alive when the
 * result comes); past SCANQ_JOINERS counted untold (locked; the worker
 * reads only the job's fd) */
static void join(struct scanq *q, struct slot *s, const struct scanq_job *job)
{
	struct scanq_job *j = &s->job;

	q->st.joined++;
	if (!job->label[0])
		return;
	if (!strncmp(j->label, job->label, SCANQ_NAME)) {
		j->pid = job->pid;
		return;
	}
	for (uint32_t i = 0; i < j->n_joiners; i++)
		if (!strncmp(j->joiners[i].label, job->label, SCANQ_NAME)) {
			j->joiners[i].pid = job->pid;
			return;
		}
	if (j->n_joiners == SCANQ_JOINERS) {
		q->st.untold++;
		return;
	}
	j->joiners[j->n_joiners].pid = job->pid;
	snprintf(j->joiners[j->n_joiners].label, SCANQ_NAME, "%s", job->label);
	j->n_joiners++;
}

int scanq_push(struct scanq *q, const struct scanq_job *job)
{
	struct slot *s = NULL;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if ((s = slot_of(q, &job->st, false, job->object))) {
		join(q, s, job);
		rc = -EALREADY;
		goto out;
	}
	for (size_t i = 0; i < SCANQ_MAX && !s; i++)
		if (q->slots[i].state == SLOT_FREE)
			s = &q->slots[i];
	if (!s) {
		q->st.dropped++;
		rc = -ENOSPC;
		goto out;
	}
	s->job = *job;
	s->job.n_joiners = 0;
	s->seq = q->seq++;
	s->state = SLOT_WAITING;
	q->st.queued++;
	q->st.depth++;
	pthread_cond_signal(&q->wake);
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

bool scanq_has(struct scanq *q, const struct stat *st)
{
	bool has;

	pthread_mutex_lock(&q->lock);
	has = slot_of(q, st, true, false) != NULL;
	pthread_mutex_unlock(&q->lock);
	return has;
}

int scanq_fd(const struct scanq *q)
{
	return q->efd;
}

bool scanq_pop(struct scanq *q, struct scanq_job *out)
{
	uint64_t n;
	bool found = false;

	if (read(q->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: no wakeup pending; the slots are looked at anyway */
	}
	pthread_mutex_lock(&q->lock);
	for (size_t i = 0; i < SCANQ_MAX && !found; i++) {
		if (q->slots[i].state != SLOT_DONE)
			continue;
		*out = q->slots[i].job;
		q->slots[i].state = SLOT_FREE;
		count_done(q, &out->scan);
		found = true;
	}
	pthread_mutex_unlock(&q->lock);
	return found;
}

void scanq_stats(struct scanq *q, struct scanq_stats *out)
{
	pthread_mutex_lock(&q->lock);
	*out = q->st;
	pthread_mutex_unlock(&q->lock);
}
