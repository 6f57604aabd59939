// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* llm.c - model API requests and answers, decoded with jansson; see llm.h. */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "llm.h"
#include "redact.h"

/* what one value-decoding call may see of the agent's bytes */
#define JFLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static const char *const api_names[] = {
	[LLM_NONE] = "unknown", [LLM_ANTHROPIC] = "anthropic", [LLM_OPENAI_CHAT] = "openai-chat",
	[LLM_OPENAI_RESPONSES] = "openai-responses", [LLM_GEMINI] = "gemini",
};

const char *llm_api_name(enum llm_api api)
{
	return api <= LLM_GEMINI ? api_names[api] : api_names[LLM_NONE];
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* s[0..len) holds needle */
static const char *find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

enum llm_api llm_api_of(const char *path, size_t len)
{
	const char *q;

	if (!path)
		return LLM_NONE;
	if ((q = memchr(path, '?', len)))
		len = (size_t)(q - path);
	if (ends_with(path, len, "/messages"))
		return LLM_ANTHROPIC;
	if (ends_with(path, len, "/chat/completions"))
		return LLM_OPENAI_CHAT;
	if (ends_with(path, len, "/responses"))
		return LLM_OPENAI_RESPONSES;
	if (ends_with(path, len, ":generateContent") || ends_with(path, len, ":streamGenerateContent"))
		return LLM_GEMINI;
	return LLM_NONE;
}

/* copy n bytes of s into dst (size bytes, terminated); true when cut */
static bool put(char *dst, size_t size, const char *s, size_t n)
{
	bool cut = n >= size;

	if (cut)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return cut;
}

static void model_set(struct llm *x, const char *m)
{
	if (m && *m && !x->model[0])
		put(x->model, sizeof(x->model), m, strlen(m));
}

void llm_init(struct llm *x, enum llm_api api, const char *path, size_t path_len)
{
	const char *m, *end;

	memset(x, 0, sizeof(*x));
	x->api = api;
	if (api != LLM_GEMINI || !path || !(m = find(path, path_len, "/models/")))
		return;
	m += strlen("/models/");
	end = memchr(m, ':', path_len - (size_t)(m - path));
	if (end)
		put(x->model, sizeof(x->model), m, (size_t)(end - m));
}

/* ---- tool calls ---- */

/* the tool announced at key (-1: a new one); create: add it when missing */
static struct llm_tool *tool_at(struct llm *x, json_int_t key, bool create)
{
	struct llm_tool *t;

	for (size_t i = 0; key >= 0 && i < x->n_tools; i++)
		if (x->tools[i].key == key)
			return &x->tools[i];
	if (!create)
		return NULL;
	if (x->n_tools == LLM_TOOLS_MAX) {
		x->tools_dropped++;
		return NULL;
	}
	t = &x->tools[x->n_tools++];
	memset(t, 0, sizeof(*t));
	t->key = key >= 0 && key < INT32_MAX ? (int)key : -1;
	return t;
}

static void input_add(struct llm *x, struct llm_tool *t, const char *s, size_t n)
{
	size_t room = sizeof(t->input) - 1 - t->input_len;

	if (n > room) {
		if (!t->input_cut)
			x->inputs_cut++;
		t->input_cut = true;
		n = room;
	}
	memcpy(t->input + t->input_len, s, n);
	t->input_len += n;
	t->input[t->input_len] = '\0';
}

/* the input of t from v: a string is the JSON text (OpenAI arguments),
 * anything else is encoded; replace or append */
static void input_from(struct llm *x, struct llm_tool *t, const json_t *v, bool replace)
{
	char *enc = NULL;
	const char *s;
	size_t n;

	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else {
		if (!(enc = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
			return;
		s = enc;
		n = strlen(enc);
	}
	if (replace) {
		t->input_len = 0;
		t->input[0] = '\0';
	}
	input_add(x, t, s, n);
	free(enc);
}

static void name_set(struct llm_tool *t, const json_t *v)
{
	const char *s = json_string_value(v);

	if (s && *s)
		put(t->name, sizeof(t->name), s, json_string_length(v));
}

/* a tool call whole: name and input, at key (-1: a new one) */
static void tool_whole(struct llm *x, json_int_t key, const json_t *name, const json_t *input)
{
	struct llm_tool *t = tool_at(x, key, true);

	if (!t)
		return;
	name_set(t, name);
	input_from(x, t, input, true);
}

static json_int_t index_of(const json_t *o, const char *key, json_int_t dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : dflt;
}

static bool type_is(const json_t *o, const char *type)
{
	const char *s = json_string_value(json_object_get(o, "type"));

	return s && !strcmp(s, type);
}

/* ---- answers ---- */

static void anthropic_obj(struct llm *x, const json_t *o)
{
	const json_t *content = json_object_get(o, "content"), *b, *d;
	size_t i;

	if (type_is(o, "message")) {
		model_set(x, json_string_value(json_object_get(o, "model")));
		json_array_foreach(content, i, b)
			if (type_is(b, "tool_use"))
				tool_whole(x, (json_int_t)i, json_object_get(b, "name"),
					   json_object_get(b, "input"));
	} else if (type_is(o, "message_start")) {
		model_set(x, json_string_value(json_object_get(json_object_get(o, "message"), "model")));
	} else if (type_is(o, "content_block_start")) {
		b = json_object_get(o, "content_block");
		if (!type_is(b, "tool_use"))
			return;
		d = json_object_get(b, "input");
		tool_whole(x, index_of(o, "index", 0), json_object_get(b, "name"),
			   json_object_size(d) ? d : NULL);
	} else if (type_is(o, "content_block_delta")) {
		struct llm_tool *t = tool_at(x, index_of(o, "index", 0), false);

		d = json_object_get(o, "delta");
		if (t && type_is(d, "input_json_delta"))
			input_from(x, t, json_object_get(d, "partial_json"), false);
	}
}

static void chat_calls(struct llm *x, const json_t *calls, bool delta)
{
	const json_t *c, *fn;
	size_t i;

	json_array_foreach(calls, i, c) {
		struct llm_tool *t = tool_at(x, index_of(c, "index", (json_int_t)i), true);

		if (!t)
			continue;
		fn = json_object_get(c, "function");
		name_set(t, json_object_get(fn, "name"));
		input_from(x, t, json_object_get(fn, "arguments"), !delta);
	}
}

static void chat_obj(struct llm *x, const json_t *o)
{
	const json_t *ch = json_array_get(json_object_get(o, "choices"), 0);

	if (!ch)
		return;
	model_set(x, json_string_value(json_object_get(o, "model")));
	chat_calls(x, json_object_get(json_object_get(ch, "message"), "tool_calls"), false);
	chat_calls(x, json_object_get(json_object_get(ch, "delta"), "tool_calls"), true);
}

/* one output item of a Responses answer, at its output index */
static void responses_item(struct llm *x, json_int_t key, const json_t *item, bool added)
{
	const json_t *args = json_object_get(item, "arguments");
	bool shell = type_is(item, "local_shell_call");
	struct llm_tool *t;

	if (type_is(item, "custom_tool_call"))
		args = json_object_get(item, "input");
	else if (shell)
		args = json_object_get(item, "action");
	else if (!type_is(item, "function_call"))
		return;
	if (added && json_is_string(args) && !json_string_length(args))
		args = NULL; /* the deltas follow */
	tool_whole(x, key, json_object_get(item, "name"), args);
	if (shell && (t = tool_at(x, key, false)) && !t->name[0])
		put(t->name, sizeof(t->name), "local_shell", 11);
}

static void responses_obj(struct llm *x, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	json_int_t key = index_of(o, "output_index", 0);
	const json_t *item;
	struct llm_tool *t;
	size_t i;

	if (json_is_array(json_object_get(o, "output"))) { /* whole */
		model_set(x, json_string_value(json_object_get(o, "model")));
		json_array_foreach(json_object_get(o, "output"), i, item)
			responses_item(x, (json_int_t)i, item, false);
		return;
	}
	if (!type || strncmp(type, "response.", 9))
		return;
	type += 9;
	if (json_is_object(json_object_get(o, "response")))
		responses_obj(x, json_object_get(o, "response"));
	else if (!strcmp(type, "output_item.added") || !strcmp(type, "output_item.done"))
		responses_item(x, key, json_object_get(o, "item"), type[12] == 'a');
	else if (!strcmp(type, "function_call_arguments.delta") && (t = tool_at(x, key, false)))
		input_from(x, t, json_object_get(o, "delta"), false);
	else if (!strcmp(type, "function_call_arguments.done") && (t = tool_at(x, key, false)))
		input_from(x, t, json_object_get(o, "arguments"), true);
}

static void gemini_obj(struct llm *x, const json_t *o)
{
	const json_t *parts, *p, *fc;
	size_t i;

	if (!json_object_get(o, "candidates") && json_is_object(json_object_get(o, "response")))
		o = json_object_get(o, "response"); /* Code Assist wraps it */
	parts = json_object_get(json_object_get(json_array_get(json_object_get(o, "candidates"), 0),
						"content"), "parts");
	if (!parts)
		return;
	model_set(x, json_string_value(json_object_get(o, "modelVersion")));
	json_array_foreach(parts, i, p)
		if ((fc = json_object_get(p, "functionCall")))
			tool_whole(x, -1, json_object_get(fc, "name"), json_object_get(fc, "args"));
}

/* one decoded answer object (whole, one SSE event or one array element) */
static void answer_obj(struct llm *x, const json_t *o)
{
	if (!json_is_object(o))
		return;
	switch (x->api) {
	case LLM_ANTHROPIC:
		anthropic_obj(x, o);
		break;
	case LLM_OPENAI_CHAT:
		chat_obj(x, o);
		break;
	case LLM_OPENAI_RESPONSES:
		responses_obj(x, o);
		break;
	case LLM_GEMINI:
		gemini_obj(x, o);
		break;
	default: /* unknown: each shape is told by its own keys */
		anthropic_obj(x, o);
		chat_obj(x, o);
		responses_obj(x, o);
		gemini_obj(x, o);
		break;
	}
}

/* a JSON value or a sequence of them ("[a, b, ..." of Gemini, cut or not) */
static int json_values(struct llm *x, const char *s, size_t len)
{
	size_t off = 0;
	int got = 0;

	if (len && s[0] == '[')
		off = 1;
	while (off < len) {
		json_error_t err;
		json_t *v;

		while (off < len && memchr(" \t\r\n,]", s[off], 6))
			off++;
		if (off >= len)
			break;
		if (!(v = json_loadb(s + off, len - off, JFLAGS | JSON_DISABLE_EOF_CHECK, &err))) {
			x->bad_json++;
			break;
		}
		got++;
		answer_obj(x, v);
		json_decref(v);
		if (!err.position)
			break;
		off += (size_t)err.position;
	}
	return got;
}

/* Server-sent events: the JSON of each `data:` line */
static int sse_lines(struct llm *x, const char *s, size_t len)
{
	const char *end = s + len;
	int got = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - s);

		if (n && s[n - 1] == '\r')
			n--;
		if (n > 5 && !memcmp(s, "data:", 5)) {
			const char *d = s + 5 + (s[5] == ' ');
			size_t dn = n - (size_t)(d - s);
			json_error_t err;
			json_t *v;

			if (!(dn == 6 && !memcmp(d, "[DONE]", 6))) {
				if ((v = json_loadb(d, dn, JFLAGS, &err))) {
					answer_obj(x, v);
					json_decref(v);
					got++;
				} else {
					x->bad_json++;
				}
			}
		}
		s = nl ? nl + 1 : end;
	}
	return got;
}

int llm_response(struct llm *x, const char *body, size_t len)
{
	size_t off = 0;
	int got;

	if (!body)
		return -1;
	if (len > LLM_BODY_MAX)
		len = LLM_BODY_MAX;
	while (off < len && memchr(" \t\r\n", body[off], 4))
		off++;
	if (off < len && (body[off] == '{' || body[off] == '['))
		got = json_values(x, body + off, len - off);
	else
		got = sse_lines(x, body + off, len - off);
	return got ? (int)x->n_tools : -1;
}

/* ---- requests ---- */

/* the text of one content element (a string, or a text part), or NULL */
static const json_t *part_text(const json_t *part)
{
	const json_t *t = json_is_string(part) ? part : json_object_get(part, "text");

	if (!json_is_string(t) || !json_string_length(t))
		return NULL;
	if (json_is_object(part) && json_object_get(part, "type") && !type_is(part, "text") &&
	    !type_is(part, "input_text"))
		return NULL;
	return t;
}

static void prompt_add(struct llm *x, const json_t *t)
{
	size_t have = strlen(x->prompt);

	if (have && have + 1 < sizeof(x->prompt))
		x->prompt[have++] = '\n';
	if (put(x->prompt + have, sizeof(x->prompt) - have, json_string_value(t),
		json_string_length(t)))
		x->prompt_cut = true;
}

/* reminders an agent adds to the user's message (Claude Code, Qwen Code) */
static bool reminder(const json_t *t)
{
	return !strncmp(json_string_value(t), "<system-reminder>", 17);
}

/*
 * the text of a message's content: a string, or of an array of parts the
 * last one the agent did not add (else all of them)
 */
static bool content_text(struct llm *x, const json_t *content)
{
	const json_t *p, *t, *last = NULL;
	size_t i;

	x->prompt[0] = '\0';
	x->prompt_cut = false;
	if (json_is_string(content))
		prompt_add(x, content);
	json_array_foreach(content, i, p)
		if ((t = part_text(p)) && !reminder(t))
			last = t;
	if (last)
		prompt_add(x, last);
	else
		json_array_foreach(content, i, p)
			if ((t = part_text(p)))
				prompt_add(x, t);
	return x->prompt[0] != '\0';
}

/* the last message of role user with text, in list (field: its content) */
static bool last_user(struct llm *x, const json_t *list, const char *field)
{
	for (size_t i = json_array_size(list); i-- > 0;) {
		const json_t *m = json_array_get(list, i);
		const char *role = json_string_value(json_object_get(m, "role"));

		if (role && !strcmp(role, "user") && content_text(x, json_object_get(m, field)))
			return true;
	}
	return false;
}

static bool request_obj(struct llm *x, const json_t *o)
{
	const json_t *in;

	if (!json_object_get(o, "contents") && json_is_object(json_object_get(o, "request"))) {
		model_set(x, json_string_value(json_object_get(o, "model")));
		o = json_object_get(o, "request"); /* Gemini Code Assist */
	}
	model_set(x, json_string_value(json_object_get(o, "model")));
	if (last_user(x, json_object_get(o, "messages"), "content") ||
	    last_user(x, json_object_get(o, "contents"), "parts"))
		return true;
	in = json_object_get(o, "input");
	if (json_is_string(in))
		return content_text(x, in);
	return last_user(x, in, "content");
}

/* the JSON string literal starting at s (a '"') decoded, *next after it;
 * NULL when it does not end before end or does not decode */
static json_t *literal(const char *s, const char *end, const char **next)
{
	const char *p = s + 1;
	json_error_t err;

	while (p < end && *p != '"')
		p += *p == '\\' ? 2 : 1;
	if (p >= end)
		return NULL;
	*next = p + 1;
	return json_loadb(s, (size_t)(p + 1 - s), JFLAGS, &err);
}

/* the bytes of a `"text":"` or `"content":"` key at p (through the value's
 * quote, excluded), else 0 */
static size_t text_key(const char *p, const char *end)
{
	static const char *const keys[] = { "\"text\":", "\"content\":", "\"text\": ",
					    "\"content\": " };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i]);

		if ((size_t)(end - p) > n && !memcmp(p, keys[i], n) && p[n] == '"')
			return n;
	}
	return 0;
}

