#!/bin/bash
# SIGINT and SIGTERM each stop the collector with status 0 within 1 s, after
# draining and flushing: an event made just before the signal is in the output.
. "$(dirname "$0")/lib.sh"

res=
for sig in INT TERM; do
	start_collector
	# shellcheck disable=SC2016
	launch sigbot /bin/sh -c 'echo $$ >"$1"; echo x >"$2"' sh "$T/$sig.pid" "$T/$sig.last" ||
		fail "launch failed"
	# no waiting for the event: it must be drained and flushed on the signal
	stop_collector "$sig" 1000
	pid=$(cat "$T/$sig.pid")
	expect_min 1 type=open pid="$pid" agent=sigbot path="$T/$sig.last" write=true
	res="$res SIG$sig ${STOP_MS}ms"
done
pass "exit 0 with output flushed:$res"
