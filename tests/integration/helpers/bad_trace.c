// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bad_trace.c - a trace holding records the collector cannot decode, made
 * with the recorder itself (test_bad_records.sh):
 *
 *   bad_trace DIR
 *
 * DIR gets one trace: agent 0 "claude", a good exec record of pid 4242, two
 * exec records whose argv runs past their end (the same reason twice), a
 * record of an unknown type, and a good exit record of pid 4242.  Exit 0,
 * or 1 with a message.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"

static void hdr(struct am_hdr *h, uint16_t type, size_t size, uint64_t ts)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = ts;
	h->pid = h->tid = h->agent_pid = 4242;
	h->ppid = 1;
	h->agent_id = 0;
	h->type = type;
	h->size = (uint16_t)size;
	memcpy(h->comm, "claude", 6);
}

/* an exec of /bin/true, argv "true"; argv_len as given (5 is right) */
static void exec_rec(struct recorder *r, uint16_t argv_len, uint64_t ts)
{
	_Alignas(8) unsigned char b[sizeof(struct am_exec) + 16];
	struct am_exec x = { .argc = 1, .filename_len = 10, .argv_len = argv_len };

	hdr(&x.hdr, AM_EV_EXEC, sizeof(x) + 15, ts);
	memcpy(b, &x, sizeof(x));
	memcpy(b + sizeof(x), "/bin/true\0true\0", 15);
	recorder_record(r, b, sizeof(x) + 15);
}

/* what the trace starts with: the agent table */
static void snapshot(struct recorder *r, void *arg)
{
	recorder_agent(r, 0, "claude");
}

int main(int argc, char **argv)
{
	struct record_settings s = { 0 };
	struct recorder *r;
	struct am_exit e = { .status = 0 };
	struct am_hdr odd;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: bad_trace DIR\n");
		return 1;
	}
	s.dir = argv[1];
	if (recorder_new(&r, &s, snapshot, NULL, err, sizeof(err))) {
		fprintf(stderr, "bad_trace: %s\n", err);
		return 1;
	}
	exec_rec(r, 5, 1000);
	exec_rec(r, 200, 2000);
	exec_rec(r, 200, 3000);
	hdr(&odd, 99, sizeof(odd), 4000);
	recorder_record(r, &odd, sizeof(odd));
	hdr(&e.hdr, AM_EV_EXIT, sizeof(e), 5000);
	recorder_record(r, &e, sizeof(e));
	recorder_free(r);
	return 0;
}
