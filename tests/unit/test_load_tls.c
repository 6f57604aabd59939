// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_load_tls.c - the loader's in-memory TLS verdicts (load_tls.c): at
 * TLS_BIN_MAX kept, a new verdict takes the place of one whose file is
 * neither attached nor running, counted; attached and running ones stay;
 * with none to give way the new one is not kept.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load_int.h"

static struct tls_bin bin(ino_t ino, bool attached, bool running)
{
	struct tls_bin b;

	memset(&b, 0, sizeof(b));
	b.ino = ino;
	b.rc = attached ? 0 : -ENODATA;
	b.attached = attached;
	b.running = running;
	return b;
}

static bool kept(const struct loader *l, ino_t ino)
{
	for (size_t i = 0; i < l->n_bins; i++)
		if (l->bins[i].ino == ino)
			return true;
	return false;
}

static void test_full_table_gives_way(void **state)
{
	struct loader l;
	struct tls_bin b;

	(void)state;
	memset(&l, 0, sizeof(l));
	b = bin(1, true, true); /* the agent's hooked binary */
	load_tls_cache_bin(&l, &b);
	b = bin(2, false, true); /* one that runs */
	load_tls_cache_bin(&l, &b);
	for (ino_t i = 3; i <= TLS_BIN_MAX; i++) { /* empty objects fill the rest */
		b = bin(i, false, false);
		load_tls_cache_bin(&l, &b);
	}
	assert_int_equal(l.n_bins, TLS_BIN_MAX);
	assert_int_equal(l.bins_evicted, 0);
	for (ino_t i = TLS_BIN_MAX + 1; i <= 3 * TLS_BIN_MAX; i++) {
		b = bin(i, false, false);
		load_tls_cache_bin(&l, &b);
		assert_true(kept(&l, i)); /* the newest is always kept */
	}
	assert_int_equal(l.n_bins, TLS_BIN_MAX);
	assert_int_equal(l.bins_evicted, 2 * TLS_BIN_MAX);
	assert_true(kept(&l, 1)); /* attached: stays */
	assert_true(kept(&l, 2)); /* running: stays */
	/* every entry attached: a new one is not kept, nothing evicted */
	for (size_t i = 0; i < l.n_bins; i++)
		l.bins[i].attached = true;
	b = bin(9 * TLS_BIN_MAX, false, false);
	load_tls_cache_bin(&l, &b);
	assert_false(kept(&l, 9 * TLS_BIN_MAX));
	assert_int_equal(l.bins_evicted, 2 * TLS_BIN_MAX);
	free(l.bins);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_table_gives_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
