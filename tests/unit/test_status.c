// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_status.c - status figures: agents from the process cache, text and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agents.h"
#include "proc_cache.h"
#include "status.h"

#define STARTED 1795608000123456789ull /* 2026-11-25T12:00:00Z */

/* a status with a little of everything */
static const struct tls_watch_bin tls_sample[] = {
	{ "/usr/bin/node", TLS_WATCH_HOOKED, "its own OpenSSL/BoringSSL, hooked" },
	{ "/opt/x/claude", TLS_WATCH_UNSEEN, "no TLS library agentmon hooks" },
};

static void sample(struct status *s)
{
	status_init(s);
	s->pid = 4000;
	s->started_ns = STARTED;
	s->uptime_ns = 90061ull * 1000000000ull + 5; /* 1d 01h 01m 01s */
	strcpy(s->socket, "/run/agentmon/agentmon.sock");
	assert_int_equal(status_add_proc(s, "codex", 300), 0);
	assert_int_equal(status_add_proc(s, "claude", 200), 0);
	assert_int_equal(status_add_proc(s, "claude", 100), 0);
	assert_int_equal(status_add_proc(s, "claude", 200), 0);
	s->events[AM_EV_OPEN] = 50000;
	s->events[AM_EV_EXEC] = 3;
	s->events[AM_EV_DROP] = 1;
	s->drops[AM_EV_OPEN] = 12;
	s->alerts = 2;
	s->tail = (struct status_tail){ .connected = 2, .served = 5, .missed = 77, .gone = 3 };
	s->webhooks = (struct status_webhooks){ .count = 1, .delivered = 2, .spooled = 1,
						 .last_error = "connect: refused" };
	s->http = (struct status_http){ .heads_incomplete = 3, .conns_evicted = 1,
					  .answers_unattributed = 2, .answers_unattributed_bytes = 900 };
	s->degraded = (struct status_degraded){ .undecodable = 3, .tags_lost = 2,
						 .tag_writes_failed = 1, .scratch_busy = 4,
						 .tls_no_socket = 5, .tag_bits_lost = 6 };
	s->tls_bins = tls_sample;
	s->n_tls_bins = 2;
	s->gaps[0] = (struct loader_gap){ .hook = "cgroup sock hooks", .why = "3/4 attached",
					  .agent = true };
	s->n_gaps = 1;
	s->tls_uprobes = (struct status_tls_uprobes){ .hooked = true, .scoped = true,
		.processes = 3, .attaches = 2, .fds = 24, .attached = 5,
		.inherited = 7, .guarded = 6, .full_guards = 2, .failed = 1, .unsure = 4 };
	s->scans = (struct status_scans){ .thread = true, .depth = 1, .queued = 9, .done = 8,
		.timed_out = 1, .failed = 2, .dropped = 3, .stale = 4, .max_ms = 2500, .evicted = 7, .untold = 2,
		.cache_hits = 6, .cache_failed = 1, .cache = "/var/lib/agentmon/tls-cache",
		.exe_by_path = 3, .exe_gone = 5, .exe_mismatch = 1, .on_fuse = 2 };
}

static void test_agents_sorted_counted(void **state)
{
	struct status s;

	sample(&s);
	assert_int_equal(s.n_agents, 3);
	assert_string_equal(s.agents[0].name, "claude");
	assert_int_equal(s.agents[0].agent_pid, 100);
	assert_int_equal(s.agents[0].procs, 1);
	assert_int_equal(s.agents[1].agent_pid, 200);
	assert_int_equal(s.agents[1].procs, 2);
	assert_string_equal(s.agents[2].name, "codex");
	status_release(&s);
	assert_null(s.agents);
}

/* live tagged processes of the cache count; untagged and dead ones do not */
static void test_agents_from_cache(void **state)
{
	struct agents *names = agents_new_default();
	struct proc_cache *pc = proc_cache_new();
	uint32_t claude = agents_intern(names, "claude");
	struct proc_info *p;
	struct status s;

	p = proc_cache_upsert(pc, (uint32_t)getpid());
	p->agent_id = claude;
	p->agent_pid = (uint32_t)getppid();
	p = proc_cache_upsert(pc, (uint32_t)getppid());
	p->agent_id = claude;
	p->agent_pid = (uint32_t)getppid();
	proc_cache_upsert(pc, 1); /* untagged */
	p = proc_cache_upsert(pc, 0x7ffffff0u); /* no such process: its exit was lost */
	p->agent_id = claude;
	p->agent_pid = 0x7ffffff0u;
	status_init(&s);
	assert_int_equal(status_add_agents(&s, pc, names), 0);
	assert_int_equal(s.n_agents, 1);
	assert_string_equal(s.agents[0].name, "claude");
	assert_int_equal(s.agents[0].agent_pid, getppid());
	assert_int_equal(s.agents[0].procs, 2);
	status_release(&s);
	/* a client of another uid sees none of them; of theirs, all */
	status_init(&s);
	s.own_uid = true;
	s.uid = proc_cache_get(pc, (uint32_t)getpid())->uid + 1;
	assert_int_equal(status_add_agents(&s, pc, names), 0);
	assert_int_equal(s.n_agents, 0);
	status_release(&s);
	status_init(&s);
	s.own_uid = true;
	s.uid = proc_cache_get(pc, (uint32_t)getpid())->uid;
	assert_int_equal(status_add_agents(&s, pc, names), 0);
	assert_int_equal(s.n_agents, 1);
	status_release(&s);
	proc_cache_free(pc);
	agents_free(names);
}

