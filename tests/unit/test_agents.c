// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_agents.c - agent table, exec matching, kernel rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agents.h"

static struct agents *A;

static int setup(void **state)
{
	A = agents_new_default();
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	agents_free(A);
	return 0;
}

/* the agent name an exec matches, or "-" */
static const char *m(const char *filename, const char *argv, size_t len)
{
	uint32_t argc = 0, id;

	for (size_t i = 0; i < len; i++)
		argc += argv[i] == '\0';
	id = agents_match_exec(A, filename, argv, len, argc);
	return id == AM_AGENT_NONE ? "-" : agents_name(A, id);
}

#define M(fn, argv) m(fn, argv, sizeof(argv) - 1)
#define N_NAMES 17 /* default agents */

static void test_defaults(void **state)
{
	static const char *const names[] = { "claude", "codex", "aider", "gemini", "goose",
		"opencode", "cursor-agent", "copilot", "amp", "qwen", "pi", "auggie", "crush",
		"kilo", "grok", "cline", "continue" };

	assert_int_equal(agents_count(A), N_NAMES);
	for (uint32_t i = 0; i < N_NAMES; i++)
		assert_string_equal(agents_name(A, i), names[i]);
	assert_null(agents_name(A, N_NAMES));
	assert_null(agents_name(A, AM_AGENT_NONE));
}

static void test_plain_names(void **state)
{
	assert_string_equal(M("/usr/local/bin/claude", "claude\0--resume\0"), "claude");
	assert_string_equal(M("./codex", "codex\0"), "codex");
	assert_string_equal(M("cursor-agent", ""), "cursor-agent");
	assert_string_equal(M("/usr/bin/claude-helper", "claude-helper\0"), "-");
	assert_string_equal(M("/usr/bin/ls", "ls\0claude\0"), "-"); /* arg of a non-interpreter */
}

static void test_interpreters(void **state)
{
	assert_string_equal(M("/usr/bin/node",
			      "node\0/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js\0"),
			    "claude");
	assert_string_equal(M("/usr/bin/node", "node\0--no-warnings\0--require\0x.js\0"
			      "/usr/local/bin/codex\0exec\0"), "codex");
	assert_string_equal(M("/usr/bin/node", "node\0-r\0/opt/claude\0app.js\0"), "-");
	assert_string_equal(M("/usr/bin/node", "node\0-e\0require('claude')\0claude\0"), "-");
	assert_string_equal(M("/usr/bin/nodejs", "nodejs\0--\0/x/gemini\0"), "gemini");
	assert_string_equal(M("/usr/bin/python3", "python3\0-m\0aider\0--yes\0"), "aider");
	assert_string_equal(M("/usr/bin/python3.12", "python3.12\0-u\0-maider.main\0"), "aider");
	assert_string_equal(M("/usr/bin/python3", "python3\0-W\0ignore\0/usr/bin/aider\0"), "aider");
	assert_string_equal(M("/usr/bin/python3", "python3\0-c\0import aider\0aider\0"), "-");
	assert_string_equal(M("/usr/bin/python",
			      "python\0/usr/lib/python3/dist-packages/aider/main.py\0"), "aider");
	assert_string_equal(M("/usr/bin/python3", "python3\0/home/u/src/aider/x.py\0"), "-");
	assert_string_equal(M("/home/u/.bun/bin/bun", "bun\0run\0/x/node_modules/opencode-ai/bin/x\0"),
			    "opencode");
	assert_string_equal(M("/usr/bin/deno", "deno\0run\0-A\0/x/qwen\0"), "qwen");
	assert_string_equal(M("/usr/bin/node", "node\0/x/@sourcegraph/amp/dist/main.js\0"), "amp");
	assert_string_equal(M("/usr/bin/node", "node\0/x/@github/copilot/index.js\0"), "copilot");
	assert_string_equal(M("/usr/bin/node", "node\0"), "-");
	assert_string_equal(M("/usr/bin/python3", "python3\0-\0"), "-");
	assert_string_equal(M("/usr/bin/pythonx", "pythonx\0/usr/bin/aider\0"), "-");
	assert_string_equal(M("/usr/bin/node", "node\0/x/@mariozechner/pi-coding-agent/dist/cli.js\0"),
			    "pi");
	/* argv not NUL-terminated: no script looked for, no overread */
	assert_string_equal(m("/usr/bin/node", "node\0/x/claude", 14), "-");
}

