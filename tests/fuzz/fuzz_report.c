// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_report.c - libFuzzer target: a session report of hostile strings.
 * The input, split at NUL bytes, gives an agent's name, comm, argv, paths,
 * host, method, request path, alert summary and intent; the events made of
 * them (exec, write, rename, delete, http, alert) are reported and rendered.
 * Asserted: the HTML holds no tag but the renderer's own, the JSON parses,
 * the text holds no control byte but newlines.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report.h"

enum { F_AGENT, F_COMM, F_ARGV, F_PATH, F_NEW, F_HOST, F_METHOD, F_URL, F_SUMMARY,
       F_TOOL, F_PROMPT, F_N };

static const char *const TAGS[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
	"div", "span", "b", "code", "q", "table", "thead", "tbody", "tr", "th", "td", "ul",
	"li", "a", "br", "section", "input", "script",
};

/* every '<' that opens a tag opens one of TAGS */
static void check_html(const char *s)
{
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		const char *t = p + 1 + (p[1] == '/');
		size_t n = strspn(t, "!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		bool ok = !isalpha((unsigned char)*t) && *t != '!'; /* "indexOf(q)<0" */

		for (size_t i = 0; !ok && i < sizeof(TAGS) / sizeof(TAGS[0]); i++)
			ok = strlen(TAGS[i]) == n && !strncmp(t, TAGS[i], n);
		if (!ok) {
			fprintf(stderr, "tag not the renderer's: %.60s\n", p);
			abort();
		}
	}
}

static char *render(const struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || report_write(r, f, fmt))
		abort();
	fclose(f);
	return buf;
}

static void events(struct report *r, const char **f, const char *argv, size_t argv_len)
{
	struct event_intent in = { .tool = f[F_TOOL], .input = f[F_ARGV], .prompt = f[F_PROMPT] };
	struct event_alert a = { .rule = "outbound_post", .severity = "high",
				 .summary = f[F_SUMMARY], .chain = f[F_COMM],
				 .cause_type = AM_EV_HTTP, .count = 1, .intent = &in };
	struct event ev = { .ts_ns = 1, .pid = 7, .ppid = 1, .agent_pid = 7, .agent = f[F_AGENT] };

	snprintf(ev.comm, sizeof(ev.comm), "%s", f[F_COMM]);
	ev.type = AM_EV_EXEC;
	ev.exec = (struct event_exec){ .filename = f[F_PATH], .argv = argv, .argv_len = argv_len,
				       .argc = 64 };
	report_event(r, &ev);
	memset(&ev.exec, 0, sizeof(ev.exec));
	ev.type = AM_EV_OPEN;
	ev.file = (struct event_file){ .path = f[F_PATH], .write = true };
	report_event(r, &ev);
	ev.type = AM_EV_RENAME;
	ev.file.new_path = f[F_NEW];
	report_event(r, &ev);
	ev.type = AM_EV_UNLINK;
	report_event(r, &ev);
	memset(&ev.file, 0, sizeof(ev.file));
	ev.type = AM_EV_HTTP;
	ev.http = (struct event_http){ .method = f[F_METHOD], .host = f[F_HOST], .path = f[F_URL],
				       .bytes = 3, .net = { .family = AF_INET, .dport = 80,
							    .host = f[F_HOST] } };
	report_event(r, &ev);
	ev.type = AM_EV_ALERT;
	ev.alert = &a;
	report_event(r, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *html, *text, *js;
	const char *f[F_N];
	struct report *r = report_new(NULL);
	size_t off = 0;
	json_t *j;

	if (!buf || !r)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (int i = 0; i < F_N; i++) {
		f[i] = buf + off;
		off += strlen(buf + off) + 1;
		if (off > size)
			off = size; /* the NUL at buf[size]: empty fields */
	}
	if (!*f[F_AGENT])
		f[F_AGENT] = "a";
	events(r, f, f[F_ARGV], size - (size_t)(f[F_ARGV] - buf));
	report_note(r, "%s", f[F_PATH]);
	html = render(r, REPORT_HTML);
	text = render(r, REPORT_TEXT);
	js = render(r, REPORT_JSON);
	check_html(html);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			abort();
	if (!(j = json_loads(js, 0, NULL)))
		abort();
	json_decref(j);
	free(html);
	free(text);
	free(js);
	report_free(r);
	free(buf);
	return 0;
}
