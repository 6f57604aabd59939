#!/bin/bash
# Shared objects a tagged process maps after it starts (Copilot's
# runtime.node: Rust, rustls on aws-lc-rs, extracted to
# ~/.cache/copilot/pkg/... on first run and dlopened by node) are looked at
# on the process's ClientHello: each executable mapping other than the main
# binary is opened through /proc/PID/map_files (the inode mapped), read by
# pread, and one that carries its own aws-lc or BoringSSL is located
# (user/tls_locate.c) and hooked, once per inode.  Here a tagged python maps
# the real runtime.node executable (extracted by `copilot --version` in a
# loopback-only namespace) and makes one TLS connection: the collector's
# verdict line names the object and where EVP_AEAD_CTX_seal (aws-lc) and
# ssl_write_internal (its static OpenSSL 3, which carries Copilot's HTTP)
# were located.
#
# Copilot: COPILOT_BIN, else the real-agent cache of tests/agents
# (AGENTS_CACHE, default /var/cache/agentmon-test/agents); RUNTIME_NODE: an
# already extracted runtime.node.  Skips when neither is there.
. "$(dirname "$0")/lib.sh"

cache=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
copilot=${COPILOT_BIN:-$cache/copilot/node_modules/.bin/copilot}
obj=${RUNTIME_NODE:-}
if [ -z "$obj" ]; then
	[ -x "$copilot" ] || skip "copilot not installed ($copilot; tests/agents/install.sh)"
	command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
	unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"
	cp /etc/hosts "$T/hosts"
	mkdir -p "$T/home"
	HOME=$T/home timeout 60 "$TOP/tests/agents/netns.sh" "$T/hosts" "$copilot" --version \
		>"$T/copilot.out" 2>&1 || fail "copilot --version failed: $(tail -n 3 "$T/copilot.out")"
	obj=$(find "$T/home/.cache/copilot" -name runtime.node -type f | head -n 1)
	[ -n "$obj" ] || fail "copilot --version extracted no runtime.node"
fi
[ -f "$obj" ] || skip "$obj: no such file"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=objects.example 2>/dev/null || fail "cannot make a certificate"
bg "$PY" "$HELPERS/https_server.py" --port-file "$T/port" --log "$T/tls.log" \
	--cert "$T/cert.pem" --key "$T/key.pem"
wait_file "$T/port"
start_collector --verbose   # the loader's verdicts on objects are debug lines

# map the object executable (as dlopen does, without running it), make a
# TLS connection N times, then stay S seconds (the collector reads the
# process's maps when it judges the ClientHello)
cat >"$T/mapper.py" <<'PY'
import mmap, os, socket, ssl, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_EXEC)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(int(sys.argv[3])):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2]))),
                        server_hostname="objects.example")
    s.sendall(b"GET /obj HTTP/1.1\r\nHost: objects.example\r\nConnection: close\r\n\r\n")
    s.recv(4096)
    s.close()
time.sleep(float(sys.argv[4]))
PY
launch objtest "$PY" "$T/mapper.py" "$obj" "$(cat "$T/port")" 2 3 || fail "the mapper failed"
wait_event 10 type=http agent=objtest method=GET path=/obj
located() { grep "$(basename "$obj"): OpenSSL/BoringSSL linked in, hooked (located EVP_AEAD_CTX_seal at 0x" "$ERR" | grep -q "(located ssl_write_internal at 0x"; }
WAIT_WHY="grep -i -e runtime.node -e aws-lc -e map_files $ERR"
wait_for 20 "runtime.node located" located
sentinel
stop_collector
n=$(grep -c "located EVP_AEAD_CTX_seal" "$ERR")
[ "$n" -ge 1 ] || fail "no located line"
pass "a mapped shared object (runtime.node): aws-lc and OpenSSL 3 located and hooked at its process's ClientHello"