/* the executables real agent packages and installers run (tests/agents/) */
static void test_layouts(void **state)
{
	/* Claude Code: the npm package's Bun binary, its platform package, the
	 * native installer's versioned binary */
	assert_string_equal(M("/c/node_modules/@anthropic-ai/claude-code/bin/claude.exe",
			      "claude.exe\0"), "claude");
	assert_string_equal(M("./claude.exe", "./claude.exe\0--version\0"), "claude");
	assert_string_equal(M("/c/node_modules/@anthropic-ai/claude-code-linux-x64/claude-x",
			      "x\0"), "claude");
	assert_string_equal(M("/home/u/.local/share/claude/versions/2.1.197", "claude\0"), "claude");
	assert_string_equal(M("/home/u/.local/share/claude/versions/2.1.197.tmp", "x\0"), "-");
	assert_string_equal(M("/home/u/.local/share/claude/versions/latest", "x\0"), "-");
	assert_string_equal(M("/opt/tool/versions/2.1.197", "x\0"), "-");
	/* the native children and single binaries of the others */
	assert_string_equal(M("/c/node_modules/@openai/codex/vendor/x86_64-unknown-linux-musl/"
			      "bin/codex-x", "x\0"), "codex");
	assert_string_equal(M("/c/node_modules/opencode-ai/bin/opencode.exe", "x\0"), "opencode");
	assert_string_equal(M("/c/node_modules/opencode-linux-x64/bin/oc", "x\0"), "opencode");
	assert_string_equal(M("/c/node_modules/@github/copilot-linux-x64/copilot-x", "x\0"),
			    "copilot");
	assert_string_equal(M("/c/node_modules/@sourcegraph/amp/node_modules/@ampcode/cli/bin/"
			      "amp.exe", "x\0"), "amp");
	assert_string_equal(M("/c/node_modules/.bin/pi", "pi\0"), "pi");
	assert_string_equal(M("/c/node_modules/.bin/kilocode", "x\0"), "kilo");
	assert_string_equal(M("/c/node_modules/@charmland/crush-linux-x64/bin/c", "x\0"), "crush");
	assert_string_equal(M("/c/node_modules/@cline/cli-linux-x64/bin/cl", "x\0"), "cline");
	assert_string_equal(M("/usr/bin/node", "node\0/c/node_modules/@continuedev/cli/dist/"
			      "cn.js\0"), "continue");
	assert_string_equal(M("/c/node_modules/.bin/cn", "x\0"), "continue");
	assert_string_equal(M("/usr/bin/node", "node\0/c/node_modules/@augmentcode/auggie/"
			      "augment.mjs\0"), "auggie");
	/* lookalikes */
	assert_string_equal(M("/x/@anthropic-ai/sdk/bin/tool", "x\0"), "-");
	assert_string_equal(M("/x/node_modules/opencodex/bin/tool", "x\0"), "-");
}

static void test_version_like(void **state)
{
	assert_true(agents_version_like("2.1.197"));
	assert_true(agents_version_like("0.1"));
	assert_false(agents_version_like("2"));
	assert_false(agents_version_like(".2.1"));
	assert_false(agents_version_like("2.1.197-rc1"));
	assert_false(agents_version_like(""));
	assert_false(agents_version_like("claude"));
}

static void test_custom(void **state)
{
	assert_int_equal(agents_add_pattern(A, "forum-bot", "/opt/bots/forum-bot"), 0);
	assert_int_equal(agents_add_pattern(A, "forum-bot", "*/forum_bot.py"), 0);
	assert_int_equal(agents_add_pattern(A, "forum-bot", ""), -EINVAL);
	assert_int_equal(agents_add_pattern(A, "", "x"), -EINVAL);
	assert_string_equal(M("/opt/bots/forum-bot", "forum-bot\0"), "forum-bot");
	assert_string_equal(M("/home/u/forum_bot.py", "forum_bot.py\0"), "forum-bot");
	assert_string_equal(M("/usr/bin/python3", "python3\0/srv/a/b/forum_bot.py\0"), "forum-bot");
	assert_int_equal(agents_intern(A, "forum-bot"), N_NAMES);
	assert_int_equal(agents_intern(A, "launched"), N_NAMES + 1);
	assert_int_equal(agents_count(A), N_NAMES + 2);
	assert_string_equal(M("/usr/bin/launched", ""), "-"); /* a name alone matches nothing */
	char longname[AM_NAME_MAX + 1];
	memset(longname, 'a', AM_NAME_MAX);
	longname[AM_NAME_MAX] = '\0';
	assert_int_equal(agents_intern(A, longname), AM_AGENT_NONE);
	assert_int_equal(agents_intern(A, ""), AM_AGENT_NONE);
}

