/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * spool.h - a directory of pending messages, oldest first, that survives
 * crashes: each message is one file "<20-digit ns>-<id>.json" written to
 * ".tmp-<name>", fsynced, renamed, and the directory fsynced.  Directory
 * 0700, files 0600.  Used by one thread at a time (the webhook worker).
 */
#ifndef AGENTMON_SPOOL_H
#define AGENTMON_SPOOL_H

#include <stddef.h>

#define SPOOL_ID_LEN 32   /* hex characters of an id */

struct spool;

/*
 * spool_open - dir/sub (created with parents, mode 0700), scanned for
 * messages left by earlier runs (temporary files are removed).  0 and *out,
 * or -errno (what failed goes to err).
 */
int spool_open(const char *dir, const char *sub, struct spool **out, char *err, size_t errlen);
void spool_free(struct spool *s);

/* add body with id (SPOOL_ID_LEN hex); durable on return; -errno */
int spool_put(struct spool *s, const char *id, const void *body, size_t len);
/* the oldest message: a malloc'd body (caller frees) and its id; -ENOENT
 * when empty; a file that cannot be read is set aside as *.rejected */
int spool_peek(struct spool *s, char **body, size_t *len, char id[SPOOL_ID_LEN + 1]);
/* remove the oldest message (delivered); -errno */
int spool_done(struct spool *s);
/* rename the oldest message to *.rejected and stop offering it; -errno */
int spool_reject(struct spool *s);
size_t spool_count(const struct spool *s);
/* the path of the spool directory */
const char *spool_path(const struct spool *s);

#endif
