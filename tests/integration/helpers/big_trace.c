// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * big_trace.c - a large trace for `agentmon report`'s perf check
 * (test_report.sh), written with the trace format's own writer:
 *
 *   big_trace FILE N
 *
 * FILE gets agent 0 "bigbot" (root pid 1000) and N records: every 1000th an
 * exec of a new process (pids 1000 up, 500 of them, more than the report
 * keeps), the others opens of 20,000 paths, one in ten for writing (more
 * files than the report keeps).  Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "trace.h"

static struct trace_writer *w;
static struct trace_block blk;
static char err[512];

static void hdr(struct am_hdr *h, uint16_t type, size_t size, uint32_t pid, uint64_t ts)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = ts;
	h->pid = h->tid = pid;
	h->ppid = pid == 1000 ? 1 : 1000 + (pid - 1000) / 2;
	h->agent_pid = 1000;
	h->agent_id = 0;
	h->type = type;
	h->size = (uint16_t)size;
	memcpy(h->comm, "bigbot", 6);
}

static void add(const void *a, size_t an, const void *b, size_t bn)
{
	int ret = trace_block_add(&blk, TRACE_RECORD, a, an, b, bn);

	if (ret == -E2BIG) {
		if (trace_writer_block(w, &blk, err, sizeof(err))) {
			fprintf(stderr, "big_trace: %s\n", err);
			exit(1);
		}
		trace_block_reset(&blk);
		ret = trace_block_add(&blk, TRACE_RECORD, a, an, b, bn);
	}
	if (ret) {
		fprintf(stderr, "big_trace: cannot add a record: %s\n", strerror(-ret));
		exit(1);
	}
}

static void exec_rec(uint32_t pid, uint64_t ts)
{
	static const char data[] = "/bin/tool\0tool\0--step\0/tmp/big\0";
	struct am_exec x = { .argc = 2, .filename_len = 10, .argv_len = 12, .cwd_len = 9 };

	hdr(&x.hdr, AM_EV_EXEC, sizeof(x) + sizeof(data) - 1, pid, ts);
	add(&x, sizeof(x), data, sizeof(data) - 1);
}

static void open_rec(uint32_t pid, uint64_t i, uint64_t ts)
{
	struct am_file f = { .ret = 3 };
	char path[64];
	int n = snprintf(path, sizeof(path), "/tmp/big/f%llu", (unsigned long long)(i % 20000));

	f.path_len = (uint16_t)(n + 1);
	f.flags = i % 10 ? 0 : 01101; /* O_WRONLY|O_CREAT|O_TRUNC */
	hdr(&f.hdr, AM_EV_OPEN, sizeof(f) + (size_t)n + 1, pid, ts);
	add(&f, sizeof(f), path, (size_t)n + 1);
}

int main(int argc, char **argv)
{
	struct trace_info info = { .version = TRACE_VERSION };
	struct timespec now;
	uint64_t n, pid = 1000;

	if (argc != 3 || !(n = strtoull(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: big_trace FILE N\n");
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	info.created_ns = (uint64_t)now.tv_sec * 1000000000ull;
	info.boot_to_real_ns = (int64_t)info.created_ns - 3600000000000ll;
	snprintf(info.host, sizeof(info.host), "bench");
	snprintf(info.kernel, sizeof(info.kernel), "6");
	if (trace_writer_open(&w, argv[1], &info, err, sizeof(err))) {
		fprintf(stderr, "big_trace: %s\n", err);
		return 1;
	}
	if (trace_block_add_agent(&blk, 0, "bigbot", NULL, 0))
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t ts = 1000000000ull + i * 1000;

		if (i % 1000 == 0 && pid < 1500)
			exec_rec((uint32_t)pid++, ts);
		else
			open_rec((uint32_t)(pid - 1), i, ts);
	}
	if (trace_writer_block(w, &blk, err, sizeof(err)) || trace_writer_close(w)) {
		fprintf(stderr, "big_trace: %s\n", err);
		return 1;
	}
	trace_block_free(&blk);
	return 0;
}
