#!/bin/bash
# An agent fills the TLS verdict table (4096 files) through real opens of
# thousands of tiny distinct `*.so` files: each open queues a scan, each
# verdict is kept.  The table gives way round robin, never a hooked binary's
# entry: status counts the evictions (tls_scans.evicted), node keeps its
# `hooked` verdict, and node's HTTPS POSTs after the flood are read in
# plaintext without node being scanned again at each ClientHello (the scans
# queued do not move between two tagged POSTs).
. "$(dirname "$0")/lib.sh"

NODE=$(command -v node || command -v nodejs) || skip "needs node"
command -v openssl >/dev/null || skip "needs openssl"
N=${N_FILES:-4300}   # files opened: more than the table holds
BATCH=200            # per opener: below the scan queue's 256

mkdir -p "$T/so"
"$PY" -c '
import sys
for i in range(int(sys.argv[2])):
    with open("%s/lib%d.so" % (sys.argv[1], i), "wb") as f:
        f.write(b"x%d" % i)' "$T/so" "$N" || fail "cannot make the objects"
tls_server flood.example
start_collector

# scans KEY: a figure of status --json's tls_scans
scans() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["tls_scans"][sys.argv[1]])' "$1"
}
# idle [N]: no scan waiting, and at least N queued since start (the opens
# read: a batch's scans all counted before the next batch begins)
idle() {
	local f
	f=$(am status --socket "$SOCK" | sed -n 's/^tls scans: .*; \([0-9]*\) waiting, \([0-9]*\) queued.*/\1 \2/p')
	# shellcheck disable=SC2086 # two numbers, split on purpose
	set -- "${1:-0}" $f
	[ "$#" -eq 3 ] && [ "$2" -eq 0 ] && [ "$3" -ge "$1" ]
}
node_verdict() {
	am status --json --socket "$SOCK" | "$PY" -c '
import json, os, sys
for b in json.load(sys.stdin).get("tls_binaries", []):
    if os.path.realpath(b["exe"]) == os.path.realpath(sys.argv[1]):
        print(b["verdict"])
        break' "$NODE"
}
post() { # post I: a tagged node HTTPS POST to /flood/I, read by the server
	launch flooder "$NODE" -e '
const https = require("https");
const r = https.request({ host: "127.0.0.1", port: +process.argv[1], method: "POST",
	path: "/flood/" + process.argv[2], rejectUnauthorized: false },
	res => { res.resume(); res.on("end", () => process.exit(0)); });
r.on("error", e => { console.error(e.message); process.exit(1); });
r.end("x");' "$TPORT" "$1" || fail "node POST $1 failed"
}

post 0
wait_event 15 type=http agent=flooder path=/flood/0
# one opener, BATCH objects at a time: it waits on $T/go between batches
# while the test waits for their scans
mkfifo "$T/go"
q0=$(scans queued)
bg "$AGENTMON" launch --socket "$SOCK" --agent flooder -- "$PY" -c '
import sys
d, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
go = open(sys.argv[4])
for i in range(n):
    if i and i % batch == 0:
        go.readline()
    open("%s/lib%d.so" % (d, i), "rb").close()' "$T/so" "$N" "$BATCH" "$T/go"
OPENER=$BG_PID
exec 7>"$T/go"
for ((i = BATCH; i < N + BATCH; i += BATCH)); do
	wait_for 30 "the scans of the objects before $i" idle $((q0 + (i < N ? i : N)))
	[ "$i" -lt "$N" ] && echo >&7
done
exec 7>&-
wait "$OPENER" || fail "the opener failed"
done_n=$(scans 'done')
dropped=$(scans dropped)
evicted=$(scans evicted)
[ "$dropped" -eq 0 ] || fail "$dropped scans dropped: the batches overflowed the queue (test bug)"
[ "$done_n" -ge "$N" ] || fail "only $done_n scans done for $N objects opened"
[ "$evicted" -ge $((N - 4096)) ] || fail "status counts $evicted verdicts evicted (want >= $((N - 4096)))"
v=$(node_verdict)
[ "$v" = hooked ] || fail "node's verdict after the flood: '$v' (want hooked)"

# two more POSTs: the first may rescan an object whose verdict the flood
# evicted; the second finds every verdict kept
post 1
wait_event 15 type=http agent=flooder path=/flood/1
wait_for 20 "the scans of POST 1" idle
q1=$(scans queued)
post 2
wait_event 15 type=http agent=flooder path=/flood/2
wait_for 20 "the scans of POST 2" idle
q2=$(scans queued)
[ "$q2" -eq "$q1" ] || fail "node's POST 2 queued $((q2 - q1)) scans again (a verdict lost to the flood?)"
expect 0 type=alert rule=unseen_tls agent=flooder
stop_collector
pass "$N objects opened: $done_n scans, $evicted verdicts evicted, node still hooked; POSTs after the flood read in plaintext, the second with no scan"
