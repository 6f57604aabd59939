// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_trace.c - trace files: round trip, truncation at every byte, damage
 * at every byte, bad headers, write failures, payload parsers (the trace
 * directory: test_trace_dir.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentmon.h"
#include "decode.h"
#include "trace.h"

#define NBLOCKS 3
#define MAXENT  64

/* the entries written, in order, and the first of each block */
static struct { uint16_t kind; size_t len; uint8_t *data; } want[MAXENT];
static size_t n_want, first[NBLOCKS + 2];
static char dir[64], err[256];

static const struct trace_info info = {
	.abi = AM_ABI_VERSION, .boot_to_real_ns = -1234567890123LL,
	.created_ns = 1795617000123456789ull, .host = "devbox",
	.kernel = "6.1.0-27-amd64",
};

/* forget the entries from n on */
static void want_cut(size_t n)
{
	for (size_t i = n; i < n_want; i++)
		free(want[i].data);
	n_want = n;
}

/* remember the entry just appended at b->buf + at */
static void note(const struct trace_block *b, size_t at)
{
	uint32_t len;

	assert_true(n_want < MAXENT);
	memcpy(&len, b->buf + at, 4);
	memcpy(&want[n_want].kind, b->buf + at + 4, 2);
	want[n_want].len = len;
	want[n_want].data = malloc(len + 1);
	memcpy(want[n_want].data, b->buf + at + 8, len);
	n_want++;
}

#define ADD(b, call) \
	do { size_t at_ = (b)->len; assert_int_equal((call), 0); note((b), at_); } while (0)

/* block k: one entry of every kind, and one of a kind this version lacks */
static void fill_block(struct trace_block *b, unsigned k)
{
	static const char *const pats[] = { "claude", "*/@anthropic-ai/claude-code/*", "cc" };
	struct trace_proc_view p = { .pid = 100 + k, .ppid = 1, .uid = 1000, .agent_pid = 100,
				     .agent_id = k, .comm = "node", .exe = k % 2 ? NULL : "/usr/bin/node",
				     .cwd = "/home/dev/app" };
	struct trace_tag t = { .tgid = 200 + k, .agent_pid = 100, .agent_id = k };
	struct trace_drop d = { .ts_ns = 5000 + k, .lost = 7 * k + 1 };
	struct trace_tick tk = { .boot_ns = 1000 * k, .wall_ns = 2000 * k };
	struct trace_unwatched u = { .ts_ns = 9000 + k, .since_ns = 10 * k, .tgid = 300 + k,
				     .agent_pid = 300, .agent_id = k };
	uint8_t rec[77];

	trace_block_reset(b);
	first[k] = n_want;
	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i * 31 + k);
	ADD(b, trace_block_add(b, TRACE_RECORD, rec, 40 + k, rec + 40, 5));
	ADD(b, trace_block_add_agent(b, k, "claude", pats, k % 4));
	ADD(b, trace_block_add_proc(b, &p));
	ADD(b, trace_block_add(b, TRACE_TAG, &t, sizeof(t), NULL, 0));
	ADD(b, trace_block_add(b, TRACE_DROP, &d, sizeof(d), NULL, 0));
	ADD(b, trace_block_add(b, TRACE_TICK, &tk, sizeof(tk), NULL, 0));
	ADD(b, trace_block_add(b, TRACE_UNWATCHED, &u, sizeof(u), NULL, 0));
	ADD(b, trace_block_add(b, 99, NULL, 0, NULL, 0));
	first[k + 1] = n_want;
}

/* pack b at the end of the file of *len bytes at *file */
static void append_block(uint8_t **file, size_t *len, const struct trace_block *b)
{
	uint8_t *blk = NULL;
	size_t cap = 0, n;

	assert_int_equal(trace_block_pack(b, &blk, &cap, &n), 0);
	*file = realloc(*file, *len + n);
	memcpy(*file + *len, blk, n);
	*len += n;
	free(blk);
}

