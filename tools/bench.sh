#!/bin/bash
# bench.sh - the cost of agentmon and of two peers doing the same job, side
# by side (not a test: timings are shown, never checked).  docs/BENCHMARKS.md
# has the figures of a real run and how to read them.
#
# Workloads (build/bench/loop, tools/bench/loop.c, and two developer ones):
#   open      open("/dev/null") + close          BENCH_N_OPEN (500000) times
#   connect   TCP connect to 127.0.0.1 + close   BENCH_N_CONNECT (20000)
#   forkexec  fork + exec /bin/true + wait       BENCH_N_FORKEXEC (1000)
#   https     small POSTs over one keep-alive TLS connection to a local
#             server (tools/bench/https_post.py)  BENCH_N_HTTPS (2000)
#   make      `make -j2` of a generated tree of BENCH_MAKE_FILES (200) small
#             .c files (cc -O2 -c each, then ar), from clean, once
#   git       `git status` BENCH_GIT_RUNS (20) times in a generated repository
#             of BENCH_GIT_FILES (20000) committed files (one modified, one
#             untracked)
#   agent     a Claude Code `-p` session, shell tool, mock API (tools/bench/agent.sh)
# Each is timed inside the workload (make and git by `loop cmd`): ns per
# operation, per build, per status.
#
# Monitors, every one in every round (BENCH_ROUNDS, default 5), interleaved
# (the monitors' order is reversed in even rounds):
#   baseline           no monitor
#   agentmon idle      collector running with --idle-detach 2s and no agent
#                      process alive, once `status --json` says agent_hooks
#                      false (and the detached uprobes' teardown is over)
#   agentmon untagged  collector running while an agent is alive (`agentmon
#                      launch --agent idle -- sleep`: every hook attached),
#                      the workload not tagged
#   agentmon tagged    the workload started by `agentmon launch` (full
#                      capture, JSON Lines written to a file)
#   bpftrace untagged  tools/bench/peer.bt: tracepoints on sys_enter/exit of
#                      openat, connect, execve and sched_process_fork/exec/
#                      exit, a map of tagged pids (children added at fork),
#                      tagged processes' events printed to a file
#   bpftrace tagged    the workload started by `loop tag` (in the map)
#   auditd             auditd with the shipped auditd.conf (its log in the
#                      temp dir, no rotation so that records can be counted)
#                      and the shipped rules' -b 8192 --backlog_wait_time
#                      60000 -f 1, plus -a always,exit -F arch=b64 -S
#                      openat,connect,execve -k agentmon-bench: audit rules
#                      apply to every process, so tagged and untagged are the
#                      same.  The loops run 1/BENCH_AUDIT_SCALE (5) of their
#                      operations there (each costs ~20x); make and git whole.
# It prints per workload the baseline (median, min-max over rounds) and the
# median and min-max of each round's ratio to its own baseline, then what each
# monitor reported and lost: agentmon's drop events, bpftrace's "Lost N
# events", the kernel's audit lost counter.  BENCH_PEERS selects the peers
# ("bpftrace auditd", the default; BENCH_PEERS=0 for none); a missing one is
# installed with apt-get (bpftrace, auditd), and what the bench started is
# stopped at the end: bpftrace, its own auditd, its audit rule, and the
# audit settings (enabled, backlog, wait time, failure) are put back.  An
# auditd that was already running is used as it is (only the rule is added
# and removed).
#
# Throughput: one collector, a tagged `loop rate R T P` (R opens/s for
# BENCH_RATE_SECONDS (3) s in BENCH_RATE_PROCS (2) processes) stepped through
# BENCH_RATES (50k 100k 200k 300k 400k 600k 800k 1M events/s; it stops after
# two steps with losses): events seen and lost (drop events), checked
# against the events made (opens + the launch's own few events, counted at
# the first step), the collector's CPU ns per event (every thread, from its
# process CPU clock) and its share of a core; the highest rate with zero
# loss.  Then the same with a ring buffer of BENCH_RATE_SMALL_RB (64k)
# instead of the default 16m: a rate that loses events, to show that the
# loss is reported exactly (seen + lost == made).  Peak RSS: the collector's
# VmHWM at the end of each collector (largest shown, with its anonymous,
# file and ring buffer parts).  Start-up: BENCH_STARTUP_RUNS (5) times, from the exec of
# `agentmon run` to its socket, to "collector ready", and to the first event
# line of an agent launched as soon as the socket exists
# (tools/bench/startup.py).
#
# Recording cost, in each round too: a collector with --no-record and one
# with --record (a trace directory per round), in alternating order, each
# running the tagged open loop (BENCH_N_RECORD operations) and then the https
# client.  For each workload it takes the collector's CPU time (the whole
# process, every thread: its process CPU clock, in ns) from before the
# workload to 1.5 s after it ended (the recorder hands a block to its writer
# thread when it is 1 s old; what the collector does idle in that time is
# counted too), the JSON lines the collector wrote meanwhile (events) and the
# trace bytes written meanwhile (compressed, on disk).  It
# prints collector CPU ns per event both ways (and the recording collector's
# threads other than the main one: the writer), the ratio record/no-record
# per round, trace bytes per event and the workload's ns/op ratio; then the
# drop events of those runs, and checks that the recorder lost nothing: a
# replay of each round's trace must give as many JSON lines as the collector
# wrote (and `agentmon status --json` must show no recording.lost, when it
# has that figure).
#
# Replay speed: all the rounds' traces replayed at once (they replay in time
# order), `agentmon replay --json` and `agentmon replay --alerts`, to
# /dev/null, BENCH_REPLAY_RUNS times each (default 3, after one untimed
# --json run that counts the events): events per second, median (min-max).
#
# The export row (tools/bench/export.sh): collector CPU per event with
# export.nats (what: [alerts, events]) to a local nats-server at the 200k
# events/s step, against the same without export, and the loss (0 below the
# spool bound).
#
# At the end one more phase measures alert latency: BENCH_N_LATENCY POSTs,
# each to its own host name, from request to the webhook receiver (median
# and p99).
#
# After the overhead table, the noise: how many cores the whole machine kept
# busy and how much time the hypervisor stole during each workload's runs
# (/proc/stat; the 1-minute load average lags a burst of other work by tens
# of seconds, docs/BENCHMARKS.md "Noise").
#
# Last, the figures against this machine's targets (untagged <= 1.10x,
# tagged <= 1.5x, idle <= 1.02x; HTTPS untagged <= 1.05x and tagged <= 1.3x,
# the Claude Code session tagged <= 1.03x; zero loss at 200k events/s, RSS < 32 MiB:
# shown met or missed, never failed on) and a markdown summary table.
#
# About 9 minutes with the defaults on 2 cores (BENCH_PEERS=0: about 6);
# BENCH_ROUNDS=1 with small sizes for a quick run.  Every temp dir is
# removed and no monitor is left running, also on Ctrl-C.
#
# env: BENCH_ROUNDS, BENCH_N_OPEN, BENCH_N_CONNECT, BENCH_N_FORKEXEC,
#      BENCH_N_HTTPS, BENCH_MAKE_FILES, BENCH_GIT_FILES, BENCH_GIT_RUNS,
#      BENCH_PEERS, BENCH_CLAUDE (0: no agent row), BENCH_AUDIT_SCALE, BENCH_RATES,
#      BENCH_RATE_SECONDS, BENCH_RATE_PROCS, BENCH_RATE_SMALL_RB, BENCH_STARTUP_RUNS,
#      BENCH_N_LATENCY, BENCH_N_RECORD (default 500000), BENCH_REPLAY_RUNS (default 3),
#      BENCH_SAVE (a directory: the raw figures are copied there),
#      AGENTMON (default build/agentmon), CC,
#      BENCH_MODES (the workloads to run, a subset of "open connect forkexec
#      https make git agent"; default all), BENCH_RUN_ARGS (more options of
#      every `agentmon run`, e.g. "--tls-uprobes system"), BENCH_OVERHEAD_ONLY=1
#      (the overhead rounds and their table only: no recording cost,
#      throughput, start-up, replay, model traffic, latency or targets)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${BENCH_ROUNDS:-5}
MODES=(open connect forkexec https make git)
CLAUDE=${BENCH_CLAUDE:-/var/cache/agentmon-test/agents/claude/node_modules/.bin/claude}
[ "$CLAUDE" != 0 ] && [ -x "$CLAUDE" ] && MODES+=(agent) # installed: tests/agents/install.sh
if [ -n "${BENCH_MODES:-}" ]; then
	m=()
	for x in "${MODES[@]}"; do case " $BENCH_MODES " in *" $x "*) m+=("$x") ;; esac; done
	[ ${#m[@]} -gt 0 ] || { echo "bench: BENCH_MODES '$BENCH_MODES' selects no workload of: ${MODES[*]}" >&2; exit 1; }
	MODES=("${m[@]}")
fi
read -ra RUN_ARGS <<<"${BENCH_RUN_ARGS:-}"
OVERHEAD_ONLY=${BENCH_OVERHEAD_ONLY:-0}
declare -A N=([open]=${BENCH_N_OPEN:-500000} [connect]=${BENCH_N_CONNECT:-20000}
	[forkexec]=${BENCH_N_FORKEXEC:-1000} [https]=${BENCH_N_HTTPS:-2000})
MAKE_FILES=${BENCH_MAKE_FILES:-200}
GIT_FILES=${BENCH_GIT_FILES:-20000}
GIT_RUNS=${BENCH_GIT_RUNS:-20}
PEERS=${BENCH_PEERS-bpftrace auditd}
[ "$PEERS" = 0 ] && PEERS=
AUDIT_SCALE=${BENCH_AUDIT_SCALE:-5}
RATES=${BENCH_RATES:-50000 100000 200000 300000 400000 600000 800000 1000000}
RATE_SECONDS=${BENCH_RATE_SECONDS:-3}
RATE_PROCS=${BENCH_RATE_PROCS:-2}
RATE_SMALL_RB=${BENCH_RATE_SMALL_RB:-64k}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-5}
N_LATENCY=${BENCH_N_LATENCY:-100}
N_RECORD=${BENCH_N_RECORD:-500000}
REPLAY_RUNS=${BENCH_REPLAY_RUNS:-3}
REC_WORKLOADS=(open https)
SETTLE=1.5   # s after a workload: the recorder's writer has written it
IDLE_DETACH=2s
# shellcheck disable=SC2054 # auditctl's own comma lists
AUDIT_RULE=(always,exit -F arch=b64 -S openat,connect,execve -k agentmon-bench)
AGENTMON=${AGENTMON:-build/agentmon}
LOOP=build/bench/loop
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
REPORT=tools/bench/report.py

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

mkdir -p build/bench
"${CC:-cc}" -O2 -Wall -Wextra -pthread -o "$LOOP" tools/bench/loop.c || die "cannot build $LOOP"
[ "$(id -u)" -eq 0 ] || die "needs root (the collector loads BPF programs)"
[ -x "$AGENTMON" ] || die "$AGENTMON not built (run make)"
for c in git make cc; do command -v "$c" >/dev/null || die "needs $c"; done

W=$(mktemp -d /tmp/agentmon-bench.XXXXXX) || die mktemp
SOCK=$W/agentmon.sock
CPID= IDLE_PID= BT_PID= AUDITD_PID= SERVERS=()
AUDIT_ON=       # our rule is in the kernel: audit_stop puts things back
AUDIT_PREV=()   # enabled backlog_limit backlog_wait_time failure, before us
# a stopped collector leaves a detached process that detaches its uprobes
# (user/load.c, load_destroy_links), and so does an idle detach: wait for
# it, so that no hook of ours is left for the next measurement, nor once the
# bench is over; "keep" is a pid that is not waited for (the collector)
wait_teardown() {
	local i keep=${1:-}
	for i in $(seq 200); do
		pgrep -f -- "--socket $SOCK" | grep -qvx -- "${keep:-none}" || return 0
		sleep 0.05
	done
	note "a collector's teardown is still running after 10 s"
}

cleanup() {
	[ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null
	if [ -n "$CPID" ]; then kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; fi
	wait_teardown
	if [ -n "$BT_PID" ]; then kill -INT "$BT_PID" 2>/dev/null; wait "$BT_PID" 2>/dev/null; fi
	[ -n "$AUDIT_ON" ] && audit_stop
	for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# a copy: a rebuild of build/ during the run changes nothing here
cp "$AGENTMON" "$W/agentmon" || die "cannot copy $AGENTMON"
AGENTMON=$W/agentmon

# ---- the peers: installed when missing ----

# need_pkg COMMAND PACKAGE: 0 when COMMAND is there or PACKAGE installed it
need_pkg() {
	command -v "$1" >/dev/null && return 0
	note "installing $2 with apt-get (the $2 peer)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q "$2" >"$W/apt.log" 2>&1; then
		apt-get update -q >>"$W/apt.log" 2>&1
		apt-get install -y -q "$2" >>"$W/apt.log" 2>&1
	fi
	command -v "$1" >/dev/null && return 0
	note "cannot install $2, that peer is left out: $(tail -n 2 "$W/apt.log")"
	return 1
}

audit_field() { auditctl -s 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

peers=()
for p in $PEERS; do
	case $p in
	bpftrace) need_pkg bpftrace bpftrace && peers+=(bpftrace) ;;
	auditd)
		was_running=$(pgrep -x auditd)
		if need_pkg auditctl auditd; then
			# the package's own start, when it had one: stopped, and off at
			# boot (the bench runs an auditd of its own)
			pkg_pid=$(audit_field pid)
			if [ -z "$was_running" ] && [ -n "$pkg_pid" ] && [ "$pkg_pid" != 0 ]; then
				note "stopping the auditd (pid $pkg_pid) that the package started, and disabling it"
				kill -TERM "$pkg_pid"
				[ -d /run/systemd/system ] && systemctl disable --quiet auditd 2>/dev/null
				for _ in $(seq 100); do kill -0 "$pkg_pid" 2>/dev/null || break; sleep 0.1; done
			fi
			if [ "$(audit_field enabled)" = 2 ]; then
				note "audit rules are locked (enabled 2): the auditd peer is left out"
			else
				peers+=(auditd)
			fi
		fi ;;
	*) die "BENCH_PEERS: unknown peer '$p' (bpftrace, auditd)" ;;
	esac
done
PEERS="${peers[*]}"

# ---- the developer workloads' trees ----

# a C project of MAKE_FILES small files: make -j2 builds lib.a from clean
PROJ=$W/proj
mkdir -p "$PROJ"
for ((i = 1; i <= MAKE_FILES; i++)); do
	cat >"$PROJ/f$i.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct rec$i { int id; char name[32]; double v; };
static int cmp$i(const void *a, const void *b)
{
	const struct rec$i *x = a, *y = b;
	return x->id != y->id ? x->id - y->id : strcmp(x->name, y->name);
}
int f$i(int n)
{
	struct rec$i *r = calloc((size_t)n, sizeof(*r));
	int s = 0;
	if (!r)
		return -1;
	for (int i = 0; i < n; i++) {
		r[i].id = (i * 7919 + $i) % n;
		snprintf(r[i].name, sizeof(r[i].name), "r%d", i);
		r[i].v = i * 0.5;
	}
	qsort(r, (size_t)n, sizeof(*r), cmp$i);
	for (int i = 0; i < n; i++)
		s += r[i].id ^ (int)r[i].v;
	free(r);
	return s;
}
EOF
done
printf '%s\n' 'OBJS := $(patsubst %.c,%.o,$(wildcard *.c))' 'lib.a: $(OBJS)' \
	'	ar rcs $@ $^' '%.o: %.c' '	$(CC) -O2 -c $< -o $@' 'clean:' '	rm -f *.o lib.a' \
	>"$PROJ/Makefile"
make -s -j2 -C "$PROJ" >/dev/null || die "the generated C project does not build"

# a git repository of GIT_FILES files in 100 directories (and as many subdirectories)
REPO=$W/repo
"$PY" - "$REPO" "$GIT_FILES" <<'PYEOF' || die "cannot make the git tree"
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100), "sub" if i % 2 else "")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.txt" % i), "w") as f:
        f.write("file %d\n" % i)
