// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_policy.c - libFuzzer target: policy_load_buffer on arbitrary YAML.
 * A failure must leave no policy and an error message "fuzz.yaml:...".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	char err[512];

	if (policy_load_buffer("fuzz.yaml", (const char *)data, size, &p, err, sizeof(err)) == 0) {
		if (!p)
			abort();
		policy_free(p);
	} else if (p || strncmp(err, "fuzz.yaml", 9) != 0) {
		abort();
	}
	return 0;
}
