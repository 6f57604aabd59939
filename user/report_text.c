// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report_text.c - a report as text for a terminal and as one JSON object
 * (jansson) for scripts; see report.h.  The strings are already redacted and
 * free of control bytes (report.c); jansson escapes them for JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *report_kind_name(enum report_kind k)
{
	static const char *const names[REPORT_KINDS] = { "exec", "write", "request", "alert" };

	return (unsigned)k < REPORT_KINDS ? names[k] : "?";
}

/* ---- text ---- */

static void text_tree_line(void *arg, const struct report_proc *p, unsigned depth)
{
	FILE *f = arg;

	fprintf(f, "    %*s%s%s[%u]", (int)(depth > 20 ? 40 : depth * 2), "",
		depth ? "`- " : "", p->comm, p->pid);
	for (uint32_t i = 0; i < p->n_cmds; i++)
		fprintf(f, "%s%s", i ? " ; " : " ", p->cmds[i]);
	if (p->cmds_cut)
		fprintf(f, " (+%u more execs)", p->cmds_cut);
	if (p->exited)
		fprintf(f, " -> exit %d", p->exit_code);
	fputc('\n', f);
}

static void text_cut(FILE *f, uint64_t n, const char *what)
{
	if (n)
		fprintf(f, "    ... and %" PRIu64 " more %s not listed\n", n, what);
}

static void text_alerts(FILE *f, const struct report_session *s)
{
	char t[40];

	fprintf(f, "  alerts: %u\n", s->n_alerts + s->alerts_cut);
	for (uint32_t i = 0; i < s->n_alerts; i++) {
		const struct report_alert *a = &s->alerts[i];

		fprintf(f, "    ALERT %s (%s) at %s pid %u: %s\n", a->rule, a->severity,
			report_time(a->ts_ns, t, sizeof(t)), a->pid, a->summary ? a->summary : "");
		if (a->tool || a->prompt)
			fprintf(f, "      intent: tool %s input %s; prompt \"%s\"%s%s\n",
				a->tool ? a->tool : "?", a->input ? a->input : "",
				a->prompt ? a->prompt : "", a->model ? "; model " : "",
				a->model ? a->model : "");
	}
	text_cut(f, s->alerts_cut, "alerts");
}

static void text_dests(FILE *f, const struct report_session *s)
{
	fprintf(f, "  destinations: %u\n", s->n_dests + s->dests_cut);
	for (uint32_t i = 0; i < s->n_dests; i++) {
		const struct report_dest *d = &s->dests[i];

		fprintf(f, "    %s (%s:%u%s): %" PRIu64 " requests", d->host ? d->host : d->addr,
			d->addr, d->port, d->tls ? " tls" : "", d->requests);
		for (unsigned m = 0; m < REPORT_METHODS; m++)
			if (d->methods & (1u << m))
				fprintf(f, " %s", report_method_name(m));
		fprintf(f, ", %" PRIu64 " connects, %" PRIu64 " bytes sent, %" PRIu64
			" in request bodies, %" PRIu64 " received; policy: %s", d->connects,
			d->bytes_sent, d->body_bytes, d->bytes_received, d->verdict);
		if (d->alerts)
			fprintf(f, ", %u alerts", d->alerts);
		fputc('\n', f);
		for (uint32_t j = 0; j < d->n_paths; j++)
			fprintf(f, "      %s\n", d->paths[j]);
		if (d->paths_cut)
			fprintf(f, "      (+%u more paths)\n", d->paths_cut);
	}
	text_cut(f, s->dests_cut, "destinations");
}

static void text_files(FILE *f, const struct report_session *s)
{
	fprintf(f, "  files written or deleted: %u\n", s->n_files + s->files_cut);
	for (uint32_t i = 0; i < s->n_files; i++) {
		const struct report_file *x = &s->files[i];

		fprintf(f, "    %s:", x->path);
		if (x->written)
			fprintf(f, " written %u", x->written);
		if (x->deleted)
			fprintf(f, " deleted %u", x->deleted);
		if (x->renamed)
			fprintf(f, " renamed %u to %s", x->renamed, x->new_path ? x->new_path : "?");
		if (x->chmoded)
			fprintf(f, " chmod %u", x->chmoded);
		fputc('\n', f);
	}
	text_cut(f, s->files_cut, "files");
}

