/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * spool.h - a directory of pending messages, oldest first, that survives
 * crashes: each message is one file "<20-digit ns>-<id>.json" written to
 * ".tmp-<name>", fsynced, renamed, and the directory fsynced.  Directory
 * 0700, files 0600.  Used by one thread at a time (the webhook worker),
 * which keeps the list of pending messages (alertq.h): the spool itself
 * only lists what an earlier run left, at open.
 */
#ifndef AGENTMON_SPOOL_H
#define AGENTMON_SPOOL_H

#include <stddef.h>

#define SPOOL_ID_LEN 32   /* hex characters of an id */
#define SPOOL_NAME_LEN (20 + 1 + SPOOL_ID_LEN + 5)   /* ns-id.json */

struct spool;

/*
 * spool_open - dir/sub (created with parents, mode 0700), scanned for
 * messages left by earlier runs (temporary files are removed).  0 and *out,
 * or -errno (what failed goes to err).
 */
int spool_open(const char *dir, const char *sub, struct spool **out, char *err, size_t errlen);
void spool_free(struct spool *s);

/* add body with id (SPOOL_ID_LEN hex) as the file name (set); durable on
 * return; -errno */
int spool_put(struct spool *s, const char *id, const void *body, size_t len,
	      char name[SPOOL_NAME_LEN + 1]);
/*
 * group commit: spool_stage writes body under a temporary name (its final
 * name set), spool_commit makes n staged names durable at once (one sync of
 * the file system, the renames, one sync of the directory).  A name that
 * could not be committed is removed and set to "" (-errno returned).
 */
int spool_stage(struct spool *s, const char *id, const void *body, size_t len,
		char name[SPOOL_NAME_LEN + 1]);
int spool_commit(struct spool *s, char (*names)[SPOOL_NAME_LEN + 1], size_t n);

/* the messages spool_open found, oldest first: the i-th, NULL past the end */
const char *spool_found(const struct spool *s, size_t i);
/* free that list */
void spool_forget_found(struct spool *s);
/* the body of message name: malloc'd, NUL-terminated (caller frees); -errno */
int spool_read(struct spool *s, const char *name, char **body, size_t *len);
/* delete message name (delivered, expired, evicted); -errno */
int spool_remove(struct spool *s, const char *name);
/* rename message name to *.rejected (refused for good); -errno */
int spool_set_aside(struct spool *s, const char *name);
/* the id in a message name */
void spool_id(const char *name, char id[SPOOL_ID_LEN + 1]);
/* the path of the spool directory */
const char *spool_path(const struct spool *s);

#endif
