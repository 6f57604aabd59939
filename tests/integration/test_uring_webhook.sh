#!/bin/bash
# A tagged agent connects and POSTs through io_uring: the connect is seen
# (cgroup hook), flagged io_uring, and raises a uring_network alert; the POST
# is seen on the wire and raises outbound_post.  A webhook receiver gets each
# alert once, signed, also one raised while the receiver was down (spooled,
# delivered when it is back on the same URL).
. "$(dirname "$0")/lib.sh"

post=$(build_helper uring_post -luring) || skip "cannot build the io_uring helper (liburing-dev missing)"

port_file=$T/port
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$port_file" --log "$T/server.log"
wait_file "$port_file"
port=$(cat "$port_file")
hook_port=$(free_port)
printf 'test-secret\n' >"$T/secret" && chmod 600 "$T/secret"
cat >"$T/policy.yaml" <<Y
alerts:
  spool_dir: $T/spool
  webhooks:
    - url: http://127.0.0.1:$hook_port/hook
      secret_file: $T/secret
Y
start_receiver() {
	bg "$PY" "$HELPERS/webhook_receiver.py" --port "$hook_port" --secret-file "$T/secret" --log "$T/hook.log"
	RECEIVER=$BG_PID
	for _ in $(seq 100); do
		"$PY" -c "import socket; socket.create_connection(('127.0.0.1',$hook_port),0.2)" 2>/dev/null && return
		sleep 0.05
	done
	fail "webhook receiver did not start"
}
start_receiver
start_collector --config "$T/policy.yaml"
launch uringbot "$post" 127.0.0.1 "$port" forum.corp.example /api/posts 'hello' ||
	skip "io_uring is not available to this process (uring_post failed)"
wait_event 5 type=connect agent=uringbot io_uring=true dport="$port"
wait_event 5 type=alert rule=uring_network agent=uringbot
# the POST itself, written through io_uring, is seen on the wire and judged
wait_event 5 type=http agent=uringbot method=POST host=forum.corp.example path=/api/posts tls=false
wait_event 5 type=alert rule=outbound_post agent=uringbot method=POST host=forum.corp.example
expect 0 type=connect pid!=0 agent!=uringbot
wait_deliveries "$T/hook.log" 1
[ "$("$PY" - "$T/hook.log" <<'PYEOF'
import json, sys
# the uring_network alert among the deliveries (the POST itself also alerts)
bodies = [json.loads(l)["body"] for l in open(sys.argv[1]) if l.strip()]
r = next((b for b in bodies if b.get("rule") == "uring_network"), bodies[0])
print(r["type"], r["rule"], r["agent"])
PYEOF
)" = "alert uring_network uringbot" ] || fail "webhook body is not the alert: $(head -c 400 "$T/hook.log")"

# the receiver is down while a second agent raises an alert: spooled, then
# delivered once it is back on the same URL
kill "$RECEIVER"; wait "$RECEIVER" 2>/dev/null
launch uringbot2 "$post" 127.0.0.1 "$port" forum.corp.example /api/other 'again' ||
	fail "second io_uring POST failed"
wait_event 5 type=alert rule=uring_network agent=uringbot2
# the receiver comes back once a delivery has failed (status), not after a
# fixed time: the alert waits in the spool for it
hook_failed() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json, sys; w = json.load(sys.stdin)["webhooks"]; sys.exit(not (w["failed"] >= 1 and w["spooled"] >= 1))'
}
wait_for 60 "a failed delivery with the alert spooled" hook_failed
start_receiver
for _ in $(seq 200); do
	grep -q '"agent": "uringbot2"' "$T/hook.log" 2>/dev/null && break
	sleep 0.05
done
grep '"agent": "uringbot2"' "$T/hook.log" | grep -q '"rule": "uring_network"' ||
	fail "the alert raised while the receiver was down was not delivered after it came back"
webhook_deliveries "$T/hook.log" >/dev/null || fail "webhook deliveries are wrong after the outage"
stop_collector
pass "io_uring connect flagged, uring_network alert, webhook signed; spooled alert delivered after an outage"
