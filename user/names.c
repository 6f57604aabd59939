// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* names.c - address to host name cache over table.c; see names.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "table.h"

struct name_key {
	uint16_t family;
	uint8_t addr[16];
};

struct name_val {
	uint64_t expires;
	char host[NAMES_HOST_MAX];
};

struct names {
	struct table *t;
};

static struct name_key key_of(uint16_t family, const uint8_t *addr)
{
	struct name_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	memcpy(k.addr, addr, family == 10 ? 16 : 4);
	return k;
}

struct names *names_new(size_t max)
{
	struct names *n = calloc(1, sizeof(*n));

	if (n && !(n->t = table_new(sizeof(struct name_key), sizeof(struct name_val),
				    max ? max : NAMES_MAX, NULL, NULL))) {
		free(n);
		n = NULL;
	}
	return n;
}

void names_free(struct names *n)
{
	if (n)
		table_free(n->t);
	free(n);
}

void names_add(struct names *n, uint16_t family, const uint8_t *addr,
	       const char *host, uint32_t ttl_s, uint64_t now_s)
{
	struct name_key k = key_of(family, addr);
	struct name_val *v;
	size_t i;

	if (!host || !*host || (family != 2 && family != 10))
		return;
	v = table_put(n->t, &k, NULL);
	if (!v)
		return;
	for (i = 0; host[i] && i < sizeof(v->host) - 1; i++)
		v->host[i] = (char)tolower((unsigned char)host[i]);
	v->host[i] = '\0';
	v->expires = now_s + (ttl_s > NAMES_MIN_TTL ? ttl_s : NAMES_MIN_TTL);
}

const char *names_lookup(struct names *n, uint16_t family, const uint8_t *addr, uint64_t now_s)
{
	struct name_key k = key_of(family, addr);
	struct name_val *v = table_get(n->t, &k);

	if (!v)
		return NULL;
	if (v->expires < now_s) {
		table_del(n->t, &k);
		return NULL;
	}
	return v->host;
}
