// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * redact.c - secrets never leave whole (see redact.h).
 *
 * All output goes through struct rbuf, which cuts at the caller's size and
 * uses memmove, so that redact_keys can run over its own output in place:
 * the write position never passes the read position because every
 * replacement is shorter than what it replaces.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

#define SCHEME_MAX 16   /* longest auth scheme kept ("Bearer", "Negotiate") */
#define PNAME_MAX  64   /* query parameter name bytes compared */

struct rbuf {
	char *p;
	size_t sz, len;
};

static void put(struct rbuf *o, const char *s, size_t n)
{
	size_t room = o->sz ? o->sz - 1 - o->len : 0;

	if (n > room)
		n = room;
	memmove(o->p + o->len, s, n);
	o->len += n;
}

static size_t finish(struct rbuf *o)
{
	if (o->sz)
		o->p[o->len] = '\0';
	return o->len;
}

static bool contains_nocase(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(s + i, lit, k))
			return true;
	return false;
}

/* name equal to one of exact[] or containing one of part[] (NULL-ended) */
static bool name_matches(const char *name, size_t n, const char *const *exact,
			 const char *const *part)
{
	for (; *exact; exact++)
		if (strlen(*exact) == n && !strncasecmp(name, *exact, n))
			return true;
	for (; *part; part++)
		if (contains_nocase(name, n, *part))
			return true;
	return false;
}

bool redact_header_is_secret(const char *name, size_t name_len)
{
	static const char *const exact[] = {
		"authorization", "proxy-authorization", "cookie", "set-cookie",
		"x-api-key", "api-key", "x-auth-token", "x-goog-api-key", NULL,
	};
	static const char *const part[] = {
		"token", "secret", "password", "passwd", "apikey", "api-key", "api_key",
		"session", "credential", NULL,
	};

	return name_matches(name, name_len, exact, part);
}

/* "Bearer xyz": the length of "Bearer " (token and one space), else 0 */
static size_t auth_scheme_len(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && i <= SCHEME_MAX &&
	       ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		(v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
		i++;
	return i && i <= SCHEME_MAX && i < n && v[i] == ' ' ? i + 1 : 0;
}

size_t redact_header_value(const char *name, size_t name_len, const char *value,
			   size_t value_len, char *out, size_t outsz)
{
	struct rbuf o = { out, outsz, 0 };

	if (!redact_header_is_secret(name, name_len))
		return redact_keys(value, value_len, out, outsz);
	if (contains_nocase(name, name_len, "authorization"))
		put(&o, value, auth_scheme_len(value, value_len));
	put(&o, REDACTED, strlen(REDACTED));
	return finish(&o);
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* percent-decode at most PNAME_MAX bytes of a parameter name into d */
static size_t pct_decode(const char *s, size_t n, char *d)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < PNAME_MAX; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = unhex(s[i + 1])) >= 0 &&
		    (lo = unhex(s[i + 2])) >= 0) {
			d[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[k++] = s[i];
		}
	}
	return k;
}

bool redact_param_is_secret(const char *name, size_t n)
{
	static const char *const exact[] = {
		"key", "api_key", "apikey", "token", "access_token", "secret", "password",
		"sig", "signature", "auth", NULL,
	};
	static const char *const part[] = {
		"token", "secret", "password", "passwd", "apikey", "api_key", "api-key", NULL,
	};
	char d[PNAME_MAX];

	n = pct_decode(name, n, d);
	return name_matches(d, n, exact, part);
}

static void put_keys(struct rbuf *o, const char *s, size_t len);

/* one "name=value" parameter [p, e) */
static void put_param(struct rbuf *o, const char *p, const char *e)
{
	const char *eq = memchr(p, '=', (size_t)(e - p));

	if (eq && redact_param_is_secret(p, (size_t)(eq - p))) {
		put(o, p, (size_t)(eq - p) + 1);
		put(o, REDACTED, strlen(REDACTED));
	} else {
		put_keys(o, p, (size_t)(e - p));
	}
}

size_t redact_query(const char *path, size_t len, char *out, size_t outsz)
{
	struct rbuf o = { out, outsz, 0 };
	const char *q = memchr(path, '?', len), *end = path + len;

	if (!q)
		q = end;
	put_keys(&o, path, (size_t)(q - path));
	while (q < end) {
		const char *p = q + 1, *e = p;

		put(&o, q, 1);  /* the separator */
		while (e < end && !strchr("&;#", *e))
			e++;
		put_param(&o, p, e);
		q = e;
	}
	return finish(&o);
}

/* ---- key shapes ---- */

enum { CS_ALNUM = 1, CS_UNDER = 2, CS_DASH = 4, CS_UPPER = 8 };

struct key_shape {
	const char *prefix;
	unsigned cs;       /* characters of the secret part */
	size_t min;        /* fewest of them that make a key */
};

