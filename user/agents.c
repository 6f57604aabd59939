// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * agents.c - the agent table and exec matching (see agents.h).
 *
 * Each agent owns its name and a list of patterns, of one kind each:
 *   P_PLAIN    a basename (no '/', no glob): the executed file's, the
 *              interpreter script's or python -m's; a kernel AM_RULE_TAG;
 *   P_PATH     a policy file's path pattern: fnmatch(3) without
 *              FNM_PATHNAME ('*' crosses '/') against the executed file's
 *              path (as given and resolved) and the interpreter's script;
 *              its basename is a kernel candidate (a glob one: every exec);
 *   P_PKG      a built-in package path ("* /@anthropic-ai/claude-code* / *"):
 *              matched like P_PATH but with no kernel rule of its own.  An
 *              npm package starts through its bin link or a native binary
 *              (plain names, tagged in the kernel) or an interpreter (a
 *              kernel candidate); the scan and candidates see the rest;
 *   P_VERSION  a built-in directory of versioned binaries: the path must
 *              match and its basename be a version (digits and dots, as
 *              Claude Code's native installer names them); the kernel sends
 *              version-like basenames as candidates (AM_VERSION_KEY).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"

enum pat_kind { P_PLAIN, P_PATH, P_PKG, P_VERSION };

struct pattern {
	char *text;
	enum pat_kind kind;
};

struct agent {
	char *name;
	struct pattern *pats;
	size_t n_pats;
	uint64_t renamed;      /* the table's renames when it got its name; 0: never renamed */
};

struct agents {
	struct agent *v;
	size_t n, cap;
	uint64_t renames;      /* names recycled, ever (carried over by agents_rebase) */
	uint64_t refused;      /* launched names refused: every recyclable one in use */
	uint32_t cursor;       /* where the next recycling looks first */
};

/* the built-in agents; README.md "Agents recognised" lists them */
static const struct {
	const char *name;
	const char *names[4];  /* P_PLAIN basenames besides the name */
	const char *pkg[4];    /* P_PKG package paths */
	const char *version;   /* P_VERSION directory pattern */
} default_agents[] = {
	{ "claude",       { "claude.exe" },
	  { "*/@anthropic-ai/claude-code*/*" }, "*/claude/versions/*" },
	{ "codex",        { NULL }, { "*/@openai/codex*/*" }, NULL },
	{ "aider",        { NULL }, { "*/site-packages/aider/*", "*/dist-packages/aider/*" }, NULL },
	{ "gemini",       { NULL }, { "*/@google/gemini-cli*/*" }, NULL },
	{ "goose",        { NULL }, { NULL }, NULL },
	{ "opencode",     { "opencode.exe" }, { "*/node_modules/opencode-*/*" }, NULL },
	{ "cursor-agent", { NULL }, { "*/cursor-agent/versions/*" }, NULL },
	{ "copilot",      { NULL }, { "*/@github/copilot*/*" }, NULL },
	{ "amp",          { "amp.exe" }, { "*/@sourcegraph/amp/*", "*/@ampcode/cli/*" }, NULL },
	{ "qwen",         { NULL }, { "*/@qwen-code/qwen-code*/*" }, NULL },
	{ "pi",           { NULL }, { "*/@mariozechner/pi-coding-agent/*" }, NULL },
	{ "auggie",       { NULL }, { "*/@augmentcode/auggie/*" }, NULL },
	{ "crush",        { NULL }, { "*/@charmland/crush*/*" }, NULL },
	{ "kilo",         { "kilocode" }, { "*/@kilocode/cli*/*" }, NULL },
	{ "grok",         { NULL }, { "*/@vibe-kit/grok-cli/*" }, NULL },
	{ "cline",        { NULL }, { "*/@cline/cli*/*" }, NULL },
	{ "continue",     { "cn" }, { "*/@continuedev/cli/*" }, NULL },
};

#define N_DEFAULTS (sizeof(default_agents) / sizeof(default_agents[0]))

/* interpreter basenames sent as candidates; python3.N listed for the kernel */
static const char *const interpreters[] = {
	"node", "nodejs", "bun", "deno", "python", "python2", "python3",
};
#define PY3_MINOR_FIRST 6
#define PY3_MINOR_LAST  16

/* ---- table ---- */

void agents_free(struct agents *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < a->v[i].n_pats; j++)
			free(a->v[i].pats[j].text);
		free(a->v[i].pats);
		free(a->v[i].name);
	}
	free(a->v);
	free(a);
}

