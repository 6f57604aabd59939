// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fuzz_llm.c - libFuzzer target: any bytes as a model API request and answer of every API, whole or read in part. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"

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
	if (strlen(x.prompt) >= sizeof(x.prompt) || x.n_tools > LLM_TOOLS_MAX)
		abort();
	for (size_t i = 0; i < x.n_tools; i++) {
		if (x.tools[i].input_len >= LLM_INPUT_MAX || strlen(x.tools[i].input) != x.tools[i].input_len)
			abort();
		llm_tool_shown(&x.tools[i], shown, sizeof(shown));
	}
	return 0;
}