/* longer prefixes first: "sk-ant-" keeps its type, "sk-" catches the rest */
static const struct key_shape shapes[] = {
	{ "sk-ant-", CS_ALNUM | CS_UNDER | CS_DASH, 20 },
	{ "sk-proj-", CS_ALNUM | CS_UNDER | CS_DASH, 20 },
	{ "sk-", CS_ALNUM | CS_UNDER | CS_DASH, 20 },
	{ "github_pat_", CS_ALNUM | CS_UNDER, 22 },
	{ "ghp_", CS_ALNUM, 30 }, { "gho_", CS_ALNUM, 30 }, { "ghu_", CS_ALNUM, 30 },
	{ "ghs_", CS_ALNUM, 30 }, { "ghr_", CS_ALNUM, 30 },
	{ "xoxb-", CS_ALNUM | CS_DASH, 10 }, { "xoxp-", CS_ALNUM | CS_DASH, 10 },
	{ "xoxa-", CS_ALNUM | CS_DASH, 10 }, { "xoxr-", CS_ALNUM | CS_DASH, 10 },
	{ "xoxs-", CS_ALNUM | CS_DASH, 10 },
	{ "glpat-", CS_ALNUM | CS_UNDER | CS_DASH, 20 },
	{ "AKIA", CS_UPPER, 16 }, { "ASIA", CS_UPPER, 16 },
	{ "AIza", CS_ALNUM | CS_UNDER | CS_DASH, 30 },
};

static bool in_cs(char c, unsigned cs)
{
	bool digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z';

	if (cs & CS_UPPER)
		return digit || upper;
	return ((cs & CS_ALNUM) && (digit || upper || (c >= 'a' && c <= 'z'))) ||
	       ((cs & CS_UNDER) && c == '_') || ((cs & CS_DASH) && c == '-');
}

static bool is_word(char c)
{
	return in_cs(c, CS_ALNUM | CS_UNDER);
}

/* a key starting at s: its total length and its shape, else 0 */
static size_t key_at(const char *s, size_t n, const struct key_shape **shape)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size_t pl = strlen(shapes[i].prefix), k = pl;

		if (n < pl || memcmp(s, shapes[i].prefix, pl))
			continue;
		while (k < n && in_cs(s[k], shapes[i].cs))
			k++;
		/* a key cut by the end of the buffer counts from REDACTED's length */
		if (k - pl < shapes[i].min && (k < n || k - pl < strlen(REDACTED)))
			continue;
		*shape = &shapes[i];
		return k;
	}
	return 0;
}

/* s with keys replaced, appended to o (o->p may be s: see the top) */
static void put_keys(struct rbuf *o, const char *s, size_t len)
{
	const struct key_shape *shape;
	char prev = ' ';
	size_t i = 0, k;

	while (i < len) {
		if (!is_word(prev) && (k = key_at(s + i, len - i, &shape))) {
			prev = s[i + k - 1];
			put(o, s + i, strlen(shape->prefix));
			put(o, REDACTED, strlen(REDACTED));
			i += k;
			continue;
		}
		prev = s[i];
		put(o, s + i, 1);
		i++;
	}
}

size_t redact_keys_mask(char *s, size_t len)
{
	const struct key_shape *shape;
	char prev = ' ';
	size_t i = 0, k, masked = 0;

	while (i < len) {
		if (!is_word(prev) && (k = key_at(s + i, len - i, &shape))) {
			prev = s[i + k - 1];
			memset(s + i + strlen(shape->prefix), 'X', k - strlen(shape->prefix));
			masked += k - strlen(shape->prefix);
			i += k;
			continue;
		}
		prev = s[i++];
	}
	return masked;
}

size_t redact_keys(const char *s, size_t len, char *out, size_t outsz)
{
	struct rbuf o = { out, outsz, 0 };

	put_keys(&o, s, len);
	return finish(&o);
}

/* "Name: value" with a header name before the colon: its length, else 0 */
static size_t header_name_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'); i++)
		;
	return i > 0 && i < len && s[i] == ':' ? i : 0;
}

size_t redact_arg(const char *s, size_t len, char *out, size_t outsz)
{
	size_t n = header_name_len(s, len), v;

	if (!outsz)
		return 0;
	if (n && redact_header_is_secret(s, n) && n + 2 < outsz) {
		memcpy(out, s, n);
		memcpy(out + n, ": ", 2);
		for (v = n + 1; v < len && s[v] == ' '; v++)
			;
		return n + 2 + redact_header_value(s, n, s + v, len - v, out + n + 2, outsz - n - 2);
	}
	if (memchr(s, '?', len) && memmem(s, len, "://", 3))
		return redact_query(s, len, out, outsz);
	return redact_keys(s, len, out, outsz);
}
