// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * doctor.c - `agentmon doctor` (see doctor.h): the items and their report,
 * the policy file's validity and the service's state (systemd unit, the
 * collector's control socket and its status summary).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "control.h"
#include "doctor.h"
#include "escape.h"
#include "json.h"
#include "policy.h"

extern char **environ;

void doctor_init(struct doctor *d, const struct doctor_opts *opts)
{
	memset(d, 0, sizeof(*d));
	if (opts)
		d->opts = *opts;
	if (!d->opts.socket)
		d->opts.socket = AM_DEFAULT_SOCKET;
	if (!d->opts.tls_budget_ns)
		d->opts.tls_budget_ns = DOCTOR_TLS_BUDGET_NS;
	if (!d->opts.home)
		d->opts.home = getenv("HOME");
	if (!d->opts.path)
		d->opts.path = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
	d->root = geteuid() == 0;
}

void doctor_release(struct doctor *d)
{
	free(d->items);
	d->items = NULL;
	d->n = d->cap = 0;
}

int doctor_add(struct doctor *d, const char *name, enum doctor_state st, const char *fmt, ...)
{
	struct doctor_item *it;
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;
		struct doctor_item *p = realloc(d->items, cap * sizeof(*p));

		if (!p) {
			d->oom++;
			return -ENOMEM;
		}
		d->items = p;
		d->cap = cap;
	}
	it = &d->items[d->n++];
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->state = st;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
	return 0;
}

const char *doctor_state_name(enum doctor_state st)
{
	return st == DOCTOR_OK ? "OK" : st == DOCTOR_DEGRADED ? "DEGRADED" : "MISSING";
}

int doctor_line(const struct doctor_item *it, char *buf, size_t len)
{
	/* reasons carry file names anyone may choose: a newline must not forge a line */
	char reason[4 * DOCTOR_REASON_MAX];

	escape_text(reason, sizeof(reason), it->reason, strlen(it->reason));
	return snprintf(buf, len, "%-9s %s: %s", doctor_state_name(it->state), it->name, reason);
}

static void format_json(const struct doctor *d, struct jw *w)
{
	jw_obj_begin(w);
	jw_key(w, "items");
	jw_arr_begin(w);
	for (size_t i = 0; i < d->n; i++) {
		jw_obj_begin(w);
		jw_key(w, "item");
		jw_str(w, d->items[i].name);
		jw_key(w, "state");
		jw_str(w, doctor_state_name(d->items[i].state));
		jw_key(w, "reason");
		jw_str(w, d->items[i].reason);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "items_lost");
	jw_uint(w, (uint64_t)d->oom);
	jw_key(w, "exit");
	jw_int(w, doctor_exit(d));
	jw_obj_end(w);
	jw_raw(w, "\n", 1);
}

static void format_text(const struct doctor *d, struct jw *w)
{
	char line[DOCTOR_NAME_MAX + 4 * DOCTOR_REASON_MAX + 16];

	for (size_t i = 0; i < d->n; i++) {
		int n = doctor_line(&d->items[i], line, sizeof(line));

		jw_raw(w, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
		jw_raw(w, "\n", 1);
	}
	if (d->oom) {
		int n = snprintf(line, sizeof(line), "MISSING   doctor: %d items lost (out of memory)\n",
				 d->oom);

		jw_raw(w, line, (size_t)n);
	}
}

int doctor_format(const struct doctor *d, bool json, char **out)
{
	struct jw w;

	jw_init(&w);
	if (json)
		format_json(d, &w);
	else
		format_text(d, &w);
	jw_raw(&w, "", 1); /* the terminating NUL */
	if (w.oom) {
		jw_free(&w);
		return -ENOMEM;
	}
	*out = w.buf;
	return 0;
}

int doctor_exit(const struct doctor *d)
{
	if (d->oom)
		return 1;
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].state != DOCTOR_OK)
			return 1;
	return 0;
}

void doctor_run(struct doctor *d)
{
	doctor_kernel(d);
	doctor_policy(d);
	doctor_service(d);
	doctor_agents(d);
}

/* ---- policy ---- */

void doctor_policy(struct doctor *d)
{
	const char *path = d->opts.config;
	struct policy *p = NULL;
	char err[512];
	int rc;

	if (!path && access(AM_DEFAULT_CONFIG, F_OK))
		path = NULL; /* the embedded default, as `run` would */
	else if (!path)
		path = AM_DEFAULT_CONFIG;
	rc = policy_load(path, &p, err, sizeof(err));
	if (rc)
		doctor_add(d, "policy", DOCTOR_MISSING, "%s", err);
	else if (path)
		doctor_add(d, "policy", DOCTOR_OK, "%s is valid", path);
	else
		doctor_add(d, "policy", DOCTOR_OK, "no " AM_DEFAULT_CONFIG ": the embedded default policy");
	policy_free(p);
}

/* ---- service ---- */

/* `systemctl is-active agentmon.service` within 2 s: its one word into
 * state, 0 or -errno */
static int unit_state(char *state, size_t len)
{
	char *const argv[] = { "systemctl", "is-active", "agentmon.service", NULL };
	posix_spawn_file_actions_t fa;
	struct pollfd p = { .events = POLLIN };
	int fds[2], rc, status;
	ssize_t n = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	p.fd = fds[0];
	if (!rc && poll(&p, 1, 2000) == 1)
		n = read(fds[0], state, len - 1);
	close(fds[0]);
	if (rc)
		return -rc;
	kill(pid, SIGKILL); /* gone already, unless it hung */
	waitpid(pid, &status, 0);
	state[n > 0 ? n : 0] = '\0';
	state[strcspn(state, "\n")] = '\0';
	return n > 0 ? 0 : -ETIME;
}

