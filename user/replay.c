// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* replay.c - `agentmon replay`: traces through the live pipeline; see replay.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "replay.h"

/* "2026-11-25T14:00:00[.123456789](Z|+01:00)" into wall ns; -EINVAL */
static int parse_rfc3339(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	uint64_t frac = 0, scale = 1000000000ull;
	int64_t off = 0, secs;

	if (!p)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
	}
	if (*p == '+' || *p == '-') {
		int hh, mm, n = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
			return -EINVAL;
		off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else if (*p == 'Z' || *p == 'z') {
		p++;
	} else {
		return -EINVAL;
	}
	secs = (int64_t)timegm(&tm) - off;
	if (*p || secs < 0)
		return -EINVAL;
	*out = (uint64_t)secs * 1000000000ull + frac;
	return 0;
}

int replay_parse_time(const char *s, uint64_t now_ns, uint64_t *out)
{
	uint64_t age;

	if (strchr(s, 'T'))
		return parse_rfc3339(s, out);
	if (am_parse_duration(s, &age) || age > now_ns)
		return -EINVAL;
	*out = now_ns - age;
	return 0;
}

int replay_run(const struct replay_opts *o)
{
	(void)o;
	am_err("replay: being built in this session");
	return AM_EXIT_RUNTIME;
}