/* a body's "model" string, wherever it is */
static void tail_model(struct llm *x, const char *s, const char *end)
{
	const char *p = find(s, (size_t)(end - s), "\"model\":"), *next;
	json_t *v;

	if (!p)
		return;
	p += 8;
	p += p < end && *p == ' ';
	if (p < end && *p == '"' && (v = literal(p, end, &next))) {
		model_set(x, json_string_value(v));
		json_decref(v);
	}
}

/* where the message starting at from ends, as far as it can be told: the
 * next role, or the request's system prompt or tools after the messages */
static const char *message_end(const char *from, const char *end)
{
	static const char *const keys[] = { "\"role\":", "\"system\":", "\"tools\":",
					    "\"systemInstruction\":" };
	const char *stop = end;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *k = find(from + 1, (size_t)(stop - from - 1), keys[i]);

		if (k)
			stop = k;
	}
	return stop;
}

/*
 * a body not read whole: after the last user role, the last text string the
 * agent did not add (else the first one)
 */
static bool tail_prompt(struct llm *x, const char *s, size_t len)
{
	static const char *const roles[] = { "\"role\":\"user\"", "\"role\": \"user\"" };
	const char *end = s + len, *from = NULL, *p;
	json_t *first = NULL, *last = NULL, *v;
	bool ok;

	tail_model(x, s, end);
	for (size_t i = 0; i < 2; i++)
		for (p = s; (p = find(p, (size_t)(end - p), roles[i])); p++)
			if (p > from)
				from = p;
	end = from ? message_end(from, end) : end;
	for (p = from; p && p < end && (p = memchr(p, '"', (size_t)(end - p)));) {
		size_t k = text_key(p, end);

		if (!k) {
			p++;
			continue;
		}
		if (!(v = literal(p + k, end, &p)))
			break; /* cut: the rest was not read */
		if (json_is_string(v) && !reminder(v)) {
			json_decref(last);
			last = v;
		} else if (!first && json_is_string(v)) {
			first = v;
		} else {
			json_decref(v);
		}
	}
	ok = (last || first) && content_text(x, last ? last : first);
	json_decref(first);
	json_decref(last);
	return ok;
}

