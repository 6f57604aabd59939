// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * export.c - the event loop's side of the NATS export (see export.h): the
 * body and subject of each message, the bounded queue to the worker, the
 * figures.  The worker and its libnats connection are in export_nats.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "export_int.h"
#include "output.h"

bool export_host_ok(const char *host)
{
	size_t n = strlen(host);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)host[i] < 0x20 || host[i] == 0x7f)
			return false;
	return n && n <= EXPORT_HOST_MAX;
}

void export_subject_host(const char *host, char *out, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	for (; host[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)host[i];

		out[i] = c == '.' || c == '*' || c == '>' || c == ' ' || c < 0x20 || c == 0x7f ?
			 '_' : (char)c;
	}
	out[i] = '\0';
}

int export_body(struct jw *w, const struct event *ev, const char *host)
{
	jw_reset(w);
	w->comma = false;
	output_event_json(w, ev);
	if (w->oom || !w->len || w->buf[w->len - 1] != '}')
		return -ENOMEM;
	w->len--;               /* reopen the object: "host" goes last */
	w->comma = w->len > 1;  /* "{" alone: no member before it */
	jw_key(w, "host");
	jw_str(w, host);
	jw_raw(w, "}", 1);
	return w->oom ? -ENOMEM : 0;
}

bool export_wants(const struct export *x, const struct event *ev)
{
	return ev->type == AM_EV_ALERT || x->events;
}

/* a secret's file: opened without following a link, refused when group or
 * others may read it; the descriptor, or -errno with err set */
static int open_private(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		snprintf(err, errlen, "export.nats: %s %s: %s", what, path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "export.nats: %s %s: group or others may read it (chmod 600)",
			 what, path);
		return -EPERM;
	}
	return fd;
}

/* the password: the file's first line */
static int read_password(const char *path, char **out, char *err, size_t errlen)
{
	char buf[512];
	int fd = open_private("password_file", path, err, errlen);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *out ? 0 : -ENOMEM;
}

/* a creds file holds an nkey seed: private too (libnats reads it at each connect) */
static int check_creds(const char *path, char *err, size_t errlen)
{
	int fd = open_private("creds_file", path, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* a copy of s (NULL stays NULL); *oom set when the copy failed */
static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

/* whether url is a nats:// one to another host than this one (loopback) */
static bool cleartext(const char *url)
{
	const char *h = url + 7;
	size_t n;

	if (strncmp(url, "nats://", 7))
		return false;
	n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":");
	if ((n == 9 && !strncasecmp(h, "localhost", 9)) || (n == 5 && !strncmp(h, "[::1]", 5)))
		return false;
	return !(n > 4 && !strncmp(h, "127.", 4) && strspn(h, "0123456789.") == n);
}

/* a message's subject "<prefix>.<host>.<type>" always fits the spool's */
_Static_assert(EXPORT_SUBJECT_LEN + 32 <= XSPOOL_SUBJECT_MAX, "export subjects fit the spool");

/* the subject prefix and host id within their bounds (a policy checks the
 * prefix, main --host-id): 0, or -EINVAL with err set */
static int check_subject(const struct policy_nats *cfg, const char *host, char *err,
			 size_t errlen)
{
	if (cfg->subject && (!*cfg->subject || strlen(cfg->subject) > POLICY_SUBJECT_MAX)) {
		snprintf(err, errlen, "export.nats.subject: %zu bytes (1 to %d)",
			 strlen(cfg->subject), POLICY_SUBJECT_MAX);
		return -EINVAL;
	}
	if (!export_host_ok(host)) {
		snprintf(err, errlen, "export.nats: bad host id (1 to %d bytes, no control byte)",
			 EXPORT_HOST_MAX);
		return -EINVAL;
	}
	return 0;
}

/* the settings the worker keeps (cfg may go away with a reloaded policy) */
static int copy_cfg(struct export *x, const struct policy_nats *cfg, const char *host)
{
	bool oom = false;

	x->url = dup_or_null(cfg->url, &oom);
	x->creds_file = dup_or_null(cfg->creds_file, &oom);
	x->user = dup_or_null(cfg->user, &oom);
	x->ca_file = dup_or_null(cfg->ca_file, &oom);
	x->cert_file = dup_or_null(cfg->cert_file, &oom);
	x->key_file = dup_or_null(cfg->key_file, &oom);
	x->host = dup_or_null(host, &oom);
	x->events = cfg->events;
	snprintf(x->subject, sizeof(x->subject), "%s.", cfg->subject ? cfg->subject : "agentmon");
	export_subject_host(host, x->subject + strlen(x->subject),
			    sizeof(x->subject) - strlen(x->subject));
	return oom ? -ENOMEM : 0;
}

/* "host":"<host>"} (escaped), the members' end of every body; -ENOMEM */
static int host_tail(struct export *x)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "host");
	jw_str(&w, x->host);
	jw_obj_end(&w);
	if (!w.oom && w.len > 1)
		x->tail = strndup(w.buf + 1, w.len - 1);
	x->tail_len = x->tail ? w.len - 1 : 0;
	jw_free(&w);
	return x->tail ? 0 : -ENOMEM;
}

