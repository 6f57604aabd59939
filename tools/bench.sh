#!/bin/bash
# bench.sh - overhead of agentmon on three syscall-heavy loops (not a test).
#
# For each of BENCH_ROUNDS rounds (default 5), interleaved, it runs every mode
# of build/bench/loop (open, connect, forkexec) three ways:
#   baseline  no collector
#   untagged  collector running, the loop is not an agent (the hooks' cost)
#   tagged    collector running, the loop started by `agentmon launch`
#             (full capture, JSON written to a file)
# and prints per mode the baseline ns/op (median, min-max) and the median and
# min-max over rounds of each round's ratio to its own baseline, plus the
# events the collector reported lost (drop events) in the tagged runs.  These
# collectors run with --no-record, so the figures stay comparable with the
# ones in README.md; recording is measured on its own (below).
#
# The https mode is a tagged client doing small POSTs over one keep-alive
# TLS connection (tools/bench/https_post.py) to a local server.
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
# At the end one more phase measures alert latency: BENCH_N_LATENCY POSTs,
# each to its own host name, from request to the webhook receiver (median
# and p99).
#
# Timings are shown, never checked.  About 3 minutes with the defaults on 2
# cores; BENCH_ROUNDS=1 for a quick run.
#
# env: BENCH_ROUNDS, BENCH_N_OPEN, BENCH_N_CONNECT, BENCH_N_FORKEXEC,
#      BENCH_N_HTTPS, BENCH_N_LATENCY, BENCH_N_RECORD (default 500000),
#      BENCH_REPLAY_RUNS (default 3), AGENTMON (default build/agentmon), CC
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${BENCH_ROUNDS:-5}
MODES=(open connect forkexec https)
declare -A N=([open]=${BENCH_N_OPEN:-500000} [connect]=${BENCH_N_CONNECT:-20000}
	[forkexec]=${BENCH_N_FORKEXEC:-1000} [https]=${BENCH_N_HTTPS:-2000})
N_LATENCY=${BENCH_N_LATENCY:-100}
N_RECORD=${BENCH_N_RECORD:-500000}
REPLAY_RUNS=${BENCH_REPLAY_RUNS:-3}
REC_WORKLOADS=(open https)
SETTLE=1.5   # s after a workload: the recorder's writer has written it
AGENTMON=${AGENTMON:-build/agentmon}
LOOP=build/bench/loop
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

die() { echo "bench: $*" >&2; exit 1; }

mkdir -p build/bench
"${CC:-cc}" -O2 -Wall -Wextra -pthread -o "$LOOP" tools/bench/loop.c || die "cannot build $LOOP"
[ "$(id -u)" -eq 0 ] || die "needs root (the collector loads BPF programs)"
[ -x "$AGENTMON" ] || die "$AGENTMON not built (run make)"

W=$(mktemp -d /tmp/agentmon-bench.XXXXXX) || die mktemp
SOCK=$W/agentmon.sock
CPID=
SERVERS=()
# a stopped collector leaves a detached process that detaches its uprobes
# (user/load.c, load_destroy_links): wait for it, so that no hook of ours is
# left for the next measurement, nor once the bench is over
wait_teardown() {
	local i
	for i in $(seq 200); do
		pgrep -f -- "--socket $SOCK" >/dev/null || return 0
		sleep 0.05
	done
	echo "bench: a collector's teardown is still running after 10 s" >&2
}

cleanup() {
	if [ -n "$CPID" ]; then kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; fi
	wait_teardown
	for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the local TLS server for the https mode
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 \
	-subj /CN=bench.example 2>/dev/null || die "cannot make a certificate"
"$PY" tests/integration/helpers/https_server.py --port-file "$W/port" --log /dev/null \
	--cert "$W/cert.pem" --key "$W/key.pem" &
SERVERS+=($!)
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
HTTPS_PORT=$(cat "$W/port") || die "https server did not start"

# the collector, JSON to $W/out; without --record it records nothing
start_collector() {
	case " $* " in *" --record "*) ;; *) set -- --no-record "$@" ;; esac
	: >"$W/err"
	"$AGENTMON" run --format json --socket "$SOCK" "$@" >"$W/out" 2>"$W/err" &
	CPID=$!
	for _ in $(seq 300); do
		grep -q ready "$W/err" && return 0
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	die "collector did not start: $(tail -n 3 "$W/err")"
}

