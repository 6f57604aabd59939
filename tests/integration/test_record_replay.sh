#!/bin/bash
# Recording and replay.  A scripted agent session (files, a cleartext POST
# and GET, an HTTPS POST through libssl) is recorded; replaying the trace
# under the same policy gives exactly the events and alerts the live run
# printed, and under a policy that allows everything no alert.  The filters
# work; a trace cut at any of many offsets replays its whole blocks and never
# crashes; text output is the compact view (--verbose: every event; a
# view: glob shows a read); garbage, empty and wrong-version files are refused with status 2
# and one line.  A collector killed with SIGKILL leaves a trace that replays.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=localhost 2>/dev/null || fail "cannot make a certificate"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port.plain" --log "$T/plain.log" \
	>/dev/null 2>&1
bg "$PY" "$HELPERS/https_server.py" --port-file "$T/port.tls" --log "$T/tls.log" \
	--cert "$T/cert.pem" --key "$T/key.pem" >/dev/null 2>&1
wait_file "$T/port.plain" 10
wait_file "$T/port.tls" 10
PLAIN=$(cat "$T/port.plain")
TLS=$(cat "$T/port.tls")

cat >"$T/policy.yaml" <<Y
allow:
  - host: readonly.example
    methods: [GET]
alerts:
  spool_dir: $T/spool
Y
cat >"$T/allow-all.yaml" <<Y
allow:
  - cidr: 0.0.0.0/0
  - cidr: "::/0"
Y

# ---- record a session (over 2 s: several blocks), replay it ----
start_collector --config "$T/policy.yaml" --record "$T/traces"
launch bot sh -c "echo draft >'$T/reply.txt'; mv '$T/reply.txt' '$T/reply2.txt';
	curl -s --resolve forum.corp.example:$PLAIN:127.0.0.1 -X POST --data-binary @'$T/reply2.txt' \
		http://forum.corp.example:$PLAIN/forum/post >/dev/null; sleep 1.2;
	curl -s --resolve readonly.example:$PLAIN:127.0.0.1 http://readonly.example:$PLAIN/read >/dev/null;
	curl -sk --resolve paste.example:$TLS:127.0.0.1 -X PUT -d secret \
		https://paste.example:$TLS/paste >/dev/null; sleep 1.2; cat '$T/reply2.txt' >/dev/null" ||
	fail "the agent session failed"
wait_event 10 type=alert rule=outbound_post path=/paste
wait_event 10 type=http method=PUT
sleep 0.5
stop_collector
live=$T/out.1.jsonl
[ "$(stat -c %a "$T/traces")" = 700 ] || fail "trace directory mode $(stat -c %a "$T/traces")"
files=("$T"/traces/agentmon-*.amtrace)
[ -f "${files[0]}" ] || fail "no trace file in $T/traces"
[ "$(stat -c %a "${files[0]}")" = 600 ] || fail "trace file mode $(stat -c %a "${files[0]}")"
alerts_live=$(jq count type=alert)
[ "$alerts_live" -ge 2 ] || fail "the live run raised $alerts_live alerts (want POST and PUT)"

am replay --json --config "$T/policy.yaml" "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
diff <(sort "$live") <(sort "$T/replay.jsonl") >"$T/diff" ||
	fail "replay differs from the live run ($(wc -l <"$live") vs $(wc -l <"$T/replay.jsonl") lines):
$(head -c 2000 "$T/diff")"
diff <(grep '"type":"alert"' "$live") <(grep '"type":"alert"' "$T/replay.jsonl") >/dev/null ||
	fail "the alerts of the replay come in another order"
n_events=$(wc -l <"$live")

# under a policy that allows everything: the same events, no alert
am replay --json --config "$T/allow-all.yaml" "${files[@]}" >"$T/allow.jsonl" 2>/dev/null ||
	fail "replay under allow-all failed"
OUT=$T/allow.jsonl expect 0 type=alert
[ "$(wc -l <"$T/allow.jsonl")" -eq $((n_events - alerts_live)) ] ||
	fail "allow-all replay: $(wc -l <"$T/allow.jsonl") events, want $((n_events - alerts_live))"

# filters; text output
[ "$(am replay --alerts --json --config "$T/policy.yaml" "${files[@]}" 2>/dev/null | wc -l)" -eq "$alerts_live" ] ||
	fail "replay --alerts does not give the $alerts_live alerts"
[ "$(am replay --agent nobody "${files[@]}" 2>/dev/null | wc -l)" -eq 0 ] ||
	fail "replay --agent nobody shows events"
# (another test's agents may run meanwhile: the default policy tags them too)
n_bot=$(jq count agent=bot)
[ "$(am replay --json --agent bot "${files[@]}" 2>/dev/null | wc -l)" -eq "$n_bot" ] ||
	fail "replay --agent bot does not show the $n_bot events of bot"
[ "$(am replay --since 2099-01-01T00:00:00Z "${files[@]}" 2>/dev/null | wc -l)" -eq 0 ] ||
	fail "replay --since in the future shows events"
[ "$(am replay --until 1h "${files[@]}" 2>/dev/null | wc -l)" -eq 0 ] ||
	fail "replay --until an hour ago shows events"
# (bot's: another agent's alert may carry an intent, a second line)
[ "$(am replay --verbose --agent bot --since 1h --config "$T/policy.yaml" "${files[@]}" 2>/dev/null |
	wc -l)" -eq "$n_bot" ] || fail "text replay --verbose --since 1h: not one line per event of bot"
