#!/bin/bash
# Dead pids are never tagged: a `launch` request whose client is gone by the
# time the collector reads it (the collector is stopped with SIGSTOP while
# the client connects, asks and exits) must not leave a tag on that pid, or
# the next process given the pid would be watched as the agent, status
# would list a dead agent and the agent hooks would never be detached.
. "$(dirname "$0")/lib.sh"

command -v bpftool >/dev/null || skip "needs bpftool"

# kernel_tagged PID: whether the collector's pinned `tagged` map has PID
kernel_tagged() {
	local key
	key=$(printf '%08x' "$1" | sed -E 's/(..)(..)(..)(..)/0x\4 0x\3 0x\2 0x\1/')
	# shellcheck disable=SC2086
	bpftool map lookup pinned "$PIN_DIR/tagged" key $key >/dev/null 2>&1
}

hooks_state() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(str(json.load(sys.stdin)["agent_hooks"]).lower())'
}

start_collector --idle-detach 1s
[ -e "$PIN_DIR/tagged" ] || fail "no pinned tag map at $PIN_DIR/tagged"

kill -STOP "$COLLECTOR_PID"
# the client asks to be launched and exits without waiting for the answer
"$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"launch dead-bot\n")
print(os.getpid())' "$SOCK" >"$T/dead.pid" || fail "the launch client failed"
dead=$(cat "$T/dead.pid")
kill -0 "$dead" 2>/dev/null && fail "test bug: the client $dead still runs"
kill -CONT "$COLLECTOR_PID"

# sentinel: a later launch is answered after the dead client's request was read
launch sentinel-bot /bin/true || fail "the sentinel launch failed"
kernel_tagged "$dead" && fail "the kernel tags pid $dead, dead before it was tagged"
am status --json --socket "$SOCK" >"$T/status.json" || fail "status failed"
grep -q dead-bot "$T/status.json" && fail "status lists the dead agent: $(cat "$T/status.json")"

# with no agent alive, the agent hooks go after --idle-detach; other tests'
# agents (any claude on this machine) may keep them, so this part needs none
wait_event 10 type=exit agent=sentinel-bot
if "$PY" -c 'import json,sys; sys.exit(1 if json.load(open(sys.argv[1]))["agents"] else 0)' \
	"$T/status.json"; then
	for _ in $(seq 100); do
		[ "$(hooks_state)" = false ] && break
		sleep 0.1
	done
	[ "$(hooks_state)" = false ] || fail "agent hooks still attached with no agent alive"
	idle="agent hooks detached"
else
	echo "SKIP-PART: $TEST_NAME: other agents run on this machine, idle detach not checked"
	idle="idle detach not checked (other agents run)"
fi
stop_collector
pass "a launch from dead pid $dead left no tag and no agent in status; $idle"
