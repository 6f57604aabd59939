// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* intent.c - the tool call behind an alert; see intent.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "output.h"

#define HOST_MAX 256
#define SHOWN_MAX 512
#define PROMPT_SHOWN 200

struct rec {
	uint64_t ts_ns;            /* 0: empty */
	uint32_t agent_pid;
	char host[HOST_MAX];
	struct llm x;
};

struct intent {
	struct rec recs[INTENT_KEEP];
	size_t next;               /* slot the next one goes to */
	struct event_intent found;
	char input[LLM_INPUT_MAX];
};

struct intent *intent_new(void)
{
	return calloc(1, sizeof(struct intent));
}

void intent_free(struct intent *in)
{
	free(in);
}

void intent_add(struct intent *in, const struct event *ev)
{
	struct rec *r;

	if (!in || ev->type != AM_EV_LLM || !ev->llm.x || !ev->llm.x->n_tools)
		return;
	r = &in->recs[in->next];
	in->next = (in->next + 1) % INTENT_KEEP;
	r->ts_ns = ev->ts_ns ? ev->ts_ns : 1;
	r->agent_pid = ev->agent_pid;
	snprintf(r->host, sizeof(r->host), "%s", ev->llm.host ? ev->llm.host : "");
	r->x = *ev->llm.x;
}

/* the words of ev that a tool input naming its target would hold */
static size_t targets(const struct event *ev, const char *t[3])
{
	size_t n = 0;

	switch (ev->alert->cause_type) {
	case AM_EV_HTTP:
		t[n++] = ev->http.host;
		if (ev->http.path && strlen(ev->http.path) > 1)
			t[n++] = ev->http.path;
		break;
	case AM_EV_SEND: case AM_EV_CONNECT:
		t[n++] = ev->net.host;
		break;
	case AM_EV_EXEC:
		t[n++] = ev->exec.filename ? strrchr(ev->exec.filename, '/') : NULL;
		break;
	case AM_EV_OPEN: case AM_EV_UNLINK: case AM_EV_RENAME: case AM_EV_CHMOD:
		t[n++] = ev->file.path;
		break;
	default:
		break;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i] && *t[i] == '/' && ev->alert->cause_type == AM_EV_EXEC)
			t[i]++;
	return n;
}

static bool names_target(const struct llm_tool *tool, const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] && strlen(t[i]) >= 3 && strstr(tool->input, t[i]))
			return true;
	return false;
}

static const struct event_intent *found(struct intent *in, const struct rec *r,
					const struct llm_tool *t, const char *match)
{
	struct event_intent *f = &in->found;

	llm_tool_shown(t, in->input, sizeof(in->input));
	*f = (struct event_intent){ .tool = t->name, .input = in->input, .prompt = r->x.prompt,
		.model = r->x.model, .host = r->host, .match = match, .ts_ns = r->ts_ns };
	return f;
}

/* the newest record of agent_pid before ts from slot back i, NULL after all */
static const struct rec *nth_newest(const struct intent *in, size_t i, uint32_t agent_pid,
				    uint64_t ts)
{
	const struct rec *r = &in->recs[(in->next + INTENT_KEEP - 1 - i) % INTENT_KEEP];

	return r->ts_ns && r->agent_pid == agent_pid && r->ts_ns <= ts ? r : NULL;
}

const struct event_intent *intent_find(struct intent *in, const struct event *ev)
{
	const char *t[3];
	size_t n;

	if (!in || !ev->alert || !ev->agent_pid)
		return NULL;
	n = targets(ev, t);
	for (size_t i = 0; i < INTENT_KEEP; i++) {
		const struct rec *r = nth_newest(in, i, ev->agent_pid, ev->ts_ns);

		if (!r || r->ts_ns + INTENT_NAMED_NS < ev->ts_ns)
			continue;
		for (size_t k = r->x.n_tools; k-- > 0;)
			if (names_target(&r->x.tools[k], t, n))
				return found(in, r, &r->x.tools[k], "named");
	}
	for (size_t i = 0; i < INTENT_KEEP; i++) {
		const struct rec *r = nth_newest(in, i, ev->agent_pid, ev->ts_ns);

		if (r && r->ts_ns + INTENT_WINDOW_NS >= ev->ts_ns)
			return found(in, r, &r->x.tools[r->x.n_tools - 1], "last");
	}
	return NULL;
}

