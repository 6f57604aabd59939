#!/bin/bash
# export.nats, the spool bound: the server unreachable (nothing listens on
# the URL's port), spool_bytes 1m (the smallest), every event exported; a
# burst of an agent's events fills the spool.  The spool stops at its bound
# (status and the files on disk), what does not fit is counted lost (every
# line the collector printed is spooled or lost: nothing vanishes), and one
# monitor_degraded alert says so - once, a second burst past the bound adds
# to the count without a second alert.
. "$(dirname "$0")/lib.sh"

BOUND=$((1 << 20))
NPORT=$(free_port)   # nothing listens there
cat >"$T/p.yaml" <<EOF
export:
  nats:
    url: nats://127.0.0.1:$NPORT
    subject: agentmon
    what: [alerts, events]
    spool_dir: $T/spool
    spool_bytes: 1m
EOF

# xstat FIGURE: one export figure of the collector's status
xstat() {
	am status --json --socket "$SOCK" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["export"][sys.argv[1]])' "$1"
}
# every line printed by now is spooled or lost (the worker caught up)
accounted() { [ $(($(xstat spooled) + $(xstat lost))) -ge "$(grep -c . "$OUT")" ]; }
burst() { # NAME: an agent's ~2.5k events (an exec, its opens and exit, 250 times)
	launch "$1" /bin/sh -c 'for i in $(seq 250); do cat /etc/hostname; done >/dev/null' ||
		fail "burst agent $1 failed"
	wait_event 30 type=exit agent="$1"
}

start_collector --config "$T/p.yaml"
burst burst1
lost_alert() { [ "$(jq count type=alert rule=monitor_degraded summary~export.nats)" -ge 1 ]; }
WAIT_WHY="echo lost $(xstat lost) spool_bytes $(xstat spool_bytes)" \
	wait_for 30 "the lost messages' monitor_degraded alert" lost_alert
lost1=$(xstat lost)
[ "$lost1" -gt 0 ] || fail "an alert but no lost message in status"
burst burst2
sentinel
WAIT_WHY="echo spooled $(xstat spooled) lost $(xstat lost) printed $(grep -c . "$OUT")" \
	wait_for 30 "every printed line spooled or lost" accounted
[ "$(xstat lost)" -gt "$lost1" ] || fail "the second burst past the bound was not counted lost"
bytes=$(xstat spool_bytes)
[ "$bytes" -le "$BOUND" ] && [ "$bytes" -gt $((BOUND * 3 / 4)) ] ||
	fail "the spool holds $bytes bytes (bound $BOUND: not filled, or past it)"
disk=$(find "$T/spool" -type f -name 'seg-*.log' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$disk" -le "$BOUND" ] && [ "$disk" -gt 0 ] ||
	fail "the spool's segments on disk hold $disk bytes (bound $BOUND): $(ls -l "$T/spool")"
[ "$(xstat acked)" = 0 ] && [ "$(xstat connected)" = False ] || fail "a connection to nothing?"
expect 1 type=alert rule=monitor_degraded
expect 1 type=alert rule=monitor_degraded summary~'lost at the queue or spool bound'
[ "$(grep -c 'lost at the queue or spool bound' "$ERR")" = 1 ] ||
	fail "the loss not logged once: $(grep export "$ERR")"
stop_collector TERM 4000

pass "server unreachable, spool_bytes 1m: the spool stops at $bytes bytes ($disk on disk), $(($(grep -c . "$OUT"))) lines printed, the overflow counted lost ($lost1, then more), one monitor_degraded alert"