/* the NBLOCKS-block file in memory; ends[k]: the byte after block k */
static uint8_t *build(size_t *len, size_t ends[NBLOCKS])
{
	struct trace_block b = { 0 };
	uint8_t *file = malloc(TRACE_HEADER_LEN);

	want_cut(0);
	trace_header_pack(&info, file);
	*len = TRACE_HEADER_LEN;
	for (unsigned k = 0; k < NBLOCKS; k++) {
		fill_block(&b, k);
		append_block(&file, len, &b);
		ends[k] = *len;
	}
	trace_block_free(&b);
	return file;
}

/* read r to its end, checking each entry against want[from...]; the last
 * return of trace_reader_next, *count the entries */
static int read_from(struct trace_reader *r, size_t from, size_t *count)
{
	struct trace_entry e;
	int ret;

	*count = 0;
	while ((ret = trace_reader_next(r, &e, err, sizeof(err))) == 1) {
		size_t i = from + (*count)++;

		assert_true(i < n_want);
		assert_int_equal(e.kind, want[i].kind);
		assert_int_equal(e.len, want[i].len);
		assert_memory_equal(e.data, want[i].data, e.len);
	}
	return ret;
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_trace.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	want_cut(0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void check_parsed(const struct trace_entry *e, unsigned k)
{
	struct trace_agent_view a;
	struct trace_proc_view p;
	struct trace_tag t;
	struct trace_drop d;
	struct trace_tick tk;
	struct trace_unwatched u;

	switch (e->kind) {
	case TRACE_AGENT:
		assert_int_equal(trace_parse_agent(e, &a), 0);
		assert_int_equal(a.id, k);
		assert_string_equal(a.name, "claude");
		assert_int_equal(a.n_patterns, k % 4);
		if (k % 4 > 1)
			assert_string_equal(a.patterns[1], "*/@anthropic-ai/claude-code/*");
		break;
	case TRACE_PROC:
		assert_int_equal(trace_parse_proc(e, &p), 0);
		assert_int_equal(p.pid, 100 + k);
		assert_int_equal(p.agent_id, k);
		assert_string_equal(p.comm, "node");
		assert_true(k % 2 ? p.exe == NULL : !strcmp(p.exe, "/usr/bin/node"));
		assert_string_equal(p.cwd, "/home/dev/app");
		break;
	case TRACE_TAG:
		assert_int_equal(trace_parse_tag(e, &t), 0);
		assert_int_equal(t.tgid, 200 + k);
		break;
	case TRACE_DROP:
		assert_int_equal(trace_parse_drop(e, &d), 0);
		assert_int_equal(d.lost, 7 * k + 1);
		break;
	case TRACE_TICK:
		assert_int_equal(trace_parse_tick(e, &tk), 0);
		assert_int_equal(tk.wall_ns, 2000 * k);
		break;
	case TRACE_UNWATCHED:
		assert_int_equal(trace_parse_unwatched(e, &u), 0);
		assert_int_equal(u.tgid, 300 + k);
		assert_int_equal(u.since_ns, 10 * k);
		assert_int_equal(trace_parse_tick(e, &tk), -EBADMSG);
		break;
	}
}

/* every kind over several blocks, through the writer and the file reader;
 * the writer's bytes are the packed header and blocks */
static void test_round_trip(void **state)
{
	struct trace_block b = { 0 };
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_entry e;
	size_t len, ends[NBLOCKS], n = 0;
	uint8_t *mem, *disk;
	char path[128];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/rt.amtrace", dir);
	assert_int_equal(trace_writer_open(&w, path, &info, err, sizeof(err)), 0);
	for (unsigned k = 0; k < NBLOCKS; k++) {
		fill_block(&b, k);
		assert_int_equal(trace_writer_block(w, &b, err, sizeof(err)), 0);
	}
	trace_block_reset(&b);
	assert_int_equal(trace_writer_block(w, &b, err, sizeof(err)), 0);   /* empty: nothing */
	mem = build(&len, ends);   /* the same entries, packed in memory */
	disk = malloc(len + 1);
	assert_int_equal(trace_writer_bytes(w), len);
	assert_int_equal(trace_writer_close(w), 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, disk, len + 1), (ssize_t)len);
	close(fd);
	assert_memory_equal(disk, mem, len);

	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	while (trace_reader_next(r, &e, err, sizeof(err)) == 1) {
		unsigned k = (unsigned)trace_reader_blocks(r) - 1;

		assert_int_equal(e.kind, want[n].kind);
		assert_memory_equal(e.data, want[n].data, e.len);
		assert_true(n >= first[k] && n < first[k + 1]);
		check_parsed(&e, k);
		n++;
	}
	assert_int_equal(n, n_want);
	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_blocks(r), NBLOCKS);
	trace_reader_close(r);
	trace_block_free(&b);
	free(mem);
	free(disk);
}

