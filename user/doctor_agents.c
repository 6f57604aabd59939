// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * doctor_agents.c - the TLS verdict (loader_tls_verdict) of every agent
 * binary found on this host: the agents' commands (the default agents'
 * names) in PATH, the npm global prefix and the user prefixes, then the
 * real executables inside their npm packages (the package and its
 * platform siblings: claude.exe, codex's native binary, opencode, copilot's
 * runtime.node ...), native installer directories (~/.local/share/claude/
 * versions); a node script's interpreter when its package has none.  All
 * scans share the time budget; past it a binary is "not checked".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agents.h"
#include "doctor.h"
#include "load.h"

#define BINS_MAX     64        /* binaries judged in all */
#define WALK_DEPTH   6         /* directories deep into a package */
#define WALK_ENTRIES 20000     /* directory entries looked at, in all */
#define OBJ_MIN      (1 << 20) /* a .node smaller is no TLS runtime */
#define STR_(x)      #x
#define STR(x)       STR_(x)

struct hunt {
	struct doctor *d;
	const char *agent;
	uint64_t deadline;
	size_t entries;               /* WALK_ENTRIES budget */
	bool main_pass;               /* only executables named like the agent */
	bool skipped;                 /* a binary of this agent found no room in seen */
	size_t n;
	struct verdict {
		dev_t dev;
		ino_t ino;
		int rc;
		char why[400];
	} seen[BINS_MAX];             /* every binary judged, once */
	size_t found;                 /* binaries of this agent */
	size_t n_mine;                /* of them, reported for this agent */
	size_t mine[BINS_MAX];        /* indexes into seen */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum doctor_state doctor_tls_state(int rc, const char **word)
{
	static const char *const ok[] = { "symbols", "shared", "located" };

	if (rc >= LOADER_TLS_SYMBOLS && rc <= LOADER_TLS_LOCATED) {
		*word = ok[rc - LOADER_TLS_SYMBOLS];
		return DOCTOR_OK;
	}
	*word = rc == -ENOENT ? "unknown" : rc == -ETIME ? "not checked (time budget)" : "unreadable";
	return DOCTOR_DEGRADED;
}

static bool is_elf(const char *path, struct stat *st)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	bool elf;

	if (fd < 0)
		return false;
	elf = !fstat(fd, st) && S_ISREG(st->st_mode) && read(fd, m, 4) == 4 &&
	      !memcmp(m, "\177ELF", 4);
	close(fd);
	return elf;
}

/* the verdict on the file at path (st: its inode), judged once per inode */
static const struct verdict *verdict_of(struct hunt *h, const char *path, const struct stat *st)
{
	struct verdict *v;

	for (size_t i = 0; i < h->n; i++)
		if (h->seen[i].dev == st->st_dev && h->seen[i].ino == st->st_ino)
			return &h->seen[i];
	if (h->n == BINS_MAX) {
		h->skipped = true;
		return NULL;
	}
	v = &h->seen[h->n++];
	v->dev = st->st_dev;
	v->ino = st->st_ino;
	v->why[0] = '\0';
	v->rc = now_ns() > h->deadline ? -ETIME : loader_tls_verdict(path, v->why, sizeof(v->why));
	return v;
}

/* judge the ELF file path into an item of this agent (once per agent) */
static void judge(struct hunt *h, const char *path, const struct stat *st)
{
	const struct verdict *v = verdict_of(h, path, st);
	char name[DOCTOR_NAME_MAX];
	const char *word;
	enum doctor_state s;

	if (!v)
		return;
	for (size_t i = 0; i < h->n_mine; i++)
		if (&h->seen[h->mine[i]] == v)
			return;
	h->mine[h->n_mine++] = (size_t)(v - h->seen);
	h->found++;
	snprintf(name, sizeof(name), "tls %s", h->agent);
	s = doctor_tls_state(v->rc, &word);
	doctor_add(h->d, name, s, "%s: %s%s%s%s%s", path, word, v->why[0] ? " (" : "", v->why,
		   v->why[0] ? ")" : "",
		   v->rc == -ENOENT ? "; its TLS plaintext is not visible (SNI and DNS only)" : "");
}