/* the bodies of n queued messages */
static void queue_free(struct export_q *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(q[i].data);
}

/* everything x holds (the worker stopped or never started), the password wiped */
static void export_release(struct export *x)
{
	if (!x)
		return;
	queue_free(x->q, x->qn);
	free(x->q);
	free(x->q2);
	free(x->url);
	free(x->creds_file);
	free(x->user);
	if (x->password) {
		explicit_bzero(x->password, strlen(x->password));
		free(x->password);
	}
	free(x->ca_file);
	free(x->cert_file);
	free(x->key_file);
	free(x->host);
	free(x->tail);
	free(x->slots);
	jw_free(&x->body);
	export_spool_free(x->spool);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cv);
	free(x);
}

int export_new(const struct policy_nats *cfg, const char *host, const char *spool_dir,
	       struct export **out, char *err, size_t errlen)
{
	struct export *x = calloc(1, sizeof(*x));
	const char *dir = cfg->spool_dir ? cfg->spool_dir : spool_dir ? spool_dir :
			  EXPORT_SPOOL_DEFAULT;
	char name[EXPORT_HOST_MAX + 1] = "";
	int r;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	if (!host && !gethostname(name, sizeof(name) - 1))
		host = name;
	if (!host || !*host)
		host = "unknown";
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	jw_init(&x->body);
	if (getrandom(&x->nonce, sizeof(x->nonce), 0) != sizeof(x->nonce))
		x->nonce = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	r = check_subject(cfg, host, err, errlen);
	if (!r)
		r = copy_cfg(x, cfg, host);
	if (!r)
		r = host_tail(x);
	if (!r && cfg->password_file && cleartext(cfg->url))
		snprintf(x->note, sizeof(x->note), "export.nats: user %s's password goes in clear "
			 "to %s (a tls:// URL keeps it private)", cfg->user ? cfg->user : "?",
			 cfg->url);
	if (!r && cfg->password_file)
		r = read_password(cfg->password_file, &x->password, err, errlen);
	if (!r && cfg->creds_file)
		r = check_creds(cfg->creds_file, err, errlen);
	if (!r && !(x->q = calloc(EXPORT_QUEUE_MAX, sizeof(*x->q))))
		r = -ENOMEM;
	if (!r && !(x->slots = calloc(EXPORT_WINDOW, sizeof(*x->slots))))
		r = -ENOMEM;
	if (!r)
		r = export_spool_open(dir, cfg->spool_bytes ? cfg->spool_bytes : EXPORT_SPOOL_BYTES,
				      &x->spool, err, errlen);
	if (!r)
		r = export_worker_start(x, err, errlen);
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "export.nats: out of memory");
		export_release(x);
		return r;
	}
	*out = x;
	return 0;
}

