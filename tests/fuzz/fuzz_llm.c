// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fuzz_llm.c - libFuzzer target: any bytes as a model API request and answer of every API, whole or read in part, and as an exchange's pieces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "llm.h"

/* the bytes as pieces of one exchange (HTTP/1, or an HTTP/2 stream's when
 * data[0] has 0x20: its answer sniffed for gzip), the request body, then the
 * answer in pieces of 1..64 bytes, some with a gap */
static void pieces(const uint8_t *data, size_t size)
{
	static struct llm x;
	uint64_t held = 0;
	struct exchange *e = data[0] & 0x20 ?
		exchange_new_h2((enum llm_api)(data[0] % 5), "/v1/x", 5, &held) :
		exchange_new((enum llm_api)(data[0] % 5), "/v1/x", 5,
			     (int64_t)(data[0] & 0x40 ? size / 2 : -1), &held);
	size_t half = size / 2, at = half;

	if (!e)
		return;
	exchange_send(e, data, half, half + (data[0] & 1));
	while (at < size && !exchange_done(e)) {
		size_t n = 1 + data[at] % 64;

		if (n > size - at)
			n = size - at;
		exchange_recv(e, data + at, n, n + (data[at] & 0x80 ? 3 : 0));
		at += n;
	}
	exchange_decode(e, &x);
	exchange_free(e);
	if (held)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct llm x;
	char shown[256];
	enum llm_api api;

	if (size < 1)
		return 0;
	api = (enum llm_api)(data[0] % 5);
	llm_init(&x, api, (const char *)data + 1, size - 1);
	llm_request(&x, (const char *)data + 1, size - 1, data[0] & 0x80);
	llm_response(&x, (const char *)data + 1, size - 1);
	llm_finish(&x);
	pieces(data, size);
	if (strlen(x.prompt) >= sizeof(x.prompt) || x.n_tools > LLM_TOOLS_MAX)
		abort();
	for (size_t i = 0; i < x.n_tools; i++) {
		if (x.tools[i].input_len >= LLM_INPUT_MAX || strlen(x.tools[i].input) != x.tools[i].input_len)
			abort();
		llm_tool_shown(&x.tools[i], shown, sizeof(shown));
	}
	return 0;
}