struct seen {
	char names[256][AM_NAME_MAX];
	struct am_exe_rule rules[256];
	int n;
};

static void collect(const char *b, const struct am_exe_rule *r, void *arg)
{
	struct seen *s = arg;

	assert_true(strlen(b) < AM_NAME_MAX);
	for (int i = 0; i < s->n; i++)
		assert_string_not_equal(s->names[i], b); /* each basename once */
	strcpy(s->names[s->n], b);
	s->rules[s->n++] = *r;
}

static const struct am_exe_rule *rule(const struct seen *s, const char *b)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], b))
			return &s->rules[i];
	return NULL;
}

/* a reload's table keeps every id the kernel holds (launch names too) */
static void test_rebase(void **state)
{
	struct agents *old = agents_new_default(), *next = agents_new_default();
	uint32_t launched;

	assert_non_null(old);
	assert_non_null(next);
	launched = agents_intern(old, "launched-x");             /* agentmon launch */
	assert_int_equal(agents_add_pattern(old, "gone-bot", "gone-bot"), 0);
	assert_int_equal(agents_add_pattern(next, "forum-bot", "/opt/forum-bot"), 0);
	assert_int_equal(agents_rebase(next, old), 0);
	for (uint32_t id = 0; id < agents_count(old); id++)
		assert_string_equal(agents_name(next, id), agents_name(old, id));
	assert_int_equal(agents_count(next), agents_count(old) + 1);
	assert_string_equal(agents_name(next, launched), "launched-x");
	/* patterns stay with their names: forum-bot matches, gone-bot no more */
	agents_free(A);
	A = next;
	assert_string_equal(M("/opt/forum-bot", "forum-bot\0"), "forum-bot");
	assert_string_equal(M("/usr/bin/gone-bot", "gone-bot\0"), "-");
	assert_string_equal(M("/usr/local/bin/claude", "claude\0"), "claude");
	agents_free(old);
	(void)state;
}

