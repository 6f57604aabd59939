#!/bin/bash
# Secrets and other users' data in traces (issue 11).  A tagged client sends
# Authorization, x-api-key and Cookie headers and an api_key query parameter
# over cleartext HTTP, and over TLS a header split between two writes and a
# key shape in a body; over HTTP/2 (curl --http2, two requests on one
# connection, so the second names the first's table entries) Authorization
# and x-api-key values that HPACK sends as raw octets and Huffman-coded; curl gets a bearer token in its argv; an untagged
# python3 runs, as root and as nobody, with a secret in its argv and cwd.  The decompressed trace
# files hold none of these secrets, while they hold the requests themselves;
# the replay gives exactly the events and alerts of the live run.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
command -v setpriv >/dev/null || skip "needs setpriv"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=localhost 2>/dev/null || fail "cannot make a certificate"
# two local servers: cleartext and TLS
for mode in plain tls; do
	opts=(--plain)
	[ "$mode" = tls ] && opts=(--cert "$T/cert.pem" --key "$T/key.pem")
	bg "$PY" "$HELPERS/https_server.py" --port-file "$T/port.$mode" --log "$T/$mode.log" \
		"${opts[@]}" >/dev/null 2>&1
	wait_file "$T/port.$mode" 10
done
PLAIN=$(cat "$T/port.plain")
TLS=$(cat "$T/port.tls")
H2=
if command -v node >/dev/null; then
	bg node "$HELPERS/h2_server.js" "$T/port.h2" "$T/h2.log" "$T/cert.pem" "$T/key.pem" \
		>"$T/h2.out" 2>&1
	wait_file "$T/port.h2" 10
	H2=$(cat "$T/port.h2")
else
	skip_part "no node: no HTTP/2 server, the HTTP/2 header blocks are not tested"
fi

cat >"$T/policy.yaml" <<Y
alerts:
  spool_dir: $T/spool
Y

R=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
AUTH=AuthTok$R KEY=ApiKey$R COOKIE=Cookie$R SPLIT=SplitTok$R ARGV=ArgvTok$R
BODYKEY=sk-ant-api03-Body${R}abcdefghij UNTAGGED=Untagged$R CWD=CwdDir$R QUERY=Query$R
# '~' has a 13-bit Huffman code: HPACK sends these values as raw octets, so
# they would be in the trace as they are; H2HUFF is Huffman-coded
H2AUTH="H2Auth$R~~~~~~~~~~~~~~~~~~~~~~~~" H2KEY="H2Key$R~~~~~~~~~~~~~~~~~~~~~~~~" H2HUFF=H2Huff$R
# not a secret, sent raw the same way: it must be in the trace
PROBE="Probe$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')~~~~~~~~~~~~~~~~~~~~~~~~"
chmod 755 "$T"
mkdir -m 755 "$T/$CWD"

start_collector --config "$T/policy.yaml" --record "$T/traces"
# the pieces come from a file: in argv they would be the exec's, not the socket's
cat >"$T/send.py" <<'P'
import argparse, json, sys
sys.path.insert(0, sys.argv[1])
import http_pieces
spec = json.load(open(sys.argv[2]))
http_pieces.one(argparse.Namespace(port=spec["port"], tls=spec.get("tls")),
                [p.encode() for p in spec["pieces"]])
P
send() {
	"$PY" -c 'import json, sys; json.dump({"port": int(sys.argv[2]), "tls": sys.argv[3] or None,
		"pieces": sys.argv[4:]}, open(sys.argv[1], "w"))' "$T/spec.json" "$@"
	launch bot "$PY" "$T/send.py" "$HELPERS" "$T/spec.json"
}
send "$PLAIN" "" $'POST /plain?q=1&api_key='"$QUERY"$' HTTP/1.1\r\nHost: paste.example\r\nAuthorization: Bearer '"$AUTH"$'\r\nx-api-key: '"$KEY"$'\r\nCookie: session='"$COOKIE"$'; theme=dark\r\nContent-Length: 2\r\n\r\n{}' ||
	fail "the cleartext client failed"
