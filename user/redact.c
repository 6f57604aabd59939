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
#define FIELD_NAME_MAX 64 /* longest JSON member or form field name looked at */

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

enum { CS_ALNUM = 1, CS_UNDER = 2, CS_DASH = 4, CS_UPPER = 8, CS_JWT = 16 };

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
	/* a JSON Web Token: three base64url parts, the first a JSON object ('{"') */
	{ "eyJ", CS_JWT, 10 },
};

static bool in_cs(char c, unsigned cs)
{
	bool digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z';

	if (cs & CS_JWT)
		return c == '.' || in_cs(c, CS_ALNUM | CS_UNDER | CS_DASH);
	if (cs & CS_UPPER)
		return digit || upper;
	return ((cs & CS_ALNUM) && (digit || upper || (c >= 'a' && c <= 'z'))) ||
	       ((cs & CS_UNDER) && c == '_') || ((cs & CS_DASH) && c == '-');
}

static bool is_word(char c)
{
	return in_cs(c, CS_ALNUM | CS_UNDER);
}

/* the dots of a JWT's parts in s[0..k), -1 when an empty part (but the last) or a fourth */
static int jwt_dots(const char *s, size_t k)
{
	int dots = 0;

	for (size_t i = 0; i < k; i++)
		if (s[i] == '.' && (++dots > 2 || i == 0 || s[i - 1] == '.'))
			return -1;
	return dots;
}

/*
 * a JWT's length in s[0..k) (k: the run of its characters, n: the buffer's):
 * three parts (the signature may be empty), a sentence's dots after it left
 * out; k when the end of the buffer cuts it; 0 when it is not one
 */
static size_t jwt_len(const char *s, size_t k, size_t n)
{
	size_t end = k;

	if (jwt_dots(s, k) == 2)
		return k;
	while (end > 0 && s[end - 1] == '.')
		end--;
	if (end < k && jwt_dots(s, end) == 2)
		return end;
	return k == n && jwt_dots(s, k) >= 0 ? k : 0;
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
		if ((shapes[i].cs & CS_JWT) && !(k = jwt_len(s, k, n)))
			continue;
		/* a key cut by the end of the buffer counts from REDACTED's length */
		if (k - pl < shapes[i].min && (k < n || k - pl < strlen(REDACTED)))
			continue;
		*shape = &shapes[i];
		return k;
	}
	return 0;
}

/* ---- secret fields ---- */

/* where a JSON string that starts at s[0..q) (q: 1 for '"', 2 for an escaped '\\"') ends */
static size_t string_end(const char *s, size_t n, size_t q)
{
	for (size_t i = 0; i < n; i++) {
		if (q == 2 ? s[i] == '\\' && i + 1 < n && s[i + 1] == '"' : s[i] == '"')
			return i;
		if (q == 1 && s[i] == '\\')
			i++;
	}
	return n; /* cut by the buffer: all of it */
}

/* a JSON member "name": "value" (or escaped inside a string) with a secret name at s */
static bool json_field_at(const char *s, size_t n, size_t *vs, size_t *ve)
{
	size_t q = s[0] == '"' ? 1 : n > 1 && s[0] == '\\' && s[1] == '"' ? 2 : 0, i, name;

	if (!q)
		return false;
	for (i = q; i < n && i - q <= FIELD_NAME_MAX && s[i] != '"' && s[i] != '\\'; i++)
		;
	name = i - q;
	if (!name || name > FIELD_NAME_MAX || i + q > n || (q == 2 ? s[i] != '\\' : s[i] != '"') ||
	    !redact_header_is_secret(s + q, name))
		return false;
	for (i += q; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i >= n || s[i++] != ':')
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i + q > n || (q == 2 ? s[i] != '\\' || s[i + 1] != '"' : s[i] != '"'))
		return false;
	*vs = i + q;
	*ve = *vs + string_end(s + *vs, n - *vs, q);
	return *ve > *vs;
}

/* a form field (or query parameter in free text) name=value with a secret name at s */
static bool form_field_at(const char *s, size_t n, size_t *vs, size_t *ve)
{
	size_t i;

	for (i = 0; i < n && i <= FIELD_NAME_MAX && (is_word(s[i]) || (s[i] && strchr(".-%", s[i]))); i++)
		;
	if (!i || i > FIELD_NAME_MAX || i >= n || s[i] != '=' || !redact_param_is_secret(s, i))
		return false;
	*vs = i + 1;
	for (*ve = *vs; *ve < n && !strchr("&# \t\r\n\"'<>;,\\", s[*ve]); (*ve)++)
		;
	return *ve > *vs;
}

/* a secret field whose value starts at s + *vs and ends at s + *ve (prev: the byte before s) */
static bool field_at(const char *s, size_t n, char prev, size_t *vs, size_t *ve)
{
	return json_field_at(s, n, vs, ve) ||
	       (strchr("&?; \t\r\n", prev) && form_field_at(s, n, vs, ve));
}

/* s with keys and secret fields replaced, appended to o (o->p may be s: see the top) */
static void put_keys(struct rbuf *o, const char *s, size_t len)
{
	const struct key_shape *shape;
	char prev = ' ';
	size_t i = 0, k, vs, ve;

	while (i < len) {
		if (!is_word(prev) && (k = key_at(s + i, len - i, &shape))) {
			prev = s[i + k - 1];
			put(o, s + i, strlen(shape->prefix));
			put(o, REDACTED, strlen(REDACTED));
			i += k;
			continue;
		}
		if (field_at(s + i, len - i, prev, &vs, &ve)) {
			prev = s[i + ve - 1];
			put(o, s + i, vs);
			put(o, REDACTED, strlen(REDACTED));
			i += ve;
			continue;
		}
		prev = s[i];
		put(o, s + i, 1);
		i++;
	}
}

/* s[0..n) masked with c, the dots of a JWT kept; bytes masked */
static size_t mask_run(char *s, size_t n, char c)
{
	size_t masked = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '.') {
			s[i] = c;
			masked++;
		}
	return masked;
}

size_t redact_keys_mask(char *s, size_t len)
{
	const struct key_shape *shape;
	char prev = ' ';
	size_t i = 0, k, masked = 0, vs, ve;

	while (i < len) {
		if (!is_word(prev) && (k = key_at(s + i, len - i, &shape))) {
			prev = s[i + k - 1];
			masked += mask_run(s + i + strlen(shape->prefix), k - strlen(shape->prefix), 'X');
			i += k;
			continue;
		}
		if (field_at(s + i, len - i, prev, &vs, &ve)) {
			memset(s + i + vs, 'x', ve - vs);
			masked += ve - vs;
			prev = 'x';
			i += ve;
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
