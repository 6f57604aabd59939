// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_sni.c - SNI and ALPN from a TLS ClientHello (see tls_sni.h), RFC 8446
 * 4.1.2, RFC 6066 3, RFC 7301.
 *
 * Every vector is read through struct rd, which knows two sizes: decl, what
 * the enclosing length field promised, and have, what the capture holds.
 * A length past decl is a lie (-1); past have only a cut (0), after which
 * the parse stops with what it has.
 */
#include <string.h>

#include "tls_sni.h"

#define REC_HDR       5
#define REC_MAX       (16384 + 2048)  /* TLSCiphertext bound; plaintext is 2^14 */
#define GATHER_MAX    16384           /* handshake bytes gathered over records */
#define EXT_SNI       0
#define EXT_ALPN      16

struct rd {
	const uint8_t *p;
	size_t pos, have, decl;   /* have <= decl */
};

/* 1 when n more bytes are there, 0 when cut, -1 when past the declared end */
static int rd_need(const struct rd *r, size_t n)
{
	if (r->pos + n > r->decl)
		return -1;
	return r->pos + n <= r->have;
}

static int rd_uint(struct rd *r, size_t n, size_t *v)
{
	int ok = rd_need(r, n);

	if (ok <= 0)
		return ok;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | r->p[r->pos++];
	return 1;
}

/* a vector with an n-byte length: sub spans it and r moves past it */
static int rd_vec(struct rd *r, size_t n, struct rd *sub)
{
	size_t len;
	int ok = rd_uint(r, n, &len);

	if (ok <= 0)
		return ok;
	if (r->pos + len > r->decl)
		return -1;
	sub->p = r->p + r->pos;
	sub->pos = 0;
	sub->decl = len;
	sub->have = r->have > r->pos ? r->have - r->pos : 0;
	if (sub->have > len)
		sub->have = len;
	r->pos += len;
	return 1;
}

/* a vector that must lie wholly in the capture to be used: 1, 0 or -1 */
static int rd_whole(struct rd *r, size_t n, struct rd *sub)
{
	int ok = rd_vec(r, n, sub);

	return ok <= 0 ? ok : sub->have == sub->decl;
}

