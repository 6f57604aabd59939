/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tls_sni.h - the server name (SNI) and ALPN protocols of a TLS ClientHello,
 * parsed from the first bytes a client wrote (untrusted, possibly cut by the
 * capture).  The result is copied into struct tls_hello: nothing points into
 * the buffer and nothing is allocated.
 */
#ifndef AGENTMON_TLS_SNI_H
#define AGENTMON_TLS_SNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX   255  /* longest host name kept (DNS limit), without NUL */
#define TLS_ALPN_MAX  8    /* protocols kept */
#define TLS_ALPN_LEN  32   /* longest protocol name kept, without NUL */

struct tls_hello {
	char sni[TLS_SNI_MAX + 1];     /* host_name, NUL-terminated; "" when none */
	char alpn[TLS_ALPN_MAX][TLS_ALPN_LEN + 1]; /* in the client's order */
	size_t n_alpn;
	uint16_t record_version;       /* of the first record, e.g. 0x0301 */
	uint16_t hello_version;        /* legacy_version, 0x0303 for TLS 1.2/1.3 */
	bool has_sni;                  /* a valid host_name was found */
	bool alpn_h2, alpn_http11;     /* "h2" / "http/1.1" offered */
	bool complete;                 /* the whole ClientHello was in the buffer */
};

/*
 * Parse buf as the start of a TLS stream from a client.  Returns 1 for a
 * ClientHello (handshake records carrying handshake type 1): *h has all
 * that the captured bytes held, complete tells whether that was all of it;
 * 0 when buf is not a ClientHello (or too short to tell: under 6 bytes);
 * -1 when it is a ClientHello whose length fields contradict each other or
 * whose fields are invalid (versions kept, no SNI or ALPN reported).
 */
int tls_parse_client_hello(const uint8_t *buf, size_t len, struct tls_hello *h);

#endif
