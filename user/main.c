// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* main.c - parse the command line and dispatch to a subcommand. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "common.h"
#include "doctor.h"
#include "launch.h"
#include "export.h"
#include "metrics.h"
#include "policy.h"
#include "tail.h"
#include "replay.h"
#include "report.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct command *current;

/* one line on stderr, exit status 2 */
static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "agentmon %s: ", current->name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'agentmon %s --help')\n", current->name);
	return AM_EXIT_USAGE;
}

/* getopt's view of a bad option, as one line */
static int bad_option(char **argv)
{
	return usage_error("unknown option or missing value at '%s'", argv[optind - 1]);
}

static int help(void)
{
	printf("usage: %s", current->usage);
	return AM_EXIT_OK;
}

static const char RUN_USAGE[] =
	"agentmon run [--config FILE] [--format text|json] [--record DIR | --no-record]\n"
	"             [--socket PATH] [--socket-group GROUP] [--ringbuf-size BYTES]\n"
	"             [--capture-bytes N] [--conn-memory BYTES] [--idle-detach T]\n"
	"             [--print all|alerts|none] [--pin-dir DIR | --no-pin]\n"
	"             [--request-timeout SECS] [--tls-uprobes system|process]\n"
	"             [--tls-cache FILE|none] [--metrics ADDR:PORT] [--host-id ID] [-v]\n"
	"  Load the BPF programs, tag agents and print their events until SIGINT/SIGTERM.\n"
	"  --config FILE        policy file (default " AM_DEFAULT_CONFIG " if present,\n"
	"                       else the embedded default policy)\n"
	"  --format text|json   text for people (default, compact: see --verbose), JSON\n"
	"                       Lines for machines (every event)\n"
	"  --record DIR         record traces in DIR (default: the policy's record.dir,\n"
	"                       else " AM_DEFAULT_TRACES ")\n"
	"  --no-record          do not record traces\n"
	"  --socket PATH        control socket (default " AM_DEFAULT_SOCKET ")\n"
	"  --socket-group GROUP socket mode 0660 root:GROUP: GROUP's members may tail,\n"
	"                       launch and ask for status (default: 0600, root only)\n"
	"  --ringbuf-size BYTES ring buffer size, power of two (default 16M; k/m/g suffixes)\n"
	"  --capture-bytes N    bytes of each socket write or TLS call captured for\n"
	"                       request parsing (64-4096, default 1024)\n"
	"  --conn-memory BYTES  memory for all per-connection state (tracked connections,\n"
	"                       request buffers, HTTP/2 header tables); past it the least\n"
	"                       recently used connections are evicted, counted in status\n"
	"                       (default 32m; 1m-1g, k/m/g suffixes)\n"
	"  --tls-uprobes MODE   the uprobes on the shared TLS libraries: process (default:\n"
	"                       only tagged processes trap; system-wide when the kernel\n"
	"                       cannot, status says why) or system (every process traps,\n"
	"                       agents' calls are read)\n"
	"  --tls-cache FILE     where the TLS verdicts on agent binaries and objects (the\n"
	"                       functions located, or none of their own) are kept, by\n"
	"                       file identity, so that a file an earlier run saw is\n"
	"                       judged (hooked) at its first exec, unscanned (default\n"
	"                       " AM_DEFAULT_TLS_CACHE "; none: keep nothing)\n"
	"  --idle-detach T      with no agent process alive for T (10s; 90s, 5m...), detach\n"
	"                       the syscall, socket, packet and TLS hooks until one\n"
	"                       appears, so that nobody pays for them (0: keep them)\n"
	"  --print WHAT         what goes to stdout: all (default), alerts (alerts and\n"
	"                       drops: for a service's journal), none; tail clients\n"
	"                       and traces get every event either way\n"
	"  --pin-dir DIR        bpffs directory where the tags outlive the collector, so\n"
	"                       that a restart keeps every agent tagged (default\n"
	"                       /sys/fs/bpf/agentmon for the default socket, else\n"
	"                       /sys/fs/bpf/agentmon-SOCKET_PATH); rm -r DIR clears them\n"
	"  --no-pin             pin nothing: the tags end with the collector\n"
	"  --request-timeout SECS  a control socket connection that has not sent its\n"
	"                       request line (or read its reply) within SECS is closed\n"
	"                       and counted (1-300, default 5)\n"
	"  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
	"                       (off by default; a non-loopback ADDR is warned about)\n"
	"  --host-id ID         this host's name in exported messages (export.nats:\n"
	"                       subject <prefix>.<ID>.<type> and \"host\"; default the\n"
	"                       host name)\n"
	"  -v, --verbose        text: every event, not the compact view (library and\n"
	"                       locale reads folded, see README); and debug messages,\n"
	"                       libbpf's included, on stderr\n";

