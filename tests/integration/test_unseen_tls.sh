#!/bin/bash
# unseen_tls: an agent posting 10-30 KB over TLS agentmon cannot read (a
# hand-written TLS stack, as Go or rustls would be; Mozilla NSS) to an
# unlisted host raises unseen_tls at once, naming the SNI host, well under
# unexpected_upload's 64 KiB; the same bytes to an allowed host raise
# nothing, nor does a hooked client (python ssl) posting to an allowed host;
# status lists the binaries with their TLS verdict.  A hooked binary whose
# application data shows no plaintext raises monitor_degraded once and is
# judged as unseen from then on.
. "$(dirname "$0")/lib.sh"
EV_HELPERS=$TOP/tests/evasion/helpers

command -v openssl >/dev/null || skip "needs openssl"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=paste.example.net 2>/dev/null || fail "cannot make a certificate"
bg "$PY" "$HELPERS/listener.py" "$T/port" >/dev/null 2>&1
bg "$PY" "$HELPERS/https_server.py" --port-file "$T/tport" --log "$T/tls.log" \
	--cert "$T/cert.pem" --key "$T/key.pem" >/dev/null 2>&1
wait_file "$T/port"
wait_file "$T/tport"
port=$(cut -d" " -f1 "$T/port")
tport=$(cat "$T/tport")
cat >"$T/policy.yaml" <<'Y'
allow:
  - host: allowed.example
Y
start_collector --config "$T/policy.yaml"

# ---- a hand-written TLS stack: 12 KB to an unlisted host, 30 KB to an allowed one ----
launch rawbot "$PY" "$EV_HELPERS/raw_tls.py" 127.0.0.1 "$port" paste.example.net 12000 ||
	fail "raw TLS client failed"
wait_event 5 type=alert rule=unseen_tls agent=rawbot host=paste.example.net severity=high
st=$("$AGENTMON" status --socket "$SOCK") || fail "status failed"
echo "$st" | grep -q "unseen: .*python" || fail "status does not list python as unseen: $st"
launch rawok "$PY" "$EV_HELPERS/raw_tls.py" 127.0.0.1 "$port" allowed.example 30000 ||
	fail "raw TLS client (allowed host) failed"

# ---- Mozilla NSS (libcurl-nss): 20 KB POST ----
nss="NSS skipped"
nss_post=$T/nss_post
cc -O1 -o "$nss_post" "$EV_HELPERS/nss_post.c" -ldl || fail "cannot build nss_post.c"
"$nss_post" x 0 x:0:127.0.0.1 >/dev/null 2>&1
if [ $? -eq 3 ]; then
	skip_part "no libcurl-nss.so.4 (package libcurl3-nss): the POST through NSS is not tested"
else
	launch nssbot "$nss_post" "https://paste.example.net:$tport/up" 20000 \
		"paste.example.net:$tport:127.0.0.1" || fail "POST through NSS failed"
	wait_event 5 type=alert rule=unseen_tls agent=nssbot host=paste.example.net
	nss="NSS 20 KB: unseen_tls"
fi
# ---- python's ssl (libssl, hooked): 20 KB POST to the allowed host ----
launch pyok "$PY" - "$tport" <<'PYEOF' || fail "python ssl POST failed"
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="allowed.example")
body = b"x" * 20000
s.sendall(b"POST /up HTTP/1.1\r\nHost: allowed.example\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
s.recv(4096)
s.close()
PYEOF

sentinel
grep -q '"path": "/up".*"bytes": 20000' "$T/tls.log" || fail "the server did not get python's POST"
wait_event 5 type=http agent=pyok method=POST host=allowed.example
expect 1 type=alert agent=rawbot
expect 0 type=alert agent=rawok
expect 0 type=alert agent=pyok

# ---- a binary whose TLS library is hooked (python with libssl loaded) but
# whose records are written by hand: no plaintext for 12 KB of application
# data -> monitor_degraded once it ends, naming the host; from then on that
# binary is unseen: the next such upload raises unseen_tls at once ----
blind_py='import ssl, runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")'
launch blindbot "$PY" -c "$blind_py" "$EV_HELPERS/raw_tls.py" 127.0.0.1 "$port" allowed.example 12000 ||
	fail "hand-written TLS under a hooked libssl failed"
wait_event 5 type=alert rule=monitor_degraded agent=blindbot host=allowed.example
launch blindbot2 "$PY" -c "$blind_py" "$EV_HELPERS/raw_tls.py" 127.0.0.1 "$port" paste2.example.net 12000 ||
	fail "hand-written TLS under a hooked libssl failed (2)"
wait_event 5 type=alert rule=unseen_tls agent=blindbot2 host=paste2.example.net
sentinel
expect 1 type=alert rule=monitor_degraded agent=blindbot
expect 0 type=alert rule=monitor_degraded agent=blindbot2
stop_collector
pass "hand-written TLS 12 KB to an unlisted host: unseen_tls naming the SNI host; 30 KB to an allowed host and python ssl to it: nothing; $nss; status lists the verdicts; hooked but blind: monitor_degraded, then unseen_tls"
