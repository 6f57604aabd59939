// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * webhook_config.c - what a webhook's configuration meets, at a policy's
 * check and at webhook_new: its secret file (only its owner may read or
 * change it; at most WEBHOOK_SECRET_MAX bytes, wiped when refused) and its
 * URL (plain http:// to another host is warned).  Apart from the delivery
 * (webhook.c); see webhook.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webhook.h"

/* path opened for reading when only its owner may read or write it; -errno, err set */
static int open_secret(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "secret_file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "secret_file %s: mode %04o lets group or others read or "
			 "change it (chmod 600 it)", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* the secret from path (owner-only), trailing newlines stripped */
int webhook_secret_read(const char *path, unsigned char **out, size_t *len, char *err,
			size_t errlen)
{
	int fd = open_secret(path, err, errlen);
	unsigned char *buf;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return fd;
	buf = malloc(WEBHOOK_SECRET_MAX + 1);
	n = buf ? read(fd, buf, WEBHOOK_SECRET_MAX + 1) : -1;
	close(fd);
	if (n < 0 || n > WEBHOOK_SECRET_MAX) {
		snprintf(err, errlen, "secret_file %s: %s", path,
			 n < 0 ? "cannot read" : "longer than 4096 bytes");
		goto fail;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (!n) {
		snprintf(err, errlen, "secret_file %s: empty", path);
		goto fail;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
fail:
	if (buf)
		explicit_bzero(buf, WEBHOOK_SECRET_MAX + 1); /* what was read of it */
	free(buf);
	return -EINVAL;
}

/* the host of url (after scheme://, without userinfo and port) into host */
static void url_host(const char *url, char *host, size_t len)
{
	const char *p = strstr(url, "://"), *end, *at;
	size_t n;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		n = rb ? (size_t)(rb - p - 1) : (size_t)(end - p);
		p++;
	} else {
		n = strcspn(p, ":/?#");
	}
	snprintf(host, len, "%.*s", (int)n, p);
}

bool webhook_url_insecure(const char *url)
{
	char host[256];

	if (strncasecmp(url, "http://", 7))
		return false;
	url_host(url, host, sizeof(host));
	return strcasecmp(host, "localhost") && strncmp(host, "127.", 4) && strcmp(host, "::1");
}

int webhook_check(const struct policy_webhook *cfg, char *warn, size_t warnlen, char *err,
		  size_t errlen)
{
	int fd;

	warn[0] = '\0';
	if (webhook_url_insecure(cfg->url))
		snprintf(warn, warnlen, "webhook at line %d: plain http:// to a host that is not "
			 "this machine: alerts (and their signature) travel unencrypted", cfg->line);
	if (!cfg->secret_file)
		return 0;
	if ((fd = open_secret(cfg->secret_file, err, errlen)) < 0)
		return fd;
	close(fd);
	return 0;
}

int webhook_check_policy(const struct policy *p, webhook_warn_fn warn, void *arg, char *err,
			 size_t errlen)
{
	char w[256], line[384], why[400];
	int ret;

	for (size_t i = 0; i < p->n_webhooks; i++) {
		ret = webhook_check(&p->webhooks[i], w, sizeof(w), why, sizeof(why));
		if (w[0] && warn) {
			snprintf(line, sizeof(line), "%s: %s", p->source, w);
			warn(arg, line);
		}
		if (ret) {
			snprintf(err, errlen, "%s:%d: %s", p->source, p->webhooks[i].line, why);
			return ret;
		}
	}
	return 0;
}