static bool name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n < AM_NAME_MAX;
}

static uint32_t find(const struct agents *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return (uint32_t)i;
	return AM_AGENT_NONE;
}

uint32_t agents_intern(struct agents *a, const char *name)
{
	uint32_t id;

	if (!name_ok(name))
		return AM_AGENT_NONE;
	id = find(a, name);
	if (id != AM_AGENT_NONE)
		return id;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct agent *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return AM_AGENT_NONE;
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	a->v[a->n].name = strdup(name);
	if (!a->v[a->n].name)
		return AM_AGENT_NONE;
	return (uint32_t)a->n++;
}

bool agents_forget_newest(struct agents *a, uint32_t id)
{
	if (!a->n || id != a->n - 1 || a->v[id].n_pats)
		return false;
	free(a->v[id].name);
	a->n--;
	return true;
}

/* names without patterns: launched (or an earlier run's) */
static size_t bare_names(const struct agents *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += !a->v[i].n_pats;
	return n;
}

int agents_rename(struct agents *a, uint32_t id, const char *name)
{
	char *copy;

	if (id >= a->n || a->v[id].n_pats || !name_ok(name) ||
	    (find(a, name) != AM_AGENT_NONE && find(a, name) != id))
		return -EINVAL;
	if (!(copy = strdup(name)))
		return -ENOMEM;
	free(a->v[id].name);
	a->v[id].name = copy;
	a->v[id].renamed = ++a->renames;
	return 0;
}

uint32_t agents_intern_launched(struct agents *a, const char *name, size_t max,
				bool (*busy)(void *arg, uint32_t id), void *arg)
{
	uint32_t id = name_ok(name) ? find(a, name) : AM_AGENT_NONE;

	if (id != AM_AGENT_NONE || !name_ok(name) || bare_names(a) < max)
		return id != AM_AGENT_NONE ? id : agents_intern(a, name);
	for (size_t k = 0; k < a->n; k++) {
		id = (uint32_t)((a->cursor + k) % a->n);
		if (a->v[id].n_pats || busy(arg, id))
			continue;
		if (agents_rename(a, id, name))
			return AM_AGENT_NONE;
		a->cursor = id + 1;
		return id;
	}
	a->refused++;
	return AM_AGENT_NONE;
}

uint64_t agents_renames(const struct agents *a)
{
	return a ? a->renames : 0;
}

uint64_t agents_renamed(const struct agents *a, uint32_t id)
{
	return a && id < a->n ? a->v[id].renamed : 0;
}

int agents_each_new(const struct agents *a, uint32_t *count, uint64_t *renames,
		    int (*fn)(void *arg, uint32_t id, const char *name), void *arg)
{
	int ret = 0, r;

	for (uint32_t id = 0; a && id < a->n; id++) {
		if (id < *count && a->v[id].renamed <= *renames)
			continue;
		if ((r = fn(arg, id, a->v[id].name)) && !ret)
			ret = r;
	}
	*count = a ? (uint32_t)a->n : 0;
	*renames = agents_renames(a);
	return ret;
}

uint64_t agents_refused(const struct agents *a)
{
	return a ? a->refused : 0;
}

