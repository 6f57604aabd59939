// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fuzz_dns.c - libFuzzer target: DNS messages over UDP and TCP framing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (int tcp = 0; tcp < 2; tcp++) {
		if (dns_parse(copy, size, tcp, &m) == 1 &&
		    (m.n_addrs > DNS_MAX_ADDRS || m.n_cnames > DNS_MAX_CNAMES ||
		     strlen(m.qname) >= DNS_NAME_MAX))
			abort();
	}
	free(copy);
	return 0;
}
