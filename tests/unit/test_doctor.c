// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_doctor.c - doctor's items, lines, JSON, exit status, TLS verdict
 * words, the policy check and the agent binaries found in a fake npm tree. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "doctor.h"
#include "load.h"

static char Dir[256];

static int mkdirs(void **state)
{
	(void)state;
	snprintf(Dir, sizeof(Dir), "/tmp/test_doctor.XXXXXX");
	return mkdtemp(Dir) ? 0 : -1;
}

static int rmdirs(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", Dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lines(void **state)
{
	struct doctor d;
	char buf[128];

	(void)state;
	doctor_init(&d, NULL);
	assert_int_equal(doctor_add(&d, "btf", DOCTOR_OK, "/sys/kernel/btf/%s", "vmlinux"), 0);
	assert_int_equal(doctor_add(&d, "fentry", DOCTOR_DEGRADED, "refused"), 0);
	doctor_line(&d.items[0], buf, sizeof(buf));
	assert_string_equal(buf, "OK        btf: /sys/kernel/btf/vmlinux");
	doctor_line(&d.items[1], buf, sizeof(buf));
	assert_string_equal(buf, "DEGRADED  fentry: refused");
	assert_int_equal(doctor_exit(&d), 1); /* degraded: exit 1 too (SPEC) */
	doctor_release(&d);
	doctor_init(&d, NULL);
	doctor_add(&d, "btf", DOCTOR_OK, "/sys/kernel/btf/vmlinux");
	assert_int_equal(doctor_exit(&d), 0);
	doctor_add(&d, "fentry", DOCTOR_DEGRADED, "refused");
	doctor_add(&d, "policy", DOCTOR_MISSING, "f.yaml:3: bad");
	doctor_line(&d.items[2], buf, sizeof(buf));
	assert_string_equal(buf, "MISSING   policy: f.yaml:3: bad");
	assert_int_equal(doctor_exit(&d), 1);
	/* a line too long is cut, and says how long it wanted to be */
	assert_true(doctor_line(&d.items[0], buf, 8) > 8);
	assert_string_equal(buf, "OK     ");
	/* a file name's newline or escape cannot forge a line nor drive a terminal */
	doctor_add(&d, "tls x", DOCTOR_OK, "/tmp/a\nOK        btf: \033[2J");
	doctor_line(&d.items[3], buf, sizeof(buf));
	assert_string_equal(buf, "OK        tls x: /tmp/a\\x0aOK        btf: \\x1b[2J");
	doctor_release(&d);
}

static void test_format(void **state)
{
	struct doctor d;
	json_t *j, *it;
	char *out;

	(void)state;
	doctor_init(&d, NULL);
	doctor_add(&d, "tls claude", DOCTOR_OK, "/x/claude.exe: located (\"quoted\")");
	doctor_add(&d, "policy", DOCTOR_MISSING, "p.yaml:1: no");
	assert_int_equal(doctor_format(&d, false, &out), 0);
	assert_string_equal(out, "OK        tls claude: /x/claude.exe: located (\"quoted\")\n"
				 "MISSING   policy: p.yaml:1: no\n");
	free(out);
	assert_int_equal(doctor_format(&d, true, &out), 0);
	j = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
	it = json_array_get(json_object_get(j, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(it, "item")), "tls claude");
	assert_string_equal(json_string_value(json_object_get(it, "state")), "OK");
	assert_string_equal(json_string_value(json_object_get(it, "reason")),
			    "/x/claude.exe: located (\"quoted\")");
	json_decref(j);
	doctor_release(&d);
}

static void test_tls_state(void **state)
{
	const char *w;

	(void)state;
	assert_int_equal(doctor_tls_state(LOADER_TLS_SYMBOLS, &w), DOCTOR_OK);
	assert_string_equal(w, "symbols");
	assert_int_equal(doctor_tls_state(LOADER_TLS_SHARED, &w), DOCTOR_OK);
	assert_string_equal(w, "shared");
	assert_int_equal(doctor_tls_state(LOADER_TLS_LOCATED, &w), DOCTOR_OK);
	assert_string_equal(w, "located");
	assert_int_equal(doctor_tls_state(-ENOENT, &w), DOCTOR_DEGRADED);
	assert_string_equal(w, "unknown");
	assert_int_equal(doctor_tls_state(-ETIME, &w), DOCTOR_DEGRADED);
	assert_string_equal(w, "not checked (time budget)");
	assert_int_equal(doctor_tls_state(-EACCES, &w), DOCTOR_DEGRADED);
	assert_string_equal(w, "unreadable");
	assert_int_equal(doctor_tls_state(0, &w), DOCTOR_DEGRADED);
}

/* the collector's hooks missing now come from status's structured hook_gaps
 * (loader_gaps, redone at every attach), not from its start-time text line */
static void test_hooks(void **state)
{
	static const char ok[] = "{\"hooks\":\"cgroup sock hooks on /sys/fs/cgroup: 4/4 attached\","
		"\"hook_gaps\":[]}";
	static const char bad[] = "{\"hooks\":\"cgroup sock hooks on /sys/fs/cgroup: 4/4 attached\","
		"\"hook_gaps\":[{\"hook\":\"cgroup sock hooks\",\"why\":\"/x: No such file or "
		"directory\",\"agent_hook\":true},{\"hook\":\"tracefs\",\"why\":\"not mounted: "
		"Permission denied\",\"agent_hook\":false}]}";
	char why[512];

	(void)state;
	assert_int_equal(doctor_hooks_degraded(ok, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(doctor_hooks_degraded("{\"hooks\":\"x: not loadable\"}", why,
					       sizeof(why)), -1); /* not reported */
	assert_int_equal(doctor_hooks_degraded(NULL, why, sizeof(why)), -1);
	assert_int_equal(doctor_hooks_degraded(bad, why, sizeof(why)), 2);
	assert_string_equal(why, "cgroup sock hooks: /x: No such file or directory; tracefs: not "
			    "mounted: Permission denied");
	/* cut to the buffer, still a string */
	assert_int_equal(doctor_hooks_degraded(bad, why, 16), 2);
	assert_int_equal(strlen(why), 15);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static const struct doctor_item *item(const struct doctor *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].name, name))
			return &d->items[i];
	return NULL;
}

/* run part with o into d, the item name in state want (d then released
 * by the caller) */
static const struct doctor_item *check(struct doctor *d, const struct doctor_opts *o,
				       void (*part)(struct doctor *), const char *name,
				       enum doctor_state want)
{
	const struct doctor_item *it;

	doctor_init(d, o);
	part(d);
	assert_non_null(it = item(d, name));
	assert_int_equal(it->state, want);
	return it;
}

static void test_policy(void **state)
{
	struct doctor_opts o = { 0 };
	const struct doctor_item *it;
	char path[PATH_MAX + 16];
	struct doctor d;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.yaml", Dir);
	write_file(path, "alerts:\n  upload_threshold: 16k\n  nonsense: [\n", 0644);
	o.config = path;
	it = check(&d, &o, doctor_policy, "policy", DOCTOR_MISSING);
	assert_non_null(strstr(it->reason, "bad.yaml:"));
	assert_int_equal(doctor_exit(&d), 1);
	doctor_release(&d);
	write_file(path, "alerts:\n  upload_threshold: 16k\n", 0644);
	check(&d, &o, doctor_policy, "policy", DOCTOR_OK);
	assert_int_equal(doctor_exit(&d), 0);
	doctor_release(&d);
}

/* a fake npm install: bin/claude -> the package's script, the native
 * binary in the platform package (a copy of /bin/true: no TLS library) */
static void fake_npm(char *bin, size_t len)
{
	char p[PATH_MAX], cmd[2048];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bin %s/lib/node_modules/@anthropic-ai/claude-code/bin "
		 "%s/lib/node_modules/@anthropic-ai/claude-code-linux-x64 && "
		 "cp /bin/true %s/lib/node_modules/@anthropic-ai/claude-code-linux-x64/claude && "
		 "ln -sf ../lib/node_modules/@anthropic-ai/claude-code/bin/cli.js %s/bin/claude",
		 Dir, Dir, Dir, Dir, Dir);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/lib/node_modules/@anthropic-ai/claude-code/bin/cli.js", Dir);
	write_file(p, "#!/usr/bin/env nonexistent-interpreter\n", 0755);
	snprintf(bin, len, "%s/bin", Dir);
}

