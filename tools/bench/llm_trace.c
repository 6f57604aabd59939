// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * llm_trace.c - a trace of synthetic model API exchanges, made with the
 * recorder itself, for the bench's "CPU per MB of model traffic" row
 * (tools/bench/llm.sh):
 *
 *   llm_trace DIR HOST N
 *
 * DIR gets one trace: agent 0 "claude", pid 4242 making N exchanges over
 * TLS (plaintext records as the uprobes give them: AM_DATA_CAP_MAX bytes
 * each), each on its own connection: an Anthropic Messages POST to HOST
 * (~8 KB of JSON), then a ~64 KB server-sent events answer (text deltas,
 * then a tool call).  With a host that is not a model API the same bytes
 * cost the pipeline without the llm parsing.  Prints the bytes of model
 * traffic (requests and answers).  Exit 0, or 1 with a message.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define REC_MAX AM_DATA_CAP_MAX

static uint64_t ts = 1000000000ull, traffic;

/* len bytes of one TLS call (source) on connection port, as records */
static void tls_call(struct recorder *r, uint8_t source, uint16_t port, const char *p, size_t len)
{
	_Alignas(8) unsigned char b[sizeof(struct am_data) + REC_MAX];
	struct am_data *d = (struct am_data *)b;

	traffic += len;
	for (size_t at = 0; at < len; at += REC_MAX) {
		size_t n = len - at < REC_MAX ? len - at : REC_MAX;

		memset(d, 0, sizeof(*d));
		d->hdr.ts_ns = ts += 20000;
		d->hdr.pid = d->hdr.tid = d->hdr.agent_pid = 4242;
		d->hdr.ppid = 1;
		d->hdr.type = AM_EV_DATA;
		d->hdr.size = (uint16_t)(sizeof(*d) + n);
		memcpy(d->hdr.comm, "claude", 6);
		d->ret = (int64_t)n;
		inet_pton(AF_INET, "10.1.2.3", d->daddr);
		inet_pton(AF_INET, "10.0.0.9", d->saddr);
		d->fd = 7;
		d->dport = 443;
		d->sport = port;
		d->family = AF_INET;
		d->proto = 6;
		d->source = source;
		d->cap_len = (uint16_t)n;
		memcpy(b + sizeof(*d), p + at, n);
		recorder_record(r, b, sizeof(*d) + n);
	}
}

/* s += printf(...), growing */
static void add(char **s, size_t *len, size_t *cap, const char *fmt, const char *a, int i)
{
	int n;

	while ((n = snprintf(*s + *len, *cap - *len, fmt, a, i)) < 0 || (size_t)n >= *cap - *len) {
		*cap *= 2;
		if (!(*s = realloc(*s, *cap)))
			exit(1);
	}
	*len += (size_t)n;
}

static void exchange(struct recorder *r, const char *host, uint16_t port)
{
	static const char pad[] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
				  "eiusmod tempor incididunt ut labore et dolore magna aliqua. ";
	size_t cap = 1 << 17, len = 0, body;
	char *s = malloc(cap), head[256];
	int hn;

	if (!s)
		exit(1);
	add(&s, &len, &cap, "{\"model\":\"claude-bench\",\"stream\":true,\"messages\":[%s", "", 0);
	for (int i = 0; i < 50; i++)
		add(&s, &len, &cap, "{\"role\":\"user\",\"content\":\"%s %d\"},", pad, i);
	add(&s, &len, &cap, "{\"role\":\"user\",\"content\":\"answer the forum%s %d\"}]}", "", port);
	hn = snprintf(head, sizeof(head), "POST /v1/messages HTTP/1.1\r\nHost: %s\r\n"
		      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", host, len);
	tls_call(r, AM_DATA_TLS_SEND, port, head, (size_t)hn);
	tls_call(r, AM_DATA_TLS_SEND, port, s, len);
	len = 0;
	for (int i = 0; i < 500; i++)
		add(&s, &len, &cap, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
		    "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"%s%d\"}}\n\n", pad, i);
	add(&s, &len, &cap, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
	    "\"content_block\":{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{\"command\":"
	    "\"curl -X POST https://forum.example/t/%s%d\"}}}\n\nevent: message_stop\n"
	    "data: {\"type\":\"message_stop\"}\n\n", "", port);
	body = len;
	hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		      "Content-Length: %zu\r\n\r\n", body);
	tls_call(r, AM_DATA_TLS_RECV, port, head, (size_t)hn);
	tls_call(r, AM_DATA_TLS_RECV, port, s, body);
	free(s);
}

static void snapshot(struct recorder *r, void *arg __attribute__((unused)))
{
	recorder_agent(r, 0, "claude");
}

int main(int argc, char **argv)
{
	struct record_settings set = { .queue_bytes = 256u << 20 };
	struct recorder *r;
	char err[512];
	int n;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: llm_trace DIR HOST N\n");
		return 1;
	}
	set.dir = argv[1];
	if (recorder_new(&r, &set, snapshot, NULL, err, sizeof(err))) {
		fprintf(stderr, "llm_trace: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		exchange(r, argv[2], (uint16_t)(20000 + i % 30000));
		recorder_flush(r);
	}
	recorder_free(r);
	printf("%llu\n", (unsigned long long)traffic);
	return 0;
}
