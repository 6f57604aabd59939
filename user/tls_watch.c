// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_watch.c - the loader's TLS verdict on agent binaries (see
 * tls_watch.h), moved out of the collector's loop.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "exe_id.h"
#include "load.h"
#include "tls_watch.h"

#define TLS_MSG_MAX 512   /* a loader verdict on a binary's TLS library */

struct tls_watch {
	struct loader *loader;
	struct tls_watch_bin bins[TLS_WATCH_BINS];
	bool warned[TLS_WATCH_BINS];  /* its unseen warning was given */
	bool fixed[TLS_WATCH_BINS];   /* hooked by what the binary links (not by
				       * what one process of it loaded) */
	bool own[TLS_WATCH_BINS];     /* hooked in a TLS library of its own (its
				       * binary's or an object's), not a shared one */
	size_t n, next;               /* used; the next to replace when full */
	bool fuse_said;               /* a file refused on FUSE was warned of (once;
				       * the next ones debug, counted in status) */
};

struct tls_watch *tls_watch_new(struct loader *loader)
{
	struct tls_watch *w = calloc(1, sizeof(*w));

	if (w)
		w->loader = loader;
	return w;
}

void tls_watch_free(struct tls_watch *w)
{
	free(w);
}

/* the entry of exe when there is one, else w->n */
static size_t find_bin(const struct tls_watch *w, const char *exe)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strncmp(w->bins[i].exe, exe, TLS_WATCH_EXE_MAX - 1))
			break;
	return i;
}

/* the entry of exe, made (replacing the oldest when full) */
static size_t bin_of(struct tls_watch *w, const char *exe)
{
	size_t i = find_bin(w, exe);

	if (i < w->n)
		return i;
	if (w->n < TLS_WATCH_BINS) {
		i = w->n++;
	} else {
		i = w->next;
		w->next = (w->next + 1) % TLS_WATCH_BINS;
	}
	memset(&w->bins[i], 0, sizeof(w->bins[i]));
	w->warned[i] = w->fixed[i] = w->own[i] = false;
	snprintf(w->bins[i].exe, sizeof(w->bins[i].exe), "%s", exe);
	return i;
}

/* the loader's verdict on the binary pid runs (0, 1, -ENOENT, -EINPROGRESS
 * while it is scanned, -errno) */
static int loader_verdict(struct tls_watch *w, uint32_t pid, const char *label, char *msg,
			  size_t len)
{
	if (!w->loader) {
		snprintf(msg, len, "/proc/%u/exe: no loader", pid);
		return -ENOENT;
	}
	return loader_scan_tls_binary(w->loader, pid, label, msg, len);
}

/*
 * pid has a TLS library the loader hooks mapped (python loads libssl late),
 * and not Mozilla NSS (libcurl-nss maps libgnutls through its dependencies
 * while it speaks TLS through NSS)
 */
static bool maps_hooked_tls(uint32_t pid)
{
	char path[64], line[512];
	bool found = false, nss = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!nss && fgets(line, sizeof(line), f)) {
		found |= strstr(line, "/libssl.so") || strstr(line, "/libgnutls.so");
		nss = strstr(line, "/libssl3.so") || strstr(line, "/libnss3.so");
	}
	fclose(f);
	return found && !nss;
}

/* the name status shows for ev's binary */
static const char *exe_of(const struct event *ev)
{
	return ev->exe && ev->exe[0] ? ev->exe : ev->comm;
}

/* exe's TLS is read: by what it links (rc 0, 1), by a shared object with
 * its own TLS library it loaded (2), or by a shared library it loaded late */
static void hooked(struct tls_watch *w, const char *exe, int rc)
{
	size_t i = bin_of(w, exe);

	w->bins[i].verdict = TLS_WATCH_HOOKED;
	w->fixed[i] = rc == 0 || rc == 1;
	w->own[i] = rc == 0 || rc == 2;
	snprintf(w->bins[i].why, sizeof(w->bins[i].why), "%s",
		 rc == 0 ? "its own OpenSSL/BoringSSL, hooked" :
		 rc == 1 ? "a shared TLS library" :
		 rc == 2 ? "its own TLS library in a shared object it loaded, hooked" :
		 "a shared TLS library, loaded late");
}

