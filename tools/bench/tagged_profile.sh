#!/bin/bash
# tagged_profile.sh [N] [MODE] - where the time of N tagged HTTPS requests
# goes (not a test; root; build/agentmon built).  MODE: the collector's
# --tls-uprobes (default process).
#
# A collector of its own (its own socket and pin dir, JSON to a file), a
# local HTTPS server (untagged), then N POSTs on one keep-alive connection
# (tools/bench/https_post.py, python's ssl: libssl) from a client launched
# as the agent "profile<PID>".  Before and after, with kernel.bpf_stats_enabled
# on (restored after), after one untimed launch of the same client:
#   - every program of the collector (its prog ids in /proc/PID/fdinfo):
#     runs and ns per request and ns per run; the uprobe programs' runs are
#     the traps that ran a program (tail calls are inside their caller's
#     time and not counted as runs; traps filtered out before any program
#     are in no figure)
#   - the collector's CPU (utime+stime, every thread, 10 ms ticks) per
#     request: an upper bound, it also serves any other agent on the host
#   - the JSON lines of this agent per request, by type, and their bytes
#   - with perf installed (apt-get install -y linux-perf), the collector's
#     hottest functions (perf record -e cpu-clock -g, self time)
# The end of the run is a sentinel: a `cat` launched as another agent
# after the client, whose open is in the output once the collector caught up.
set -u
N=${1:-2000}
MODE=${2:-process}
AGENT=profile$$
NAME=tagged_profile
. "$(dirname "$0")/tls_lib.sh"

"$AM" run --format json --no-record --tls-cache "$W/tls-cache" --tls-uprobes "$MODE" \
	--socket "$W/sock" --pin-dir "$PIN" >"$W/out" 2>"$W/err" &
COLL=$!
for _ in $(seq 600); do grep -q ready "$W/err" && break; sleep 0.05; done
grep -q ready "$W/err" || die "collector not ready: $(tail -3 "$W/err")"
"$AM" launch --socket "$W/sock" --agent holder -- sleep 600 >/dev/null 2>&1 &
HOLD=$!

# the collector's programs, one JSON object a line (bpftool prog show)
progs() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$COLL"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u); do
		bpftool prog show id "$id" --json 2>/dev/null; echo
	done
}
# the collector's CPU ticks, every thread (utime + stime)
ticks() { awk '{print $14 + $15}' /proc/"$COLL"/stat; }

# one untimed launch of the same client first: the collector's scan of
# python's and libssl's code for TLS sites (tls_locate.c, once per binary
# and kept in the TLS cache) is start-up work, not per-request work
"$AM" launch --socket "$W/sock" --agent "warm$$" -- \
	"$PY" "$TOP/tools/bench/https_post.py" posts "$PORT" 1 >/dev/null || die "the warm-up failed"
progs >"$W/p0"; t0=$(ticks); l0=$(wc -l <"$W/out")
if command -v perf >/dev/null; then
	perf record -q -e cpu-clock -g -p "$COLL" -o "$W/perf.data" >/dev/null 2>&1 &
	PERF=$!
fi
req=$("$AM" launch --socket "$W/sock" --agent "$AGENT" -- \
	"$PY" "$TOP/tools/bench/https_post.py" posts "$PORT" "$N") || die "the tagged POSTs failed"
"$AM" launch --socket "$W/sock" --agent "sentinel$$" -- cat /dev/null ||
	die "the sentinel failed"
for _ in $(seq 1200); do
	tail -n +"$((l0 + 1))" "$W/out" | grep -q "\"agent\":\"sentinel$$\"" && break
	sleep 0.05
done
tail -n +"$((l0 + 1))" "$W/out" | grep -q "\"agent\":\"sentinel$$\"" ||
	die "the collector did not report the sentinel in 60 s"
t1=$(ticks); progs >"$W/p1"
if [ -n "$PERF" ]; then kill -INT "$PERF"; wait "$PERF" 2>/dev/null; PERF=; fi
tail -n +"$((l0 + 1))" "$W/out" | grep -F "\"agent\":\"$AGENT\"" >"$W/lines"

# the warm-up POSTs of https_post.py are requests too
"$PY" - "$W/p0" "$W/p1" "$W/lines" "$((N + $(sed -n 's/^WARM = //p' "$TOP/tools/bench/https_post.py")))" \
	"$((t1 - t0))" "$req" "$MODE" <<'PYEOF'
import collections, json, sys
p0, p1, lines, n, ticks, req, mode = sys.argv[1:8]
n, ticks, req = int(n), int(ticks), int(req)

def load(path):
    out = {}
    for line in open(path):
        if line.strip():
            p = json.loads(line)
            out[p["id"]] = p
    return out

a, b = load(p0), load(p1)
rows, traps = [], 0
for pid, p in b.items():
    runs = p.get("run_cnt", 0) - a.get(pid, {}).get("run_cnt", 0)
    ns = p.get("run_time_ns", 0) - a.get(pid, {}).get("run_time_ns", 0)
    if runs:
        rows.append((ns / n, runs / n, ns / runs, p.get("name", "?"), p.get("type", "?")))
        if p.get("type") == "kprobe":  # uprobes are kprobe-type programs
            traps += runs
print("tagged HTTPS profile, --tls-uprobes %s: %d requests (%d timed), %.1f us/request" %
      (mode, n, n - 50, req / 1000))
print("\nBPF programs (all processes on the host that ran them):")
print("%-24s %-16s %10s %10s %10s" % ("program", "type", "runs/req", "ns/run", "ns/req"))
for ns_req, runs_req, ns_run, name, typ in sorted(rows, reverse=True):
    print("%-24s %-16s %10.2f %10.0f %10.0f" % (name, typ, runs_req, ns_run, ns_req))
print("%-24s %-16s %10.2f %10s %10.0f" % ("total", "", sum(r[1] for r in rows), "",
                                           sum(r[0] for r in rows)))
print("uprobe traps that ran a program: %.2f per request" % (traps / n))
print("\ncollector CPU: %.1f us per request (%d ticks of 10 ms; an upper bound)" %
      (ticks * 10000.0 / n, ticks))
types = collections.Counter()
size = collections.Counter()
for line in open(lines):
    t = json.loads(line).get("type", "?")
    types[t] += 1
    size[t] += len(line)
print("\nJSON lines of the agent: %.2f per request, %.0f bytes per request" %
      (sum(types.values()) / n, sum(size.values()) / n))
for t, c in types.most_common():
    print("  %-14s %8.3f per request %8.0f bytes each" % (t, c / n, size[t] / c))
PYEOF
if [ -s "$W/perf.data" ]; then
	echo
	echo "collector, hottest functions (perf, self time):"
	perf report -i "$W/perf.data" --stdio --no-children --sort symbol -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -25
fi
