/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * llm.h - one exchange between an agent and its model API, from the request
 * and response bodies (jansson): the model, the last user message of the
 * request, and the tool calls the model answered with.  Anthropic Messages,
 * OpenAI Chat Completions and Responses, Gemini generateContent and
 * streamGenerateContent; answers whole (JSON) or streamed (SSE `data:`
 * lines, or Gemini's JSON array).
 *
 * Everything is bounded: bodies are read up to LLM_BODY_MAX, strings cut to
 * their fields' sizes, at most LLM_TOOLS_MAX tool calls; what was cut or
 * could not be decoded is counted in struct llm.  A cut or garbled body
 * gives what its readable parts say.  The bytes are the agent's: hostile.
 * Prompt and tool inputs are redacted (redact_keys) by llm_finish.
 */
#ifndef AGENTMON_LLM_H
#define AGENTMON_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLM_BODY_MAX   (1u << 20) /* bytes of one body read */
#define LLM_TOOLS_MAX  16
#define LLM_NAME_MAX   128
#define LLM_INPUT_MAX  2048       /* bytes of one tool input kept */
#define LLM_PROMPT_MAX 1024       /* bytes of the prompt kept */
#define LLM_MODEL_MAX  128

enum llm_api {
	LLM_NONE = 0,
	LLM_ANTHROPIC,        /* POST .../v1/messages */
	LLM_OPENAI_CHAT,      /* POST .../chat/completions */
	LLM_OPENAI_RESPONSES, /* POST .../responses */
	LLM_GEMINI,           /* POST .../models/M:generateContent, :streamGenerateContent */
};

struct llm_tool {
	int key;                      /* stream index it was announced at, -1: none */
	char name[LLM_NAME_MAX];
	char input[LLM_INPUT_MAX];    /* JSON text of the arguments, cut */
	size_t input_len;
	bool input_cut;
};

struct llm {
	enum llm_api api;
	char model[LLM_MODEL_MAX];
	char prompt[LLM_PROMPT_MAX];  /* the last user message with text */
	struct llm_tool tools[LLM_TOOLS_MAX];
	size_t n_tools;
	bool prompt_cut;              /* longer than LLM_PROMPT_MAX */
	bool prompt_partial;          /* the request body was not read whole: taken
				       * from what was (its tail), perhaps none */
	uint32_t tools_dropped;       /* tool calls past LLM_TOOLS_MAX */
	uint32_t inputs_cut;          /* tool inputs longer than LLM_INPUT_MAX */
	uint32_t bad_json;            /* bodies or SSE lines that did not decode */
	char encoding[16];            /* the answer's Content-Encoding when not read
				       * as is ("gzip", "deflate", "br", ...), "" */
	bool encoding_unread;         /* encoded in a way not decoded (br, zstd, an
				       * unknown one, a corrupt gzip/deflate stream) */
	bool inflate_cut;             /* decoded past LLM_BODY_MAX: the rest not read */
};

/* the API a request path names (query aside), LLM_NONE when none */
enum llm_api llm_api_of(const char *path, size_t len);
/* the API's name ("anthropic", "openai-chat", ...) */
const char *llm_api_name(enum llm_api api);

/* start x for api; path (may be NULL) gives Gemini's model */
void llm_init(struct llm *x, enum llm_api api, const char *path, size_t path_len);
/*
 * the request body (len bytes; whole: false when bytes of it are missing).
 * Returns 1 when a prompt was found, 0 when none, -1 when it did not decode.
 */
int llm_request(struct llm *x, const char *body, size_t len, bool whole);
/* the response body, JSON or SSE: tool calls and model.  Returns how many
 * tool calls x holds, -1 when nothing in it decoded */
int llm_response(struct llm *x, const char *body, size_t len);
/* redact prompt and inputs; call once, after the last llm_response */
void llm_finish(struct llm *x);

/*
 * the value a person reads of a tool input: a "command", "cmd", "url",
 * "file_path", "path" or "query" string member of the input object when it
 * has one, else the input as is; into out (always terminated).
 */
size_t llm_tool_shown(const struct llm_tool *t, char *out, size_t outsz);

#endif