/* the shared objects pid loaded (Copilot's runtime.node): 1 one with its
 * own TLS library is hooked, 0 none has one, -ENOENT one is not hooked */
static int objects_verdict(struct tls_watch *w, uint32_t pid, const char *label, char *msg,
			   size_t len)
{
	if (!w->loader)
		return 0;
	return loader_attach_tls_objects(w->loader, pid, label, msg, len);
}

/* exe's binary or an object it loaded is being scanned (off the loop):
 * its connections are judged when they end, unseen unless their plaintext
 * was read (RULES_TLS_PENDING) */
static void scanning(struct tls_watch *w, const char *exe)
{
	size_t i = bin_of(w, exe);

	w->bins[i].verdict = TLS_WATCH_SCANNING;
	snprintf(w->bins[i].why, sizeof(w->bins[i].why), "being scanned; meanwhile a connection "
		 "whose plaintext is not read counts as unseen when it ends");
}

/* the loader refused a file on a FUSE mount (-EREMOTE): warned once */
static void on_fuse(struct tls_watch *w, const char *msg)
{
	if (w->fuse_said) {
		am_debug("%s", msg);
		return;
	}
	w->fuse_said = true;
	am_warn("%s (said once)", msg);
}

void tls_watch_exec(struct tls_watch *w, const struct event *ev)
{
	char msg[TLS_MSG_MAX];
	struct exe_id id = exe_id_of(ev);
	/* a process already over is scanned by its exec's path */
	int rc = w->loader ? loader_scan_exec(w->loader, ev->pid, exe_of(ev), &id, msg, sizeof(msg)) :
		 loader_verdict(w, ev->pid, exe_of(ev), msg, sizeof(msg));

	if (rc == 0 || rc == -EINPROGRESS || rc == -ESTALE)
		am_debug("%s", msg);
	else if (rc == -EREMOTE)
		on_fuse(w, msg);
	if (rc != 0 && rc != 1)
		return; /* told at its first ClientHello: python loads libssl late;
			 * a scan's verdict comes in tls_watch_scanned */
	hooked(w, exe_of(ev), rc);
}

/* for a process already gone: its binary links a hooked library (read),
 * else not known (python loads libssl late, or not at all) */
static enum rules_tls known_verdict(struct tls_watch *w, const char *exe)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strncmp(w->bins[i].exe, exe, TLS_WATCH_EXE_MAX - 1) && w->fixed[i])
			return RULES_TLS_NONE;
	return RULES_TLS_PENDING;
}

/* the verdict on the TLS of live process ev->pid (tls_watch_hello) */
static enum rules_tls judge_pid(struct tls_watch *w, const struct event *ev, char *warn,
				size_t len)
{
	char msg[TLS_MSG_MAX], omsg[TLS_MSG_MAX];
	const char *exe = exe_of(ev);
	struct tls_watch_bin *b;
	size_t i;
	int rc = loader_verdict(w, ev->pid, exe, msg, sizeof(msg));
	int orc = objects_verdict(w, ev->pid, exe, omsg, sizeof(omsg));

	if (orc > 0)
		am_debug("%s", omsg);
	/* a shared library it loaded late (python's _ssl) is hooked, whatever
	 * its binary's scan says or will say */
	if (orc != -ENOENT && (rc == 0 || rc == 1 || orc > 0 ||
			       ((rc == -ENOENT || rc == -EINPROGRESS) && maps_hooked_tls(ev->pid)))) {
		hooked(w, exe, rc == 0 || rc == 1 ? rc : orc > 0 ? 2 : -1);
		return RULES_TLS_NONE;
	}
	if (orc != -ENOENT && (rc == -EINPROGRESS || orc == -EINPROGRESS)) {
		scanning(w, exe); /* judged again when the scan ends */
		return RULES_TLS_PENDING;
	}
	if (orc == -ENOENT) { /* a TLS library of its own in an object, not hooked */
		rc = -ENOENT;
		snprintf(msg, sizeof(msg), "%s", omsg);
	}
	/* no library recognised, or one that could not be read or hooked */
	i = bin_of(w, exe);
	b = &w->bins[i];
	b->verdict = TLS_WATCH_UNSEEN;
	snprintf(b->why, sizeof(b->why), "%s",
		 rc == -ENOENT ? "no TLS library agentmon hooks" : "its TLS library could not be hooked");
	if (!w->warned[i]) {
		w->warned[i] = true;
		snprintf(warn, len, "%s[%u] speaks TLS through a library agentmon does not "
			 "recognise: %s; its requests are judged by SNI and DNS names and by the "
			 "bytes it sends (unseen_tls)", exe, ev->pid, msg);
	}
	return RULES_TLS_UNSEEN;
}

