// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dns.c - DNS message parsing (see dns.h), RFC 1035 4.1.
 *
 * Names are decoded to lower-case text, so that the answers can be matched
 * to the question with strcmp.  The answer section is walked once to check
 * it (any fault in it is an error, a cut keeps the records before it), then
 * again for each step of the CNAME chain and once for the addresses: no
 * record is stored, each walk re-reads the names from the message.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define HDR_LEN       12
#define NAME_WIRE_MAX 255
#define LABEL_MAX     63
#define CLASS_IN      1

/* one resource record of the answer section */
struct rr {
	char owner[DNS_NAME_MAX];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdoff, rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* append one label to out in text form; false when out is full */
static bool put_label(const uint8_t *p, size_t n, char *out, size_t outsz, size_t *o)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		char tmp[5];
		size_t k;

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 'a' - 'A');
		if (c <= ' ' || c >= 0x7f || c == '.' || c == '\\')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\%03u", c);
		else
			tmp[0] = (char)c, k = 1;
		if (*o + k + 1 >= outsz)
			return false;
		memcpy(out + *o, tmp, k);
		*o += k;
	}
	return true;
}

int dns_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t outsz,
	     uint8_t *label_max)
{
	size_t pos = *off, seg = *off, wire = 1, o = 0;
	bool jumped = false;
	int labels = 0;

	if (label_max)
		*label_max = 0;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -2;
		c = msg[pos];
		if (c == 0)
			break;
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return -2;
			to = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (to >= seg)   /* only strictly backwards: no loop */
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = seg = to;
			continue;
		}
		if (c > LABEL_MAX)   /* 0x40 and 0x80 label types are not in use */
			return -1;
		wire += 1u + c;
		if (wire > NAME_WIRE_MAX)
			return -1;
		if (pos + 1 + c > len)
			return -2;
		if (labels) {
			if (o + 2 >= outsz)
				return -1;
			out[o++] = '.';
		}
		if (!put_label(msg + pos + 1, c, out, outsz, &o))
			return -1;
		if (label_max && c > *label_max)
			*label_max = c;
		labels++;
		pos += 1u + c;
	}
	if (!jumped)
		*off = pos + 1;
	if (!labels && outsz > 1)
		out[o++] = '.';
	if (outsz)
		out[o] = '\0';
	return labels;
}

/* the record at *pos; 1, -1 malformed, -2 cut */
static int rr_next(const uint8_t *msg, size_t len, size_t *pos, struct rr *rr)
{
	const uint8_t *p;
	int ok = dns_name(msg, len, pos, rr->owner, sizeof(rr->owner), NULL);

	if (ok < 0)
		return ok;
	if (*pos + 10 > len)
		return -2;
	p = msg + *pos;
	rr->type = get16(p);
	rr->class = get16(p + 2);
	rr->ttl = (uint32_t)get16(p + 4) << 16 | get16(p + 6);
	rr->rdlen = get16(p + 8);
	rr->rdoff = *pos + 10;
	if (rr->rdoff + rr->rdlen > len)
		return -2;
	*pos = rr->rdoff + rr->rdlen;
	if ((rr->type == DNS_TYPE_A && rr->rdlen != 4) ||
	    (rr->type == DNS_TYPE_AAAA && rr->rdlen != 16))
		return -1;
	return 1;
}

/* the target of a CNAME record, which must fill its RDATA exactly */
static int cname_target(const uint8_t *msg, const struct rr *rr, char *out)
{
	size_t off = rr->rdoff;
	int ok = dns_name(msg, rr->rdoff + rr->rdlen, &off, out, DNS_NAME_MAX, NULL);

	if (ok == -2 || (ok >= 0 && off != rr->rdoff + rr->rdlen))
		return -1;  /* RDATA is whole (rr_next checked): a cut is a lie */
	return ok;
}

static bool is_in(const struct rr *rr)
{
	return (rr->class & 0x7fff) == CLASS_IN;
}

/* check n records from pos; returns how many are whole, -1 when malformed */
static long answers_check(const uint8_t *msg, size_t len, size_t pos, size_t n,
			  struct dns_msg *m)
{
	struct rr rr;
	char target[DNS_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		int ok = rr_next(msg, len, &pos, &rr);

		if (ok == -2) {
			m->cut = true;
			return (long)i;
		}
		if (ok < 0 || (rr.type == DNS_TYPE_CNAME && cname_target(msg, &rr, target) < 0))
			return -1;
	}
	return (long)n;
}