PYEOF
git_q() { git -C "$REPO" -c user.email=bench@localhost -c user.name=bench "$@"; }
{ git_q init -q && git_q add -A && git_q commit -qm tree; } >/dev/null 2>&1 || die "cannot commit the git tree"
echo changed >>"$REPO/d000/f000000.txt"
echo new >"$REPO/untracked.txt"
git_q status >/dev/null   # the index's stat data fresh: every timed run does the same work

# the local TLS server for the https mode
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 \
	-subj /CN=bench.example 2>/dev/null || die "cannot make a certificate"
"$PY" tests/integration/helpers/https_server.py --port-file "$W/port" --log /dev/null \
	--cert "$W/cert.pem" --key "$W/key.pem" &
SERVERS+=($!)
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
HTTPS_PORT=$(cat "$W/port") || die "https server did not start"

# ---- agentmon ----

# the collector, JSON to $W/out; without --record it records nothing
start_collector() {
	case " $* " in *" --record "*) ;; *) set -- --no-record "$@" ;; esac
	# no tags left pinned in bpffs by a benchmark (binaries before pinning lack it)
	"$AGENTMON" run --help | grep -q -- --no-pin && set -- --no-pin "$@"
	: >"$W/err"
	"$AGENTMON" run --format json --socket "$SOCK" "${RUN_ARGS[@]}" "$@" >"$W/out" 2>"$W/err" &
	CPID=$!
	for _ in $(seq 300); do
		grep -q ready "$W/err" && return 0
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	die "collector did not start: $(tail -n 3 "$W/err")"
}