/* whether process pid runs (its libraries can be told): its exe link
 * read, not followed (access(2) would ask the file system of its binary,
 * maybe a FUSE server the agent holds) */
static bool alive(uint32_t pid)
{
	char path[64], to[8];

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	return readlink(path, to, sizeof(to)) > 0;
}

enum rules_tls tls_watch_hello(struct tls_watch *w, const struct event *ev, char *warn,
			       size_t len)
{
	warn[0] = '\0';
	if (!alive(ev->pid))
		return known_verdict(w, exe_of(ev)); /* gone: its libraries cannot be told */
	return judge_pid(w, ev, warn, len);
}

bool tls_watch_own(const struct tls_watch *w, const struct event *ev)
{
	size_t i = find_bin(w, exe_of(ev));

	return i < w->n && w->bins[i].verdict == TLS_WATCH_HOOKED && w->own[i];
}

void tls_watch_scanned(struct tls_watch *w, const struct loader_scanned *r, char *warn,
		       size_t len)
{
	struct event ev = { .pid = r->pid, .exe = r->label };
	size_t i = find_bin(w, r->label);
	bool waiting = i < w->n && w->bins[i].verdict == TLS_WATCH_SCANNING;

	warn[0] = '\0';
	if (!r->label[0])
		return;
	if (waiting && alive(r->pid)) {
		judge_pid(w, &ev, warn, len); /* all it maps, from the cache now */
	} else if (r->rc == 0 || (r->rc == 1 && !r->object)) {
		hooked(w, r->label, r->object ? 2 : r->rc);
	} else if (waiting) {
		w->bins[i].verdict = TLS_WATCH_UNKNOWN;
		snprintf(w->bins[i].why, sizeof(w->bins[i].why), "scanned after its process "
			 "ended: %.120s", r->msg);
	}
}

/* a file name a process maps as a shared object: *.node, *.so, *.so.N[.N...] */
static bool object_name(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	return (n > 5 && !strcmp(b + n - 5, ".node")) || am_so_name(b);
}

void tls_watch_open(struct tls_watch *w, const struct event *ev)
{
	char msg[TLS_MSG_MAX];
	const struct event_file *f = &ev->file;
	int rc;

	if (!w->loader || ev->type != AM_EV_OPEN || !f->path || f->ret < 0 ||
	    f->write || !object_name(f->path))
		return;
	rc = loader_scan_object(w->loader, ev->pid, f->path, exe_of(ev), msg, sizeof(msg));
	if (rc == -EINPROGRESS)
		am_debug("%s", msg);
	else if (rc == -EREMOTE)
		on_fuse(w, msg);
}

enum rules_tls tls_watch_blind(struct tls_watch *w, const struct event *ev, char *warn,
			       size_t len)
{
	size_t i = bin_of(w, exe_of(ev));

	w->bins[i].verdict = TLS_WATCH_UNSEEN;
	w->fixed[i] = false;
	snprintf(w->bins[i].why, sizeof(w->bins[i].why), "hooked, yet its application data "
		 "showed no plaintext");
	warn[0] = '\0';
	if (!w->warned[i]) {
		w->warned[i] = true;
		snprintf(warn, len, "%s[%u]: its TLS library is hooked, yet a connection sent "
			 "application data and no plaintext was seen; its connections are judged "
			 "by SNI and DNS names and by the bytes they send (unseen_tls)",
			 exe_of(ev), ev->pid);
	}
	return RULES_TLS_UNSEEN;
}

const struct tls_watch_bin *tls_watch_bins(const struct tls_watch *w, size_t *n)
{
	*n = w->n;
	return w->bins;
}
