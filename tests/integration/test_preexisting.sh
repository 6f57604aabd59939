#!/bin/bash
# a claude process (and its child) running before the collector starts is
# found by the /proc scan: the child's later activity carries agent claude
# and the pre-existing root's agent_pid.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bin"
cp /bin/sh "$T/bin/claude" || fail "cp"
mkfifo "$T/cmd" || fail "mkfifo"
# claude runs a child shell that executes lines read from the fifo until
# "quit"; then claude itself writes a file
# shellcheck disable=SC2016
bg "$T/bin/claude" -c 'echo $$ >"$1/claude.pid"
/bin/sh -c "echo \$\$ >\"\$1/child.pid\"; while :; do read -r line <\"\$1/cmd\" || continue; [ \"\$line\" = quit ] && exit 0; eval \"\$line\"; done" sh "$1"
echo after >"$1/claude-after.txt"' claude "$T"
wait_file "$T/claude.pid"
wait_file "$T/child.pid"
claude=$(cat "$T/claude.pid")
child=$(cat "$T/child.pid")
[ "$(cat "/proc/$claude/comm")" = claude ] || fail "test bug: comm of $claude"

start_collector
echo "echo x >\"$T/child-out.txt\"; /bin/touch \"$T/touched.txt\"" >"$T/cmd"
wait_event 10 type=open path="$T/touched.txt"
expect_min 1 type=open pid="$child" agent=claude agent_pid="$claude" path="$T/child-out.txt" write=true
expect_min 1 type=exec filename=/bin/touch agent=claude agent_pid="$claude" ppid="$child"
expect_min 1 type=open agent=claude agent_pid="$claude" path="$T/touched.txt" write=true
echo quit >"$T/cmd"
wait_event 10 type=open path="$T/claude-after.txt"
expect_min 1 type=open pid="$claude" agent=claude agent_pid="$claude" path="$T/claude-after.txt"
wait_event 10 type=exit pid="$claude"

stop_collector
pass "pre-existing claude $claude and its child $child tagged by the /proc scan"
