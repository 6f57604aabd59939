// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_mountinfo.c - libFuzzer target: fsguard's mount-table parser
 * (fsguard_mnt_type on text, fsguard_mnt_find on a file).  Input: 8 bytes
 * of mount id, then the table.  Besides no crash: a line's verdict depends
 * on that line alone (the first line of the id, parsed by itself, gives
 * the table's answer; a number or " - " read across a newline would mix two
 * lines an agent names), and the file path gives the text's answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fsguard.h"

/* the answer of the first line of text naming id, each line parsed alone */
static int by_line(const char *text, uint64_t id)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);
		int rc;

		if (!line)
			abort();
		rc = fsguard_mnt_type(line, id);
		free(line);
		if (rc != -ENOENT)
			return rc;
		p += n + (p[n] == '\n');
	}
	return -ENOENT;
}

/* the table written to a memfd, read back through its /proc path */
static void by_file(const char *text, uint64_t id, int want)
{
	static int fd = -1;
	struct fsguard_mnt m;
	char path[64];
	size_t len = strlen(text);
	int rc;

	if (fd < 0 && (fd = memfd_create("mountinfo", MFD_CLOEXEC)) < 0)
		return;
	if (ftruncate(fd, 0) || pwrite(fd, text, len, 0) != (ssize_t)len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = fsguard_mnt_find(path, id, &m);
	if (rc != (want == -ENOENT ? -ENOENT : 0) || (!rc && (m.id != id || (int)m.fuse != want)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t id;
	char *text;
	int whole;

	if (size < sizeof(id))
		return 0;
	memcpy(&id, data, sizeof(id));
	text = strndup((const char *)data + sizeof(id), size - sizeof(id));
	if (!text)
		return 0;
	whole = fsguard_mnt_type(text, id);
	if ((whole != -ENOENT && whole != 0 && whole != 1) || whole != by_line(text, id))
		abort();
	by_file(text, id, whole);
	free(text);
	return 0;
}
