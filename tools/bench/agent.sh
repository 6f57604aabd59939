#!/bin/sh
# agent.sh - one Claude Code session for `make bench` (the agent workload):
# `claude -p` with its shell tool, against tests/agents/mock_api.py in a
# network namespace that has only loopback (tests/agents/netns.sh); the
# prompt ends in "mock-shell: CMD", so the mock answers the first request
# with one call of the shell tool running CMD, the next with text.  Prints the session's wall-clock ns.
#   agent.sh CLAUDE WORKDIR
# Exit 1 when the session fails or its command did not run.
[ $# -eq 2 ] || { echo "usage: agent.sh CLAUDE WORKDIR" >&2; exit 2; }
ag=$(cd "$(dirname "$0")/../../tests/agents" && pwd)
w=$2
mkdir -p "$w/home" || exit 1
[ -f "$w/hosts" ] || printf '127.0.0.1 localhost\n' >"$w/hosts"
rm -f "$w/ran" "$w/mock.log"
t0=$(date +%s%N)
HOME=$w/home ANTHROPIC_API_KEY=sk-mock \
	ANTHROPIC_BASE_URL=http://127.0.0.1:8099 DISABLE_AUTOUPDATER=1 IS_SANDBOX=1 \
	"$ag/netns.sh" "$w/hosts" "$ag/with_mock.sh" 8099 "$w/mock.log" \
	"$1" -p "count the files in /usr/bin, mock-shell: ls -l /usr/bin | wc -l >$w/ran" \
	--allowedTools Bash >"$w/out" 2>&1 || exit 1
t1=$(date +%s%N)
[ -s "$w/ran" ] || { echo "agent.sh: the shell tool did not run" >&2; exit 1; }
echo $((t1 - t0))