/* the header's facts come back; the file is created 0600 and only once */
static void test_header_fields(void **state)
{
	struct trace_info in = info, out;
	struct trace_writer *w;
	struct trace_reader *r;
	char path[128];
	struct stat st;

	(void)state;
	memset(in.host, 'h', 64);
	in.abi = 0;   /* the writer fills AM_ABI_VERSION */
	snprintf(path, sizeof(path), "%s/hdr.amtrace", dir);
	assert_int_equal(trace_writer_open(&w, path, &in, err, sizeof(err)), 0);
	assert_int_equal(trace_writer_bytes(w), TRACE_HEADER_LEN);
	assert_int_equal(trace_writer_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(trace_writer_open(&w, path, &in, err, sizeof(err)), -EEXIST);
	assert_null(w);
	assert_non_null(strstr(err, path));

	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	out = *trace_reader_info(r);
	assert_int_equal(out.version, TRACE_VERSION);
	assert_int_equal(out.abi, AM_ABI_VERSION);
	assert_int_equal(out.boot_to_real_ns, info.boot_to_real_ns);
	assert_int_equal(out.created_ns, info.created_ns);
	assert_int_equal(strlen(out.host), 64);
	assert_string_equal(out.kernel, info.kernel);
	assert_int_equal(trace_reader_next(r, &(struct trace_entry){ 0 }, err, sizeof(err)), 0);
	trace_reader_close(r);
	assert_int_equal(trace_reader_open(&r, "/nonexistent/x.amtrace", err, sizeof(err)), -ENOENT);
	assert_null(r);
}

/* what a reader cut at byte `cut` must do: every entry of the whole
 * blocks, then a clean end at a block boundary or -ENODATA saying where */
static void check_cut(struct trace_reader *r, int ret, size_t cut, const size_t ends[NBLOCKS])
{
	size_t whole = 0, count;
	char msg[96];

	if (cut < TRACE_HEADER_LEN) {
		assert_int_equal(ret, -ENODATA);
		snprintf(msg, sizeof(msg), "cut short at byte %zu, in the header", cut);
		assert_string_equal(err, msg);
		return;
	}
	assert_int_equal(ret, 0);
	while (whole < NBLOCKS && ends[whole] <= cut)
		whole++;
	ret = read_from(r, 0, &count);
	assert_int_equal(count, first[whole]);
	assert_int_equal(trace_reader_blocks(r), whole);
	if (cut == TRACE_HEADER_LEN || (whole && cut == ends[whole - 1])) {
		assert_int_equal(ret, 0);
		return;
	}
	assert_int_equal(ret, -ENODATA);
	snprintf(msg, sizeof(msg), "cut short at byte %zu, in block %zu", cut, whole);
	assert_string_equal(err, msg);
	assert_int_equal(read_from(r, 0, &count), -ENODATA);   /* the same again */
	assert_int_equal(count, 0);
}

/* a file cut at every byte, over a buffer and over a file */
static void test_truncate_every_byte(void **state)
{
	size_t len, ends[NBLOCKS];
	uint8_t *file = build(&len, ends);
	struct trace_reader *r;
	char path[128];
	int ret;

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		ret = trace_reader_mem(&r, file, cut, err, sizeof(err));
		check_cut(r, ret, cut, ends);
		trace_reader_close(r);
	}
	snprintf(path, sizeof(path), "%s/cut.amtrace", dir);
	write_file(path, file, len);
	for (size_t cut = len + 1; cut-- > 0;) {
		assert_int_equal(truncate(path, (off_t)cut), 0);
		ret = trace_reader_open(&r, path, err, sizeof(err));
		check_cut(r, ret, cut, ends);
		trace_reader_close(r);
	}
	free(file);
}

