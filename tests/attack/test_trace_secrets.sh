#!/bin/bash
# Secrets and other users' data in traces (issue 11).  A tagged client sends
# Authorization, x-api-key and Cookie headers and an api_key query parameter
# over cleartext HTTP, and over TLS a header split between two writes and a
# key shape in a body; over HTTP/2 (curl --http2, two requests on one
# connection, so the second names the first's table entries) Authorization
# and x-api-key values that HPACK sends as raw octets and Huffman-coded, and an
# access_token query parameter in :path; HTTP/2 frames whose preface the
# collector never saw (a client that starts with SETTINGS, a raw x-api-key
# value split between two writes); a form body (password=, client_secret=),
# a JSON body ("password", "api_key") and a JWT over TLS; curl gets a bearer token in its argv; an untagged
# python3 runs, as root and as nobody, with a secret in its argv and cwd.  The decompressed trace
# files hold none of these secrets, while they hold the requests themselves;
# the live output neither; the replay gives exactly the events and alerts of
# the live run.
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
H2QUERY="H2Query$R~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~" NOPRE="NoPreface$R~~~~~~~~" FORMPW=FormPw$R FORMCS=FormCs$R JSONPW=JsonPw$R
JSONKEY=JsonKey$R JWT="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ$R.c2lnJwt$R"
# not a secret, sent raw the same way: it must be in the trace
PROBE="Probe$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')~~~~~~~~~~~~~~~~~~~~~~~~"
PROBE2="NoPreProbe$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')~~~~"
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
# HTTP/2 frames with no preface before them, the second write starting inside the header
# block, the x-api-key literal's raw value whole in it: what a scrubber that missed the
# preface (a lost record, recording begun mid-connection) sees
cat >"$T/h2raw.py" <<'P'
import argparse, sys
sys.path.insert(0, sys.argv[1])
import http_pieces
port, secret, probe = [l.strip() for l in open(sys.argv[2])]
port, secret, probe = int(port), secret.encode(), probe.encode()
def frame(t, f, sid, p):
    return len(p).to_bytes(3, "big") + bytes([t, f]) + sid.to_bytes(4, "big") + p
def lit(n, v):  # literal without indexing, new name, raw strings
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v
filler = b"filler~~~~~~~~~~~~~~~~"
blk = b"\x83\x84\x87" + lit(b"x-probe", probe) + lit(b"x-filler", filler) + lit(b"x-api-key", secret)
wire = frame(4, 0, 0, b"") + frame(1, 0x05, 1, blk)
cut = wire.index(filler) + 8
http_pieces.one(argparse.Namespace(port=port, tls="h2raw.example"), [wire[:cut], wire[cut:]])
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
form="user=bob&password=$FORMPW&client_secret=$FORMCS&x=1"
send "$TLS" paste.example $'POST /form HTTP/1.1\r\nHost: paste.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: '"${#form}"$'\r\n\r\n'"$form" ||
	fail "the form client failed"
json="{\"user\":\"bob\",\"password\":\"$JSONPW\",\"api_key\": \"$JSONKEY\",\"id\":\"$JWT\"}"
send "$TLS" paste.example $'POST /json HTTP/1.1\r\nHost: paste.example\r\nContent-Type: application/json\r\nContent-Length: '"${#json}"$'\r\n\r\n'"$json" ||
	fail "the JSON client failed"
printf '%s\n' "$TLS" "$NOPRE" "$PROBE2" >"$T/h2raw.in"
launch bot "$PY" "$T/h2raw.py" "$HELPERS" "$T/h2raw.in" || fail "the preface-less HTTP/2 client failed"
if [ -n "$H2" ]; then
	launch bot curl -sk --http2 --resolve h2.example:"$H2":127.0.0.1 -X POST -d x \
		-H "Authorization: Bearer $H2AUTH" -H "x-api-key: $H2KEY" -H "x-session-token: $H2HUFF" \
		-H "x-probe: $PROBE" \
		https://h2.example:"$H2"/h2a "https://h2.example:$H2/h2b?access_token=$H2QUERY&n=1" >/dev/null ||
		fail "curl --http2 failed"
fi
# untagged interpreters, any user: userspace reads their exec to decide
(cd "$T/$CWD" && /usr/bin/python3 -c 'pass' "$UNTAGGED") || fail "python3 (root) failed"
(cd "$T/$CWD" && setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'pass' \
	"$UNTAGGED") || fail "python3 (nobody) failed"
wait_event 10 type=http path="/plain?q=1&api_key=[REDACTED]"
wait_event 10 type=http path=/tls
wait_event 10 type=http path=/curl
wait_event 10 type=http path=/form
wait_event 10 type=http path=/json
wait_event 10 type=alert rule=outbound_post path=/curl
if [ -n "$H2" ]; then
	wait_event 10 type=http path=/h2a
	wait_event 10 type=http path="/h2b?access_token=[REDACTED]&n=1"
	[ "$(grep -c '"path":"/h2' "$T/h2.log")" = 2 ] || fail "the HTTP/2 server did not get both requests"
fi
sentinel
# the preface-less connection was taken for HTTP/2 met mid-way, and counted
resumed=$(am status --json --socket "$SOCK" |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)["recording"]["scrub_h2_resumed"])') ||
	fail "status failed"
[ "$resumed" -ge 1 ] || fail "status recording.scrub_h2_resumed is $resumed, not at least 1"
stop_collector
live=$OUT

files=("$T"/traces/agentmon-*.amtrace)
[ -f "${files[0]}" ] || fail "no trace file"
trace_raw "$T/raw" "${files[@]}" || fail "cannot decompress the traces"
grep -aq "POST /plain" "$T/raw" && grep -aq "POST /tls" "$T/raw" && grep -aq paste.example "$T/raw" ||
	fail "the decompressed traces lack the requests: the search below would prove nothing"
grep -aq "Authori" "$T/raw" || fail "the decompressed traces lack the header names"
grep -aq "$PROBE2" "$T/raw" && grep -aq "client_secret=" "$T/raw" && grep -aq '"api_key": "' "$T/raw" ||
	fail "the decompressed traces lack the preface-less HTTP/2 request or the bodies: the search below would prove nothing"
[ -z "$H2" ] || { grep -aq "$PROBE" "$T/raw" && grep -aq "PRI \* HTTP/2.0" "$T/raw"; } ||
	fail "the decompressed traces lack the HTTP/2 requests' raw values: the search below would prove nothing"
for s in "$H2AUTH" "$H2KEY" "$H2HUFF" "$H2QUERY" "$NOPRE" "$FORMPW" "$FORMCS" "$JSONPW" "$JSONKEY" "$JWT" "$AUTH" "$KEY" "$COOKIE" "$SPLIT" "$ARGV" "Body$R" "$QUERY" "$UNTAGGED" "$CWD" "$R"; do
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