static void test_text(void **state)
{
	struct status s;
	struct jw w;

	sample(&s);
	jw_init(&w);
	assert_int_equal(status_format(&s, false, &w), 0);
	assert_non_null(strstr(w.buf, "uptime:         1d 01h 01m 01s (since 2026-11-25T12:00:00Z)\n"));
	assert_non_null(strstr(w.buf, "collector:      pid 4000, socket /run/agentmon/agentmon.sock\n"));
	assert_non_null(strstr(w.buf, "agents:         3 tagged\n"
				      "  claude:       root pid 100, 1 process\n"
				      "  claude:       root pid 200, 2 processes\n"
				      "  codex:        root pid 300, 1 process\n"));
	assert_non_null(strstr(w.buf, "events:         50004\n  exec:         3\n"
				      "  open:         50000\n  drop:         1\n"));
	assert_non_null(strstr(w.buf, "drops:          12\n  open:         12\nalerts:"));
	assert_non_null(strstr(w.buf, "alerts:         2 (0 more folded into alert_storm summaries)\n"));
	assert_non_null(strstr(w.buf, "tail clients:   2 connected, 5 served, 77 events missed, "
				      "3 gone, 0 refused\n"));
	assert_non_null(strstr(w.buf, "recording:      off\n"));
	assert_non_null(strstr(w.buf, "  missing now:  cgroup sock hooks: 3/4 attached\n"));
	assert_non_null(strstr(w.buf, "export:         none\n"));
	assert_non_null(strstr(w.buf, "http:           3 heads judged incomplete, 0 partial heads "
			       "evicted, 0 cut by the budget, 1 connections evicted, 0 upload "
			       "counts evicted, 2 socketless TLS answer reads (900 bytes) not "
			       "attributed\n"));
	assert_non_null(strstr(w.buf, "webhooks:       1: 2 delivered, 0 queued, 1 spooled, "
				      "0 failed attempts, 0 rejected, 0 dropped (queue full), 0 expired\n"
				      "  last error:   connect: refused\n"));
	assert_non_null(strstr(w.buf, "degraded:       3 undecodable records, 2 tags lost "
				      "(tagged map full), 1 tag writes failed, 4 records lost "
				      "(scratch buffers busy), 5 TLS records without socket, 6 tag bits lost\n"));
	assert_non_null(strstr(w.buf, "tls uprobes:    per agent process: 3 covered by 2 attaches "
				      "(24 perf fds); since start 5 attaches, 7 covered at "
				      "fork (6 guarded, 2 full), 1 not covered, 4 connections "
				      "opened before their uprobes\n"));
	assert_non_null(strstr(w.buf, "tls scans:      off the event loop; 1 waiting, 9 queued, "
				      "8 done (1 timed out, 2 failed), 3 dropped (queue full), 4 "
				      "changed while read, 7 verdicts evicted, 2 joiners untold; longest "
				      "2500 ms\n  exe by path:  3 scanned (process over before "
				      "/proc/PID/exe was opened: the file at its exec's path, the one "
				      "the kernel ran), 5 not found, 1 refused (another file at the "
				      "path)\n  on fuse:      2 files not opened nor scanned (on a "
				      "FUSE mount, or one the collector cannot see: its server could "
				      "block the event loop); their TLS is judged unseen\n  cache:        "
				      "/var/lib/agentmon/tls-cache: 6 hits (hooked unscanned), 1 "
				      "write failed\n"));
	assert_non_null(strstr(w.buf, "tls binaries:   2 (hooked: plaintext read; unseen: judged "
				      "by bytes, unseen_tls)\n  hooked:       /usr/bin/node (its own "
				      "OpenSSL/BoringSSL, hooked)\n  unseen:       /opt/x/claude (no TLS "
				      "library agentmon hooks)\n"));
	jw_reset(&w);
	s.tls_uprobes.scoped = false;
	strcpy(s.tls_uprobes.wide_why, "no tracefs uprobe events: Permission denied");
	status_format(&s, false, &w);
	assert_non_null(strstr(w.buf, "tls uprobes:    system-wide (every process traps on TLS "
				      "calls: no tracefs uprobe events: Permission denied)\n"));
	jw_reset(&w);
	s.recording = (struct status_recording){ .enabled = true, .dir = "/var/t",
		.file = "/var/t/a.amtrace", .bytes = 4096, .files = 1, .masked = 40,
		.scrub_evicted = 2, .scrub_h2_lost = 1, .scrub_h2_resumed = 3, .scrub_h2_cut_kept = 4,
		.scrub_h2_as_text = 5 };
	status_format(&s, false, &w);
	assert_non_null(strstr(w.buf, "recording:      on, /var/t, writing /var/t/a.amtrace, "
				      "1 file, 4096 bytes\n"));
	assert_non_null(strstr(w.buf, "  secrets:      40 bytes masked; 2 streams' state evicted, "
				      "1 HTTP/2 header tables lost, 3 HTTP/2 streams met mid-way, "
				      "4 cut symbols kept, 5 HTTP/2 streams maybe read as text\n"));
	jw_reset(&w);
	s.recording.failed = true;
	strcpy(s.recording.reason, "disk full");
	status_format(&s, false, &w);
	assert_non_null(strstr(w.buf, "recording:      failed in /var/t: disk full\n"));
	jw_free(&w);
	status_release(&s);
}

