// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fuzz_http1.c - libFuzzer target: HTTP/1 request heads and status lines, then redaction of what they report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_req r;
	char out[512];
	uint8_t *copy = malloc(size ? size : 1);
	int st;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (http1_parse_request(copy, size, &r) != 0) {
		for (size_t i = 0; i < r.n_headers; i++)
			redact_header_value(r.headers[i].name, r.headers[i].name_len,
					    r.headers[i].value, r.headers[i].value_len, out, sizeof(out));
		if (r.path)
			redact_query(r.path, r.path_len, out, sizeof(out));
		if (r.head_complete && r.head_len > size)
			abort();
	}
	http1_parse_status(copy, size, &st);
	free(copy);
	return 0;
}