static void service_unit(struct doctor *d)
{
	struct stat st;
	char state[64];
	int rc;

	if (stat("/run/systemd/system", &st) || !S_ISDIR(st.st_mode)) {
		doctor_add(d, "service unit", DOCTOR_OK,
			   "systemd is not running here: not checked (the collector is, by its socket)");
		return;
	}
	if ((rc = unit_state(state, sizeof(state))))
		doctor_add(d, "service unit", DOCTOR_DEGRADED, "systemctl is-active: %s",
			   strerror(-rc));
	else if (!strcmp(state, "active"))
		doctor_add(d, "service unit", DOCTOR_OK, "agentmon.service is active");
	else
		doctor_add(d, "service unit", DOCTOR_DEGRADED,
			   "agentmon.service is %s: agents are not watched by the service "
			   "(sudo systemctl enable --now agentmon)", state);
}

static uint64_t jnum(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* the unseen binaries the collector lists */
static size_t unseen_bins(json_t *st)
{
	json_t *bins = json_object_get(st, "tls_binaries"), *b;
	size_t i, n = 0;

	json_array_foreach(bins, i, b) {
		const char *v = json_string_value(json_object_get(b, "verdict"));

		n += v && !strcmp(v, "unseen");
	}
	return n;
}

/* the status's hook_gaps array into why ("hook: why; ..."); how many, -1: none */
static int gaps_of(json_t *st, char *why, size_t len)
{
	json_t *gaps = json_object_get(st, "hook_gaps"), *g;
	size_t i, used = 0;

	if (len)
		why[0] = '\0';
	if (!json_is_array(gaps))
		return -1;
	json_array_foreach(gaps, i, g) {
		const char *h = json_string_value(json_object_get(g, "hook"));
		const char *w = json_string_value(json_object_get(g, "why"));

		if (used < len)
			used += (size_t)snprintf(why + used, len - used, "%s%s: %s", i ? "; " : "",
						 h ? h : "?", w ? w : "?");
	}
	return (int)json_array_size(gaps);
}

int doctor_hooks_degraded(const char *status_json, char *why, size_t len)
{
	json_t *st = json_loads(status_json ? status_json : "", 0, NULL);
	int n = gaps_of(st, why, len);

	json_decref(st);
	return n;
}

/* the collector's status (one JSON line) as an item */
static void service_summary(struct doctor *d, const char *reply)
{
	json_t *st = json_loads(reply, 0, NULL);
	const char *scope;
	uint64_t drops, lost;
	size_t unseen;
	char hooks[512];
	int bad;

	if (!json_is_object(st)) {
		doctor_add(d, "collector", DOCTOR_DEGRADED, "%s answers, but not with a status (%.80s)",
			   d->opts.socket, reply);
		json_decref(st);
		return;
	}
	drops = jnum(st, "drops", "total");
	lost = jnum(st, "degraded", "undecodable_records") + jnum(st, "degraded", "tags_lost") +
	       jnum(st, "degraded", "tag_writes_failed");
	unseen = unseen_bins(st);
	scope = json_string_value(json_object_get(json_object_get(st, "tls_uprobes"), "scope"));
	bad = gaps_of(st, hooks, sizeof(hooks)); /* -1: an older collector, not reported */
	doctor_add(d, "collector", drops || lost || unseen || bad > 0 ? DOCTOR_DEGRADED : DOCTOR_OK,
		   "pid %llu on %s, up %llus, %llu agents tagged; drops %llu, "
		   "undecodable/lost tags %llu, agent hooks %s, TLS uprobes %s, %zu binaries' TLS "
		   "unseen; hooks %s%s",
		   (unsigned long long)jnum(st, "pid", NULL), d->opts.socket,
		   (unsigned long long)jnum(st, "uptime_s", NULL),
		   (unsigned long long)json_array_size(json_object_get(st, "agents")),
		   (unsigned long long)drops, (unsigned long long)lost,
		   json_is_true(json_object_get(st, "agent_hooks")) ? "attached" : "detached (idle)",
		   scope ? scope : "?", unseen,
		   bad < 0 ? "not reported" : bad ? "missing now: " : "all attached", hooks);
	json_decref(st);
}

#define STATUS_REPLY_MAX (1u << 20)

void doctor_service(struct doctor *d)
{
	char err[256], *reply;
	int rc;

	service_unit(d);
	if (!(reply = malloc(STATUS_REPLY_MAX))) {
		doctor_add(d, "collector", DOCTOR_DEGRADED, "not checked: out of memory");
		return;
	}
	rc = control_call(d->opts.socket, "status json", reply, STATUS_REPLY_MAX, err, sizeof(err));
	if (rc == -EACCES || rc == -EPERM)
		doctor_add(d, "collector", DOCTOR_DEGRADED, "%s (needs root or the socket's group)",
			   err);
	else if (rc)
		doctor_add(d, "collector", DOCTOR_DEGRADED, "%s: agents are not watched", err);
	else
		service_summary(d, reply);
	free(reply);
}
