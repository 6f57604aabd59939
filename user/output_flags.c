// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * output_flags.c - the open flags codec of output.h: the flags of an open
 * event as text ("O_WRONLY|O_CREAT|0x40000000") and that text back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* glibc hides the kernel's O_LARGEFILE bit on 64-bit targets */
#if O_LARGEFILE == 0
#if defined(__aarch64__) || defined(__arm__)
#define AM_O_LARGEFILE 0400000
#else
#define AM_O_LARGEFILE 0100000
#endif
#else
#define AM_O_LARGEFILE O_LARGEFILE
#endif

static const struct {
	uint32_t bits;
	const char *name;
} open_flag_names[] = {
	/* composites first, so that their parts are not named again */
	{ O_TMPFILE, "O_TMPFILE" },     { O_SYNC, "O_SYNC" },
	{ O_CREAT, "O_CREAT" },         { O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },       { O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" },       { O_NONBLOCK, "O_NONBLOCK" },
	{ O_DSYNC, "O_DSYNC" },         { O_ASYNC, "O_ASYNC" },
	{ O_DIRECT, "O_DIRECT" },       { AM_O_LARGEFILE, "O_LARGEFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_NOATIME, "O_NOATIME" },     { O_CLOEXEC, "O_CLOEXEC" },
	{ O_PATH, "O_PATH" },
};

/* append s to buf (size len, used bytes *at), keeping it NUL-terminated */
static void flag_add(char *buf, size_t len, size_t *at, const char *s)
{
	int n;

	if (*at >= len)
		return;
	n = snprintf(buf + *at, len - *at, "%s%s", *at ? "|" : "", s);
	if (n > 0)
		*at += (size_t)n;
}

const char *output_open_flags(uint32_t flags, char *buf, size_t len)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	uint32_t rest = flags & ~(uint32_t)O_ACCMODE;
	size_t at = 0;
	char hex[16];

	if (!len)
		return buf;
	buf[0] = '\0';
	flag_add(buf, len, &at, acc[flags & O_ACCMODE]);
	for (size_t i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
		uint32_t b = open_flag_names[i].bits;

		if (b && (rest & b) == b) {
			flag_add(buf, len, &at, open_flag_names[i].name);
			rest &= ~b;
		}
	}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%x", rest);
		flag_add(buf, len, &at, hex);
	}
	return buf;
}

/* one name of output_open_flags's into *flags; -EINVAL when unknown */
static int flag_parse(const char *name, size_t n, uint32_t *flags)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	char word[32], *end;
	unsigned long v;

	if (n >= sizeof(word))
		return -EINVAL;
	memcpy(word, name, n);
	word[n] = '\0';
	for (uint32_t i = 0; i < 4; i++)
		if (!strcmp(word, acc[i])) {
			*flags |= i;
			return 0;
		}
	for (size_t i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++)
		if (open_flag_names[i].bits && !strcmp(word, open_flag_names[i].name)) {
			*flags |= open_flag_names[i].bits;
			return 0;
		}
	if (strncmp(word, "0x", 2))
		return -EINVAL;
	errno = 0;
	v = strtoul(word + 2, &end, 16);
	if (*end || end == word + 2 || errno || v > UINT32_MAX)
		return -EINVAL;
	*flags |= (uint32_t)v;
	return 0;
}

int output_open_flags_parse(const char *s, uint32_t *flags)
{
	*flags = 0;
	for (const char *bar; *s; s = bar + 1) {
		bar = strchrnul(s, '|');
		if (flag_parse(s, (size_t)(bar - s), flags))
			return -EINVAL;
		if (!*bar)
			break;
	}
	return 0;
}
