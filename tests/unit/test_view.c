// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_view.c - the compact text view: what is folded, what stays, the
 * fold line's text and when it comes (exit, exec, bound, eviction), one
 * line per destination, indentation by depth, alerts, colours, escaping.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "llm.h"
#include "policy.h"
#include "view.h"

#define TS 1795608000123456789ull /* 2026-11-25T12:00:00.123456789Z */
#define ROOT 1200

static struct event base(uint32_t type, uint32_t pid, uint32_t ppid, const char *comm)
{
	struct event ev = { .ts_ns = TS, .type = type, .pid = pid, .tid = pid, .ppid = ppid,
			    .agent_pid = ROOT, .agent = "claude" };

	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	return ev;
}

/* ev through v; the lines it shows, in out (static) */
static const char *feed(struct view *v, const struct event *ev)
{
	static char out[8192];
	struct jw w;

	jw_init(&w);
	view_event(v, &w, ev);
	assert_false(w.oom);
	snprintf(out, sizeof(out), "%.*s", (int)w.len, w.len ? w.buf : "");
	jw_free(&w);
	return out;
}

static const char *exec_ev(struct view *v, uint32_t pid, uint32_t ppid, const char *comm,
			   const char *cwd)
{
	struct event ev = base(AM_EV_EXEC, pid, ppid, comm);

	ev.exec.filename = "/usr/bin/x";
	ev.exec.argv = comm;
	ev.exec.argv_len = strlen(comm) + 1;
	ev.exec.argc = 1;
	ev.exec.cwd = cwd;
	return feed(v, &ev);
}

static const char *open_ev(struct view *v, uint32_t pid, const char *comm, const char *path,
			   uint32_t flags, int64_t ret)
{
	struct event ev = base(AM_EV_OPEN, pid, ROOT, comm);

	ev.file.path = path;
	ev.file.flags = flags;
	ev.file.write = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
	ev.file.ret = ret;
	return feed(v, &ev);
}

static const char *exit_ev(struct view *v, uint32_t pid, const char *comm, int code)
{
	struct event ev = base(AM_EV_EXIT, pid, ROOT, comm);

	ev.exit.exit_code = code;
	return feed(v, &ev);
}

