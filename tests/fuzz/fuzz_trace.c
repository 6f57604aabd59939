// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_trace.c - libFuzzer target: trace files.  Each input is read three
 * ways: as a whole file; as the raw bytes of one block, wrapped in a valid
 * header and a valid compressed, checksummed block (so that the entry
 * framing is reached, which random bytes past a CRC never do), under a
 * header of the current event ABI and of ABI 1 (whose exec records the
 * reader rewrites: every record read is decoded); and as the payload of
 * every kind, through every parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "trace.h"

static struct trace_info info = { .host = "fuzz", .kernel = "6.1" };

/* every parser on e; the views they fill must lie inside e's payload */
static void parse_all(const struct trace_entry *e)
{
	const char *end = (const char *)e->data + e->len;
	struct trace_agent_view a;
	struct trace_proc_view p;
	union { struct trace_tag t; struct trace_drop d; struct trace_tick k;
		struct trace_unwatched w; } u;
	struct event ev;
	const char *why;

	if (trace_parse_agent(e, &a) == 0) {
		if (a.n_patterns > TRACE_AGENT_PATTERNS_MAX || a.name + strlen(a.name) >= end)
			abort();
		for (size_t i = 0; i < a.n_patterns; i++)
			if (a.patterns[i] + strlen(a.patterns[i]) >= end)
				abort();
	}
	if (trace_parse_proc(e, &p) == 0 &&
	    (strlen(p.comm) > 16 || (p.exe && p.exe + strlen(p.exe) >= end) ||
	     (p.cwd && p.cwd + strlen(p.cwd) >= end)))
		abort();
	trace_parse_tag(e, &u.t);
	trace_parse_drop(e, &u.d);
	trace_parse_tick(e, &u.k);
	trace_parse_unwatched(e, &u.w);
	if (e->kind == TRACE_RECORD)
		decode_record(e->data, e->len, &ev, &why);
}

/* every entry of the file at buf */
static void read_file(const uint8_t *buf, size_t len)
{
	struct trace_reader *r;
	struct trace_entry e;
	char err[256];
	int ret;

	if (trace_reader_mem(&r, buf, len, err, sizeof(err)))
		return;
	while ((ret = trace_reader_next(r, &e, err, sizeof(err))) == 1)
		parse_all(&e);
	if (ret && ret != -ENODATA && ret != -EBADMSG)
		abort();
	trace_reader_close(r);
}

/* data as the raw bytes of the one block of a valid file */
static void read_block(const uint8_t *data, size_t size)
{
	struct trace_block b = { .buf = (uint8_t *)data, .len = size };
	uint8_t *blk = NULL, *file = NULL;
	size_t cap = 0, len;

	if (size && size <= TRACE_BLOCK_RAW_MAX && !trace_block_pack(&b, &blk, &cap, &len) &&
	    (file = malloc(TRACE_HEADER_LEN + len))) {
		trace_header_pack(&info, file);
		memcpy(file + TRACE_HEADER_LEN, blk, len);
		read_file(file, TRACE_HEADER_LEN + len);
	}
	free(file);
	free(blk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	read_file(copy, size);
	info.abi = 0; /* the current one */
	read_block(copy, size);
	info.abi = TRACE_ABI_OLDEST;
	read_block(copy, size);
	for (uint16_t kind = TRACE_RECORD; kind < TRACE_KIND_MAX; kind++)
		parse_all(&(struct trace_entry){ .kind = kind, .data = copy, .len = size });
	free(copy);
	return 0;
}
