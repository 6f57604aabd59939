// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_redact.c - libFuzzer target: every redaction on any bytes and output
 * size, and in place; masking in place (what traces store) keeps the length
 * and gives the same bytes when done again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outsz, split, n;
	char *in, *out;

	if (size < 2)
		return 0;
	outsz = data[0] * 4u;   /* 0..1020, including 0 */
	split = data[1] % (size - 1);
	data += 2;
	size -= 2;
	in = malloc(size ? size : 1);
	out = malloc(outsz ? outsz : 1);
	memcpy(in, data, size);
	redact_header_value(in, split, in + split, size - split, out, outsz);
	n = redact_query(in, size, out, outsz);
	if (outsz && (n >= outsz || out[n]))
		abort();
	redact_keys(in, size, out, outsz);
	redact_keys(in, size, in, size);   /* in place: never longer */
	memcpy(in, data, size);
	if (redact_keys_mask(in, size) > size)
		abort();
	memcpy(out, in, size < outsz ? size : outsz);
	if (size <= outsz && (redact_keys_mask(out, size), memcmp(out, in, size)))
		abort(); /* masking what was masked changes nothing */
	free(in);
	free(out);
	return 0;
}
