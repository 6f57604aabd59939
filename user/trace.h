/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace.h - the trace file format (docs/TRACE.md): building blocks of
 * entries, writing a file, reading one back, naming and pruning the files
 * of a trace directory (trace.c: the format; trace_dir.c: the directory).
 * No threads and no policy here: record.c runs the writer off the event
 * path, replay.c drives the reader.
 *
 * A file is a header (168 bytes in version 1: magic, format version, event
 * ABI version, header length, boot-to-wall offset, creation time, host,
 * kernel, CRC32 of the header) then blocks.  A block is a 16-byte header
 * (magic "AMBK", stored length, raw length, CRC32 over the two lengths and
 * the stored bytes) and the zlib-compressed bytes of a run of entries.  An
 * entry is (u32 length, u16 kind, u16 zero, payload, zeros to 8 bytes).
 * Every file starts with the state needed to replay it alone: the agent
 * table (TRACE_AGENT) and the process table (TRACE_PROC).  Blocks are
 * numbered from 0 in messages.
 *
 * All integers are little-endian.  Library code: returns -errno and fills
 * err, never prints.
 */
#ifndef AGENTMON_TRACE_H
#define AGENTMON_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC        "AMTRACE\0"   /* 8 bytes at offset 0 */
#define TRACE_VERSION      1
#define TRACE_ABI_OLDEST   1             /* event ABI read still: its exec records
					  * come out in the current layout */
#define TRACE_SUFFIX       ".amtrace"
#define TRACE_BLOCK_RAW_MAX (1u << 20)   /* raw bytes of one block, at most */
#define TRACE_HEADER_LEN   168           /* file header written by this version */
#define TRACE_AGENT_PATTERNS_MAX 32      /* patterns of one TRACE_AGENT entry */

enum trace_kind {
	TRACE_RECORD = 1,  /* one kernel ring buffer record as read (struct am_hdr first) */
	TRACE_AGENT  = 2,  /* struct trace_agent: an agent table entry */
	TRACE_PROC   = 3,  /* struct trace_proc: a process table entry */
	TRACE_TAG    = 4,  /* struct trace_tag: userspace tagged a process (launch, scan, candidate) */
	TRACE_DROP   = 5,  /* struct trace_drop: records the kernel could not deliver */
	TRACE_TICK   = 6,  /* struct trace_tick: the collector's clock at one step of its loop */
	TRACE_UNWATCHED = 7, /* struct trace_unwatched: a process tagged with an unwatched past */
	TRACE_KIND_MAX,
};

/* the file header's facts */
struct trace_info {
	uint16_t version;          /* TRACE_VERSION */
	uint16_t abi;              /* AM_ABI_VERSION of the TRACE_RECORD entries (0 when
				    * writing: AM_ABI_VERSION); a reader of an older
				    * one (TRACE_ABI_OLDEST) hands its entries out in
				    * the current layout */
	int64_t boot_to_real_ns;   /* add to a boot-time ns to get wall time */
	uint64_t created_ns;       /* wall ns when the file was opened */
	char host[65];             /* uname nodename */
	char kernel[65];           /* uname release */
};

/* TRACE_AGENT payload: id, then name and patterns as NUL-terminated strings
 * (none empty, at most TRACE_AGENT_PATTERNS_MAX patterns) */
struct trace_agent_view {
	uint32_t id;
	const char *name;
	const char *patterns[TRACE_AGENT_PATTERNS_MAX];
	size_t n_patterns;
};

/* TRACE_PROC payload (after parsing); on disk: five u32, comm[16], then exe
 * and cwd NUL-terminated, empty for unknown, each shorter than AM_PATH_MAX */
struct trace_proc_view {
	uint32_t pid, ppid, uid, agent_pid, agent_id;
	char comm[17];
	const char *exe;   /* NULL when unknown */
	const char *cwd;   /* NULL when unknown */
};

/* TRACE_TAG payload */
struct trace_tag {
	uint32_t tgid, agent_pid, agent_id, _pad;
};

/* TRACE_DROP payload */
struct trace_drop {
	uint64_t ts_ns;    /* boot ns when counted */
	uint64_t lost;
};

/* TRACE_UNWATCHED payload: tgid was tagged at ts_ns (boot ns) by how (0: the
 * /proc scan); it runs since since_ns (boot ns) and was not watched before */
struct trace_unwatched {
	uint64_t ts_ns, since_ns;
	uint32_t tgid, agent_pid, agent_id, how;
};

/* TRACE_TICK payload */
struct trace_tick {
	uint64_t boot_ns;
	uint64_t wall_ns;
};

/* ---- building a block ---- */

struct trace_block {
	uint8_t *buf;
	size_t len, cap;
	size_t entries;
};

/* append one entry (a..a+an then b..b+bn as its payload); -ENOMEM, -EINVAL
 * for kind 0, or -E2BIG when the block would pass TRACE_BLOCK_RAW_MAX (the
 * block is then unchanged) */
int trace_block_add(struct trace_block *b, uint16_t kind, const void *a, size_t an,
		    const void *bp, size_t bn);
