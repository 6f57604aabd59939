// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * view.c - the compact text view (see view.h).  Library code: no I/O, the
 * lines are appended to the caller's buffer.  Memory is fixed at
 * view_new(): VIEW_PROCS process entries, VIEW_ROOTS working trees (their
 * paths allocated, at most PATH_MAX each), VIEW_DESTS destination hashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common.h"
#include "intent.h"
#include "output.h"
#include "policy_view.h"
#include "view.h"

#define VIEW_DEPTH_MAX 8    /* deeper processes are indented as this deep */
#define VIEW_LLM_CUT 160    /* bytes of an llm exchange's text shown */
#define VIEW_HINTS 256      /* pid -> entry hints: most lookups scan nothing */

_Static_assert(VIEW_PROCS <= 256, "a hint is a uint8_t index");

/* one process's fold state */
struct view_proc {
	uint32_t pid;          /* 0: free */
	uint32_t agent_pid;
	uint64_t used;         /* v->tick when last seen (LRU) */
	uint64_t serial;       /* this entry's program: new at creation and exec */
	uint32_t n[VIEW_CAT_N];
	uint32_t total, bound; /* folded since the last line; the next line at bound */
	uint64_t fold_ts;      /* time of its last folded read */
	uint8_t depth;
	char comm[AM_COMM_LEN + 1];
	char agent[AM_NAME_MAX];
	bool tagged;
	bool execd;            /* its exec was seen (else a fork child: its reads
				  count for the program it execs) */
};

/* an agent root's working tree */
struct view_root {
	uint32_t agent_pid;    /* 0: free */
	uint64_t used;
	char *cwd;
};

struct view {
	bool color;
	char *label;           /* the host shown after the time, or NULL */
	uint64_t tick, serial;
	uint64_t due;          /* no fold line is due before (0: none counted) */
	uint64_t seed;         /* of the destinations' hashes */
	struct policy_view globs;   /* the policy's view: show and hide */
	struct view_proc procs[VIEW_PROCS];
	uint8_t hint[VIEW_HINTS];   /* pid % VIEW_HINTS -> a procs index to try first */
	struct view_root roots[VIEW_ROOTS];
	uint64_t dests[VIEW_DESTS];
};

static const char *const cat_names[VIEW_CAT_N] = {
	[VIEW_LIB] = "lib", [VIEW_LOCALE] = "locale", [VIEW_SYSTEM] = "system",
	[VIEW_OTHER] = "other",
};

/* ---- classification ---- */

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool prefix_any(const char *s, const char *const *list)
{
	for (; *list; list++) /* the first two bytes reject most at once */
		if (s[0] == (*list)[0] && s[0] && s[1] == (*list)[1] && has_prefix(s, *list))
			return true;
	return false;
}

/* s contains word (lower case), ignoring case; for short names */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if ((*s | 0x20) == word[0] && !strncasecmp(s, word, n))
			return true;
	return false;
}

/* the last component of path */
static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* a component of path is exactly name */
static bool has_component(const char *path, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(path, name); p; p = strstr(p + 1, name))
		if ((p == path || p[-1] == '/') && (p[n] == '/' || !p[n]))
			return true;
	return false;
}

/* a device, a tty or a process file: noise even when written */
static bool system_path(const char *path)
{
	static const char *const sys[] = { "/proc/", "/sys/", "/dev/", NULL };

	return prefix_any(path, sys) || !strcmp(path, "/dev") || !strcmp(path, "/proc");
}

/* a dot-file directly in a home directory: /root/.x, /home/U/.x */
static bool home_dotfile(const char *path)
{
	const char *rest = NULL;

	if (has_prefix(path, "/root/"))
		rest = path + 6;
	else if (has_prefix(path, "/home/") && (rest = strchr(path + 6, '/')))
		rest++;
	return rest && rest[0] == '.' && rest[1] && rest[1] != '.' && !strchr(rest, '/');
}

/* a home directory itself: /root, /home/U */
static bool home_dir(const char *path, size_t n)
{
	const char *s = path + 6;

	return (n == 5 && !strncmp(path, "/root", 5)) ||
	       (n > 6 && !strncmp(path, "/home/", 6) && !memchr(s, '/', n - 6));
}

/*
 * path is in the working tree cwd (not "/" nor a home directory), outside
 * the trees tools fill (dependencies, git objects, caches)
 */
