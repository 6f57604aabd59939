// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* huff.c - the HPACK Huffman code, see huff.h. */
#include <stdbool.h>
#include <string.h>

#include "huff.h"

#define SYMS (HUFF_EOS + 1)

/* the code length of each symbol, RFC 7541 Appendix B (the codes are canonical) */
static const uint8_t lens[SYMS] = {
	13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, /*   0 */
	28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, /*  16 */
	6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,  /*  32 */
	5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10, /*  48 */
	13, 6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  /*  64 */
	7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8,  13, 19, 13, 14, 6,  /*  80 */
	15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  /*  96 */
	6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7,  15, 11, 14, 13, 28, /* 112 */
	20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, /* 128 */
	24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, /* 144 */
	22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, /* 160 */
	21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, /* 176 */
	26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, /* 192 */
	19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, /* 208 */
	20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, /* 224 */
	26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, /* 240 */
	30,                                                             /* EOS */
};

static struct {
	bool built;
	uint32_t code[SYMS];
	uint32_t first[HUFF_MAX_LEN + 1];  /* the first code of each length */
	uint16_t count[HUFF_MAX_LEN + 1];  /* symbols of each length */
	uint16_t offset[HUFF_MAX_LEN + 1]; /* where they start in sorted */
	uint16_t sorted[SYMS];             /* symbols by (length, value) */
	int16_t mask[HUFF_MAX_LEN + 1];    /* the mask symbol of each length */
} t;

/*
 * how well sym masks (lower is better): a letter or digit, other printable
 * ASCII that no URL or header syntax gives a meaning, an octet over 0x7f,
 * the rest (controls, separators)
 */
static unsigned mask_rank(unsigned sym)
{
	if ((sym >= 'a' && sym <= 'z') || (sym >= 'A' && sym <= 'Z') || (sym >= '0' && sym <= '9'))
		return 0;
	if (sym > 0x20 && sym < 0x7f && !strchr("#&;=?%/\\\",+ :@[]", (int)sym))
		return 1;
	return sym >= 0x80 && sym < HUFF_EOS ? 2 : 3;
}

/* a symbol of each length that masks: 'x', 'X', '-', '0' first, else the best ranked */
static void build_masks(void)
{
	static const char pref[] = "xX-0";

	for (unsigned l = 0; l <= HUFF_MAX_LEN; l++) {
		t.mask[l] = -1;
		for (unsigned i = 0; i < t.count[l]; i++) {
			unsigned s = t.sorted[t.offset[l] + i];

			if (s != HUFF_EOS && (t.mask[l] < 0 || mask_rank(s) < mask_rank((unsigned)t.mask[l])))
				t.mask[l] = (int16_t)s;
		}
	}
	for (const char *c = pref; *c; c++)
		t.mask[lens[(uint8_t)*c]] = (uint8_t)*c;
}

/* canonical codes: by length, then by value, each the last one plus 1 */
static void build(void)
{
	uint32_t code = 0;
	unsigned n = 0, prev = HUFF_MIN_LEN;

	for (unsigned l = HUFF_MIN_LEN; l <= HUFF_MAX_LEN; l++) {
		t.offset[l] = (uint16_t)n;
		for (unsigned s = 0; s < SYMS; s++) {
			if (lens[s] != l)
				continue;
			code <<= l - prev;
			prev = l;
			if (!t.count[l]++)
				t.first[l] = code;
			t.code[s] = code++;
			t.sorted[n++] = (uint16_t)s;
		}
	}
	build_masks();
	t.built = true;
}

uint32_t huff_code(unsigned sym, unsigned *len)
{
	if (!t.built)
		build();
	*len = lens[sym];
	return t.code[sym];
}

int huff_next(uint64_t acc, unsigned nbits, unsigned *len)
{
	if (!t.built)
		build();
	for (unsigned l = HUFF_MIN_LEN; l <= HUFF_MAX_LEN && l <= nbits; l++) {
		uint32_t code = (uint32_t)(acc >> (nbits - l)) & ((1u << l) - 1);

		if (t.count[l] && code - t.first[l] < t.count[l]) {
			*len = l;
			return t.sorted[t.offset[l] + code - t.first[l]];
		}
	}
	return -1;
}

long huff_count(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	unsigned nbits = 0, len;
	long count = 0;
	int sym;

	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		nbits += 8;
		while ((sym = huff_next(acc, nbits, &len)) >= 0) {
			if (sym == HUFF_EOS)
				return -1;
			nbits -= len;
			count++;
		}
		if (nbits >= HUFF_MAX_LEN)
			return -1;
		acc &= (1ull << nbits) - 1;
	}
	/* padding: fewer than 8 bits, all ones (the start of EOS) */
	return nbits < 8 && acc == (1ull << nbits) - 1 ? count : -1;
}

int huff_mask_of_len(unsigned len)
{
	if (!t.built)
		build();
	return len <= HUFF_MAX_LEN ? t.mask[len] : -1;
}

int huff_other_of_prefix(unsigned sym, unsigned keep)
{
	unsigned len = sym < SYMS ? lens[sym] : 0, drop;
	int best = -1;

	if (!t.built)
		build();
	if (!len || keep >= len)
		return -1;
	drop = len - keep;
	for (unsigned i = 0; i < t.count[len]; i++) {
		unsigned s = t.sorted[t.offset[len] + i];

		if (s == sym || s == HUFF_EOS || t.code[s] >> drop != t.code[sym] >> drop)
			continue;
		if (best < 0 || mask_rank(s) < mask_rank((unsigned)best))
			best = (int)s;
	}
	return best;
}

/* the longest length with a mask symbol, at most max (at least 8) */
static unsigned longest_upto(long max)
{
	unsigned l = max > HUFF_MAX_LEN ? HUFF_MAX_LEN : (unsigned)max;

	while (l > 8 && huff_mask_of_len(l) < 0)
		l--;
	return l;
}

struct bits {
	uint8_t *out;
	size_t pos;
	uint64_t acc;
	unsigned n;
};

static void put(struct bits *b, uint32_t code, unsigned len)
{
	b->acc = b->acc << len | code;
	b->n += len;
	while (b->n >= 8) {
		b->n -= 8;
		b->out[b->pos++] = (uint8_t)(b->acc >> b->n);
	}
	b->acc &= (1ull << b->n) - 1;
}

int huff_fill(uint8_t *out, size_t n, size_t count)
{
	/* the bits may end anywhere in the last octet: [8n - 7, 8n] */
	long lo = (long)(8 * n) - 7 - 7 * (long)count, hi = (long)(8 * n) - 7 * (long)count;
	struct bits b = { .out = out };

	if (n > ((size_t)1 << 20) || count > 8 * n / HUFF_MIN_LEN ||
	    (n && count * HUFF_MAX_LEN + 7 < 8 * n) || (!n && count))
		return -1;
	for (size_t i = 0; i < count; i++) {
		unsigned l = 7, len;

		if (lo > 0) /* longer codes first, to reach the window */
			l = longest_upto(7 + hi);
		else if (hi < 0) /* shorter ones, to get below its top */
			l = hi <= -2 ? 5 : 6;
		lo -= (long)l - 7;
		hi -= (long)l - 7;
		put(&b, huff_code((unsigned)huff_mask_of_len(l), &len), l);
	}
	if (lo > 0 || hi < 0)
		return -1;
	if (b.n)
		put(&b, (1u << (8 - b.n)) - 1, 8 - b.n); /* EOS's first bits */
	return b.pos == n ? 0 : -1;
}
