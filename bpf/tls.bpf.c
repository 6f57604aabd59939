// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls.bpf.c - TLS plaintext of tagged tasks, from uprobes on the library
 * calls (attached by the loader to libssl, libgnutls and to binaries that
 * carry OpenSSL/BoringSSL with symbols, e.g. node):
 *   entry programs   SSL_write, SSL_write_ex, SSL_read, SSL_read_ex,
 *                    gnutls_record_send, gnutls_record_recv, and
 *                    BoringSSL's tls_write_app_data in stripped binaries
 *                    (Bun; located by user/tls_locate.c): for tagged
 *                    tgids only (tagged_bits first), save buf (and the
 *                    size_t * of the _ex variants) per thread in tls_calls
 *   ossl_write_int   OpenSSL 3's ssl_write_internal in stripped static
 *                    builds (Copilot's runtime.node), entry + tls_ret
 *   awslc_seal       aws-lc's EVP_AEAD_CTX_seal in stripped Rust binaries
 *                    (rustls on aws-lc-rs: Codex), entry only: a TLS 1.3
 *                    application data record's plaintext, waiting by its
 *                    EVP_AEAD_CTX (awslc_recs) until a write of any thread
 *                    of the process sends its buffer (h_awslc), or at once
 *                    when the context's socket is known
 *   bssl_open_app,   the read sides located with them (BoringSSL's
 *   awslc_open       tls_open_app_data, aws-lc's EVP_AEAD_CTX_open): entry
 *                    saves where the plaintext will be (tls_call.kind) and
 *                    marks the tgid a reader (tls_readers); tls_ret emits it
 *   tls_ret          the one uretprobe: AM_EV_DATA, AM_DATA_TLS_SEND with
 *                    the first bytes written or AM_DATA_TLS_RECV with the
 *                    first bytes read, ret = bytes moved; deletes the state
 *   h_tls            tail-called by sys_exit_dispatch for a read/write/
 *                    send/recv syscall of a thread with a tls_calls entry:
 *                    records the fd when it is a socket; for a pending
 *                    record, emits it with the socket of this write; for a
 *                    socket read of a reader tgid, records it (tls_lastrd)
 *   h_awslc          tail-called for a socket write of a process with
 *                    aws-lc records waiting: ties them to that socket
 * The socket is the fd of the read/write/send/recv syscall made inside the
 * call; its addresses are read from the fd table.  Never library struct
 * offsets.  When a TLS_SEND call made no socket syscall (node: SSL_write
 * fills a memory BIO, libuv writes it to the socket right after, on the same
 * thread, perhaps after other TLS calls), the record waits in tls_pend for
 * the thread's next socket write.  Bun (BoringSSL's tls_write_app_data)
 * encrypts a request in several 16 KiB calls before that write: up to
 * AM_TLS_PEND_MAX records wait per thread and go out in call order with its
 * socket (when more come, the waiting ones go out without a socket; lost,
 * counted in drops, if the thread exits first: tls_pend_gone, or when its
 * tls_calls entry is evicted: tls_pend_orphans at its next call or exit).
 * A record of a located read function (no socket syscall inside: the bytes
 * were read before) goes out with the socket of its thread's last read while
 * that fd still holds that socket (cookie); other TLS_RECV records without a
 * socket syscall go out with fd 0xffffffff.
 *
 * A TLS_SEND whose first bytes start a request head (head.bpf.h), and a
 * TLS_RECV whose first bytes start an HTTP/1 response or server-sent events
 * (answer_start: a model API's answer, for llm events), is captured
 * further: its first AM_HEAD_MAX bytes go out as consecutive records of
 * AM_DATA_CAP_MAX bytes each, as if the call had written them one after the
 * other (ret of each = its bytes; the last one's ret also counts what was not
 * captured), so the sum of ret is still the bytes the call moved.  A pending
 * record (no socket yet) is one record: the first AM_DATA_CAP_MAX bytes.
 * Every TLS_RECV of a process in llm_rx is captured the same way while its
 * byte budget there lasts: a TLS_SEND that starts a POST head (HTTP/1) or an
 * HTTP/2 header block gives its process AM_ANSWER_ARM bytes at once (the
 * answer may come before the collector read the request), and the
 * collector sets its own budget (llm_watch) while it reads a model API
 * exchange of the process over TLS (an answer's later reads, HTTP/2
 * frames), deletes it after.
 */
#include "common.bpf.h"
#include "head.bpf.h"
#include "body.bpf.h"

/* a TLS 1.3 record's inner plaintext: 2^14 bytes, its content type, padding */
#define AM_TLS13_INNER_MAX (16384 + 256)

/* a call of kind (AM_TLS_CALL_*) begins on the current thread (of a
 * tagged tgid): its state in tls_calls until tls_ret */
static __always_inline int tls_enter_as(const void *buf, const void *out, __u8 source, __u8 lib,
					__u8 kind, __u8 tls13)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call c = {}, *old;

	if (!tgid_bit(pt >> 32) || !buf)
		return 0;
	old = bpf_map_lookup_elem(&tls_calls, &pt);
	if (old)
		c.pending = old->pending; /* a pending record waits through other calls */
	else
		tls_pend_orphans(pt); /* records whose count was evicted: counted */
	c.in_call = 1;
	c.buf = (__u64)buf;
	c.out = (__u64)out;
	c.fd = -1;
	c.source = source;
	c.lib = lib;
	c.kind = kind;
	c.tls13 = tls13;
	bpf_map_update_elem(&tls_calls, &pt, &c, BPF_ANY);
	return 0;
}

static __always_inline int tls_enter(const void *buf, const void *out, __u8 source, __u8 lib)
{
	return tls_enter_as(buf, out, source, lib, AM_TLS_CALL_BUF, 0);
}

/* the current tagged tgid decrypts records after reading them (no socket
 * syscall inside the call): its threads' socket reads are recorded from
 * now on (h_tls, tls_lastrd) */
static __always_inline void reader_mark(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (tgid_bit(tgid) && !bpf_map_lookup_elem(&tls_readers, &tgid))
		bpf_map_update_elem(&tls_readers, &tgid, &one, BPF_ANY);
}

SEC("uprobe")
int BPF_KPROBE(ossl_write, void *ssl, const void *buf, int num)
{
	return tls_enter(buf, NULL, AM_DATA_TLS_SEND, AM_TLS_OPENSSL);
}

SEC("uprobe")
int BPF_KPROBE(ossl_write_ex, void *ssl, const void *buf, __u64 num, void *written)
{
	return tls_enter(buf, written, AM_DATA_TLS_SEND, AM_TLS_OPENSSL);
}

SEC("uprobe")
int BPF_KPROBE(ossl_read, void *ssl, void *buf, int num)
{
	return tls_enter(buf, NULL, AM_DATA_TLS_RECV, AM_TLS_OPENSSL);
}

SEC("uprobe")
int BPF_KPROBE(ossl_read_ex, void *ssl, void *buf, __u64 num, void *readbytes)
{
	return tls_enter(buf, readbytes, AM_DATA_TLS_RECV, AM_TLS_OPENSSL);
}

SEC("uprobe")
int BPF_KPROBE(gtls_send, void *session, const void *data, __u64 len)
{
	return tls_enter(data, NULL, AM_DATA_TLS_SEND, AM_TLS_GNUTLS);
}

SEC("uprobe")
int BPF_KPROBE(gtls_recv, void *session, void *data, __u64 len)
{
	return tls_enter(data, NULL, AM_DATA_TLS_RECV, AM_TLS_GNUTLS);
}

/*
 * BoringSSL's int tls_write_app_data(SSL *, bool *needs_handshake,
 * size_t *bytes_written, Span<const uint8_t> in): the span arrives in the
 * 4th and 5th argument registers; like SSL_write_ex it returns 1 and the
 * bytes written through its 3rd argument
 */
SEC("uprobe")
int BPF_KPROBE(bssl_write_app, void *ssl, void *needs_hs, void *written, const void *data)
{
	return tls_enter(data, written, AM_DATA_TLS_SEND, AM_TLS_OPENSSL);
}

/*
 * OpenSSL 3's int ssl_write_internal(SSL *, const void *buf, size_t num,
 * uint64_t flags, size_t *written), located in stripped static builds
 * (Copilot's runtime.node): like SSL_write_ex, returns 1 and the bytes
 * written through its 5th argument
 */
SEC("uprobe")
int BPF_KPROBE(ossl_write_int, void *ssl, const void *buf, __u64 num, __u64 flags,
	       void *written)
{
	return tls_enter(buf, written, AM_DATA_TLS_SEND, AM_TLS_OPENSSL);
}

/*
 * BoringSSL's ssl_open_record_t tls_open_app_data(SSL *, Span<uint8_t> *out,
 * size_t *out_consumed, uint8_t *out_alert, Span<uint8_t> in), located in
 * Bun binaries: it opens one record in place; on success (0) *out spans its
 * application data (handshake and alert records are not success, nor is an
 * empty record).  No socket syscall inside: the record came with the
 * thread's last socket read
 */
SEC("uprobe")
int BPF_KPROBE(bssl_open_app, void *ssl, void *out)
{
	reader_mark();
	return tls_enter_as(out, out, AM_DATA_TLS_RECV, AM_TLS_OPENSSL, AM_TLS_CALL_SPAN, 0);
}

/*
 * aws-lc's int EVP_AEAD_CTX_open(ctx, out, out_len, max_out_len, nonce,
 * nonce_len, in, in_len, ad, ad_len) (rustls on aws-lc-rs: Codex): one TLS
 * record opened into out, *out_len bytes, returns 1.  The additional data
 * tells the record: 5 bytes (its header) in TLS 1.3, whose plaintext ends in
 * the inner content type (checked at return); 13 in TLS 1.2, the type at
 * ad[8], application data (23) only.  ad and ad_len are the 9th and 10th
 * arguments, on the stack at entry; other uses of the AEAD (other lengths)
 * are not TLS records and are left alone
 */
SEC("uprobe")
int BPF_KPROBE(awslc_open, void *actx, void *out, void *out_len)
{
	__u64 sp = PT_REGS_SP(ctx), ad = 0, ad_len = 0;
	__u8 type = 0;

	if (!tgid_bit(bpf_get_current_pid_tgid() >> 32) ||
	    bpf_probe_read_user(&ad, sizeof(ad), (void *)(sp + 24)) ||
	    bpf_probe_read_user(&ad_len, sizeof(ad_len), (void *)(sp + 32)))
		return 0;
	if (ad_len == 13 && (bpf_probe_read_user(&type, 1, (void *)(ad + 8)) || type != 23))
		return 0;
	if (ad_len != 5 && ad_len != 13)
		return 0;
	reader_mark();
	return tls_enter_as(out, out_len, AM_DATA_TLS_RECV, AM_TLS_OPENSSL, AM_TLS_CALL_OPEN,
			    ad_len == 5);
}

/*
 * the application data in a TLS 1.3 record's inner plaintext of n bytes at
 * buf (content, type, zero padding): its length when the type is 23, else 0
 * (handshake, alert; padding past 32 bytes is not looked through)
 */
static __always_inline __s64 tls13_app_len(__u64 buf, __u64 n)
{
	__u8 tail[32];

	if (!n || n > AM_TLS13_INNER_MAX || bpf_probe_read_user(tail, 1, (void *)(buf + n - 1)))
		return 0;
	if (tail[0])
		return tail[0] == 23 ? (__s64)n - 1 : 0;
	if (n < sizeof(tail) || bpf_probe_read_user(tail, sizeof(tail), (void *)(buf + n - sizeof(tail))))
		return 0;
#pragma unroll
	for (int i = sizeof(tail) - 1; i >= 0; i--)
		if (tail[i])
			return tail[i] == 23 ? (__s64)(n - sizeof(tail)) + i : 0;
	return 0;
}

/* addresses, ports, protocol and cookie of the socket sk */
static __always_inline void sk_addrs(struct am_data *d, struct sock *sk)
{
	sk_peer(sk, &d->family, &d->dport, d->daddr);
	sk_local(sk, d->family, &d->proto, &d->sport, d->saddr);
	d->sock_id = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

/*
 * a head write: d holds its first bytes (up to AM_DATA_CAP_MAX); emit them
 * and the next chunks of buf up to AM_HEAD_MAX, one record each
 */
static __always_inline void head_emit(struct am_data *d, __u64 buf, __s64 moved)
{
#pragma clang loop unroll(disable)
	for (int i = 0; i < AM_HEAD_CHUNKS; i++) {
		__s64 left = moved - (__s64)i * AM_DATA_CAP_MAX;
		__u32 cap;

		if (left <= 0)
			break;
		if (i)
			capture(d, buf + (__u64)i * AM_DATA_CAP_MAX, left, AM_DATA_CAP_MAX);
		d->ret = left <= AM_DATA_CAP_MAX || i == AM_HEAD_CHUNKS - 1 ? left : AM_DATA_CAP_MAX;
		cap = cap_clamp(d->cap_len);
		emit(d, sizeof(*d) + cap, AM_EV_DATA, false);
	}
}

/* put the n pending records of thread pt in the ring buffer, in call order,
 * with sk when known */
static __always_inline void pend_flush(__u64 pt, __u8 n, struct sock *sk, int fd)
{
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < AM_TLS_PEND_MAX; i++) {
		struct tls_pend_key k = { .pt = pt, .slot = i };
		struct am_data *d;

		if (i >= n)
			break;
		d = bpf_map_lookup_elem(&tls_pend, &k);
		if (!d) {
			drop_count(AM_EV_DATA); /* not there (cannot be): counted */
			continue;
		}
		if (sk) {
			d->fd = fd;
			sk_addrs(d, sk);
		}
		body_emit(&tls_pend_rest, &k, d);
		bpf_map_delete_elem(&tls_pend, &k);
	}
}

/*
 * the record d (no socket yet) waits in tls_pend, after the n waiting, for
 * thread pt's next socket write (when n is full the waiting ones go out
 * without a socket first); false when it cannot wait: emit it now.  When
 * whole, its rest (moved bytes at in) waits with it (body_keep)
 */
static __always_inline bool pend_add(__u64 pt, struct am_data *d, __u8 n, __u64 in, __s64 moved,
				     bool whole)
{
	struct tls_pend_key k = { .pt = pt, .slot = n };
	struct tls_call p = { .fd = -1 }, *old;

	if (n >= AM_TLS_PEND_MAX) {
		pend_flush(pt, n, NULL, -1); /* they never met their socket */
		k.slot = 0;
	}
	old = bpf_map_lookup_elem(&tls_calls, &pt);
	if (old)
		p = *old; /* a call in progress on this thread stays */
	p.pending = (__u8)k.slot + 1;
	if (whole)
		body_keep(&tls_pend_rest, &k, d, in, moved);
	if (!bpf_map_update_elem(&tls_pend, &k, d, BPF_ANY)) {
		if (!bpf_map_update_elem(&tls_calls, &pt, &p, BPF_ANY))
			return true; /* sent by h_tls at the thread's next socket write */
		bpf_map_delete_elem(&tls_pend, &k);
	}
	if (d->_pad[0] == AM_REST_KEPT) /* the rest kept for it goes: not left to age */
		bpf_map_delete_elem(&tls_pend_rest, &k);
	d->_pad[0] = 0; /* it goes out now: without its rest (counted missed) */
	return false;
}

/* a TLS_SEND record of tag's thread, moved bytes at buf, socket unknown:
 * its head in d (up to data_cap, up to AM_DATA_CAP_MAX for a request
 * head, which arms llm_rx and llm_tx; the same for a write while llm_tx
 * lasts); whether it is to be captured whole (a head, a body) */
static __always_inline bool send_fill(struct am_data *d, struct am_tag *tag, __u64 buf,
				      __s64 moved, __u8 lib)
{
	__u32 cap;
	bool head;

	__builtin_memset(d, 0, sizeof(*d));
	hdr_fill(&d->hdr, AM_EV_DATA, 0, tag);
	d->ret = moved;
	d->fd = -1;
	d->source = AM_DATA_TLS_SEND;
	d->lib = lib;
	cap = capture(d, buf, moved, data_cap);
	head = head_start((__u8 *)d + sizeof(*d), cap);
	if (head)
		answer_arm(d->hdr.pid, (__u8 *)d + sizeof(*d), cap);
	else if (!budget_take(&llm_tx, d->hdr.pid, moved))
		return false;
	if (cap < moved && cap < AM_DATA_CAP_MAX)
		capture(d, buf, moved, AM_DATA_CAP_MAX);
	return true;
}

/* ---- aws-lc: sealed records tied to their connection by their context ---- */

/* the process's count of records waiting in awslc_recs, moved by n */
static __always_inline void awslc_wait_add(__u32 tgid, __s64 n)
{
	__s64 *w = bpf_map_lookup_elem(&awslc_wait, &tgid);

	if (!w && n > 0 && bpf_map_update_elem(&awslc_wait, &tgid, &n, BPF_NOEXIST))
		w = bpf_map_lookup_elem(&awslc_wait, &tgid); /* another thread made it */
	else if (!w)
		return;
	if (w)
		__sync_fetch_and_add(w, n);
}

/* the record r of process tgid goes out, with its socket sk (fd) when
 * known (else counted: AM_FAULT_TLS_NOSOCK), and its kept rest when it
 * waited under k (NULL: it did not); its buffer is forgotten */
static __always_inline void awslc_out(struct awslc_rec *r, __u32 tgid, struct sock *sk, int fd,
				      const struct awslc_rec_key *k)
{
	struct awslc_key bk = { .tgid = tgid, .addr = r->buf };
	struct am_data *d = (struct am_data *)r->b;

	if (sk) {
		d->fd = fd;
		sk_addrs(d, sk);
	} else {
		fault_count(AM_FAULT_TLS_NOSOCK);
	}
	if (k)
		body_emit(&awslc_rest, k, d);
	else
		emit(d, sizeof(*d) + cap_clamp(d->cap_len), AM_EV_DATA, false);
	bpf_map_delete_elem(&awslc_bufs, &bk);
}

/* the waiting records of context ck, from its oldest up to (not
 * including) seq end, go out in seal order with sk (NULL: none) */
static __always_inline void awslc_flush(const struct awslc_key *ck, struct awslc_ctx *st,
					__u32 end, struct sock *sk, int fd)
{
	__s64 n = 0;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < AM_AWSLC_PEND_MAX; i++) {
		struct awslc_rec_key k = { .tgid = ck->tgid, .seq = st->head, .ctx = ck->addr };
		struct awslc_rec *r;

		if (st->head == end)
			break;
		r = bpf_map_lookup_elem(&awslc_recs, &k);
		if (r) {
			awslc_out(r, ck->tgid, sk, fd, &k);
			bpf_map_delete_elem(&awslc_recs, &k);
		} else {
			drop_count(AM_EV_DATA); /* not there (cannot be): counted */
		}
		st->head++;
		n++;
	}
	awslc_wait_add(ck->tgid, -n);
}

