// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_pctx.c - the policy parser's node helpers: scalars, lists, mappings,
 * numbers, durations and paths, each error naming the file, line and where. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pctx.h"

static yaml_document_t doc;
static char err[256];
static struct pctx C = { .name = "p.yaml", .doc = &doc, .err = err, .errlen = sizeof(err) };

/* the document of text; its root */
static yaml_node_t *load(const char *text)
{
	yaml_parser_t ps;

	assert_true(yaml_parser_initialize(&ps));
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, strlen(text));
	assert_true(yaml_parser_load(&ps, &doc));
	yaml_parser_delete(&ps);
	err[0] = '\0';
	return yaml_document_get_root_node(&doc);
}

/* the value of key in mapping m */
static yaml_node_t *at(yaml_node_t *m, const char *key)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (!strcmp((const char *)pctx_node(&C, p->key)->data.scalar.value, key))
			return pctx_node(&C, p->value);
	fail_msg("no key %s", key);
	return NULL;
}

static int count_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	const char *s;

	(*(int *)arg)++;
	return pctx_scalar(c, n, where, &s);
}

static void test_scalars_and_lists(void **state)
{
	yaml_node_t *r = load("a: x\nb: ~\nc: [1, 2, 3]\nd: one\ne: [1, [2]]\n");
	const char *s;
	char *dup = NULL;
	int n = 0;

	assert_int_equal(pctx_scalar(&C, at(r, "a"), "a", &s), 0);
	assert_string_equal(s, "x");
	assert_true(pctx_is_null(at(r, "b")));
	assert_int_equal(pctx_scalar(&C, at(r, "b"), "b", &s), -EINVAL);
	assert_string_equal(err, "p.yaml:2: b: expected a string");
	assert_int_equal(pctx_dup_scalar(&C, at(r, "a"), "a", &dup), 0);
	assert_string_equal(dup, "x");
	free(dup);
	assert_int_equal(pctx_each_item(&C, at(r, "c"), "c", false, count_item, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pctx_each_item(&C, at(r, "d"), "d", true, count_item, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(pctx_each_item(&C, at(r, "d"), "d", false, count_item, &n), -EINVAL);
	assert_string_equal(err, "p.yaml:4: d: expected a list");
	assert_int_equal(pctx_each_item(&C, at(r, "b"), "b", false, count_item, &n), 0);
	assert_int_equal(pctx_each_item(&C, at(r, "e"), "e", false, count_item, &n), -EINVAL);
	assert_string_equal(err, "p.yaml:5: e[1]: expected a string");
	yaml_document_delete(&doc);
}

static int key_x(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	uint64_t v;

	return pctx_number(c, n, where, 1, 100, false, &v) ?: ((*(uint64_t *)arg = v), 0);
}

static void test_keys_numbers(void **state)
{
	static const struct key_fn keys[] = { { "x", key_x }, { NULL, NULL } };
	yaml_node_t *r = load("ok: {x: 7}\nunknown: {y: 1}\ndup: {x: 1, x: 2}\nbig: {x: 101}\n"
			      "size: 4k\nttl: 7d\nshort: 0s\npath: /var/x\nrel: var/x\n");
	uint64_t v = 0;
	char *path = NULL;

	assert_int_equal(pctx_each_key(&C, at(r, "ok"), "ok", keys, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(pctx_each_key(&C, at(r, "unknown"), "unknown", keys, &v), -EINVAL);
	assert_string_equal(err, "p.yaml:2: unknown: unknown key 'y'");
	assert_int_equal(pctx_each_key(&C, at(r, "dup"), "dup", keys, &v), -EINVAL);
	assert_string_equal(err, "p.yaml:3: dup: duplicate key 'x'");
	assert_int_equal(pctx_each_key(&C, at(r, "big"), "big", keys, &v), -EINVAL);
	assert_string_equal(err, "p.yaml:4: big.x: '101' is not a number in 1-100");
	assert_int_equal(pctx_number(&C, at(r, "size"), "size", 1, 1 << 20, true, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(pctx_duration(&C, at(r, "ttl"), "ttl", &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(pctx_duration(&C, at(r, "short"), "short", &v), -EINVAL);
	assert_int_equal(pctx_abs_path(&C, at(r, "path"), "path", &path), 0);
	assert_string_equal(path, "/var/x");
	assert_int_equal(pctx_abs_path(&C, at(r, "rel"), "rel", &path), -EINVAL);
	assert_string_equal(err, "p.yaml:9: rel: 'var/x' is not an absolute path");
	free(path);
	yaml_document_delete(&doc);
}

static void test_grow(void **state)
{
	char **v = NULL;
	size_t n = 0;

	assert_int_equal(pctx_add_str(&v, &n, "a"), 0);
	assert_int_equal(pctx_add_str(&v, &n, "b"), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1], "b");
	free(v[0]);
	free(v[1]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_and_lists),
		cmocka_unit_test(test_keys_numbers),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
