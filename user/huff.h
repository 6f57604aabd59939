/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * huff.h - the HPACK Huffman code (RFC 7541 Appendix B): decoding one symbol
 * at a time from a bit accumulator, and writing masks that decode to a given
 * number of octets.  The code is canonical: it is built from the code
 * lengths alone, once.
 *
 * Library code: no printing, no allocation.
 */
#ifndef AGENTMON_HUFF_H
#define AGENTMON_HUFF_H

#include <stddef.h>
#include <stdint.h>

#define HUFF_EOS     256
#define HUFF_MIN_LEN 5
#define HUFF_MAX_LEN 30

/* the code of sym (0..256), right-aligned; its length in *len */
uint32_t huff_code(unsigned sym, unsigned *len);

/*
 * the symbol whose code is the top bits of the nbits low bits of acc: its
 * value (0..HUFF_EOS) with its length in *len; -1 when nbits are too few
 */
int huff_next(uint64_t acc, unsigned nbits, unsigned *len);

/* the octets p[0..n) decode to: how many, or -1 when they are not a valid string */
long huff_count(const uint8_t *p, size_t n);

/* the mask symbol whose code is len bits long (a length some symbol has), -1 if none */
int huff_mask_of_len(unsigned len);

/*
 * another symbol than sym whose code has sym's length and sym's first keep
 * bits (a letter or digit when one has, else printable, never a separator
 * when another will do), -1 if none: what a symbol cut by a
 * record boundary can become when its first bits are stored already
 */
int huff_other_of_prefix(unsigned sym, unsigned keep);

/*
 * out[0..n) rewritten as a valid string of exactly count mask symbols,
 * 'x' where the length allows; 0, or -1 when no such string exists
 */
int huff_fill(uint8_t *out, size_t n, size_t count);

#endif
