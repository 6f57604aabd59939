#!/bin/bash
# a burst of 100000 opens by an agent: every one is either delivered as an
# open event or counted in a drop event's "lost".
. "$(dirname "$0")/lib.sh"

N=100000
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"
start_collector

launch burst "$loop" "$N" "$T/loop.pid" || fail "openloop failed"
pid=$(cat "$T/loop.pid")
# drained when the exit event is out, or when the output stops growing
# (the exit event itself may be among the lost)
prev=-1
for ((i = 0; i < 120; i++)); do
	jq wait 0 type=exit pid="$pid" && break
	size=$(stat -c %s "$OUT")
	[ "$size" -eq "$prev" ] && [ "$i" -ge 10 ] && break
	prev=$size
	sleep 0.5
done
stop_collector

seen=$(jq count type=open pid="$pid" path=/dev/null)
lost=$(jq sum lost type=drop)
[ "$seen" -le "$N" ] || fail "$seen open events for $N opens"
[ $((seen + lost)) -ge "$N" ] ||
	fail "$N opens: $seen open events + $lost lost in drop events = $((seen + lost)) < $N"
expect_min 1 type=open pid="$pid" agent=burst agent_pid="$pid" path=/dev/null write=false
pass "$N opens: $seen delivered, $lost reported lost"
