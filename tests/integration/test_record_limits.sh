#!/bin/bash
# The trace directory's limits.  With the policy's record settings, files
# rotate by size and the directory is pruned to its size bound; every file
# left replays alone (it starts with the agent and process tables).  On a
# filesystem that fills up, recording stops with a recording_failed alert and
# the event stream goes on.
. "$(dirname "$0")/lib.sh"

loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"

# ---- rotation and pruning by size ----
cat >"$T/policy.yaml" <<Y
record:
  dir: $T/traces
  rotate_bytes: 64k
  keep_bytes: 256k
Y
RECORD_ARGS= start_collector --config "$T/policy.yaml" # the policy's record.dir
for i in 1 2 3; do
	launch burst "$loop" 100000 "$T/burst.pid" || fail "openloop failed"
done
sleep 2
stop_collector
files=("$T"/traces/agentmon-*.amtrace)
n=${#files[@]}
total=$(cat "${files[@]}" | wc -c)
[ "$n" -ge 3 ] || fail "$n trace files after 300000 events with rotate_bytes 64k"
# the bound, plus the file being written and one block over it
[ "$total" -le $(((256 + 64 + 256) * 1024)) ] || fail "$n files hold $total bytes (keep_bytes 256k)"
for f in "${files[@]}"; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f: mode $(stat -c %a "$f")"
done
# the oldest files went: the first file left does not start at sequence 0000
case ${files[0]} in *-0000.amtrace) fail "nothing was pruned (${files[0]} is still there)" ;; esac
# every file replays alone: its events still carry the agent (each file
# starts with the agent and process tables)
best=0
for f in "${files[@]}"; do
	am replay --json "$f" >"$T/one.jsonl" 2>"$T/one.err" || fail "replay of $f: $(cat "$T/one.err")"
	OUT=$T/one.jsonl expect 0 type=open agent!?
	c=$(OUT=$T/one.jsonl jq count type=open agent=burst path=/dev/null)
	[ "$c" -gt "$best" ] && best=$c
done
[ "$best" -ge 100 ] || fail "no trace file holds 100 of the agent's opens (most: $best)"
rotated="$n files, $total bytes"

# ---- a full disk ----
mkdir -p "$T/small"
mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs"
trap 'umount "$T/small" 2>/dev/null; _cleanup' EXIT
start_collector --record "$T/small/traces"
launch burst "$loop" 200000 "$T/burst.pid" || fail "openloop failed"
wait_event 20 type=alert rule=recording_failed
kill -0 "$COLLECTOR_PID" || fail "the collector stopped when the disk filled"
# events go on after the failure
launch after sh -c "echo ok >'$T/after.txt'" || fail "a later agent failed"
wait_event 10 type=open agent=after path="$T/after.txt"
grep -q "trace recording stopped" "$ERR" || fail "no error logged for the full disk"
am status --json --socket "$SOCK" >"$T/status.json" || fail "status failed"
"$PY" - "$T/status.json" <<'PYEOF' || fail "status does not report the recording failure: $(cat "$T/status.json")"
import json, sys
r = json.load(open(sys.argv[1]))["recording"]
assert r["failed"] is True and "No space left" in r["reason"] and r["lost"] > 0, r
PYEOF
stop_collector
severity=$(field severity type=alert rule=recording_failed) || exit 1
[ "$severity" = high ] || fail "recording_failed severity $severity"

pass "rotation/pruning: $rotated, each file replays alone; full disk: alert, status says why, events go on"
