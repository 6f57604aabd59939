# shellcheck shell=bash
# lib.sh - shared code of the evasion tests (tests/evasion/test_*.sh).  Source
# it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sources tests/integration/lib.sh (root, build/agentmon, $T, the cleanup
# trap, start_collector, launch, wait_event, expect..., and skip_part,
# sentinel and wait_for: a part not run here is reported with skip_part, an
# absence is asserted after a sentinel - see there; its TOP is computed from
# its own path, so it is right from here too) and adds:
#
#   EV_HELPERS                      tests/evasion/helpers
#   ev_build NAME SRC [LIBS...]     compile SRC (a .c path) into
#                                   build/tests/evasion/NAME, print the path
#   netns_up ADDR...                a private network namespace (lo up, ADDR/32
#                                   on lo), held by a process killed at exit;
#                                   in_netns CMD... runs CMD inside it
#   agent_in_netns NAME CMD...      launch CMD as agent NAME inside it
#   wait_count SECS N FILTER...     until at least N events match, else fail
#   stop_collector_except FILTER... stop_collector, but the events matching
#                                   every FILTER are left out of the SPEC
#                                   validation (a known limit the test
#                                   asserts on its own)
# shellcheck source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

EV_HELPERS=$TOP/tests/evasion/helpers
EV_BIN=$TOP/build/tests/evasion

ev_build() {
	local name=$1 src=$2 bin=$EV_BIN/$1
	shift 2
	mkdir -p "$EV_BIN" || return 1
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		"${CC:-cc}" -O2 -Wall -o "$bin.tmp.$$" "$src" "$@" && mv "$bin.tmp.$$" "$bin" || return 1
	fi
	echo "$bin"
}

wait_count() {
	local secs=$1 n=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(jq count "$@")" -ge "$n" ] && return 0
		sleep 0.1
	done
	fail "want at least $n events $(_desc "$@") within ${secs}s, got $(jq count "$@")"
}

NETNS_PID=
netns_up() {
	local a cmd="ip link set lo up"
	for a in "$@"; do cmd="$cmd && ip addr add $a/32 dev lo"; done
	command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null ||
		return 1
	# shellcheck disable=SC2016
	bg unshare -n sh -c "$cmd"' && echo ready >"$0" && exec sleep 3600' "$T/netns.ready" 2>"$T/netns.err"
	NETNS_PID=$BG_PID
	for _ in $(seq 100); do
		[ -s "$T/netns.ready" ] && return 0
		kill -0 "$NETNS_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

in_netns() { nsenter -t "$NETNS_PID" -n "$@"; }

agent_in_netns() {
	local name=$1
	shift
	in_netns "$AGENTMON" launch --socket "$SOCK" --agent "$name" -- "$@"
}

stop_collector_except() {
	printf '%s\n' "$@" >"$T/except.filters"
	local real=$JQPY
	export AM_JQ=$real AM_JQ_EXCEPT=$T/except.filters
	JQPY=$EV_HELPERS/jq_except.py
	stop_collector
	JQPY=$real
	unset AM_JQ AM_JQ_EXCEPT
}
