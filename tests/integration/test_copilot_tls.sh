#!/bin/bash
# Copilot's own HTTPS.  The npm package runs a node SEA whose HTTP client is
# a shared object extracted on first run and dlopened later, runtime.node
# (Rust: reqwest over native-tls on a static, stripped OpenSSL 3; also
# rustls on aws-lc-rs).  Shared objects a tagged process maps are looked at
# on its ClientHello: each executable mapping other than the main binary is
# opened through /proc/PID/map_files (the inode mapped), read by pread, and
# the TLS libraries it carries are located (user/tls_locate.c) and hooked,
# once per inode.
#   1. a tagged python maps the real runtime.node executable (extracted by
#      `copilot --version`) and makes a TLS connection: the verdict line
#      names the object, EVP_AEAD_CTX_seal (aws-lc) and ssl_write_internal
#      (OpenSSL 3) located and hooked;
#   2. real Copilot (`copilot -p`, BYOK provider settings, same HOME: the
#      same runtime.node) runs tagged in a loopback-only network namespace
#      against the mock OpenAI API over HTTPS (tests/agents/mock_api.py, a
#      test CA), under a second collector that has judged no file yet (its
#      per-file cache is empty: a real first run).  runtime.node is scanned
#      when copilot opens it (before it maps it, off the event loop), so it
#      is hooked before the first request: its POST /v1/chat/completions to
#      api.openai.com is an http event decoded from the plaintext, and it
#      raises nothing, no monitor_degraded either.
#
# Copilot: COPILOT_BIN, else the real-agent cache of tests/agents
# (AGENTS_CACHE, default /var/cache/agentmon-test/agents).  Skips when it is
# not installed.
. "$(dirname "$0")/lib.sh"

cache=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
copilot=${COPILOT_BIN:-$cache/copilot/node_modules/.bin/copilot}
[ -x "$copilot" ] || skip "copilot not installed ($copilot; tests/agents/install.sh)"
command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
command -v openssl >/dev/null || skip "needs openssl"
unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"

ca_names api.openai.com objects.example
{ cat /etc/hosts; echo "127.0.0.1 api.openai.com"; } >"$T/hosts"
mkdir -p "$T/home" "$T/work"
HOME=$T/home timeout 60 "$TOP/tests/agents/netns.sh" "$T/hosts" "$copilot" --version \
	>"$T/copilot.out" 2>&1 || fail "copilot --version failed: $(tail -n 3 "$T/copilot.out")"
obj=$(find "$T/home/.cache/copilot" -name runtime.node -type f | head -n 1)
[ -n "$obj" ] || fail "copilot --version extracted no runtime.node"

bg "$PY" "$HELPERS/https_server.py" --port-file "$T/port" --log "$T/tls.log" \
	--cert "$T/cert.pem" --key "$T/key.pem"
wait_file "$T/port"
start_collector --verbose   # the loader's verdicts on objects are debug lines

# 1. map the object executable (as dlopen does, without running it), make a
# TLS connection, then stay (the collector reads the process's maps when it
# judges the ClientHello)
cat >"$T/mapper.py" <<'PY'
import mmap, os, socket, ssl, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_EXEC)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2]))),
                    server_hostname="objects.example")
s.sendall(b"GET /obj HTTP/1.1\r\nHost: objects.example\r\nConnection: close\r\n\r\n")
s.recv(4096)
s.close()
time.sleep(3)
PY
launch objtest "$PY" "$T/mapper.py" "$obj" "$(cat "$T/port")" || fail "the mapper failed"
wait_event 10 type=http agent=objtest method=GET path=/obj
located() {
	grep "runtime.node: OpenSSL/BoringSSL linked in, hooked (located EVP_AEAD_CTX_seal at 0x" \
		"$ERR" | grep -q "(located ssl_write_internal at 0x"
}
WAIT_WHY="grep -i -e runtime.node -e aws-lc -e map_files $ERR"
wait_for 20 "runtime.node located" located

stop_collector
# 2. Copilot itself, first run for a fresh collector: its runtime.node is
# scanned at its open and hooked before the first request (no TLS cache:
# the first collector's would spare the scan, test_codex_tls)
start_collector --verbose --tls-cache none
cat >"$T/run.sh" <<'SH'
set -u
python3 "$TOP/tests/agents/mock_api.py" 127.0.0.1 8443 "$T/requests.log" "$T/cert.pem" \
	"$T/key.pem" >"$T/mock.out" 2>&1 &
for _ in $(seq 100); do grep -q ready "$T/mock.out" 2>/dev/null && break; sleep 0.1; done
cd "$T/work" || exit 125
HOME=$T/home COPILOT_OFFLINE=1 COPILOT_PROVIDER_TYPE=openai \
	COPILOT_PROVIDER_BASE_URL=https://api.openai.com:8443/v1 \
	COPILOT_PROVIDER_API_KEY=sk-test-0000 COPILOT_PROVIDER_MODEL_ID=mock-model \
	NODE_EXTRA_CA_CERTS=$T/ca.pem SSL_CERT_FILE=$T/ca.pem \
	timeout 150 "$AGENTMON" launch --socket "$SOCK" --agent copilot -- \
	"$COPILOT" -p "say hi" >"$T/copilot.out" 2>&1
SH
T=$T TOP=$TOP AGENTMON=$AGENTMON SOCK=$SOCK COPILOT=$copilot \
	"$TOP/tests/agents/netns.sh" "$T/hosts" bash "$T/run.sh"
rc=$?
[ "$rc" -ne 125 ] || fail "cannot set up the loopback-only namespace"
grep -q '"path": "/v1/chat/completions"' "$T/requests.log" 2>/dev/null ||
	fail "copilot made no POST /v1/chat/completions to the mock (exit $rc): $(tail -n 5 "$T/copilot.out")"
wait_event 10 type=http agent=copilot method=POST host=api.openai.com \
	"path~^/v1/chat/completions" tls=true
apid=$(field agent_pid type=http agent=copilot method=POST "path~^/v1/chat/completions") || exit 1
sentinel
expect_none type=alert agent_pid="$apid"   # (other copilots on the host are tagged too)
grep -q "runtime.node: OpenSSL/BoringSSL linked in, hooked (located .*; scanned in [0-9]* ms)" "$ERR" ||
	fail "runtime.node was not scanned and hooked by the scanner: $(grep runtime.node "$ERR")"
stop_collector
pass "runtime.node mapped: aws-lc and OpenSSL 3 located and hooked; copilot -p's first run (a fresh collector): POST /v1/chat/completions seen in plaintext, nothing raised"