int agents_rebase(struct agents *a, const struct agents *old)
{
	struct agents t = { .renames = old->renames, .refused = old->refused };
	uint32_t id;

	for (size_t i = 0; i < old->n; i++) {
		if (agents_intern(&t, old->v[i].name) == AM_AGENT_NONE)
			goto fail;
		t.v[i].renamed = old->v[i].renamed;
	}
	for (size_t i = 0; i < a->n; i++) {
		id = agents_intern(&t, a->v[i].name);
		if (id == AM_AGENT_NONE)
			goto fail;
		/* a's patterns move over: a keeps its name only */
		t.v[id].pats = a->v[i].pats;
		t.v[id].n_pats = a->v[i].n_pats;
		a->v[i].pats = NULL;
		a->v[i].n_pats = 0;
	}
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].name);
	free(a->v);
	*a = t;
	return 0;
fail:
	for (size_t i = 0; i < t.n; i++) { /* give back what moved */
		id = find(a, t.v[i].name);
		if (id != AM_AGENT_NONE && t.v[i].pats) {
			a->v[id].pats = t.v[i].pats;
			a->v[id].n_pats = t.v[i].n_pats;
			t.v[i].pats = NULL;
		}
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].name);
	free(t.v);
	return -ENOMEM;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int add_pattern(struct agents *a, const char *name, const char *pattern,
		       enum pat_kind kind)
{
	struct agent *ag;
	struct pattern *p;
	uint32_t id;

