#!/bin/bash
# a burst of 100000 opens by an agent: every one is either delivered as an
# open event or counted in a drop event's "lost".  Once with the default ring
# buffer, once with a small one (--ringbuf-size) so that drops are likely.
. "$(dirname "$0")/lib.sh"

N=100000
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"

# burst LABEL [RUN-ARGS...]: sets RESULT to "LABEL: S delivered, L lost"
burst() {
	local label=$1 pid seen lost
	shift
	start_collector "$@"
	launch burst "$loop" "$N" "$T/$label.pid" || fail "$label: openloop failed"
	pid=$(cat "$T/$label.pid")
	# waited for (the collector drains at its own speed), then stopped: a
	# stop drains what is left
	wait_for 120 "$label: all $N opens accounted for" opens_accounted "$N"
	stop_collector
	seen=$(jq count type=open pid="$pid" path=/dev/null)
	lost=$(jq sum lost type=drop)
	[ "$seen" -le "$N" ] || fail "$label: $seen open events for $N opens"
	[ $((seen + lost)) -ge "$N" ] ||
		fail "$label: $N opens: $seen open events + $lost lost in drop events = $((seen + lost)) < $N"
	# the agent makes a few dozen other events (exec, ld.so opens, exit)
	[ $((seen + lost)) -le $((N + 1000)) ] ||
		fail "$label: $seen open events + $lost lost is far more than the $N opens"
	[ "$seen" -eq 0 ] ||
		expect_min 1 type=open pid="$pid" agent=burst agent_pid="$pid" path=/dev/null write=false
	RESULT="$label: $seen delivered, $lost lost"
}

burst default
r1=$RESULT
if "$AGENTMON" run --help | grep -q -- --ringbuf-size; then
	burst small-ring --ringbuf-size 16k
	r1="$r1; $RESULT"
else
	skip_part "run has no --ringbuf-size: the burst through a small ring buffer is not tested"
fi
pass "$N opens each, $r1"
