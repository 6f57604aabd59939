// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * export_nats.c - the export's worker thread (see export.h): queue ->
 * spool -> JetStream asynchronous publish (libnats) -> acks.
 *
 * A round starts at EXPORT_WAKE_QUEUED queued messages, an alert,
 * EXPORT_WAKE_ACKS answers (export_int.h) or ROUND_NS after the last (fewer
 * wakeups: 256 messages cost one spool write and one wakeup, not 256).
 * Each round: take the whole queue (a pointer swap under mu), append it to
 * the spool in one write, forget the acked prefix of the window, retry the
 * failed ones (after a capped backoff), then fill the window from the
 * spool.  libnats's threads run on_ack and the connection callbacks: they
 * only change slot states and figures under mu and wake the worker
 * when it is due; their closure is x->link, which outlives the export when a
 * callback may still come, and a callback of a connection that is not the
 * live one is ignored.  The
 * connection retries by itself (reconnect forever); one that ends (closed:
 * refused credentials) is made anew after a backoff.  Errors are kept in
 * last_error for export_news: nothing here prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "common.h"
#include "export_int.h"

#define PUB_WAIT_MS 3000
#define ROUND_NS 50000000ull
#define BACKOFF_MIN_NS 250000000ull
#define BACKOFF_MAX_NS 10000000000ull
#define CONNECT_MAX_NS 30000000000ull
#define SYNC_EVERY_NS 200000000ull
#define GRACE_NS 2000000000ull
#define CHUNK 256

/* the worker's clock: monotonic ns */
static uint64_t now_ns(void)
{
	return am_now_ns(CLOCK_MONOTONIC);
}

/* last_error (mu held) */
static void say(struct export *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct export *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->last_error, sizeof(x->last_error), fmt, ap);
	va_end(ap);
}

/* ---- libnats's threads ---- */

/* the export of a callback's closure, with the link's mu held (link_put
 * releases it); NULL when the export let go of it (nothing held) */
static struct export *link_get(void *closure)
{
	struct export_link *l = closure;
	struct export *x;

	pthread_mutex_lock(&l->mu);
	if (!(x = l->x))
		pthread_mutex_unlock(&l->mu);
	return x;
}

static void link_put(struct export *x)
{
	pthread_mutex_unlock(&x->link->mu);
}

/* the window slot that published msg (mu held): the one after the last
 * found first (acks come in order); a pointer compared, no header read */
static struct export_slot *find(struct export *x, const natsMsg *msg)
{
	size_t start = (x->guess + EXPORT_WINDOW - x->wh) % EXPORT_WINDOW;

	if (start >= x->wn)
		start = 0;
	for (size_t k = 0; k < x->wn; k++) {
		size_t i = (x->wh + (start + k) % x->wn) % EXPORT_WINDOW;

		if (x->slots[i].state == SLOT_SENT && x->slots[i].sent == msg) {
			x->guess = (i + 1) % EXPORT_WINDOW;
			return &x->slots[i];
		}
	}
	return NULL;
}

/* last_error for a refused or unanswered publish: one text for every type (said once) */
static void describe(struct export *x, const jsPubAckErr *pae)
{
	if (pae->Err == NATS_NO_RESPONDERS)
		say(x, "no JetStream stream takes subjects %s.* (the operator creates it, e.g. on "
		    "%.*s.>)", x->subject, (int)strcspn(x->subject, "."), x->subject);
	else if (pae->Err == NATS_TIMEOUT && !x->last_error[0])
		say(x, "no ack within %d ms on %s.* (server away, or no permission to publish)",
		    PUB_WAIT_MS, x->subject);
	else if (pae->Err != NATS_TIMEOUT)
		say(x, "JetStream refused a message on %s.*: %s (%d)", x->subject,
		    pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err), (int)pae->ErrCode);
}

