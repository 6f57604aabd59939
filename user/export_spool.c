// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * export_spool.c - the export's segment log (see export_spool.h).
 *
 * The segments are kept in memory as (sequence, size), oldest first; the
 * last one is this run's, the only one written.  A reader cursor (segment
 * index, offset) walks what was not yet handed out; an acked position
 * trails it.  The reader preads through one buffer large enough for the
 * largest record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "common.h"
#include "export_spool.h"

#define MAGIC "AMX1"
#define PAYLOAD_MAX (3 + XSPOOL_ID_MAX + XSPOOL_SUBJECT_MAX + XSPOOL_BODY_MAX)
#define RBUF_CAP (XSPOOL_HDR + PAYLOAD_MAX)
#define RCHUNK (64u << 10)
#define SEG_MAX (4ull << 20)

struct seg {
	uint64_t seq;
	uint64_t size;
};

struct export_spool {
	int dfd;
	uint64_t max_bytes, bytes;
	struct seg *segs;
	size_t n, cap;
	int wfd;                  /* this run's segment: segs[n - 1] */
	uint64_t first_new;       /* the first sequence this run wrote */
	/* reader */
	size_t ri;                /* segment index */
	uint64_t roff;
	int rfd;
	uint64_t rfd_seq;
	uint8_t *rbuf;
	size_t rcap;              /* grows to RBUF_CAP for a large record */
	uint64_t rbuf_off;        /* file offset of rbuf[0] */
	size_t rbuf_len;
	bool in_damage, scanning;
	/* acks */
	struct xspool_pos acked;
	bool ack_dirty;
	bool dirty;               /* written since the last fdatasync */
	bool seg_failed;          /* a write to this run's segment failed: the next
				     append starts another (its tail may be torn) */
	uint64_t pending, damaged;
	uint8_t *wbuf;
	size_t wcap;
};

/* little-endian u32 at p */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* v little-endian at p */
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* an id of letters, digits, '-' and '_'; a subject without space or control
 * bytes (what goes on the NATS protocol line) */
