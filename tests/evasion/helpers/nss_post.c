// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * nss_post.c - an HTTPS POST through libcurl's NSS flavour (libcurl-nss.so.4,
 * TLS by Mozilla NSS, a TLS library agentmon has no uprobe for), loaded with
 * dlopen, for the evasion tests (tests/evasion/).
 *   nss_post URL BYTES RESOLVE   POST BYTES bytes of 'A' to URL; RESOLVE is
 *                                curl's "HOST:PORT:ADDR"; certificate not
 *                                checked.  Exit 0 on a 2xx answer.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

int main(int argc, char **argv)
{
	void *lib = dlopen("libcurl-nss.so.4", RTLD_NOW);
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	const char *(*strerr)(CURLcode);
	struct curl_slist *(*append)(struct curl_slist *, const char *);
	const curl_version_info_data *(*version)(CURLversion);
	struct curl_slist *resolve;
	size_t n;
	char *body;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if (argc != 4) {
		fprintf(stderr, "usage: nss_post URL BYTES HOST:PORT:ADDR\n");
		return 2;
	}
	if (!lib) {
		fprintf(stderr, "nss_post: %s\n", dlerror());
		return 3;
	}
	*(void **)&init = dlsym(lib, "curl_easy_init");
	*(void **)&setopt = dlsym(lib, "curl_easy_setopt");
	*(void **)&perform = dlsym(lib, "curl_easy_perform");
	*(void **)&getinfo = dlsym(lib, "curl_easy_getinfo");
	*(void **)&strerr = dlsym(lib, "curl_easy_strerror");
	*(void **)&append = dlsym(lib, "curl_slist_append");
	*(void **)&version = dlsym(lib, "curl_version_info");
	if (!init || !setopt || !perform || !getinfo || !strerr || !append || !version)
		return 3;
	if (!version(CURLVERSION_NOW)->ssl_version ||
	    strncmp(version(CURLVERSION_NOW)->ssl_version, "NSS", 3)) {
		fprintf(stderr, "nss_post: libcurl-nss does not use NSS\n");
		return 3;
	}
	n = (size_t)atol(argv[2]);
	body = malloc(n + 1);
	if (!body || !(c = init()))
		return 1;
	memset(body, 'A', n);
	resolve = append(NULL, argv[3]);
	setopt(c, CURLOPT_URL, argv[1]);
	setopt(c, CURLOPT_RESOLVE, resolve);
	setopt(c, CURLOPT_POSTFIELDS, body);
	setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
	setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	setopt(c, CURLOPT_TIMEOUT, 10L);
	setopt(c, CURLOPT_WRITEFUNCTION, sink);
	rc = perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "nss_post: %s\n", strerr(rc));
		return 1;
	}
	getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code >= 200 && code < 300 ? 0 : 1;
}