/* "key": "value" members, NULL values as null */
static void members(struct jw *w, const char *const kv[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		jw_key(w, kv[i][0]);
		jw_str(w, kv[i][1]);
	}
}

void intent_json(struct jw *w, const struct event_intent *it)
{
	char ts[48];
	const char *const kv[][2] = {
		{ "tool", it->tool }, { "input", it->input }, { "prompt", it->prompt },
		{ "model", it->model }, { "host", it->host }, { "ts", ts }, { "match", it->match },
	};

	output_rfc3339(it->ts_ns, ts, sizeof(ts));
	jw_key(w, "intent");
	jw_obj_begin(w);
	members(w, kv, sizeof(kv) / sizeof(kv[0]));
	jw_obj_end(w);
}

size_t intent_text(const struct event_intent *it, char *buf, size_t len)
{
	const char *p = it->prompt ? it->prompt : "";
	size_t pl = strlen(p);
	int n = snprintf(buf, len, "asked: \"%.*s%s\" -> %s: %.*s",
			 pl > PROMPT_SHOWN ? PROMPT_SHOWN : (int)pl, p, pl > PROMPT_SHOWN ? "..." : "",
			 it->tool ? it->tool : "?", SHOWN_MAX, it->input ? it->input : "");

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

/* what the llm event could not read whole */
static void llm_cuts_json(struct jw *w, const struct event_llm *l)
{
	const struct llm *x = l->x;
	const struct { const char *key; uint64_t n; } counts[] = {
		{ "inputs", x->inputs_cut }, { "tools_dropped", x->tools_dropped },
		{ "bad_json", x->bad_json }, { "bytes_missed", l->missed },
	};

	jw_key(w, "cut");
	jw_obj_begin(w);
	jw_key(w, "prompt");
	jw_bool(w, x->prompt_cut);
	jw_key(w, "request_partial");
	jw_bool(w, x->prompt_partial);
	if (l->evicted) {
		jw_key(w, "evicted");
		jw_bool(w, true);
	}
	if (x->encoding_unread || x->inflate_cut) {
		jw_key(w, "encoding");
		jw_str(w, x->encoding);
		jw_key(w, x->encoding_unread ? "encoding_unread" : "inflate_cut");
		jw_bool(w, true);
	}
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		jw_key(w, counts[i].key);
		jw_uint(w, counts[i].n);
	}
	jw_obj_end(w);
}

void intent_llm_json(struct jw *w, const struct event_llm *l)
{
	const struct llm *x = l->x;
	const char *const kv[][2] = {
		{ "host", l->host }, { "api", llm_api_name(x->api) }, { "model", x->model },
		{ "prompt", x->prompt },
	};

	members(w, kv, sizeof(kv) / sizeof(kv[0]));
	jw_key(w, "tools");
	jw_arr_begin(w);
	for (size_t i = 0; i < x->n_tools; i++) {
		jw_obj_begin(w);
		jw_key(w, "name");  jw_str(w, x->tools[i].name);
		jw_key(w, "input"); jw_strn(w, x->tools[i].input, x->tools[i].input_len);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (x->prompt_cut || x->prompt_partial || x->inputs_cut || x->tools_dropped ||
	    x->bad_json || l->missed || l->evicted || x->encoding_unread || x->inflate_cut)
		llm_cuts_json(w, l);
}

size_t intent_llm_text(const struct event_llm *l, char *buf, size_t len)
{
	const struct llm *x = l->x;
	char shown[SHOWN_MAX];
	size_t at = 0;
	int n;

	n = snprintf(buf, len, " %s %s \"%.*s\"", l->host ? l->host : "?",
		     x->model[0] ? x->model : "?", PROMPT_SHOWN, x->prompt);
	for (size_t i = 0; n >= 0 && (at += (size_t)n) < len && i < x->n_tools; i++) {
		llm_tool_shown(&x->tools[i], shown, sizeof(shown));
		n = snprintf(buf + at, len - at, "%s %s: %s", i ? "," : " ->", x->tools[i].name, shown);
	}
	return at < len ? at : len ? len - 1 : 0;
}
