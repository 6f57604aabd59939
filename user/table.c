// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* table.c - bounded hash table with LRU eviction; see table.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define NIL UINT32_MAX

struct entry {
	uint32_t next;     /* chain in the bucket, or the free list */
	uint32_t used;     /* 0 free, else 1 */
	uint64_t stamp;    /* last use */
	unsigned char kv[]; /* key then value, each 8-aligned */
};

struct table {
	size_t key_size, val_size, esize, max, count;
	uint32_t nbuckets;  /* power of 2 */
	uint32_t *buckets;
	uint32_t free_head;
	uint64_t clock;
	table_release_fn release;
	void *release_arg;
	unsigned char *slab;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static struct entry *at(const struct table *t, uint32_t i)
{
	return (struct entry *)(t->slab + (size_t)i * t->esize);
}

static void *val_of(const struct table *t, struct entry *e)
{
	return e->kv + align8(t->key_size);
}

/* FNV-1a over the key */
static uint32_t bucket(const struct table *t, const void *key)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < t->key_size; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (t->nbuckets - 1);
}

struct table *table_new(size_t key_size, size_t val_size, size_t max,
			table_release_fn release, void *release_arg)
{
	struct table *t;

	if (!key_size || !max || max >= NIL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key_size = key_size;
	t->val_size = val_size;
	t->esize = sizeof(struct entry) + align8(key_size) + align8(val_size);
	t->max = max;
	t->release = release;
	t->release_arg = release_arg;
	for (t->nbuckets = 16; t->nbuckets < max; t->nbuckets <<= 1)
		;
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->slab = calloc(max, t->esize);
	if (!t->buckets || !t->slab) {
		table_free(t);
		return NULL;
	}
	memset(t->buckets, 0xff, t->nbuckets * sizeof(*t->buckets));
	for (uint32_t i = 0; i < max; i++)
		at(t, i)->next = i + 1 < max ? i + 1 : NIL;
	t->free_head = 0;
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	if (t->release && t->slab)
		for (uint32_t i = 0; i < t->max; i++)
			if (at(t, i)->used)
				t->release(val_of(t, at(t, i)), t->release_arg);
	free(t->buckets);
	free(t->slab);
	free(t);
}

/* the index of key's entry and the link that points at it */
static uint32_t find(const struct table *t, const void *key, uint32_t **link)
{
	uint32_t *l = &t->buckets[bucket(t, key)];

	while (*l != NIL && memcmp(at(t, *l)->kv, key, t->key_size))
		l = &at(t, *l)->next;
	if (link)
		*link = l;
	return *l;
}

void *table_get(struct table *t, const void *key)
{
	uint32_t i = find(t, key, NULL);

	if (i == NIL)
		return NULL;
	at(t, i)->stamp = ++t->clock;
	return val_of(t, at(t, i));
}

static void unlink_entry(struct table *t, uint32_t *link)
{
	uint32_t i = *link;
	struct entry *e = at(t, i);

	if (t->release)
		t->release(val_of(t, e), t->release_arg);
	*link = e->next;
	e->used = 0;
	e->next = t->free_head;
	t->free_head = i;
	t->count--;
}

void table_del(struct table *t, const void *key)
{
	uint32_t *link;

	if (find(t, key, &link) != NIL)
		unlink_entry(t, link);
}

struct cutoff {
	uint64_t stamp;
};

static bool older_than(const void *key, void *val, void *arg)
{
	const struct entry *e = (const struct entry *)((const unsigned char *)key -
						       offsetof(struct entry, kv));
	return e->stamp <= ((struct cutoff *)arg)->stamp;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* evict the least recently used eighth (at least one entry) */
static void evict(struct table *t)
{
	size_t want = t->max / 8 ? t->max / 8 : 1, n = 0;
	uint64_t *stamps = malloc(t->max * sizeof(*stamps));
	struct cutoff c = { .stamp = t->clock }; /* no memory: empty the table */

	if (stamps) {
		for (uint32_t i = 0; i < t->max; i++)
			if (at(t, i)->used)
				stamps[n++] = at(t, i)->stamp;
		qsort(stamps, n, sizeof(*stamps), cmp_u64);
		c.stamp = stamps[(want < n ? want : n) - 1];
		free(stamps);
	}
	table_each(t, older_than, &c);
}

void *table_put(struct table *t, const void *key, bool *created)
{
	uint32_t *link, i = find(t, key, &link);
	struct entry *e;

	if (created)
		*created = i == NIL;
	if (i != NIL) {
		at(t, i)->stamp = ++t->clock;
		return val_of(t, at(t, i));
	}
	if (t->free_head == NIL) {
		evict(t);
		find(t, key, &link);
	}
	i = t->free_head;
	e = at(t, i);
	t->free_head = e->next;
	memset(e->kv, 0, t->esize - sizeof(*e));
	memcpy(e->kv, key, t->key_size);
	e->used = 1;
	e->stamp = ++t->clock;
	e->next = NIL;
	*link = i;
	t->count++;
	return val_of(t, e);
}

size_t table_evict_lru(struct table *t)
{
	size_t n = t->count;

	if (n)
		evict(t);
	return n - t->count;
}

size_t table_count(const struct table *t)
{
	return t->count;
}

void table_each(struct table *t, bool (*cb)(const void *key, void *val, void *arg), void *arg)
{
	for (uint32_t b = 0; b < t->nbuckets; b++) {
		uint32_t *link = &t->buckets[b];

		while (*link != NIL) {
			struct entry *e = at(t, *link);

			if (cb(e->kv, val_of(t, e), arg))
				unlink_entry(t, link);
			else
				link = &e->next;
		}
	}
}