# the collector's peak RSS so far to $W/hwm, with what it ran: "VmHWM
# RssAnon RssFile ringbuf what" (kB; ringbuf: the resident part of its
# mappings of BPF maps, the ring buffer's data pages mapped twice)
note_hwm() {
	local st
	st=$(awk '$1 ~ /^(VmHWM|RssAnon|RssFile):$/ { v[$1] = $2 }
		END { print v["VmHWM:"], v["RssAnon:"], v["RssFile:"] }' "/proc/$CPID/status")
	echo "$st $(awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == "anon_inode:bpf-map") }
		m && $1 == "Rss:" { n += $2 } END { print n + 0 }' "/proc/$CPID/smaps") $1" >>"$W/hwm"
}

# monitors on the machine that are not this bench's (they cost every run)
others() {
	local l
	l=$(pgrep -a -x 'agentmon|bpftrace|auditd|falco|tetragon|tracee' 2>/dev/null | grep -v "<defunct>" | cut -c1-100 | grep -vF -- "$W/")
	echo "${l:-none}" | paste -sd';' | sed 's/;/; /g'
}

stop_collector() {
	kill -TERM "$CPID"
	wait "$CPID" || note "collector exited with status $?"
	CPID=
	wait_teardown
}

# agent_hooks true|false: wait (up to 30 s) until `status --json` says so
agent_hooks() {
	local i
	for i in $(seq 150); do
		"$AGENTMON" status --json --socket "$SOCK" 2>/dev/null |
			"$PY" -c 'import json, sys; sys.exit(json.load(sys.stdin)["agent_hooks"] is not (sys.argv[1] == "true"))' "$1" &&
			return 0
		sleep 0.2
	done
	die "agent_hooks did not become $1"
}

# the sum of the drop events' lost in the JSON lines on stdin
sum_lost() {
	grep -F '"drop"' | "$PY" -c '
import json, sys
print(sum(json.loads(l).get("lost", 0) for l in sys.stdin if l.strip()))'
}

# one measurement: measure HOW MODE [N]; prints ns per operation (per build,
# per status).  HOW: baseline, untagged (runs as it is), tagged (`agentmon
# launch`), bt-tagged (`loop tag`, bpftrace's map)
measure() {
	local how=$1 mode=$2 n=${3:-${N[$2]:-}} v
	local cmd=("$LOOP" "$mode" "$n")
	case $mode in
	https) cmd=("$PY" tools/bench/https_post.py posts "$HTTPS_PORT" "$n") ;;
	make) make -s -C "$PROJ" clean >/dev/null; cmd=("$LOOP" cmd 1 make -s -j2 -C "$PROJ") ;;
	git) cmd=("$LOOP" cmd "$GIT_RUNS" git -C "$REPO" status) ;;
	agent) cmd=(tools/bench/agent.sh "$CLAUDE" "$W/agent") ;;
	esac
	case $how in
	tagged) v=$("$AGENTMON" launch --socket "$SOCK" --agent bench -- "${cmd[@]}") ;;
	bt-tagged) v=$("$LOOP" tag "${cmd[@]}") ;;
	*) v=$("${cmd[@]}") ;;
	esac || die "$how $mode run failed"
	echo "$v"
}