static bool in_tree(const char *path, const char *cwd)
{
	static const char *const filled[] = {
		"node_modules", ".git", "__pycache__", ".venv", "venv", "site-packages", "target", NULL,
	};
	size_t n = cwd ? strlen(cwd) : 0;

	while (n > 1 && cwd[n - 1] == '/')
		n--;
	if (n <= 1 || home_dir(cwd, n) || strncmp(path, cwd, n) || (path[n] && path[n] != '/'))
		return false;
	for (const char *const *f = filled; *f; f++)
		if (has_component(path + n, *f))
			return false;
	return true;
}

static enum view_cat fold_cat(const char *path)
{
	static const char *const locale[] = {
		"/usr/lib/locale/", "/usr/share/locale/", "/usr/share/i18n/", "/usr/share/zoneinfo/",
		"/etc/localtime", "/usr/share/terminfo/", "/lib/terminfo/", "/etc/terminfo/",
		"/usr/lib/locale", "/usr/share/locale", NULL,
	};
	static const char *const lib[] = {
		"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/", "/etc/ld.so.",
		"/usr/share/python", "/usr/share/nodejs/", "/usr/lib", NULL,
	};
	if (prefix_any(path, locale) || strstr(path, "/gconv/"))
		return VIEW_LOCALE;
	if (prefix_any(path, lib) || am_so_name(path))
		return VIEW_LIB;
	return system_path(path) ? VIEW_SYSTEM : VIEW_OTHER;
}

/* path is under a directory named one of names (".ssh", ".config/gh": dot-names) */
static bool under_dot_dir(const char *path, const char *const *names)
{
	for (const char *c = strstr(path, "/."); c; c = strstr(c + 2, "/.")) {
		for (const char *const *n = names; *n; n++) {
			size_t len = strlen(*n);

			if (!strncmp(c + 1, *n, len) && c[1 + len] == '/')
				return true;
		}
	}
	return false;
}

/* keys, tokens and credentials (path folded into cat otherwise): always shown */
static bool sensitive(const char *path, enum view_cat cat)
{
	static const char *const dirs[] = {
		".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".password-store",
		".config/gh", ".config/gcloud", NULL,
	};
	static const char *const names[] = {
		".netrc", ".npmrc", ".pypirc", ".git-credentials", ".pgpass", ".env", "shadow",
		"gshadow", "sudoers", "authorized_keys", NULL,
	};
	static const char *const words[] = {
		"id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", "credential", "secret", "token",
		".pem", ".key", ".p12", ".pfx", "keyring", "apikey", "api_key", NULL,
	};
	static const char *const certs[] = { "/etc/ssl/certs/", "/usr/share/ca-certificates/", NULL };
	const char *b = base_name(path);

	if (under_dot_dir(path, dirs) || has_prefix(path, "/etc/ssl/private/"))
		return true;
	for (const char *const *n = names; *n; n++)
		if (b[0] == (*n)[0] && (!strcmp(b, *n) || (!strcmp(*n, ".env") &&
							    has_prefix(b, ".env."))))
			return true;
	if (cat != VIEW_OTHER || prefix_any(path, certs))
		return false; /* tokenize.py, CA certificates: not secrets */
	for (const char *const *w = words; *w; w++)
		if (has_word(b, *w))
			return true;
	return false;
}

enum view_cat view_classify(const char *path, uint32_t flags, bool write, int64_t ret,
			    const char *cwd)
{
	enum view_cat cat;

	if (!path || !*path)
		return VIEW_OTHER;
	cat = fold_cat(path);
	if (sensitive(path, cat))
		return VIEW_SHOW;
	if (write)
		return cat == VIEW_SYSTEM ? VIEW_SYSTEM : VIEW_SHOW;
	if (ret >= 0 && !(flags & O_DIRECTORY) && (in_tree(path, cwd) || home_dotfile(path)))
		return VIEW_SHOW;
	return cat;
}

/* ---- state ---- */

struct view *view_new(bool color)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->color = color;
	if (getrandom(&v->seed, sizeof(v->seed), GRND_NONBLOCK) != sizeof(v->seed))
		v->seed = am_now_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)v; /* early boot */
	return v;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < VIEW_ROOTS; i++)
		free(v->roots[i].cwd);
	policy_view_free(&v->globs);
	free(v->label);
	free(v);
}

int view_label(struct view *v, const char *label)
{
	char *l = label ? strdup(label) : NULL;

	if (label && !l)
		return -ENOMEM;
	free(v->label);
	v->label = l;
	return 0;
}

int view_policy(struct view *v, const struct policy_view *pv)
{
	return policy_view_copy(&v->globs, pv);
}

