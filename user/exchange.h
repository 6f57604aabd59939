/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * exchange.h - the bodies of one HTTP/1 exchange with a model API on one
 * connection: the request body the client sent after its head, then the
 * response (head and body) it read, from the captured pieces (cap bytes
 * captured of ret moved: the rest is a gap).  Each body is kept up to
 * LLM_BODY_MAX; what was missed (gaps, bytes past the bound) is counted and
 * makes the body "not whole".  Chunked responses are de-chunked when the
 * exchange is decoded (llm.h).
 */
#ifndef AGENTMON_EXCHANGE_H
#define AGENTMON_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm.h"

struct exchange;

struct exchange_stats {
	uint64_t missed;       /* body bytes not captured or past the bound */
};

#define EXCHANGE_BUDGET (16u << 20) /* bytes all exchanges sharing a budget hold */

/* a request head seen: api and path (for Gemini's model), its
 * Content-Length (-1: none); *held counts the bytes the exchanges sharing
 * it hold (at most EXCHANGE_BUDGET; past it bytes are missed).  NULL on ENOMEM */
struct exchange *exchange_new(enum llm_api api, const char *path, size_t path_len,
			      int64_t content_length, uint64_t *held);
/* an HTTP/2 stream's exchange: the bytes sent and read are its DATA
 * payloads, bodies without heads or chunks; it ends when the caller says */
struct exchange *exchange_new_h2(enum llm_api api, const char *path, size_t path_len,
				 uint64_t *held);
void exchange_free(struct exchange *x);
/* bytes the client sent after the head */
void exchange_send(struct exchange *x, const uint8_t *buf, size_t cap, uint64_t ret);
/* bytes the client read */
void exchange_recv(struct exchange *x, const uint8_t *buf, size_t cap, uint64_t ret);
/* the response was read to its end (Content-Length, last chunk) */
bool exchange_done(const struct exchange *x);
/* bytes were read since the request */
bool exchange_answered(const struct exchange *x);
/* bytes x holds (itself and its buffers) */
size_t exchange_mem(const struct exchange *x);
/* decode what was kept into out (llm_finish done); the bytes missed */
uint64_t exchange_decode(struct exchange *x, struct llm *out);

#endif