static void test_json(void **state)
{
	struct status s;
	struct jw w;

	sample(&s);
	jw_init(&w);
	assert_int_equal(status_format(&s, true, &w), 0);
	assert_string_equal(w.buf,
		"{\"pid\":4000,\"started\":\"2026-11-25T12:00:00Z\",\"uptime_s\":90061,"
		"\"socket\":\"/run/agentmon/agentmon.sock\",\"agents\":["
		"{\"name\":\"claude\",\"agent_pid\":100,\"processes\":1},"
		"{\"name\":\"claude\",\"agent_pid\":200,\"processes\":2},"
		"{\"name\":\"codex\",\"agent_pid\":300,\"processes\":1}],"
		"\"events\":{\"total\":50004,\"exec\":3,\"open\":50000,\"drop\":1},"
		"\"drops\":{\"total\":12,\"open\":12},\"alerts\":2,\"alerts_folded\":0,\"agent_hooks\":false,\"hooks\":null,"
		"\"hook_gaps\":[{\"hook\":\"cgroup sock hooks\",\"why\":\"3/4 attached\","
		"\"agent_hook\":true}],"
		"\"tail\":{\"connected\":2,\"served\":5,\"missed\":77,\"gone\":3,\"refused\":0,"
		"\"timed_out\":0,\"evicted\":0},"
		"\"recording\":{\"enabled\":false,\"dir\":null,\"file\":null,\"bytes\":0,"
		"\"files\":0,\"entries\":0,\"lost\":0,\"pruned\":0,\"secrets_masked\":0,"
		"\"scrub_evicted\":0,\"scrub_h2_lost\":0,\"scrub_h2_resumed\":0,\"scrub_h2_cut_kept\":0,\"scrub_h2_as_text\":0,\"failed\":false,\"reason\":null},"
		"\"webhooks\":{\"count\":1,\"queued\":0,\"delivered\":2,\"spooled\":1,\"failed\":0,"
		"\"rejected\":0,\"dropped\":0,\"expired\":0,\"last_error\":\"connect: refused\"},"
		"\"export\":null,"
		"\"http\":{\"heads_incomplete\":3,\"heads_evicted\":0,\"heads_budget\":0,"
		"\"conns_evicted\":1,\"uploads_evicted\":0,\"answers_unattributed\":2,"
		"\"answers_unattributed_bytes\":900},"
		"\"degraded\":{\"undecodable_records\":3,\"tags_lost\":2,"
		"\"tag_writes_failed\":1,\"scratch_busy\":4,\"tls_no_socket\":5,\"tag_bits_lost\":6},"
		"\"resources\":{\"fds_open\":0,\"fds_limit\":0,\"links\":0,\"link_budget\":0,"
		"\"links_per_binary\":0,\"links_released\":0,\"links_refused\":0,\"rss_bytes\":0,"
		"\"conn_bytes\":0,\"conn_budget\":0,\"conn_evicted\":0,\"llm_evicted\":0,"
		"\"llm_unread\":0,\"llm_inflate_cut\":0,"
		"\"agent_names\":0,\"agent_names_max\":0,\"agent_names_recycled\":0,"
		"\"agent_names_refused\":0},"
		"\"tls_uprobes\":{\"scope\":\"process\","
		"\"system_wide_why\":null,\"processes\":3,\"attaches\":2,\"perf_fds\":24,"
		"\"attached\":5,\"covered_at_fork\":7,\"guarded\":6,\"full_guards\":2,\"not_covered\":1,"
		"\"unsure_connections\":4},"
		"\"tls_scans\":{\"thread\":true,\"depth\":1,\"queued\":9,\"done\":8,"
		"\"timed_out\":1,\"failed\":2,\"dropped\":3,\"stale\":4,\"max_ms\":2500,\"cache_hits\":6,\"evicted\":7,\"untold\":2,"
		"\"exe_by_path\":3,\"exe_gone\":5,\"exe_mismatch\":1,\"on_fuse\":2},"
		"\"tls_binaries\":["
		"{\"exe\":\"/usr/bin/node\",\"verdict\":\"hooked\","
		"\"why\":\"its own OpenSSL/BoringSSL, hooked\"},"
		"{\"exe\":\"/opt/x/claude\",\"verdict\":\"unseen\","
		"\"why\":\"no TLS library agentmon hooks\"}]}\n");
	/* appended after other text: a value of its own, no comma before it */
	jw_reset(&w);
	jw_raw(&w, "x", 1);
	w.comma = true;
	status_format(&s, true, &w);
	assert_true(!strncmp(w.buf, "x{\"pid\":4000,", 13));
	jw_free(&w);
	status_release(&s);
}

