#!/bin/bash
# An agent serves a FUSE file system itself (fusermount3 is setuid on many
# desktops) and never answers the collector: the collector (root) opens the
# binaries an agent runs and the shared objects it opens on its event loop,
# and one open(2) or stat(2) left unanswered would silence the monitor (no
# events, no alerts, no status) for as long as the agent likes.  The FUSE
# server here (helpers/fuse_stall.py, the kernel's protocol on /dev/fuse)
# holds every request of a collector's thread, and answers the agent's.
# The agent execs a binary there and opens a .so there; then it POSTs from
# another process: the alert must come, status must answer, no request of
# the collector's reached the server (nothing on FUSE is opened nor
# stat'ed: a walk by O_PATH, each mount looked up before it is asked), and
# both files are counted on_fuse (not scanned, their TLS judged unseen).
. "$(dirname "$0")/lib.sh"

[ -c /dev/fuse ] || skip "needs /dev/fuse (a FUSE server the agent serves)"
command -v curl >/dev/null || skip "needs curl"
MNT=$T/mnt
mkdir -p "$MNT" || fail "mkdir"
FUSE_PID=
# the mount goes before the cleanup removes $T (the server exits on TERM);
# the test's status is _cleanup's ($? as the trap began)
# shellcheck disable=SC2154 # rc is set by the trap itself
trap 'rc=$?; [ -n "$FUSE_PID" ] && kill -TERM "$FUSE_PID" 2>/dev/null
umount -l "$MNT" 2>/dev/null; (exit $rc); _cleanup' EXIT

bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" \
	>/dev/null 2>&1
wait_file "$T/port" 10
PORT=$(cat "$T/port")

start_collector -v
bg "$PY" "$AT_HELPERS/fuse_stall.py" --mount "$MNT" --source /bin/sleep \
	--stall-pid "$COLLECTOR_PID" --ready "$T/fuse.ready" --log "$T/fuse.log" 2>"$T/fuse.err"
FUSE_PID=$BG_PID
wait_file "$T/fuse.ready" 10
: >>"$T/fuse.log"
[ -x "$MNT/agent" ] || fail "the FUSE file system serves no agent: $(cat "$T/fuse.err")"

on_fuse() {
	timeout 60 "$AGENTMON" status --json --socket "$SOCK" | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["tls_scans"]["on_fuse"])'
}

# the agent: opens the .so, execs the binary on FUSE (left running), and a
# POST from another process of its tree
bg "$AGENTMON" launch --socket "$SOCK" --agent fusebot -- bash -c \
	': <"$0/libstall.so"; : >"$1/opened"; exec "$0/agent" 300' "$MNT" "$T"
wait_event 30 type=exec agent=fusebot filename="$MNT/agent"
wait_event 30 type=open agent=fusebot path="$T/opened"
launch fusebot curl -s --resolve "forum.corp.example:$PORT:127.0.0.1" -X POST -d x \
	"http://forum.corp.example:$PORT/p" -o /dev/null || fail "the POST failed"
wait_event 30 type=alert rule=outbound_post agent=fusebot host=forum.corp.example
sentinel
n=$(on_fuse) || fail "status did not answer (the loop blocked on the FUSE server?)"
WAIT_WHY="grep -i fuse $ERR" wait_for 30 "both files said on FUSE" \
	grep -q "libstall.so: on a FUSE mount" "$ERR"
[ "$n" -ge 2 ] || fail "on_fuse $n: the binary and the .so on FUSE were not both refused"
am status --socket "$SOCK" | grep -q "on fuse" || fail "status text has no 'on fuse' line"
[ ! -s "$T/fuse.log" ] || fail "the collector asked the FUSE server: $(head -n 5 "$T/fuse.log")"

# a run over before its exec record is read (the collector stopped
# meanwhile): its binary is looked for at the exec's path, on FUSE: refused
# the same way, not asked
mkfifo "$T/go" || fail "mkfifo"
bg "$AGENTMON" launch --socket "$SOCK" --agent fuseshort -- bash -c \
	'read -r _ <"$1/go" && "$0/agent" 0 && : >"$1/done"' "$MNT" "$T"
run_stopped fuseshort "$T/go" "$T/done" "the short run on FUSE to end"
wait_event 30 type=exec agent=fuseshort filename="$MNT/agent"
sentinel
n2=$(on_fuse) || fail "status did not answer after the short run"
[ "$n2" -gt "$n" ] || fail "the short run's binary on FUSE was not refused: on_fuse $n -> $n2"
[ ! -s "$T/fuse.log" ] || fail "the collector asked the FUSE server: $(head -n 5 "$T/fuse.log")"
stop_collector
pass "an agent's binary and .so on its own FUSE server (every collector request held): the POST alerted, status answered, the server never asked (on_fuse $n); a run over before its exec was read, looked for by its exec's path, refused too (on_fuse $n2)"
