#!/bin/bash
# ELF scanning runs off the collector's event loop.  A tagged process opens
# a large shared object (helpers/slow_elf.py: a sparse ELF whose .text the
# locator decodes for seconds, as it does claude.exe's); the scan is queued
# to the scanner thread at that open.  While status still shows it waiting
# or running:
#   - status answers, within a bound;
#   - events keep flowing: a sentinel's open event (a later tagged process)
#     reaches the output, and status afterwards still shows the scan pending,
#     so the event was read while the file was being scanned.
# A process of another executable (head) opens the same file while it is
# scanned: it joins the scan.  Then the scan ends, is judged on the loop (a
# debug line names the file, once for each executable that asked: the
# opener's and head's).  A second such file, opened
# just before the collector is stopped: the scan is cancelled and the
# collector exits within stop_collector's 2 s.
. "$(dirname "$0")/lib.sh"

"$PY" "$HELPERS/slow_elf.py" "$T/big.node" 400 || fail "cannot make the slow ELF"
cp --sparse=always "$T/big.node" "$T/big2.node" || fail "cannot copy the slow ELF"

scan_depth() {
	am status --json --socket "$SOCK" | "$PY" -c \
		'import json, sys; print(json.load(sys.stdin)["tls_scans"]["depth"])'
}
scanning() {
	[ "$(scan_depth)" -ge 1 ]
}

start_collector --verbose
# the opener opens and exits (the collector reads its own descriptor of the file)
launch scantest "$PY" -c 'import sys; open(sys.argv[1], "rb").close()' "$T/big.node" ||
	fail "the opener failed"
wait_event 20 type=open agent=scantest "path=$T/big.node"
WAIT_WHY="am status --socket $SOCK"
wait_for 10 "the scan queued" scanning
# a process of another executable opens the same file meanwhile: it joins
# the scan (its open is read before the sentinel's, below), and is told the
# verdict too
launch scantest head -c 1 "$T/big.node" >/dev/null || fail "the second opener (head) failed"
t0=$(date +%s%N)
am status --socket "$SOCK" >"$T/status.txt" || fail "status failed while scanning"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "status took $ms ms while a file was scanned"
grep -q "^tls scans: *off the event loop; [1-9][0-9]* waiting" "$T/status.txt" ||
	fail "status does not show the scan waiting: $(grep 'tls scans' "$T/status.txt")"
sentinel
d=$(scan_depth)
[ "$d" -ge 1 ] || fail "the scan ended before the sentinel was read: this run proves nothing (make the file larger)"
expect 1 type=open agent=scantest comm=head "path=$T/big.node"
judged() {
	grep -q "big.node: .*(for .*; scanned in [0-9]* ms)" "$ERR"
}
WAIT_WHY="grep big.node $ERR"
wait_for 30 "the scan of big.node judged on the loop" judged
grep -q "big.node: .*(for [^ ]*python[^ ]*\[[0-9]*\]; scanned in" "$ERR" ||
	fail "the first opener was not told the verdict: $(grep big.node "$ERR")"
grep -q "big.node: .*(for [^ ]*head\[[0-9]*\]; scanned in" "$ERR" ||
	fail "head, which joined the scan, was not told its verdict: $(grep big.node "$ERR")"
# stopping in the middle of a scan
launch scantest "$PY" -c 'import sys; open(sys.argv[1], "rb").close()' "$T/big2.node" ||
	fail "the second opener failed"
wait_event 20 type=open agent=scantest "path=$T/big2.node"
wait_for 10 "the second scan queued" scanning
stop_collector
pass "status answered in $ms ms and a sentinel event was read while a 400 MB file was scanned; the scan then judged on the loop and told to both executables that asked (python, head); a stop in the middle of a scan took $STOP_MS ms"