/* a client that is not root: its agents, none of the monitor-wide figures */
/* export.nats on: its lines in text, its object in JSON */
static void test_export(void **state)
{
	struct status s;
	struct jw w;

	(void)state;
	sample(&s);
	s.export = (struct export_status){ .on = true, .connected = false, .events = true,
		.url = "tls://nats:4222", .subject = "agentmon.laptop_a", .queued = 1,
		.inflight = 2, .spooled = 3, .spool_bytes = 4096, .acked = 5, .duplicates = 1,
		.failed = 6, .lost = 7, .damaged = 8, .last_error = "no JetStream stream" };
	jw_init(&w);
	assert_int_equal(status_format(&s, false, &w), 0);
	jw_raw(&w, "", 1);
	assert_non_null(strstr(w.buf, "export:         nats tls://nats:4222 (not connected), "
				      "subject agentmon.laptop_a.<type>, alerts and events\n"
				      "  messages:     5 acked (1 duplicates), 1 queued, 2 in flight, "
				      "3 spooled (4096 bytes), 6 failed attempts, 7 lost, 8 damaged\n"
				      "  last error:   no JetStream stream\n"));
	jw_reset(&w);
	assert_int_equal(status_format(&s, true, &w), 0);
	jw_raw(&w, "", 1);
	assert_non_null(strstr(w.buf, "\"export\":{\"url\":\"tls://nats:4222\","
				      "\"subject\":\"agentmon.laptop_a\",\"connected\":false,"
				      "\"events\":true,\"queued\":1,\"inflight\":2,\"spooled\":3,"
				      "\"spool_bytes\":4096,\"acked\":5,\"duplicates\":1,\"failed\":6,"
				      "\"lost\":7,\"damaged\":8,\"last_error\":\"no JetStream stream\"}"));
	jw_free(&w);
	status_release(&s);
}

static void test_not_root(void **state)
{
	struct status s;
	struct jw w;

	sample(&s);
	s.own_uid = true;
	jw_init(&w);
	status_format(&s, true, &w);
	assert_non_null(strstr(w.buf, "\"agents\":["));
	for (const char *const *k = (const char *const[]){ "events", "drops", "alerts", "tail",
		"recording", "webhooks", "http", "degraded", "resources", "tls_uprobes",
		"tls_binaries", NULL }; *k; k++) {
		char key[32];

		snprintf(key, sizeof(key), "\"%s\":", *k);
		assert_null(strstr(w.buf, key));
	}
	jw_reset(&w);
	status_format(&s, false, &w);
	assert_non_null(strstr(w.buf, "figures:        monitor-wide figures are shown to root only\n"));
	assert_null(strstr(w.buf, "degraded"));
	assert_null(strstr(w.buf, "/opt/x/claude"));
	jw_free(&w);
	status_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agents_sorted_counted),
		cmocka_unit_test(test_agents_from_cache),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_not_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
