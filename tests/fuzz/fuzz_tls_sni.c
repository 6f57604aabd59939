// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fuzz_tls_sni.c - libFuzzer target: ClientHello parsing; a reported name is always a valid host name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello h;
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tls_parse_client_hello(copy, size, &h);
	if (h.has_sni && (!h.sni[0] || strlen(h.sni) > TLS_SNI_MAX || strchr(h.sni, '/')))
		abort();
	if (h.n_alpn > TLS_ALPN_MAX)
		abort();
	free(copy);
	return 0;
}
