#!/bin/bash
# SIGHUP reloads the policy atomically: a broken file is refused with
# FILE:LINE and the old policy stays in force; a good one takes effect (a
# newly listed agent is tagged at its next exec), also after an agent was
# launched under a name no policy lists: that one keeps its name.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bin"
cp /bin/true "$T/bin/forum-bot"
# the sentinel is an agent of the default policy
cp /bin/cat "$T/bin/claude"
cat >"$T/policy.yaml" <<'Y'
allow:
  - host: api.example.com
Y
start_collector --config "$T/policy.yaml"

# hup WANT: signal a reload and wait for WANT (a regex) on stderr
hup() {
	kill -HUP "$COLLECTOR_PID"
	for _ in $(seq 50); do grep -q "$1" "$ERR" && return 0; sleep 0.1; done
	fail "after SIGHUP: no '$1' on stderr"
}
# untagged_run: forum-bot runs and must produce no event
untagged_run() {
	"$T/bin/forum-bot"
	sentinel "$T/bin/claude"
	expect_none agent=forum-bot
}
untagged_run
# an agent launched under a name no policy lists, alive across the reloads:
# it waits on a fifo, then opens a file
mkfifo "$T/go"
bg "$AGENTMON" launch --socket "$SOCK" --agent launched-x -- \
	sh -c 'read -r _ <"$0"; exec cat /etc/hostname' "$T/go" >/dev/null
wait_event 5 type=exec agent=launched-x

# broken: refused, collector still serving with the old policy
cat >"$T/policy.yaml" <<'Y'
agents:
  - name: forum-bot
    match: 42x: [
Y
hup "reload refused.*policy.yaml:[0-9]"
kill -0 "$COLLECTOR_PID" || fail "collector died on a broken policy"
untagged_run

# good: the new agent is tagged at its next exec
cat >"$T/policy.yaml" <<'Y'
agents:
  - name: forum-bot
    match: [forum-bot]
allow:
  - host: api.example.com
Y
hup "policy reloaded"
"$T/bin/forum-bot"
wait_event 5 type=exec agent=forum-bot
echo go >"$T/go"
wait_event 5 type=open agent=launched-x path=/etc/hostname
stop_collector
pass "broken policy refused with file:line, old kept; good policy applied on SIGHUP after a launch under an unlisted name, which keeps its name"
