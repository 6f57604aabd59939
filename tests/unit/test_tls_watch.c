// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_tls_watch.c - verdicts at a ClientHello, without a loader: a live
 * process with no TLS library mapped is unseen (warned once), a process
 * already gone is pending, and status lists the binary. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "load.h"
#include "tls_watch.h"

static struct event hello_of(pid_t pid, const char *exe)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AM_EV_DATA;
	ev.pid = (uint32_t)pid;
	ev.exe = exe;
	snprintf(ev.comm, sizeof(ev.comm), "sleep");
	return ev;
}

static void test_hello_verdicts(void **state)
{
	struct tls_watch *w = tls_watch_new(NULL);
	const struct tls_watch_bin *b;
	char warn[1024];
	struct event ev;
	size_t n;
	pid_t c;

	assert_non_null(w);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) { /* until it runs sleep, not this test */
		char path[64], link[256] = "";

		snprintf(path, sizeof(path), "/proc/%d/exe", c);
		if (readlink(path, link, sizeof(link) - 1) > 0 && strstr(link, "sleep"))
			break;
		usleep(10000);
	}
	ev = hello_of(c, "/bin/sleep");
	assert_int_equal(tls_watch_hello(w, &ev, warn, sizeof(warn)), RULES_TLS_UNSEEN);
	assert_non_null(strstr(warn, "does not recognise"));
	assert_int_equal(tls_watch_hello(w, &ev, warn, sizeof(warn)), RULES_TLS_UNSEEN);
	assert_string_equal(warn, "");                  /* once per binary */
	b = tls_watch_bins(w, &n);
	assert_int_equal(n, 1);
	assert_string_equal(b[0].exe, "/bin/sleep");
	assert_int_equal(b[0].verdict, TLS_WATCH_UNSEEN);
	assert_string_equal(tls_watch_name(b[0].verdict), "unseen");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	/* gone: not known (it may have loaded a hooked library), judged later */
	assert_int_equal(tls_watch_hello(w, &ev, warn, sizeof(warn)), RULES_TLS_PENDING);
	assert_string_equal(warn, "");
	tls_watch_free(w);
}

/* a binary hooked in a TLS library of its own (the scanner located it in the
 * binary or in an object it loaded) is "own"; one hooked through a shared
 * library, one not judged, one unseen are not */
static void test_own(void **state)
{
	struct tls_watch *w = tls_watch_new(NULL);
	struct loader_scanned bin = { .label = "/x/codex", .pid = 999999, .rc = 0, .msg = "" };
	struct loader_scanned obj = { .label = "/x/copilot", .pid = 999999, .object = true,
				      .rc = 0, .msg = "" };
	struct loader_scanned shared = { .label = "/x/git", .pid = 999999, .rc = 1, .msg = "" };
	struct event ev = hello_of(999999, "/x/codex");
	char warn[256];

	(void)state;
	assert_non_null(w);
	assert_false(tls_watch_own(w, &ev));
	tls_watch_scanned(w, &bin, warn, sizeof(warn));
	tls_watch_scanned(w, &obj, warn, sizeof(warn));
	tls_watch_scanned(w, &shared, warn, sizeof(warn));
	assert_true(tls_watch_own(w, &ev));
	ev.exe = "/x/copilot";
	assert_true(tls_watch_own(w, &ev));
	ev.exe = "/x/git";
	assert_false(tls_watch_own(w, &ev));
	ev.exe = "/x/other";
	assert_false(tls_watch_own(w, &ev));
	tls_watch_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_verdicts),
		cmocka_unit_test(test_own),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