static int parse_print(const char *s, enum collector_print *out)
{
	static const char *const names[] = { "all", "alerts", "none" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum collector_print)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "format", required_argument, 0, 'f' },
		{ "record", required_argument, 0, 'r' }, { "no-record", no_argument, 0, 'n' },
		{ "socket", required_argument, 0, 's' }, { "ringbuf-size", required_argument, 0, 'b' },
		{ "capture-bytes", required_argument, 0, 'C' },
		{ "conn-memory", required_argument, 0, 'M' },
		{ "socket-group", required_argument, 0, 'g' },
		{ "idle-detach", required_argument, 0, 'i' },
		{ "print", required_argument, 0, 'p' },
		{ "max-tagged", required_argument, 0, 'T' }, /* hidden: tests fill the map */
		{ "max-tls-calls", required_argument, 0, 'L' }, /* hidden: tests evict from it */
		{ "pin-dir", required_argument, 0, 'P' }, { "no-pin", no_argument, 0, 'N' },
		{ "request-timeout", required_argument, 0, 'R' },
		{ "tls-uprobes", required_argument, 0, 'U' },
		{ "tls-cache", required_argument, 0, 'K' },
		{ "metrics", required_argument, 0, 'm' },
		{ "host-id", required_argument, 0, 'H' },
		{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct collector_opts o = { .socket = AM_DEFAULT_SOCKET, .format = OUTPUT_TEXT,
				    .idle_detach_ns = AM_IDLE_DETACH_NS,
				    .tls_cache = AM_DEFAULT_TLS_CACHE,
				    .tls_per_process = LOADER_TLS_PER_PROCESS_DEFAULT };
	struct sockaddr_storage ms;
	socklen_t ml;
	bool mloop;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "c:f:r:ns:b:C:M:g:i:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'f':
			if (output_parse_format(optarg, &o.format))
				return usage_error("unknown format '%s' (text or json)", optarg);
			break;
		case 'r': o.record_dir = optarg; break;
		case 'n': o.no_record = true; break;
		case 's': o.socket = optarg; break;
		case 'g':
			if (!getgrnam(optarg))
				return usage_error("unknown group '%s' for --socket-group", optarg);
			o.socket_group = optarg;
			break;
		case 'b':
			if (am_parse_u64(optarg, 4096, 1u << 30, true, &v) || (v & (v - 1)))
				return usage_error("bad ring buffer size '%s' (a power of two, 4k-1g)", optarg);
			o.ringbuf_bytes = (uint32_t)v;
			break;
		case 'C':
			if (am_parse_u64(optarg, 64, AM_DATA_CAP_MAX, true, &v))
				return usage_error("bad capture size '%s' (64-4096 bytes)", optarg);
			o.capture_bytes = (uint32_t)v;
			break;
		case 'U':
			if (strcmp(optarg, "system") && strcmp(optarg, "process"))
				return usage_error("bad --tls-uprobes '%s' (system or process)", optarg);
			o.tls_per_process = !strcmp(optarg, "process");
			break;
		case 'K':
			if (strcmp(optarg, "none") && optarg[0] != '/')
				return usage_error("--tls-cache wants an absolute path or none, not '%s'",
						   optarg);
			o.tls_cache = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'M':
			if (am_parse_u64(optarg, 1u << 20, 1u << 30, true, &v))
				return usage_error("bad --conn-memory '%s' (1m-1g)", optarg);
			o.conn_memory = (size_t)v;
			break;
		case 'i':
			if (am_parse_duration(optarg, &o.idle_detach_ns))
				return usage_error("bad duration '%s' for --idle-detach (10s, 5m, 0)", optarg);
			break;
		case 'p':
			if (parse_print(optarg, &o.print))
				return usage_error("bad --print '%s' (all, alerts or none)", optarg);
			break;
		case 'T':
			if (am_parse_u64(optarg, 1, AM_MAX_TAGGED, false, &v))
				return usage_error("bad --max-tagged '%s' (1-65536)", optarg);
			o.max_tagged = (uint32_t)v;
			break;
		case 'L':
			if (am_parse_u64(optarg, 2, AM_MAX_INFLIGHT, false, &v))
				return usage_error("bad --max-tls-calls '%s' (2-16384)", optarg);
			o.max_tls_calls = (uint32_t)v;
			break;
		case 'P':
			if (optarg[0] != '/')
				return usage_error("--pin-dir wants an absolute path, not '%s'", optarg);
			o.pin_dir = optarg;
			break;
		case 'N': o.no_pin = true; break;
		case 'm':
			if (metrics_parse_listen(optarg, &ms, &ml, &mloop))
				return usage_error("bad --metrics '%s' (ADDR:PORT, [ADDR6]:PORT)", optarg);
			o.metrics = optarg;
			break;
		case 'H':
			if (!export_host_ok(optarg))
				return usage_error("bad --host-id '%s' (1-255 bytes, no control byte)",
						   optarg);
			o.host_id = optarg;
			break;
		case 'R':
			if (am_parse_u64(optarg, 1, 300, false, &v))
				return usage_error("bad --request-timeout '%s' (1-300 seconds)", optarg);
			o.request_timeout_ns = v * 1000000000ull;
			break;
		case 'v': am_verbose = o.verbose = true; break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o.record_dir && o.no_record)
		return usage_error("%s", "--record and --no-record exclude each other");
	am_libbpf_setup();
	return collector_run(&o);
}

