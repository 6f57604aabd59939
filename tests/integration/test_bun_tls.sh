#!/bin/bash
# The agents' own TLS in Bun single binaries (BoringSSL inside, no SSL
# symbols): the loader locates BoringSSL's tls_write_app_data with
# user/tls_locate.c and hooks it.  Real Claude Code (`claude -p`) runs tagged,
# in a loopback-only network namespace, against a local HTTPS mock
# (ANTHROPIC_BASE_URL, NODE_EXTRA_CA_CERTS with the test certificate): its
# POST /v1/messages must come out as an http event decoded from the
# plaintext (tls=true).  opencode's binary is only located (the collector's
# verdict line), not run.
#
# Binaries: CLAUDE_EXE / OPENCODE_EXE, else the real-agent cache of
# tests/agents (AGENTS_CACHE, default /var/cache/agentmon-test/agents).
# Skips when neither agent is installed.
. "$(dirname "$0")/lib.sh"

cache=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
claude=${CLAUDE_EXE:-$cache/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe}
opencode=${OPENCODE_EXE:-$cache/opencode/node_modules/opencode-ai/bin/opencode.exe}
[ -x "$claude" ] || [ -x "$opencode" ] ||
	skip "no Bun agent installed (claude.exe, opencode.exe; tests/agents/install.sh)"
command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"

local_names api.anthropic.test
start_collector --verbose   # the loader's verdicts on binaries are debug lines

located() { [ "$(grep -c "hooked (located tls_write_app_data at 0x" "$ERR")" -ge "$1" ]; }
WAIT_WHY="grep -i -e located -e boringssl -e bssl $ERR"

# opencode: its binary as Bun (BUN_BE_BUN), alive long enough to be hooked;
# its verdict says where tls_write_app_data was located and that it is hooked
n=0
if [ -x "$opencode" ]; then
	BUN_BE_BUN=1 unshare -n -- "$AGENTMON" launch --socket "$SOCK" --agent opencode -- \
		"$opencode" -e 'await Bun.sleep(20000)' >/dev/null 2>&1 &
	BG_PIDS+=("$!")
	n=1
	wait_for 30 "opencode located" located 1
else
	skip_part "$opencode not installed"
fi
[ -x "$claude" ] || { stop_collector; pass "opencode located (claude not installed)"; }
cat >"$T/run.sh" <<'SH'
# inside the namespace: lo only, the test's hosts file; the mock, then claude
set -u
ip link set lo up || exit 125
mount --bind "$T/hosts" /etc/hosts || exit 125
ip -o route show | grep -q . && { echo "a route exists" >&2; exit 125; }
"$PY" "$HELPERS/https_server.py" --port-file "$T/port" --log "$T/requests.log" \
	--cert "$T/cert.pem" --key "$T/key.pem" >"$T/server.out" 2>&1 &
srv=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
HOME=$T/home ANTHROPIC_BASE_URL=https://api.anthropic.test:$(cat "$T/port") \
	ANTHROPIC_API_KEY=sk-ant-test-0000 NODE_EXTRA_CA_CERTS=$T/cert.pem \
	DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
	timeout 90 "$AGENTMON" launch --socket "$SOCK" --agent claude -- \
	"$CLAUDE" -p "say hi" --max-turns 1 >"$T/claude.out" 2>&1
rc=$?
kill "$srv"
exit "$rc"
SH
mkdir -p "$T/home"
run_claude() {
	: >"$T/port"
	T=$T PY=$PY HELPERS=$HELPERS AGENTMON=$AGENTMON SOCK=$SOCK CLAUDE=$claude \
		unshare -n -m --propagation private bash "$T/run.sh"
	rc=$?
	[ "$rc" -ne 125 ] || fail "cannot set up the loopback-only namespace"
	grep -q '"path": "/v1/messages' "$T/requests.log" 2>/dev/null ||
		fail "claude made no POST /v1/messages to the mock (exit $rc): $(tail -n 5 "$T/claude.out")"
}
# the first run is located and hooked while it starts (the loader reads the
# 250-400 MB binary once, a few seconds, perhaps after its first requests);
# the uprobes stay on its inode, so the second run is seen from its start
run_claude
wait_for 30 "claude located" located $((n + 1))
sentinel
: >"$T/requests.log"
run_claude
wait_event 10 type=http agent=claude method=POST "path~^/v1/messages" tls=true
stop_collector
pass "Bun's BoringSSL located; claude -p's POST /v1/messages seen in plaintext"