static void text_session(FILE *f, const struct report_session *s)
{
	char a[40], b[40];
	uint64_t c = 0;

	fprintf(f, "\n== agent %s, root pid %u: %s to %s, %" PRIu64 " events (%" PRIu64
		" read-only opens and device writes folded)\n", s->agent, s->root_pid,
		report_time(s->start_ns, a, sizeof(a)), report_time(s->end_ns, b, sizeof(b)),
		s->events, s->reads);
	text_alerts(f, s);
	text_dests(f, s);
	text_files(f, s);
	fprintf(f, "  processes: %u\n", s->n_procs + s->procs_cut);
	report_tree(s, text_tree_line, f);
	text_cut(f, s->procs_cut, "processes");
	fprintf(f, "  timeline:\n");
	for (uint32_t i = 0; i < s->n_items; i++)
		fprintf(f, "    %s [%u] %-7s %s\n", report_time(s->items[i].ts_ns, a, sizeof(a)),
			s->items[i].pid, report_kind_name(s->items[i].kind), s->items[i].text);
	for (unsigned k = 0; k < REPORT_KINDS; k++)
		c += s->items_cut[k];
	text_cut(f, c, "timeline entries");
}

int report_write_text(const struct report *r, FILE *f)
{
	char t[40];

	fprintf(f, "agentmon session report, %s: %u sessions, %" PRIu64 " events, %" PRIu64
		" lost by the kernel\n", report_time(r->generated_ns, t, sizeof(t)), r->n_sessions,
		r->events, r->drops_lost);
	for (uint32_t i = 0; i < r->n_notes; i++)
		fprintf(f, "NOT READ: %s\n", r->notes[i]);
	if (r->sessions_cut_events)
		fprintf(f, "%" PRIu64 " events of sessions past the first %d not reported\n",
			r->sessions_cut_events, REPORT_SESSIONS_MAX);
	for (uint32_t i = 0; i < r->n_sessions; i++)
		text_session(f, &r->sessions[i]);
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

/* obj[key] = v, v consumed; false on failure */
static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && !json_object_set_new(obj, key, v);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jtime(uint64_t ns)
{
	char t[40];

	return json_string(report_time(ns, t, sizeof(t)));
}

static json_t *j_proc(const struct report_proc *p)
{
	json_t *o = json_object(), *cmds = json_array();
	bool ok = o && cmds;

	for (uint32_t i = 0; ok && i < p->n_cmds; i++)
		ok = !json_array_append_new(cmds, json_string(p->cmds[i]));
	ok = ok && put(o, "pid", json_integer(p->pid)) && put(o, "ppid", json_integer(p->ppid)) &&
	     put(o, "comm", json_string(p->comm)) && put(o, "commands", cmds) &&
	     put(o, "commands_cut", json_integer(p->cmds_cut)) &&
	     put(o, "exit_code", p->exited ? json_integer(p->exit_code) : json_null());
	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

static json_t *j_dest(const struct report_dest *d)
{
	json_t *o = json_object(), *m = json_array(), *paths = json_array();
	bool ok = o && m && paths;

	for (unsigned i = 0; ok && i < REPORT_METHODS; i++)
		if (d->methods & (1u << i))
			ok = !json_array_append_new(m, json_string(report_method_name(i)));
	for (uint32_t i = 0; ok && i < d->n_paths; i++)
		ok = !json_array_append_new(paths, json_string(d->paths[i]));
	ok = ok && put(o, "host", jstr(d->host)) && put(o, "daddr", json_string(d->addr)) &&
	     put(o, "dport", json_integer(d->port)) && put(o, "tls", json_boolean(d->tls)) &&
	     put(o, "methods", m) && put(o, "paths", paths) &&
	     put(o, "paths_cut", json_integer(d->paths_cut)) &&
	     put(o, "requests", json_integer((json_int_t)d->requests)) &&
	     put(o, "connects", json_integer((json_int_t)d->connects)) &&
	     put(o, "bytes_sent", json_integer((json_int_t)d->bytes_sent)) &&
	     put(o, "request_body_bytes", json_integer((json_int_t)d->body_bytes)) &&
	     put(o, "bytes_received", json_integer((json_int_t)d->bytes_received)) &&
	     put(o, "verdict", json_string(d->verdict)) && put(o, "alerts", json_integer(d->alerts));
	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

static json_t *j_file(const struct report_file *x)
{
	json_t *o = json_object();
	bool ok = o && put(o, "path", json_string(x->path)) &&
		  put(o, "written", json_integer(x->written)) &&
		  put(o, "deleted", json_integer(x->deleted)) &&
		  put(o, "renamed", json_integer(x->renamed)) &&
		  put(o, "renamed_to", jstr(x->new_path)) &&
		  put(o, "chmod", json_integer(x->chmoded)) && put(o, "last", jtime(x->last_ns));

	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

static json_t *j_alert(const struct report_alert *a)
{
	json_t *o = json_object(), *in = a->tool || a->prompt ? json_object() : json_null();
	bool ok = o && in && put(o, "ts", jtime(a->ts_ns)) && put(o, "pid", json_integer(a->pid)) &&
		  put(o, "rule", jstr(a->rule)) && put(o, "severity", jstr(a->severity)) &&
		  put(o, "summary", jstr(a->summary)) && put(o, "chain", jstr(a->chain)) &&
		  put(o, "count", json_integer(a->count));

	if (ok && json_is_object(in))
		ok = put(in, "tool", jstr(a->tool)) && put(in, "input", jstr(a->input)) &&
		     put(in, "prompt", jstr(a->prompt)) && put(in, "model", jstr(a->model));
	if (!ok) {
		json_decref(in);
		json_decref(o);
		return NULL;
	}
	return put(o, "intent", in) ? o : (json_decref(o), NULL);
}

static json_t *j_item(const struct report_item *it)
{
	json_t *o = json_object();
	bool ok = o && put(o, "ts", jtime(it->ts_ns)) && put(o, "pid", json_integer(it->pid)) &&
		  put(o, "kind", json_string(report_kind_name(it->kind))) &&
		  put(o, "text", json_string(it->text));

	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

/* an array of n elements of size sz at base, each made by fn */
static json_t *j_list(const void *base, uint32_t n, size_t sz, json_t *(*fn)(const void *))
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, fn((const char *)base + (size_t)i * sz))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

#define J_LIST(arr, n, fn) j_list(arr, n, sizeof(*(arr)), (json_t * (*)(const void *))(fn))

static json_t *j_session(const struct report_session *s)
{
	json_t *o = json_object(), *cut = json_object();
	uint64_t tl_cut = 0;
	bool ok;

	for (unsigned k = 0; k < REPORT_KINDS; k++)
		tl_cut += s->items_cut[k];
	ok = o && cut && put(cut, "processes", json_integer(s->procs_cut)) &&
	     put(cut, "timeline", json_integer((json_int_t)tl_cut)) &&
	     put(cut, "destinations", json_integer(s->dests_cut)) &&
	     put(cut, "files", json_integer(s->files_cut)) &&
	     put(cut, "alerts", json_integer(s->alerts_cut));
	ok = ok && put(o, "agent", jstr(s->agent)) && put(o, "agent_pid", json_integer(s->root_pid)) &&
	     put(o, "start", jtime(s->start_ns)) && put(o, "end", jtime(s->end_ns)) &&
	     put(o, "events", json_integer((json_int_t)s->events)) &&
	     put(o, "reads_folded", json_integer((json_int_t)s->reads)) &&
	     put(o, "processes", J_LIST(s->procs, s->n_procs, j_proc)) &&
	     put(o, "destinations", J_LIST(s->dests, s->n_dests, j_dest)) &&
	     put(o, "files", J_LIST(s->files, s->n_files, j_file)) &&
	     put(o, "alerts", J_LIST(s->alerts, s->n_alerts, j_alert)) &&
	     put(o, "timeline", J_LIST(s->items, s->n_items, j_item)) && put(o, "cut", cut);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int report_write_json(const struct report *r, FILE *f)
{
	json_t *o = json_object(), *notes = json_array();
	bool ok = o && notes;
	int ret = -ENOMEM;

	for (uint32_t i = 0; ok && i < r->n_notes; i++)
		ok = !json_array_append_new(notes, json_string(r->notes[i]));
	ok = ok && put(o, "generated", jtime(r->generated_ns)) &&
	     put(o, "events", json_integer((json_int_t)r->events)) &&
	     put(o, "lost", json_integer((json_int_t)r->drops_lost)) && put(o, "not_read", notes) &&
	     put(o, "sessions_cut_events", json_integer((json_int_t)r->sessions_cut_events)) &&
	     put(o, "sessions", J_LIST(r->sessions, r->n_sessions, j_session));
	if (ok)
		ret = json_dumpf(o, f, JSON_INDENT(1)) || fputc('\n', f) == EOF ? -EIO : 0;
	json_decref(o);
	return ret;
}
