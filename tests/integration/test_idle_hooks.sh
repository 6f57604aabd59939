#!/bin/bash
# Idle cost: with no agent process alive for --idle-detach, the collector
# detaches the socket, packet and TLS hooks (status says so) and untagged
# processes pay nothing for them; an agent brings them back before it can
# connect: launched (attached before the reply), or tagged by the kernel at
# exec (a `claude` executable), and its POST is caught either way.  The
# hooks missing now (status hook_gaps) after a re-attach are those of the
# start (every attach redoes them).  A launch right after a detach, over at
# once (a copy of true never scanned: the re-attach delays the reading of
# its exec record), still has its binary scanned.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" \
	>/dev/null 2>&1
wait_file "$T/port" 10
PORT=$(cat "$T/port")

# hooks_state: "true" or "false" from status --json
hooks_state() {
	am status --json --socket "$SOCK" | "$PY" -c 'import json,sys; print(str(json.load(sys.stdin)["agent_hooks"]).lower())'
}

# wait_hooks STATE SECS
wait_hooks() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(hooks_state)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "agent hooks not $1 after $2 s (status: $(hooks_state))"
}

post() { curl -s --resolve "$1:$PORT:127.0.0.1" -X POST -d x "http://$1:$PORT/p" -o /dev/null; }

# hook_gaps: the hooks missing now, redone at each attach (doctor reads it)
gaps() {
	am status --json --socket "$SOCK" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["hook_gaps"]))'
}

start_collector -v --idle-detach 1s
GAPS0=$(gaps) || fail "status has no hook_gaps"
wait_hooks false 6

# 1. launch: the hooks are attached before the launched command runs
launch bot sh -c "echo x >'$T/launched.txt'; $(declare -f post); PORT=$PORT; post forum.launched.example" ||
	fail "launched agent failed"
wait_event 10 type=alert rule=outbound_post host=forum.launched.example
expect 1 type=open agent=bot path="$T/launched.txt" write=true # the sys_exit hook is back
[ "$(gaps)" = "$GAPS0" ] || fail "hook_gaps after the re-attach: $(gaps), at start: $GAPS0"
wait_hooks false 6

# 2. the kernel tags an executable named claude at exec; the collector sees
# the exec record and attaches the hooks within a poll round
mkdir -p "$T/bin"
cp /bin/sh "$T/bin/claude" || fail "cp"
"$T/bin/claude" -c "$(declare -f post); PORT=$PORT; sleep 0.5; echo x >'$T/kernel.txt'; post forum.kernel.example" ||
	fail "claude script failed"
wait_event 10 type=alert rule=outbound_post host=forum.kernel.example
expect 1 type=open agent=claude path="$T/kernel.txt" write=true
[ "$(hooks_state)" = true ] || wait_hooks false 6

# 2b. a launch right after a detach, its process over at once: its binary
# is scanned (by its exec's path when /proc/PID/exe is gone by then)
wait_hooks false 6
cp /bin/true "$T/bin/quick" || fail "cp"
launch quick "$T/bin/quick" || fail "quick failed"
# (named /proc/PID/exe when the process was still there, else by its path)
scanned_quick() { grep "no TLS library recognised" "$ERR" | grep -qF "(for $T/bin/quick["; }
WAIT_WHY="grep -e quick -e 'hooks' $ERR" wait_for 30 "quick's binary scanned" scanned_quick

# 3. untagged processes while idle: nothing reported (the sentinel, an
# agent, attaches the hooks again only after the untagged POST)
wait_hooks false 6
post forum.untagged.example
sentinel
expect_none host=forum.untagged.example
stop_collector
expect_none host=forum.untagged.example

# --idle-detach 0 keeps them
start_collector --idle-detach 0
sleep 2.5
[ "$(hooks_state)" = true ] || fail "--idle-detach 0: hooks detached"
stop_collector
pass "idle: hooks detached; launched and kernel-tagged agents re-attach them and their POSTs alert; a launch over at once after a detach is scanned"
