/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scrub_h2.h - secret header values masked in the HTTP/2 bytes one side of
 * a connection wrote (or read), in place, before a trace stores them.
 *
 * One struct scrub_h2 per stream (connection and direction), fed each
 * record's captured bytes and its real byte count.  Frames are followed
 * across records; the header block fragments of HEADERS, PUSH_PROMISE and
 * CONTINUATION frames are parsed representation by representation (RFC
 * 7541), with the names and sizes of the dynamic table's entries kept, so
 * that a name given by index is known.  The value of a field whose name is
 * secret (redact_header_is_secret) is rewritten so that it decodes to the
 * same number of octets: a raw string becomes 'x's; a Huffman-coded one
 * that lies whole in one record becomes mask symbols ('x' where the octet
 * count allows) of the same count in the same octets; one split between
 * records has each symbol replaced by a mask symbol of the same code length,
 * and a symbol cut by the split itself (its first bits stored already) by
 * another symbol of its length whose code starts with the same bits (kept,
 * and counted, only when there is none).  So a replay decodes the same
 * fields, with the same table sizes, as the live run did.
 *
 * A :path value keeps its path; the values of its secret query parameters
 * (redact_param_is_secret, the list redact.c uses for output) are masked
 * the same way, octet by octet or symbol by symbol.
 *
 * What is not known is taken as secret: a name given by an index whose
 * entry was lost (bytes not captured inside a block, lost framing, a bound)
 * has its value masked.  Lost framing is found again at a record that
 * starts with a plausible frame header; a record before that one is masked
 * whole (its frames are not known, so neither are its header blocks).
 *
 * Library code: no printing.
 */
#ifndef AGENTMON_SCRUB_H2_H
#define AGENTMON_SCRUB_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRUB_H2_TABLE_MAX 65536       /* the largest dynamic table followed */
#define SCRUB_H2_HELD      (8u << 20)  /* table bytes of every stream at once */

struct scrub_h2;

/*
 * a stream's state; client: what the client wrote, which starts with the
 * connection preface when its first octet is 'P' (else it joined late), as
 * http2.c reads it; else frames (what it read).  Where http2.c would lose
 * the framing (a bad preface, an implausible frame header, a header not
 * captured) the scrubber loses it too and masks every octet until a record
 * starts with a plausible frame header again.  held: the bytes all
 * streams' tables hold, shared (bounded by SCRUB_H2_HELD).  NULL: no memory
 */
struct scrub_h2 *scrub_h2_new(bool client, size_t *held);
/*
 * the state of a stream whose start was not seen (its preface missed,
 * recording begun mid-connection, or its state forgotten): framing lost
 * (found at a record that starts with a plausible frame header), table
 * unknown (every name given by an index it does not know is secret)
 */
struct scrub_h2 *scrub_h2_resume(size_t *held);
void scrub_h2_free(struct scrub_h2 *h);

/* p[0..n) is a chain of plausible HTTP/2 frame headers (the last may be cut) */
bool scrub_h2_frames_plausible(const uint8_t *p, size_t n);

/* p[0..cap) of a record that was ret bytes long, masked in place; bytes masked */
size_t scrub_h2_feed(struct scrub_h2 *h, uint8_t *p, size_t cap, uint64_t ret);

/* times the stream's dynamic table was lost (what it named is masked since) */
uint64_t scrub_h2_lost(const struct scrub_h2 *h);
/* secret Huffman symbols cut by a record boundary that could not be masked */
uint64_t scrub_h2_cut_kept(const struct scrub_h2 *h);

#endif