static struct view_root *root_of(struct view *v, uint32_t agent_pid)
{
	for (size_t i = 0; agent_pid && i < VIEW_ROOTS; i++)
		if (v->roots[i].agent_pid == agent_pid)
			return &v->roots[i];
	return NULL;
}

/* remember ev's cwd as the working tree of its agent (the root's exec) */
static void root_set(struct view *v, const struct event *ev)
{
	struct view_root *r = root_of(v, ev->agent_pid), *old = &v->roots[0];
	char *cwd;

	if (!ev->exec.cwd || strlen(ev->exec.cwd) >= PATH_MAX || !(cwd = strdup(ev->exec.cwd)))
		return; /* unknown, or no memory: the working tree's reads are folded */
	for (size_t i = 0; !r && i < VIEW_ROOTS; i++)
		if (v->roots[i].used < old->used)
			old = &v->roots[i];
	if (!r)
		r = old;
	free(r->cwd);
	r->cwd = cwd;
	r->agent_pid = ev->agent_pid;
	r->used = ++v->tick;
}

/* the entry of pid, NULL when it has none */
static struct view_proc *proc_find(struct view *v, uint32_t pid)
{
	uint8_t *hint = &v->hint[pid % VIEW_HINTS];

	if (!pid)
		return NULL;
	if (v->procs[*hint].pid == pid)
		return &v->procs[*hint];
	for (size_t i = 0; i < VIEW_PROCS; i++) {
		if (v->procs[i].pid == pid) {
			*hint = (uint8_t)i;
			return &v->procs[i];
		}
	}
	return NULL;
}

static void line_start(struct view *v, struct jw *w, uint64_t ts_ns, const struct view_proc *p)
{
	static const char *const palette[] = {
		"\033[1;36m", "\033[1;32m", "\033[1;35m", "\033[1;34m", "\033[1;33m", "\033[1;96m",
	};
	uint32_t h = 5381;

	for (const char *s = p->agent; *s; s++)
		h = h * 33 + (unsigned char)*s;
	output_text_time(w, ts_ns);
	output_text_host(w, v->label);
	for (uint8_t d = 0; d < p->depth; d++)
		jw_raw(w, "  ", 2);
	output_text_who(w, v->color ? palette[h % (sizeof(palette) / sizeof(palette[0]))] : NULL,
			p->tagged ? p->agent : NULL, p->comm, p->pid);
}

/* "WHO read N files (A locale, B lib ...)" for what p folded, then none */
static void fold_line(struct view *v, struct jw *w, uint64_t ts_ns, struct view_proc *p)
{
	static const enum view_cat order[] = { VIEW_LOCALE, VIEW_LIB, VIEW_SYSTEM, VIEW_OTHER };
	char buf[32];
	const char *sep = " (";

	if (!p->total)
		return;
	line_start(v, w, ts_ns, p);
	jw_raw(w, buf, (size_t)snprintf(buf, sizeof(buf), " read %u file%s", p->total,
					p->total == 1 ? "" : "s"));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!p->n[order[i]])
			continue;
		jw_raw(w, buf, (size_t)snprintf(buf, sizeof(buf), "%s%u %s", sep, p->n[order[i]],
						cat_names[order[i]]));
		sep = ", ";
	}
	jw_raw(w, ")\n", 2);
	memset(p->n, 0, sizeof(p->n));
	p->total = 0;
}

/* a free entry, else the least recently seen one's, its fold line shown */
static struct view_proc *proc_slot(struct view *v, struct jw *w, uint64_t ts_ns)
{
	struct view_proc *old = &v->procs[0];

	for (size_t i = 0; i < VIEW_PROCS; i++) {
		if (!v->procs[i].pid)
			return &v->procs[i];
		if (v->procs[i].used < old->used)
			old = &v->procs[i];
	}
	fold_line(v, w, ts_ns, old);
	return old;
}

/* dst (len bytes) := s, cut; cheap when it holds s already */
static void set_str(char *dst, size_t len, const char *s)
{
	size_t n = strnlen(s, len - 1);

	if (strncmp(dst, s, len)) {
		memcpy(dst, s, n);
		dst[n] = '\0';
	}
}

/* ev's process entry, created (its depth from its parent's) when new */
static struct view_proc *proc_get(struct view *v, struct jw *w, const struct event *ev)
{
	struct view_proc *p = proc_find(v, ev->pid), *parent;