static bool fields_ok(const uint8_t *id, size_t id_len, const uint8_t *subj, size_t subj_len)
{
	for (size_t i = 0; i < id_len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_'))
			return false;
	for (size_t i = 0; i < subj_len; i++)
		if (subj[i] <= ' ' || subj[i] == 0x7f)
			return false;
	return true;
}

int xspool_parse(const uint8_t *buf, size_t len, struct xspool_rec *r, size_t *used)
{
	size_t plen, id_len, subj_len;
	const uint8_t *p;

	if (len < 4)
		return memcmp(buf, MAGIC, len) ? -EBADMSG : (*used = XSPOOL_HDR, 0);
	if (memcmp(buf, MAGIC, 4))
		return -EBADMSG;
	if (len < XSPOOL_HDR)
		return *used = XSPOOL_HDR, 0;
	plen = get32(buf + 4);
	if (plen < 3 || plen > PAYLOAD_MAX)
		return -EBADMSG;
	if (len < XSPOOL_HDR + plen)
		return *used = XSPOOL_HDR + plen, 0;
	p = buf + XSPOOL_HDR;
	if (get32(buf + 8) != (uint32_t)crc32(0, p, (uInt)plen))
		return -EBADMSG;
	id_len = p[0];
	subj_len = (size_t)p[1] | (size_t)p[2] << 8;
	if (!id_len || id_len > XSPOOL_ID_MAX || !subj_len || subj_len > XSPOOL_SUBJECT_MAX ||
	    3 + id_len + subj_len > plen || plen - 3 - id_len - subj_len > XSPOOL_BODY_MAX ||
	    !fields_ok(p + 3, id_len, p + 3 + id_len, subj_len))
		return -EBADMSG;
	r->id = (const char *)p + 3;
	r->id_len = id_len;
	r->subject = r->id + id_len;
	r->subject_len = subj_len;
	r->body = r->subject + subj_len;
	r->body_len = plen - 3 - id_len - subj_len;
	*used = XSPOOL_HDR + plen;
	return 1;
}

size_t xspool_encode(const struct xspool_rec *r, uint8_t *out, size_t cap)
{
	size_t plen = 3 + r->id_len + r->subject_len + r->body_len;
	uint8_t *p = out + XSPOOL_HDR;

	if (!r->id_len || r->id_len > XSPOOL_ID_MAX || !r->subject_len ||
	    r->subject_len > XSPOOL_SUBJECT_MAX || r->body_len > XSPOOL_BODY_MAX ||
	    XSPOOL_HDR + plen > cap ||
	    !fields_ok((const uint8_t *)r->id, r->id_len, (const uint8_t *)r->subject,
		       r->subject_len))
		return 0;
	p[0] = (uint8_t)r->id_len;
	p[1] = (uint8_t)r->subject_len;
	p[2] = (uint8_t)(r->subject_len >> 8);
	memcpy(p + 3, r->id, r->id_len);
	memcpy(p + 3 + r->id_len, r->subject, r->subject_len);
	memcpy(p + 3 + r->id_len + r->subject_len, r->body, r->body_len);
	memcpy(out, MAGIC, 4);
	put32(out + 4, (uint32_t)plen);
	put32(out + 8, (uint32_t)crc32(0, p, (uInt)plen));
	return XSPOOL_HDR + plen;
}

/* ---- segments ---- */

/* a segment's file name */
static void seg_name(uint64_t seq, char name[32])
{
	snprintf(name, 32, "seg-%016" PRIx64 ".log", seq);
}

/* one segment appended to the list; -ENOMEM */
static int seg_add(struct export_spool *s, uint64_t seq, uint64_t size)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->segs, cap * sizeof(*s->segs));

		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->cap = cap;
	}
	s->segs[s->n++] = (struct seg){ .seq = seq, .size = size };
	s->bytes += size;
	return 0;
}