/*
 * libnats: the answer to one asynchronous publish (an ack, an error, a
 * timeout).  Acked: the slot is done and msg destroyed; else the slot keeps
 * msg for the retry.  A message no slot waits for (sent before a reconnect
 * cleared the window) is dropped: the spool sends it again.  The worker is
 * woken by a failure, every EXPORT_WAKE_ACKS answers, the window all
 * answered, or while stopping; else its round timer takes the acks.
 */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct export *x = link_get(closure);
	struct export_slot *s;

	if (!x) {
		natsMsg_Destroy(msg);
		return;
	}
	pthread_mutex_lock(&x->mu);
	s = find(x, msg);
	if (s && pa) {
		s->state = SLOT_ACKED;
		x->acked++;
		x->duplicates += pa->Duplicate;
		x->last_error[0] = x->said[0] = '\0';  /* a later problem is said again */
	} else if (s) {
		s->state = SLOT_FAILED;
		s->msg = msg;
		msg = NULL;
		x->failed++;
		if (pae)
			describe(x, pae);
	}
	x->answers++;
	if (!pa || x->stopping || x->answers >= EXPORT_WAKE_ACKS || x->answers >= x->wn) {
		x->acks_moved = true;
		pthread_cond_signal(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	link_put(x);
	natsMsg_Destroy(msg);
}

/* libnats: the connection went up, down, or ended for good (closed); one
 * that is not the live one (ended: its closed callback came late) changes nothing */
static void set_connected(natsConnection *nc, void *closure, bool up, bool closed)
{
	struct export *x = link_get(closure);
	const char *txt = NULL;

	if (!x)
		return;
	pthread_mutex_lock(&x->mu);
	if (nc != x->live_nc) {
		pthread_mutex_unlock(&x->mu);
		link_put(x);
		return;
	}
	x->connected = up;
	if (!up && nc && natsConnection_GetLastError(nc, &txt) != NATS_OK && txt && *txt)
		say(x, "connection to %s: %s", x->url, txt);
	else if (!up && !x->stopping)
		say(x, "connection to %s lost, reconnecting", x->url);
	if (closed)
		x->nats_closed = true;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	link_put(x);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	set_connected(nc, closure, true, false);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	set_connected(nc, closure, false, false);
}

static void on_closed(natsConnection *nc, void *closure)
{
	set_connected(nc, closure, false, true);
}

/* libnats: an asynchronous error (a permissions violation): last_error */
static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	struct export *x = link_get(closure);
	const char *txt = NULL;

	if (!x)
		return;
	natsConnection_GetLastError(nc, &txt);
	pthread_mutex_lock(&x->mu);
	if (err == NATS_NOT_PERMITTED || (txt && strcasestr(txt, "permissions violation")))
		say(x, "permissions violation: the server refuses this user publishing on %s.* "
		    "(it needs publish on them and subscribe on _INBOX.>)", x->subject);
	else
		say(x, "server: %s", txt && *txt ? txt : natsStatus_GetText(err));
	pthread_mutex_unlock(&x->mu);
	link_put(x);
}

/* ---- connection ---- */

/* the connection's options: URL, TLS, credentials, reconnect forever, callbacks */
static natsStatus options(struct export *x, natsOptions **out)
{
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);
	char name[300];

	snprintf(name, sizeof(name), "agentmon %s", x->host);
	if (!s)
		s = natsOptions_SetURL(o, x->url);
	if (!s && !strncmp(x->url, "tls://", 6))
		s = natsOptions_SetSecure(o, true);
	if (!s && x->ca_file)
		s = natsOptions_LoadCATrustedCertificates(o, x->ca_file);
	if (!s && x->cert_file)
		s = natsOptions_LoadCertificatesChain(o, x->cert_file, x->key_file);
	if (!s && x->creds_file)
		s = natsOptions_SetUserCredentialsFromFiles(o, x->creds_file, NULL);
	if (!s && x->user)
		s = natsOptions_SetUserInfo(o, x->user, x->password);
	if (!s)
		s = natsOptions_SetName(o, name);
	if (!s)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (!s)
		s = natsOptions_SetReconnectWait(o, 500);
	if (!s)
		s = natsOptions_SetTimeout(o, 2000);
	if (!s)
		s = natsOptions_SetPingInterval(o, 5000);
	if (!s)
		s = natsOptions_SetErrorHandler(o, on_error, x->link);
	if (!s)
		s = natsOptions_SetDisconnectedCB(o, on_disconnected, x->link);
	if (!s)
		s = natsOptions_SetReconnectedCB(o, on_reconnected, x->link);
	if (!s)
		s = natsOptions_SetClosedCB(o, on_closed, x->link);
	if (s)
		natsOptions_Destroy(o);
	else
		*out = o;
	return s;
}

/*
 * the connector thread: one attempt (not retried by libnats, so that a
 * refusal says why: "Authorization Violation", a TLS failure), handed
 * back under mu; the worker goes on spooling meanwhile
 */
