// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* escape.c - agent-chosen bytes made harmless where they are shown (escape.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"

/* the length of the valid UTF-8 sequence at s (n > 0 bytes, s[0] >= 0x80), or 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0; /* a continuation byte, overlong C0/C1, or beyond U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t escape_span(const char *str, size_t n, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	*bad = 0;
	while (i < n) {
		size_t len;

		if (s[i] < 0x20 || s[i] == 0x7f) {
			*bad = 1;
			return i;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (!len) {
			*bad = 1;
			return i;
		}
		if (s[i] == 0xc2 && s[i + 1] <= 0x9f) {
			*bad = 2; /* C1: U+0080-U+009F */
			return i;
		}
		i += len;
	}
	return i;
}

/* append n bytes of s to dst (len, *at used) when they fit with the NUL */
static bool put(char *dst, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at + n >= len)
		return false;
	memcpy(dst + *at, s, n);
	*at += n;
	return true;
}

/* s (n bytes) escaped into dst at *at; false when it was cut */
static bool escape_into(char *dst, size_t len, size_t *at, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";

	while (n) {
		size_t bad, run = escape_span(s, n, &bad);

		/* a run is cut only between characters: back off to a lead byte */
		if (*at + run >= len) {
			size_t room = len - 1 - *at;

			while (room && ((unsigned char)s[room] & 0xc0) == 0x80)
				room--;
			put(dst, len, at, s, room);
			return false;
		}
		put(dst, len, at, s, run);
		s += run;
		n -= run;
		for (size_t i = 0; i < bad; i++) {
			unsigned char c = (unsigned char)s[i];
			char x[4] = { '\\', 'x', hexd[c >> 4], hexd[c & 15] };

			if (!put(dst, len, at, x, 4))
				return false;
		}
		s += bad;
		n -= bad;
	}
	return true;
}

size_t escape_text(char *dst, size_t len, const char *s, size_t n)
{
	size_t at = 0;

	if (!len)
		return 0;
	escape_into(dst, len, &at, s, n);
	dst[at] = '\0';
	return at;
}

size_t escape_slack(char *dst, size_t len, const char *s)
{
	size_t at = 0, n = strlen(s);

	if (!len)
		return 0;
	while (n) {
		size_t run = strcspn(s, "&<>");
		const char *ent = NULL;

		if (!escape_into(dst, len, &at, s, run))
			break;
		s += run;
		n -= run;
		if (!n)
			break;
		ent = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : "&gt;";
		if (!put(dst, len, &at, ent, strlen(ent)))
			break;
		s++;
		n--;
	}
	dst[at] = '\0';
	return at;
}
