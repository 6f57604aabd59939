# shellcheck shell=bash
# lib.sh - shared code of the attack tests (tests/attack/test_*.sh): an agent
# that knows it is watched tries to blind, flood, exhaust or trick the root
# collector.  Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sources tests/evasion/lib.sh (and through it tests/integration/lib.sh:
# root, build/agentmon, $T, the cleanup trap, start_collector, launch,
# wait_event, expect..., skip_part, sentinel, wait_for, ev_build, netns_up,
# in_netns, agent_in_netns; see there) and adds:
#
#   AT_HELPERS                      tests/attack/helpers
# shellcheck source=../evasion/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../evasion/lib.sh"

AT_HELPERS=$TOP/tests/attack/helpers
