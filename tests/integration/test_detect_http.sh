#!/bin/bash
# Outbound posts by real clients, run as a tagged agent against local
# servers (TLS with a self-signed certificate, HTTP/1.1 and HTTP/2, and
# cleartext): every write-method request to an unlisted host alerts with the
# right host and method; GETs to a read-only host, requests to an allowed
# host and everything an untagged process does raise nothing; a webhook
# receiver gets every alert once, signed.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
NAMES="forum.corp.example readonly.example allowed.example"
local_names $NAMES

# start_server KIND: a local server; its port in $T/port.KIND
start_server() {
	local pf=$T/port.$1
	case $1 in
	h1) bg "$PY" "$HELPERS/https_server.py" --port-file "$pf" --log "$T/h1.log" \
		--cert "$T/cert.pem" --key "$T/key.pem" ;;
	plain) bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$pf" --log "$T/plain.log" ;;
	h2) bg node "$HELPERS/h2_server.js" "$pf" "$T/h2.log" "$T/cert.pem" "$T/key.pem" ;;
	esac >"$T/server.$1.out" 2>&1
	wait_file "$pf" 10
}
start_server h1
start_server plain
H1=$(cat "$T/port.h1")
PLAIN=$(cat "$T/port.plain")
H2=
if command -v node >/dev/null; then
	start_server h2
	H2=$(cat "$T/port.h2")
else
	skip_part "no node: the HTTP/2 requests (curl --http2 against node's server, node's own POST) are not tested"
fi

hook_port=$(free_port)
printf 'k3y\n' >"$T/secret" && chmod 600 "$T/secret"
bg "$PY" "$HELPERS/webhook_receiver.py" --port "$hook_port" --secret-file "$T/secret" \
	--log "$T/hook.log" >/dev/null 2>&1
cat >"$T/policy.yaml" <<Y
allow:
  - host: allowed.example
  - host: readonly.example
    methods: [GET, HEAD]
alerts:
  spool_dir: $T/spool
  webhooks:
    - url: http://127.0.0.1:$hook_port/agentmon
      secret_file: $T/secret
Y
start_collector --config "$T/policy.yaml"

CURL=(curl -sS -o /dev/null --max-time 10 --cacert "$T/cert.pem")
agent() { local name=$1; shift; in_ns "$AGENTMON" launch --socket "$SOCK" --agent "$name" -- "$@"; }

agent curl1 "${CURL[@]}" -d 'answer=42' "https://forum.corp.example:$H1/api/posts" || fail "curl https POST failed"
agent curl-get "${CURL[@]}" "https://readonly.example:$H1/latest" || fail "curl GET failed"
agent curl-ok "${CURL[@]}" -X PUT -d x "https://allowed.example:$H1/v1/thing" || fail "curl PUT to allowed failed"
agent curl-plain "${CURL[@]}" -d 'cleartext' "http://forum.corp.example:$PLAIN/api/plain" || fail "cleartext POST failed"
agent py "$PY" -c "
import http.client, ssl
ctx = ssl.create_default_context(cafile='$T/cert.pem')
c = http.client.HTTPSConnection('forum.corp.example', $H1, context=ctx)
c.request('PATCH', '/api/py', body=b'{\"a\":1}', headers={'Authorization': 'Bearer sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm9Nb8Vc7'})
c.getresponse().read()" || fail "python PATCH failed"
if [ -n "$H2" ]; then
	agent curl-h2 "${CURL[@]}" --http2 -X DELETE "https://forum.corp.example:$H2/api/h2" || fail "curl h2 DELETE failed"
	agent node-post node -e "
const https = require('https');
const r = https.request({host: 'forum.corp.example', port: $H2, path: '/api/node', method: 'POST',
  ca: require('fs').readFileSync('$T/cert.pem')}, (res) => { res.resume(); });
r.on('error', (e) => { console.error(e); process.exit(1); });
r.end('from node');" || fail "node POST failed"
fi
# untagged: nothing at all
in_ns "${CURL[@]}" -d 'untagged' "https://forum.corp.example:$H1/api/untagged" || fail "untagged curl failed"

alert_for() { # AGENT METHOD PATH
	wait_event 5 type=alert rule=outbound_post agent="$1" method="$2" host=forum.corp.example path~"^$3"
}
alert_for curl1 POST /api/posts
alert_for curl-plain POST /api/plain
alert_for py PATCH /api/py
wait_event 5 type=http agent=curl1 method=POST tls=true version=1.1 status=200
wait_event 5 type=http agent=py method=PATCH status=200
wait_event 5 type=http agent=curl-plain tls=false
wait_event 5 type=http agent=curl-get method=GET host=readonly.example
wait_event 5 type=http agent=curl-ok method=PUT host=allowed.example
if [ -n "$H2" ]; then
	alert_for curl-h2 DELETE /api/h2
	wait_event 5 type=http agent=curl-h2 version=2 status=200
	alert_for node-post POST /api/node
fi
# every name is on 127.0.0.1 and nothing is resolved by DNS: each TLS
# connect carries the server name its own ClientHello asked for
wait_event 5 type=connect agent=curl1 host=forum.corp.example dport="$H1"
wait_event 5 type=connect agent=curl-get host=readonly.example dport="$H1"
wait_event 5 type=connect agent=curl-ok host=allowed.example dport="$H1"
wait_event 5 type=connect agent=py host=forum.corp.example dport="$H1"
# alerts are raised when a request is judged: once the sentinel is out, one
# that is not there never comes
sentinel
expect_none type=alert agent=curl-get
expect_none type=alert agent=curl-ok
expect_none type=alert path~untagged

n_alerts=$(jq count type=alert)
wait_deliveries "$T/hook.log" "$n_alerts"
n=$(webhook_deliveries "$T/hook.log") || fail "webhook deliveries are wrong"
[ "$n" -eq "$n_alerts" ] || fail "got $n deliveries, want $n_alerts"
stop_collector
# every http event held for its response is out now
expect_none path~untagged
expect_none type=http agent!~'^(curl1|curl-get|curl-ok|curl-plain|py|curl-h2|node-post)$'
# the secret in the Authorization header never appears
! grep -q "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm9Nb8Vc7" "$OUT" || fail "a secret reached the output: $(grep -o ".\{150\}sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm9Nb8Vc7.\{40\}" "$OUT" | head -n 2)"
pass "$n_alerts alerts (curl h1/h2, python, node, cleartext), none for GET/allowed/untagged; webhook got each once, signed; connects named by their own SNI"
