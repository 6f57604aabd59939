// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_fleet.c - libFuzzer target: a fleet message as `tail --nats` gets it
 * from the network.  The input is the body; its sender must be host "h".
 * A decoded message is rendered as the fleet tail renders it (compact view,
 * verbose text, JSON): the text must be whole lines without a control byte
 * but the newline, and the JSON written must decode again to an event that
 * writes the same JSON (what is shown is what was sent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "output.h"
#include "view.h"

static struct fleet_msg m, again;

/* abort unless w holds whole lines with no control byte but '\n' */
static void check_text(const struct jw *w)
{
	for (size_t i = 0; i < w->len; i++) {
		unsigned char c = (unsigned char)w->buf[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			abort();
	}
	if (w->oom || (w->len && w->buf[w->len - 1] != '\n'))
		abort();
}

/* the JSON of m decodes and writes the same again */
static void check_json(const struct jw *j)
{
	struct jw k;

	if (j->oom || !j->len || fleet_msg_parse(&again, "h", j->buf, j->len - 1) != FLEET_OK)
		abort();
	jw_init(&k);
	output_line(&k, &again.ev, OUTPUT_JSON, false);
	if (k.len != j->len || memcmp(k.buf, j->buf, k.len))
		abort();
	jw_free(&k);
	fleet_msg_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view *v;
	struct jw w, j;

	if (fleet_msg_parse(&m, "h", data, size) != FLEET_OK)
		return 0;
	jw_init(&w);
	jw_init(&j);
	if ((v = view_new(false)) && !view_label(v, m.ev.fleet_host)) {
		view_event(v, &w, &m.ev);
		view_flush(v, &w, m.ev.ts_ns);
	}
	view_free(v);
	output_line(&w, &m.ev, OUTPUT_TEXT, false);
	check_text(&w);
	output_line(&j, &m.ev, OUTPUT_JSON, false);
	fleet_msg_clear(&m);
	check_json(&j);
	jw_free(&w);
	jw_free(&j);
	return 0;
}
