/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * json.h - a small streaming JSON writer into a growable buffer, for the
 * event hot path.  Strings are escaped for any bytes: quotes, backslash,
 * control characters as \uXXXX, invalid UTF-8 replaced by U+FFFD.
 * Allocation failure is sticky: jw->oom is set and later calls do nothing.
 */
#ifndef AGENTMON_JSON_H
#define AGENTMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
	char *buf;
	size_t len, cap;
	bool comma;     /* a value was written at this nesting level */
	bool oom;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);            /* empty, keep the allocation */
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);             /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* append raw bytes (already valid JSON) */
void jw_raw(struct jw *w, const char *s, size_t n);
/* append raw formatted text, 511 bytes at most (cut beyond) */
void jw_printf(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
