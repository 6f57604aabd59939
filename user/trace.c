// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * trace.c - the trace file format (see trace.h and docs/TRACE.md).
 *
 * The on-disk structs below have no implicit padding and are copied with
 * memcpy, so nothing read needs alignment; the hosts agentmon runs on are
 * little-endian, as the format is.  The reader loads one block at a time
 * (pread into a buffer, or a view into the caller's memory), checks it
 * whole - lengths, CRC, inflate, the framing of every entry - and only then
 * hands out its entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "agentmon.h"
#include "trace.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "trace files are little-endian");

#define BLOCK_MAGIC   0x4b424d41u   /* "AMBK" */
#define HEADER_MAX    4096          /* the longest file header a reader accepts */
#define COMM_LEN      16
#define ALIGN8(n)     (((n) + 7) & ~(size_t)7)

struct file_hdr {
	char magic[8];
	uint16_t version, abi;
	uint32_t hdr_len;
	int64_t boot_to_real_ns;
	uint64_t created_ns;
	char host[65], kernel[65];
	uint16_t zero;
	uint32_t crc;      /* the last 4 bytes of any header: CRC32 of the rest */
};
_Static_assert(sizeof(struct file_hdr) == TRACE_HEADER_LEN, "file header layout");

struct block_hdr {
	uint32_t magic, stored, raw;
	uint32_t crc;      /* CRC32 of stored, raw, then the stored bytes */
};

struct entry_hdr {
	uint32_t len;
	uint16_t kind, zero;
};

struct proc_fixed {
	uint32_t pid, ppid, uid, agent_pid, agent_id;
	char comm[COMM_LEN];
};

/* ---- building a block ---- */

/* grow *p to at least n bytes; -ENOMEM */
static int grow(uint8_t **p, size_t *cap, size_t n)
{
	uint8_t *q;

	if (n <= *cap)
		return 0;
	q = realloc(*p, n);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* make room for `need` more bytes (need <= TRACE_BLOCK_RAW_MAX - b->len) */
static int block_grow(struct trace_block *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 64 << 10;

	while (cap < b->len + need)
		cap *= 2;
	return grow(&b->buf, &b->cap, cap < TRACE_BLOCK_RAW_MAX ? cap : TRACE_BLOCK_RAW_MAX);
}

/* append an entry header for a payload of n bytes, zero its padding and
 * point *payload at it; the block is unchanged on failure */
static int entry_add(struct trace_block *b, uint16_t kind, size_t n, uint8_t **payload)
{
	struct entry_hdr h = { .kind = kind };
	size_t step;
	int r;

	if (!kind)
		return -EINVAL;
	if (n > TRACE_BLOCK_RAW_MAX - sizeof(h) ||
	    b->len + sizeof(h) + ALIGN8(n) > TRACE_BLOCK_RAW_MAX)
		return -E2BIG;
	step = sizeof(h) + ALIGN8(n);
	r = block_grow(b, step);
	if (r)
		return r;
	h.len = (uint32_t)n;
	memset(b->buf + b->len + step - 8, 0, 8);   /* the padding */
	memcpy(b->buf + b->len, &h, sizeof(h));
	*payload = b->buf + b->len + sizeof(h);
	b->len += step;
	b->entries++;
	return 0;
}

int trace_block_add(struct trace_block *b, uint16_t kind, const void *a, size_t an,
		    const void *bp, size_t bn)
{
	uint8_t *p;
	int r;

	if (an > TRACE_BLOCK_RAW_MAX || bn > TRACE_BLOCK_RAW_MAX)
		return -E2BIG;
	r = entry_add(b, kind, an + bn, &p);
	if (r)
		return r;
	if (an)
		memcpy(p, a, an);
	if (bn)
		memcpy(p + an, bp, bn);
	return 0;
}

/* copy s with its NUL to p; the byte after it */
static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p, s, n);
	return p + n;
}

int trace_block_add_agent(struct trace_block *b, uint32_t id, const char *name,
			  const char *const *patterns, size_t n)
{
	size_t len = sizeof(id) + strlen(name ? name : "") + 1;
	uint8_t *p;
	int r;

	if (!name || !*name)
		return -EINVAL;
	if (n > TRACE_AGENT_PATTERNS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (!patterns[i] || !*patterns[i])
			return -EINVAL;
		len += strlen(patterns[i]) + 1;
	}
	r = entry_add(b, TRACE_AGENT, len, &p);
	if (r)
		return r;
	memcpy(p, &id, sizeof(id));
	p = put_str(p + sizeof(id), name);
	for (size_t i = 0; i < n; i++)
		p = put_str(p, patterns[i]);
	return 0;
}