	if (!pattern || !*pattern)
		return -EINVAL;
	if (!name_ok(name))
		return -EINVAL;
	id = agents_intern(a, name);
	if (id == AM_AGENT_NONE)
		return -ENOMEM;
	ag = &a->v[id];
	p = realloc(ag->pats, (ag->n_pats + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ag->pats = p;
	p = &ag->pats[ag->n_pats];
	p->text = strdup(pattern);
	if (!p->text)
		return -ENOMEM;
	p->kind = !strchr(pattern, '/') && !has_glob(pattern) ? P_PLAIN : kind;
	ag->n_pats++;
	return 0;
}

int agents_add_pattern(struct agents *a, const char *name, const char *pattern)
{
	return add_pattern(a, name, pattern, P_PATH);
}

struct agents *agents_new(void)
{
	return calloc(1, sizeof(struct agents));
}

/* default_agents[i]'s patterns into a; 0 or -ENOMEM */
static int add_default(struct agents *a, size_t i)
{
	const char *name = default_agents[i].name;
	int ret = add_pattern(a, name, name, P_PLAIN);

	for (size_t j = 0; !ret && j < 4 && default_agents[i].names[j]; j++)
		ret = add_pattern(a, name, default_agents[i].names[j], P_PLAIN);
	for (size_t j = 0; !ret && j < 4 && default_agents[i].pkg[j]; j++)
		ret = add_pattern(a, name, default_agents[i].pkg[j], P_PKG);
	if (!ret && default_agents[i].version)
		ret = add_pattern(a, name, default_agents[i].version, P_VERSION);
	return ret;
}

struct agents *agents_new_default(void)
{
	struct agents *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < N_DEFAULTS; i++) {
		if (add_default(a, i)) {
			agents_free(a);
			return NULL;
		}
	}
	return a;
}

const char *agents_name(const struct agents *a, uint32_t id)
{
	return a && id < a->n ? a->v[id].name : NULL;
}

size_t agents_count(const struct agents *a)
{
	return a ? a->n : 0;
}

/* ---- exec matching ---- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_python(const char *b)
{
	if (strncmp(b, "python", 6) != 0)
		return false;
	b += 6;
	if (!*b || ((*b == '2' || *b == '3') && !b[1]))
		return true;
	if (*b != '3' || b[1] != '.' || !b[2])
		return false;
	for (b += 2; *b; b++)
		if (*b < '0' || *b > '9')
			return false;
	return true;
}

enum interp { I_NONE, I_NODE, I_PYTHON, I_BUN, I_DENO };

static enum interp interp_of(const char *path)
{
	const char *b = base_name(path);

	if (is_python(b))
		return I_PYTHON;
	if (!strcmp(b, "node") || !strcmp(b, "nodejs"))
		return I_NODE;
	if (!strcmp(b, "bun"))
		return I_BUN;
	if (!strcmp(b, "deno"))
		return I_DENO;
	return I_NONE;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* interpreter options that take the next argument as their value */
static const char *const py_arg_opts[] = { "-W", "-X", "--check-hash-based-pycs", NULL };
static const char *const js_arg_opts[] = {
	"-r", "--require", "--import", "--loader", "--experimental-loader", "-C",
	"--conditions", "--preload", "--cwd", "--config", "--env-file", "--title", NULL,
};
/* options after which no script follows (code given inline) */
static const char *const js_code_opts[] = { "-e", "--eval", "-p", "--print", NULL };

/* what an interpreter runs: a script path, or a module (python -m) */
struct script {
	const char *path;    /* NULL when none */
	char module[AM_NAME_MAX]; /* top-level module name of python -m */
};

/* python option at arg; returns false when no script follows it */
static bool python_opt(const char *arg, const char *next, struct script *s, bool *skip_next)
{
	const char *m = NULL;

	if (in_list(arg, py_arg_opts)) {
		*skip_next = true;
		return true;
	}
	if (arg[1] == '-')
		return true;
	for (const char *c = arg + 1; *c; c++) {
		if (*c == 'c')
			return false;
		if (*c == 'm') {
			m = c[1] ? c + 1 : next;
			*skip_next = !c[1];
			break;
		}
		if (*c == 'W' || *c == 'X') {
			*skip_next = !c[1];
			break;
		}
	}
	if (m) {
		size_t n = strcspn(m, ".");

		if (n < sizeof(s->module)) {
			memcpy(s->module, m, n);
			s->module[n] = '\0';
		}
		return false;
	}
	return true;
}

/* the script or module of an interpreter exec: argv[0] is the interpreter */
static void find_script(enum interp in, const char *argv, const char *end, uint32_t argc,
			struct script *s)
{
	bool skip_next = false, sub_ok = in == I_BUN || in == I_DENO;
	const char *a = argv;

	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < argc && a < end; i++, a += strlen(a) + 1) {
		const char *next = a + strlen(a) + 1;

		if (i == 0 || skip_next) {
			skip_next = false;
			continue;
		}
		if (!strcmp(a, "--")) {
			if (i + 1 < argc && next < end)
				s->path = next;
			return;
		}
		if (a[0] != '-' || !a[1]) {
			if (sub_ok && !strcmp(a, "run")) {
				sub_ok = false;
				continue;
			}
			s->path = strcmp(a, "-") ? a : NULL;
			return;
		}
		if (in == I_PYTHON) {
			if (!python_opt(a, i + 1 < argc && next < end ? next : "", s, &skip_next))
				return;
		} else if (in_list(a, js_code_opts)) {
			return;
		} else if (in_list(a, js_arg_opts)) {
			skip_next = true;
		}
	}
}

bool agents_version_like(const char *b)
{
	bool dot = false;

	if (*b < '0' || *b > '9')
		return false;
	for (; *b; b++) {
		if (*b == '.')
			dot = true;
		else if (*b < '0' || *b > '9')
			return false;
	}
	return dot;
}

/* whether path pattern p matches file (an executed file's path) */
static bool path_matches(const struct pattern *p, const char *file)
{
	if (fnmatch(p->text, file, 0))
		return false;
	return p->kind != P_VERSION || agents_version_like(base_name(file));
}

static bool pattern_matches(const struct pattern *p, const char *filename, const struct script *s)
{
	if (p->kind == P_PLAIN)
		return !strcmp(p->text, base_name(filename)) ||
		       (s->path && !strcmp(p->text, base_name(s->path))) ||
		       !strcmp(p->text, s->module);
	if (path_matches(p, filename))
		return true;
	return p->kind != P_VERSION && s->path && fnmatch(p->text, s->path, 0) == 0;
}