# the machine's CPU ticks so far, all cores: "BUSY STEAL TOTAL" (/proc/stat)
cpu_ticks() {
	awk '/^cpu /{ busy = $2 + $3 + $4 + $7 + $8; total = busy + $5 + $6 + $9
		print busy, $9, total + $9 }' /proc/stat
}

# every mode once: all_modes ROUND CONFIG HOW [SCALE], to $W/results; the
# machine's busy and steal ticks during each run to $W/cpu (the noise)
all_modes() {
	local r=$1 config=$2 how=$3 scale=${4:-1} mode n v c0 c1
	for mode in "${MODES[@]}"; do
		n=
		[ -n "${N[$mode]:-}" ] && n=$(((N[$mode] + scale - 1) / scale))
		c0=$(cpu_ticks)
		v=$(measure "$how" "$mode" $n) || exit 1   # measure said why
		c1=$(cpu_ticks)
		echo "$r $config $mode $v" >>"$W/results"
		echo "$r $config $mode $c0 $c1" >>"$W/cpu"
	done
}

# agentmon in one round: idle, untagged (an agent alive), tagged
run_agentmon() {
	local r=$1 off
	start_collector --idle-detach "$IDLE_DETACH"
	agent_hooks false
	wait_teardown "$CPID"
	all_modes "$r" idle untagged
	"$AGENTMON" launch --socket "$SOCK" --agent idle -- sleep 100000 &
	IDLE_PID=$!
	agent_hooks true
	"$AGENTMON" status --json --socket "$SOCK" 2>/dev/null | "$PY" -c '
import json, sys
t = json.load(sys.stdin).get("tls_uprobes", {})
print(t.get("scope", "-"), t.get("system_wide_why") or "")' >"$W/scope" 2>/dev/null
	all_modes "$r" untagged untagged
	off=$(stat -c %s "$W/out")
	all_modes "$r" tagged tagged
	kill "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null; IDLE_PID=
	sleep 0.5   # let the collector drain before it is stopped
	note_hwm "round $r, the workloads tagged"
	stop_collector
	echo "$r events agentmon $(tail -c +$((off + 1)) "$W/out" | grep -vcF '"drop"')" \
		"$(tail -c +$((off + 1)) "$W/out" | sum_lost)" >>"$W/results"
}