static void test_kernel_rules(void **state)
{
	static struct seen s;
	char longname[AM_NAME_MAX + 8];

	assert_false(agents_kernel_rules(A, collect, &s)); /* defaults need no candidate_all */
	assert_int_equal(rule(&s, "claude")->action, AM_RULE_TAG);
	assert_int_equal(rule(&s, "claude")->agent_id, 0);
	assert_int_equal(rule(&s, "qwen")->agent_id, 9);
	assert_int_equal(rule(&s, "node")->action, AM_RULE_CANDIDATE);
	assert_int_equal(rule(&s, "python3")->action, AM_RULE_CANDIDATE);
	assert_int_equal(rule(&s, "python3.12")->action, AM_RULE_CANDIDATE);
	assert_int_equal(rule(&s, "bun")->action, AM_RULE_CANDIDATE);
	assert_null(rule(&s, "*"));
	/* single binaries tag at exec; a versioned binary is a candidate */
	assert_int_equal(rule(&s, "claude.exe")->action, AM_RULE_TAG);
	assert_int_equal(rule(&s, "claude.exe")->agent_id, 0);
	assert_int_equal(rule(&s, "pi")->action, AM_RULE_TAG);
	assert_int_equal(rule(&s, AM_VERSION_KEY)->action, AM_RULE_CANDIDATE);
	assert_null(rule(&s, "codex.js"));

	memset(&s, 0, sizeof(s));
	memset(longname, 'b', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(agents_add_pattern(A, "x", longname), 0);
	assert_int_equal(agents_add_pattern(A, "x", "/opt/bin/xbot"), 0);
	assert_int_equal(agents_add_pattern(A, "y", "node"), 0); /* a tag beats the candidate */
	assert_false(agents_kernel_rules(A, collect, &s));
	assert_null(rule(&s, longname));
	assert_int_equal(rule(&s, "xbot")->action, AM_RULE_CANDIDATE);
	assert_int_equal(rule(&s, "node")->action, AM_RULE_TAG);
	assert_int_equal(rule(&s, "node")->agent_id, agents_intern(A, "y"));

	memset(&s, 0, sizeof(s));
	assert_int_equal(agents_add_pattern(A, "z", "/opt/z/*.sh"), 0);
	assert_true(agents_kernel_rules(A, collect, &s));
}

/* a launch that tagged nothing takes its new name back; only the newest, only without patterns */
static void test_forget_newest(void **state)
{
	struct agents *a = agents_new_default();
	size_t n = agents_count(a);
	uint32_t x, y;

	(void)state;
	x = agents_intern(a, "launched-x");
	y = agents_intern(a, "launched-y");
	assert_false(agents_forget_newest(a, x));  /* not the newest */
	assert_true(agents_forget_newest(a, y));
	assert_int_equal(agents_count(a), n + 1);
	assert_true(agents_forget_newest(a, x));
	assert_int_equal(agents_count(a), n);
	assert_false(agents_forget_newest(a, (uint32_t)n - 1)); /* a default, with patterns */
	assert_int_equal(agents_intern(a, "launched-y"), n);
	agents_free(a);
}

/* busy ids for agents_intern_launched: all but free_id (AM_AGENT_NONE: none free) */
static uint32_t free_id;

static bool busy_but(void *arg, uint32_t id)
{
	(void)arg;
	return id != free_id;
}

static int seen_name(void *arg, uint32_t id, const char *name)
{
	uint32_t *seen = arg;

	(void)name;
	seen[id]++;
	return 0;
}

/* launched names are bounded: past AGENTS_LAUNCHED_MAX, a name of no live process is given
 * to the new one (its id kept, counted), never a default's; all in use: refused, counted */
static void test_launched_bound(void **state)
{
	struct agents *a = agents_new_default(), *b;
	uint32_t count = 0, seen[N_NAMES + AGENTS_LAUNCHED_MAX + 1] = { 0 }, id;
	uint64_t renames = 0;
	char name[32];

	(void)state;
	free_id = AM_AGENT_NONE;
	for (int i = 0; i < AGENTS_LAUNCHED_MAX; i++) {
		snprintf(name, sizeof(name), "rnd-%d", i);
		assert_int_equal(agents_intern_launched(a, name, AGENTS_LAUNCHED_MAX, busy_but, NULL),
				 N_NAMES + i);
	}
	agents_each_new(a, &count, &renames, seen_name, seen);
	assert_int_equal(count, N_NAMES + AGENTS_LAUNCHED_MAX);
	/* all in use: refused, nothing added */
	assert_int_equal(agents_intern_launched(a, "one-more", AGENTS_LAUNCHED_MAX, busy_but, NULL),
			 AM_AGENT_NONE);
	assert_int_equal(agents_refused(a), 1);
	assert_int_equal(agents_count(a), N_NAMES + AGENTS_LAUNCHED_MAX);
	/* a known name is found whatever the bound */
	assert_int_equal(agents_intern_launched(a, "rnd-7", AGENTS_LAUNCHED_MAX, busy_but, NULL),
			 N_NAMES + 7);
	/* rnd-9's processes are gone: its id goes to the new name */
	free_id = N_NAMES + 9;
	id = agents_intern_launched(a, "one-more", AGENTS_LAUNCHED_MAX, busy_but, NULL);
	assert_int_equal(id, N_NAMES + 9);
	assert_string_equal(agents_name(a, id), "one-more");
	assert_int_equal(agents_renames(a), 1);
	assert_int_equal(agents_renamed(a, id), 1);
	assert_int_equal(agents_count(a), N_NAMES + AGENTS_LAUNCHED_MAX);
	/* a default is never recycled, even with no process */
	free_id = 0;
	assert_int_equal(agents_intern_launched(a, "two-more", AGENTS_LAUNCHED_MAX, busy_but, NULL),
			 AM_AGENT_NONE);
	assert_string_equal(agents_name(a, 0), "claude");
	/* a trace or pinned map told of the rename: only that id again */
	memset(seen, 0, sizeof(seen));
	agents_each_new(a, &count, &renames, seen_name, seen);
	for (uint32_t i = 0; i < N_NAMES + AGENTS_LAUNCHED_MAX; i++)
		assert_int_equal(seen[i], i == id);
	assert_int_equal(renames, 1);
	/* renames: no duplicate, no default; a reload keeps the renamed ids and the counts */
	assert_int_equal(agents_rename(a, id, "rnd-1"), -EINVAL);
	assert_int_equal(agents_rename(a, 0, "x"), -EINVAL);
	b = agents_new_default();
	assert_int_equal(agents_rebase(b, a), 0);
	assert_string_equal(agents_name(b, id), "one-more");
	assert_int_equal(agents_renames(b), 1);
	assert_int_equal(agents_renamed(b, id), 1);
	assert_int_equal(agents_refused(b), 2);
	agents_free(a);
	agents_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forget_newest),
		cmocka_unit_test(test_launched_bound),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interpreters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_like, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_rules, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