static void *connector(void *arg)
{
	struct export *x = arg;
	natsOptions *o = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	natsStatus s = options(x, &o);
	char why[200] = "";

	if (!s) {
		s = natsConnection_Connect(&nc, o);
		natsOptions_Destroy(o);
	}
	if (!s) {
		jsOptions_Init(&jo);
		jo.PublishAsync.AckHandler = on_ack;
		jo.PublishAsync.AckHandlerClosure = x->link;
		jo.PublishAsync.MaxPending = 2 * EXPORT_WINDOW;
		s = natsConnection_JetStream(&js, nc, &jo);
	}
	if (s) {
		const char *txt = nats_GetLastError(NULL);
		const char *p = txt ? strstr(txt, "): ") : NULL;   /* "(conn.c:1905): why" */

		snprintf(why, sizeof(why), "%s", p ? p + 3 : txt && *txt ? txt :
			 natsStatus_GetText(s));
		natsConnection_Destroy(nc);
		nc = NULL;
	}
	pthread_mutex_lock(&x->mu);
	x->new_nc = nc;
	x->new_js = js;
	x->live_nc = nc;   /* its callbacks count from now on */
	if (s)
		say(x, "cannot connect to %s: %s", x->url, why);
	x->connect_done = true;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* start an attempt, or take its result: connected, or a later attempt (backoff) */
static void connect_step(struct export *x, uint64_t now)
{
	bool done;

	if (!x->connecting) {
		if (now < x->connect_at_ns)
			return;
		x->connect_done = false;
		x->connecting = !am_thread_start(&x->connect_th, connector, x);
		if (!x->connecting)
			x->connect_at_ns = now + CONNECT_MAX_NS / 6;
		return;
	}
	pthread_mutex_lock(&x->mu);
	done = x->connect_done;
	pthread_mutex_unlock(&x->mu);
	if (!done)
		return;
	pthread_join(x->connect_th, NULL);
	x->connecting = false;
	pthread_mutex_lock(&x->mu);
	x->nc = x->new_nc;
	x->js = x->new_js;
	x->connected = x->nc != NULL;
	x->nats_closed = false;
	pthread_mutex_unlock(&x->mu);
	if (x->nc) {
		x->connect_backoff_ns = 0;
		return;
	}
	x->connect_backoff_ns = x->connect_backoff_ns ? x->connect_backoff_ns * 2 : 1000000000ull;
	if (x->connect_backoff_ns > CONNECT_MAX_NS)
		x->connect_backoff_ns = CONNECT_MAX_NS;
	x->connect_at_ns = now + x->connect_backoff_ns;
}

/* end the connection: what libnats still holds comes back (no callback after) */
static void disconnect_nats(struct export *x)
{
	natsMsgList pending = { 0 };
	uint64_t until = now_ns() + GRACE_NS;

	if (!x->nc)
		return;
	/* (libnats 3.4 crashes there before a first asynchronous publish) */
	if (x->published && js_PublishAsyncGetPendingList(&pending, x->js) == NATS_OK)
		natsMsgList_Destroy(&pending);
	x->published = false;
	jsCtx_Destroy(x->js);
	natsConnection_Close(x->nc);
	pthread_mutex_lock(&x->mu);
	while (!x->nats_closed && now_ns() < until) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	}
	x->close_pending |= !x->nats_closed;   /* its closed callback may come after */
	x->live_nc = NULL;
	x->connected = false;
	pthread_mutex_unlock(&x->mu);
	natsConnection_Destroy(x->nc);
	x->nc = x->js = NULL;
	pthread_mutex_lock(&x->mu);
	for (size_t k = 0; k < x->wn; k++) {
		struct export_slot *s = &x->slots[(x->wh + k) % EXPORT_WINDOW];

		natsMsg_Destroy(s->msg);
		s->msg = NULL;
		s->state = 0;
	}
	x->wn = 0;   /* what was unacked is read from the spool again */
	pthread_mutex_unlock(&x->mu);
	export_spool_rewind(x->spool);
}

/* ---- the worker ---- */