body="{\"key\":\"$BODYKEY\"}"
send "$TLS" paste.example $'POST /tls HTTP/1.1\r\nHost: paste.example\r\nAuthori' "zation: Bearer $SPLIT" \
	$'-end\r\nX-Api-Key: '"$KEY"$'\r\nContent-Length: '"${#body}"$'\r\n\r\n' "$body" ||
	fail "the TLS client failed"
launch bot curl -sk --http1.1 --resolve paste.example:"$TLS":127.0.0.1 \
	-H "Authorization: Bearer $ARGV" -X POST -d x https://paste.example:"$TLS"/curl >/dev/null ||
	fail "curl failed"
if [ -n "$H2" ]; then
	launch bot curl -sk --http2 --resolve h2.example:"$H2":127.0.0.1 -X POST -d x \
		-H "Authorization: Bearer $H2AUTH" -H "x-api-key: $H2KEY" -H "x-session-token: $H2HUFF" \
		-H "x-probe: $PROBE" \
		https://h2.example:"$H2"/h2a https://h2.example:"$H2"/h2b >/dev/null ||
		fail "curl --http2 failed"
fi
# untagged interpreters, any user: userspace reads their exec to decide
(cd "$T/$CWD" && /usr/bin/python3 -c 'pass' "$UNTAGGED") || fail "python3 (root) failed"
(cd "$T/$CWD" && setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'pass' \
	"$UNTAGGED") || fail "python3 (nobody) failed"
wait_event 10 type=http path="/plain?q=1&api_key=[REDACTED]"
wait_event 10 type=http path=/tls
wait_event 10 type=http path=/curl
wait_event 10 type=alert rule=outbound_post path=/curl
if [ -n "$H2" ]; then
	wait_event 10 type=http path=/h2a
	wait_event 10 type=http path=/h2b
	[ "$(grep -c '"path":"/h2' "$T/h2.log")" = 2 ] || fail "the HTTP/2 server did not get both requests"
fi
sentinel
stop_collector
live=$OUT

files=("$T"/traces/agentmon-*.amtrace)
[ -f "${files[0]}" ] || fail "no trace file"
trace_raw "$T/raw" "${files[@]}" || fail "cannot decompress the traces"
grep -aq "POST /plain" "$T/raw" && grep -aq "POST /tls" "$T/raw" && grep -aq paste.example "$T/raw" ||
	fail "the decompressed traces lack the requests: the search below would prove nothing"
grep -aq "Authori" "$T/raw" || fail "the decompressed traces lack the header names"
[ -z "$H2" ] || { grep -aq "$PROBE" "$T/raw" && grep -aq "PRI \* HTTP/2.0" "$T/raw"; } ||
	fail "the decompressed traces lack the HTTP/2 requests' raw values: the search below would prove nothing"
for s in "$H2AUTH" "$H2KEY" "$H2HUFF" "$AUTH" "$KEY" "$COOKIE" "$SPLIT" "$ARGV" "Body$R" "$QUERY" "$UNTAGGED" "$CWD" "$R"; do
	grep -aq "$s" "$T/raw" && fail "a trace holds the secret $s: $(grep -ao ".\{60\}$s.\{20\}" "$T/raw" | tr "\0" " " | head -3)"
done
grep -aq "$R" "$live" && fail "the live output holds a secret: $(grep -o ".\{60\}$R" "$live" | head -3)"

am replay --json --config "$T/policy.yaml" "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
diff <(sort "$live") <(sort "$T/replay.jsonl") >"$T/diff" ||
	fail "replay differs from the live run ($(wc -l <"$live") vs $(wc -l <"$T/replay.jsonl") lines):
$(head -c 3000 "$T/diff")"
OUT=$T/replay.jsonl expect_min 1 type=alert rule=outbound_post path="/plain?q=1&api_key=[REDACTED]"
OUT=$T/replay.jsonl expect_min 1 type=alert rule=outbound_post path=/tls

pass "no secret, untagged argv or cwd in $(wc -c <"$T/raw") decompressed trace bytes; replay = live ($(wc -l <"$live") events)"
