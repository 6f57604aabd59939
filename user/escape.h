/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * escape.h - agent-chosen bytes made harmless for the places they are
 * shown: log lines (stderr, the journal), text output (a terminal), Slack
 * messages.  The tagged agent chooses exe paths, comm, file names and host
 * names: a newline in one must not start a forged journal line, an escape
 * sequence must not drive a terminal, "<!channel>" must not page a channel.
 *
 * Shown as \xNN: C0 controls (newline included), DEL, C1 controls (U+0080-
 * U+009F, two bytes in UTF-8) and every byte that is not part of valid
 * UTF-8 (overlong forms, surrogates, beyond U+10FFFF, cut sequences).
 * Other UTF-8 passes unchanged.  Pure functions: no allocation, no I/O.
 */
#ifndef AGENTMON_ESCAPE_H
#define AGENTMON_ESCAPE_H

#include <stddef.h>

/*
 * escape_span - the length of the leading run of s (n bytes) that is shown
 * as it is; *bad is then the number of bytes after it to show as \xNN
 * (1, or 2 for a C1 control; 0 when the run reaches n).
 */
size_t escape_span(const char *s, size_t n, size_t *bad);

/*
 * escape_text - s (n bytes) into dst (len bytes, NUL-terminated) with the
 * bytes above as \xNN; cut at a character boundary when dst is too small.
 * Returns the length written.
 */
size_t escape_text(char *dst, size_t len, const char *s, size_t n);

/*
 * escape_slack - s for the text of a Slack message: &, <, > as &amp; &lt;
 * &gt; (Slack's own control sequences: <!channel>, <@U123>, <url|label>),
 * then as escape_text.  Returns the length written into dst (len bytes,
 * NUL-terminated, cut at a boundary).
 */
size_t escape_slack(char *dst, size_t len, const char *s);

#endif
