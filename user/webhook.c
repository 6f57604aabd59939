// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * webhook.c - alert delivery (see webhook.h).
 *
 * The caller's thread formats the body and puts it on a queue (grown in a
 * burst: an alert is refused only beyond spool_max alerts held); the
 * worker moves queued bodies to the spool (always first, even while
 * stopping), then delivers the oldest spooled alert when its retry time has
 * come.  All shared state is under w->lock; the worker drops the lock for
 * disk and network I/O.  The only state read without the lock is
 * w->deadline_ns, which aborts a transfer in flight when the grace period
 * of webhook_stop ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alertq.h"
#include "common.h"
#include "escape.h"
#include "json.h"
#include "output.h"
#include "spool.h"
#include "intent.h"
#include "storm.h"
#include "webhook.h"

#define WEBHOOK_SPOOL_BATCH 64   /* alerts spooled at once (one sync) */

struct webhook {
	char *url;
	bool slack;
	unsigned char *secret;
	size_t secret_len;
	struct webhook_settings set;
	struct spool *spool;
	CURL *curl;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct alertq q;        /* in memory and spooled, to deliver */
	bool stopping;
	uint64_t deadline_ns;   /* grace end, 0 until stopping */
	uint64_t hold_ns;       /* the endpoint is unreachable: no attempt before */
	unsigned backoff_ms;    /* of the hold */
	unsigned unreachable;   /* transport failures in a row */
	uint64_t rng;
	struct webhook_status st;
};

static uint64_t now_ns(void)
{
	return am_now_ns(CLOCK_MONOTONIC);
}

/* ---- signature, ids, bodies ---- */

int webhook_sign(const void *key, size_t keylen, const void *body, size_t len, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, body, len, md, &mdlen) || mdlen != 32)
		return -EIO;
	memcpy(out, "sha256=", 7);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* a random id: 16 bytes in hex */
static void new_id(struct webhook *w, char id[SPOOL_ID_LEN + 1])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		uint64_t x[2] = { now_ns() ^ w->rng, ++w->rng * 0x9e3779b97f4a7c15ull };

		memcpy(b, x, sizeof(b));
	}
	hex(b, sizeof(b), id);
}

/* the body for alert: its JSON line, or Slack's {"text": ...} */
static int build_body(struct webhook *w, const struct event *alert, struct alertq_item *it)
{
	struct jw j;

	jw_init(&j);
	if (!w->slack) {
		output_event_json(&j, alert);
	} else {
		const struct event_alert *a = alert->alert;
		char text[2048], safe[4 * sizeof(text)];
		int n = snprintf(text, sizeof(text), "ALERT %s %s: %s [%s]", a->severity, a->rule,
				 a->summary, a->chain ? a->chain : "");

		if (a->intent && n > 0 && (size_t)n + 1 < sizeof(text)) {
			text[n++] = '\n';
			intent_text(a->intent, text + n, sizeof(text) - (size_t)n);
		}
		escape_slack(safe, sizeof(safe), text); /* "<!channel>" is not Slack's to act on */
		jw_obj_begin(&j);
		jw_key(&j, "text");
		jw_str(&j, safe);
		jw_obj_end(&j);
	}
	if (j.oom) {
		jw_free(&j);
		return -ENOMEM;
	}
	it->body = j.buf;
	it->len = j.len;
	return 0;
}

/* ---- one attempt ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* abort a transfer in flight once the grace period is over */
static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct webhook *w = arg;
	uint64_t d = __atomic_load_n(&w->deadline_ns, __ATOMIC_RELAXED);

	return d && now_ns() >= d;
}

static struct curl_slist *headers(struct webhook *w, const char *id, const char *body,
				  size_t len)
{
	struct curl_slist *h = NULL, *t;
	char line[128], sig[72];

	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Agentmon-Alert-Id: %s", id);
	if (h && (t = curl_slist_append(h, line)))
		h = t;
	if (h && w->secret && !webhook_sign(w->secret, w->secret_len, body, len, sig)) {
		snprintf(line, sizeof(line), "X-Agentmon-Signature: %s", sig);
		if ((t = curl_slist_append(h, line)))
			h = t;
	}
	return h;
}

