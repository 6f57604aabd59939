// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * nats_pub.c - a tiny JetStream client for the fleet tail's test, standing
 * for the exporters of several hosts (libnats, as the collector uses).
 *
 *   nats_pub URL USER PASSWORD CA stream NAME SUBJECTS   create the stream
 *   nats_pub URL USER PASSWORD CA pub < LINES             publish
 *
 * A line of LINES is "SUBJECT<TAB>BODY": BODY (the rest of the line, bytes
 * as they are) is published on SUBJECT with a Nats-Msg-Id of its own, and
 * the server's ack waited for.  CA "-": no TLS.  Exit 0, or 1 with a line
 * on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

static int die(const char *what, natsStatus s)
{
	fprintf(stderr, "nats_pub: %s: %s (%s)\n", what, natsStatus_GetText(s),
		nats_GetLastError(NULL));
	return 1;
}

static int create_stream(jsCtx *js, const char *name, const char *subject)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	const char *subjects[] = { subject };
	natsStatus s;

	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	s = js_AddStream(&si, js, &cfg, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	return s == NATS_OK ? 0 : die("add stream", s);
}

static int publish(jsCtx *js)
{
	char *line = NULL, id[64];
	size_t cap = 0;
	ssize_t n;
	unsigned long k = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		char *tab = memchr(line, '\t', (size_t)n);
		jsPubOptions po;
		jsPubAck *pa = NULL;
		jsErrCode jerr = 0;
		natsStatus s;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!tab)
			continue;
		*tab = '\0';
		jsPubOptions_Init(&po);
		snprintf(id, sizeof(id), "test-%d-%lu", (int)getpid(), ++k);
		po.MsgId = id;
		s = js_Publish(&pa, js, line, tab + 1, (int)(line + n - tab - 1), &po, &jerr);
		jsPubAck_Destroy(pa);
		if (s != NATS_OK) {
			free(line);
			return die("publish", s);
		}
	}
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsOptions *no = NULL;
	jsCtx *js = NULL;
	natsStatus s;
	int ret;

	if (argc < 6 || (!strcmp(argv[5], "stream") && argc != 8)) {
		fprintf(stderr, "usage: nats_pub URL USER PASSWORD CA stream NAME SUBJECTS | pub\n");
		return 2;
	}
	s = natsOptions_Create(&no);
	if (s == NATS_OK)
		s = natsOptions_SetURL(no, argv[1]);
	if (s == NATS_OK)
		s = natsOptions_SetUserInfo(no, argv[2], argv[3]);
	if (s == NATS_OK && strcmp(argv[4], "-"))
		s = natsOptions_LoadCATrustedCertificates(no, argv[4]);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, no);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK)
		return die("connect", s);
	ret = !strcmp(argv[5], "stream") ? create_stream(js, argv[6], argv[7]) : publish(js);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(no);
	nats_Close();
	return ret;
}