static void test_classify(void **state)
{
	const char *cwd = "/home/u/app";

	(void)state;
	/* folded: libraries, loader, locale, process and device files */
	assert_int_equal(view_classify("/etc/ld.so.cache", O_RDONLY, false, 3, cwd), VIEW_LIB);
	assert_int_equal(view_classify("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY, false, 3, cwd),
			 VIEW_LIB);
	assert_int_equal(view_classify("/opt/x/libfoo.so", O_RDONLY, false, 3, cwd), VIEW_LIB);
	assert_int_equal(view_classify("/opt/x/libfoo.so.1.2", O_RDONLY, false, 3, cwd), VIEW_LIB);
	/* a name that only looks like one is not folded away among libraries */
	assert_int_equal(view_classify("/home/u/app/keys.so.txt", O_RDONLY, false, 3, cwd),
			 VIEW_SHOW);
	assert_int_equal(view_classify("/usr/lib/python3.11/tokenize.py", O_RDONLY, false, 3, cwd),
			 VIEW_LIB);
	assert_int_equal(view_classify("/usr/lib/locale/C.utf8/LC_CTYPE", O_RDONLY, false, 3, cwd),
			 VIEW_LOCALE);
	assert_int_equal(view_classify("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
				       O_RDONLY, false, 3, cwd), VIEW_LOCALE);
	assert_int_equal(view_classify("/usr/share/zoneinfo/UTC", O_RDONLY, false, 3, cwd),
			 VIEW_LOCALE);
	assert_int_equal(view_classify("/usr/share/terminfo/x/xterm", O_RDONLY, false, 3, cwd),
			 VIEW_LOCALE);
	assert_int_equal(view_classify("/proc/self/maps", O_RDONLY, false, 3, cwd), VIEW_SYSTEM);
	assert_int_equal(view_classify("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, true, 3, cwd),
			 VIEW_SYSTEM);
	assert_int_equal(view_classify("/etc/passwd", O_RDONLY, false, 3, cwd), VIEW_OTHER);
	assert_int_equal(view_classify("/etc/ssl/certs/ca.pem", O_RDONLY, false, 3, cwd), VIEW_OTHER);
	/* the working tree: shown, but not its failed reads, dirs, dependencies, git objects */
	assert_int_equal(view_classify("/home/u/app/main.c", O_RDONLY, false, 3, cwd), VIEW_SHOW);
	assert_int_equal(view_classify("/home/u/app", O_RDONLY, false, 3, "/home/u/app/"),
			 VIEW_SHOW);
	assert_int_equal(view_classify("/home/u/app/x.c", O_RDONLY, false, -2, cwd), VIEW_OTHER);
	assert_int_equal(view_classify("/home/u/app/src", O_RDONLY | O_DIRECTORY, false, 3, cwd),
			 VIEW_OTHER);
	assert_int_equal(view_classify("/home/u/app/node_modules/a/index.js", O_RDONLY, false, 3,
				       cwd), VIEW_OTHER);
	assert_int_equal(view_classify("/home/u/app/.git/objects/ab/cd", O_RDONLY, false, 3, cwd),
			 VIEW_OTHER);
	assert_int_equal(view_classify("/home/u/apple.c", O_RDONLY, false, 3, cwd), VIEW_OTHER);
	/* a cwd of "/" or a home directory is no working tree */
	assert_int_equal(view_classify("/etc/hosts", O_RDONLY, false, 3, "/"), VIEW_OTHER);
	assert_int_equal(view_classify("/root/x/y", O_RDONLY, false, 3, "/root"), VIEW_OTHER);
	assert_int_equal(view_classify("/etc/hosts", O_RDONLY, false, 3, NULL), VIEW_OTHER);
	/* home dot-files, directly in the home directory */
	assert_int_equal(view_classify("/root/.gitconfig", O_RDONLY, false, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/home/u/.bashrc", O_RDONLY, false, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/home/u/.bashrc", O_RDONLY, false, -2, NULL), VIEW_OTHER);
	assert_int_equal(view_classify("/home/u/.cache/x/y", O_RDONLY, false, 3, NULL), VIEW_OTHER);
	/* keys, tokens, credentials: shown, failed too */
	assert_int_equal(view_classify("/home/u/.ssh/id_ed25519", O_RDONLY, false, -2, NULL),
			 VIEW_SHOW);
	assert_int_equal(view_classify("/root/.aws/credentials", O_RDONLY, false, 3, NULL),
			 VIEW_SHOW);
	assert_int_equal(view_classify("/srv/app/.env", O_RDONLY, false, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/srv/app/.env.local", O_RDONLY, false, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/etc/shadow", O_RDONLY, false, -13, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/tmp/my-api_key.txt", O_RDONLY, false, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/home/u/.config/gh/hosts.yml", O_RDONLY, false, 3, NULL),
			 VIEW_SHOW);
	/* writes: shown */
	assert_int_equal(view_classify("/tmp/out.txt", O_WRONLY | O_CREAT, true, 3, NULL), VIEW_SHOW);
	assert_int_equal(view_classify("/usr/lib/x.so", O_RDWR, true, -13, NULL), VIEW_SHOW);
	assert_int_equal(view_classify(NULL, O_RDONLY, false, 3, NULL), VIEW_OTHER);
}

/* library and locale reads fold into one line at exit; writes and the tree stay */
static void test_fold_at_exit(void **state)
{
	struct view *v = view_new(false);
	const char *s;

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_non_null(v);
	s = exec_ev(v, ROOT, 1, "bash", "/home/u/app");
	assert_string_equal(s, "12:00:00.123 claude/bash[1200] exec /usr/bin/x [bash]\n");
	for (int i = 0; i < 30; i++)
		assert_string_equal(open_ev(v, ROOT, "bash", "/usr/lib/locale/C.utf8/LC_CTYPE",
					    O_RDONLY | O_CLOEXEC, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/etc/ld.so.cache", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/lib/libc.so.6", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/etc/passwd", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/proc/self/stat", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/app/main.c", O_RDONLY, 3),
			    "12:00:00.123 claude/bash[1200] open /home/u/app/main.c O_RDONLY = 3\n");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/app/out", O_WRONLY | O_CREAT, 4),
			    "12:00:00.123 claude/bash[1200] open /home/u/app/out O_WRONLY|O_CREAT = 4\n");
	assert_string_equal(exit_ev(v, ROOT, "bash", 0),
			    "12:00:00.123 claude/bash[1200] read 34 files (30 locale, 2 lib, "
			    "1 system, 1 other)\n");
	/* the entry is gone: a new process of that pid starts from nothing */
	assert_string_equal(exit_ev(v, ROOT, "bash", 0), "");
	assert_string_equal(exit_ev(v, ROOT, "bash", 2), "12:00:00.123 claude/bash[1200] exit 2\n");
	view_free(v);
}

/* an exec ends the previous program's count, under its own name; depth indents */
static void test_exec_and_depth(void **state)
{
	struct view *v = view_new(false);

	(void)state;
	setenv("TZ", "UTC", 1);
	exec_ev(v, ROOT, 1, "bash", "/w");
	open_ev(v, ROOT, "bash", "/lib/libc.so.6", O_RDONLY, 3);
	assert_string_equal(exec_ev(v, ROOT, 1, "python3", "/w"),
			    "12:00:00.123 claude/bash[1200] read 1 file (1 lib)\n"
			    "12:00:00.123 claude/python3[1200] exec /usr/bin/x [python3]\n");
	assert_string_equal(exec_ev(v, 1300, ROOT, "git", "/w"),
			    "12:00:00.123   claude/git[1300] exec /usr/bin/x [git]\n");
	assert_string_equal(exec_ev(v, 1301, 1300, "ssh", "/w"),
			    "12:00:00.123     claude/ssh[1301] exec /usr/bin/x [ssh]\n");
	/* a fork child's reads before its exec count for the program it execs */
	open_ev(v, 1500, "bash", "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 3);
	assert_string_equal(exec_ev(v, 1500, ROOT, "cat", "/w"),
			    "12:00:00.123   claude/cat[1500] exec /usr/bin/x [cat]\n");
	assert_string_equal(exit_ev(v, 1500, "cat", 0),
			    "12:00:00.123   claude/cat[1500] read 1 file (1 system)\n");
	/* a parent never seen: depth 1 */
	assert_string_equal(exec_ev(v, 1400, 999, "curl", "/w"),
			    "12:00:00.123   claude/curl[1400] exec /usr/bin/x [curl]\n");
	view_free(v);
}

/* an agent whose root's exec was not seen: its first exec's directory is the tree */
static void test_tree_fallback(void **state)
{
	struct view *v = view_new(false);

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_string_equal(open_ev(v, 1300, "make", "/w2/Makefile", O_RDONLY, 3), "");
	exec_ev(v, 1301, 1300, "cc", "/w2");
	assert_string_equal(open_ev(v, 1301, "cc", "/w2/main.c", O_RDONLY, 3),
			    "12:00:00.123     claude/cc[1301] open /w2/main.c O_RDONLY = 3\n");
	/* the root's own exec, seen later, wins */
	exec_ev(v, ROOT, 1, "bash", "/w3");
	assert_string_equal(open_ev(v, 1301, "cc", "/w2/x.c", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, 1301, "cc", "/w3/x.c", O_RDONLY, 3),
			    "12:00:00.123     claude/cc[1301] open /w3/x.c O_RDONLY = 3\n");
	view_free(v);
}

/* a long-lived process: a line at VIEW_FOLD_FIRST reads, the next at 4 times more */
static void test_fold_bound(void **state)
{
	struct view *v = view_new(false);
	int lines = 0;

	(void)state;
	setenv("TZ", "UTC", 1);
	for (int i = 0; i < VIEW_FOLD_FIRST * 5; i++) {
		const char *s = open_ev(v, ROOT, "node", "/usr/lib/node/x.js", O_RDONLY, 3);

		if (*s) {
			lines++;
			if (lines == 1)
				assert_int_equal(i, VIEW_FOLD_FIRST - 1);
			assert_string_equal(s, lines == 1 ?
				"12:00:00.123 claude/node[1200] read 200 files (200 lib)\n" :
				"12:00:00.123 claude/node[1200] read 800 files (800 lib)\n");
		}
	}
	assert_int_equal(lines, 2);
	view_free(v);
}

/* more processes than VIEW_PROCS: the least recently seen one's line comes out */
static void test_eviction(void **state)
{
	struct view *v = view_new(false);
	char want[128];
	const char *s;

	(void)state;
	setenv("TZ", "UTC", 1);
	for (uint32_t i = 0; i < VIEW_PROCS; i++)
		assert_string_equal(open_ev(v, 2000 + i, "sh", "/lib/libc.so.6", O_RDONLY, 3), "");
	open_ev(v, 2000, "sh", "/lib/libc.so.6", O_RDONLY, 3); /* 2000 seen again: 2001 is oldest */
	s = open_ev(v, 5000, "sh", "/lib/libc.so.6", O_RDONLY, 3);
	snprintf(want, sizeof(want), "12:00:00.123   claude/sh[%u] read 1 file (1 lib)\n", 2001);
	assert_string_equal(s, want);
	assert_string_equal(exit_ev(v, 2000, "sh", 0),
			    "12:00:00.123   claude/sh[2000] read 2 files (2 lib)\n");
	assert_string_equal(exit_ev(v, 2001, "sh", 0), ""); /* its count went out already */
	view_free(v);
}

static const char *net_ev(struct view *v, uint32_t type, uint32_t pid, uint8_t last, uint16_t port)
{
	struct event ev = base(type, pid, ROOT, "curl");

	ev.net.family = AF_INET;
	ev.net.proto = 6;
	ev.net.daddr[0] = 127;
	ev.net.daddr[3] = last;
	ev.net.dport = port;
	ev.net.has_ret = true;
	ev.net.ret = type == AM_EV_SEND ? 5 : 0;
	return feed(v, &ev);
}

/* one line per destination per process; DNS once per name per process */
static void test_destinations(void **state)
{
	struct view *v = view_new(false);
	struct event d = base(AM_EV_DNS, 1300, ROOT, "curl");
	const uint8_t answers[1][16] = { { 1, 2, 3, 4 } };
	uint16_t fam[] = { AF_INET };

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_string_equal(net_ev(v, AM_EV_CONNECT, 1300, 1, 80),
			    "12:00:00.123   claude/curl[1300] connect tcp 127.0.0.1:80 = 0\n");
	assert_string_equal(net_ev(v, AM_EV_SEND, 1300, 1, 80), "");
	assert_string_equal(net_ev(v, AM_EV_CONNECT, 1300, 1, 80), "");
	assert_string_equal(net_ev(v, AM_EV_CONNECT, 1300, 2, 80),
			    "12:00:00.123   claude/curl[1300] connect tcp 127.0.0.2:80 = 0\n");
	assert_string_equal(net_ev(v, AM_EV_CONNECT, 1301, 1, 80),
			    "12:00:00.123   claude/curl[1301] connect tcp 127.0.0.1:80 = 0\n");
	d.dns.query = "example.com";
	d.dns.answers = answers;
	d.dns.families = fam;
	d.dns.n_answers = 1;
	assert_string_equal(feed(v, &d),
			    "12:00:00.123   claude/curl[1300] dns example.com -> 1.2.3.4\n");
	assert_string_equal(feed(v, &d), "");
	/* a new program in the same pid: its first connect shows again */
	exec_ev(v, 1300, ROOT, "curl", "/w");
	assert_string_equal(net_ev(v, AM_EV_CONNECT, 1300, 1, 80),
			    "12:00:00.123   claude/curl[1300] connect tcp 127.0.0.1:80 = 0\n");
	view_free(v);
}

/* alerts: "!!" first, in full with their intent; hostile names escaped; colours */
static void test_alert_color_escape(void **state)
{
	struct view *v = view_new(true);
	struct event_alert al = { .rule = "outbound_post", .severity = "high",
				  .summary = "POST to paste.example", .chain = "bash > curl" };
	struct event ev = base(AM_EV_ALERT, 1300, ROOT, "curl");
	const char *s;

	(void)state;
	setenv("TZ", "UTC", 1);
	ev.alert = &al;
	s = feed(v, &ev);
	assert_string_equal(s, "12:00:00.123 !! \033[1;31mALERT high outbound_post: POST to "
			       "paste.example\033[0m [bash > curl]\n");
	s = open_ev(v, 1300, "curl", "/tmp/f\033]0;x\007", O_WRONLY | O_CREAT, 3);
	assert_null(strchr(s + 20, '\033') == NULL ? NULL : strstr(s, "/tmp/f\033"));
	assert_non_null(strstr(s, "/tmp/f\\x1b]0;x\\x07"));
	assert_non_null(strstr(s, "\033[1;")); /* the agent name, coloured */
	view_free(v);
	/* no colour: no escape byte at all */
	v = view_new(false);
	s = feed(v, &ev);
	assert_null(strchr(s, '\033'));
	assert_string_equal(s, "12:00:00.123 !! ALERT high outbound_post: POST to paste.example "
			       "[bash > curl]\n");
	view_free(v);
}

/* an llm exchange: one line, cut at a character boundary, " ..." after */
static void test_llm_cut(void **state)
{
	static struct llm x;
	struct view *v = view_new(false);
	struct event ev = base(AM_EV_LLM, 1300, ROOT, "node");
	const char *s, *nl;

	(void)state;
	setenv("TZ", "UTC", 1);
	strcpy(x.model, "claude-x");
	for (size_t i = 0; i + 2 < 300; i += 2)
		memcpy(x.prompt + i, "\xc3\xa9", 2); /* é, two bytes each */
	ev.llm.host = "api.anthropic.com";
	ev.llm.x = &x;
	s = feed(v, &ev);
	assert_true(!strncmp(s, "12:00:00.123   claude/node[1300] llm api.anthropic.com claude-x \"",
			     strlen("12:00:00.123   claude/node[1300] llm api.anthropic.com claude-x \"")));
	nl = strchr(s, '\n');
	assert_non_null(nl);
	assert_null(strchr(nl + 1, '\n')); /* one line */
	assert_true(!strncmp(nl - 4, " ...", 4));
	assert_null(strstr(s, "\\x")); /* no character cut in two */
	assert_true(nl - s < 40 + 160 + 4);
	view_free(v);
}

/* view_flush: every count still held, once */
static void test_flush(void **state)
{
	struct view *v = view_new(false);
	struct jw w;

	(void)state;
	setenv("TZ", "UTC", 1);
	open_ev(v, 1300, "sh", "/lib/libc.so.6", O_RDONLY, 3);
	jw_init(&w);
	view_flush(v, &w, TS);
	assert_int_equal(w.len, strlen("12:00:00.123   claude/sh[1300] read 1 file (1 lib)\n"));
	jw_reset(&w);
	view_flush(v, &w, TS);
	assert_int_equal(w.len, 0);
	jw_free(&w);
	view_free(v);
}

/* a fleet tail's view: its host after the time on every line, escaped */
static void test_label(void **state)
{
	struct view *v = view_new(false);
	struct event_alert al = { .rule = "r", .severity = "low", .summary = "s" };
	struct event ev = base(AM_EV_ALERT, 1300, ROOT, "curl");
	struct jw w;

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(view_label(v, "dev1.corp\033"), 0);
	ev.alert = &al;
	assert_string_equal(feed(v, &ev), "12:00:00.123 dev1.corp\\x1b !! ALERT low r: s\n");
	assert_string_equal(exec_ev(v, ROOT, 1, "claude", "/w"),
			    "12:00:00.123 dev1.corp\\x1b claude[1200] exec /usr/bin/x [claude]\n");
	open_ev(v, 1300, "sh", "/lib/libc.so.6", O_RDONLY, 3);
	jw_init(&w);
	view_flush(v, &w, TS);
	jw_raw(&w, "", 1);
	assert_string_equal(w.buf, "12:00:00.123 dev1.corp\\x1b   claude/sh[1300] read 1 file (1 lib)\n");
	jw_free(&w);
	assert_int_equal(view_label(v, NULL), 0);
	assert_string_equal(feed(v, &ev), "12:00:00.123 !! ALERT low r: s\n");
	view_free(v);
}

/* a fold line VIEW_FOLD_IDLE_NS after the last folded read of a process not
 * seen exiting: at a tick, or at a later event's time (replay) */
static void test_tick(void **state)
{
	struct view *v = view_new(false);
	struct event ev = base(AM_EV_OPEN, 1300, ROOT, "sh");
	struct jw w;

	(void)state;
	setenv("TZ", "UTC", 1);
	open_ev(v, 1300, "sh", "/lib/libc.so.6", O_RDONLY, 3);
	jw_init(&w);
	view_tick(v, &w, TS + VIEW_FOLD_IDLE_NS - 1);
	assert_int_equal(w.len, 0); /* not yet */
	view_tick(v, &w, TS + VIEW_FOLD_IDLE_NS);
	jw_raw(&w, "", 1);
	assert_string_equal(w.buf, "12:00:30.123   claude/sh[1300] read 1 file (1 lib)\n");
	jw_reset(&w);
	view_tick(v, &w, TS + 2 * VIEW_FOLD_IDLE_NS);
	assert_int_equal(w.len, 0); /* said once */
	jw_free(&w);
	/* a later event brings the line before its own */
	open_ev(v, 1300, "sh", "/lib/libm.so.6", O_RDONLY, 3);
	ev.ts_ns = TS + VIEW_FOLD_IDLE_NS + 1000000000ull;
	ev.file.path = "/home/u/.bashrc";
	ev.file.flags = O_RDONLY;
	ev.file.ret = 3;
	assert_string_equal(feed(v, &ev), "12:00:31.123   claude/sh[1300] read 1 file (1 lib)\n"
			    "12:00:31.123   claude/sh[1300] open /home/u/.bashrc O_RDONLY = 3\n");
	/* an exit after the line: nothing more to say */
	assert_string_equal(exit_ev(v, 1300, "sh", 0), "");
	view_free(v);
}

/* event times a little out of order: a process whose last folded read is
 * later than the tick's time gets no line from it */
static void test_tick_order(void **state)
{
	struct view *v = view_new(false);
	struct event ev = base(AM_EV_OPEN, 1301, ROOT, "sh");
	const uint64_t S = 1000000000ull;
	struct jw w;

	(void)state;
	setenv("TZ", "UTC", 1);
	open_ev(v, 1300, "sh", "/lib/libc.so.6", O_RDONLY, 3); /* at TS */
	ev.file.path = "/lib/libc.so.6";
	ev.file.flags = O_RDONLY;
	ev.file.ret = 3;
	ev.ts_ns = TS + 50 * S;
	assert_string_equal(feed(v, &ev), "12:00:50.123   claude/sh[1300] read 1 file (1 lib)\n");
	ev.pid = ev.tid = 1302;
	ev.ts_ns = TS + 10 * S; /* a late event */
	assert_string_equal(feed(v, &ev), "");
	jw_init(&w);
	view_tick(v, &w, TS + 45 * S);
	jw_raw(&w, "", 1);
	assert_string_equal(w.buf, "12:00:45.123   claude/sh[1302] read 1 file (1 lib)\n");
	jw_reset(&w);
	view_tick(v, &w, TS + 80 * S);
	jw_raw(&w, "", 1);
	assert_string_equal(w.buf, "12:01:20.123   claude/sh[1301] read 1 file (1 lib)\n");
	jw_free(&w);
	view_free(v);
}

/* the policy's view: globs: show makes a folded read a line, hide folds a
 * shown read but never a key or a write, show wins over hide */
static void test_policy_globs(void **state)
{
	static const char yaml[] =
		"view:\n"
		"  show: [\"/opt/data/*.db\", \"~/notes/*\"]\n"
		"  hide: [\"/home/u/app/gen/*\", \"~/.bashrc\", \"*.pem\", \"/opt/data/*\"]\n";
	struct policy *p = NULL;
	struct view *v = view_new(false);
	char err[256];

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(policy_load_buffer("t.yaml", yaml, strlen(yaml), &p, err, sizeof(err)), 0);
	assert_int_equal(view_policy(v, &p->view), 0);
	policy_free(p); /* the view keeps a copy */
	exec_ev(v, ROOT, 1, "bash", "/home/u/app");
	assert_string_equal(open_ev(v, ROOT, "bash", "/opt/data/x.db", O_RDONLY, 3),
			    "12:00:00.123 claude/bash[1200] open /opt/data/x.db O_RDONLY = 3\n");
	/* normalized before the match; a failed read too */
	assert_string_equal(open_ev(v, ROOT, "bash", "/opt//tmp/../data/./y.db", O_RDONLY, -2),
			    "12:00:00.123 claude/bash[1200] open /opt//tmp/../data/./y.db O_RDONLY"
			    " = -2\n");
	assert_string_equal(open_ev(v, ROOT, "bash", "/opt/data/z.txt", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/root/notes/a/b", O_RDONLY, 3),
			    "12:00:00.123 claude/bash[1200] open /root/notes/a/b O_RDONLY = 3\n");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/app/gen/a.c", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/.bashrc", O_RDONLY, 3), "");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/app/key.pem", O_RDONLY, 3),
			    "12:00:00.123 claude/bash[1200] open /home/u/app/key.pem O_RDONLY = 3\n");
	assert_string_equal(open_ev(v, ROOT, "bash", "/home/u/app/gen/o", O_WRONLY | O_CREAT, 3),
			    "12:00:00.123 claude/bash[1200] open /home/u/app/gen/o O_WRONLY|O_CREAT"
			    " = 3\n");
	assert_string_equal(exit_ev(v, ROOT, "bash", 0),
			    "12:00:00.123 claude/bash[1200] read 3 files (3 other)\n");
	/* globs off again */
	assert_int_equal(view_policy(v, NULL), 0);
	exec_ev(v, ROOT, 1, "bash", "/home/u/app");
	assert_string_equal(open_ev(v, ROOT, "bash", "/opt/data/x.db", O_RDONLY, 3), "");
	view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_fold_at_exit),
		cmocka_unit_test(test_exec_and_depth),
		cmocka_unit_test(test_tree_fallback),
		cmocka_unit_test(test_fold_bound),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_alert_color_escape),
		cmocka_unit_test(test_llm_cut),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_tick_order),
		cmocka_unit_test(test_policy_globs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