/* the same for the structured payloads; -EINVAL for an empty name or
 * pattern, -E2BIG for more than TRACE_AGENT_PATTERNS_MAX patterns or a path
 * of AM_PATH_MAX bytes or more */
int trace_block_add_agent(struct trace_block *b, uint32_t id, const char *name,
			  const char *const *patterns, size_t n);
int trace_block_add_proc(struct trace_block *b, const struct trace_proc_view *p);
/* empty the block, keeping its buffer */
void trace_block_reset(struct trace_block *b);
void trace_block_free(struct trace_block *b);

/* the file header for info into out (TRACE_HEADER_LEN bytes) */
void trace_header_pack(const struct trace_info *info, uint8_t out[TRACE_HEADER_LEN]);
/* compress b (1 to TRACE_BLOCK_RAW_MAX raw bytes) into one whole on-disk
 * block at *buf (grown as needed, *cap its size), *len its length;
 * -EINVAL for an empty or oversized block, -ENOMEM */
int trace_block_pack(const struct trace_block *b, uint8_t **buf, size_t *cap, size_t *len);

/* ---- writing a file ---- */

struct trace_writer;

/* create path (O_EXCL, mode 0600) and write its header; -errno, err set
 * (the file is removed when its header cannot be written) */
int trace_writer_open(struct trace_writer **w, const char *path,
		      const struct trace_info *info, char *err, size_t errlen);
/* compress and append one block (nothing for an empty one); -errno
 * (ENOSPC...), err set; the file is left with only whole blocks when it
 * fails, and the writer may go on with the next block */
int trace_writer_block(struct trace_writer *w, const struct trace_block *b,
		       char *err, size_t errlen);
/* bytes written so far */
uint64_t trace_writer_bytes(const struct trace_writer *w);
/* fsync and close (NULL: nothing); -errno when the last write-back failed */
int trace_writer_close(struct trace_writer *w);

/* ---- reading a file ---- */

struct trace_reader;

struct trace_entry {
	uint16_t kind;
	const uint8_t *data;   /* valid until the next trace_reader_next */
	size_t len;
};

/*
 * trace_reader_open - open path and check its header.  -EINVAL "not an
 * agentmon trace", -EPROTONOSUPPORT "format version N is not supported" (or
 * "event ABI version N"), -ENODATA when cut short inside the header (an
 * empty file too), -EBADMSG for a damaged header, or -errno, with err set
 * (one line, no file name).
 */
int trace_reader_open(struct trace_reader **r, const char *path, char *err, size_t errlen);
/* the same over a buffer (not copied; for fuzzing and tests) */
int trace_reader_mem(struct trace_reader **r, const void *buf, size_t len,
		     char *err, size_t errlen);
const struct trace_info *trace_reader_info(const struct trace_reader *r);
/*
 * trace_reader_next - the next entry: 1, or 0 at a clean end of file.
 * -ENODATA when the file is cut short (err says at which offset and block),
 * -EBADMSG when a block is corrupt (bad magic, CRC, zlib, entry framing);
 * entries of whole blocks before it were all returned, and none of the
 * damaged block.  -EBADMSG and read errors stay; after -ENODATA a later call
 * reads the same block again (a file being written may have grown).
 * Entries of kinds this version does not know are returned as they are.
 */
int trace_reader_next(struct trace_reader *r, struct trace_entry *e, char *err, size_t errlen);
/* whole blocks read so far */
uint64_t trace_reader_blocks(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

/* payload parsers: 0, or -EBADMSG when the payload is malformed or the
 * entry is of another kind; strings point into e->data */
int trace_parse_agent(const struct trace_entry *e, struct trace_agent_view *out);
int trace_parse_proc(const struct trace_entry *e, struct trace_proc_view *out);
int trace_parse_tag(const struct trace_entry *e, struct trace_tag *out);
int trace_parse_drop(const struct trace_entry *e, struct trace_drop *out);
int trace_parse_tick(const struct trace_entry *e, struct trace_tick *out);
int trace_parse_unwatched(const struct trace_entry *e, struct trace_unwatched *out);

/* ---- the trace directory ---- */

/* "DIR/agentmon-20261125T143000Z-0001.amtrace" for wall time now_ns (UTC)
 * and a sequence number; the names sort in time order (seq below 10000 within
 * one second); 0 or -ENAMETOOLONG */
int trace_file_name(char *buf, size_t len, const char *dir, uint64_t now_ns, unsigned seq);

struct trace_prune {
	uint64_t keep_age_ns;     /* delete files older than this (0: no limit) */
	uint64_t keep_bytes;      /* delete oldest files while the total is above (0: no limit) */
};
/*
 * trace_prune_dir - apply p to the regular files agentmon-*.amtrace of dir,
 * oldest (by mtime) first, never deleting `keep` (the file being written, may
 * be NULL; it counts in the total).  Age is now_ns minus a file's mtime.
 * Returns the number of files deleted, or -errno with err set (on a failed
 * delete the others are still tried).
 */
int trace_prune_dir(const char *dir, const struct trace_prune *p, uint64_t now_ns,
		    const char *keep, char *err, size_t errlen);

#endif /* AGENTMON_TRACE_H */
