#!/bin/bash
# export.sh - the bench's row for the cost of `export.nats` with what:
# [alerts, events]: a real nats-server with JetStream on loopback (a stream
# on agentmon.>), then per round two collectors in turn, without and with the
# export, each running the tagged rate loop at BENCH_EXPORT_RATE (200000)
# events/s for BENCH_RATE_SECONDS (3) s in BENCH_RATE_PROCS (2) processes.
# For each: the collector's CPU ns per event (every thread, its process CPU
# clock, from before the loop until the export has every message acked), the
# events it printed, the kernel's drops, and with the export the messages
# acked, lost and left spooled, and the stream's count (what reached it).
# Loss must be 0 below the spool bound: it is shown, never failed on.
# BENCH_EXPORT_ROUNDS (3) rounds; medians.  Run by tools/bench.sh, or alone
# as root after make (build/bench/loop is built by tools/bench.sh):
#   tools/bench/export.sh [AGENTMON] [LOOP]
set -u
AGENTMON=${1:-build/agentmon}
LOOP=${2:-build/bench/loop}
RATE=${BENCH_EXPORT_RATE:-200000}
SECS=${BENCH_RATE_SECONDS:-3}
PROCS=${BENCH_RATE_PROCS:-2}
ROUNDS=${BENCH_EXPORT_ROUNDS:-3}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
NJS=tests/integration/helpers/nats_js.py
die() { echo "bench export: $*" >&2; exit 1; }

command -v nats-server >/dev/null || die "no nats-server (tools/deps.sh installs it)"
{ [ -x "$AGENTMON" ] && [ -x "$LOOP" ]; } || die "run make and tools/bench.sh first ($LOOP)"
W=$(mktemp -d /tmp/agentmon-bench-export.XXXXXX) || die mktemp
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s/js" }\n' "$PORT" "$W" >"$W/nats.conf"
nats-server -c "$W/nats.conf" -l "$W/nats.log" &
PIDS+=($!)
NJ=("$PY" "$NJS" --url "nats://127.0.0.1:$PORT")
for _ in $(seq 100); do "${NJ[@]}" ping 2>/dev/null && break; sleep 0.1; done
"${NJ[@]}" create AGENTMON 'agentmon.>' >/dev/null || die "cannot create the stream: $(tail -2 "$W/nats.log")"
cat >"$W/export.yaml" <<EOF
export:
  nats:
    url: nats://127.0.0.1:$PORT
    subject: agentmon
    what: [alerts, events]
    spool_dir: $W/spool
EOF

# cpu_ns PID: every thread's CPU ns (the process CPU clock)
cpu_ns() { "$PY" -c 'import sys, time; print(time.clock_gettime_ns(((~int(sys.argv[1])) << 3) | 2))' "$1"; }
# xstat FIGURE: one export figure of the running collector's status
xstat() {
	"$AGENTMON" status --json --socket "$W/sock" | "$PY" -c '
import json, sys
x = json.load(sys.stdin).get("export") or {}
print(x.get(sys.argv[1], 0))' "$1"
}
# settled: the export has nothing queued, in flight or spooled
settled() { [ "$(xstat queued)" = 0 ] && [ "$(xstat inflight)" = 0 ] && [ "$(xstat spooled)" = 0 ]; }

# one ROUND HOW (plain|export): "HOW cpu_ns events drops acked lost spooled" to $W/res
one() {
	local how=$1 cpid c0 c1 ev drops
	local args=(run --format json --no-record --tls-cache none --no-pin --socket "$W/sock"
		--host-id bench)
	[ "$how" = export ] && args+=(--config "$W/export.yaml")
	: >"$W/err" # before the start: the last run's "ready" must not be read
	"$AGENTMON" "${args[@]}" >"$W/out" 2>"$W/err" &
	cpid=$!
	PIDS+=("$cpid")
	for _ in $(seq 300); do grep -q ready "$W/err" && break; sleep 0.1; done
	grep -q ready "$W/err" || die "collector did not start: $(tail -3 "$W/err")"
	c0=$(cpu_ns "$cpid")
	"$AGENTMON" launch --socket "$W/sock" --agent rate -- "$LOOP" rate "$RATE" "$SECS" "$PROCS" \
		>/dev/null || die "the rate loop failed: $(tail -3 "$W/err")"
	# the collector caught up (its output stopped growing), the export drained
	local a b
	for _ in $(seq 600); do
		a=$(stat -c %s "$W/out"); sleep 0.5; b=$(stat -c %s "$W/out")
		[ "$a" = "$b" ] && { [ "$how" = plain ] || settled; } && break
	done
	c1=$(cpu_ns "$cpid")
	ev=$(grep -c . "$W/out")
	drops=$("$PY" -c '
import json, sys
print(sum(json.loads(l).get("lost", 0) for l in open(sys.argv[1]) if "\"drop\"" in l))' "$W/out")
	if [ "$how" = export ]; then
		echo "$how $((c1 - c0)) $ev $drops $(xstat acked) $(xstat lost) $(xstat spooled)" >>"$W/res"
	else
		echo "$how $((c1 - c0)) $ev $drops - - -" >>"$W/res"
	fi
	kill "$cpid"
	wait "$cpid" 2>/dev/null
}

: >"$W/res"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then one plain; one export; else one export; one plain; fi
	printf 'export: round %d/%d done\n' "$r" "$ROUNDS" >&2
done
stream=$("${NJ[@]}" count AGENTMON 2>/dev/null || echo "?")
"$PY" - "$W/res" "$RATE" "$stream" <<'PYEOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(how, i, per_ev=False):
    xs = [int(r[i]) / (int(r[2]) or 1) if per_ev else int(r[i]) for r in rows if r[0] == how]
    return statistics.median(xs), min(xs), max(xs)
print()
print("export.nats, what: [alerts, events], at %s events/s (collector CPU, all threads, per"
      " event, until every message was acked)" % sys.argv[2])
print("%-8s %-22s %-10s %-7s %-10s %-6s %-8s" % ("collector", "ns/event", "events", "drops",
                                                "acked", "lost", "spooled"))
for how in ("plain", "export"):
    m, lo, hi = med(how, 1, True)
    r = [x for x in rows if x[0] == how]
    print("%-9s %-22s %-10s %-7s %-10s %-6s %-8s" % (
        how, "%.0f (%.0f-%.0f)" % (m, lo, hi), "%.0f" % med(how, 2)[0],
        sum(int(x[3]) for x in r), "-" if how == "plain" else sum(int(x[4]) for x in r),
        "-" if how == "plain" else sum(int(x[5]) for x in r),
        "-" if how == "plain" else sum(int(x[6]) for x in r)))
ex = [int(r[1]) / (int(r[2]) or 1) for r in rows if r[0] == "export"]
pl = [int(r[1]) / (int(r[2]) or 1) for r in rows if r[0] == "plain"]
print("export cost: %.0f ns of collector CPU per event exported; the stream holds %s messages"
      " (every export run's events: %d)" % (statistics.median(ex) - statistics.median(pl),
                                            sys.argv[3], sum(int(r[2]) for r in rows
                                                             if r[0] == "export")))
PYEOF
