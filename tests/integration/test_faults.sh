#!/bin/bash
# Faults: the webhook endpoint is down while agents raise alerts, the
# collector is killed with SIGKILL while recording and holding them in its
# spool, the endpoint comes back and the collector is restarted on the same
# spool: every alert is delivered exactly once, signed; the trace of the
# killed run replays up to its last whole block and gives those alerts
# again.  Then a burst with a tiny ring buffer: drops counted exactly.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" \
	>/dev/null 2>&1
wait_file "$T/port" 10
PORT=$(cat "$T/port")
hook_port=$(free_port)
printf 's3cret\n' >"$T/secret" && chmod 600 "$T/secret"
cat >"$T/policy.yaml" <<Y
alerts:
  spool_dir: $T/spool
  webhooks:
    - url: http://127.0.0.1:$hook_port/hook
      secret_file: $T/secret
Y

post() { curl -s --resolve "$1:$PORT:127.0.0.1" -X POST -d x "http://$1:$PORT/p" -o /dev/null; }

# ---- the endpoint is down; three alerts; SIGKILL ----
start_collector --config "$T/policy.yaml" --record "$T/traces"
for i in 1 2 3; do
	launch "bot$i" sh -c "$(declare -f post); PORT=$PORT; post forum$i.example" ||
		fail "agent bot$i failed"
done
for i in 1 2 3; do wait_event 10 type=alert rule=outbound_post host="forum$i.example"; done
# the webhook's thread spools the alerts it cannot deliver, the trace writer
# writes their block: both waited for before the SIGKILL
spooled() { find "$T/spool" -type f ! -name '*.tmp' 2>/dev/null | wc -l; }
all_spooled() { [ "$(spooled)" -ge 3 ]; }
traced() {
	am replay --json --alerts --config "$T/policy.yaml" "$T"/traces/*.amtrace 2>"$T/traced.err" |
		grep -c '"rule":"outbound_post"'
}
# what the trace and the recorder say, when the block does not come
trace_state() {
	echo "replay: $(traced) alerts, $(cat "$T/traced.err"); files: $(ls -l "$T/traces");" \
		"status: $(am status --json --socket "$SOCK")"
}
all_traced() { [ "$(traced)" -ge 3 ]; }
wait_for 60 "3 alerts spooled" all_spooled
WAIT_WHY=trace_state wait_for 60 "the block of the 3 alerts in the trace" all_traced
kill -KILL "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null
COLLECTOR_PID=
killed_out=$OUT
[ "$(spooled)" -ge 3 ] || fail "$(spooled) alerts spooled on disk after SIGKILL, want 3"

# the killed run's trace: replays (cut short at most), the same alerts
am replay --json --alerts --config "$T/policy.yaml" "$T"/traces/*.amtrace >"$T/replayed.jsonl" \
	2>"$T/replay.err" || fail "replay of the killed run: $(cat "$T/replay.err")"
for i in 1 2 3; do
	OUT=$T/replayed.jsonl expect 1 type=alert rule=outbound_post host="forum$i.example"
done

# ---- the endpoint comes back; restart on the same spool ----
bg "$PY" "$HELPERS/webhook_receiver.py" --port "$hook_port" --secret-file "$T/secret" \
	--log "$T/hook.log"
# as the service runs it: only alerts (and drops) on stdout
start_collector --config "$T/policy.yaml" --record "$T/traces" --print alerts
wait_deliveries "$T/hook.log" 3 --unique-alerts
n=$(webhook_deliveries "$T/hook.log" --unique-alerts) || fail "webhook deliveries are wrong"
[ "$n" -eq 3 ] || fail "$n deliveries after the restart, want 3"
# one more alert while it is up: delivered too, once
launch bot4 sh -c "$(declare -f post); PORT=$PORT; post forum4.example" || fail "bot4 failed"
wait_event 10 type=alert host=forum4.example
wait_deliveries "$T/hook.log" 4 --unique-alerts
sleep 1
n=$(webhook_deliveries "$T/hook.log" --unique-alerts) || fail "webhook deliveries are wrong"
[ "$n" -eq 4 ] || fail "$n deliveries, want 4 (each alert once)"
stop_collector
expect 0 type!=alert type!=drop
left=$(find "$T/spool" -type f ! -name '*.tmp' ! -name '*.rejected' | wc -l)
[ "$left" -eq 0 ] || fail "$left alerts still spooled after delivery"

# ---- ring buffer overflow: exact counts ----
# the collector is stopped (SIGSTOP) while the agent makes its burst, so
# that the 8k ring buffer overflows whatever the machine's speed
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"
start_collector --ringbuf-size 8k
bg "$AGENTMON" launch --socket "$SOCK" --agent burst -- sh -c \
	"while [ ! -e '$T/go' ]; do sleep 0.02; done; exec '$loop' 50000 '$T/burst.pid'"
launcher=$BG_PID
wait_event 10 type=exec agent=burst
kill -STOP "$COLLECTOR_PID"
touch "$T/go"
for _ in $(seq 300); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.05; done
kill -CONT "$COLLECTOR_PID"
kill -0 "$launcher" 2>/dev/null && fail "the burst did not end"
sleep 1
stop_collector
pid=$(cat "$T/burst.pid")
seen=$(jq count type=open pid="$pid" path=/dev/null)
lost=$(jq sum lost type=drop)
[ "$lost" -gt 0 ] || fail "a stopped collector's 8k ring buffer lost nothing of 50000 opens"
[ $((seen + lost)) -ge 50000 ] && [ $((seen + lost)) -le 50100 ] ||
	fail "50000 opens: $seen seen + $lost lost"
OUT=$killed_out
pass "3 alerts spooled through SIGKILL, delivered once after restart (+1 live); trace replays them; 8k ring: $seen seen + $lost lost"
