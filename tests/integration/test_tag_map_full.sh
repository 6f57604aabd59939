#!/bin/bash
# A full tagged map is never silent.  A collector whose tagged map holds 8
# processes (run --max-tagged, a hidden test option) watches an agent that
# forks 24 children: the kernel cannot tag some of them, counts it, and the
# collector raises monitor_degraded once and shows the count in status
# (degraded.tags_lost).  A later launch, whose tag the collector itself must
# write, fails: that too is counted (degraded.tag_writes_failed) and alerted.
. "$(dirname "$0")/lib.sh"

# 8, not fewer: agents of other tests running on this machine may take a
# slot or two (the default policy tags them too)
start_collector --max-tagged 8

# the agent root and 24 children that stay alive (their pids go to kids)
# shellcheck disable=SC2016
bg "$AGENTMON" launch --socket "$SOCK" --agent forker -- /bin/bash -c '
	for i in $(seq 24); do sleep 120 & echo $! >>"$1"; done
	echo done >"$2"; wait' bash "$T/kids" "$T/forked"
wait_file "$T/forked"
kill_kids() { [ -s "$T/kids" ] && while read -r p; do kill "$p" 2>/dev/null; done <"$T/kids"; }
trap 'rc=$?; kill_kids; (exit $rc); _cleanup' EXIT

wait_event 10 type=alert rule=monitor_degraded summary~'tagged map is full'
# status: the kernel's count
am status --json --socket "$SOCK" >"$T/status.json" || fail "status --json failed"
lost=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["degraded"]["tags_lost"])' \
	"$T/status.json") || fail "status has no degraded.tags_lost: $(cat "$T/status.json")"
[ "$lost" -ge 1 ] || fail "status degraded.tags_lost is $lost, want at least 1"
am status --socket "$SOCK" | grep -q "^degraded: .*[1-9][0-9]* tags lost (tagged map full)" ||
	fail "status text has no tags lost line: $(am status --socket "$SOCK")"

# a launch needs a tag written by the collector: refused, counted, alerted
launch other /bin/true 2>"$T/launch.err" && fail "launch succeeded with a full tagged map"
wait_event 10 type=alert rule=monitor_degraded summary~'could not tag process'
am status --json --socket "$SOCK" >"$T/status.json" || fail "status --json failed"
failed=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["degraded"]["tag_writes_failed"])' \
	"$T/status.json") || fail "status has no degraded.tag_writes_failed"
[ "$failed" -ge 1 ] || fail "status degraded.tag_writes_failed is $failed, want at least 1"

kill_kids
wait_event 10 type=exit agent=forker comm=bash
# once per reason, however many processes were lost
expect 1 type=alert rule=monitor_degraded summary~'tagged map is full'
expect 1 type=alert rule=monitor_degraded summary~'could not tag process'
stop_collector
pass "full tagged map: $lost tags lost and $failed tag writes failed, each alerted once and in status"
