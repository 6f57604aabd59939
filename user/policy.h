/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * policy.h - the policy file of SPEC.md (YAML, parsed with libyaml) merged
 * over the embedded default policy.  Every problem is reported as
 * "FILE:LINE: problem" and leaves nothing changed.
 */
#ifndef AGENTMON_POLICY_H
#define AGENTMON_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agents.h"
#include "policy_view.h"

struct policy_allow {
	char *host;            /* exact or "*.suffix"; NULL when by cidr */
	uint8_t net[16];       /* cidr network, IPv4 in the first 4 bytes */
	uint16_t family;       /* AF_INET/AF_INET6 when by cidr, else 0 */
	uint8_t prefix;        /* cidr prefix length */
	uint16_t *ports;  size_t n_ports;     /* empty: any */
	char **methods;   size_t n_methods;   /* upper case; empty: any */
	char **paths;     size_t n_paths;     /* globs; empty: any */
	int line;              /* where it was defined */
};

struct policy_webhook {
	char *url;
	char *secret_file;     /* NULL: unsigned */
	bool slack;            /* format: slack */
	int line;
};

/* export: nats: (SPEC.md "Fleet"); strings NULL when not set */
/* the longest export.nats.subject prefix, in bytes */
#define POLICY_SUBJECT_MAX 128

struct policy_nats {
	char *url;             /* nats://HOST:PORT or tls://HOST:PORT */
	char *creds_file;      /* a .creds file (JWT + nkey seed), or: */
	char *user;            /* user + password_file */
	char *password_file;
	char *ca_file, *cert_file, *key_file;   /* tls: */
	char *subject;         /* subject prefix (1 to POLICY_SUBJECT_MAX bytes); default "agentmon" */
	bool events;           /* what: [alerts, events]; else alerts only */
	char *spool_dir;       /* spool_dir: the export's write-ahead spool */
	uint64_t spool_bytes;  /* spool_bytes: its bound (k/m/g); 0: default */
	int line;
};

struct policy {
	char *source;          /* file name, or "<default>" */
	struct agents *agents; /* defaults plus the file's agents: */
	struct policy_allow *allow;     size_t n_allow;
	struct policy_allow *deny;      size_t n_deny;  /* deny: wins over allow */
	struct policy_webhook *webhooks; size_t n_webhooks;
	/* alerts: settings; 0/NULL: the module's default */
	uint64_t alert_window_s;     /* window: suppression window, seconds */
	uint64_t upload_threshold;   /* upload_threshold: bytes (k/m/g suffixes) */
	uint64_t unseen_tls_threshold; /* unseen_tls_threshold: bytes; 0: 4 KiB */
	char *spool_dir;             /* spool_dir: webhook spool directory */
	bool intent_off;             /* intent: false: alerts carry no intent */
	/* llm_hosts: model API hosts (rules_host_match patterns) whose exchanges
	 * with tagged agents are read (llm events, alert intent); appended */
	char **llm_hosts;            size_t n_llm_hosts;
	uint64_t alert_budget;       /* budget: alerts per agent per window, beyond
					them one alert_storm summary; 0: 30 */
	uint64_t alert_ttl_s;        /* ttl: a queued webhook alert expires after
					(s/m/h/d); 0: 1 day */
	char *metrics_listen;        /* metrics: listen: ADDR:PORT for Prometheus
					(run --metrics wins); NULL: off */
	struct policy_nats *nats;    /* export: nats: NULL: no export */
	struct policy_view view;     /* view: reads the compact view shows or folds */
	/* record: trace files; 0/NULL: the recorder's default */
	struct {
		char *dir;               /* dir: absolute path */
		uint64_t rotate_bytes;   /* rotate_bytes: start a new file above (k/m/g) */
		uint64_t rotate_age_s;   /* rotate_age: start a new file after (s/m/h/d) */
		uint64_t keep_age_s;     /* keep_age: delete files older than */
		uint64_t keep_bytes;     /* keep_bytes: delete the oldest files above */
	} record;
};

/* the embedded default policy's YAML text */
extern const char policy_default_yaml[];

/*
 * policy_load - the default policy, merged with the file at path when path
 * is not NULL.  Returns 0 and *out, or -EINVAL/-ENOENT/-ENOMEM with err
 * holding "path:line: problem".
 */
int policy_load(const char *path, struct policy **out, char *err, size_t errlen);
/* the same from a buffer, name used in messages (for tests and fuzzing) */
int policy_load_buffer(const char *name, const char *yaml, size_t len,
		       struct policy **out, char *err, size_t errlen);
void policy_free(struct policy *p);
void policy_nats_free(struct policy_nats *n);
/* whether two export.nats blocks (NULL: none) say the same (a reload's change) */
bool policy_nats_same(const struct policy_nats *a, const struct policy_nats *b);

#endif
