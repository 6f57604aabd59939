#!/bin/bash
# An HTTPS POST of more than the upload threshold, by real clients (node's
# https module, python's http.client) through readable TLS to an unlisted
# host, raises exactly one alert: outbound_post for the request, and no
# unexpected_upload for the same bytes seen on the wire before their
# plaintext nor for a chunked body captured in part (issue 10, item 6).
# Proved after a sentinel event.  An unexpected_upload's bytes are the
# number its summary tells.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=paste.example 2>/dev/null || fail "cannot make a certificate"
bg "$PY" "$HELPERS/sink_server.py" --port-file "$T/port.tls" --cert "$T/cert.pem" --key "$T/key.pem"
bg "$PY" "$HELPERS/sink_server.py" --port-file "$T/port.plain"
wait_file "$T/port.tls"
wait_file "$T/port.plain"
S=$(cat "$T/port.tls")
P=$(cat "$T/port.plain")
printf '127.0.0.1 localhost\n127.0.0.1 paste.example\n' >"$T/hosts"

start_collector
# bodies more than the default 64 KiB threshold.  node: a chunked body
# written in 16 KiB pieces (each TLS record "4000\r\n" + data + "\r\n",
# captured in part), then one with a Content-Length on a new connection.
NODE=$(command -v node || true)
if [ -n "$NODE" ]; then
	cat >"$T/post.js" <<'JS'
const https = require('https');
function post(i, chunked, cb) {
  const body = Buffer.alloc(100000, 'z');
  const h = chunked ? {} : { 'Content-Length': body.length };
  const req = https.request({ host: 'paste.example', port: +process.argv[2], method: 'POST',
	path: '/upload' + i, rejectUnauthorized: false, servername: 'paste.example', headers: h });
  req.on('error', () => {});
  req.on('finish', () => setTimeout(() => { req.destroy(); cb(); }, 200));
  req.flushHeaders();
  for (let o = 0; o < body.length; o += 16384) req.write(body.subarray(o, o + 16384));
  req.end();
}
post(1, true, () => post(2, false, () => process.exit(0)));
JS
	launch node-post unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$NODE" "$T/post.js" "$S" || fail "node client failed"
	wait_event 10 type=alert rule=outbound_post agent=node-post method=POST host=paste.example path=/upload1
else
	skip_part "no node: only python's client runs"
fi
launch py-post unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$PY" -c '
import http.client, ssl, sys
ctx = ssl._create_unverified_context()
c = http.client.HTTPSConnection("paste.example", int(sys.argv[1]), context=ctx, timeout=5)
c.request("POST", "/upload", body=b"z" * 200000, headers={"Content-Type": "text/plain"})
c.close()' "$S" || fail "python client failed"
wait_event 10 type=alert rule=outbound_post agent=py-post method=POST host=paste.example path=/upload
# bytes no request explains (not HTTP), in 10 sends: unexpected_upload,
# whose bytes are its summary's count, not the last send's
launch raw "$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(10):
    s.sendall(b"\x00" * 10000); time.sleep(0.02)
s.close()' "$P" || fail "raw client failed"
wait_event 10 type=alert rule=unexpected_upload agent=raw
b=$(field bytes type=alert rule=unexpected_upload agent=raw)
sum=$(field summary type=alert rule=unexpected_upload agent=raw)
case $sum in *" sent $b bytes to "*) ;; *) fail "unexpected_upload: bytes $b, summary: $sum" ;; esac
sentinel
# node's second POST is the same rule, host and agent: folded into the first
[ -n "$NODE" ] && expect 1 type=alert agent=node-post
expect 1 type=alert agent=py-post
expect_none type=alert rule=unexpected_upload agent=node-post
expect_none type=alert rule=unexpected_upload agent=py-post
stop_collector
pass "a >64 KiB HTTPS POST (node chunked and sized, python) to an unlisted host raises one outbound_post and no unexpected_upload; an unexpected_upload's bytes match its summary"
