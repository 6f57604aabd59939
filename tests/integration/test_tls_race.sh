#!/bin/bash
# The per-process TLS uprobes (--tls-uprobes process) race a
# process the kernel tags at exec: its uprobe attach is the collector's
# answer to the exec record, and the process may speak TLS before it lands.
# Such a connection must still be judged (fail closed), never pass unseen.
# The race is made certain, not likely: the collector is stopped (SIGSTOP)
# while a `claude` executable (a copy of python, so libssl is the hooked
# shared library) posts 12 KB over TLS and exits; the kernel tags it, its
# packets are captured, and no uprobe can trap in it.  When the collector
# runs again:
#  (a) status shows the uprobes per process;
#  (b) the connection, with no plaintext, raises an alert naming the SNI
#      host: unseen_tls (the process is gone before the collector could tell
#      its TLS library, so its bytes are judged: README, the binary was
#      "being scanned"), or monitor_degraded ("TLS hooked, yet no plaintext
#      seen") when it could; and no http event claims to have read it;
#  (c) the same client run again with the collector running is covered at
#      exec (its attach lands from the exec record) or judged by bytes: a
#      second upload to another unlisted host raises an alert either way;
#  (d) a client (another copy) that posts while the collector is stopped and
#      is still alive when its attach lands: its ClientHello came before the
#      attach, so the connection is unsure (status
#      tls_uprobes.unsure_connections) and judged by its bytes when it ends:
#      unseen_tls, not monitor_degraded (its hook is not blind) and no http
#      event;
#  (e) the same with a POST of 200 bytes (under unseen_tls_threshold):
#      unseen_tls all the same, its reason saying the TLS was sent before
#      agentmon's hooks were in place;
#  (f) the same to a host the policy lists: nothing raised.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
tls_server race.example.net
tport=$TPORT
printf 'allow:\n  - host: listed.race.example.net\n' >"$T/policy.yaml"
start_collector --tls-uprobes process --config "$T/policy.yaml"

scope() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; t=json.load(sys.stdin)["tls_uprobes"]; print(t["scope"], t.get("system_wide_why", ""))'
}
# an agent alive keeps the agent hooks (packets, sockets, uprobes) attached
bg "$AGENTMON" launch --socket "$SOCK" --agent holder -- sleep 300
wait_for 10 "agent hooks attached" sh -c "'$AGENTMON' status --json --socket '$SOCK' | grep -q '\"agent_hooks\": *true'"
s=$(scope) || fail "status --json has no tls_uprobes"
case "$s" in
process*) ;;
"system no tracefs uprobe events"*) skip "the kernel has no tracefs uprobe events: $s" ;;
*) fail "tls uprobes are '$s', want per process" ;;
esac

mkdir -p "$T/bin"
cp "$(readlink -f "$PY")" "$T/bin/claude" || fail "cp python"
post() { # post HOST: 12 KB POST over python's ssl (libssl) to the test server
	"$T/bin/claude" - "$tport" "$1" <<'PYEOF'
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname=sys.argv[2])
body = b"x" * 12000
s.sendall(b"POST /race HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (sys.argv[2].encode(), len(body)) + body)
s.recv(4096)
s.close()
PYEOF
}

# ---- (b) the attach cannot land: the collector is stopped ----
kill -STOP "$COLLECTOR_PID" || fail "cannot stop the collector"
post early.race.example.net
rc=$?
kill -CONT "$COLLECTOR_PID"
[ "$rc" -eq 0 ] || fail "the early client failed ($rc)"
wait_event 10 type=alert "rule~^(unseen_tls|monitor_degraded)\$" host=early.race.example.net
early=$(field rule type=alert host=early.race.example.net) || exit 1

# ---- (c) the collector running: covered, or judged by bytes ----
post late.race.example.net || fail "the second client failed"
wait_event 10 type=alert host=late.race.example.net
sentinel
expect 0 type=http host=early.race.example.net
grep -q '"path": "/race"' "$T/tls.log" || fail "the server did not get the POSTs"
late=$(jq values rule type=alert host=late.race.example.net | sort -u | tr '\n' ' ')

# ---- (d) alive when its attach lands, its ClientHello sent before ----
unsure() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["tls_uprobes"]["unsure_connections"])'
}
mkdir -p "$T/bin2"
cp "$(readlink -f "$PY")" "$T/bin2/claude" || fail "cp python"
posted() { grep -q "\"path\": \"/$1\"" "$T/tls.log"; }
counted() { n=$(unsure) && [ "$n" -ge "$1" ]; }
# early_post NAME HOST BYTES: a client posting BYTES to HOST (path /NAME)
# while the collector is stopped, alive when the collector runs again (so
# its attach lands after its ClientHello); returns once it has exited and
# the connection was counted unsure
early_post() {
	local n0 client
	n0=$(unsure) || fail "status --json has no unsure_connections"
	kill -STOP "$COLLECTOR_PID" || fail "cannot stop the collector"
	"$T/bin2/claude" - "$tport" "$2" "$T/go.$1" "$1" "$3" >"$T/$1.out" 2>&1 <<'PYEOF' &
import os, socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname=sys.argv[2])
body = b"x" * int(sys.argv[5])
s.sendall(b"POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" % (sys.argv[4].encode(), sys.argv[2].encode(), len(body)) + body)
s.recv(4096)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
s.close()
PYEOF
	client=$!
	BG_PIDS+=("$client") # killed at exit if the test fails before it ends
	WAIT_WHY="cat $T/$1.out" wait_for 20 "the $1 client's POST at the server" posted "$1"
	kill -CONT "$COLLECTOR_PID"
	WAIT_WHY=unsure wait_for 20 "the $1 client's connection counted unsure in status" \
		counted $((n0 + 1))
	touch "$T/go.$1"
	wait "$client" || fail "the $1 client failed: $(cat "$T/$1.out")"
}
early_post unsure unsure.race.example.net 12000
wait_event 10 type=alert rule=unseen_tls host=unsure.race.example.net
sentinel
expect 0 type=http host=unsure.race.example.net
expect 0 type=alert rule=monitor_degraded host=unsure.race.example.net

# ---- (e) the same, a small POST (well under unseen_tls_threshold): an
# unread connection made in the root window raises unseen_tls whatever its
# size, and says why ----
early_post small small.race.example.net 200
wait_event 10 type=alert rule=unseen_tls host=small.race.example.net
field summary type=alert rule=unseen_tls host=small.race.example.net |
	grep -q "before agentmon's hooks were in place" ||
	fail "the small early POST's unseen_tls does not say why: $(jq dump type=alert host=small.race.example.net)"

# ---- (f) the same to a listed host: counted unsure, nothing raised ----
early_post listed listed.race.example.net 200
sentinel
expect 0 type=alert host=listed.race.example.net
stop_collector
pass "a claude process that spoke TLS before its uprobe attach: $early naming its host, no http event; run again: $late; alive at its attach: unseen_tls; a small one too, saying why; to a listed host nothing ($n unsure)"