/* is name qname or a name of the chain? */
static bool in_chain(const struct dns_msg *m, const char *name)
{
	if (!strcmp(name, m->qname))
		return true;
	for (size_t i = 0; i < m->n_cnames; i++)
		if (!strcmp(name, m->cnames[i]))
			return true;
	return false;
}

/* the CNAME target of owner among n checked records into out; false if none */
static bool find_cname(const uint8_t *msg, size_t len, size_t pos, size_t n,
		       const char *owner, char *out)
{
	struct rr rr;

	for (size_t i = 0; i < n && rr_next(msg, len, &pos, &rr) == 1; i++)
		if (rr.type == DNS_TYPE_CNAME && is_in(&rr) && !strcmp(rr.owner, owner))
			return cname_target(msg, &rr, out) >= 0;
	return false;
}

static void collect_addrs(const uint8_t *msg, size_t len, size_t pos, size_t n,
			  struct dns_msg *m)
{
	struct rr rr;

	for (size_t i = 0; i < n && rr_next(msg, len, &pos, &rr) == 1; i++) {
		struct dns_addr *a;

		if ((rr.type != DNS_TYPE_A && rr.type != DNS_TYPE_AAAA) || !is_in(&rr) ||
		    m->n_addrs == DNS_MAX_ADDRS || !in_chain(m, rr.owner))
			continue;
		a = &m->addrs[m->n_addrs++];
		memset(a, 0, sizeof(*a));
		memcpy(a->addr, msg + rr.rdoff, rr.rdlen);
		a->family = rr.type == DNS_TYPE_A ? AF_INET : AF_INET6;
		a->ttl = rr.ttl;
	}
}

/* the answer section at pos: chain, then addresses; 1 or -1 */
static int parse_answers(const uint8_t *msg, size_t len, size_t pos, struct dns_msg *m)
{
	long n = answers_check(msg, len, pos, m->ancount, m);
	const char *owner = m->qname;

	if (n < 0)
		return -1;
	if (!m->has_question)
		return 1;
	while (m->n_cnames < DNS_MAX_CNAMES &&
	       find_cname(msg, len, pos, (size_t)n, owner, m->cnames[m->n_cnames])) {
		if (in_chain(m, m->cnames[m->n_cnames])) {   /* a CNAME loop */
			m->cnames[m->n_cnames][0] = '\0';
			break;
		}
		owner = m->cnames[m->n_cnames++];
	}
	collect_addrs(msg, len, pos, (size_t)n, m);
	return 1;
}

/* the questions at *pos (the first one kept); 1, -1 malformed, -2 cut */
static int parse_questions(const uint8_t *msg, size_t len, size_t *pos, struct dns_msg *m)
{
	char name[DNS_NAME_MAX];

	for (size_t i = 0; i < m->qdcount; i++) {
		uint8_t lmax;
		int ok = dns_name(msg, len, pos, i ? name : m->qname, DNS_NAME_MAX, &lmax);

		if (ok < 0)
			return ok;
		if (*pos + 4 > len)
			return -2;
		if (!i) {
			m->qtype = get16(msg + *pos);
			m->qclass = get16(msg + *pos + 2);
			m->qlabels = (uint8_t)ok;
			m->qlabel_max = lmax;
			m->has_question = true;
		}
		*pos += 4;
	}
	return 1;
}

int dns_parse(const uint8_t *buf, size_t len, bool tcp, struct dns_msg *m)
{
	size_t pos = HDR_LEN;
	int ok;

	memset(m, 0, sizeof(*m));
	if (tcp) {
		size_t dl;

		if (len < 2)
			return 0;
		dl = get16(buf);
		buf += 2;
		len -= 2;
		if (dl > len)
			m->cut = true;
		else
			len = dl;
	}
	if (len < HDR_LEN)
		return 0;
	m->id = get16(buf);
	m->flags = get16(buf + 2);
	m->response = m->flags & 0x8000;
	m->opcode = (m->flags >> 11) & 0xf;
	m->tc = m->flags & 0x0200;
	m->rcode = m->flags & 0xf;
	m->qdcount = get16(buf + 4);
	m->ancount = get16(buf + 6);
	m->nscount = get16(buf + 8);
	m->arcount = get16(buf + 10);
	ok = parse_questions(buf, len, &pos, m);
	if (ok == -2) {
		m->cut = true;
		return 1;
	}
	if (ok < 0)
		return -1;
	return parse_answers(buf, len, pos, m);
}