static bool valid_host(const uint8_t *s, size_t n)
{
	if (!n || n > TLS_SNI_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/* server_name extension data */
static int parse_sni(struct rd *ext, struct tls_hello *h)
{
	struct rd list, name;
	size_t type;
	int ok = rd_vec(ext, 2, &list);

	while (ok > 0 && list.pos < list.decl) {
		if ((ok = rd_uint(&list, 1, &type)) <= 0 ||
		    (ok = rd_whole(&list, 2, &name)) <= 0)
			break;
		if (type != 0 || h->has_sni)
			continue;
		if (!valid_host(name.p, name.decl))
			return -1;
		memcpy(h->sni, name.p, name.decl);
		h->sni[name.decl] = '\0';
		h->has_sni = true;
	}
	return ok;
}

static void add_alpn(struct tls_hello *h, const uint8_t *p, size_t n)
{
	if (n == 2 && !memcmp(p, "h2", 2))
		h->alpn_h2 = true;
	if (n == 8 && !memcmp(p, "http/1.1", 8))
		h->alpn_http11 = true;
	if (h->n_alpn == TLS_ALPN_MAX || n > TLS_ALPN_LEN)
		return;
	memcpy(h->alpn[h->n_alpn], p, n);
	h->alpn[h->n_alpn++][n] = '\0';
}

/* application_layer_protocol_negotiation extension data */
static int parse_alpn(struct rd *ext, struct tls_hello *h)
{
	struct rd list, proto;
	int ok = rd_vec(ext, 2, &list);

	while (ok > 0 && list.pos < list.decl) {
		if ((ok = rd_whole(&list, 1, &proto)) <= 0)
			break;
		if (!proto.decl)
			return -1;
		add_alpn(h, proto.p, proto.decl);
	}
	return ok;
}

static int parse_extensions(struct rd *body, struct tls_hello *h)
{
	struct rd exts, ext;
	size_t type;
	int ok = rd_vec(body, 2, &exts);

	while (ok > 0 && exts.pos < exts.decl) {
		if ((ok = rd_uint(&exts, 2, &type)) <= 0 || (ok = rd_vec(&exts, 2, &ext)) <= 0)
			break;
		if (type == EXT_SNI)
			ok = parse_sni(&ext, h);
		else if (type == EXT_ALPN)
			ok = parse_alpn(&ext, h);
		/* an extension with bytes left over is as much a lie as one too long */
		if (ok > 0 && (type == EXT_SNI || type == EXT_ALPN) && ext.pos != ext.decl)
			ok = -1;
	}
	return ok;
}

/* the ClientHello body: 1 complete, 0 cut, -1 malformed */
static int parse_body(struct rd *body, struct tls_hello *h)
{
	struct rd v;
	size_t ver;
	int ok;

	if ((ok = rd_uint(body, 2, &ver)) <= 0)
		return ok;
	h->hello_version = (uint16_t)ver;
	if ((ok = rd_need(body, 32)) <= 0)   /* random */
		return ok;
	body->pos += 32;
	if ((ok = rd_vec(body, 1, &v)) <= 0)
		return ok;
	if (v.decl > 32)
		return -1;
	if ((ok = rd_vec(body, 2, &v)) <= 0)
		return ok;
	if (!v.decl || v.decl % 2)
		return -1;
	if ((ok = rd_vec(body, 1, &v)) <= 0)
		return ok;
	if (!v.decl)
		return -1;
	if (body->pos == body->decl)       /* no extensions (TLS 1.2 allows it) */
		return body->pos <= body->have;
	if ((ok = parse_extensions(body, h)) <= 0)
		return ok;
	if (body->pos != body->decl)
		return -1;
	return body->pos <= body->have;
}

static bool is_record(const uint8_t *p)
{
	return p[0] == 0x16 && p[1] == 3 && p[2] <= 4;
}

/*
 * Handshake bytes of the handshake records at the start of buf into out
 * (at most GATHER_MAX).  *more says the capture ended inside them (more may
 * have followed); returns the bytes gathered or -1 for a bad record.
 */
static long gather(const uint8_t *buf, size_t len, uint8_t *out, bool *more)
{
	size_t off = 0, n = 0;

	*more = true;
	while (off + REC_HDR <= len && n < GATHER_MAX) {
		size_t rlen = (size_t)buf[off + 3] << 8 | buf[off + 4], take;

		if (!is_record(buf + off)) {
			*more = false;
			break;
		}
		if (!rlen || rlen > REC_MAX)
			return -1;
		take = len - off - REC_HDR;
		take = take < rlen ? take : rlen;
		take = take < GATHER_MAX - n ? take : GATHER_MAX - n;
		memcpy(out + n, buf + off + REC_HDR, take);
		n += take;
		off += REC_HDR + rlen;
	}
	return (long)n;
}

int tls_parse_client_hello(const uint8_t *buf, size_t len, struct tls_hello *h)
{
	uint8_t hs[GATHER_MAX];
	struct rd body;
	bool more;
	long n;
	int ok;

	memset(h, 0, sizeof(*h));
	if (len < REC_HDR + 1 || !is_record(buf) || buf[REC_HDR] != 1)
		return 0;
	h->record_version = (uint16_t)(buf[1] << 8 | buf[2]);
	n = gather(buf, len, hs, &more);
	if (n < 0)
		return -1;
	if (n < 4)
		return more ? 1 : -1;
	body.p = hs + 4;
	body.pos = 0;
	body.decl = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
	body.have = (size_t)n - 4 < body.decl ? (size_t)n - 4 : body.decl;
	/* the hello ends before the capture does, yet the records stop short */
	if (body.have < body.decl && !more && n < GATHER_MAX)
		return -1;
	ok = parse_body(&body, h);
	if (ok < 0) {
		/* a name read before the lie showed may be cut by it: keep none */
		h->has_sni = h->alpn_h2 = h->alpn_http11 = false;
		h->sni[0] = '\0';
		h->n_alpn = 0;
		return -1;
	}
	h->complete = ok > 0;
	return 1;
}