/* an agent's executable inside a package: named after the agent, or a big
 * native module (runtime.node) */
static bool wanted(const struct hunt *h, const char *base, const struct stat *st)
{
	size_t n = strlen(base), a = strlen(h->agent);
	bool node = n > 5 && !strcmp(base + n - 5, ".node") && st->st_size >= OBJ_MIN;
	bool named = !strncmp(base, h->agent, a) && (st->st_mode & 0111);

	if (h->main_pass) /* the agent's own: "codex", "claude.exe", runtime.node */
		return (named && (!base[a] || !strcmp(base + a, ".exe"))) ||
		       (node && !strcmp(base, "runtime.node"));
	return node || named;
}

static void walk(struct hunt *h, const char *dir, int depth)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	while (dp && (e = readdir(dp)) && h->entries++ < WALK_ENTRIES) {
		char p[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "node_modules") ||
		    snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p) ||
		    lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH)
			walk(h, p, depth + 1);
		else if (S_ISREG(st.st_mode) && wanted(h, e->d_name, &st) && is_elf(p, &st))
			judge(h, p, &st);
	}
	if (dp)
		closedir(dp);
}

/* whether name is base or base followed by "-..." (a platform package) */
static bool same_or_dash(const char *name, const char *base, size_t n)
{
	return !strncmp(name, base, n) && (!name[n] || name[n] == '-');
}

/* the packages next to real (a file inside node_modules/[@scope/]pkg/):
 * pkg and its siblings pkg-* or AGENT-* (platform packages), walked */
static void walk_packages(struct hunt *h, const char *real)
{
	const char *nm = strstr(real, "/node_modules/"), *pkg, *name;
	char scope[PATH_MAX], p[PATH_MAX];
	struct dirent *e;
	size_t n;
	DIR *dp;

	if (!nm)
		return;
	while (strstr(nm + 1, "/node_modules/"))
		nm = strstr(nm + 1, "/node_modules/");
	pkg = nm + strlen("/node_modules/");
	/* the directory holding the package: node_modules or node_modules/@scope */
	name = *pkg == '@' && strchr(pkg, '/') ? strchr(pkg, '/') + 1 : pkg;
	n = strcspn(name, "/");
	if (snprintf(scope, sizeof(scope), "%.*s", (int)(name - 1 - real), real) >= (int)sizeof(scope) ||
	    !(dp = opendir(scope)))
		return;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.' ||
		    !(same_or_dash(e->d_name, name, n) ||
		      same_or_dash(e->d_name, h->agent, strlen(h->agent))))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", scope, e->d_name) < (int)sizeof(p))
			walk(h, p, 0);
	}
	closedir(dp);
}

/* the executable name in the directories of path_var into out */
static bool interpreter_find(const char *name, const char *path_var, char *out, size_t len)
{
	char dirs[8192], *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", path_var ? path_var : "");
	for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
		if (snprintf(out, len, "%s/%s", dir, name) < (int)len && !access(out, X_OK))
			return true;
	return false;
}

/* "#!/usr/bin/env node" or "#!/path/node": the interpreter's path into out */
static bool interpreter(const char *script, const char *path_var, char *out, size_t len)
{
	char line[256], *p, *w;
	FILE *f = fopen(script, "re");
	bool ok = f && fgets(line, sizeof(line), f) && !strncmp(line, "#!", 2);

	if (f)
		fclose(f);
	if (!ok)
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	w = p + strcspn(p, " \t");
	if (!strncmp(p, "/usr/bin/env", 12) && *w) {
		p = w + strspn(w, " \t");
		p[strcspn(p, " \t")] = '\0';
		return interpreter_find(p, path_var, out, len);
	}
	*w = '\0';
	return snprintf(out, len, "%s", p) < (int)len;
}

