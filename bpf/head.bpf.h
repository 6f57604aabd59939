/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * head.bpf.h - does a captured write start a request head?  A write that
 * does is captured further than data_cap (tls.bpf.c: up to AM_HEAD_MAX bytes
 * of the same buffer, in records of AM_DATA_CAP_MAX), so that a long request
 * line or a large HTTP/2 header block (a 3000-byte :path before :method,
 * HEADERS + CONTINUATION in one SSL_write) reaches the collector whole.
 * Bodies and other bytes keep the first data_cap bytes only: the cost stays
 * on the few writes that carry heads.
 *
 * The test reads only bytes already captured (p, n <= AM_DATA_CAP_MAX), with
 * every index masked for the verifier.  A false positive costs capture, never
 * correctness: the collector parses what it gets either way.
 */
#ifndef AGENTMON_HEAD_BPF_H
#define AGENTMON_HEAD_BPF_H

#define AM_HEAD_CHUNKS 8                                 /* records of one head write */
#define AM_HEAD_MAX    (AM_HEAD_CHUNKS * AM_DATA_CAP_MAX) /* 32 KiB of it captured */
#define HEAD_MASK      (AM_DATA_CAP_MAX - 1)
#define H2_FRAMES      8       /* frames looked through for a header block */
#define H1_TOKEN_MAX   24      /* method token bytes */

/* an HTTP/1 request line: [CRLF...] TOKEN SP non-SP */
static __always_inline bool h1_head(const __u8 *p, __u32 n)
{
	__u32 i = 0;

#pragma clang loop unroll(disable)
	for (int j = 0; j < 4 && i < n; j++, i++)
		if (p[i & HEAD_MASK] != '\r' && p[i & HEAD_MASK] != '\n')
			break;
#pragma clang loop unroll(disable)
	for (int j = 0; j < H1_TOKEN_MAX && i + 1 < n; j++, i++) {
		__u8 c = p[i & HEAD_MASK];

		if (c == ' ')
			return j > 0 && p[(i + 1) & HEAD_MASK] > ' ';
		if (c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '<' || c == '>' ||
		    c == '@' || c == ',' || c == ';' || c == ':' || c == '"' || c == '/' ||
		    c == '[' || c == ']' || c == '?' || c == '=' || c == '{' || c == '}')
			return false;  /* not a tchar (RFC 9110 5.6.2) */
	}
	return false;
}

/*
 * HTTP/2 client bytes: [preface] then frames, one of the first H2_FRAMES a
 * HEADERS or CONTINUATION on a client stream.  Frame headers must look real
 * (known type, length under 64 KiB, reserved bit clear) to be walked.
 */
static __always_inline bool h2_head(const __u8 *p, __u32 n)
{
	__u32 off = 0;

	if (n >= 24 && p[0] == 'P' && p[1] == 'R' && p[2] == 'I' && p[3] == ' ')
		off = 24;
#pragma clang loop unroll(disable)
	for (int j = 0; j < H2_FRAMES; j++) {
		__u8 type, sid_hi;

		if (off + 9 > n || p[off & HEAD_MASK])
			return false;  /* not captured, or 64 KiB and more: no frame of ours */
		type = p[(off + 3) & HEAD_MASK];
		sid_hi = p[(off + 5) & HEAD_MASK];
		if (type > 9 || sid_hi & 0x80)
			return false;
		if ((type == 1 || type == 9) && p[(off + 8) & HEAD_MASK] & 1)
			return true;   /* HEADERS/CONTINUATION, odd (client) stream */
		off += 9 + ((__u32)p[(off + 1) & HEAD_MASK] << 8 | p[(off + 2) & HEAD_MASK]);
	}
	return false;
}

/* do the n captured bytes at p start a request head (HTTP/1 or HTTP/2)? */
static __always_inline bool head_start(const __u8 *p, __u32 n)
{
	return n && (h1_head(p, n) || h2_head(p, n));
}

#endif