stop_collector() {
	kill -TERM "$CPID"
	wait "$CPID" || echo "bench: collector exited with status $?" >&2
	CPID=
	wait_teardown
}

# one measurement (N[mode] operations, or the third argument): prints ns/op
measure() {
	local how=$1 mode=$2 n=${3:-${N[$2]}} v
	local cmd=("$LOOP" "$mode" "$n")
	[ "$mode" = https ] && cmd=("$PY" tools/bench/https_post.py posts "$HTTPS_PORT" "$n")
	if [ "$how" = tagged ]; then
		v=$("$AGENTMON" launch --socket "$SOCK" --agent bench -- "${cmd[@]}")
	else
		v=$("${cmd[@]}")
	fi || die "$how $mode run failed"
	echo "$v"
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
		if [ "$wl" = open ]; then v=$(measure tagged open "$N_RECORD"); else v=$(measure tagged "$wl"); fi
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
	printf 's3cret\n' >"$W/secret"
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

: >"$W/results"
: >"$W/rec"
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in "${MODES[@]}"; do
		echo "$r baseline $mode $(measure baseline "$mode")" >>"$W/results"
	done
	start_collector
	for mode in "${MODES[@]}"; do
		echo "$r untagged $mode $(measure untagged "$mode")" >>"$W/results"
	done
	for mode in "${MODES[@]}"; do
		echo "$r tagged $mode $(measure tagged "$mode")" >>"$W/results"
	done
	sleep 0.5   # let the collector drain before it is stopped
	stop_collector
	lost=$(grep -F '"drop"' "$W/out" | "$PY" -c '
import json, sys
print(sum(json.loads(l).get("lost", 0) for l in sys.stdin if l.strip()))')
	events=$(wc -l <"$W/out")
	echo "$r drops $lost $events" >>"$W/results"
	# recording cost: the two collectors in turn, the first one alternating
	if ((r % 2)); then rec_run "$r" norecord; rec_run "$r" record
	else rec_run "$r" record; rec_run "$r" norecord; fi
	printf 'round %d/%d done (%ds)\n' "$r" "$ROUNDS" $(($(date +%s) - start)) >&2
done

"$PY" - "$W/results" "${MODES[@]}" <<'PYEOF'
import statistics, sys
res, drops = {}, []
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "drops":
        drops.append((int(f[0]), int(f[2]), int(f[3])))
    else:
        res[(int(f[0]), f[1], f[2])] = float(f[3])
rounds = sorted({k[0] for k in res})
def stat(xs, fmt):
    return "%s (%s-%s)" % (fmt % statistics.median(xs), fmt % min(xs), fmt % max(xs))
print("%-9s %-26s %-20s %-20s" % ("mode", "baseline ns/op", "untagged x", "tagged x"))
for mode in sys.argv[2:]:
    base = [res[(r, "baseline", mode)] for r in rounds]
    cols = [stat(base, "%.0f")]
    for how in ("untagged", "tagged"):
        cols.append(stat([res[(r, how, mode)] / res[(r, "baseline", mode)] for r in rounds], "%.2f"))
    print("%-9s %-26s %-20s %-20s" % (mode, *cols))
tot = sum(d[1] for d in drops)
print("tagged runs: %d events lost in %d rounds (per round: %s); JSON lines per round: %s"
      % (tot, len(drops), " ".join(str(d[1]) for d in drops), " ".join(str(d[2]) for d in drops)))
PYEOF

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
latency
