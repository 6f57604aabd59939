#!/bin/bash
# A record that does not decode is never only a warning: replaying a trace
# with such records (written by the recorder itself: helpers/bad_trace.c)
# shows a drop event per record with its reason, one monitor_degraded alert
# per reason, and the good records around them.  The pipeline is the one a
# live run uses (pipeline_record), so a live run does the same.
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2046
helper=$(build_helper bad_trace -I"$TOP/user" -I"$TOP/bpf" "$TOP/build/libagentmon.a" \
	$(pkg-config --libs libbpf yaml-0.1 libnghttp2 libcurl libcrypto 2>/dev/null) \
	-lelf -lz -lpthread) || fail "cannot build helpers/bad_trace.c"
"$helper" "$T/traces" || fail "bad_trace could not write its trace"
OUT=$T/replay.jsonl
am replay --json "$T"/traces/* >"$OUT" 2>"$T/replay.err" || fail "replay failed: $(cat "$T/replay.err")"

expect 1 type=exec pid=4242 filename=/bin/true agent=claude
expect 1 type=exit pid=4242 agent=claude
expect 2 type=drop lost=1 reason~'^undecodable exec record \(95 bytes\): exec argv overflows'
expect 1 type=drop lost=1 reason~'^undecodable unknown record \(56 bytes\): unknown record type'
expect 3 type=drop
expect 2 type=alert rule=monitor_degraded severity=high
expect 1 type=alert rule=monitor_degraded summary~'exec argv overflows'
expect 1 type=alert rule=monitor_degraded summary~'unknown record type'
problems=$("$PY" "$JQPY" "$OUT" validate) || fail "replay output is not valid per SPEC.md: $problems"
pass "3 undecodable records replayed: 3 drop events with their reason, monitor_degraded once per reason (2)"
