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

# recording N: the collector's recording counter N (status --json)
recording() {
	am status --json --socket "$SOCK" | "$PY" -c \
		'import json, sys; print(json.load(sys.stdin)["recording"][sys.argv[1]])' "$1"
}

# rotated: the collector has started 3 files and pruned one (sets created, pruned)
rotated() {
	created=$(recording files) && pruned=$(recording pruned) || fail "status --json failed"
	[ "$created" -ge 3 ] && [ "$pruned" -ge 1 ]
}

# Bursts of 100000 opens (about 300 KB of trace each) until rotated, each
# given 5 s to get there: waited for, not assumed after a fixed time, for a
# slow collector (sanitizers, a busy machine) writes behind, and a file
# rotates once what was written to it reaches rotate_bytes
deadline=$(($(date +%s) + 300))
bursts=0
until rotated; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "$created trace files started, $pruned pruned after $bursts bursts of 100000 opens" \
			"in 300 s with rotate_bytes 64k, keep_bytes 256k"
	launch burst "$loop" 100000 "$T/burst.pid" || fail "openloop failed"
	bursts=$((bursts + 1))
	for _ in $(seq 10); do rotated && break; sleep 0.5; done
done
# a last small burst goes to the file being written: one file at least holds
# the agent's opens, also when a slow writer made files so big that pruning
# left only a new one
launch burst "$loop" 1000 "$T/burst.pid" || fail "openloop failed"
stop_collector
files=("$T"/traces/agentmon-*.amtrace)
n=${#files[@]}
[ -f "${files[0]}" ] || fail "no trace file left in $T/traces"
total=$(cat "${files[@]}" | wc -c)
# at each rotation the oldest files go until the directory holds keep_bytes:
# every file but the one being written (the newest) fits in the bound
older=$(cat "${files[@]:0:n-1}" </dev/null | wc -c)
[ "$older" -le $((256 * 1024)) ] ||
	fail "$n files: the $((n - 1)) before the newest hold $older bytes (keep_bytes 256k)"
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
rotated="$created files started, $pruned pruned, $n left with $total bytes after $bursts bursts"

# ---- a full disk ----
# full_disk: recording onto a 256k tmpfs; sets FULL to what happened
full_disk() {
	mkdir -p "$T/small"
	if ! mount -t tmpfs -o size=256k tmpfs "$T/small" 2>"$T/mount.err"; then
		skip_part "cannot mount a tmpfs ($(cat "$T/mount.err")): the full-disk part is not run"
		FULL="full disk not tested (no tmpfs)"
		return
	fi
	# the test's status is _cleanup's: $? as the trap began, not umount's
	# shellcheck disable=SC2154 # rc is set by the trap itself
	trap 'rc=$?; umount "$T/small" 2>/dev/null; (exit $rc); _cleanup' EXIT
	start_collector --record "$T/small/traces"
	# bursts until the disk is full: waited for, whatever the collector's speed
	local deadline=$(($(date +%s) + 300))
	until jq wait 1 type=alert rule=recording_failed; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "no recording_failed alert in 300 s of bursts onto a 256k tmpfs"
		launch burst "$loop" 200000 "$T/burst.pid" || fail "openloop failed"
	done
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
	FULL="full disk: alert, status says why, events go on"
}
full_disk

pass "rotation/pruning: $rotated, each file replays alone; $FULL"