/* the queue taken: into the spool (what does not fit is lost) */
static void spool_batch(struct export *x, struct export_q *q, size_t n)
{
	struct xspool_rec recs[CHUNK];

	for (size_t at = 0; at < n; at += CHUNK) {
		size_t m = n - at < CHUNK ? n - at : CHUNK;
		int k;

		for (size_t i = 0; i < m; i++) {
			const struct export_q *e = &q[at + i];

			recs[i] = (struct xspool_rec){
				.id = e->data, .id_len = e->id_len,
				.subject = e->data + e->id_len + 1, .subject_len = e->subject_len,
				.body = e->data + e->id_len + e->subject_len + 2,
				.body_len = e->body_len };
		}
		k = export_spool_append(x->spool, recs, m);
		if (k < (int)m)
			__atomic_add_fetch(&x->lost, m - (k < 0 ? 0 : (size_t)k), __ATOMIC_RELAXED);
		if (k < 0) {
			pthread_mutex_lock(&x->mu);
			say(x, "cannot write the spool: %s", strerror(-k));
			pthread_mutex_unlock(&x->mu);
		}
		for (size_t i = 0; i < m; i++)
			free(q[at + i].data);
	}
}

/* the acked prefix of the window leaves it and the spool; a failure delays retries */
static void settle(struct export *x)
{
	struct xspool_pos end = { 0 };
	uint64_t n = 0;
	bool failed = false;

	pthread_mutex_lock(&x->mu);
	while (x->wn && x->slots[x->wh].state == SLOT_ACKED) {
		end = x->slots[x->wh].end;
		x->wh = (x->wh + 1) % EXPORT_WINDOW;
		x->wn--;
		n++;
	}
	for (size_t k = 0; k < x->wn && !failed; k++)
		failed = x->slots[(x->wh + k) % EXPORT_WINDOW].state == SLOT_FAILED;
	pthread_mutex_unlock(&x->mu);
	if (n)
		export_spool_acked(x->spool, end, n);
	if (failed && !x->retry_at_ns) {
		x->backoff_ns = x->backoff_ns ? x->backoff_ns * 2 : BACKOFF_MIN_NS;
		if (x->backoff_ns > BACKOFF_MAX_NS)
			x->backoff_ns = BACKOFF_MAX_NS;
		x->retry_at_ns = now_ns() + x->backoff_ns;
	} else if (!failed && n) {
		x->backoff_ns = 0;
	}
}

/* publish msg for slot s (marked sent, msg in s->sent: its ack may come at
 * once); 0, or -EIO with the slot failed */
static int publish(struct export *x, struct export_slot *s, natsMsg *msg)
{
	jsPubOptions po;
	natsStatus st;

	jsPubOptions_Init(&po);
	po.MaxWait = PUB_WAIT_MS;
	x->published = true;
	st = js_PublishMsgAsync(x->js, &msg, &po);
	if (st == NATS_OK)
		return 0;
	pthread_mutex_lock(&x->mu);
	s->state = SLOT_FAILED;
	s->msg = msg;
	x->failed++;
	say(x, "publish: %s", natsStatus_GetText(st));
	pthread_mutex_unlock(&x->mu);
	return -EIO;
}

/* the failed slots again, in order, once their backoff is over */
static int resend(struct export *x)
{
	for (size_t k = 0; k < x->wn; k++) {
		struct export_slot *s = &x->slots[(x->wh + k) % EXPORT_WINDOW];
		natsMsg *m;

		pthread_mutex_lock(&x->mu);
		m = s->state == SLOT_FAILED ? s->msg : NULL;
		if (s->state == SLOT_FAILED && m) {
			s->state = SLOT_SENT;
			s->sent = m;
			s->msg = NULL;
		}
		pthread_mutex_unlock(&x->mu);
		if (m && publish(x, s, m))
			return -EIO;
	}
	return 0;
}