int trace_block_add_proc(struct trace_block *b, const struct trace_proc_view *v)
{
	struct proc_fixed f = {
		.pid = v->pid, .ppid = v->ppid, .uid = v->uid,
		.agent_pid = v->agent_pid, .agent_id = v->agent_id,
	};
	const char *exe = v->exe ? v->exe : "", *cwd = v->cwd ? v->cwd : "";
	size_t ne = strlen(exe), nc = strlen(cwd);
	uint8_t *p;
	int r;

	if (ne >= AM_PATH_MAX || nc >= AM_PATH_MAX)
		return -E2BIG;
	memcpy(f.comm, v->comm, strnlen(v->comm, COMM_LEN));
	r = entry_add(b, TRACE_PROC, sizeof(f) + ne + 1 + nc + 1, &p);
	if (r)
		return r;
	memcpy(p, &f, sizeof(f));
	put_str(put_str(p + sizeof(f), exe), cwd);
	return 0;
}

void trace_block_reset(struct trace_block *b)
{
	b->len = 0;
	b->entries = 0;
}

void trace_block_free(struct trace_block *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* ---- the file header and packed blocks ---- */

static void copy_str(char dst[65], const char *src)
{
	memcpy(dst, src, strnlen(src, 64));
}

void trace_header_pack(const struct trace_info *info, uint8_t out[TRACE_HEADER_LEN])
{
	struct file_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TRACE_MAGIC, sizeof(h.magic));
	h.version = TRACE_VERSION;
	h.abi = info->abi ? info->abi : AM_ABI_VERSION;
	h.hdr_len = sizeof(h);
	h.boot_to_real_ns = info->boot_to_real_ns;
	h.created_ns = info->created_ns;
	copy_str(h.host, info->host);
	copy_str(h.kernel, info->kernel);
	h.crc = crc32(0, (const Bytef *)&h, offsetof(struct file_hdr, crc));
	memcpy(out, &h, sizeof(h));
}

/* CRC32 of a block: its two lengths, then its stored bytes */
static uint32_t block_crc(const struct block_hdr *h, const uint8_t *stored)
{
	uLong c = crc32(0, (const Bytef *)&h->stored, 2 * sizeof(uint32_t));

	return crc32(c, stored, h->stored);
}

int trace_block_pack(const struct trace_block *b, uint8_t **buf, size_t *cap, size_t *len)
{
	struct block_hdr h = { .magic = BLOCK_MAGIC, .raw = (uint32_t)b->len };
	size_t need = sizeof(h) + compressBound(b->len);
	uLongf zlen;
	int r;

	if (!b->len || b->len > TRACE_BLOCK_RAW_MAX)
		return -EINVAL;
	if (grow(buf, cap, need))
		return -ENOMEM;
	zlen = need - sizeof(h);
	r = compress2(*buf + sizeof(h), &zlen, b->buf, b->len, Z_BEST_SPEED);
	if (r != Z_OK)
		return r == Z_MEM_ERROR ? -ENOMEM : -EIO;
	h.stored = (uint32_t)zlen;
	h.crc = block_crc(&h, *buf + sizeof(h));
	memcpy(*buf, &h, sizeof(h));
	*len = sizeof(h) + zlen;
	return 0;
}

/* ---- writing a file ---- */

struct trace_writer {
	int fd;
	char *path;
	uint64_t bytes, blocks;
	uint8_t *out;      /* the packed block being written */
	size_t out_cap;
};