static __always_inline __u64 sk_cookie(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

/*
 * the record r (socket unknown) of context aead: out now with the
 * context's socket when its earlier records all went out with it and its
 * fd still holds it; else it waits in awslc_recs (the oldest going out
 * without a socket when AM_AWSLC_PEND_MAX wait) for a socket write of any
 * thread of the process that sends it (h_awslc)
 */
static __always_inline void awslc_put(__u32 tgid, __u64 aead, struct awslc_rec *r, __u64 in,
				      __s64 moved, bool whole)
{
	struct am_data *d = (struct am_data *)r->b;
	struct awslc_key ck = { .tgid = tgid, .addr = aead };
	struct awslc_ctx fresh = { .fd = -1 }, *st;
	struct awslc_key bk = { .tgid = tgid, .addr = r->buf };
	struct awslc_buf bv = { .ctx = aead };
	struct awslc_rec_key rk = { .tgid = tgid, .ctx = aead };
	struct sock *sk;

	st = bpf_map_lookup_elem(&awslc_ctxs, &ck);
	if (!st) {
		bpf_map_update_elem(&awslc_ctxs, &ck, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&awslc_ctxs, &ck);
		if (!st)
			goto alone;
	}
	if (st->sk && st->head == st->tail) {
		sk = fd_sock((void *)bpf_get_current_task(), st->fd);
		if (sk && (__u64)sk == st->sk && sk_cookie(sk) == st->cookie) {
			if (!whole) {
				awslc_out(r, tgid, sk, st->fd, NULL);
				return;
			}
			d->fd = st->fd; /* the plaintext is still there: read it whole */
			sk_addrs(d, sk);
			head_emit(d, in, moved);
			return;
		}
		st->sk = 0; /* the context outlived its socket, or is another's now */
		st->fd = -1;
	}
	if (st->tail - st->head >= AM_AWSLC_PEND_MAX)
		awslc_flush(&ck, st, st->head + 1, NULL, -1); /* it never met its socket */
	rk.seq = st->tail;
	bv.seq = st->tail;
	if (whole)
		body_keep(&awslc_rest, &rk, d, in, moved);
	if (bpf_map_update_elem(&awslc_recs, &rk, r, BPF_ANY))
		goto alone;
	bpf_map_update_elem(&awslc_bufs, &bk, &bv, BPF_ANY);
	st->tail++;
	awslc_wait_add(tgid, 1);
	return;
alone:
	d->_pad[0] = 0; /* without its rest (counted missed) */
	awslc_out(r, tgid, NULL, -1, NULL);
}

/*
 * aws-lc's int EVP_AEAD_CTX_seal(ctx, out, out_len, max_out_len, nonce,
 * nonce_len, in, in_len, ad, ad_len), located by user/tls_locate.c in Rust
 * binaries with rustls on aws-lc-rs (Codex): one TLS record's plaintext is
 * the 7th and 8th arguments, on the stack at entry, and is read there
 * (rustls seals in place: at return it is ciphertext).  A TLS 1.3 record
 * ends in its inner content type: only application data (23) goes out,
 * in_len - 1 bytes; handshake (22) and alert (21) records do not.  No
 * uretprobe.  The record's socket: rustls seals in place in a buffer that
 * holds the 5-byte record header first and is later written as it is
 * (tokio: writev, on whatever worker thread polls the connection), so a
 * socket write of the process that sends the buffer at in - 5 is the
 * record's (h_awslc), and with it every record of the same EVP_AEAD_CTX
 * (one connection's sending key); the context's later records go out at
 * once with that socket.
 */
SEC("uprobe")
int BPF_KPROBE(awslc_seal, void *aead)
{
	__u64 pt = bpf_get_current_pid_tgid(), sp = PT_REGS_SP(ctx), in = 0, len = 0;
	__u32 tgid = pt >> 32;
	struct awslc_rec *r;
	struct am_tag *tag;
	__u8 type = 0;
	bool whole;

	if (!tgid_bit(tgid) || bpf_probe_read_user(&in, sizeof(in), (void *)(sp + 8)) ||
	    bpf_probe_read_user(&len, sizeof(len), (void *)(sp + 16)))
		return 0;
	if (!in || len < 2 || len > AM_TLS13_INNER_MAX ||
	    bpf_probe_read_user(&type, 1, (void *)(in + len - 1)) || type != 23)
		return 0;
	tag = bpf_map_lookup_elem(&tagged, &tgid);
	r = tag ? scratch_get(AM_EV_DATA) : NULL;
	if (!r)
		return 0;
	whole = send_fill((struct am_data *)r->b, tag, in, (__s64)len - 1, AM_TLS_OPENSSL);
	r->buf = in - 5;
	awslc_put(tgid, (__u64)aead, r, in, (__s64)len - 1, whole);
	scratch_put(r);
	return 0;
}

/* the buffer base was sent to socket sk (fd) by process tgid: when it is a
 * waiting record's, its context's records go out with sk, and the context
 * keeps sk */
static __always_inline void awslc_sent(__u32 tgid, __u64 base, struct sock *sk, int fd)
{
	struct awslc_key bk = { .tgid = tgid, .addr = base };
	struct awslc_key ck = { .tgid = tgid };
	struct awslc_ctx *st;
	struct awslc_buf *b;

	b = bpf_map_lookup_elem(&awslc_bufs, &bk);
	if (!b)
		return;
	ck.addr = b->ctx;
	st = bpf_map_lookup_elem(&awslc_ctxs, &ck);
	if (!st || (__s32)(b->seq - st->head) < 0) {
		bpf_map_delete_elem(&awslc_bufs, &bk); /* gone already */
		return;
	}
	st->sk = (__u64)sk;
	st->cookie = sk_cookie(sk);
	st->fd = fd;
	awslc_flush(&ck, st, st->tail, sk, fd);
}

/* a socket write of a process with aws-lc records waiting: the buffers it
 * sent (the first AM_AWSLC_IOV of a writev or sendmsg) matched to them */
#define AM_AWSLC_IOV 8
SEC("tp_btf/sys_exit")
int BPF_PROG(h_awslc, struct pt_regs *regs, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__s64 *w = bpf_map_lookup_elem(&awslc_wait, &tgid);
	__u64 iov = 0, cnt = 1, base = SC_ARG1(regs);
	long nr = SC_NR(regs);
	int fd = SC_ARG0(regs);
	struct sock *sk = NULL;

	if (w && *w > 0 && ret > 0)
		sk = fd_sock((void *)bpf_get_current_task(), fd);
	if (sk && nr == NR_writev) {
		iov = base;
		cnt = SC_ARG2(regs);
	} else if (sk && nr == NR_sendmsg) {
		struct user_msghdr m = {};

		if (bpf_probe_read_user(&m, sizeof(m), (void *)base))
			sk = NULL;
		iov = (__u64)m.msg_iov;
		cnt = m.msg_iovlen;
	}
#pragma clang loop unroll(disable)
	for (__u32 i = 0; sk && i < AM_AWSLC_IOV && i < cnt; i++) {
		if (iov && bpf_probe_read_user(&base, sizeof(base), (void *)(iov + i * 16)))
			break;
		awslc_sent(tgid, base, sk, fd);
	}
	if (nr == NR_sendto || nr == NR_sendmsg)
		bpf_tail_call(ctx, &handlers, AM_H_SEND);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_tls, struct pt_regs *regs, long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call *c = bpf_map_lookup_elem(&tls_calls, &pt);
	struct sock *sk = fd_sock((void *)bpf_get_current_task(), SC_ARG0(regs));
	__u32 tgid = pt >> 32;
	long nr = SC_NR(regs);
	int fd = SC_ARG0(regs);

	if (sk && ret > 0 && sc_reads(nr) && BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP &&
	    bpf_map_lookup_elem(&tls_readers, &tgid)) {
		struct tls_lastrd r = { .cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter),
					.fd = fd };

		bpf_map_update_elem(&tls_lastrd, &pt, &r, BPF_ANY);
	}
	if (c && sk) {
		if (c->in_call)
			c->fd = fd;
		if (c->pending && ret > 0 && sc_is_write(nr)) {
			pend_flush(pt, c->pending, sk, fd);
			c->pending = 0;
			if (!c->in_call)
				bpf_map_delete_elem(&tls_calls, &pt);
		}
	}
	if (sc_is_write(nr) && ret > 0 && bpf_map_lookup_elem(&awslc_wait, &(__u32){ pt >> 32 }))
		bpf_tail_call(ctx, &handlers, AM_H_AWSLC); /* goes on to h_send */
	if (nr == NR_sendto || nr == NR_sendmsg)
		bpf_tail_call(ctx, &handlers, AM_H_SEND);
	return 0;
}