char *webhook_envelope(const char *id, uint64_t sent_ns, const char *body, size_t len,
		       size_t *out_len)
{
	char ts[40], head[128];
	time_t sec = (time_t)(sent_ns / 1000000000ull);
	struct tm tm;
	size_t n;
	char *out;

	if (!len || body[0] != '{')
		return NULL;
	gmtime_r(&sec, &tm);
	n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%09lluZ", (unsigned long long)(sent_ns % 1000000000ull));
	n = (size_t)snprintf(head, sizeof(head), "{\"alert_id\":\"%.32s\",\"sent_at\":\"%s\"%s",
			     id, ts, len > 2 && body[1] != '}' ? "," : "");
	if (!(out = malloc(n + len)))
		return NULL;
	memcpy(out, head, n);
	memcpy(out + n, body + 1, len - 1); /* the body's members and its closing brace */
	*out_len = n + len - 1;
	return out;
}

/*
 * POST body with its alert_id and this attempt's send time inside (so that
 * the signature covers both); the HTTP status, or 0 with err set on a
 * transport failure, and *unreachable when the endpoint could not be
 * reached at all (not resolved, refused)
 */
static long post(struct webhook *w, const char *id, const char *spooled, size_t slen,
		 char *err, size_t errlen, bool *unreachable)
{
	size_t len = 0;
	char *body = webhook_envelope(id, am_now_ns(CLOCK_REALTIME), spooled, slen, &len);
	struct curl_slist *h;
	CURLcode rc;
	long status = 0;

	*unreachable = false;
	if (!body) {
		snprintf(err, errlen, "cannot build the request body");
		return 0;
	}
	h = headers(w, id, body, len);
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(w->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	*unreachable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		       rc == CURLE_COULDNT_RESOLVE_PROXY;
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	free(body);
	return status;
}

static int curl_setup(struct webhook *w)
{
	if (!(w->curl = curl_easy_init()))
		return -ENOMEM;
	curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, (long)w->set.timeout_ms);
	curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)w->set.connect_timeout_ms);
	curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "agentmon/" AM_VERSION);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}

/* ---- worker ---- */

static bool permanent(long status)
{
	return status >= 400 && status < 500 && status != 408 && status != 425 && status != 429;
}

/* next delay: backoff with jitter in [b/2, b], then double the backoff (capped) */
static uint64_t next_delay_ns(struct webhook *w)
{
	unsigned b = w->backoff_ms ? w->backoff_ms : w->set.backoff_min_ms;
	uint64_t d;

	w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17;
	d = b / 2 + w->rng % (b / 2 + 1);
	w->backoff_ms = b >= w->set.backoff_max_ms / 2 ? w->set.backoff_max_ms : b * 2;
	return d * 1000000ull;
}

/* forget alert i and its spool file (lock held): delivered, or set aside
 * (a permanent refusal, an unreadable file) */
