/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * policy_view.h - the policy's view: key, which reads the compact text view
 * (view.h) shows or folds:
 *
 *   view:
 *     show: ["/srv/data*", "~/notes*", "*.sqlite"]   # reads shown
 *     hide: ["/opt/tool/share*"]                    # reads folded
 *
 * A glob starts with '/', '~/' (any user's home: /root or /home/USER) or
 * '*'; '*' crosses '/' (fnmatch without FNM_PATHNAME).  A path is
 * normalized textually before the match ('//', '/./' and '/../' resolved,
 * symlinks not).  show wins over hide; hide never folds writes or keys and
 * tokens (view_classify's sensitive files).  At most POLICY_VIEW_MAX globs;
 * a file's lists are appended to the embedded default's (which has none).
 */
#ifndef AGENTMON_POLICY_VIEW_H
#define AGENTMON_POLICY_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_VIEW_MAX 256     /* globs in show and hide together */
#define POLICY_VIEW_GLOB_MAX 1024 /* bytes of one glob */

struct policy_view_glob {
	char *pat;      /* the glob; for a home glob, what follows the '~' */
	bool home;      /* "~/...": matched against the path below a home directory */
};

struct policy_view {
	struct policy_view_glob *show; size_t n_show;
	struct policy_view_glob *hide; size_t n_hide;
};

enum policy_view_verdict {
	POLICY_VIEW_NONE,  /* no glob names the path */
	POLICY_VIEW_SHOW,
	POLICY_VIEW_HIDE,
};

/* frees what pv holds and empties it (pv itself is the caller's) */
void policy_view_free(struct policy_view *pv);
/* dst := a deep copy of src (dst emptied first); 0 or -ENOMEM (dst empty) */
int policy_view_copy(struct policy_view *dst, const struct policy_view *src);
/*
 * policy_view_normalize - path with '//' and '/./' collapsed and '/../'
 * taking the previous component off (never above '/'), into out (len
 * bytes, NUL-terminated).  Returns its length; a path that does not fit
 * is cut (len - 1 bytes).
 */
size_t policy_view_normalize(const char *path, char *out, size_t len);
/* what pv says of path (normalized first): show wins over hide */
enum policy_view_verdict policy_view_match(const struct policy_view *pv, const char *path);

#endif
