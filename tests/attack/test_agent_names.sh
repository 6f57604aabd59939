#!/bin/bash
# The agent table does not grow without bound (issue 11, "Resource
# exhaustion"): an agent running `agentmon launch --agent NAME` with a fresh
# random name each time would add a name for the collector's lifetime.
# Launched names (no patterns) are kept up to AGENTS_LAUNCHED_MAX; past it a
# launch takes the id of a name no live process uses (recycled, counted in
# status).  Checked: 80 random names launched while one agent ("keepme")
# stays alive; the table stays at the bound, the recycling is counted,
# keepme's later events still carry its name, the newest name's events carry
# the newest name, and a replay of the trace names every event as the live
# run did (renames are recorded).
. "$(dirname "$0")/lib.sh"

FLOOD=80
start_collector --record "$T/traces"
: >"$T/probe" && : >"$T/last"
bg "$AGENTMON" launch --socket "$SOCK" --agent keepme -- \
	bash -c 'while [ ! -e "$0/go" ]; do sleep 0.1; done; exec cat "$0/probe"' "$T"
wait_event 10 type=exec agent=keepme
names() {
	am status --json --socket "$SOCK" | "$PY" -c 'import json, sys
r = json.load(sys.stdin)["resources"]
print(r["agent_names"], r["agent_names_max"], r["agent_names_recycled"], r["agent_names_refused"])'
}
read -r before max _ _ < <(names) || fail "status failed"
R=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
# one process per name, as `agentmon launch` asks (a fork each: quicker than exec'ing it)
ok=$("$PY" "$AT_HELPERS/launch_flood.py" "$SOCK" "rnd-$R" $FLOOD) ||
	fail "only $ok of $FLOOD launches under new names were accepted"
launch "rnd-$R-last" cat "$T/last" || fail "the last launch failed"
touch "$T/go"
wait_event 10 type=open path="$T/probe" agent=keepme
wait_event 10 type=open path="$T/last" agent="rnd-$R-last"
read -r after max recycled refused < <(names) || fail "status failed"
# before: the defaults and keepme; unbounded, after would be before + FLOOD + 1
defaults=$((before - 1))
[ "$after" -le $((defaults + max)) ] ||
	fail "the agent table holds $after names after $FLOOD launches (bound: $defaults + $max)"
[ "$recycled" -ge $((FLOOD + 2 - max)) ] ||
	fail "status counts $recycled names recycled, want at least $((FLOOD + 2 - max))"
[ "$refused" -eq 0 ] || fail "status counts $refused launches refused: none had a live process"
sentinel
stop_collector
expect_min 1 type=open path="$T/probe" agent=keepme
# the replay names each open and exec as the live run did
replay_same '"type":"open"' '"type":"exec"'
pass "$FLOOD random launched names: $after names (bound $defaults + $max), $recycled recycled; keepme kept its name; replay = live"
