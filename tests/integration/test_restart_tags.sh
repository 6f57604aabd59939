#!/bin/bash
# Tags survive a restart of the collector (SPEC.md "Which processes are
# agents"): an agent launched before a restart (SIGTERM, then SIGKILL as in
# a crash under Restart=on-failure) posts afterwards, and the post is
# reported under the agent's name with an outbound_post alert.  A tagged
# process that died while no collector ran is swept at adoption (status no
# longer lists it); a child the agent forked while no collector ran is
# tagged at adoption, with a `tag` event saying its past was not watched.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" \
	>"$T/server.out" 2>&1
wait_file "$T/port" 10
PORT=$(cat "$T/port")

# status_agents: the agent names `status --json` lists, one a line
status_agents() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; [print(a["name"]) for a in json.load(sys.stdin)["agents"]]'
}

# the agent: once $T/goN exists (the collector restarted by then) it posts
# (1 and 2) or forks a child (3); it waits with bash's read on a fifo, no fork
mkfifo "$T/never" || fail "mkfifo"
start_collector
# shellcheck disable=SC2016
bg "$AGENTMON" launch --socket "$SOCK" --agent restart-bot -- /bin/bash -c '
echo $$ >"$1/agent.pid"
for n in 1 3 2; do
	while [ ! -e "$1/go$n" ]; do read -r -t 0.05 _ <>"$1/never" || :; done
	[ "$n" = 3 ] && { /bin/sh -c "echo \$\$ >\"$1/gapchild.pid\"; exec sleep 600" & continue; }
	curl -s -o /dev/null -X POST -H "Host: forum.restart.example" --data "n=$n" \
		"http://127.0.0.1:$2/post$n" || echo "curl $n failed" >&2
done
wait' agent "$T" "$PORT"
wait_file "$T/agent.pid"
apid=$(cat "$T/agent.pid")
wait_event 10 type=exec pid="$apid" agent=restart-bot filename=/bin/bash
# a second agent that dies while no collector runs: its tag is stale
bg "$AGENTMON" launch --socket "$SOCK" --agent doomed-bot -- /bin/sleep 600
doomed=$BG_PID
wait_event 10 type=exec pid="$doomed" agent=doomed-bot
status_agents | grep -qx doomed-bot || fail "status does not list doomed-bot before the restart"

# ---- a clean restart (SIGTERM) ----
stop_collector
{ kill -KILL "$doomed" && wait "$doomed"; } 2>/dev/null
start_collector
grep -q "adopted" "$ERR" || fail "the new collector did not adopt the pinned tags"
touch "$T/go1"
wait_event 15 type=alert rule=outbound_post agent=restart-bot agent_pid="$apid" path=/post1
# the http event waits for its response (the alert does not)
wait_event 10 type=http method=POST host=forum.restart.example agent=restart-bot path=/post1
expect_min 1 type=exec filename=/usr/bin/curl agent=restart-bot agent_pid="$apid"
status_agents >"$T/agents" || fail "status failed"
grep -qx restart-bot "$T/agents" || fail "status does not list restart-bot after the restart"
grep -qx doomed-bot "$T/agents" && fail "status lists doomed-bot, dead before the restart"

# ---- a crash (SIGKILL) while the agent forks a child ----
kill -KILL "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null
COLLECTOR_PID=
touch "$T/go3"
wait_file "$T/gapchild.pid"
gap=$(cat "$T/gapchild.pid")
BG_PIDS+=("$gap")
start_collector
touch "$T/go2"
wait_event 15 type=alert rule=outbound_post agent=restart-bot agent_pid="$apid" path=/post2
expect 1 type=tag pid="$gap" how=scan agent=restart-bot agent_pid="$apid"
expect_none type=tag pid="$apid" # watched all along: no unwatched past
stop_collector
pass "agent $apid tagged across a SIGTERM and a SIGKILL restart (alerts after each); dead tag swept; gap child $gap adopted"
