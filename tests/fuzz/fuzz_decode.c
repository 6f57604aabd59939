// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_decode.c - libFuzzer target: decode_record on arbitrary bytes, then
 * every consumer of a decoded event (JSON and text output, agent matching);
 * the record as a trace stores it (scrub_record) decodes whenever the
 * record did, to the same type.
 * clang -fsanitize=fuzzer,address -Iuser -Ibpf tests/fuzz/fuzz_decode.c \
 *   user/decode.c user/output.c user/json.c user/event.c user/agents.c \
 *   user/scrub.c user/redact.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "decode.h"
#include "output.h"
#include "scrub.h"

/* the scrubbed record decodes, to the same type */
static void check_scrub(const void *rec, size_t size, const struct event *ev)
{
	static struct scrub *s;
	struct event out;
	const char *why;
	const void *p;
	size_t n;

	if (!s && (!(s = malloc(sizeof(*s))) || scrub_init(s)))
		abort();
	p = scrub_record(s, rec, size, &n);
	if (ev && p && (decode_record(p, n, &out, &why) || out.type != ev->type))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agents *agents;
	static FILE *null;
	struct event ev;
	struct output *o;
	const char *why;
	void *copy;
	struct jw w;

	if (!agents)
		agents = agents_new_default();
	if (!null)
		null = fopen("/dev/null", "w");
	/* an exact-size heap copy so that ASan sees any overread */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (decode_record(copy, size, &ev, &why) == 0) {
		jw_init(&w);
		output_event_json(&w, &ev);
		jw_free(&w);
		o = output_new(null, OUTPUT_TEXT, true);
		if (o) {
			output_event(o, &ev);
			output_free(o);
		}
		if (ev.type == AM_EV_EXEC)
			agents_match_exec(agents, ev.exec.filename, ev.exec.argv,
					  ev.exec.argv_len, ev.exec.argc);
		check_scrub(copy, size, &ev);
	} else {
		check_scrub(copy, size, NULL);
	}
	free(copy);
	return 0;
}