/* the agent's command at path (a file named after it in a search directory) */
static void command(struct hunt *h, const char *path)
{
	char real[PATH_MAX], interp[PATH_MAX];
	struct stat st;
	size_t before = h->found;

	if (!realpath(path, real))
		return;
	if (is_elf(real, &st))
		judge(h, real, &st);
	h->main_pass = true;
	walk_packages(h, real);
	h->main_pass = false;
	walk_packages(h, real);
	if (h->found == before && interpreter(real, h->d->opts.path, interp, sizeof(interp)) &&
	    realpath(interp, real) && is_elf(real, &st))
		judge(h, real, &st);
}

/* every file of dir (a native installer's versions directory) */
static void versions(struct hunt *h, const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	while (dp && (e = readdir(dp))) {
		char p[PATH_MAX];
		struct stat st;

		if (e->d_name[0] != '.' && snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < (int)sizeof(p) &&
		    is_elf(p, &st))
			judge(h, p, &st);
	}
	if (dp)
		closedir(dp);
}

/* the directories searched for commands, ':'-separated, into out: PATH,
 * npm's global prefix ($NPM_CONFIG_PREFIX, else node's own: where `npm
 * prefix -g` points without an npmrc), the user prefixes */
static void search_dirs(const struct doctor *d, char *out, size_t len)
{
	static const char *const user[] = { ".npm-global/bin", ".local/bin", ".bun/bin",
					    ".claude/local", ".opencode/bin" };
	const char *home = d->opts.home, *npm = getenv("NPM_CONFIG_PREFIX");
	char node[PATH_MAX], real[PATH_MAX];
	int n = snprintf(out, len, "%s", d->opts.path);

	if (npm && n >= 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ":%s/bin", npm);
	if (interpreter_find("node", d->opts.path, node, sizeof(node)) && realpath(node, real) &&
	    strrchr(real, '/') && n >= 0 && (size_t)n < len) {
		*strrchr(real, '/') = '\0';
		n += snprintf(out + n, len - (size_t)n, ":%s", real);
	}
	for (size_t i = 0; home && i < sizeof(user) / sizeof(user[0]); i++)
		if (n >= 0 && (size_t)n < len)
			n += snprintf(out + n, len - (size_t)n, ":%s/%s", home, user[i]);
}

/* agent's command in every search directory, and its native versions */
static void hunt_agent(struct hunt *h, const char *dirs)
{
	char copy[16384], p[PATH_MAX], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", dirs);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
		if (*dir == '/' && snprintf(p, sizeof(p), "%s/%s", dir, h->agent) < (int)sizeof(p) &&
		    !access(p, X_OK))
			command(h, p);
	if (h->d->opts.home &&
	    snprintf(p, sizeof(p), "%s/.local/share/%s/versions", h->d->opts.home, h->agent) <
	    (int)sizeof(p))
		versions(h, p);
	if (h->entries > WALK_ENTRIES || h->skipped) {
		snprintf(p, sizeof(p), "tls %s", h->agent);
		doctor_add(h->d, p, DOCTOR_DEGRADED, "not every binary checked: %s",
			   h->skipped ? "the binaries judged reached " STR(BINS_MAX)
					    : "its packages hold over " STR(WALK_ENTRIES) " entries");
	}
}

void doctor_agents(struct doctor *d)
{
	struct agents *a = agents_new_default();
	struct hunt *h = calloc(1, sizeof(*h));
	char *dirs = malloc(16384);
	size_t total = 0;

	if (!a || !h || !dirs) {
		doctor_add(d, "tls agents", DOCTOR_DEGRADED, "not checked: out of memory");
		goto out;
	}
	search_dirs(d, dirs, 16384);
	h->d = d;
	h->deadline = now_ns() + d->opts.tls_budget_ns;
	for (uint32_t id = 0; id < agents_count(a); id++) {
		h->agent = agents_name(a, id);
		h->found = h->n_mine = 0;
		h->skipped = false;
		h->entries = 0;
		hunt_agent(h, dirs);
		total += h->found;
	}
	if (!total)
		doctor_add(d, "tls agents", DOCTOR_OK, "no agent binary found (searched %s)", dirs);
out:
	free(dirs);
	free(h);
	agents_free(a);
}
