/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dns.h - DNS messages (RFC 1035) from untrusted bytes: the header, the
 * first question's name, and the A/AAAA/CNAME answers that belong to it
 * (the CNAME chain from the question and the addresses at any name of the
 * chain), so that an address maps back to the name that was asked.  Queries
 * parse as well (the name, with label statistics for names that carry data).
 * Results are copied into struct dns_msg; nothing is allocated.
 */
#ifndef AGENTMON_DNS_H
#define AGENTMON_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX   1024 /* text of a name: 255 wire bytes, \DDD escapes, NUL */
#define DNS_MAX_ADDRS  32   /* addresses kept */
#define DNS_MAX_CNAMES 8    /* CNAME targets followed from the question */

#define DNS_TYPE_A     1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA  28

struct dns_addr {
	uint8_t addr[16];      /* network order; IPv4 in the first 4 bytes */
	uint16_t family;       /* AF_INET or AF_INET6 */
	uint32_t ttl;
};

struct dns_msg {
	uint16_t id;
	uint16_t flags;        /* the header's second 16 bits */
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t opcode, rcode;
	bool response;         /* QR */
	bool tc;               /* TC: the server cut the answer */
	bool cut;              /* the buffer ended inside the sections parsed */
	bool has_question;
	/* first question: name in lower-case text ("www.example.com", root ".") */
	char qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	uint8_t qlabels;       /* labels of qname */
	uint8_t qlabel_max;    /* longest label of qname */
	/* CNAME chain from qname, in order: cnames[0] is qname's target */
	char cnames[DNS_MAX_CNAMES][DNS_NAME_MAX];
	size_t n_cnames;
	/* A/AAAA records whose owner is qname or a name of the chain */
	struct dns_addr addrs[DNS_MAX_ADDRS];
	size_t n_addrs;
};

/*
 * Parse a DNS message.  With tcp, buf starts with the 2-byte length prefix
 * of DNS over TCP.  Returns 1 for a message (m->cut when the buffer ended
 * early: what came before is in *m), 0 when buf is too short for a header,
 * -1 when malformed (a bad label, pointer loop, name over 255 bytes, an
 * RDATA length past its message, a wrong-sized address).
 */
int dns_parse(const uint8_t *buf, size_t len, bool tcp, struct dns_msg *m);

/*
 * The name at offset *off of msg (len bytes) in text form into out (outsz
 * >= DNS_NAME_MAX), lower-case, non-printables and '.' '\\' inside labels
 * as \DDD.  Follows compression pointers (backwards only, so loops are
 * impossible).  Moves *off past the name where it is in place.  Returns the
 * number of labels, -1 when malformed, -2 when the buffer ends inside it.
 */
int dns_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t outsz,
	     uint8_t *label_max);

#endif
