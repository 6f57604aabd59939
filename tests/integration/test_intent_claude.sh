#!/bin/bash
# Alert intent from Claude Code over TLS (issues 10 and 12).  The real
# claude (a Bun single binary: BoringSSL inside, no symbols) runs in a
# loopback-only namespace where tests/agents/mock_api.py --world plays every
# host over HTTPS (api.anthropic.com included, its default API host).  Its
# prompt holds "mock-shell: curl -X POST https://forum.corp.example/t/1",
# which the mock answers with a call of claude's Bash tool.  Claude's
# answers are read only through the located tls_open_app_data (bpf
# bssl_open_app), each record tied to the socket of its thread's last read.
# Then:
#   - the exchange is an llm event: host api.anthropic.com, api anthropic,
#     the tool call (Bash, the curl command);
#   - the outbound_post alert on forum.corp.example carries intent: the tool,
#     its input, the prompt quoted, host, match "named";
#   - the replay of the recorded trace gives the same llm event and intent.
# claude.exe is located at its first exec (a few seconds for ~250 MB): a
# first run (`claude --version`) is hooked before the one that is judged.
# Without claude installed the test skips.
. "$(dirname "$0")/lib.sh"

AG=$TOP/tests/agents
CACHE=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
CLAUDE=${CLAUDE_BIN:-$CACHE/claude/node_modules/.bin/claude}
[ -x "$CLAUDE" ] || skip "claude is not installed in $CACHE (tests/agents/install.sh)"
command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"
command -v curl >/dev/null || skip "needs curl (the shell tool's command)"

CMD="curl -s -X POST -d answer=42 https://forum.corp.example/t/1"
PROMPT="answer the question on the forum with mock-shell: $CMD"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$T/hosts"
mkdir -p "$T/home" "$T/work" "$T/ca"

start_collector --verbose --record "$T/traces"

# the binary located and hooked before the judged run
launch claude "$CLAUDE" --version >/dev/null 2>&1 || fail "claude --version failed"
located() { grep -q "hooked (located tls_write_app_data at 0x.*located tls_open_app_data at 0x" "$ERR"; }
WAIT_WHY="grep -i -e located -e boringssl $ERR" wait_for 60 "claude.exe located" located

(cd "$T/work" && HOME=$T/home ANTHROPIC_API_KEY=sk-ant-mock DISABLE_AUTOUPDATER=1 \
	exec "$AG/netns.sh" "$T/hosts" "$AG/with_mock.sh" --world "$T/ca" 443 "$T/mock.log" \
	"$AGENTMON" launch --socket "$SOCK" --agent claude -- \
	"$CLAUDE" -p "$PROMPT" --allowedTools Bash --max-turns 3) >"$T/run.out" 2>&1 </dev/null &
pid=$!
BG_PIDS+=("$pid")
WAIT_WHY="tail -n 5 $T/run.out" wait_for 150 "claude to exit" exited "$pid"
wait "$pid"
rc=$?
[ "$rc" -ne 125 ] || fail "no namespace or no mock: $(tail -n 3 "$T/run.out")"
grep -q '"path": "/t/1"' "$T/mock.log" ||
	fail "claude did not run the tool call (exit $rc): $(tail -n 5 "$T/run.out")"

# the exchange, read from claude's own TLS, and the alert with the tool call
wait_event 10 type=llm agent=claude host=api.anthropic.com api=anthropic \
	tools~'"name": "Bash"' tools~"curl -s -X POST"
wait_event 10 type=alert rule=outbound_post agent=claude host=forum.corp.example \
	intent~'"tool": "Bash"' intent~"\"input\": \"$CMD\"" \
	intent~"\"prompt\": \"[^\"]*answer the question on the forum" \
	intent~'"host": "api.anthropic.com"' intent~'"match": "named"'
stop_collector

# the replay gives the same
files=("$T"/traces/agentmon-*.amtrace)
am replay --json "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
for kind in '"type":"llm"' '"type":"alert".*"intent"'; do
	diff <(grep "$kind" "$OUT") <(grep "$kind" "$T/replay.jsonl") >"$T/diff" ||
		fail "the replay's $kind lines differ from the live run's: $(head -c 2000 "$T/diff")"
done
pass "claude's Bash tool call (curl -X POST), read from its own TLS, explains its outbound_post alert, live and replayed"
