// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_tls_cache.c - libFuzzer target: the TLS cache file read back
 * (tls_cache_load): whatever the bytes, a file is refused whole or gives
 * entries within the bounds (offsets inside their file, verdicts in range,
 * at most TLS_CACHE_NEG_MAX without offsets), and those entries written and
 * read again are the same.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls_cache.h"

static char dir[48], path[64];

/* the directory and its file removed at exit */
static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* the cache file's path in a private directory made once */
static const char *cache_path(void)
{
	if (!path[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_tls_cache.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/cache", dir);
		atexit(cleanup);
	}
	return path;
}

/* every entry of c within the bounds the format promises */
static void check(const struct tls_cache *c)
{
	size_t neg = 0;

	if (c->n > TLS_CACHE_MAX || c->n_neg > TLS_CACHE_NEG_MAX)
		abort();
	for (size_t i = 0; i < c->n; i++) {
		const struct tls_cache_ent *e = &c->ent[i];

		if (e->verdict >= TLS_CACHE_VERDICTS)
			abort();
		neg += e->verdict != TLS_CACHE_LOCATED;
		for (int k = 0; k < TLS_CACHE_FNS; k++)
			if (e->off[k] < -1 || (e->off[k] >= 0 && (uint64_t)e->off[k] >= e->id.size))
				abort();
	}
	if (neg != c->n_neg)
		abort();
}

/* x and y hold the same entries (field by field: padding is not compared) */
static bool same(const struct tls_cache *x, const struct tls_cache *y)
{
	if (x->n != y->n || x->n_neg != y->n_neg)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		const struct tls_cache_ent *e = &x->ent[i], *g = &y->ent[i];

		if (e->id.dev != g->id.dev || e->id.ino != g->id.ino || e->id.size != g->id.size ||
		    e->id.mtime != g->id.mtime || e->id.mtime_ns != g->id.mtime_ns ||
		    e->id.ctime != g->id.ctime || e->id.ctime_ns != g->id.ctime_ns ||
		    e->id.object != g->id.object || e->used != g->used || e->verdict != g->verdict ||
		    memcmp(e->off, g->off, sizeof(e->off)))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_cache *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	FILE *f = fopen(cache_path(), "w");

	if (!a || !b || !f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	chmod(path, 0600);
	tls_cache_init(a, path);
	if (!tls_cache_load(a)) {
		check(a);
		if (tls_cache_save(a))
			abort();
		tls_cache_init(b, path);
		if (tls_cache_load(b) || !same(a, b))
			abort();
	}
	free(a);
	free(b);
	return 0;
}
