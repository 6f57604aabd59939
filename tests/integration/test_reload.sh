#!/bin/bash
# SIGHUP reloads the policy atomically: a broken file is refused with
# FILE:LINE and the old policy stays in force; a good one takes effect (a
# newly listed agent is tagged at its next exec).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bin"
cp /bin/true "$T/bin/forum-bot"
cat >"$T/policy.yaml" <<'Y'
allow:
  - host: api.example.com
Y
start_collector --config "$T/policy.yaml"

"$T/bin/forum-bot"
sleep 0.3
expect_none agent=forum-bot

# broken: refused, collector still serving with the old policy
cat >"$T/policy.yaml" <<'Y'
agents:
  - name: forum-bot
    match: 42x: [
Y
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 50); do grep -q "reload refused" "$ERR" && break; sleep 0.1; done
grep -q "reload refused.*policy.yaml:[0-9]" "$ERR" || fail "broken policy: no refusal naming file:line in stderr"
kill -0 "$COLLECTOR_PID" || fail "collector died on a broken policy"
"$T/bin/forum-bot"
sleep 0.3
expect_none agent=forum-bot

# good: the new agent is tagged at its next exec
cat >"$T/policy.yaml" <<'Y'
agents:
  - name: forum-bot
    match: [forum-bot]
allow:
  - host: api.example.com
Y
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 50); do grep -q "policy reloaded" "$ERR" && break; sleep 0.1; done
grep -q "policy reloaded" "$ERR" || fail "good policy: not reloaded"
"$T/bin/forum-bot"
wait_event 5 type=exec agent=forum-bot
stop_collector
pass "broken policy refused with file:line, old kept; good policy applied on SIGHUP"