static __always_inline bool is_hex(__u8 c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * a read that starts an HTTP/1 response or server-sent events (a model
 * API's streamed answer), the events also after a chunk's size line (a
 * chunked body: up to 8 hex digits, CRLF): captured like a head write, up
 * to AM_HEAD_MAX
 */
static __always_inline bool answer_start(const __u8 *p, __u32 n)
{
	__u32 i = 0;

	if (n < 6)
		return false;
	if (p[0] == 'H' && p[1] == 'T' && p[2] == 'T' && p[3] == 'P' && p[4] == '/')
		return true;
#pragma unroll
	for (int k = 0; k < 8; k++) {
		if (!is_hex(p[i]))
			break;
		i++;
	}
	if (i && p[i] == '\r' && p[i + 1] == '\n')
		i += 2;
	else
		i = 0;
	if (i + 6 > n)
		return false;
	return (p[i] == 'd' && p[i + 1] == 'a' && p[i + 2] == 't' && p[i + 3] == 'a' &&
		p[i + 4] == ':') ||
	       (p[i] == 'e' && p[i + 1] == 'v' && p[i + 2] == 'e' && p[i + 3] == 'n' &&
		p[i + 4] == 't' && p[i + 5] == ':');
}

/* the fd of thread pt's last socket read while it is still that socket, -1 */
static __always_inline int last_read_fd(struct task_struct *task, __u64 pt)
{
	struct tls_lastrd *r = bpf_map_lookup_elem(&tls_lastrd, &pt);
	struct sock *sk;

	if (!r || !(sk = fd_sock(task, r->fd)) ||
	    BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) != r->cookie)
		return -1;
	return r->fd;
}

/* the record of a TLS call that moved bytes, built in d (a held scratch
 * buffer): emitted, or left pending for the thread's next socket write */
static __always_inline void tls_record(struct am_data *d, const struct tls_call *cc,
				       const struct am_tag *tag, __s64 moved, __u64 pt)
{
	struct tls_call c = *cc;
	struct task_struct *task;
	struct sock *sk;
	__u32 cap;
	bool head;

	__builtin_memset(d, 0, sizeof(*d));
	hdr_fill(&d->hdr, AM_EV_DATA, 0, tag);
	d->ret = moved;
	d->source = c.source;
	d->lib = c.lib;
	task = (void *)bpf_get_current_task();
	if (c.fd < 0 && c.kind != AM_TLS_CALL_BUF)
		c.fd = last_read_fd(task, pt);
	d->fd = c.fd;
	if (c.fd >= 0 && (sk = fd_sock(task, c.fd)))
		sk_addrs(d, sk);
	cap = capture(d, c.buf, moved, data_cap);
	head = c.source == AM_DATA_TLS_SEND ? head_start((__u8 *)d + sizeof(*d), cap) :
	       answer_start((__u8 *)d + sizeof(*d), cap) || answer_watched(pt >> 32, moved);
	if (head && c.source == AM_DATA_TLS_SEND)
		answer_arm(pt >> 32, (__u8 *)d + sizeof(*d), cap);
	else if (c.source == AM_DATA_TLS_SEND)
		head = budget_take(&llm_tx, pt >> 32, moved); /* a request body: whole */
	if (head && cap < moved && cap < AM_DATA_CAP_MAX)
		cap = capture(d, c.buf, moved, AM_DATA_CAP_MAX);
	if (c.fd < 0 && c.source == AM_DATA_TLS_SEND) {
		if (pend_add(pt, d, c.pending, c.buf, moved, head))
			return; /* sent by h_tls at the thread's next socket write */
	} else if (head) {
		head_emit(d, c.buf, moved);
		return;
	}
	emit(d, sizeof(*d) + cap, AM_EV_DATA, false);
}

SEC("uretprobe")
int BPF_KRETPROBE(tls_ret, long rc)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call *cp = bpf_map_lookup_elem(&tls_calls, &pt);
	__u32 tgid = pt >> 32;
	struct tls_call c;
	struct am_tag *tag;
	struct am_data *d;
	__s64 moved;

	if (!cp || !cp->in_call)
		return 0;
	c = *cp;
	if (c.pending) {
		cp->in_call = 0; /* the pending record still waits */
	} else {
		bpf_map_delete_elem(&tls_calls, &pt);
	}
	tag = bpf_map_lookup_elem(&tagged, &tgid);
	if (!tag)
		return 0;
	if (c.lib == AM_TLS_OPENSSL)
		rc = (int)rc; /* OpenSSL returns int */
	moved = rc;
	if (c.kind == AM_TLS_CALL_SPAN) {
		struct { __u64 data, size; } span;

		if (rc || bpf_probe_read_user(&span, sizeof(span), (void *)c.out))
			return 0;
		c.buf = span.data;
		moved = span.size;
	} else if (c.out) {
		__u64 n = 0;

		if (rc != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)c.out))
			return 0;
		moved = c.tls13 ? tls13_app_len(c.buf, n) : n;
	}
	if (moved <= 0)
		return 0;
	d = scratch_get(AM_EV_DATA);
	if (!d)
		return 0;
	tls_record(d, &c, tag, moved, pt);
	scratch_put(d);
	return 0;
}