int llm_request(struct llm *x, const char *body, size_t len, bool whole)
{
	json_error_t err;
	json_t *o;
	bool ok;

	if (!body)
		return -1;
	if (len > LLM_BODY_MAX) {
		len = LLM_BODY_MAX;
		whole = false;
	}
	o = json_loadb(body, len, JFLAGS, &err);
	if (!o) {
		x->bad_json += whole;
		x->prompt_partial = !whole;
		return !whole && tail_prompt(x, body, len) ? 1 : -1;
	}
	ok = request_obj(x, o);
	json_decref(o);
	return ok;
}

void llm_finish(struct llm *x)
{
	redact_keys(x->prompt, strlen(x->prompt), x->prompt, sizeof(x->prompt));
	for (size_t i = 0; i < x->n_tools; i++) {
		struct llm_tool *t = &x->tools[i];

		t->input_len = redact_keys(t->input, t->input_len, t->input, sizeof(t->input));
	}
}

size_t llm_tool_shown(const struct llm_tool *t, char *out, size_t outsz)
{
	static const char *const keys[] = { "command", "cmd", "url", "file_path", "path", "query" };
	json_error_t err;
	json_t *o;
	size_t n;

	if (!outsz)
		return 0;
	o = json_loadb(t->input, t->input_len, JFLAGS, &err);
	for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *v = json_object_get(o, keys[i]);

		if (json_is_string(v)) {
			put(out, outsz, json_string_value(v), json_string_length(v));
			json_decref(o);
			return strlen(out);
		}
	}
	json_decref(o);
	n = t->input_len < outsz ? t->input_len : outsz - 1;
	memcpy(out, t->input, n);
	out[n] = '\0';
	return n;
}
