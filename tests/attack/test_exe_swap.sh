#!/bin/bash
# The binary of a process already over, found again by the path its exec
# named: an agent's process that ends before the collector opens its
# /proc/PID/exe (a `--version` run) is scanned by that path, and only when
# the file there is the one the kernel ran (the inode and device its exec
# record carries).  The collector is stopped (SIGSTOP) while the agent runs
# a short binary, so that its process is over when the exec record is read,
# whatever the load:
#   - the file untouched (a copy of true, named relative to the cwd): it is
#     scanned by its path, counted exe_by_path;
#   - another file renamed over that path meanwhile (a copy of node: its own
#     OpenSSL, which a scan would hook): not scanned and not hooked, said
#     and counted exe_mismatch;
#   - the process ran another file since (a copy of env that runs sh): its
#     /proc/PID/exe is not the file its exec ran, which is found by the
#     exec's path instead.
. "$(dirname "$0")/lib.sh"

node=/usr/bin/node
[ -x "$node" ] || skip "needs $node (a binary the collector hooks once scanned)"
mkdir -p "$T/w/bin" || fail "mkdir"
cp /bin/true "$T/w/bin/short" && cp "$node" "$T/w/swapped" || fail "cp"
mkfifo "$T/go1" "$T/go2" || fail "mkfifo"
start_collector -v

scans() {
	am status --json --socket "$SOCK" | "$PY" -c 'import json, sys
s = json.load(sys.stdin)["tls_scans"]
print(s["exe_by_path"], s["exe_gone"], s["exe_mismatch"])'
}
# run N [SWAP]: the agent runs ./bin/short once, after go N, while the
# collector is stopped; with SWAP, the copy of node is renamed over it
# before the collector goes on; waits until the collector read it all
run() {
	bg "$AGENTMON" launch --socket "$SOCK" --agent "swapbot$1" -- bash -c \
		'cd "$0/w" && read -r _ <"$0/go$1" && ./bin/short && : >"$0/done$1"' "$T" "$1"
	wait_event 10 type=exec agent="swapbot$1"
	kill -STOP "$COLLECTOR_PID" || fail "cannot stop the collector"
	echo >"$T/go$1"
	wait_for 30 "./bin/short's run $1 to end" test -e "$T/done$1"
	[ -z "${2-}" ] || mv -f "$T/w/swapped" "$T/w/bin/short" || fail "mv"
	kill -CONT "$COLLECTOR_PID" || fail "cannot continue the collector"
	wait_event 30 type=open agent="swapbot$1" path="$T/done$1"
}

run 1
wait_event 10 type=exec agent=swapbot1 filename=./bin/short cwd="$T/w"
WAIT_WHY="grep -e short -e 'exe' $ERR" wait_for 30 "short's scan by its path" \
	grep -q "$T/w/bin/short: no TLS library recognised" "$ERR"
read -r bypath gone mismatch < <(scans) || fail "status failed"
[ "$bypath" -ge 1 ] || fail "short was not found by its exec's path: $bypath $gone $mismatch"
[ "$mismatch" = 0 ] || fail "a mismatch with the file untouched: $bypath $gone $mismatch"

run 2 swap
wait_event 10 type=exec agent=swapbot2 filename=./bin/short
WAIT_WHY="grep -e short $ERR" wait_for 30 "the swapped file refused" \
	grep -q "$T/w/bin/short: another file than the one its exec ran is at that path now" "$ERR"
# counted before that line was printed.  exe_by_path is the host's count:
# any agent's process over before its exec record is read moves it (the
# sentinel's cat, another test's agents), so the swapped file's taking is
# judged by its own lines: its path scanned once (run 1), never hooked
read -r bypath2 gone2 mismatch2 < <(scans) || fail "status failed"
[ "$mismatch2" = 1 ] || fail "the swap was not counted as a mismatch: $bypath2 $gone2 $mismatch2"
n=$(grep -c "$T/w/bin/short: no TLS library recognised" "$ERR")
[ "$n" = 1 ] || fail "the swapped file was taken: short scanned $n times"
sentinel
read -r bypath2 _ _ < <(scans) || fail "status failed" # the sentinel's cat's included
grep "short" "$ERR" | grep -qi -e "openssl" -e "hooked" &&
	fail "the swapped file was scanned or hooked: $(grep short "$ERR" | grep -i -e openssl -e hooked)"

# the process runs another file before its exec record is read (a copy of
# env that runs sh, then sleep): its /proc/PID/exe is not the file that
# exec ran, which is found by the exec's path instead
cp /usr/bin/env "$T/w/bin/hop" || fail "cp"
mkfifo "$T/go3" || fail "mkfifo"
bg "$AGENTMON" launch --socket "$SOCK" --agent hopbot -- bash -c \
	'cd "$0/w" && read -r _ <"$0/go3" && exec ./bin/hop sh -c ": >\"\$0/done3\"; exec sleep 60" "$0"' "$T"
run_stopped hopbot "$T/go3" "$T/done3" "hop to run sh"
WAIT_WHY="grep -e hop $ERR" wait_for 30 "hop's scan by its path" \
	grep -q "$T/w/bin/hop: no TLS library recognised" "$ERR"
read -r bypath3 _ _ < <(scans) || fail "status failed"
[ "$bypath3" -gt "$bypath2" ] || fail "hop was not found by its exec's path: $bypath2 -> $bypath3"
stop_collector
pass "a process over before its /proc/PID/exe was opened: its binary scanned by its exec's path (relative, against its cwd); a file renamed over that path meanwhile refused, not scanned nor hooked (exe_mismatch 1); a process that ran another file since: its exec's file found by its path"