/* write all of buf at off; 0 or -errno (-EIO when nothing goes) */
static int pwrite_all(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, buf, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static void writer_free(struct trace_writer *w)
{
	free(w->out);
	free(w->path);
	free(w);
}

int trace_writer_open(struct trace_writer **wp, const char *path,
		      const struct trace_info *info, char *err, size_t errlen)
{
	struct trace_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[TRACE_HEADER_LEN];
	int r;

	*wp = NULL;
	if (!w || !(w->path = strdup(path))) {
		free(w);
		snprintf(err, errlen, "create %s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	w->fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	r = w->fd < 0 ? -errno : 0;
	if (r) {
		snprintf(err, errlen, "create %s: %s", path, strerror(-r));
		goto fail;
	}
	trace_header_pack(info, hdr);
	r = pwrite_all(w->fd, hdr, sizeof(hdr), 0);
	if (r) {
		snprintf(err, errlen, "write of the header to %s: %s", path, strerror(-r));
		close(w->fd);
		unlink(path);
		goto fail;
	}
	w->bytes = sizeof(hdr);
	*wp = w;
	return 0;
fail:
	writer_free(w);
	return r;
}

int trace_writer_block(struct trace_writer *w, const struct trace_block *b,
		       char *err, size_t errlen)
{
	size_t len = 0;
	int r;

	if (!b->len)
		return 0;
	r = trace_block_pack(b, &w->out, &w->out_cap, &len);
	if (!r)
		r = pwrite_all(w->fd, w->out, len, w->bytes);
	if (!r) {
		w->bytes += len;
		w->blocks++;
		return 0;
	}
	if (len && ftruncate(w->fd, (off_t)w->bytes))   /* rare: say so */
		snprintf(err, errlen, "write of block %" PRIu64 " to %s: %s (and cutting it back: %s)",
			 w->blocks, w->path, strerror(-r), strerror(errno));
	else
		snprintf(err, errlen, "write of block %" PRIu64 " to %s: %s",
			 w->blocks, w->path, strerror(-r));
	return r;
}

uint64_t trace_writer_bytes(const struct trace_writer *w)
{
	return w->bytes;
}

int trace_writer_close(struct trace_writer *w)
{
	int r = 0;

	if (!w)
		return 0;
	if (fsync(w->fd))
		r = -errno;
	if (close(w->fd) && !r)
		r = -errno;
	writer_free(w);
	return r;
}

/* ---- reading a file ---- */

struct trace_reader {
	int fd;                  /* -1 over a buffer */
	const uint8_t *mem;
	size_t mem_len;
	uint64_t off;            /* file offset of the next block */
	uint64_t blocks;         /* whole blocks read */
	struct trace_info info;
	uint8_t *buf, *raw;      /* bytes read from fd; the current block inflated */
	size_t buf_cap, raw_cap, raw_len, pos;   /* pos: next entry in raw */
	uint8_t *conv;           /* an ABI 1 exec record in the current layout */
	size_t conv_cap;
	int error;               /* sticky: -EBADMSG or a read error */
	char msg[160];
};

/* point *out at up to n bytes of the file from off; how many there are
 * (fewer only at the end of the file), or -errno */
static ssize_t load(struct trace_reader *r, uint64_t off, size_t n, const uint8_t **out)
{
	size_t got = 0;

	if (r->fd < 0) {
		if (off >= r->mem_len)
			return 0;
		*out = r->mem + off;
		return (ssize_t)(r->mem_len - off < n ? r->mem_len - off : n);
	}
	if (grow(&r->buf, &r->buf_cap, n))
		return -ENOMEM;
	while (got < n) {
		ssize_t g = pread(r->fd, r->buf + got, n - got, (off_t)(off + got));

		if (g < 0 && errno == EINTR)
			continue;
		if (g < 0)
			return -errno;
		if (!g)
			break;
		got += (size_t)g;
	}
	*out = r->buf;
	return (ssize_t)got;
}

/* set the message of error ret; ret */
__attribute__((format(printf, 3, 4)))
static int say(struct trace_reader *r, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return ret;
}

/* the file ends at byte `end`, inside the header or the block being read */
static int cut(struct trace_reader *r, uint64_t end, bool header)
{
	if (header)
		return say(r, -ENODATA, "cut short at byte %" PRIu64 ", in the header", end);
	return say(r, -ENODATA, "cut short at byte %" PRIu64 ", in block %" PRIu64, end, r->blocks);
}

static int corrupt(struct trace_reader *r, const char *what)
{
	r->error = say(r, -EBADMSG, "block %" PRIu64 " at byte %" PRIu64 ": %s",
		       r->blocks, r->off, what);
	return r->error;
}

/* check the magic and the version of the got bytes of header at h */
static int check_start(struct trace_reader *r, const uint8_t *h, size_t got)
{
	uint16_t version;

	if (got && memcmp(h, TRACE_MAGIC, got < 8 ? got : 8))
		return say(r, -EINVAL, "not an agentmon trace");
	if (got < offsetof(struct file_hdr, abi))
		return cut(r, got, true);
	memcpy(&version, h + offsetof(struct file_hdr, version), sizeof(version));
	if (version != TRACE_VERSION)
		return say(r, -EPROTONOSUPPORT, "format version %u is not supported "
			   "(this agentmon reads %u)", version, TRACE_VERSION);
	if (got < offsetof(struct file_hdr, boot_to_real_ns))
		return cut(r, got, true);
	return 0;
}

/* read and check the file header into r->info; r->off past it */
static int read_header(struct trace_reader *r)
{
	const uint8_t *p = NULL;
	struct file_hdr h;
	ssize_t got = load(r, 0, HEADER_MAX, &p);
	uint32_t crc;
	int ret;

	if (got < 0)
		return say(r, (int)got, "read: %s", strerror((int)-got));
	ret = check_start(r, p, (size_t)got);
	if (ret)
		return ret;
	memcpy(&h.hdr_len, p + offsetof(struct file_hdr, hdr_len), sizeof(h.hdr_len));
	if (h.hdr_len < sizeof(h) || h.hdr_len > HEADER_MAX || h.hdr_len % 8)
		return say(r, -EBADMSG, "bad header length %u", h.hdr_len);
	if ((size_t)got < h.hdr_len)
		return cut(r, (uint64_t)got, true);
	memcpy(&h, p, sizeof(h));
	memcpy(&crc, p + h.hdr_len - sizeof(crc), sizeof(crc));
	if (crc != crc32(0, p, h.hdr_len - sizeof(crc)))
		return say(r, -EBADMSG, "header checksum mismatch");
	if (h.abi != AM_ABI_VERSION && h.abi != TRACE_ABI_OLDEST)
		return say(r, -EPROTONOSUPPORT, "event ABI version %u is not supported "
			   "(this agentmon reads %u and %u)", h.abi, TRACE_ABI_OLDEST, AM_ABI_VERSION);
	if (!memchr(h.host, 0, sizeof(h.host)) || !memchr(h.kernel, 0, sizeof(h.kernel)))
		return say(r, -EBADMSG, "header strings not terminated");
	r->info = (struct trace_info){ .version = h.version, .abi = h.abi,
		.boot_to_real_ns = h.boot_to_real_ns, .created_ns = h.created_ns };
	memcpy(r->info.host, h.host, sizeof(h.host));
	memcpy(r->info.kernel, h.kernel, sizeof(h.kernel));
	r->off = h.hdr_len;
	return 0;
}

/* a reader over fd (>= 0, taken) or buf: its header checked into *rp;
 * -errno with err set, fd closed */
static int reader_new(struct trace_reader **rp, int fd, const void *buf, size_t len,
		      char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	int ret = r ? 0 : -ENOMEM;

	*rp = NULL;
	if (r) {
		*r = (struct trace_reader){ .fd = fd, .mem = buf, .mem_len = len };
		ret = read_header(r);
	}
	if (!ret) {
		*rp = r;
		return 0;
	}
	snprintf(err, errlen, "%s", r ? r->msg : strerror(ENOMEM));
	if (!r && fd >= 0)
		close(fd);
	trace_reader_close(r);
	return ret;
}

int trace_reader_open(struct trace_reader **rp, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;

		*rp = NULL;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return reader_new(rp, fd, NULL, 0, err, errlen);
}

int trace_reader_mem(struct trace_reader **rp, const void *buf, size_t len,
		     char *err, size_t errlen)
{
	return reader_new(rp, -1, buf, len, err, errlen);
}

const struct trace_info *trace_reader_info(const struct trace_reader *r)
{
	return &r->info;
}

/* true when raw[0..n) is a run of well-framed entries */
static bool framing_ok(const uint8_t *raw, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		struct entry_hdr h;
		size_t step;

		if (n - pos < sizeof(h))
			return false;
		memcpy(&h, raw + pos, sizeof(h));
		if (!h.kind || h.zero || h.len > n - pos - sizeof(h))
			return false;
		step = sizeof(h) + ALIGN8((size_t)h.len);
		if (step > n - pos)
			return false;
		for (size_t i = sizeof(h) + h.len; i < step; i++)
			if (raw[pos + i])
				return false;
		pos += step;
	}
	return true;
}

/* check the lengths of block header h; 0 or -EBADMSG */
static int check_block_hdr(struct trace_reader *r, const struct block_hdr *h)
{
	if (h->magic != BLOCK_MAGIC)
		return corrupt(r, "bad block magic");
	if (h->raw > TRACE_BLOCK_RAW_MAX)
		return corrupt(r, "raw length over limit");
	if (!h->raw)
		return corrupt(r, "empty block");
	if (!h->stored || h->stored > compressBound(h->raw))
		return corrupt(r, "stored length over limit");
	return 0;
}

/* inflate the stored bytes of h into r->raw and check their framing */
static int inflate_block(struct trace_reader *r, const struct block_hdr *h, const uint8_t *z)
{
	uLongf out = h->raw;
	uLong in = h->stored;

	if (block_crc(h, z) != h->crc)
		return corrupt(r, "checksum mismatch");
	if (grow(&r->raw, &r->raw_cap, h->raw))
		return r->error = say(r, -ENOMEM, "%s", strerror(ENOMEM));
	if (uncompress2(r->raw, &out, z, &in) != Z_OK || out != h->raw || in != h->stored)
		return corrupt(r, "bad compressed data");
	if (!framing_ok(r->raw, h->raw))
		return corrupt(r, "entry framing");
	return 0;
}

static int read_error(struct trace_reader *r, ssize_t got)
{
	r->error = say(r, (int)got, "read at byte %" PRIu64 ": %s", r->off, strerror((int)-got));
	return r->error;
}

/* load and check the next block: 1, 0 at a clean end, or -errno */
static int next_block(struct trace_reader *r)
{
	const uint8_t *p;
	struct block_hdr h;
	ssize_t got = load(r, r->off, sizeof(h), &p);
	int ret;

	if (got <= 0)
		return got ? read_error(r, got) : 0;
	if ((size_t)got < sizeof(h))
		return cut(r, r->off + (uint64_t)got, false);
	memcpy(&h, p, sizeof(h));
	ret = check_block_hdr(r, &h);
	if (ret)
		return ret;
	got = load(r, r->off + sizeof(h), h.stored, &p);
	if (got < 0)
		return read_error(r, got);
	if ((size_t)got < h.stored)
		return cut(r, r->off + sizeof(h) + (uint64_t)got, false);
	ret = inflate_block(r, &h, p);
	if (ret)
		return ret;
	r->raw_len = h.raw;
	r->pos = 0;
	r->off += sizeof(h) + h.stored;
	r->blocks++;
	return 1;
}

/* ABI 1's exec record: 72 bytes, no executable identity */
#define EXEC1_LEN   72
#define EXEC_ID_LEN 12   /* exe_ino, exe_dev: what ABI 2 put before argc */
_Static_assert(sizeof(struct am_exec) == EXEC1_LEN + 8 &&
	       offsetof(struct am_exec, argc) == sizeof(struct am_hdr) + EXEC_ID_LEN,
	       "ABI 2's exec record is ABI 1's with exe_ino and exe_dev before argc");

/*
 * an exec record of an ABI 1 trace, rewritten in the current layout into
 * r->conv (exe_ino and exe_dev 0: unknown): e points there.  Records of
 * other types, and exec records too short or too long to be rewritten,
 * are left as they are (the decoder refuses the short ones).
 */
static void exec_from_abi1(struct trace_reader *r, struct trace_entry *e)
{
	struct am_hdr h;
	size_t n = e->len + 8;

	if (r->info.abi != TRACE_ABI_OLDEST || e->kind != TRACE_RECORD || e->len < EXEC1_LEN)
		return;
	memcpy(&h, e->data, sizeof(h));
	if (h.type != AM_EV_EXEC || h.size > UINT16_MAX - 8 || grow(&r->conv, &r->conv_cap, n))
		return;
	h.size += 8;
	memcpy(r->conv, &h, sizeof(h));
	memset(r->conv + sizeof(h), 0, EXEC_ID_LEN);
	memcpy(r->conv + sizeof(h) + EXEC_ID_LEN, e->data + sizeof(h), 10); /* argc, lengths */
	memset(r->conv + sizeof(h) + EXEC_ID_LEN + 10, 0, 2);
	memcpy(r->conv + sizeof(struct am_exec), e->data + EXEC1_LEN, e->len - EXEC1_LEN);
	e->data = r->conv;
	e->len = n;
}

int trace_reader_next(struct trace_reader *r, struct trace_entry *e, char *err, size_t errlen)
{
	struct entry_hdr h;
	int ret;

	while (r->pos >= r->raw_len) {
		ret = r->error ? r->error : next_block(r);
		if (ret < 0)
			snprintf(err, errlen, "%s", r->msg);
		if (ret <= 0)
			return ret;
	}
	memcpy(&h, r->raw + r->pos, sizeof(h));
	e->kind = h.kind;
	e->data = r->raw + r->pos + sizeof(h);
	e->len = h.len;
	r->pos += sizeof(h) + ALIGN8((size_t)h.len);
	exec_from_abi1(r, e);
	return 1;
}

uint64_t trace_reader_blocks(const struct trace_reader *r)
{
	return r->blocks;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->raw);
	free(r->conv);
	free(r);
}

/* ---- payload parsers ---- */

/* the strings of e from byte off on, each NUL-terminated: true when the
 * payload ends with a NUL after off */
static bool strings_ok(const struct trace_entry *e, size_t off)
{
	return e->len > off && !e->data[e->len - 1];
}

int trace_parse_agent(const struct trace_entry *e, struct trace_agent_view *out)
{
	const char *p, *end;

	if (e->kind != TRACE_AGENT || !strings_ok(e, sizeof(out->id)))
		return -EBADMSG;
	memcpy(&out->id, e->data, sizeof(out->id));
	p = (const char *)e->data + sizeof(out->id);
	end = (const char *)e->data + e->len;
	out->name = p;
	out->n_patterns = 0;
	if (!*p)
		return -EBADMSG;
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
		if (!*p || out->n_patterns == TRACE_AGENT_PATTERNS_MAX)
			return -EBADMSG;
		out->patterns[out->n_patterns++] = p;
	}
	return 0;
}