	if (!p) {
		p = proc_slot(v, w, ev->ts_ns);
		memset(p, 0, sizeof(*p));
		p->pid = ev->pid;
		v->hint[ev->pid % VIEW_HINTS] = (uint8_t)(p - v->procs);
		p->serial = ++v->serial;
		p->bound = VIEW_FOLD_FIRST;
		parent = ev->agent && ev->pid != ev->agent_pid ? proc_find(v, ev->ppid) : NULL;
		if (ev->agent && ev->pid != ev->agent_pid)
			p->depth = parent && parent->depth < VIEW_DEPTH_MAX ? parent->depth + 1 :
				   parent ? VIEW_DEPTH_MAX : 1;
	}
	p->used = ++v->tick;
	p->agent_pid = ev->agent_pid;
	p->tagged = ev->agent != NULL;
	set_str(p->agent, sizeof(p->agent), ev->agent ? ev->agent : "");
	if (ev->type != AM_EV_EXEC || !p->comm[0]) /* an exec's: after the fold line */
		set_str(p->comm, sizeof(p->comm), ev->comm);
	return p;
}

/* ---- lines ---- */

/* the line of ev as `run --verbose` shows it, indented under p */
static void full_line(struct view *v, struct jw *w, const struct event *ev, struct view_proc *p)
{
	line_start(v, w, ev->ts_ns, p);
	jw_raw(w, " ", 1);
	jw_raw(w, event_type_name(ev->type), strlen(event_type_name(ev->type)));
	output_text_details(w, ev);
	jw_raw(w, "\n", 1);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *k = p; n--; k++)
		h = (h ^ *k) * 1099511628211ull;
	return h;
}

/*
 * whether (p's program, key) is new; remembered when it is.  The hash is
 * seeded at random per view: names an agent chooses cannot be made to
 * collide with an earlier destination's to hide a line (a collision by
 * chance shows a line twice at worst, or hides one in 2^64)
 */
static bool first_time(struct view *v, const struct view_proc *p, const void *key, size_t n)
{
	uint64_t h = fnv(fnv(14695981039346656037ull, &v->seed, sizeof(v->seed)), &p->serial,
			 sizeof(p->serial));
	size_t i;

	h = fnv(h, key, n) | 1; /* never 0, the empty slot */
	i = (size_t)(h % VIEW_DESTS);
	if (v->dests[i] == h)
		return false;
	v->dests[i] = h;
	return true;
}

static void on_net(struct view *v, struct jw *w, const struct event *ev, struct view_proc *p)
{
	struct {
		uint8_t addr[16];
		uint16_t port, family;
		uint8_t proto, accept;
	} key;

	memset(&key, 0, sizeof(key));
	memcpy(key.addr, ev->net.daddr, sizeof(key.addr));
	key.port = ev->net.dport;
	key.family = ev->net.family;
	key.proto = ev->net.proto;
	key.accept = ev->type == AM_EV_ACCEPT;
	if (first_time(v, p, &key, sizeof(key)))
		full_line(v, w, ev, p);
}

/*
 * what the policy's globs make of c, the category view_classify gave ev's
 * open: a read a show glob names is shown, one a hide glob names is folded
 * by its path; keys and tokens and writes stay as they were (shown)
 */
static enum view_cat view_apply(const struct policy_view *pv, const struct event *ev,
				enum view_cat c)
{
	enum policy_view_verdict pvv;

	if (ev->file.write || !ev->file.path || (!pv->n_show && !pv->n_hide))
		return c;
	pvv = policy_view_match(pv, ev->file.path);
	if (pvv == POLICY_VIEW_SHOW)
		return VIEW_SHOW;
	if (pvv == POLICY_VIEW_HIDE && c == VIEW_SHOW &&
	    !sensitive(ev->file.path, fold_cat(ev->file.path)))
		return fold_cat(ev->file.path);
	return c;
}

static void on_open(struct view *v, struct jw *w, const struct event *ev, struct view_proc *p)
{
	const struct view_root *r = root_of(v, ev->agent_pid);
	enum view_cat c = view_classify(ev->file.path, ev->file.flags, ev->file.write, ev->file.ret,
					r ? r->cwd : NULL);

	c = view_apply(&v->globs, ev, c);
	if (c == VIEW_SHOW) {
		full_line(v, w, ev, p);
		return;
	}
	p->n[c]++;
	p->fold_ts = ev->ts_ns;
	if (!v->due || ev->ts_ns + VIEW_FOLD_IDLE_NS < v->due)
		v->due = ev->ts_ns + VIEW_FOLD_IDLE_NS;
	if (++p->total >= p->bound) {
		p->bound = p->bound <= UINT32_MAX / 4 ? p->bound * 4 : UINT32_MAX;
		fold_line(v, w, ev->ts_ns, p);
	}
}