/* one damaged byte at offset o: the header refused, or the entries of the
 * blocks before the damaged one and then an error */
static void check_damage(const uint8_t *file, size_t len, const size_t ends[NBLOCKS], size_t o)
{
	struct trace_reader *r;
	size_t k = 0, count;
	int ret = trace_reader_mem(&r, file, len, err, sizeof(err));

	if (o < TRACE_HEADER_LEN) {
		assert_true(ret == -EINVAL || ret == -EPROTONOSUPPORT || ret == -EBADMSG ||
			    ret == -ENODATA);
		assert_null(r);
		return;
	}
	assert_int_equal(ret, 0);
	while (ends[k] <= o)
		k++;
	ret = read_from(r, 0, &count);
	assert_true(ret == -EBADMSG || ret == -ENODATA);
	assert_int_equal(count, first[k]);
	assert_int_equal(trace_reader_blocks(r), k);
	trace_reader_close(r);
}

static void test_damage_every_byte(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff, 0x5a };
	size_t len, ends[NBLOCKS];
	uint8_t *file = build(&len, ends);

	(void)state;
	for (size_t o = 0; o < len; o++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			file[o] ^= flips[f];
			check_damage(file, len, ends, o);
			file[o] ^= flips[f];
		}
	free(file);
}

/* the header's refusals and what they say */
static void test_bad_headers(void **state)
{
	size_t len, ends[NBLOCKS];
	uint8_t *file = build(&len, ends), hdr[TRACE_HEADER_LEN];
	struct trace_info other = info;
	struct trace_reader *r;
	uint32_t hl = 4096 + 8;

	(void)state;
	assert_int_equal(trace_reader_mem(&r, "#!/bin/sh\necho hello world\n", 27, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not an agentmon trace");
	assert_int_equal(trace_reader_mem(&r, "AMX", 3, err, sizeof(err)), -EINVAL);
	assert_int_equal(trace_reader_mem(&r, "AMT", 3, err, sizeof(err)), -ENODATA);
	assert_int_equal(trace_reader_mem(&r, "", 0, err, sizeof(err)), -ENODATA);
	file[8] = 7;
	assert_int_equal(trace_reader_mem(&r, file, len, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_string_equal(err, "format version 7 is not supported (this agentmon reads 1)");
	file[8] = 1;
	memcpy(file + 12, &hl, 4);
	assert_int_equal(trace_reader_mem(&r, file, len, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "bad header length 4104");
	other.abi = AM_ABI_VERSION + 1;
	trace_header_pack(&other, hdr);
	assert_int_equal(trace_reader_mem(&r, hdr, sizeof(hdr), err, sizeof(err)), -EPROTONOSUPPORT);
	assert_string_equal(err, "event ABI version 3 is not supported (this agentmon reads 1 and 2)");
	trace_header_pack(&info, hdr);
	hdr[40] ^= 1;
	assert_int_equal(trace_reader_mem(&r, hdr, sizeof(hdr), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "header checksum mismatch");
	assert_null(r);
	free(file);
}

/* read file until the error; it says msg, after the entries of block 0 */
static void expect_corrupt(const uint8_t *file, size_t len, const char *msg)
{
	struct trace_reader *r;
	size_t count;

	assert_int_equal(trace_reader_mem(&r, file, len, err, sizeof(err)), 0);
	assert_int_equal(read_from(r, 0, &count), -EBADMSG);
	assert_string_equal(err, msg);
	assert_int_equal(count, first[1]);
	err[0] = '\0';
	assert_int_equal(read_from(r, 0, &count), -EBADMSG);   /* it stays */
	assert_string_equal(err, msg);
	trace_reader_close(r);
}

/* raw blocks with a right CRC and bad framing: kind 0, the zero field set,
 * padding not zero, a length past the end, a partial entry header */
static const struct { uint8_t raw[16]; size_t len; } bad_framing[] = {
	{ { 0 }, 16 },
	{ { 0, 0, 0, 0, 1, 0, 1, 0 }, 8 },
	{ { 1, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 0, 0, 1 }, 16 },
	{ { 9, 0, 0, 0, 1, 0, 0, 0, 'x' }, 16 },
	{ { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 12 },
};

/* each kind of corrupt block is named, with its number and offset */
static void test_corrupt_blocks(void **state)
{
	size_t len, ends[NBLOCKS];
	uint8_t *file = build(&len, ends);
	uint32_t raw = TRACE_BLOCK_RAW_MAX + 1;
	char msg[96];

	(void)state;
	file[ends[1] - 3] ^= 0x10;
	snprintf(msg, sizeof(msg), "block 1 at byte %zu: checksum mismatch", ends[0]);
	expect_corrupt(file, len, msg);
	file[ends[1] - 3] ^= 0x10;
	file[ends[0]] = 'X';
	snprintf(msg, sizeof(msg), "block 1 at byte %zu: bad block magic", ends[0]);
	expect_corrupt(file, len, msg);
	file[ends[0]] = 'A';
	memcpy(file + ends[0] + 8, &raw, 4);
	snprintf(msg, sizeof(msg), "block 1 at byte %zu: raw length over limit", ends[0]);
	expect_corrupt(file, len, msg);

	snprintf(msg, sizeof(msg), "block 1 at byte %zu: entry framing", ends[0]);
	for (size_t i = 0; i < sizeof(bad_framing) / sizeof(bad_framing[0]); i++) {
		struct trace_block b = { .buf = (uint8_t *)bad_framing[i].raw,
					 .len = bad_framing[i].len };

		len = ends[0];
		append_block(&file, &len, &b);
		expect_corrupt(file, len, msg);
	}
	free(file);
}

/* a file still being written: -ENODATA at its end, then more as it grows */
static void test_growing_file(void **state)
{
	size_t len, ends[NBLOCKS], count;
	uint8_t *file = build(&len, ends);
	struct trace_reader *r;
	char path[128];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/grow.amtrace", dir);
	write_file(path, file, ends[0] + 5);
	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(read_from(r, 0, &count), -ENODATA);
	assert_int_equal(count, first[1]);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, file + ends[0] + 5, len - ends[0] - 5),
			 (ssize_t)(len - ends[0] - 5));
	close(fd);
	assert_int_equal(read_from(r, first[1], &count), 0);
	assert_int_equal(count, first[NBLOCKS] - first[1]);
	assert_int_equal(trace_reader_blocks(r), NBLOCKS);
	trace_reader_close(r);
	free(file);
}

/* files may grow to `limit` bytes (0: no limit) with writes past it failing
 * with EFBIG instead of a SIGXFSZ */
static void file_limit(rlim_t limit)
{
	static struct rlimit old;
	struct rlimit lim;

	signal(SIGXFSZ, SIG_IGN);
	if (!old.rlim_max)
		assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	if (limit)
		lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* a header that cannot be written leaves no file */
static void test_header_write_failure(void **state)
{
	struct trace_writer *w;
	char path[128];
	int ret;

	(void)state;
	snprintf(path, sizeof(path), "%s/full.amtrace", dir);
	file_limit(100);
	ret = trace_writer_open(&w, path, &info, err, sizeof(err));
	file_limit(0);
	assert_int_equal(ret, -EFBIG);
	assert_null(w);
	assert_int_equal(access(path, F_OK), -1);
}

/* a write that fails (EFBIG past RLIMIT_FSIZE) leaves only whole blocks,
 * says which block, and the writer goes on once there is room */
static void test_write_failure(void **state)
{
	struct trace_block b = { 0 };
	struct trace_writer *w;
	struct trace_reader *r;
	uint64_t whole;
	size_t count;
	char path[128], msg[256];
	struct stat st;
	int ret;

	(void)state;
	want_cut(0);
	snprintf(path, sizeof(path), "%s/full.amtrace", dir);
	assert_int_equal(trace_writer_open(&w, path, &info, err, sizeof(err)), 0);
	fill_block(&b, 0);
	assert_int_equal(trace_writer_block(w, &b, err, sizeof(err)), 0);
	whole = trace_writer_bytes(w);
	fill_block(&b, 1);
	file_limit(whole + 20);   /* block 1 is cut after 20 bytes */
	ret = trace_writer_block(w, &b, err, sizeof(err));
	file_limit(0);
	assert_int_equal(ret, -EFBIG);
	snprintf(msg, sizeof(msg), "write of block 1 to %s: %s", path, strerror(EFBIG));
	assert_string_equal(err, msg);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, whole);
	assert_int_equal(trace_writer_bytes(w), whole);

	want_cut(first[1]);   /* block 1 is lost; block 2 follows block 0 */
	fill_block(&b, 2);
	assert_int_equal(trace_writer_block(w, &b, err, sizeof(err)), 0);
	assert_int_equal(trace_writer_close(w), 0);
	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(read_from(r, 0, &count), 0);
	assert_int_equal(count, n_want);
	assert_int_equal(trace_reader_blocks(r), 2);
	trace_reader_close(r);
	trace_block_free(&b);
}

/* a block holds TRACE_BLOCK_RAW_MAX raw bytes and refuses more, unchanged */
static void test_block_limits(void **state)
{
	static const char *const many[TRACE_AGENT_PATTERNS_MAX + 1] = {
		[0 ... TRACE_AGENT_PATTERNS_MAX] = "p" };
	struct trace_block b = { 0 };
	struct trace_proc_view p = { .comm = "x" };
	size_t big = TRACE_BLOCK_RAW_MAX - 8, len = TRACE_HEADER_LEN;
	uint8_t *payload = calloc(1, big), *file = NULL;
	struct trace_reader *r;
	struct trace_entry e;
	char *path = malloc(AM_PATH_MAX + 1);

	(void)state;
	assert_int_equal(trace_block_add(&b, 0, NULL, 0, NULL, 0), -EINVAL);
	assert_int_equal(trace_block_add_agent(&b, 1, "", NULL, 0), -EINVAL);
	assert_int_equal(trace_block_add_agent(&b, 1, "a", many, TRACE_AGENT_PATTERNS_MAX + 1), -E2BIG);
	memset(path, 'a', AM_PATH_MAX);
	path[AM_PATH_MAX] = '\0';
	p.exe = path;
	assert_int_equal(trace_block_add_proc(&b, &p), -E2BIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(trace_block_add_agent(&b, 1, "a", many, TRACE_AGENT_PATTERNS_MAX), 0);
	assert_int_equal(trace_block_add(&b, TRACE_RECORD, payload, big, NULL, 0), -E2BIG);
	assert_int_equal(b.entries, 1);
	trace_block_reset(&b);
	payload[big - 1] = 0x42;
	assert_int_equal(trace_block_add(&b, TRACE_RECORD, payload, big - 1, payload + big - 1, 1), 0);
	assert_int_equal(b.len, TRACE_BLOCK_RAW_MAX);
	assert_int_equal(trace_block_add(&b, TRACE_TICK, NULL, 0, NULL, 0), -E2BIG);

	file = malloc(TRACE_HEADER_LEN);
	trace_header_pack(&info, file);
	append_block(&file, &len, &b);
	assert_int_equal(trace_reader_mem(&r, file, len, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 1);
	assert_int_equal(e.len, big);
	assert_memory_equal(e.data, payload, big);
	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 0);
	trace_reader_close(r);
	trace_block_free(&b);
	free(payload);
	free(path);
	free(file);
}

static int parse(uint16_t kind, const void *payload, size_t len)
{
	struct trace_entry e = { .kind = kind, .data = payload, .len = len };
	struct trace_agent_view a;
	struct trace_proc_view p;
	struct trace_tick t;

	switch (kind) {
	case TRACE_AGENT:
		return trace_parse_agent(&e, &a);
	case TRACE_PROC:
		return trace_parse_proc(&e, &p);
	default:
		return trace_parse_tick(&e, &t);
	}
}

/* malformed payloads are refused: no NUL at the end, empty names, too many
 * patterns, strings missing or extra, wrong sizes or kinds */
/* an ABI 1 exec record (72 bytes of fixed part): /bin/true, argv "true", cwd "/w" */
static size_t exec_abi1(uint8_t *rec, uint16_t size)
{
	struct am_hdr h = { .ts_ns = 77, .pid = 42, .type = AM_EV_EXEC, .size = size,
			    .agent_id = 3, .flags = AM_F_NEW_TAG };
	uint32_t argc = 1;
	uint16_t lens[3] = { 10, 5, 3 };

	memset(rec, 0xee, 72); /* the padding is ignored */
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 56, &argc, 4);
	memcpy(rec + 60, lens, 6);
	memcpy(rec + 72, "/bin/true\0true\0/w", 18);
	return 90;
}

/* an ABI 1 trace: its exec records come out in the current layout, exe_ino
 * and exe_dev 0 (unknown); other records, and exec records too short to be
 * one, as they are */
static void test_abi1_exec(void **state)
{
	struct trace_info one = info;
	struct trace_block b = { 0 };
	struct am_hdr x = { .type = AM_EV_EXIT, .size = sizeof(struct am_exit) };
	uint8_t rec[96] = { 0 }, file[4096], *blk = NULL;
	size_t cap = 0, len;
	struct trace_reader *r;
	struct trace_entry e;
	struct event ev;
	const char *why;

	(void)state;
	one.abi = 1;
	trace_header_pack(&one, file);
	assert_int_equal(trace_block_add(&b, TRACE_RECORD, rec, exec_abi1(rec, 90), NULL, 0), 0);
	assert_int_equal(trace_block_add(&b, TRACE_RECORD, &x, sizeof(x), rec + 56, 8), 0);
	assert_int_equal(trace_block_add(&b, TRACE_RECORD, rec, 60, NULL, 0), 0);
	assert_int_equal(trace_block_pack(&b, &blk, &cap, &len), 0);
	memcpy(file + TRACE_HEADER_LEN, blk, len);
	assert_int_equal(trace_reader_mem(&r, file, TRACE_HEADER_LEN + len, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_info(r)->abi, 1);

	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 1);
	assert_int_equal(e.len, 98);
	assert_int_equal(((const struct am_hdr *)e.data)->size, 98);
	assert_int_equal(decode_record(e.data, e.len, &ev, &why), 0);
	assert_int_equal(ev.pid, 42);
	assert_true(ev.flags & AM_F_NEW_TAG);
	assert_string_equal(ev.exec.filename, "/bin/true");
	assert_string_equal(ev.exec.argv, "true");
	assert_int_equal(ev.exec.argc, 1);
	assert_string_equal(ev.exec.cwd, "/w");
	assert_true(ev.exec.exe_ino == 0 && ev.exec.exe_dev == 0 && !ev.exec.interp);

	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 1);
	assert_int_equal(e.len, sizeof(x) + 8); /* an exit: as it was */
	assert_memory_equal(e.data, &x, sizeof(x));
	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 1);
	assert_int_equal(e.len, 60); /* too short: the decoder refuses it */
	assert_int_not_equal(decode_record(e.data, e.len, &ev, &why), 0);
	assert_int_equal(trace_reader_next(r, &e, err, sizeof(err)), 0);
	trace_reader_close(r);
	trace_block_free(&b);
	free(blk);
}

static void test_parsers_reject(void **state)
{
	uint8_t agent[4 + 34 * 2] = { 1, 0, 0, 0, 'a', 0 }, proc[36 + 8] = { 0 };
	struct trace_proc_view pv;
	struct trace_entry e = { .kind = TRACE_PROC, .data = proc };

	(void)state;
	assert_int_equal(parse(TRACE_AGENT, agent, 6), 0);
	assert_int_equal(parse(TRACE_AGENT, agent, 5), -EBADMSG);
	assert_int_equal(parse(TRACE_AGENT, agent, 4), -EBADMSG);
	assert_int_equal(parse(TRACE_AGENT, agent + 1, 5), -EBADMSG);   /* empty name */
	assert_int_equal(parse(TRACE_AGENT, agent, 7), -EBADMSG);       /* empty pattern */
	for (size_t i = 6; i < sizeof(agent); i += 2)
		agent[i] = 'p';
	assert_int_equal(parse(TRACE_AGENT, agent, 6 + 2 * TRACE_AGENT_PATTERNS_MAX), 0);
	assert_int_equal(parse(TRACE_AGENT, agent, 8 + 2 * TRACE_AGENT_PATTERNS_MAX), -EBADMSG);
	assert_int_equal(parse(TRACE_PROC, agent, 6), -EBADMSG);        /* too short */

	memcpy(proc + 20, "0123456789abcdef", 16);   /* comm of 16 bytes, no NUL */
	memcpy(proc + 36, "/x\0/y\0", 6);
	assert_int_equal(parse(TRACE_PROC, proc, 42), 0);
	e.len = 42;
	assert_int_equal(trace_parse_proc(&e, &pv), 0);
	assert_string_equal(pv.comm, "0123456789abcdef");
	assert_string_equal(pv.exe, "/x");
	assert_string_equal(pv.cwd, "/y");
	assert_int_equal(parse(TRACE_PROC, proc, 39), -EBADMSG);        /* no cwd */
	assert_int_equal(parse(TRACE_PROC, proc, 43), -EBADMSG);        /* a byte after */
	assert_int_equal(parse(TRACE_PROC, proc, 41), -EBADMSG);        /* no NUL */
	assert_int_equal(parse(TRACE_PROC, (uint8_t[38]){ 0 }, 38), 0);  /* both unknown */
	assert_int_equal(parse(TRACE_AGENT, proc, 42), -EBADMSG);       /* empty name */
	assert_int_equal(parse(TRACE_TICK, proc, 16), 0);
	assert_int_equal(parse(TRACE_TICK, proc, 15), -EBADMSG);
	assert_int_equal(parse(TRACE_TICK, proc, 24), -EBADMSG);
	e.kind = TRACE_DROP;
	e.len = 16;
	assert_int_equal(trace_parse_tick(&e, &(struct trace_tick){ 0 }), -EBADMSG);
	assert_int_equal(trace_parse_tag(&e, &(struct trace_tag){ 0 }), -EBADMSG);
	assert_int_equal(trace_parse_drop(&e, &(struct trace_drop){ 0 }), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abi1_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parsers_reject, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