static const char LAUNCH_USAGE[] =
	"agentmon launch --agent NAME [--socket PATH] -- CMD [ARG...]\n"
	"  Run CMD tagged as agent NAME through the running collector;\n"
	"  exits with CMD's status.\n";

static int cmd_launch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, 0, 'a' }, { "socket", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	const char *agent = NULL, *sock = AM_DEFAULT_SOCKET;
	int c;

	while ((c = getopt_long(argc, argv, "+a:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 's': sock = optarg; break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	if (!agent)
		return usage_error("%s", "--agent NAME is required");
	if (optind >= argc)
		return usage_error("%s", "no command given after --");
	return launch_exec(sock, agent, argv + optind);
}

static const char CHECK_USAGE[] =
	"agentmon check-config FILE\n"
	"  Validate a policy file; errors name the file, line and problem.\n";

static int cmd_check_config(int argc, char **argv)
{
	struct policy *p;
	char err[512];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return help();
	if (argc != 2)
		return usage_error("%s", "exactly one FILE is expected");
	if (policy_load(argv[1], &p, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return AM_EXIT_USAGE;
	}
	printf("%s: ok (%zu agents, %zu allow rules, ", argv[1], agents_count(p->agents),
	       p->n_allow);
	if (p->n_deny)
		printf("%zu deny rules, ", p->n_deny);
	if (p->view.n_show || p->view.n_hide)
		printf("%zu view globs, ", p->view.n_show + p->view.n_hide);
	printf("%zu webhooks)\n", p->n_webhooks);
	policy_free(p);
	return AM_EXIT_OK;
}

static const char REPLAY_USAGE[] =
	"agentmon replay FILE... [--config FILE] [--json] [--verbose] [--alerts]\n"
	"                [--agent NAME] [--since T] [--until T]\n"
	"  Run recorded traces through the same decoding, enrichment and policy\n"
	"  code as a live run; with another --config, shows what that policy flags.\n"
	"  --config FILE   policy to judge by (default: the embedded default policy)\n"
	"  --json          JSON Lines instead of text\n"
	"  -v, --verbose   text: every event, not the compact view (as run's)\n"
	"  --alerts        alerts only\n"
	"  --agent NAME    only this agent's events\n"
	"  --since T       from this time: RFC 3339 (2026-11-25T14:00:00Z) or an age (10m, 2h, 3d)\n"
	"  --until T       up to this time, same forms\n";

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "json", no_argument, 0, 'j' },
		{ "alerts", no_argument, 0, 'a' }, { "agent", required_argument, 0, 'A' },
		{ "since", required_argument, 0, 'S' }, { "until", required_argument, 0, 'U' },
		{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct replay_opts o = { .format = OUTPUT_TEXT };
	uint64_t now = am_now_ns(CLOCK_REALTIME);
	int c;

	while ((c = getopt_long(argc, argv, "c:jaA:S:U:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'j': o.format = OUTPUT_JSON; break;
		case 'v': o.verbose = true; break;
		case 'a': o.alerts_only = true; break;
		case 'A': o.agent = optarg; break;
		case 'S':
			if (replay_parse_time(optarg, now, &o.since_ns))
				return usage_error("bad time '%s' (RFC 3339, or an age like 10m)", optarg);
			break;
		case 'U':
			if (replay_parse_time(optarg, now, &o.until_ns))
				return usage_error("bad time '%s' (RFC 3339, or an age like 10m)", optarg);
			break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no trace FILE given");
	o.files = argv + optind;
	o.n_files = argc - optind;
	return replay_run(&o);
}

static const char REPORT_USAGE[] =
	"agentmon report [--agent NAME] [--since T] [--until T] [--format html|text|json]\n"
	"                [-o FILE] [--config FILE] [--record DIR] [TRACE...]\n"
	"  A report per agent session from traces: process tree with commands, a\n"
	"  timeline of execs, writes, requests and alerts, every destination with\n"
	"  methods, paths, bytes and the policy's verdict, files written or deleted,\n"
	"  alerts with their intent.  HTML is one self-contained file.\n"
	"  --format F      html (default), text or json\n"
	"  -o, --output FILE  write there (mode 0600) instead of stdout\n"
	"  --agent NAME    only this agent's sessions\n"
	"  --since T       from this time: RFC 3339 or an age (10m, 2h, 3d)\n"
	"  --until T       up to this time, same forms\n"
	"  --config FILE   policy for the verdicts (default: the embedded default policy)\n"
	"  --record DIR    with no TRACE: the traces of DIR (default: the policy's\n"
	"                  record.dir, else " AM_DEFAULT_TRACES "), touched since --since\n";

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, 0, 'A' }, { "since", required_argument, 0, 'S' },
		{ "until", required_argument, 0, 'U' }, { "format", required_argument, 0, 'f' },
		{ "output", required_argument, 0, 'o' }, { "config", required_argument, 0, 'c' },
		{ "record", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct report_opts o = { .format = REPORT_HTML };
	uint64_t now = am_now_ns(CLOCK_REALTIME);
	int c;

	while ((c = getopt_long(argc, argv, "A:S:U:f:o:c:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'A': o.agent = optarg; break;
		case 'S':
		case 'U':
			if (replay_parse_time(optarg, now, c == 'S' ? &o.since_ns : &o.until_ns))
				return usage_error("bad time '%s' (RFC 3339, or an age like 10m)", optarg);
			break;
		case 'f':
			if (report_parse_format(optarg, &o.format))
				return usage_error("unknown format '%s' (html, text or json)", optarg);
			break;
		case 'o': o.out = optarg; break;
		case 'c': o.config = optarg; break;
		case 'r': o.record_dir = optarg; break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	o.files = argv + optind;
	o.n_files = argc - optind;
	return report_run(&o);
}

static const char TAIL_USAGE[] =
	"agentmon tail [--json] [--agent NAME] [--type T[,T...]] [--pid PID] [--alerts]\n"
	"              [--verbose] [--socket PATH]\n"
	"agentmon tail --nats URL [--subject S] [--stream NAME] [--durable NAME]\n"
	"              [--all | --since T] [--host H]\n"
	"              [--creds FILE | --user U --password-file FILE]\n"
	"              [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--stats] [filters]\n"
	"agentmon tail --config FILE [fleet options] [filters]\n"
	"  Stream the running collector's events and alerts as they happen, in the\n"
	"  format of 'run'.  Drop events always pass the filters; a client that reads\n"
	"  too slowly is told how many events it missed.  Ends on SIGINT/SIGTERM (0)\n"
	"  or when the collector goes away (1).\n"
	"  --json          JSON Lines (default: text, coloured on a terminal unless\n"
	"                  NO_COLOR is set; compact: library, locale and loader reads\n"
	"                  folded into one line per process, one line per destination)\n"
	"  --verbose       text: every event, as 'run --verbose' prints it\n"
	"  --agent NAME    only this agent's events\n"
	"  --type T[,T...] only these types: exec, exit, open, unlink, rename, chmod,\n"
	"                  connect, accept, send, dns, http, alert, drop; every event\n"
	"                  of them is printed (text as with --verbose)\n"
	"  --pid PID       only this process, or the tree of the agent rooted at PID\n"
	"  --alerts        alerts only\n"
	"  --socket PATH   the collector's socket (default " AM_DEFAULT_SOCKET ")\n"
	"  The fleet tail: every host's exported events (run's export.nats) from a\n"
	"  NATS JetStream stream, with the same filters and output, the host after\n"
	"  the time.  Ends on SIGINT/SIGTERM (0); no server, bad credentials or no\n"
	"  stream: one line, exit 1.  Malformed messages are skipped and counted.\n"
	"  --nats URL      nats://HOST:PORT or tls://HOST:PORT\n"
	"  --subject S     the exporters' subject prefix (default agentmon)\n"
	"  --stream NAME   the stream (default: the one that holds S.>)\n"
	"  --durable NAME  a durable consumer: a later tail of that name prints what\n"
	"                  came meanwhile (default: ephemeral, new messages only)\n"
	"  --all           from the stream's first message (what it still keeps)\n"
	"  --since T       from time T: RFC 3339 (2026-12-03T07:00:00Z, +HH:MM) or an\n"
	"                  age (90s, 10m, 2h, 1d); both only for a new consumer\n"
	"  --host H        only host H's messages (its subject: S.H.>)\n"
	"  --creds FILE    NATS credentials; or --user U --password-file FILE\n"
	"  --tls-ca FILE   CA of the server; --tls-cert/--tls-key: client certificate\n"
	"  --stats         messages received, shown and malformed, on stderr at the end\n"
	"  --config FILE   the policy whose export.nats block (url, credentials, TLS,\n"
	"                  subject) gives what the options do not: the exporter's own;\n"
	"                  its view: globs for the compact view (SIGHUP reloads the\n"
	"                  globs only; the connection stays the start's)\n";

/* the fleet options of tail (long only); false for another */
static bool tail_nats_opt(int c, struct tail_opts *o)
{
	const char **at[] = {
		&o->nats, &o->subject, &o->stream, &o->durable, &o->host, &o->creds, &o->user,
		&o->password_file, &o->tls_ca, &o->tls_cert, &o->tls_key, &o->config, &o->since,
	};

	if (c < 1000 || c >= 1000 + (int)(sizeof(at) / sizeof(at[0])))
		return false;
	*at[c - 1000] = optarg;
	return true;
}

static int cmd_tail(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "agent", required_argument, 0, 'a' },
		{ "type", required_argument, 0, 't' }, { "pid", required_argument, 0, 'p' },
		{ "alerts", no_argument, 0, 'A' }, { "socket", required_argument, 0, 's' },
		{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' },
		{ "nats", required_argument, 0, 1000 }, { "subject", required_argument, 0, 1001 },
		{ "stream", required_argument, 0, 1002 }, { "durable", required_argument, 0, 1003 },
		{ "host", required_argument, 0, 1004 }, { "creds", required_argument, 0, 1005 },
		{ "user", required_argument, 0, 1006 },
		{ "password-file", required_argument, 0, 1007 },
		{ "tls-ca", required_argument, 0, 1008 }, { "tls-cert", required_argument, 0, 1009 },
		{ "tls-key", required_argument, 0, 1010 }, { "config", required_argument, 0, 1011 },
		{ "since", required_argument, 0, 1012 }, { "all", no_argument, 0, 'l' },
		{ "stats", no_argument, 0, 'S' }, { 0 },
	};
	struct tail_opts o = { .socket = AM_DEFAULT_SOCKET };
	struct policy *keep = NULL;
	bool fleet_only = false;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "ja:t:p:As:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 'a': o.agent = optarg; break;
		case 't': o.types = optarg; break;
		case 'p': o.pid = optarg; break;
		case 'A': o.alerts = true; break;
		case 'v': o.verbose = true; break;
		case 's': o.socket = optarg; break;
		case 'S': o.stats = fleet_only = true; break;
		case 'l': o.all = fleet_only = true; break;
		case 'h': return help();
		default:
			if (!tail_nats_opt(c, &o))
				return bad_option(argv);
			fleet_only = fleet_only || c != 1000;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o.config && tail_nats_config(&o, &keep, err, sizeof(err)))
		return usage_error("%s", err);
	if (fleet_only && !o.nats)
		return usage_error("%s need --nats", "--subject, --stream, --durable, --all, "
				   "--since, --host, --creds, --user, --password-file, --tls-*, "
				   "--stats, --config");
	if (o.nats && !o.subject)
		o.subject = "agentmon";
	c = tail_run(&o);
	policy_free(keep);
	return c;
}

static const char STATUS_USAGE[] =
	"agentmon status [--json] [--socket PATH]\n"
	"  The running collector's health: uptime, agents tagged with their root\n"
	"  pids, events and drops by type, alerts, tail clients, recording, webhooks.\n"
	"  --json          one JSON object instead of text\n"
	"  --socket PATH   the collector's socket (default " AM_DEFAULT_SOCKET ")\n";

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "socket", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct status_opts o = { .socket = AM_DEFAULT_SOCKET };
	int c;

	while ((c = getopt_long(argc, argv, "js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 's': o.socket = optarg; break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return status_run(&o);
}

static const char DOCTOR_USAGE[] =
	"agentmon doctor [--config FILE] [--json] [--socket PATH] [--tls-budget SECS]\n"
	"  What this host offers agentmon, one item a line, OK / DEGRADED / MISSING\n"
	"  with the reason: kernel features, the TLS verdict of every agent binary\n"
	"  found, the policy file, the service.  Exit 0 when nothing is MISSING, else 1.\n"
	"  Read-only and quick; some kernel checks need root (it says which).\n"
	"  --config FILE    the policy file checked (default " AM_DEFAULT_CONFIG " if present)\n"
	"  --json           one JSON object instead of text\n"
	"  --socket PATH    the collector's socket (default " AM_DEFAULT_SOCKET ")\n"
	"  --tls-budget SECS  time for all binaries' TLS scans (0-600, default 8); past it\n"
	"                   a binary is \"not checked (time budget)\"\n";

/* run the checks, print the report; doctor's exit status */
static int doctor_print(const struct doctor_opts *o, bool json)
{
	struct doctor d;
	char *out = NULL;
	int rc;

	doctor_init(&d, o);
	doctor_run(&d);
	if (doctor_format(&d, json, &out)) {
		doctor_release(&d);
		fprintf(stderr, "agentmon doctor: out of memory\n");
		return AM_EXIT_RUNTIME;
	}
	fputs(out, stdout);
	rc = doctor_exit(&d);
	free(out);
	doctor_release(&d);
	return rc;
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "json", no_argument, 0, 'j' },
		{ "socket", required_argument, 0, 's' }, { "tls-budget", required_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct doctor_opts o = { 0 };
	bool json = false;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "c:js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'j': json = true; break;
		case 's': o.socket = optarg; break;
		case 'B':
			if (am_parse_u64(optarg, 0, 600, false, &v))
				return usage_error("bad time budget '%s' (0-600 seconds)", optarg);
			o.tls_budget_ns = v ? v * 1000000000ull : 1; /* 0: nothing scanned */
			break;
		case 'h': return help();
		default: return bad_option(argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return doctor_print(&o, json);
}

static const struct command commands[] = {
	{ "run", cmd_run, RUN_USAGE },
	{ "launch", cmd_launch, LAUNCH_USAGE },
	{ "check-config", cmd_check_config, CHECK_USAGE },
	{ "tail", cmd_tail, TAIL_USAGE },
	{ "status", cmd_status, STATUS_USAGE },
	{ "replay", cmd_replay, REPLAY_USAGE },
	{ "report", cmd_report, REPORT_USAGE },
	{ "doctor", cmd_doctor, DOCTOR_USAGE },
};

static int main_usage(void)
{
	printf("usage: agentmon COMMAND [OPTIONS]   (agentmon COMMAND --help for its options)\n"
		   "agentmon %s watches what AI coding agents do, from the kernel.\n\ncommands:\n",
		AM_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s", commands[i].usage);
	return AM_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "agentmon: no command given (see 'agentmon --help')\n");
		return AM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return main_usage();
	if (!strcmp(argv[1], "--version")) {
		printf("agentmon %s (event ABI %d)\n", AM_VERSION, AM_ABI_VERSION);
		return AM_EXIT_OK;
	}
	opterr = 0; /* bad options are reported by bad_option(), on one line */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		current = &commands[i];
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "agentmon: unknown command '%s' (see 'agentmon --help')\n", argv[1]);
	return AM_EXIT_USAGE;
}
