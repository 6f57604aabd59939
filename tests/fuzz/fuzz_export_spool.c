// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_export_spool.c - libFuzzer target: the export spool's reader.  Each
 * input is parsed record by record from memory (every record found must
 * lie inside the input, its fields inside the record), then written as a
 * segment file that a spool opens, counts and hands out (the resync over
 * damage, torn tails, lengths past the end).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_spool.h"

static char dir[64];

static void parse_all(const uint8_t *data, size_t size)
{
	size_t at = 0, used;
	struct xspool_rec r;

	while (at < size) {
		int p = xspool_parse(data + at, size - at, &r, &used);

		if (p == 1) {
			const char *end = (const char *)data + at + used;

			if (used > size - at || r.id + r.id_len > end || r.body + r.body_len != end ||
			    !r.id_len || !r.subject_len)
				abort();
			at += used;
		} else {
			at++;
		}
	}
}

/* every file of dir removed (the spool's segments, its acked file) */
static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void spool_all(const uint8_t *data, size_t size)
{
	char path[128], err[256];
	struct export_spool *s;
	struct xspool_rec r;
	struct xspool_pos end;
	struct xspool_stats st;
	uint64_t n = 0;
	int fd;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_export_spool.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/seg-0000000000000001.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (export_spool_open(dir, 1 << 30, &s, err, sizeof(err)))
		abort();
	export_spool_stats(s, &st);
	while (export_spool_next(s, &r, &end) == 1)
		n++;
	if (n != st.pending)
		abort();   /* what open counted is what is handed out */
	export_spool_free(s);
	empty_dir();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_all(data, size);
	spool_all(data, size);
	return 0;
}
