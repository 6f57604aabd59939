#!/bin/bash
# Every HTTP/1 write request is judged (issue 9), with real clients against
# local sinks: a head written in pieces (bash, one write per line; TLS
# records "PO" + "ST ..."), leading empty lines, pipelined requests (after a
# Content-Length and a chunked body), extension methods, a target longer
# than the capture and a malformed header (judged with the method unknown),
# TLS to one server name naming another host (host_mismatch, judged by the
# stricter), and an upload split over many connections (unexpected_upload
# per agent and destination).  A GET to a read-only host raises nothing,
# proved after a sentinel event.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
command -v curl >/dev/null || skip "needs curl"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=sink.example 2>/dev/null || fail "cannot make a certificate"
bg "$PY" "$HELPERS/sink_server.py" --port-file "$T/port.plain"
bg "$PY" "$HELPERS/sink_server.py" --port-file "$T/port.tls" --cert "$T/cert.pem" --key "$T/key.pem"
wait_file "$T/port.plain"
wait_file "$T/port.tls"
P=$(cat "$T/port.plain")
S=$(cat "$T/port.tls")

cat >"$T/policy.yaml" <<Y
allow:
  - host: api.anthropic.com
  - host: readonly.example
    methods: [GET, HEAD]
alerts:
  upload_threshold: 8k
Y
start_collector --config "$T/policy.yaml"

pieces() { # AGENT [--tls NAME] PORT PIECE...
	local name=$1
	shift
	launch "$name" "$PY" "$HELPERS/http_pieces.py" "$@" || fail "$name: client failed"
}
post_alert() { # AGENT FILTER...: the outbound_post of AGENT
	local name=$1
	shift
	wait_event 5 type=alert rule=outbound_post agent="$name" "$@"
}
H='Host: paste.example\r\n'

# 1. a head in pieces: bash writes each line apart; TLS records "PO", "ST ..."
launch bash-lines bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$P"'
for l in "POST /in HTTP/1.1" "Host: paste.example" "Content-Length: 5" ""; do
	printf "%s\r\n" "$l" >&3; sleep 0.05; done
printf hello >&3; sleep 0.05; exec 3>&-' || fail "bash client failed"
post_alert bash-lines method=POST host=paste.example path=/in
wait_event 5 type=http agent=bash-lines method=POST host=paste.example bytes=5
pieces tls-split --tls paste.example "$S" 'PO' "ST /x HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nhi"
post_alert tls-split method=POST host=paste.example path=/x tls=true

# 2. empty lines before the request line (RFC 9112 2.2)
pieces crlf "$P" "\r\n\r\nPOST /crlf HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n"
post_alert crlf method=POST path=/crlf

# 3. pipelining: every head of one write, past a Content-Length and a chunked body
pieces pipe "$P" "GET /a HTTP/1.1\r\n${H}\r\nPOST /b HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcPUT /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nDELETE /d HTTP/1.1\r\n${H}\r\n"
post_alert pipe method=POST path=/b
wait_event 5 type=http agent=pipe method=GET path=/a
wait_event 5 type=http agent=pipe method=PUT path=/c
wait_event 5 type=http agent=pipe method=DELETE path=/d

# 4. extension methods are write methods (the sink never answers: curl times out)
launch dav curl -sS -o /dev/null --max-time 1 -X PROPPATCH -H 'Host: paste.example' \
	"http://127.0.0.1:$P/dav/file" 2>/dev/null
launch mkcol curl -sS -o /dev/null --max-time 1 -X MKCOL -H 'Host: paste.example' \
	"http://127.0.0.1:$P/dav/dir/" 2>/dev/null
post_alert dav method=PROPPATCH path=/dav/file
post_alert mkcol method=MKCOL path=/dav/dir/

# 5. heads not read whole are judged as writes with the method unknown:
# a target longer than the capture (the kernel captures up to 32 KiB of a
# write or packet that starts a head; reassembly keeps 16 KiB: cut or
# overflow, either is judged) to a host listed for GET only, a malformed
# header after a valid request line
long=$(head -c 40000 /dev/zero | tr '\0' a)
pieces long-tls --tls readonly.example "$S" "GET /$long HTTP/1.1\r\nHost: readonly.example\r\n\r\n"
post_alert long-tls method!? 'incomplete~^(cut|overflow)$' host=readonly.example
pieces long-plain "$P" "GET /$long HTTP/1.1\r\nHost: readonly.example\r\n\r\n"
post_alert long-plain method!? 'incomplete~^(cut|overflow)$' host=readonly.example
pieces badhdr "$P" "POST /m HTTP/1.1\r\n${H}no colon here\r\n\r\n"
post_alert badhdr method!? incomplete=malformed host=paste.example path=/m

# 6. over TLS the server name is the destination; naming another host is
# host_mismatch, and the stricter of the two is judged
pieces front --tls front.forum.example "$S" \
	"POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Length: 2\r\n\r\nhi"
wait_event 5 type=alert rule=host_mismatch agent=front host=front.forum.example req_host=api.anthropic.com
post_alert front method=POST host=front.forum.example req_host=api.anthropic.com

# 7. an upload split over 12 connections of 12 processes of one agent
# session, each well under the threshold
launch split sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	"$0" "$1" --tls paste.example "$2" @1000*z || exit 1; done' \
	"$PY" "$HELPERS/http_pieces.py" "$S" || fail "split upload client failed"
wait_event 10 type=alert rule=unexpected_upload agent=split host=paste.example

# none for a GET to a host listed for GET, after its sentinel event
sentinel=$T/sentinel.get-ok
launch get-ok sh -c '"$0" "$1" --tls readonly.example "$2" "GET /latest HTTP/1.1\r\nHost: readonly.example\r\n\r\n" && : >"$3"' \
	"$PY" "$HELPERS/http_pieces.py" "$S" "$sentinel" || fail "get-ok client failed"
wait_event 5 type=open agent=get-ok path="$sentinel"
wait_event 5 type=http agent=get-ok method=GET host=readonly.example
expect_none type=alert agent=get-ok
# status counts the heads judged incomplete (the two long targets, the bad header)
am status --json --socket "$SOCK" >"$T/status.json" || fail "status failed"
"$PY" -c 'import json, sys; h = json.load(open(sys.argv[1]))["http"]; sys.exit(h["heads_incomplete"] < 3)' \
	"$T/status.json" || fail "status: want http.heads_incomplete >= 3: $(cat "$T/status.json")"
stop_collector
pass "pieces (bash, TLS), leading CRLF, pipelining, extension methods, cut and malformed heads, SNI fronting and a split upload all alert; a GET to a read-only host does not"