# ---- bpftrace: tools/bench/peer.bt, its output to a file ----

run_bpftrace() {
	local r=$1 i lines lost
	rm -f "$W/bt.ready"
	# a perf buffer of 8 MiB per CPU: as much as agentmon's 16 MiB ring buffer on 2 CPUs
	BPFTRACE_PERF_RB_PAGES=2048 bpftrace --unsafe tools/bench/peer.bt "$W/bt.ready" \
		>"$W/bt.out" 2>"$W/bt.err" &
	BT_PID=$!
	for i in $(seq 600); do
		[ -e "$W/bt.ready" ] && break
		kill -0 "$BT_PID" 2>/dev/null || die "bpftrace did not start: $(tail -n 3 "$W/bt.err")"
		sleep 0.05
	done
	[ -e "$W/bt.ready" ] || die "bpftrace did not start in 30 s"
	all_modes "$r" bt-untagged untagged
	all_modes "$r" bt-tagged bt-tagged
	kill -INT "$BT_PID"
	wait "$BT_PID"
	BT_PID=
	lines=$(grep -cvE '^(Attaching|Lost|ready$|$)' "$W/bt.out")
	lost=$(cat "$W/bt.out" "$W/bt.err" | awk '$1 == "Lost" && $3 ~ /^events/ { n += $2 } END { print n + 0 }')
	echo "$r events bpftrace $lines $lost" >>"$W/results"
}

# ---- auditd ----

audit_start() {
	local i
	AUDIT_PREV=("$(audit_field enabled)" "$(audit_field backlog_limit)"
		"$(audit_field backlog_wait_time)" "$(audit_field failure)")
	AUDIT_LOG=
	if pgrep -x auditd >/dev/null; then
		# the machine's own auditd: used as it is
		AUDIT_LOG=$(awk -F' *= *' '$1 == "log_file" { print $2 }' /etc/audit/auditd.conf 2>/dev/null)
		AUDIT_LOG=${AUDIT_LOG:-/var/log/audit/audit.log}
	else
		mkdir -p "$W/audit"
		AUDIT_LOG=$W/audit/audit.log
		sed -e "s|^log_file *=.*|log_file = $AUDIT_LOG|" \
			-e 's|^max_log_file_action *=.*|max_log_file_action = IGNORE|' \
			/etc/audit/auditd.conf >"$W/audit/auditd.conf"
		auditd -n -c "$W/audit" >"$W/audit/stderr" 2>&1 &
		AUDITD_PID=$!
		for i in $(seq 100); do
			[ "$(audit_field pid)" = "$AUDITD_PID" ] && break
			kill -0 "$AUDITD_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ "$(audit_field pid)" = "$AUDITD_PID" ] ||
			{ note "auditd did not start: $(tail -n 2 "$W/audit/stderr")"; audit_stop; return 1; }
		# what the package's rules file (/etc/audit/rules.d/audit.rules) sets
		auditctl -b 8192 >/dev/null && auditctl --backlog_wait_time 60000 >/dev/null &&
			auditctl -f 1 >/dev/null
	fi
	AUDIT_ON=1
	auditctl -a "${AUDIT_RULE[@]}" >/dev/null || { audit_stop; return 1; }
	auditctl -e 1 >/dev/null
	AUDIT_OFF0=$(stat -c %s "$AUDIT_LOG" 2>/dev/null || echo 0)
	AUDIT_LOST0=$(audit_field lost)
}

