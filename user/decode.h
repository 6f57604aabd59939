/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * decode.h - turn one raw record from the ring buffer (or a trace file) into
 * a struct event.  The bytes are not trusted: every length is checked
 * against the record size, every string must end in its NUL.
 */
#ifndef AGENTMON_DECODE_H
#define AGENTMON_DECODE_H

#include <stddef.h>

#include "event.h"

/*
 * decode_record - validate rec (len bytes) and fill ev; strings in ev point
 * into rec.  Fields the kernel does not set (agent, exe, host) are NULL.
 * Returns 0, or -EINVAL with *why set to a static reason.
 */
int decode_record(const void *rec, size_t len, struct event *ev, const char **why);

#endif
