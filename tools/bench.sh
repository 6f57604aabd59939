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
# events the collector reported lost (drop events) in the tagged runs.
#
# The https mode is a tagged client doing small POSTs over one keep-alive
# TLS connection (tools/bench/https_post.py) to a local server.  At the end
# one more phase measures alert latency: BENCH_N_LATENCY POSTs, each to its
# own host name, from request to the webhook receiver (median and p99).
#
# env: BENCH_ROUNDS, BENCH_N_OPEN, BENCH_N_CONNECT, BENCH_N_FORKEXEC,
#      BENCH_N_HTTPS, BENCH_N_LATENCY, AGENTMON (default build/agentmon), CC
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${BENCH_ROUNDS:-5}
MODES=(open connect forkexec https)
declare -A N=([open]=${BENCH_N_OPEN:-500000} [connect]=${BENCH_N_CONNECT:-20000}
	[forkexec]=${BENCH_N_FORKEXEC:-1000} [https]=${BENCH_N_HTTPS:-2000})
N_LATENCY=${BENCH_N_LATENCY:-100}
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
cleanup() {
	if [ -n "$CPID" ]; then kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; fi
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

start_collector() {
	: >"$W/err"
	"$AGENTMON" run --format json --no-record --socket "$SOCK" "$@" >"$W/out" 2>"$W/err" &
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
}

# one measurement: prints ns/op
measure() {
	local how=$1 mode=$2 v cmd=("$LOOP" "$mode" "${N[$mode]}")
	[ "$mode" = https ] && cmd=("$PY" tools/bench/https_post.py posts "$HTTPS_PORT" "${N[$mode]}")
	if [ "$how" = tagged ]; then
		v=$("$AGENTMON" launch --socket "$SOCK" --agent bench -- "${cmd[@]}")
	else
		v=$("${cmd[@]}")
	fi || die "$how $mode run failed"
	echo "$v"
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
latency