static void finish(struct webhook *w, size_t i, bool aside)
{
	char name[ALERTQ_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%s", w->q.v[i].name);
	alertq_remove(&w->q, i);
	if (name[0])
		(aside ? spool_set_aside : spool_remove)(w->spool, name);
}

static void set_error(struct webhook *w, long status, const char *err)
{
	if (status)
		snprintf(w->st.last_error, sizeof(w->st.last_error), "HTTP %ld", status);
	else
		snprintf(w->st.last_error, sizeof(w->st.last_error), "%s", err);
}

/*
 * record the outcome of one attempt on alert i (lock held).  A failure
 * delays that alert alone (its own backoff); only an endpoint that cannot
 * be reached, or two transport failures in a row, hold every attempt.
 */
static void outcome(struct webhook *w, size_t i, long status, const char *err, bool unreachable)
{
	uint64_t now = now_ns();

	if (status >= 200 && status < 300) {
		finish(w, i, false);
		w->st.delivered++;
		w->backoff_ms = 0;
		w->unreachable = 0;
		return;
	}
	set_error(w, status, err);
	if (permanent(status)) {
		finish(w, i, true);
		w->st.rejected++;
		return;
	}
	w->st.failed++;
	w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17;
	alertq_retry(&w->q, i, now, w->set.backoff_min_ms, w->set.backoff_max_ms, w->rng);
	w->unreachable = status ? 0 : w->unreachable + 1;
	if (unreachable || w->unreachable >= 2)
		w->hold_ns = now + next_delay_ns(w);
	else if (status)
		w->backoff_ms = 0;
}

/* deliver alert i once (lock held, dropped meanwhile) */
static void attempt(struct webhook *w, size_t i)
{
	char id[SPOOL_ID_LEN + 1], name[ALERTQ_NAME_LEN + 1], err[128] = "";
	bool unreachable = false;
	char *body = NULL;
	size_t len = 0;
	long status = 0;
	int r;

	w->q.v[i].busy = true;
	memcpy(id, w->q.v[i].id, sizeof(id));
	memcpy(name, w->q.v[i].name, sizeof(name));
	pthread_mutex_unlock(&w->lock);
	r = spool_read(w->spool, name, &body, &len);
	if (!r)
		status = post(w, id, body, len, err, sizeof(err), &unreachable);
	free(body);
	pthread_mutex_lock(&w->lock);
	w->q.v[i].busy = false; /* the index held: only this thread removes */
	if (r) {
		snprintf(w->st.last_error, sizeof(w->st.last_error), "spool: %s", strerror(-r));
		finish(w, i, true);
		w->st.rejected++;
	} else if (!w->q.v[i].dead || (status >= 200 && status < 300)) {
		outcome(w, i, status, err, unreachable);
	}
}

/* the alerts of one group commit to the spool */
struct batch {
	size_t n;
	size_t idx[WEBHOOK_SPOOL_BATCH];
	char names[WEBHOOK_SPOOL_BATCH][SPOOL_NAME_LEN + 1];
	struct { const char *body; size_t len; char id[SPOOL_ID_LEN + 1]; } it[WEBHOOK_SPOOL_BATCH];
};

/* write b's alerts to the spool, durable at once; b->names[k] "" for each
 * that failed */
static void batch_write(struct webhook *w, struct batch *b)
{
	size_t staged = 0, at[WEBHOOK_SPOOL_BATCH];
	char names[WEBHOOK_SPOOL_BATCH][SPOOL_NAME_LEN + 1];

	for (size_t k = 0; k < b->n; k++) {
		b->names[k][0] = '\0';
		if (!spool_stage(w->spool, b->it[k].id, b->it[k].body, b->it[k].len, names[staged]))
			at[staged++] = k;
	}
	spool_commit(w->spool, names, staged);
	for (size_t k = 0; k < staged; k++)
		memcpy(b->names[at[k]], names[k], sizeof(names[k]));
}

/*
 * move up to WEBHOOK_SPOOL_BATCH alerts held in memory to the spool, in the
 * fair order of alertq_unspooled (lock held, dropped for the writes); false
 * when there was none
 */
static bool spool_batch(struct webhook *w)
{
	struct batch b;
	ssize_t i;

	for (b.n = 0; b.n < WEBHOOK_SPOOL_BATCH && (i = alertq_unspooled(&w->q)) >= 0; b.n++) {
		struct alertq_item *it = &w->q.v[i];

		it->busy = true;
		b.idx[b.n] = (size_t)i;
		b.it[b.n].body = it->body;
		b.it[b.n].len = it->len;
		memcpy(b.it[b.n].id, it->id, sizeof(b.it[b.n].id));
	}
	if (!b.n)
		return false;
	pthread_mutex_unlock(&w->lock);
	batch_write(w, &b);
	pthread_mutex_lock(&w->lock);
	for (size_t k = 0; k < b.n; k++) {
		struct alertq_item *it = &w->q.v[b.idx[k]];

		it->busy = false;
		free(it->body);
		it->body = NULL;
		if (b.names[k][0]) {
			snprintf(it->name, sizeof(it->name), "%s", b.names[k]);
			continue;
		}
		w->st.rejected++;
		snprintf(w->st.last_error, sizeof(w->st.last_error), "spool: cannot write");
		alertq_kill(&w->q, b.idx[k]);
	}
	return true;
}

/* remove one evicted or expired alert (lock held); false when none */
static bool clean_one(struct webhook *w)
{
	ssize_t i = alertq_dead(&w->q);

	if (i < 0)
		return false;
	finish(w, (size_t)i, false);
	return true;
}

static void wait_until(struct webhook *w, uint64_t until_ns)
{
	struct timespec ts;

	if (!until_ns) {
		pthread_cond_wait(&w->cond, &w->lock);
		return;
	}
	ts.tv_sec = (time_t)(until_ns / 1000000000ull);
	ts.tv_nsec = (long)(until_ns % 1000000000ull);
	pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

/* when the worker must look again: a retry, the hold, the next ttl check
 * (each second while alerts wait), the end of the grace period */
static uint64_t next_wake(struct webhook *w, uint64_t now, uint64_t wake)
{
	if (now < w->hold_ns)
		wake = w->hold_ns;
	if (w->q.live && (!wake || wake > now + 1000000000ull))
		wake = now + 1000000000ull;
	if (w->stopping && (!wake || w->deadline_ns < wake))
		wake = w->deadline_ns;
	return wake;
}

static void *worker(void *arg)
{
	struct webhook *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		uint64_t now = now_ns(), wake = 0;
		ssize_t i = -1;

		bool spooled;

		alertq_expire(&w->q, now);
		if (clean_one(w))
			continue;
		spooled = spool_batch(w); /* one batch, then one attempt */
		if (w->stopping && (!w->q.live || now >= w->deadline_ns)) {
			if (spooled)
				continue; /* what is queued is always spooled */
			break;
		}
		if (now >= w->hold_ns)
			i = alertq_next(&w->q, now, &wake);
		if (i >= 0)
			attempt(w, (size_t)i);
		else if (!spooled)
			wait_until(w, next_wake(w, now, wake));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- public ---- */

int webhook_send(struct webhook *w, const struct event *alert)
{
	struct alertq_item it = { 0 };
	int r;

	if (alert->type != AM_EV_ALERT || !alert->alert)
		return -EINVAL;
	if ((r = build_body(w, alert, &it)))
		return r;
	it.lane = alertq_lane(alert->agent, alert->agent_pid);
	it.sev = storm_severity_rank(alert->alert->severity);
	it.count = alert->alert->count;
	it.added_ns = now_ns();
	pthread_mutex_lock(&w->lock);
	new_id(w, it.id);
	r = w->stopping ? -ESHUTDOWN : alertq_add(&w->q, &it);
	if (!r)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (r)
		free(it.body);
	return r;
}

void webhook_status(struct webhook *w, struct webhook_status *st)
{
	size_t spooled, queued;

	pthread_mutex_lock(&w->lock);
	*st = w->st;
	alertq_counts(&w->q, &spooled, &queued);
	st->queued = queued;
	st->spooled = spooled;
	st->dropped = w->q.evicted;
	st->expired = w->q.expired;
	pthread_mutex_unlock(&w->lock);
}

void webhook_stop(struct webhook *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	__atomic_store_n(&w->deadline_ns, now_ns() + w->set.grace_ms * 1000000ull,
			 __ATOMIC_RELAXED);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	webhook_stop(w);
	alertq_free(&w->q);
	if (w->curl)
		curl_easy_cleanup(w->curl);
	spool_free(w->spool);
	if (w->secret) {
		explicit_bzero(w->secret, w->secret_len);
		free(w->secret);
	}
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->url);
	free(w);
}

/* ---- setup ---- */

static void defaults(struct webhook_settings *s)
{
	if (!s->spool_dir)
		s->spool_dir = WEBHOOK_SPOOL_DEFAULT;
	if (!s->timeout_ms)
		s->timeout_ms = 10000;
	if (!s->connect_timeout_ms)
		s->connect_timeout_ms = 3000;
	if (!s->backoff_min_ms)
		s->backoff_min_ms = 1000;
	if (!s->backoff_max_ms)
		s->backoff_max_ms = 300000;
	if (s->backoff_max_ms < s->backoff_min_ms)
		s->backoff_max_ms = s->backoff_min_ms;
	if (!s->grace_ms)
		s->grace_ms = 2000;
	if (!s->spool_max)
		s->spool_max = 10000;
}

/* the spool subdirectory of a URL: 16 hex of its SHA-256 (the URL may be secret) */
static void spool_sub(const char *url, char sub[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL);
	hex(md, 8, sub);
}

static int lock_init(struct webhook *w)
{
	pthread_condattr_t ca;
	int r;

	if ((r = pthread_mutex_init(&w->lock, NULL)))
		return -r;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	return -r;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* the alerts an earlier run left in the spool, aged by their file names */
static int restore(struct webhook *w)
{
	uint64_t now = now_ns(), wall = am_now_ns(CLOCK_REALTIME);
	const char *name;
	int r = 0;

	for (size_t i = 0; !r && (name = spool_found(w->spool, i)); i++) {
		struct alertq_item it = { 0 };
		uint64_t at = strtoull(name, NULL, 10), age = wall > at ? wall - at : 0;
		char *body = NULL;
		size_t len = 0;

		if (spool_read(w->spool, name, &body, &len)) {
			spool_set_aside(w->spool, name);
			continue;
		}
		alertq_meta_of_body(&it, body, len);
		free(body);
		it.added_ns = now > age ? now - age : 0;
		spool_id(name, it.id);
		snprintf(it.name, sizeof(it.name), "%s", name);
		r = alertq_add(&w->q, &it);
		if (r == -EAGAIN) { /* over the bound: dropped (counted) */
			spool_remove(w->spool, name);
			r = 0;
		}
	}
	spool_forget_found(w->spool);
	return r == -ENOMEM ? r : 0;
}

/* everything but the thread; -errno with err set */
static int setup(struct webhook *w, const struct policy_webhook *cfg, char *err, size_t errlen)
{
	char sub[17];
	int r;

	pthread_once(&curl_once, curl_init);
	w->slack = cfg->slack;
	w->rng = now_ns() | 1;
	alertq_init(&w->q, w->set.spool_max, w->set.ttl_ns);
	if (!(w->url = strdup(cfg->url)))
		goto oom;
	if (cfg->secret_file &&
	    (r = webhook_secret_read(cfg->secret_file, &w->secret, &w->secret_len, err, errlen)))
		return r;
	spool_sub(cfg->url, sub);
	if ((r = spool_open(w->set.spool_dir, sub, &w->spool, err, errlen)))
		return r;
	if (restore(w))
		goto oom;
	if (curl_setup(w))
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "webhook: out of memory");
	return -ENOMEM;
}

int webhook_new(const struct policy_webhook *cfg, const struct webhook_settings *s,
		struct webhook **out, char *err, size_t errlen)
{
	struct webhook *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (!w || lock_init(w)) {
		free(w);
		snprintf(err, errlen, "webhook: out of memory");
		return -ENOMEM;
	}
	if (s)
		w->set = *s;
	defaults(&w->set);
	r = setup(w, cfg, err, errlen);
	if (!r && (r = am_thread_start(&w->thread, worker, w)))
		snprintf(err, errlen, "webhook: cannot start a thread: %s", strerror(-r));
	w->started = !r;
	if (r) {
		webhook_free(w);
		return r;
	}
	*out = w;
	return 0;
}