/* a new segment for this run's writes; -errno */
static int seg_start(struct export_spool *s)
{
	uint64_t seq = s->n ? s->segs[s->n - 1].seq + 1 : 1;
	char name[32];
	int fd, r;

	seg_name(seq, name);
	fd = openat(s->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if ((r = seg_add(s, seq, 0))) {
		close(fd);
		unlinkat(s->dfd, name, 0);
		return r;
	}
	if (s->wfd >= 0) {
		if (s->dirty)
			fdatasync(s->wfd);
		close(s->wfd);
	}
	s->dirty = false;
	s->wfd = fd;
	if (!s->first_new)
		s->first_new = seq;
	return 0;
}

/* qsort: by sequence */
static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the segments an earlier run left, sorted; -errno */
static int seg_list(struct export_spool *s)
{
	int fd = openat(s->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (!r && (e = readdir(d))) {
		uint64_t seq;
		char tail[8], name[32];
		struct stat st;

		if (sscanf(e->d_name, "seg-%16" SCNx64 "%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".log") || (seg_name(seq, name), strcmp(name, e->d_name)) ||
		    fstatat(s->dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		r = seg_add(s, seq, (uint64_t)st.st_size);
	}
	closedir(d);
	if (s->n)
		qsort(s->segs, s->n, sizeof(*s->segs), cmp_seg);
	return r;
}

/* drop segs[0] from disk and the list */
static void seg_drop_first(struct export_spool *s)
{
	char name[32];

	seg_name(s->segs[0].seq, name);
	unlinkat(s->dfd, name, 0);
	s->bytes -= s->segs[0].size;
	memmove(s->segs, s->segs + 1, (s->n - 1) * sizeof(*s->segs));
	s->n--;
	if (s->ri) {
		s->ri--;
	} else {           /* the reader was at its end (acked is never ahead of it) */
		s->roff = 0;
		s->rbuf_len = 0;
		s->in_damage = false;
	}
}

/* ---- the acked file ---- */

/* the acked position an earlier run saved; none (0, 0) when missing or damaged */
static void ack_load(struct export_spool *s)
{
	char buf[64] = "";
	int fd = openat(s->dfd, "acked", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	uint64_t seq, off;
	char nl;

	if (fd >= 0)
		close(fd);
	if (n > 0 && sscanf(buf, "%16" SCNx64 " %16" SCNx64 "%c", &seq, &off, &nl) == 3 &&
	    nl == '\n')
		s->acked = (struct xspool_pos){ .seg = seq, .off = off };
}

/* the acked position to "acked" (temporary file, rename); -errno */
static int ack_save(struct export_spool *s)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%016" PRIx64 " %016" PRIx64 "\n", s->acked.seg,
			 s->acked.off);
	int fd = openat(s->dfd, "acked.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		r = -EIO;
	close(fd);
	if (!r && renameat(s->dfd, "acked.tmp", s->dfd, "acked"))
		r = -errno;
	if (!r)
		s->ack_dirty = false;
	return r;
}

/* ---- reader ---- */

/* buffer [off, off + want) of segment ri (less at its end); -errno */
static int fill(struct export_spool *s, uint64_t off, size_t want, uint64_t end)
{
	const struct seg *g = &s->segs[s->ri];
	ssize_t got;

	if (s->rfd < 0 || s->rfd_seq != g->seq) {
		char name[32];

		if (s->rfd >= 0)
			close(s->rfd);
		seg_name(g->seq, name);
		s->rfd = openat(s->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (s->rfd < 0)
			return -errno;
		s->rfd_seq = g->seq;
	}
	if (want < RCHUNK)
		want = RCHUNK;
	if (want > RBUF_CAP)
		want = RBUF_CAP;
	if (want > end - off)
		want = (size_t)(end - off);
	if (want > s->rcap) {
		void *p = realloc(s->rbuf, want);

		if (!p)
			return -ENOMEM;
		s->rbuf = p;
		s->rcap = want;
	}
	got = pread(s->rfd, s->rbuf, want, (off_t)off);
	if (got < 0)
		return -errno;
	s->rbuf_off = off;
	s->rbuf_len = (size_t)got;
	return 0;
}

/* a damaged stretch starts here: counted once (segments of earlier runs: at open) */
static void damage(struct export_spool *s)
{
	if (!s->in_damage && (s->scanning || s->segs[s->ri].seq >= s->first_new))
		s->damaged++;
	s->in_damage = true;
}

/* after damage at roff: the next magic in the buffer, or the buffer's end less 3 */
static void resync(struct export_spool *s, uint64_t end)
{
	size_t from = (size_t)(s->roff - s->rbuf_off) + 1;
	const uint8_t *m = from < s->rbuf_len ?
		memmem(s->rbuf + from, s->rbuf_len - from, MAGIC, 4) : NULL;

	damage(s);
	if (m)
		s->roff = s->rbuf_off + (uint64_t)(m - s->rbuf);
	else if (s->rbuf_off + s->rbuf_len >= end)
		s->roff = end;
	else if (s->rbuf_off + s->rbuf_len > s->roff + 4)
		s->roff = s->rbuf_off + s->rbuf_len - 3;
	else
		s->roff++;
}

/* one step at the cursor: 1 a record, 0 moved on, 2 nothing more, -errno */
static int step(struct export_spool *s, struct xspool_rec *r, struct xspool_pos *endp)
{
	const struct seg *g = &s->segs[s->ri];
	uint64_t end = g->size;
	size_t at, used = XSPOOL_HDR;
	int p;

	if (s->roff >= end) {
		if (s->ri + 1 >= s->n)
			return 2;
		s->ri++;
		s->roff = 0;
		s->rbuf_len = 0;
		s->in_damage = false;
		return 0;
	}
	if (s->roff < s->rbuf_off || s->roff >= s->rbuf_off + s->rbuf_len) {
		if ((p = fill(s, s->roff, RCHUNK, end)))
			return p;
	}
	at = (size_t)(s->roff - s->rbuf_off);
	p = xspool_parse(s->rbuf + at, s->rbuf_len - at, r, &used);
	if (p == 1) {
		s->roff += used;
		s->in_damage = false;
		*endp = (struct xspool_pos){ .seg = g->seq, .off = s->roff };
		return 1;
	}
	if (p == 0 && s->roff + used <= end && (s->rbuf_off != s->roff || s->rbuf_len < used))
		return fill(s, s->roff, used, end);  /* a record past the buffer */
	resync(s, end); /* damaged, or cut short (a torn tail) */
	return 0;
}

int export_spool_next(struct export_spool *s, struct xspool_rec *r, struct xspool_pos *end)
{
	int p;

	if (!s->n)
		return 0;
	while (!(p = step(s, r, end)))
		;
	return p == 2 ? 0 : p;
}

/* ---- public ---- */

void export_spool_rewind(struct export_spool *s)
{
	s->ri = 0;
	s->roff = s->n && s->segs[0].seq == s->acked.seg && s->acked.off <= s->segs[0].size ?
		  s->acked.off : 0;
	s->rbuf_len = 0;
	s->in_damage = false;
}

/* err set to "what dir: why"; r */
static int fail(char *err, size_t errlen, int r, const char *what, const char *dir)
{
	snprintf(err, errlen, "%s %s: %s", what, dir, strerror(-r));
	return r;
}

/* what an earlier run left: counted from the acked position on */
static int scan_left(struct export_spool *s)
{
	struct xspool_rec r;
	struct xspool_pos end;
	int p;

	if (s->n && s->acked.seg > s->segs[s->n - 1].seq)
		s->acked = (struct xspool_pos){ 0 };  /* past every segment: damaged, resend all */
	while (s->n && (s->segs[0].seq < s->acked.seg || (s->segs[0].seq == s->acked.seg &&
							    s->acked.off >= s->segs[0].size)))
		seg_drop_first(s);
	if (s->n && s->segs[0].seq == s->acked.seg && s->acked.off <= s->segs[0].size)
		s->roff = s->acked.off;
	s->scanning = true;
	while ((p = export_spool_next(s, &r, &end)) == 1)
		s->pending++;
	s->scanning = false;
	export_spool_rewind(s);
	return p;
}

/*
 * dir opened (not followed when a symbolic link) and checked through the
 * descriptor: owned by root or by us, and no one else may write in it (who
 * could put or swap files there); then made 0700.  The descriptor, or
 * -errno with err set (-EPERM: refused).
 */
static int open_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, r, "cannot open the export spool", dir);
	}
	if ((st.st_uid && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "export spool %s: refused: %s (it must be root's or ours, and "
			 "writable by no one else)", dir, st.st_uid && st.st_uid != geteuid() ?
			 "another user owns it" : "group or others may write in it");
		close(fd);
		return -EPERM;
	}
	if (fchmod(fd, 0700)) {
		r = -errno;
		close(fd);
		return fail(err, errlen, r, "cannot make private the export spool", dir);
	}
	return fd;
}

int export_spool_open(const char *dir, uint64_t max_bytes, struct export_spool **out, char *err,
		      size_t errlen)
{
	struct export_spool *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s || !(s->rbuf = malloc(s->rcap = RCHUNK))) {
		free(s);
		return fail(err, errlen, -ENOMEM, "export spool", dir);
	}
	s->wfd = s->rfd = s->dfd = -1;
	s->max_bytes = max_bytes;
	if ((r = am_mkdirs(dir, 0700, 0700))) {
		export_spool_free(s);
		return fail(err, errlen, r, "cannot create the export spool", dir);
	}
	if ((s->dfd = open_dir(dir, err, errlen)) < 0) {
		r = s->dfd;
		export_spool_free(s);
		return r;
	}
	unlinkat(s->dfd, "acked.tmp", 0);
	ack_load(s);
	if ((r = seg_list(s)) || (r = scan_left(s)) < 0 || (r = seg_start(s))) {
		export_spool_free(s);
		return fail(err, errlen, r, "cannot read the export spool", dir);
	}
	*out = s;
	return 0;
}

/* whether every message of the spool was acked (what is left is damage) */
static bool all_acked(const struct export_spool *s)
{
	return !s->pending;
}

void export_spool_free(struct export_spool *s)
{
	if (!s)
		return;
	if (s->wfd >= 0 && all_acked(s)) {   /* nothing left: an empty spool */
		while (s->n)
			seg_drop_first(s);
		unlinkat(s->dfd, "acked", 0);
	} else if (s->wfd >= 0) {
		export_spool_sync(s);
	}
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->segs);
	free(s->rbuf);
	free(s->wbuf);
	free(s);
}

/* a segment's size: an eighth of the bound (what is acked goes a segment at a time) */
static uint64_t seg_max(const struct export_spool *s)
{
	uint64_t m = s->max_bytes / 8;

	return m > SEG_MAX ? SEG_MAX : m < (64u << 10) ? 64u << 10 : m;
}

/* room for len more bytes in the write buffer; -ENOMEM */
static int wbuf_room(struct export_spool *s, size_t used, size_t len)
{
	size_t cap = s->wcap ? s->wcap : 64 << 10;
	void *p;

	if (used + len <= s->wcap)
		return 0;
	while (cap < used + len)
		cap *= 2;
	if (!(p = realloc(s->wbuf, cap)))
		return -ENOMEM;
	s->wbuf = p;
	s->wcap = cap;
	return 0;
}

int export_spool_append(struct export_spool *s, const struct xspool_rec *recs, size_t n)
{
	struct seg *g;
	size_t used = 0, k = 0, w;
	ssize_t got;
	int r;

	if ((s->seg_failed || s->segs[s->n - 1].size >= seg_max(s)) && (r = seg_start(s)))
		return r;
	s->seg_failed = false;
	for (; k < n; k++) {
		size_t len = XSPOOL_HDR + 3 + recs[k].id_len + recs[k].subject_len + recs[k].body_len;

		if (s->bytes + used + len > s->max_bytes || (r = wbuf_room(s, used, len)) ||
		    !(w = xspool_encode(&recs[k], s->wbuf + used, s->wcap - used)))
			break;
		used += w;
	}
	g = &s->segs[s->n - 1];
	for (size_t done = 0; done < used; done += (size_t)got) {
		got = write(s->wfd, s->wbuf + done, used - done);
		if (got <= 0) {
			r = got < 0 ? -errno : -EIO;
			if (ftruncate(s->wfd, (off_t)g->size))
				r = -EIO; /* the segment's tail is torn: the next run's reader skips it */
			s->seg_failed = true; /* appends after a tail not counted in size: never */
			return r;
		}
	}
	g->size += used;
	s->bytes += used;
	s->dirty = true;
	s->pending += k;
	return (int)k;
}

void export_spool_acked(struct export_spool *s, struct xspool_pos end, uint64_t records)
{
	s->pending = records > s->pending ? 0 : s->pending - records;
	s->acked = end;
	s->ack_dirty = true;
	while (s->n > 1 && (s->segs[0].seq < end.seg ||
			    (s->segs[0].seq == end.seg && end.off >= s->segs[0].size)))
		seg_drop_first(s);
}

int export_spool_sync(struct export_spool *s)
{
	int r = 0;

	if (s->wfd >= 0 && s->dirty && fdatasync(s->wfd))
		r = -errno;
	else
		s->dirty = false;
	if (s->ack_dirty) {
		int a = ack_save(s);

		r = r ? r : a;
	}
	return r;
}

void export_spool_stats(const struct export_spool *s, struct xspool_stats *st)
{
	*st = (struct xspool_stats){ .bytes = s->bytes, .segments = s->n, .pending = s->pending,
				     .damaged = s->damaged };
}
