// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tagstore.c - tags across collector runs: names, adoption, sweep; see tagstore.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tagstore.h"

void tagstore_init(struct tagstore *s, struct loader *l, struct tagger *t)
{
	memset(s, 0, sizeof(*s));
	s->loader = l;
	s->tagger = t;
}

void tagstore_release(struct tagstore *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int collect(void *arg, uint32_t tgid, const struct am_tag *tag)
{
	struct tagstore *s = arg;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct tag_entry *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct tag_entry){ .tgid = tgid, .agent_pid = tag->agent_pid,
		.agent_id = tag->agent_id, .start_ns = tag->start_ns };
	return 0;
}

/* every tag the kernel holds now into s->v; 0 or -ENOMEM (then cut) */
static int walk(struct tagstore *s)
{
	size_t seen;

	s->n = 0;
	seen = loader_tags_each(s->loader, collect, s);
	return seen > s->n ? -ENOMEM : 0;
}

int tagstore_sweep(struct tagstore *s)
{
	int ret = walk(s);

	return ret ? ret : tagger_sweep(s->tagger, s->v, s->n);
}

static int save_name(void *arg, uint32_t id, const char *name)
{
	return loader_agent_name_set(arg, id, name);
}

int tagstore_save_names(struct tagstore *s, const struct agents *a)
{
	return agents_each_new(a, &s->names_saved, &s->renames_saved, save_name, s->loader);
}

/* this run's id of the agent an earlier run called old */
static uint32_t id_now(struct tagstore *s, struct agents *a, uint32_t old)
{
	char name[AM_NAME_MAX];

	if (loader_agent_name(s->loader, old, name))
		return agents_intern(a, TAGSTORE_UNKNOWN);
	return agents_intern(a, name);
}

static bool find_tag(void *arg, uint32_t tgid, struct tag_entry *out)
{
	struct tagstore *s = arg;
	struct am_tag t;

	if (loader_lookup(s->loader, tgid, &t))
		return false;
	*out = (struct tag_entry){ .tgid = tgid, .agent_pid = t.agent_pid,
		.agent_id = t.agent_id, .start_ns = t.start_ns };
	return true;
}

/* one live adopted tag: its id for this run, and the process cache */
static void adopt_one(struct tagstore *s, struct agents *a, struct tag_entry *e)
{
	struct tagger *t = s->tagger;
	uint32_t id = id_now(s, a, e->agent_id);
	struct proc_info *pi;

	if (id != e->agent_id && id != AM_AGENT_NONE) {
		struct am_tag tag = { .agent_pid = e->agent_pid, .agent_id = id,
				      .start_ns = e->start_ns };

		if (!loader_tag(s->loader, e->tgid, &tag))
			e->agent_id = id;
	}
	pi = proc_cache_upsert(t->cache, e->tgid);
	if (pi) {
		pi->agent_pid = e->agent_pid;
		pi->agent_id = e->agent_id;
	}
	proc_cache_load(t->cache, t->procfs, e->tgid);
}

int tagstore_adopt(struct tagstore *s, struct agents *a)
{
	int ret = walk(s), live = 0;

	if (ret)
		return ret;
	tagger_sweep(s->tagger, s->v, s->n);
	for (size_t i = 0; i < s->n; i++) {
		if (tagger_stale(s->tagger->procfs, &s->v[i]))
			continue; /* swept */
		adopt_one(s, a, &s->v[i]);
		live++;
	}
	ret = tagger_adopt_children(s->tagger, find_tag, s);
	return ret < 0 ? ret : live;
}

void tagstore_pin_dir(const char *pin_dir, const char *socket, char *out, size_t len)
{
	size_t n;

	if (pin_dir || !strcmp(socket, AM_DEFAULT_SOCKET)) {
		snprintf(out, len, "%s", pin_dir ? pin_dir : TAGSTORE_PIN_ROOT);
		return;
	}
	n = (size_t)snprintf(out, len, TAGSTORE_PIN_ROOT "-");
	for (socket += *socket == '/'; *socket && n < len - 1 && n < 240; socket++)
		out[n++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789._-", *socket) ? *socket : '_';
	out[n] = '\0';
}