static void test_agents(void **state)
{
	struct doctor_opts o = { 0 };
	const struct doctor_item *it;
	char bin[PATH_MAX];
	struct doctor d;

	(void)state;
	fake_npm(bin, sizeof(bin));
	o.path = bin;
	o.home = Dir;
	it = check(&d, &o, doctor_agents, "tls claude", DOCTOR_DEGRADED);
	assert_non_null(strstr(it->reason, "claude-code-linux-x64/claude: unknown"));
	assert_non_null(strstr(it->reason, "not visible"));
	assert_null(item(&d, "tls codex"));
	doctor_release(&d);
	/* over the time budget: said, not scanned */
	o.tls_budget_ns = 1; /* 1 ns: past before the first scan */
	it = check(&d, &o, doctor_agents, "tls claude", DOCTOR_DEGRADED);
	assert_non_null(strstr(it->reason, "not checked (time budget)"));
	doctor_release(&d);
}

static void test_no_agents(void **state)
{
	struct doctor_opts o = { .path = "/nonexistent", .home = "/nonexistent" };
	const struct doctor_item *it;
	struct doctor d;

	(void)state;
	it = check(&d, &o, doctor_agents, "tls agents", DOCTOR_OK);
	assert_non_null(strstr(it->reason, "no agent binary found"));
	doctor_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_tls_state),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_no_agents),
	};

	return cmocka_run_group_tests(tests, mkdirs, rmdirs);
}