/* a message of the spool into a new natsMsg */
static natsMsg *make_msg(const struct xspool_rec *r, char *id)
{
	char subj[XSPOOL_SUBJECT_MAX + 1];
	natsMsg *m = NULL;

	memcpy(subj, r->subject, r->subject_len);
	subj[r->subject_len] = '\0';
	memcpy(id, r->id, r->id_len);
	id[r->id_len] = '\0';
	if (natsMsg_Create(&m, subj, NULL, r->body, (int)r->body_len) != NATS_OK)
		return NULL;
	if (natsMsgHeader_Set(m, "Nats-Msg-Id", id) != NATS_OK) {
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

/* the window filled from the spool; whether the spool has nothing more */
static bool fill(struct export *x)
{
	while (x->wn < EXPORT_WINDOW) {
		struct export_slot *s = &x->slots[(x->wh + x->wn) % EXPORT_WINDOW];
		struct xspool_rec r;
		struct xspool_pos end;
		natsMsg *m;
		int p = export_spool_next(x->spool, &r, &end);

		if (p <= 0)
			return p == 0;
		pthread_mutex_lock(&x->mu);
		m = make_msg(&r, s->id);
		s->end = end;
		s->msg = NULL;
		s->sent = m;
		s->state = m ? SLOT_SENT : SLOT_ACKED;  /* out of memory: let go, counted */
		x->wn++;
		pthread_mutex_unlock(&x->mu);
		if (!m)
			__atomic_add_fetch(&x->lost, 1, __ATOMIC_RELAXED);
		if (!m || publish(x, s, m))
			return false;
	}
	return false;
}

/* wait for work (a round at most: fewer than EXPORT_WAKE_QUEUED queued and
 * no alert wait for the timer), take the queue; whether stopping */
static bool take(struct export *x, struct export_q **q, size_t *n)
{
	bool stop;

	pthread_mutex_lock(&x->mu);
	/* stopping: waits for the last acks (each one wakes it) */
	if (!x->urgent && !x->acks_moved && x->qn < (x->stopping ? 1 : EXPORT_WAKE_QUEUED)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += ROUND_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	}
	*q = x->q;
	*n = x->qn;
	x->q = x->q2;
	x->q2 = *q;
	x->qn = 0;
	x->urgent = x->acks_moved = false;
	x->answers = 0;
	stop = x->stopping;
	pthread_mutex_unlock(&x->mu);
	return stop;
}

/* spool figures for status, the spool synced now and then, a closed connection anew */
static void housekeep(struct export *x, uint64_t now)
{
	bool closed;

	if (now - x->synced_ns >= SYNC_EVERY_NS) {
		x->synced_ns = now;
		export_spool_sync(x->spool);
	}
	pthread_mutex_lock(&x->mu);
	export_spool_stats(x->spool, &x->st);
	closed = x->nats_closed;
	pthread_mutex_unlock(&x->mu);
	if (closed && x->nc) {
		disconnect_nats(x);
		x->connect_at_ns = now + BACKOFF_MAX_NS / 2;
	}
	if (!x->nc)
		connect_step(x, now);
}

/* the worker thread: rounds until stopped, then the last acks (2 s at most) */
static void *worker(void *arg)
{
	struct export *x = arg;
	uint64_t grace = 0;

	for (;;) {
		struct export_q *q;
		size_t n;
		bool stop = take(x, &q, &n), drained = false, up;
		uint64_t now = now_ns();

		spool_batch(x, q, n);
		settle(x);
		if (stop && !grace)
			grace = now + GRACE_NS;
		pthread_mutex_lock(&x->mu);
		up = x->connected && x->js;
		pthread_mutex_unlock(&x->mu);
		if (up && x->retry_at_ns <= now) {
			x->retry_at_ns = 0;
			if (!resend(x))
				drained = fill(x);
		}
		housekeep(x, now);
		if (stop && (!up || now >= grace || (drained && !x->wn)))
			break;
	}
	settle(x);
	if (x->connecting) {       /* an attempt lasts at most its timeout */
		pthread_join(x->connect_th, NULL);
		x->connecting = false;
		x->nc = x->new_nc;
		x->js = x->new_js;
	}
	disconnect_nats(x);
	export_spool_sync(x->spool);
	return NULL;
}

int export_worker_start(struct export *x, char *err, size_t errlen)
{
	int r;

	if (!(x->q2 = calloc(EXPORT_QUEUE_MAX, sizeof(*x->q2))) ||
	    !(x->link = calloc(1, sizeof(*x->link))))
		return -ENOMEM;
	pthread_mutex_init(&x->link->mu, NULL);
	x->link->x = x;
	if ((r = am_thread_start(&x->th, worker, x))) {
		pthread_mutex_destroy(&x->link->mu);
		free(x->link);
		x->link = NULL;
		snprintf(err, errlen, "export.nats: cannot start its thread: %s", strerror(-r));
		return r;
	}
	x->started = true;
	return 0;
}

void export_worker_stop(struct export *x)
{
	if (!x->started)
		return;
	pthread_mutex_lock(&x->mu);
	x->stopping = true;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->th, NULL);
	x->started = false;
	pthread_mutex_lock(&x->link->mu);   /* a callback in progress ends first */
	x->link->x = NULL;
	pthread_mutex_unlock(&x->link->mu);
	if (!x->close_pending) {   /* else a late closed callback finds it, empty */
		pthread_mutex_destroy(&x->link->mu);
		free(x->link);
	}
	x->link = NULL;
}