int export_send_json(struct export *x, const struct event *ev, const char *json, size_t len)
{
	struct export_q item;
	const char *type = ev->type == AM_EV_ALERT ? "alert" : event_type_name(ev->type);
	bool comma = len > 2;   /* "{}": no member before "host" */
	int n;

	if (!export_wants(x, ev))
		return 0;
	if (len < 2 || json[len - 1] != '}' ||
	    !(item.data = malloc(len + x->tail_len + strlen(x->subject) + 64))) {
		__atomic_add_fetch(&x->lost, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	/* id, subject and body in one allocation: "<id>\0<subject>\0<body>", the
	 * body ev's object reopened, "host" its last member */
	n = snprintf(item.data, 64 + strlen(x->subject), "%016" PRIx64 "%016" PRIx64 "%c%s.%s%c",
		     x->nonce, ++x->seq, 0, x->subject, type, 0);
	memcpy(item.data + n, json, len - 1);
	item.data[n + len - 1] = ',';
	memcpy(item.data + n + len - 1 + comma, x->tail, x->tail_len);
	item.id_len = 32;
	item.subject_len = (size_t)n - 34;
	item.body_len = len - 1 + comma + x->tail_len;
	pthread_mutex_lock(&x->mu);
	if (x->stopping || x->qn == EXPORT_QUEUE_MAX) {
		pthread_mutex_unlock(&x->mu);
		free(item.data);
		__atomic_add_fetch(&x->lost, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	x->q[x->qn++] = item;
	x->urgent = x->urgent || ev->type == AM_EV_ALERT;
	if (x->qn == EXPORT_WAKE_QUEUED || ev->type == AM_EV_ALERT)
		pthread_cond_signal(&x->cv);  /* else the worker's round timer */
	pthread_mutex_unlock(&x->mu);
	return 0;
}

int export_send(struct export *x, const struct event *ev)
{
	if (!export_wants(x, ev))
		return 0;
	jw_reset(&x->body);
	x->body.comma = false;
	output_event_json(&x->body, ev);
	if (x->body.oom) {
		__atomic_add_fetch(&x->lost, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	return export_send_json(x, ev, x->body.buf, x->body.len);
}

void export_status(struct export *x, struct export_status *st)
{
	memset(st, 0, sizeof(*st));
	st->on = true;
	st->events = x->events;
	snprintf(st->url, sizeof(st->url), "%s", x->url);
	snprintf(st->subject, sizeof(st->subject), "%s", x->subject);
	pthread_mutex_lock(&x->mu);
	st->connected = x->connected;
	st->queued = x->qn;
	st->inflight = x->wn;
	st->spooled = x->st.pending;
	st->spool_bytes = x->st.bytes;
	st->damaged = x->st.damaged;
	st->acked = x->acked;
	st->duplicates = x->duplicates;
	st->failed = x->failed;
	snprintf(st->last_error, sizeof(st->last_error), "%s", x->last_error);
	pthread_mutex_unlock(&x->mu);
	st->lost = __atomic_load_n(&x->lost, __ATOMIC_RELAXED);
}

bool export_news(struct export *x, char *msg, size_t len, bool *lost)
{
	uint64_t n = __atomic_load_n(&x->lost, __ATOMIC_RELAXED);
	bool news = false;

	*lost = false;
	if (x->note[0]) {   /* said once, first */
		snprintf(msg, len, "%s", x->note);
		x->note[0] = '\0';
		return true;
	}
	if (n && !x->lost_said) {
		x->lost_said = true;
		*lost = true;
		snprintf(msg, len, "export.nats: %" PRIu64 " message%s lost at the queue or "
			 "spool bound (status: export)", n, n == 1 ? "" : "s");
		return true;
	}
	pthread_mutex_lock(&x->mu);
	if (x->last_error[0] && strcmp(x->last_error, x->said)) {
		snprintf(x->said, sizeof(x->said), "%s", x->last_error);
		snprintf(msg, len, "export.nats: %s (messages stay spooled)", x->last_error);
		news = true;
	}
	pthread_mutex_unlock(&x->mu);
	return news;
}

void export_free(struct export *x)
{
	if (!x)
		return;
	export_worker_stop(x);
	export_release(x);
}
