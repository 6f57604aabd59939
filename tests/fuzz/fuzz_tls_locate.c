// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_tls_locate.c - libFuzzer target: an ELF image as hostile as a tagged
 * agent's binary can be; whatever it holds, the locator returns, and a
 * located function lies inside the image.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_locate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_locate t;
	uint8_t *copy = malloc(size ? size : 1);
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rc = tls_locate_mem(&t, copy, size);
	/* located: a write side (BoringSSL, aws-lc, OpenSSL 3), all inside the image */
	if (rc == 0 && !t.vaddr[TLS_LOC_WRITE] && !t.vaddr[TLS_LOC_SEAL] &&
	    !t.vaddr[TLS_LOC_OSSL_WRITE])
		abort();
	for (int f = 0; f < TLS_LOC_N; f++)
		if (t.vaddr[f] && t.off[f] >= size)
			abort();
	if (rc && t.vaddr[TLS_LOC_WRITE])
		abort();
	if (!memchr(t.why, 0, sizeof(t.why)))
		abort();
	free(copy);
	return 0;
}
