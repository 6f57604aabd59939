// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * json.c - streaming JSON writer (see json.h).
 *
 * Commas: w->comma says a value was written at the current level.  No
 * stack of saved flags is needed: opening a container is itself a value of
 * the enclosing level, so when it closes the enclosing level's flag is
 * always true again, at any depth.  A key clears the flag so that its value
 * gets no comma, and the value sets it again.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JW_MIN_CAP 256

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->comma = false;
	w->oom = false;
	if (w->buf)
		w->buf[0] = '\0';
}

/* make room for n more bytes plus a NUL; false (and oom) on failure */
static bool reserve(struct jw *w, size_t n)
{
	size_t need, cap;
	char *p;

	if (w->oom)
		return false;
	need = w->len + n + 1;
	if (need <= w->cap)
		return true;
	cap = w->cap ? w->cap : JW_MIN_CAP;
	while (cap < need)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		w->oom = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct jw *w, char c)
{
	put(w, &c, 1);
}

void jw_raw(struct jw *w, const char *s, size_t n)
{
	put(w, s, n);
}

void jw_printf(struct jw *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* a comma before a value or key unless it is the first at its level */
static void sep(struct jw *w)
{
	if (w->comma)
		putc1(w, ',');
	w->comma = true;
}

static void push(struct jw *w, char c)
{
	sep(w);
	putc1(w, c);
	w->comma = false;
}

static void pop(struct jw *w, char c)
{
	putc1(w, c);
	w->comma = true; /* the container just closed is a value of its parent */
}

void jw_obj_begin(struct jw *w) { push(w, '{'); }
void jw_obj_end(struct jw *w) { pop(w, '}'); }
void jw_arr_begin(struct jw *w) { push(w, '['); }
void jw_arr_end(struct jw *w) { pop(w, ']'); }

/*
 * length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one: bad lead, truncated, overlong, surrogate, or
 * above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void escape_byte(struct jw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

	switch (c) {
	case '"':  put(w, "\\\"", 2); break;
	case '\\': put(w, "\\\\", 2); break;
	case '\n': put(w, "\\n", 2); break;
	case '\t': put(w, "\\t", 2); break;
	case '\r': put(w, "\\r", 2); break;
	case '\b': put(w, "\\b", 2); break;
	case '\f': put(w, "\\f", 2); break;
	default:   put(w, e, 6); break;
	}
}

/* the escaped body of a string, without quotes */
static void put_escaped(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		put(w, str + run, i - run);
		if (c < 0x80) {
			escape_byte(w, c);
			i++;
		} else if ((l = utf8_len(s + i, n - i)) != 0) {
			put(w, str + i, l);
			i += l;
		} else {
			put(w, "\\ufffd", 6);
			i++;
		}
		run = i;
	}
	put(w, str + run, i - run);
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	putc1(w, '"');
	put_escaped(w, s, n);
	putc1(w, '"');
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void jw_key(struct jw *w, const char *key)
{
	jw_str(w, key);
	putc1(w, ':');
	w->comma = false; /* the value follows without a comma */
}

/* v in decimal, '-' first when neg, at the end of b[24]; its start */
static char *decimal(char b[24], uint64_t v, bool neg)
{
	char *p = b + 24;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	if (neg)
		*--p = '-';
	return p;
}

/* (every event has a dozen numbers: no printf) */
void jw_int(struct jw *w, int64_t v)
{
	char b[24], *p = decimal(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);

	sep(w);
	put(w, p, (size_t)(b + 24 - p));
}

void jw_uint(struct jw *w, uint64_t v)
{
	char b[24], *p = decimal(b, v, false);

	sep(w);
	put(w, p, (size_t)(b + 24 - p));
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}