/* "WHO llm TEXT" cut to VIEW_LLM_CUT bytes */
static void on_llm(struct view *v, struct jw *w, const struct event *ev, struct view_proc *p)
{
	char t[1024];
	size_t n = intent_llm_text(&ev->llm, t, sizeof(t));

	if (n > VIEW_LLM_CUT) {
		n = VIEW_LLM_CUT;
		while (n && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 character */
	}
	line_start(v, w, ev->ts_ns, p);
	jw_raw(w, " llm", 4);
	output_text_safe(w, t, n);
	if (n < strlen(t))
		jw_raw(w, " ...", 4);
	jw_raw(w, "\n", 1);
}

static void on_alert(struct view *v, struct jw *w, const struct event *ev)
{
	output_text_time(w, ev->ts_ns);
	output_text_host(w, v->label);
	jw_raw(w, "!! ", 3);
	if (ev->alert)
		output_text_alert(w, v->color, ev->alert);
	else
		jw_raw(w, "ALERT", 5);
	jw_raw(w, "\n", 1);
}

static void on_exit_ev(struct view *v, struct jw *w, const struct event *ev, struct view_proc *p)
{
	fold_line(v, w, ev->ts_ns, p);
	if (ev->exit.exit_code || ev->exit.signal)
		full_line(v, w, ev, p);
	p->pid = 0; /* gone: the entry is free */
}

void view_event(struct view *v, struct jw *w, const struct event *ev)
{
	struct view_proc *p;

	view_tick(v, w, ev->ts_ns);
	if (ev->type == AM_EV_ALERT) {
		on_alert(v, w, ev);
		return;
	}
	if (!ev->pid) { /* a drop: nobody's */
		struct view_proc none = { .bound = VIEW_FOLD_FIRST };

		snprintf(none.comm, sizeof(none.comm), "%s", ev->comm);
		full_line(v, w, ev, &none);
		return;
	}
	p = proc_get(v, w, ev);
	switch (ev->type) {
	case AM_EV_EXEC:
		if (p->execd)
			fold_line(v, w, ev->ts_ns, p); /* what the previous program read */
		p->execd = true;
		set_str(p->comm, sizeof(p->comm), ev->comm);
		p->serial = ++v->serial;
		/* the root's directory; until it is seen (a tail that came
		 * later), the first exec's of the agent */
		if (ev->agent && (ev->pid == ev->agent_pid || !root_of(v, ev->agent_pid)))
			root_set(v, ev);
		full_line(v, w, ev, p);
		break;
	case AM_EV_EXIT:
		on_exit_ev(v, w, ev, p);
		break;
	case AM_EV_OPEN:
		on_open(v, w, ev, p);
		break;
	case AM_EV_CONNECT: case AM_EV_SEND: case AM_EV_ACCEPT:
		on_net(v, w, ev, p);
		break;
	case AM_EV_DNS:
		if (ev->dns.query && first_time(v, p, ev->dns.query, strlen(ev->dns.query)))
			full_line(v, w, ev, p);
		break;
	case AM_EV_LLM:
		on_llm(v, w, ev, p);
		break;
	default: /* unlink, rename, chmod, http, syscall, drop, tag */
		full_line(v, w, ev, p);
	}
}

void view_tick(struct view *v, struct jw *w, uint64_t now_ns)
{
	if (!v->due || now_ns < v->due)
		return;
	v->due = 0;
	for (size_t i = 0; i < VIEW_PROCS; i++) {
		struct view_proc *p = &v->procs[i];

		if (!p->pid || !p->total)
			continue;
		if (now_ns >= p->fold_ts && now_ns - p->fold_ts >= VIEW_FOLD_IDLE_NS)
			fold_line(v, w, now_ns, p); /* (an event's time may be a bit behind) */
		else if (!v->due || p->fold_ts + VIEW_FOLD_IDLE_NS < v->due)
			v->due = p->fold_ts + VIEW_FOLD_IDLE_NS;
	}
}

void view_flush(struct view *v, struct jw *w, uint64_t ts_ns)
{
	for (size_t i = 0; i < VIEW_PROCS; i++)
		if (v->procs[i].pid)
			fold_line(v, w, ts_ns, &v->procs[i]);
}
