#!/bin/bash
# tls_cost.sh [N] - what the TLS uprobes cost per HTTPS request, in both
# --tls-uprobes modes (not a test; root; build/agentmon built).
#
# For each mode a collector of its own starts (its own socket and pin dir),
# an agent (sleep) keeps its hooks attached, and N POSTs on one keep-alive
# connection (tools/bench/https_post.py, python's ssl: libssl) go to a local
# HTTPS server (untagged), first from an untagged client, then from one
# launched as an agent.  The collector's TLS programs (its own, found by the
# prog ids in its /proc/PID/fdinfo) are read with kernel.bpf_stats_enabled
# on (restored after): program runs and program time per request, client
# and server together.  Traps that run no program (a uprobe hit in a
# process whose perf events filter it out) are not in these figures.
set -u
N=${1:-2000}
NAME=tls_cost
. "$(dirname "$0")/tls_lib.sh"

# runs and ns of the collector's TLS uprobe programs (bpf/tls.bpf.c: the
# entries, tls_ret and the tail calls they make), summed: "RUNS NS"
tls_stats() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$COLL"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u)
	for id in $ids; do bpftool prog show id "$id" --json 2>/dev/null; echo; done |
		"$PY" -c '
import json, re, sys
runs = ns = 0
tls = re.compile(r"^(ossl_|gtls_|bssl_|awslc_|tls_ret|h_tls|h_awslc)")
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    p = json.loads(line)
    if tls.match(p.get("name", "")):
        runs += p.get("run_cnt", 0); ns += p.get("run_time_ns", 0)
print(runs, ns)'
}

# measure LABEL CMD...: N POSTs by CMD, the programs' runs and us per request
measure() {
	local label=$1 r0 n0 r1 n1 req
	shift
	read -r r0 n0 <<<"$(tls_stats)"
	req=$("$@" "$TOP/tools/bench/https_post.py" posts "$PORT" "$N") || die "$label: POSTs failed"
	read -r r1 n1 <<<"$(tls_stats)"
	"$PY" -c 'import sys
r, ns, n, req = (int(a) for a in sys.argv[2:6])
print("%-8s %-9s %6.2f program runs/request %8.2f us/request (request %.1f us)" %
      (sys.argv[1].split()[0], sys.argv[1].split()[1], r / n, ns / n / 1000, req / 1000))' \
		"$label" $((r1 - r0)) $((n1 - n0)) "$N" "$req"
}

for mode in system process; do
	rm -rf "$PIN"
	"$AM" run --format json --no-record --tls-cache none --tls-uprobes "$mode" \
		--socket "$W/sock" --pin-dir "$PIN" >/dev/null 2>"$W/err" &
	COLL=$!
	for _ in $(seq 600); do grep -q ready "$W/err" && break; sleep 0.05; done
	grep -q ready "$W/err" || die "$mode: collector not ready: $(tail -3 "$W/err")"
	"$AM" launch --socket "$W/sock" --agent holder -- sleep 600 >/dev/null 2>&1 &
	HOLD=$!
	sleep 1 # the hooks attach at the holder's tag (not a measurement: a settle)
	measure "$mode untagged" "$PY"
	measure "$mode tagged" "$AM" launch --socket "$W/sock" --agent bench -- "$PY"
	scope=$("$AM" status --json --socket "$W/sock" |
		"$PY" -c 'import json,sys; t=json.load(sys.stdin)["tls_uprobes"]; print(t["scope"], t["system_wide_why"] or "")')
	echo "$mode: tls_uprobes.scope $scope"
	kill "$HOLD"; HOLD=
	kill "$COLL"; wait "$COLL" 2>/dev/null; COLL=
done
