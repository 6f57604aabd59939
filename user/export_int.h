/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export_int.h - what export.c (the loop's side) and export_nats.c (the
 * worker) share.  mu guards the queue, the window's states and the
 * figures; the worker alone touches the spool and the connection.
 */
#ifndef AGENTMON_EXPORT_INT_H
#define AGENTMON_EXPORT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "export.h"
#include "export_spool.h"
#include "json.h"

/* one queued message: "<id>\0<subject>\0<body>" in data */
struct export_q {
	char *data;
	size_t id_len, subject_len, body_len;
};

enum slot_state { SLOT_SENT = 1, SLOT_ACKED, SLOT_FAILED };

/* the worker is woken at EXPORT_WAKE_QUEUED queued messages or an alert,
 * and at EXPORT_WAKE_ACKS answers from the server (or a failure, or the
 * whole window answered); else it looks every round (export_nats.c) */
#define EXPORT_WAKE_QUEUED 256
#define EXPORT_WAKE_ACKS 128

/* one published message awaiting its ack */
struct export_slot {
	char id[XSPOOL_ID_MAX + 1];
	struct xspool_pos end;        /* where it ends in the spool */
	void *msg;                    /* natsMsg kept for a retry (SLOT_FAILED) */
	const void *sent;             /* the natsMsg published (SLOT_SENT): its ack's key */
	enum slot_state state;
};

/*
 * the closure of libnats's callbacks: the export while it lives.  Each
 * callback holds mu while it uses x; export_worker_stop sets x NULL under
 * mu before the export is freed, so that a callback that comes after (a
 * closed one past the grace) finds nothing.  Freed then, unless such a
 * callback may still come (close_pending): then it stays, a few bytes.
 */
struct export_link {
	pthread_mutex_t mu;
	struct export *x;
};

struct natsConnection;
struct export {
	/* settings (copied) */
	char *url, *creds_file, *user, *password, *ca_file, *cert_file, *key_file, *host;
	bool events;
	char subject[EXPORT_SUBJECT_LEN]; /* <prefix>.<host> */
	char *tail;                   /* "host":"<host>"} (JSON), each body's end */
	size_t tail_len;
	/* the loop's side */
	uint64_t nonce, seq;          /* message ids */
	struct jw body;
	bool lost_said;
	char said[256];
	char note[512];               /* said once by export_news (a password in clear) */
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct export_q *q, *q2;      /* the queue, and the worker's batch (swapped) */
	size_t qn;
	bool urgent;                  /* an alert queued: the worker is woken at once */
	bool stopping;
	struct export_slot *slots;    /* EXPORT_WINDOW, a ring: wh first, wn in use */
	size_t wh, wn, guess;
	size_t answers;               /* acks and failures since the worker looked */
	bool acks_moved;              /* a failure, or EXPORT_WAKE_ACKS answers (or all) */
	bool connected;
	bool nats_closed;             /* the connection ended for good (closed callback) */
	void *live_nc;                /* the connection callbacks are taken from (another's:
					 one ended, a late closed callback, is ignored) */
	uint64_t acked, duplicates, failed;
	struct xspool_stats st;
	char last_error[256];
	uint64_t lost;                /* atomic */
	/* the worker's */
	pthread_t th;
	bool started;
	struct export_link *link;     /* the callbacks' closure */
	bool close_pending;           /* a closed callback not seen within the grace */
	bool published;               /* an asynchronous publish on this connection */
	struct export_spool *spool;
	void *nc, *js;                /* natsConnection, jsCtx */
	pthread_t connect_th;         /* an attempt to connect (connecting) */
	bool connecting;
	bool connect_done;            /* under mu: its result is in new_nc, new_js */
	void *new_nc, *new_js;
	uint64_t retry_at_ns, backoff_ns, connect_at_ns, connect_backoff_ns, synced_ns;
};

/* start the worker thread; 0 or -errno with err set */
int export_worker_start(struct export *x, char *err, size_t errlen);
/* stop taking, let the worker spool the queue and wait for acks, join it */
void export_worker_stop(struct export *x);

#endif