# text without --verbose: the compact view (libraries folded, what matters
# shown); a view: glob of the policy shows a read it would fold
am replay --config "$T/policy.yaml" "${files[@]}" >"$T/compact.txt" 2>/dev/null ||
	fail "compact text replay failed"
n_compact=$(wc -l <"$T/compact.txt")
[ "$n_compact" -lt "$n_events" ] || fail "compact replay: $n_compact lines for $n_events events"
grep -q "bot/curl\\[[0-9]*\\] http POST http://forum.corp.example:$PLAIN/forum/post" "$T/compact.txt" ||
	fail "compact replay: no POST line: $(head -c 2000 "$T/compact.txt")"
grep -q "!! .*outbound_post" "$T/compact.txt" || fail "compact replay: no alert line"
grep -q "rename .*reply2.txt" "$T/compact.txt" || fail "compact replay: no rename line"
grep -q "read [0-9]* files (.*lib" "$T/compact.txt" || fail "compact replay: no fold line"
! grep -q " open .*libc\.so" "$T/compact.txt" || fail "compact replay shows a libc open"
printf '%s\nview:\n  show: ["*/libc.so*"]\n' "$(cat "$T/policy.yaml")" >"$T/view.yaml"
am replay --config "$T/view.yaml" "${files[@]}" 2>/dev/null | grep -q " open .*libc\.so" ||
	fail "compact replay under view.show */libc.so*: no libc open shown"

# ---- damaged files ----
f=${files[0]}
size=$(stat -c %s "$f")
step=$((size / 250 + 1))
checked=0
boundaries=0
for ((off = 0; off < size; off += step)); do
	head -c "$off" "$f" >"$T/cut.amtrace"
	am replay --json "$T/cut.amtrace" >"$T/cut.out" 2>"$T/cut.err"
	rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "replay of the first $off bytes: exit $rc (crash?)"
	[ "$rc" -eq 0 ] || grep -q "cut short\|not an agentmon trace" "$T/cut.err" ||
		fail "replay of the first $off bytes: exit $rc without saying why: $(cat "$T/cut.err")"
	# a cut exactly at the end of a block is a shorter whole trace
	[ "$rc" -ne 0 ] || grep -q "cut short" "$T/cut.err" || boundaries=$((boundaries + 1))
	n=$(wc -l <"$T/cut.out")
	[ "$n" -le "$n_events" ] || fail "a cut trace replays more events ($n) than the whole ($n_events)"
	checked=$((checked + 1))
done
[ "$boundaries" -le $((checked / 10)) ] ||
	fail "$boundaries of $checked cuts replayed without saying the trace was cut short"
# the session spans several blocks (a block is written each second): a
# trace missing its last bytes still has the first request
OUT=$T/cut.out expect 1 type=http method=POST host=forum.corp.example

refused() {
	local what=$1 file=$2 rc
	am replay "$file" >"$T/ref.out" 2>"$T/ref.err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "$what: exit $rc, want 2"
	[ "$(wc -l <"$T/ref.err")" -eq 1 ] || fail "$what: want one line on stderr: $(cat "$T/ref.err")"
	grep -q "$file" "$T/ref.err" || fail "$what: the message does not name the file"
	[ ! -s "$T/ref.out" ] || fail "$what: events printed"
}
head -c 4096 /dev/urandom >"$T/garbage.amtrace"
refused "garbage" "$T/garbage.amtrace"
: >"$T/empty.amtrace"
refused "an empty file" "$T/empty.amtrace"
cp "$f" "$T/v9.amtrace"
printf '\x09\x00' | dd of="$T/v9.amtrace" bs=1 seek=8 conv=notrunc 2>/dev/null
refused "format version 9" "$T/v9.amtrace"
grep -q "version" "$T/ref.err" || fail "the version refusal does not say version: $(cat "$T/ref.err")"
refused "a missing file" "$T/none.amtrace"
# a flipped byte in the middle: a corrupt block is refused (status 2), what
# came before it is replayed
cp "$f" "$T/flip.amtrace"
printf '\xff' | dd of="$T/flip.amtrace" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
am replay --json "$T/flip.amtrace" >/dev/null 2>"$T/flip.err"
rc=$?
[ "$rc" -eq 2 ] || [ "$rc" -eq 0 ] || fail "a flipped byte: exit $rc"

# ---- SIGKILL while recording ----
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"
start_collector --record "$T/killed"
launch burst "$loop" 20000 "$T/burst.pid" || fail "openloop failed"
# killed once a block of the burst is on disk (waited for: the writer's
# speed is the machine's)
burst_traced() {
	am replay --json "$T"/killed/agentmon-*.amtrace 2>/dev/null | grep -q '"agent":"burst"'
}
wait_for 60 "a block of the burst in the trace" burst_traced
kill -KILL "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null
COLLECTOR_PID=
k=("$T"/killed/agentmon-*.amtrace)
am replay --json "${k[@]}" >"$T/killed.jsonl" 2>"$T/killed.err"
rc=$?
[ "$rc" -eq 0 ] || fail "the trace of a killed collector: exit $rc: $(cat "$T/killed.err")"
OUT=$T/killed.jsonl expect_min 1 type=open agent=burst

pass "replay = live run ($n_events events, $alerts_live alerts); allow-all: 0 alerts; $checked cut offsets; garbage/empty/version/missing refused; SIGKILLed trace replays"
