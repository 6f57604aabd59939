#!/bin/bash
# The agents' own TLS in stripped static-pie Rust binaries (rustls on
# aws-lc-rs, no SSL symbols): the loader locates aws-lc's EVP_AEAD_CTX_seal
# with user/tls_locate.c and hooks it (bpf awslc_seal: a TLS 1.3 record's
# plaintext at entry, tied to its connection by the socket write, on any
# thread, that sends its buffer).  Real Codex
# (`codex exec`) runs tagged in a loopback-only network namespace against
# the mock OpenAI Responses API over HTTPS (tests/agents/mock_api.py with a
# certificate from a test CA; CODEX_CA_CERTIFICATE, SSL_CERT_FILE).  A first
# collector locates it at a `codex --version` and keeps the offsets in its
# TLS cache (run --tls-cache); a second one, with that cache, hooks codex at
# its first exec, unscanned (status: a cache hit), and judges these runs:
#   - its POST /v1/responses to api.openai.com (allowed by the default
#     policy) is an http event decoded from the plaintext, and raises nothing
#     (no monitor_degraded "TLS hooked, yet no plaintext" either);
#   - pointed at an unlisted host (paste.codexmock.test, 127.0.0.2 in the
#     namespace's hosts file) the same client raises outbound_post with
#     method and path, and nothing else;
#   - status lists the codex binary as hooked.
#
# Binary: CODEX_EXE, else the real-agent cache of tests/agents (AGENTS_CACHE,
# default /var/cache/agentmon-test/agents).  Skips when Codex is not installed.
. "$(dirname "$0")/lib.sh"

cache=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
codex=${CODEX_EXE:-$cache/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex}
[ -x "$codex" ] || skip "codex not installed ($codex; tests/agents/install.sh)"
command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
command -v openssl >/dev/null || skip "needs openssl"
unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"

ca_names api.openai.com paste.codexmock.test
{ cat /etc/hosts; echo "127.0.0.1 api.openai.com"; echo "127.0.0.2 paste.codexmock.test"; } >"$T/hosts"

# inside the namespace: the mock on every loopback address, then codex exec
# with the provider at https://$1:8443/v1
cat >"$T/run.sh" <<'SH'
set -u
python3 "$TOP/tests/agents/mock_api.py" 0.0.0.0 8443 "$T/requests.log" "$T/cert.pem" \
	"$T/key.pem" >"$T/mock.out" 2>&1 &
for _ in $(seq 100); do grep -q ready "$T/mock.out" 2>/dev/null && break; sleep 0.1; done
mkdir -p "$T/home/.codex" "$T/work"
cat >"$T/home/.codex/config.toml" <<EOF
model = "mock-model"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "https://$1:8443/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0
EOF
cd "$T/work" || exit 125
HOME=$T/home CODEX_HOME=$T/home/.codex MOCK_API_KEY=sk-test-0000 \
	SSL_CERT_FILE=$T/ca.pem CODEX_CA_CERTIFICATE=$T/ca.pem \
	timeout 60 "$AGENTMON" launch --socket "$SOCK" --agent codex -- \
	"$CODEX" exec --skip-git-repo-check "say hi" >"$T/codex.out" 2>&1
SH
run_codex() {
	: >"$T/requests.log"
	T=$T TOP=$TOP AGENTMON=$AGENTMON SOCK=$SOCK CODEX=$codex \
		"$TOP/tests/agents/netns.sh" "$T/hosts" bash "$T/run.sh" "$1"
	rc=$?
	[ "$rc" -ne 125 ] || fail "cannot set up the loopback-only namespace"
	grep -q '"path": "/v1/responses"' "$T/requests.log" 2>/dev/null ||
		fail "codex made no POST /v1/responses to the mock at $1 (exit $rc): $(tail -n 5 "$T/codex.out")"
}

start_collector --verbose   # the loader's verdicts on binaries are debug lines
# codex's scan (its line names the executable it was for): agents of other
# tests on the host (copilot's runtime.node) are adopted and scanned too
located() { grep "hooked (located EVP_AEAD_CTX_seal at 0x" "$ERR" | grep -q "(for [^ ]*/codex\["; }
WAIT_WHY="grep -i -e located -e aws-lc $ERR"

# collector A: the binary is located and hooked when it first runs (the
# loader reads the 300 MB file off the event loop, seconds), its offsets
# kept in the TLS cache ($T/tls-cache.d/cache, lib.sh), by file identity
T=$T "$TOP/tests/agents/netns.sh" "$T/hosts" \
	"$AGENTMON" launch --socket "$SOCK" --agent codex -- "$codex" --version >/dev/null 2>&1 ||
	fail "codex --version failed"
wait_for 30 "codex located" located
grep -q "^E " "$T/tls-cache.d/cache" 2>/dev/null ||
	fail "no TLS cache written: $(ls -l "$T/tls-cache.d" 2>&1)"
[ "$(stat -c %a "$T/tls-cache.d/cache")" = 600 ] || fail "the TLS cache is not 0600"
stop_collector

# collector B, with that cache: codex's first run (no warm-up) is hooked at
# its exec, unscanned, so that its first POST is seen in plaintext
start_collector --verbose
run_codex api.openai.com
wait_event 10 type=http agent=codex method=POST host=api.openai.com "path~^/v1/responses" tls=true
apid=$(field agent_pid type=http agent=codex method=POST "path~^/v1/responses") || exit 1
sentinel
expect_none type=alert agent_pid="$apid"   # (other codex runs on the host are tagged too)

# the same client pointed at an unlisted host
run_codex paste.codexmock.test
wait_event 10 type=alert rule=outbound_post agent=codex method=POST host=paste.codexmock.test \
	"path~^/v1/responses"
ppid=$(field agent_pid type=alert rule=outbound_post agent=codex host=paste.codexmock.test) || exit 1
sentinel
expect 1 type=alert agent_pid="$ppid"   # no monitor_degraded: every record had its plaintext

st=$("$AGENTMON" status --socket "$SOCK") || fail "status failed"
echo "$st" | grep -q "hooked: .*/codex (its own" || fail "status does not list codex as hooked: $st"
echo "$st" | grep -Eq "cache: *$T/tls-cache.d/cache: [1-9][0-9]* hits? " || fail "status shows no TLS cache hit: $st"
grep -q "hooked (file offsets from the TLS cache, not scanned)" "$ERR" ||
	fail "codex was not hooked from the TLS cache: $(grep -i codex "$ERR" | head -n 5)"
located && fail "collector B scanned codex again"
stop_collector
pass "aws-lc located in codex and kept in the TLS cache; the next collector hooks it unscanned: its first POST /v1/responses seen in plaintext, allowed host quiet, unlisted host outbound_post"