int trace_parse_proc(const struct trace_entry *e, struct trace_proc_view *out)
{
	struct proc_fixed f;
	const char *exe, *cwd, *end;
	size_t ne, nc;

	if (e->kind != TRACE_PROC || !strings_ok(e, sizeof(f) + 1))
		return -EBADMSG;
	memcpy(&f, e->data, sizeof(f));
	exe = (const char *)e->data + sizeof(f);
	end = (const char *)e->data + e->len;
	ne = strlen(exe);
	cwd = exe + ne + 1;
	if (cwd >= end)
		return -EBADMSG;
	nc = strlen(cwd);
	if (cwd + nc + 1 != end || ne >= AM_PATH_MAX || nc >= AM_PATH_MAX)
		return -EBADMSG;
	*out = (struct trace_proc_view){ .pid = f.pid, .ppid = f.ppid, .uid = f.uid,
		.agent_pid = f.agent_pid, .agent_id = f.agent_id,
		.exe = ne ? exe : NULL, .cwd = nc ? cwd : NULL };
	memcpy(out->comm, f.comm, strnlen(f.comm, COMM_LEN));
	return 0;
}

/* a fixed-size payload of kind into out */
static int parse_fixed(const struct trace_entry *e, uint16_t kind, void *out, size_t n)
{
	if (e->kind != kind || e->len != n)
		return -EBADMSG;
	memcpy(out, e->data, n);
	return 0;
}

int trace_parse_tag(const struct trace_entry *e, struct trace_tag *out)
{
	return parse_fixed(e, TRACE_TAG, out, sizeof(*out));
}

int trace_parse_drop(const struct trace_entry *e, struct trace_drop *out)
{
	return parse_fixed(e, TRACE_DROP, out, sizeof(*out));
}

int trace_parse_tick(const struct trace_entry *e, struct trace_tick *out)
{
	return parse_fixed(e, TRACE_TICK, out, sizeof(*out));
}

int trace_parse_unwatched(const struct trace_entry *e, struct trace_unwatched *out)
{
	return parse_fixed(e, TRACE_UNWATCHED, out, sizeof(*out));
}
