#!/bin/bash
# launch tags the command as the agent root: exec (argv, cwd), exit status
# passed through, exit event with exit_code.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/work"
cd "$T/work" || fail "cd"
start_collector

# shellcheck disable=SC2016
out=$(launch testbot /bin/sh -c 'echo $$ >"$1"; exec /bin/echo hello "two words"' sh "$T/root.pid")
rc=$?
[ "$rc" -eq 0 ] || fail "launch of echo exited $rc"
[ "$out" = "hello two words" ] || fail "launch did not pass CMD's stdout through: '$out'"
root=$(cat "$T/root.pid")

wait_event 10 type=exec filename=/bin/echo pid="$root"
expect 1 type=exec filename=/bin/echo pid="$root" agent=testbot agent_pid="$root" \
	argv='["/bin/echo","hello","two words"]' cwd="$T/work"
expect_min 1 type=exec pid="$root" agent=testbot agent_pid="$root" filename=/bin/sh
wait_event 10 type=exit pid="$root"
expect 1 type=exit pid="$root" agent=testbot agent_pid="$root" exit_code=0

# exit status passed through, and in the exit event
# shellcheck disable=SC2016
launch testbot /bin/sh -c 'echo $$ >"$1"; exit 7' sh "$T/seven.pid"
rc=$?
[ "$rc" -eq 7 ] || fail "launch of 'exit 7' exited $rc, want 7"
seven=$(cat "$T/seven.pid")
wait_event 10 type=exit pid="$seven"
expect 1 type=exit pid="$seven" agent=testbot agent_pid="$seven" exit_code=7

# a child of the root inherits the tag and the root's agent_pid
# shellcheck disable=SC2016
launch testbot /bin/sh -c 'echo $$ >"$1"; /bin/true; exit 0' sh "$T/parent.pid" ||
	fail "launch of sh+true failed"
parent=$(cat "$T/parent.pid")
wait_event 10 type=exec filename=/bin/true
expect 1 type=exec filename=/bin/true agent=testbot agent_pid="$parent" ppid="$parent" pid!="$parent"

stop_collector
pass "exec argv/cwd, exit codes 0 and 7, child tagged with the root's agent_pid"