uint32_t agents_match_exec(const struct agents *a, const char *filename,
			   const char *argv, size_t argv_len, uint32_t argc)
{
	struct script s = { 0 };
	enum interp in;

	if (!a || !filename)
		return AM_AGENT_NONE;
	in = interp_of(filename);
	/* argv must end in NUL for the walk; decode_record guarantees it */
	if (in != I_NONE && argv && argv_len && argv[argv_len - 1] == '\0')
		find_script(in, argv, argv + argv_len, argc, &s);
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < a->v[i].n_pats; j++)
			if (pattern_matches(&a->v[i].pats[j], filename, &s))
				return (uint32_t)i;
	return AM_AGENT_NONE;
}

/* ---- kernel rules ---- */

struct rule_set {
	struct am_name *names;
	struct am_exe_rule *rules;
	size_t n, cap;
};

/* add basename with action; a TAG replaces a CANDIDATE, the first TAG wins */
static int rules_add(struct rule_set *r, const char *base, uint32_t action, uint32_t id)
{
	size_t len = strlen(base);

	if (!len || len >= AM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->names[i].name, base))
			continue;
		if (action == AM_RULE_TAG && r->rules[i].action != AM_RULE_TAG)
			r->rules[i] = (struct am_exe_rule){ .agent_id = id, .action = action };
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct am_name *nv = realloc(r->names, cap * sizeof(*nv));
		struct am_exe_rule *rv;

		if (!nv)
			return -ENOMEM;
		r->names = nv;
		rv = realloc(r->rules, cap * sizeof(*rv));
		if (!rv)
			return -ENOMEM;
		r->rules = rv;
		r->cap = cap;
	}
	memset(&r->names[r->n], 0, sizeof(r->names[r->n]));
	memcpy(r->names[r->n].name, base, len);
	r->rules[r->n] = (struct am_exe_rule){ .agent_id = id, .action = action };
	r->n++;
	return 0;
}

static void rules_interpreters(struct rule_set *r)
{
	char py[16];

	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++)
		rules_add(r, interpreters[i], AM_RULE_CANDIDATE, AM_AGENT_NONE);
	for (int m = PY3_MINOR_FIRST; m <= PY3_MINOR_LAST; m++) {
		snprintf(py, sizeof(py), "python3.%d", m);
		rules_add(r, py, AM_RULE_CANDIDATE, AM_AGENT_NONE);
	}
}

/* one pattern's rule; true when it needs every exec */
static bool rules_pattern(struct rule_set *r, const struct pattern *p, uint32_t id)
{
	const char *b;

	switch (p->kind) {
	case P_PLAIN:
		rules_add(r, p->text, AM_RULE_TAG, id);
		return false;
	case P_PKG:
		return false;
	case P_VERSION:
		rules_add(r, AM_VERSION_KEY, AM_RULE_CANDIDATE, AM_AGENT_NONE);
		return false;
	case P_PATH:
		break;
	}
	b = base_name(p->text);
	if (has_glob(b) || !*b)
		return true;
	rules_add(r, b, AM_RULE_CANDIDATE, AM_AGENT_NONE);
	return false;
}

bool agents_kernel_rules(const struct agents *a,
			 void (*cb)(const char *basename, const struct am_exe_rule *rule, void *arg),
			 void *arg)
{
	struct rule_set r = { 0 };
	bool all = false;

	rules_interpreters(&r);
	for (size_t i = 0; a && i < a->n; i++)
		for (size_t j = 0; j < a->v[i].n_pats; j++)
			all |= rules_pattern(&r, &a->v[i].pats[j], (uint32_t)i);
	for (size_t i = 0; i < r.n; i++)
		cb(r.names[i].name, &r.rules[i], arg);
	free(r.names);
	free(r.rules);
	return all;
}
