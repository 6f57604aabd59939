#!/bin/bash
# Readiness means watching (SPEC.md "Which processes are agents").
#  1. An agent started the moment the control socket appears (what scripts
#     waiting for it do) loses nothing: its exec and the exec of its child
#     are reported, and each of the child's 200,000 opens is reported or
#     counted in a drop event (both execs come before the burst, so no drop
#     can hide them).
#  2. systemd's READY=1 (a fake NOTIFY_SOCKET) comes only once the socket
#     exists and the hooks are attached: an agent the notify server starts
#     on READY=1 is watched at once; STOPPING=1 comes on SIGTERM.
#  3. A claude running before the collector (found by the /proc scan) gets
#     exactly one `tag` event (how "scan", since its start) saying its past
#     was not watched, and so does its child; a replay of the trace shows
#     the same events.
. "$(dirname "$0")/lib.sh"

N=200000
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"
mkdir -p "$T/bin" "$T/rec" || fail "mkdir"
cp /bin/sh "$T/bin/claude" || fail "cp"

# ---- 1. an agent started as soon as the socket exists ----
# the watcher polls for the socket and execs the agent the moment it is there
# shellcheck disable=SC2016
bg "$PY" -c '
import os, sys, time
sock, agent = sys.argv[1], sys.argv[2:]
while not os.path.exists(sock):
    time.sleep(0.0002)
os.execv(agent[0], agent)' "$SOCK" "$T/bin/claude" -c 'exec "$1" "$2" "$3/loop.pid"' \
	claude "$loop" "$N" "$T"
OUT=$T/race.jsonl
ERR=$T/race.err
env --default-signal=INT,TERM,HUP "$AGENTMON" run --format json --no-record --tls-cache "$T/tls-cache.d/cache" \
	--socket "$SOCK" --pin-dir "$PIN_DIR" >"$OUT" 2>"$ERR" &
COLLECTOR_PID=$!
deadline=$(($(date +%s) + READY_TIMEOUT))
while ! grep -q ready "$ERR"; do
	kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector exited before ready"
	[ "$(date +%s)" -lt "$deadline" ] || fail "collector not ready after ${READY_TIMEOUT}s"
	sleep 0.05
done
wait_file "$T/loop.pid" 20
lpid=$(cat "$T/loop.pid")
for _ in $(seq 600); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$lpid" 2>/dev/null && fail "the agent's $N opens did not end within 60 s"
# the collector drains what the burst left in the ring buffer; every open
# is then printed or counted in a drop event
for _ in $(seq 60); do
	opens=$(jq count type=open pid="$lpid" path=/dev/null)
	lost=$(jq sum lost type=drop)
	[ $((opens + lost)) -ge "$N" ] && break
	sleep 1
done
[ $((opens + lost)) -ge "$N" ] ||
	fail "$opens of $N opens reported and $lost counted lost: the agent ran unwatched"
# the agent (the watcher's exec) and its exec of the loop (same pid: exec)
expect 1 type=exec pid="$lpid" filename="$T/bin/claude" agent=claude agent_pid="$lpid"
expect 1 type=exec pid="$lpid" filename="$loop" agent=claude agent_pid="$lpid"
stop_collector
race="exec seen, $opens opens reported + $lost counted lost of $N"

# ---- 2. READY=1 to a fake NOTIFY_SOCKET; 3. a pre-existing claude ----
# a claude and its child run before the collector starts
# shellcheck disable=SC2016
bg "$T/bin/claude" -c 'echo $$ >"$1/old.pid"; /bin/sh -c "echo \$\$ >\"\$1/oldchild.pid\"; exec sleep 600" sh "$1"' \
	claude "$T"
wait_file "$T/old.pid"
wait_file "$T/oldchild.pid"
old=$(cat "$T/old.pid")
oldchild=$(cat "$T/oldchild.pid")
BG_PIDS+=("$oldchild") # an exec'd sleep: killed by the cleanup too
# the notify server: on READY=1, is the socket there, and is an agent it starts watched?
# shellcheck disable=SC2016
bg "$PY" -c '
import os, socket, subprocess, sys
path, sock, log, agent, probe = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(path + ".up", "w").write("up\n")
while True:
    msg = s.recv(4096).decode(errors="replace")
    with open(log, "a") as f:
        for line in msg.split("\n"):
            if line.startswith("READY=1"):
                f.write("READY socket=%s\n" % ("yes" if os.path.exists(sock) else "no"))
                f.flush()
                subprocess.Popen([agent, "-c", "echo x >\"$1\"", "claude", probe])
            elif line.startswith("STOPPING=1"):
                f.write("STOPPING\n")
            elif line.startswith("STATUS="):
                f.write("STATUS\n")' "$T/notify" "$SOCK" "$T/notify.log" "$T/bin/claude" "$T/probe.txt"
wait_file "$T/notify.up"
NOTIFY_SOCKET=$T/notify start_collector --record "$T/rec"
wait_file "$T/notify.log" 10
grep -qx "READY socket=yes" "$T/notify.log" ||
	fail "READY=1 came before the socket existed: $(cat "$T/notify.log")"
wait_event 10 type=open path="$T/probe.txt" agent=claude write=true
probe=$(field pid type=open path="$T/probe.txt") || exit 1
expect 1 type=exec pid="$probe" filename="$T/bin/claude" agent=claude
# 3: one tag event for each process the scan tagged; none for one watched from its start
# (other claude processes on the machine may be tagged by the scan too)
expect 1 type=tag pid="$old" how=scan agent=claude agent_pid="$old" unwatched=true
expect 1 type=tag pid="$oldchild" how=scan agent=claude agent_pid="$old"
expect_none type=tag pid="$probe"
since=$(field since type=tag pid="$old") || exit 1
ts=$(field ts type=tag pid="$old") || exit 1
[[ "$since" < "$ts" ]] || fail "tag event: since $since is not before ts $ts"
stop_collector
kill "$oldchild" 2>/dev/null # exec'd sleep: not a bg job of ours
for _ in $(seq 40); do grep -q STOPPING "$T/notify.log" && break; sleep 0.05; done
grep -q STOPPING "$T/notify.log" || fail "no STOPPING=1 on SIGTERM: $(cat "$T/notify.log")"
grep -q STATUS "$T/notify.log" || fail "no STATUS= sent: $(cat "$T/notify.log")"

# the replay shows the same tag events
files=("$T"/rec/*.amtrace)
am replay --json "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
diff <(grep '"type":"tag"' "$OUT") <(grep '"type":"tag"' "$T/replay.jsonl") >"$T/diff" ||
	fail "replay's tag events differ: $(cat "$T/diff")"
pass "$race; READY=1 after the socket and the hooks; one tag event per scanned process, replayed"
