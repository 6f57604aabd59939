// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_view.c - libFuzzer target: the compact text view fed the names an
 * agent chooses.  The input is split at NUL bytes into a cwd, a comm and
 * paths; the first byte picks open flags and results.  The root execs in
 * the cwd, its children (pids from the input) open the paths, exec, connect
 * and exit, past VIEW_PROCS processes so that entries are evicted, under a
 * policy's view: globs (show and hide, "~/" ones; paths with '..' and '//'
 * normalized) and with idle ticks between them.  What the
 * view prints must be whole lines without a control byte but the newline
 * (no colour asked), whatever the bytes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "view.h"

#define PARTS 16

/* abort unless w holds whole lines with no control byte but '\n' */
static void check(const struct jw *w)
{
	for (size_t i = 0; i < w->len; i++) {
		unsigned char c = (unsigned char)w->buf[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			abort();
	}
	if (w->len && w->buf[w->len - 1] != '\n')
		abort();
}

static struct event ev_of(uint32_t type, uint32_t pid, const char *comm)
{
	struct event ev = { .type = type, .pid = pid, .tid = pid, .ppid = 100, .agent_pid = 100,
			    .agent = "fuzz", .ts_ns = 1795608000123456789ull };

	strncpy(ev.comm, comm, sizeof(ev.comm) - 1);
	return ev;
}

static void feed(struct view *v, struct jw *w, const struct event *ev)
{
	jw_reset(w);
	view_event(v, w, ev);
	if (w->oom)
		abort();
	check(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *part[PARTS];
	size_t n = 0;
	struct view *v = view_new(false);
	struct jw w;
	uint8_t sel = size ? data[0] : 0;

	if (!buf || !v) {
		free(buf);
		view_free(v);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = size ? buf + 1 : buf; n < PARTS; p += strlen(p) + 1) {
		part[n++] = p;
		if (p + strlen(p) >= buf + size)
			break;
	}
	jw_init(&w);
	if (sel & 0x40) { /* the policy's globs (parsed once) */
		static const char yaml[] = "view:\n  show: [\"/etc/*\", \"~/.config/*\", \"*.db\"]\n"
					   "  hide: [\"*/gen/*\", \"~/*\", \"/[a-m]*/..\"]\n";
		static struct policy *pol;
		char err[256];

		if (!pol && policy_load_buffer("v.yaml", yaml, sizeof(yaml) - 1, &pol, err,
					       sizeof(err)))
			abort();
		if (view_policy(v, &pol->view))
			abort();
	}
	struct event root = ev_of(AM_EV_EXEC, 100, n > 1 ? part[1] : "root");

	root.exec.filename = part[0];
	root.exec.argv = part[0];
	root.exec.argv_len = strlen(part[0]) + 1;
	root.exec.argc = 1;
	root.exec.cwd = part[0];
	feed(v, &w, &root);
	for (size_t i = 0; i < 3 * VIEW_PROCS; i++) {
		const char *path = part[i % n];
		uint32_t pid = 200 + (uint32_t)((i * (sel | 1)) % (VIEW_PROCS + 7));
		struct event ev = ev_of(AM_EV_OPEN, pid, n > 1 ? part[1] : "c");

		ev.file.path = path;
		ev.file.flags = (i + sel) & 3 ? O_RDONLY : O_WRONLY | O_CREAT;
		ev.file.write = ev.file.flags != O_RDONLY;
		ev.file.ret = sel & 0x80 ? -2 : 3;
		ev.ppid = i % 5 ? 100 : pid - 1;
		(void)view_classify(path, ev.file.flags, ev.file.write, ev.file.ret, part[0]);
		ev.ts_ns += (uint64_t)i * (sel & 0x20 ? VIEW_FOLD_IDLE_NS / 3 : 1000);
		feed(v, &w, &ev);
		if (i % 7 == 3) {
			ev.type = AM_EV_CONNECT;
			ev.net.family = AF_INET;
			ev.net.dport = (uint16_t)i;
			ev.net.host = path;
			feed(v, &w, &ev);
		}
		if (i % 11 == 5) {
			ev.type = AM_EV_EXIT;
			ev.exit.exit_code = sel & 1;
			feed(v, &w, &ev);
		}
	}
	jw_reset(&w);
	view_flush(v, &w, 1795608000123456789ull);
	check(&w);
	jw_free(&w);
	view_free(v);
	free(buf);
	return 0;
}