# our rule out, our auditd stopped, the settings as they were
audit_stop() {
	auditctl -d "${AUDIT_RULE[@]}" >/dev/null 2>&1
	if [ -n "$AUDITD_PID" ]; then
		kill -TERM "$AUDITD_PID" 2>/dev/null
		wait "$AUDITD_PID" 2>/dev/null
		AUDITD_PID=
	fi
	if [ ${#AUDIT_PREV[@]} = 4 ]; then
		auditctl -b "${AUDIT_PREV[1]}" >/dev/null
		auditctl --backlog_wait_time "${AUDIT_PREV[2]}" >/dev/null
		auditctl -f "${AUDIT_PREV[3]}" >/dev/null
		auditctl -e "${AUDIT_PREV[0]}" >/dev/null
	fi
	AUDIT_ON=
}

run_auditd() {
	local r=$1 records lost
	audit_start || die "cannot run the auditd peer"
	all_modes "$r" auditd untagged "$AUDIT_SCALE"
	sleep 1   # auditd's writes
	lost=$(($(audit_field lost) - AUDIT_LOST0))
	records=$(tail -c +$((AUDIT_OFF0 + 1)) "$AUDIT_LOG" | grep -c 'type=SYSCALL.*key="agentmon-bench"')
	audit_stop
	[ "$AUDIT_LOG" = "$W/audit/audit.log" ] && rm -f "$AUDIT_LOG"   # ours: hundreds of MB
	echo "$r events auditd $records $lost" >>"$W/results"
}

# the collector's CPU ns so far, "total main": total is every thread's, dead
# ones too (the process CPU clock), main the main thread's ("-" when the
# kernel has no schedstat)
cpu_ns() {
	"$PY" - "$CPID" <<'PYEOF'
import sys, time
pid = int(sys.argv[1])
total = time.clock_gettime_ns(((~pid) << 3) | 2)  # CPUCLOCK_SCHED of the process
try:
    main = open("/proc/%d/task/%d/schedstat" % (pid, pid)).read().split()[0]
except (OSError, IndexError):
    main = "-"
print(total, main)
PYEOF
}

# bytes of the trace files in $1 (0 when there are none yet)
trace_bytes() {
	local f b=0
	for f in "$1"/*.amtrace; do [ -f "$f" ] && b=$((b + $(stat -c %s "$f"))); done
	echo "$b"
}

# recording cost, one collector: rec_run ROUND norecord|record; appends
# "R how workload cpu_ns main_ns events bytes ns/op" per workload and
# "R check how drops json_lines replayed_lines status_lost" to $W/rec
rec_run() {
	local r=$1 how=$2 dir=$W/none wl c0 c1 l0 b0 v main st lost drops lines replayed=-
	[ "$how" = record ] && dir=$W/traces/r$r
	if [ "$how" = record ]; then start_collector --record "$dir"; else start_collector; fi
	for wl in "${REC_WORKLOADS[@]}"; do
		l0=$(wc -l <"$W/out")
		b0=$(trace_bytes "$dir")
		read -ra c0 <<<"$(cpu_ns)"
		if [ "$wl" = open ]; then v=$(measure tagged open "$N_RECORD"); else v=$(measure tagged "$wl"); fi || exit 1
		sleep "$SETTLE"
		read -ra c1 <<<"$(cpu_ns)"
		main=-
		[ "${c0[1]}" != - ] && [ "${c1[1]}" != - ] && main=$((c1[1] - c0[1]))
		echo "$r $how $wl $((c1[0] - c0[0])) $main $(($(wc -l <"$W/out") - l0))" \
			"$(($(trace_bytes "$dir") - b0)) $v" >>"$W/rec"
	done
	lost=-
	if [ "$how" = record ]; then
		# recording.lost, when the status has it ("none" when it does not)
		st=$("$AGENTMON" status --json --socket "$SOCK" 2>/dev/null)
		lost=$(printf '%s' "$st" | "$PY" -c '
import json, sys
try:
    print(json.load(sys.stdin)["recording"].get("lost", "none"))
except Exception:
    print("-")')
	fi
	note_hwm "round $r, recording cost ($how)"
	stop_collector
	drops=$(grep -F '"drop"' "$W/out" | "$PY" -c '
import json, sys
print(sum(json.loads(l).get("lost", 0) for l in sys.stdin if l.strip()))')
	lines=$(wc -l <"$W/out")
	if [ "$how" = record ]; then
		replayed=$("$AGENTMON" replay --json "$dir"/*.amtrace 2>"$W/replay.err" | wc -l)
		[ -s "$W/replay.err" ] && grep -v '^agentmon: replayed ' "$W/replay.err" >&2
	fi
	echo "$r check $how $drops $lines $replayed $lost" >>"$W/rec"
}

# replay speed over every round's trace: "json|alerts seconds" lines to
# $W/replay, "events N", "files N", "bytes N" first
replay_speed() {
	local files=("$W"/traces/r*/*.amtrace) i how t0 t1 b=0 f
	[ -f "${files[0]}" ] || die "no trace was recorded"
	for f in "${files[@]}"; do b=$((b + $(stat -c %s "$f"))); done
	{
		echo "files ${#files[@]}"
		echo "bytes $b"
		echo "events $("$AGENTMON" replay --json "${files[@]}" 2>/dev/null | wc -l)"
	} >"$W/replay"
	for ((i = 1; i <= REPLAY_RUNS; i++)); do
		for how in json alerts; do
			t0=$(date +%s%N)
			"$AGENTMON" replay --"$how" "${files[@]}" >/dev/null 2>"$W/replay.err" ||
				die "replay --$how failed: $(tail -n 3 "$W/replay.err")"
			t1=$(date +%s%N)
			echo "$how $((t1 - t0))" >>"$W/replay"
		done
	done
}

# alert latency: request sent -> webhook received, per alert
latency() {
	local hook_port
	hook_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 's3cret\n' >"$W/secret" && chmod 600 "$W/secret"
	"$PY" tests/integration/helpers/webhook_receiver.py --port "$hook_port" \
		--secret-file "$W/secret" --log "$W/hook.log" &
	SERVERS+=($!)
	printf 'alerts:\n  spool_dir: %s/spool\n  webhooks:\n    - url: http://127.0.0.1:%s/\n      secret_file: %s/secret\n' \
		"$W" "$hook_port" "$W" >"$W/policy.yaml"
	start_collector --config "$W/policy.yaml"
	"$AGENTMON" launch --socket "$SOCK" --agent bench -- \
		"$PY" tools/bench/https_post.py latency "$HTTPS_PORT" "$N_LATENCY" "$W/sent.log" ||
		die "latency client failed"
	sleep 2
	stop_collector
	"$PY" - "$W/sent.log" "$W/hook.log" <<'PYEOF'
import json, statistics, sys
sent = dict(l.split() for l in open(sys.argv[1]))
lat = []
try:
    for l in open(sys.argv[2]):
        r = json.loads(l)
        host = r["body"].get("host")
        if host in sent:
            lat.append((r["t_ns"] - int(sent[host])) / 1e6)
except FileNotFoundError:
    pass
if not lat:
    print("alert latency: no alert reached the webhook (TLS plaintext not captured?)")
else:
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print("alert latency request->webhook: median %.1f ms, p99 %.1f ms, max %.1f ms (%d of %d alerts)"
          % (statistics.median(lat), p99, lat[-1], len(lat), len(sent)))
PYEOF
}


# ---- throughput: a tagged `loop rate` stepped up ----

# wait until the collector's output has not grown for 0.5 s (at most 30 s)
wait_quiet() {
	local i a b
	for i in $(seq 60); do
		a=$(stat -c %s "$W/out")
		sleep 0.5
		b=$(stat -c %s "$W/out")
		[ "$a" = "$b" ] && return 0
	done
}

# throughput RINGBUF: "ringbuf target made achieved seen lost cpu_ns" per
# step to $W/rate, with a collector whose ring buffer is RINGBUF
throughput() {
	local rb=$1 rate off v c0 c1 lossy=0
	start_collector --ringbuf-size "$rb"
	for rate in $RATES; do
		off=$(stat -c %s "$W/out")
		read -ra c0 <<<"$(cpu_ns)"
		v=$("$AGENTMON" launch --socket "$SOCK" --agent rate -- \
			"$LOOP" rate "$rate" "$RATE_SECONDS" "$RATE_PROCS") || die "rate $rate failed"
		wait_quiet
		read -ra c1 <<<"$(cpu_ns)"
		echo "$rb $rate $v $(tail -c +$((off + 1)) "$W/out" | grep -vcF '"drop"')" \
			"$(tail -c +$((off + 1)) "$W/out" | sum_lost) $((c1[0] - c0[0]))" >>"$W/rate"
		printf 'throughput (ring buffer %s): %s/s done\n' "$rb" "$rate" >&2
		if [ "$(awk 'END { print $6 }' "$W/rate")" != 0 ]; then
			lossy=$((lossy + 1))
			[ "$lossy" -ge 2 ] && break
		fi
	done
	note_hwm "throughput steps, ring buffer $rb, up to $rate/s"
	stop_collector
}

# ---- the rounds ----

: >"$W/results"
: >"$W/cpu"
: >"$W/rec"
: >"$W/hwm"
start=$(date +%s)
read -r load0 _ </proc/loadavg
others0=$(others)
[ "$others0" = none ] || note "other monitors are running (they slow every run): $others0"
# warm-up, not counted: caches, the https server, the compiler's headers
for mode in "${MODES[@]}"; do
	n=
	[ -n "${N[$mode]:-}" ] && n=$(((N[$mode] + 9) / 10))
	measure untagged "$mode" $n >/dev/null || exit 1
done
run_baseline() { all_modes "$1" baseline untagged; }
read -ra blocks <<<"baseline agentmon $PEERS"
for ((r = 1; r <= ROUNDS; r++)); do
	order=("${blocks[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#blocks[@]} - 1; i >= 0; i--)); do order+=("${blocks[i]}"); done
	fi
	for b in "${order[@]}"; do "run_$b" "$r"; done
	[ "$OVERHEAD_ONLY" = 1 ] && continue
	# recording cost: the two collectors in turn, the first one alternating
	if ((r % 2)); then rec_run "$r" norecord; rec_run "$r" record
	else rec_run "$r" record; rec_run "$r" norecord; fi
	printf 'round %d/%d done (%ds)\n' "$r" "$ROUNDS" $(($(date +%s) - start)) >&2
done

: >"$W/rate"
if [ "$OVERHEAD_ONLY" = 1 ]; then
	: >"$W/startup.txt"
	"$PY" "$REPORT" tables "$W/results" "$W/rate" "$W/startup.txt" "$W/hwm" "$AUDIT_SCALE" "${MODES[@]}"
	"$PY" "$REPORT" cpu "$W/cpu"
	printf '\nbench: %d s (overhead only); agentmon run %s; tls uprobes: %s; load average (1 min) %s before, %s after\n' \
		$(($(date +%s) - start)) "${RUN_ARGS[*]:-(defaults)}" "$(cat "$W/scope" 2>/dev/null)" "$load0" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	exit 0
fi
throughput 16m
throughput "$RATE_SMALL_RB"
printf 'start-up: %d runs\n' "$STARTUP_RUNS" >&2
"$PY" tools/bench/startup.py "$AGENTMON" "$W/startup" "$STARTUP_RUNS" >"$W/startup.txt" ||
	die "start-up measurement failed"
wait_teardown

"$PY" "$REPORT" tables "$W/results" "$W/rate" "$W/startup.txt" "$W/hwm" "$AUDIT_SCALE" "${MODES[@]}"
"$PY" "$REPORT" cpu "$W/cpu"
echo
"$PY" - "$W/rec" "${REC_WORKLOADS[@]}" <<'PYEOF'
import statistics, sys
res, checks = {}, []
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "check":
        checks.append(f)
    else:
        res[(int(f[0]), f[1], f[2])] = f[3:]
rounds = sorted({k[0] for k in res})
def stat(xs, fmt):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    return "%s (%s-%s)" % (fmt % statistics.median(xs), fmt % min(xs), fmt % max(xs))
def per_ev(v, i):  # field i of a result per event, None when not known
    return None if v[i] == "-" or int(v[2]) == 0 else int(v[i]) / int(v[2])
print()
print("recording cost (tagged workloads; collector CPU, all threads, per JSON event;"
      " record x = with/without, per round)")
print("%-9s %-10s %-22s %-22s %-18s %-18s %-18s %-18s"
      % ("workload", "events", "no-record ns/ev", "record ns/ev", "record x",
         "writer ns/ev", "trace B/ev", "workload x"))
for wl in sys.argv[2:]:
    nr = [res[(r, "norecord", wl)] for r in rounds]
    rc = [res[(r, "record", wl)] for r in rounds]
    ev = statistics.median(int(v[2]) for v in rc)
    a = [per_ev(v, 0) for v in nr]
    b = [per_ev(v, 0) for v in rc]
    x = [q / p if p and q else None for p, q in zip(a, b)]
    # the writer: every thread but the main one
    wr = [None if v[1] == "-" or not int(v[2]) else (int(v[0]) - int(v[1])) / int(v[2]) for v in rc]
    by = [per_ev(v, 3) for v in rc]
    wx = [float(q[4]) / float(p[4]) for p, q in zip(nr, rc)]
    print("%-9s %-10d %-22s %-22s %-18s %-18s %-18s %-18s"
          % (wl, ev, stat(a, "%.0f"), stat(b, "%.0f"), stat(x, "%.2f"), stat(wr, "%.0f"),
             stat(by, "%.1f"), stat(wx, "%.2f")))
bad = []
for c in checks:
    r, how, drops, lines, replayed, lost = int(c[0]), c[2], int(c[3]), c[4], c[5], c[6]
    if drops:
        bad.append("round %d %s: %d events dropped" % (r, how, drops))
    if how == "record":
        if replayed != lines:
            bad.append("round %d: the collector wrote %s JSON lines, its trace replays %s"
                       % (r, lines, replayed))
        if lost not in ("0", "none", "-"):
            bad.append("round %d: status recording.lost %s" % (r, lost))
rec = [c for c in checks if c[2] == "record"]
lost = sorted({c[6] for c in rec})
print("recording runs: %d events dropped; traces replay to the collector's JSON lines: %s (%s);"
      " status recording.lost: %s"
      % (sum(int(c[3]) for c in checks),
         "yes" if all(c[4] == c[5] for c in rec) else "NO",
         " ".join("%s/%s" % (c[5], c[4]) for c in rec),
         {"none": "not in the status", "-": "no status"}.get("".join(lost), " ".join(c[6] for c in rec))))
for b in bad:
    print("  WARNING: " + b)
PYEOF

printf 'replay speed: timing %d runs of each\n' "$REPLAY_RUNS" >&2
replay_speed
"$PY" - "$W/replay" <<'PYEOF'
import statistics, sys
info, times = {}, {"json": [], "alerts": []}
for line in open(sys.argv[1]):
    k, v = line.split()
    if k in times:
        times[k].append(int(v) / 1e9)
    else:
        info[k] = int(v)
ev = info["events"]
print()
print("replay of the recorded traces: %d events (JSON lines), %d files, %.1f MB"
      % (ev, info["files"], info["bytes"] / 1e6))
print("%-18s %-30s %-20s" % ("command", "events/s", "s per run"))
for how in ("json", "alerts"):
    t = times[how]
    rate = [ev / x for x in t]
    print("%-18s %-30s %-20s" % ("replay --" + how,
          "%.0f (%.0f-%.0f)" % (statistics.median(rate), min(rate), max(rate)),
          "%.2f (%.2f-%.2f)" % (statistics.median(t), min(t), max(t))))
PYEOF
tools/bench/llm.sh "$AGENTMON" || note "no model traffic row"   # CPU per MB of llm exchanges
tools/bench/export.sh "$AGENTMON" "$LOOP" || note "no export row"   # export.nats at 200k events/s
latency
"$PY" "$REPORT" targets "$W/results" "$W/rate" "$W/hwm" "${MODES[@]}"
if [ -n "${BENCH_SAVE:-}" ]; then   # the raw figures, for report.py
	mkdir -p "$BENCH_SAVE" && cp "$W/results" "$W/cpu" "$W/rate" "$W/hwm" "$W/startup.txt" "$W/rec" \
		"$W/replay" "$BENCH_SAVE"/ || note "cannot save the raw figures to $BENCH_SAVE"
fi
read -r load1 _ </proc/loadavg
printf '\nbench: %d s; load average (1 min) %s before, %s after; other monitors at the start: %s; at the end: %s\n' \
	$(($(date +%s) - start)) "$load0" "$load1" "$others0" "$(others)"
