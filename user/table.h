/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * table.h - a bounded hash table of fixed-size keys and values, for the
 * collector's caches (DNS names, connections).  Entries live in one slab;
 * when it is full the least recently used eighth is evicted, so memory is
 * bounded whatever the input.  Values are zeroed when created.
 */
#ifndef AGENTMON_TABLE_H
#define AGENTMON_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct table;

/* called with arg on a value about to be evicted or deleted (may be NULL) */
typedef void (*table_release_fn)(void *val, void *arg);

/* max entries; NULL on ENOMEM or bad sizes */
struct table *table_new(size_t key_size, size_t val_size, size_t max,
			table_release_fn release, void *release_arg);
void table_free(struct table *t);

/* the value for key (and marks it used), or NULL */
void *table_get(struct table *t, const void *key);
/* the value for key, created zeroed when missing (*created says which) */
void *table_put(struct table *t, const void *key, bool *created);
void table_del(struct table *t, const void *key);
size_t table_count(const struct table *t);
/* evict the least recently used eighth (at least one entry); how many */
size_t table_evict_lru(struct table *t);
/* visit every entry; cb returns true to delete it */
void table_each(struct table *t, bool (*cb)(const void *key, void *val, void *arg), void *arg);

#endif
