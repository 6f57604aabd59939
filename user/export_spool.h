/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export_spool.h - the export's write-ahead spool: every message is
 * appended (batched: one write per batch) to a segment file before it is
 * published, and a segment goes once every message in it was acked.  What
 * a SIGKILL leaves is sent by the next run from where the last acked prefix
 * ended (the "acked" file, rewritten at most once per export_spool_sync).
 *
 * Directory (0700): seg-<16 hex>.log (0600) and "acked" ("<seg hex> <offset
 * hex>\n").  A record: "AMX1", u32 payload length, u32 CRC-32 of the
 * payload (little endian), then the payload: u8 id length, u16 subject
 * length, the id (letters, digits, '-', '_'), the subject (no space nor
 * control byte: it goes on the NATS protocol line), the body.  A run never appends to a segment
 * an earlier run left (its tail may be torn): it starts a new one.
 *
 * Damage (a bad CRC, a bad length, a record cut short): the reader skips to
 * the next place where a whole record starts; each damaged stretch counts 1
 * in damaged.  Loss only at the bound: export_spool_append refuses what
 * would take the spool past max_bytes.
 *
 * One thread at a time (the export worker).
 */
#ifndef AGENTMON_EXPORT_SPOOL_H
#define AGENTMON_EXPORT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define XSPOOL_ID_MAX 64
#define XSPOOL_SUBJECT_MAX 512
#define XSPOOL_BODY_MAX (1u << 20)
#define XSPOOL_HDR 12

/* one message; its strings are not NUL-terminated */
struct xspool_rec {
	const char *id;       size_t id_len;
	const char *subject;  size_t subject_len;
	const char *body;     size_t body_len;
};

/* where a record ends: acked up to here means this record and those before it */
struct xspool_pos {
	uint64_t seg;
	uint64_t off;
};

struct xspool_stats {
	uint64_t bytes;      /* on disk */
	uint64_t segments;
	uint64_t pending;    /* records appended or found, not yet acked */
	uint64_t damaged;    /* damaged stretches skipped (at open and later) */
};

struct export_spool;

/*
 * export_spool_open - dir (created 0700 with parents), segments before the
 * acked one removed, the others scanned (pending and damaged counted), a
 * new segment started.  0 and *out, or -errno with err set; -EPERM for a
 * dir another (non-root) user owns or group or others may write in, and
 * -ENOTDIR for a symbolic link (checked through the opened directory).
 */
int export_spool_open(const char *dir, uint64_t max_bytes, struct export_spool **out, char *err,
		      size_t errlen);
/* sync, then free */
void export_spool_free(struct export_spool *s);

/*
 * export_spool_append - n records, in order, in one write: returns how many
 * were appended (the first k; the rest would pass max_bytes or are too
 * large), or -errno when the write failed (nothing appended).
 */
int export_spool_append(struct export_spool *s, const struct xspool_rec *recs, size_t n);
/*
 * export_spool_next - the next record not yet handed out, from the oldest
 * segment on: 1 with *r (valid until the next call) and *end, 0 when there
 * is none, -errno on a read error.
 */
int export_spool_next(struct export_spool *s, struct xspool_rec *r, struct xspool_pos *end);
/* hand out again from the acked position (what was in flight is resent) */
void export_spool_rewind(struct export_spool *s);
/* everything up to end was acked: whole segments before it are removed */
void export_spool_acked(struct export_spool *s, struct xspool_pos end, uint64_t records);
/* data to disk (fdatasync) and the acked file rewritten if it moved; -errno */
int export_spool_sync(struct export_spool *s);
void export_spool_stats(const struct export_spool *s, struct xspool_stats *st);

/*
 * xspool_parse - one record at buf (len bytes available): 1 with *r and
 * *used, 0 when more bytes are needed (a whole header says how many: *used),
 * -EBADMSG when no record starts here.  For the reader and the fuzzer.
 */
int xspool_parse(const uint8_t *buf, size_t len, struct xspool_rec *r, size_t *used);
/* a record's bytes into out (XSPOOL_HDR + payload bytes); its size, 0 if too large */
size_t xspool_encode(const struct xspool_rec *r, uint8_t *out, size_t cap);

#endif
