#!/bin/bash
# A tagged agent speaks TLS through no library agentmon hooks (here: a
# ClientHello written by hand, as Go or rustls would): the collector says so
# loudly, once, and still names the host from SNI; a POST-sized upload to
# that host raises unseen_tls (in place of unexpected_upload).  Python's own TLS (libssl, loaded
# late) is hooked and raises no such warning.
. "$(dirname "$0")/lib.sh"

bg "$PY" "$HELPERS/listener.py" "$T/port" >/dev/null 2>&1
wait_file "$T/port"
port=$(cut -d" " -f1 "$T/port")
cat >"$T/policy.yaml" <<'Y'
alerts:
  upload_threshold: 16k
Y
start_collector --config "$T/policy.yaml"
launch gobot "$PY" - "$port" <<'PYEOF' || fail "raw TLS client failed"
import socket, struct, sys
host = b"paste.example.net"
sni = struct.pack("!HHHBH", 0, len(host) + 5, len(host) + 3, 0, len(host)) + host
body = b"\x03\x03" + b"\x07" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
body += struct.pack("!H", len(sni)) + sni
hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
hello = b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(hello)
for _ in range(8):   # 64 KiB of "application data" records
    s.sendall(b"\x17\x03\x03\x20\x00" + b"\xaa" * 8192)
import time; time.sleep(0.5)   # as a client waiting for its answer
s.close()
PYEOF
wait_event 5 type=alert rule=unseen_tls agent=gobot host=paste.example.net
for _ in $(seq 50); do grep -q "does not recognise" "$ERR" && break; sleep 0.1; done
[ "$(grep -c "does not recognise" "$ERR")" -eq 1 ] ||
	fail "want one loud line about the unrecognised TLS library, got: $(grep -c "does not recognise" "$ERR")"
# python's real TLS goes through libssl: no warning for it
n_before=$(grep -c "does not recognise" "$ERR")
launch pybot "$PY" -c "
import socket, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    ctx.wrap_socket(socket.create_connection(('127.0.0.1', $port)), server_hostname='x.example')
except Exception:
    pass" || true
sentinel
[ "$(grep -c "does not recognise" "$ERR")" -eq "$n_before" ] || fail "python's libssl TLS was reported as unrecognised"
stop_collector
pass "unhooked TLS reported once, host from SNI, unseen_tls raised; libssl not reported"
