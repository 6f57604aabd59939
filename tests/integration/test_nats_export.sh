#!/bin/bash
# export.nats: a real nats-server with JetStream (mutual TLS, the collector's
# user may only publish on agentmon.> and read its inboxes) started here on
# 127.0.0.1; two collectors (--host-id laptop.a and laptop.b) export every
# alert and event.  Every message reaches the stream exactly once: per host
# the stream holds exactly the collector's own output lines (plus "host"),
# no id twice, subject <prefix>.<host>.<type> - across
#   - a missing stream (reported once, everything kept until it exists),
#   - a nats-server restart during a burst,
#   - a subject the user may not publish on (said once, kept spooled),
#   - a collector SIGKILLed with unacked messages (the server frozen); its
#     next run has a wrong password (reported once, everything kept in the
#     spool), the one after sends it all (what the stream already had is
#     dropped by its duplicate window);
# and `agentmon tail --nats` (a durable consumer) prints every line of
# laptop.b's as the exporter sent it, across the restart (end to end).
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || skip "no nats-server (Debian package nats-server)"
command -v curl >/dev/null || skip "no curl"

# ---- certificates: a CA, the server's (127.0.0.1), a client's ----
mk_cert() { # NAME CN EXT
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "/CN=$2" \
		2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -out "$T/$1.pem" -extfile <(printf '%s\n' "$3") 2>/dev/null ||
		fail "cannot make the $1 certificate"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/ca.key" \
	-out "$T/ca.pem" -days 2 \
	-subj "/CN=agentmon nats test CA" 2>/dev/null || fail "cannot make the test CA"
mk_cert srv 127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:localhost"
mk_cert cli agentmon-collector "extendedKeyUsage=clientAuth"

NPORT=$(free_port)
cat >"$T/nats.conf" <<EOF
listen: 127.0.0.1:$NPORT
jetstream { store_dir: "$T/js" }
tls { cert_file: "$T/srv.pem", key_file: "$T/srv.key", ca_file: "$T/ca.pem", verify: true }
authorization {
  users = [
    { user: collector, password: "pw-collector",
      permissions: { publish: ["agentmon.>"], subscribe: ["_INBOX.>"] } }
    { user: admin, password: "pw-admin" }
  ]
}
EOF
printf 'pw-collector\n' >"$T/pw" && chmod 600 "$T/pw"
printf 'not-the-password\n' >"$T/pw-wrong" && chmod 600 "$T/pw-wrong"
NJ=("$PY" "$HELPERS/nats_js.py" --url "nats://127.0.0.1:$NPORT" --user admin --password pw-admin
	--ca "$T/ca.pem" --cert "$T/cli.pem" --key "$T/cli.key")
nats_up() { "${NJ[@]}" ping 2>/dev/null; }
start_nats() {
	bg nats-server -c "$T/nats.conf" -l "$T/nats.log"
	NATS_PID=$BG_PID
	WAIT_WHY="tail -3 $T/nats.log" wait_for 10 "nats-server to answer" nats_up
}

# policy HOST-SPOOL PASSWORD-FILE: what: [alerts, events] over mutual TLS
policy() {
	cat >"$T/$1.yaml" <<EOF
export:
  nats:
    url: tls://127.0.0.1:$NPORT
    user: collector
    password_file: $2
    tls: {ca_file: $T/ca.pem, cert_file: $T/cli.pem, key_file: $T/cli.key}
    subject: agentmon
    what: [alerts, events]
    spool_dir: $T/spool-$1
EOF
}
policy a "$T/pw"
policy b "$T/pw"
policy a-wrong "$T/pw-wrong"
sed -i "s|spool-a-wrong|spool-a|" "$T/a-wrong.yaml"
policy p "$T/pw"
sed -i "s|subject: agentmon|subject: other|" "$T/p.yaml"  # not the user's to publish on

# export FIGURE [SOCKET]: one export figure of a collector's status
xstat() {
	am status --json --socket "${2:-$SOCK}" | "$PY" -c '
import json, sys
x = json.load(sys.stdin)["export"]
print(x[sys.argv[1]])' "$1"
}
lines() { cat "$@" | grep -c .; }

start_nats

# ---- A (laptop.a) before the stream exists: reported once, nothing lost ----
start_collector --config "$T/a.yaml" --host-id laptop.a
OUT_A1=$OUT ERR_A1=$ERR
launch bursta /bin/sh -c 'for i in $(seq 40); do cat /etc/hostname; done >/dev/null' ||
	fail "burst agent failed"
wait_event 10 type=exit agent=bursta
missing() { xstat last_error | grep -q "no JetStream stream takes subjects agentmon.laptop_a.\*"; }
WAIT_WHY="xstat last_error" wait_for 15 "the missing stream in status" missing
[ "$(grep -c 'no JetStream stream takes subjects' "$ERR")" = 1 ] ||
	fail "the missing stream not logged exactly once: $(grep export "$ERR")"
[ "$(xstat acked)" = 0 ] || fail "acked without a stream"
"${NJ[@]}" create AGENTMON 'agentmon.>' || fail "cannot create the stream"

# ---- the fleet tail (end to end): agentmon tail --nats follows laptop.b ----
# (its server, credentials and TLS from a policy's export.nats block: --config)
printf 'pw-admin\n' >"$T/pw-admin" && chmod 600 "$T/pw-admin"
policy admin "$T/pw-admin"
sed -i "s|user: collector|user: admin|" "$T/admin.yaml"
"$AGENTMON" tail --config "$T/admin.yaml" --durable e2e --host laptop.b --json \
	>"$T/fleet.b.jsonl" 2>"$T/fleet.err" &
TAIL_PID=$!
BG_PIDS+=("$TAIL_PID")
WAIT_WHY="cat $T/fleet.err" wait_for 15 "the fleet tail following" grep -q following "$T/fleet.err"

# ---- B (laptop.b), a second host ----
SOCK_B=$T/b.sock
"$AGENTMON" run --format json --no-record --tls-cache none --socket "$SOCK_B" \
	--no-pin --config "$T/b.yaml" --host-id laptop.b >"$T/out.b.jsonl" \
	2>"$T/err.b.log" &
COLLECTOR_B=$!
BG_PIDS+=("$COLLECTOR_B")
b_ready() { grep -q ready "$T/err.b.log"; }
wait_for 30 "collector B ready" b_ready

# an alert on A: a POST to a host the policy does not allow
bgport_file=$T/port
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$bgport_file" --log "$T/server.log"
wait_file "$bgport_file"
launch postbot curl -s -o /dev/null -X POST -d hello -H 'Host: forum.corp.example' \
	"http://127.0.0.1:$(cat "$bgport_file")/api/posts" || fail "POST failed"
wait_event 10 type=alert rule=outbound_post agent=postbot

# ---- a nats-server restart during B's burst ----
am launch --socket "$SOCK_B" --agent burstb -- /bin/sh -c \
	'for i in $(seq 150); do cat /etc/hostname; done >/dev/null' >/dev/null 2>&1 &
LAUNCH_B=$!
some_acked() { [ "$(xstat acked "$SOCK_B")" -gt 50 ]; }
wait_for 20 "B's first acks" some_acked
kill "$NATS_PID"; wait "$NATS_PID" 2>/dev/null
start_nats
wait "$LAUNCH_B" || fail "B's burst failed"
b_exit() { grep -q '"agent":"burstb".*"type":"exit"\|"type":"exit".*"agent":"burstb"' "$T/out.b.jsonl"; }
wait_for 20 "B's burst to end" b_exit

# ---- A SIGKILLed with unacked messages, the server frozen ----
kill -STOP "$NATS_PID"
launch burstk /bin/sh -c 'for i in $(seq 30); do cat /etc/hostname; done >/dev/null' ||
	fail "burst agent failed"
wait_event 10 type=exit agent=burstk
# every line A printed by now is acked or in the spool (acked + spooled is
# what this run appended to its spool: it only grows)
printed=$(lines "$OUT_A1")
all_spooled() { [ $(($(xstat acked) + $(xstat spooled))) -ge "$printed" ]; }
WAIT_WHY="echo acked $(xstat acked) spooled $(xstat spooled) printed $printed" \
	wait_for 15 "A's messages in its spool" all_spooled
[ "$(xstat spooled)" -gt 0 ] || fail "nothing unacked while the server is frozen"
kill -KILL "$COLLECTOR_PID"; wait "$COLLECTOR_PID" 2>/dev/null; COLLECTOR_PID=
kill -CONT "$NATS_PID"

# ---- A again, with a wrong password: reported once, kept, sent by the next run ----
start_collector --config "$T/a-wrong.yaml" --host-id laptop.a
OUT_A2=$OUT
denied() { xstat last_error | grep -qi "authorization violation"; }
WAIT_WHY="xstat last_error" wait_for 15 "the refused password in status" denied
launch burstw /bin/sh -c 'for i in 1 2 3; do cat /etc/hostname; done >/dev/null' ||
	fail "burst agent failed"
wait_event 10 type=exit agent=burstw
printed=$(lines "$OUT_A2")
kept() { [ "$(xstat spooled)" -gt "$printed" ] && [ "$(xstat acked)" = 0 ]; }
wait_for 10 "the SIGKILLed run's messages and this run's in the spool" kept
[ "$(grep -ci 'authorization violation' "$ERR")" = 1 ] ||
	fail "the refused password not logged exactly once: $(grep export "$ERR")"
stop_collector TERM 4000
start_collector --config "$T/a.yaml" --host-id laptop.a
OUT_A3=$OUT
sentinel
# the last runs drain their spools (other agents on the host may keep them busy)
drained() { [ "$(xstat spooled "$1")" = 0 ] && [ "$(xstat queued "$1")" = 0 ]; }
WAIT_WHY="xstat spooled" wait_for 60 "A's spool drained" drained "$SOCK"
stop_collector TERM 4000
WAIT_WHY="xstat spooled $SOCK_B" wait_for 60 "B's spool drained" drained "$SOCK_B"
kill "$COLLECTOR_B"; wait "$COLLECTOR_B" 2>/dev/null
# the fleet tail printed every line B printed, as the exporter sent it (its
# own JSON with the host last), across the nats-server restart
b_lines=$(lines "$T/out.b.jsonl")
fleet_caught_up() { [ "$(sort -u "$T/fleet.b.jsonl" | grep -c .)" -ge "$b_lines" ]; }
WAIT_WHY="tail -3 $T/fleet.err" wait_for 30 "the fleet tail to print B's $b_lines lines" fleet_caught_up
"$PY" - "$T/out.b.jsonl" "$T/fleet.b.jsonl" <<'EOF2' || fail "the fleet tail is not B's output"
import sys
want = {l.rstrip("\n")[:-1] + ',"host":"laptop.b"}' for l in open(sys.argv[1]) if l.strip()}
got = {l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()}
if want != got:
    sys.exit("missing %d, extra %d: %s" % (len(want - got), len(got - want),
                                            sorted(got ^ want)[:2]))
EOF2
kill "$TAIL_PID"; wait "$TAIL_PID" 2>/dev/null

# ---- a subject the user may not publish on: said once, everything kept ----
start_collector --config "$T/p.yaml" --host-id laptop.p
launch burstp /bin/sh -c 'cat /etc/hostname >/dev/null' || fail "burst agent failed"
wait_event 10 type=exit agent=burstp
refused() { xstat last_error | grep -q "permissions violation: .* on other.laptop_p.\*"; }
WAIT_WHY="xstat last_error" wait_for 15 "the permissions violation in status" refused
printed=$(lines "$OUT")
p_kept() { [ "$(xstat spooled)" -ge "$printed" ] && [ "$(xstat acked)" = 0 ]; }
wait_for 10 "the refused messages spooled" p_kept
[ "$(grep -c 'permissions violation' "$ERR")" = 1 ] ||
	fail "the permissions violation not logged exactly once: $(grep export "$ERR")"
stop_collector TERM 4000

# ---- the stream holds each host's output exactly once ----
# (what a stop left unacked, if the host was busy, is still in the spool)
"${NJ[@]}" dump AGENTMON >"$T/stream.jsonl" || fail "cannot read the stream"
"$PY" - "$T/stream.jsonl" "laptop.a=$OUT_A1,$OUT_A2,$OUT_A3=$T/spool-a" \
	"laptop.b=$T/out.b.jsonl=$T/spool-b" <<'EOF' >"$T/check.out" ||
# each body is byte for byte a line the collector printed, with
# ,"host":"<host id>" before its last brace (an event naming a destination
# host has its own "host" member before it: a parser keeps the last); every
# line is in the stream once, or (not acked at a stop) in the spool
import collections, glob, json, os, re, struct, sys, zlib

def spooled(d):
    """the records of a spool's segments: {id: (subject, body)}"""
    out = {}
    for seg in sorted(glob.glob(d + "/seg-*.log")):
        b = open(seg, "rb").read()
        at = 0
        while at + 12 <= len(b):
            n, crc = struct.unpack_from("<II", b, at + 4)
            p = b[at + 12:at + 12 + n]
            if b[at:at + 4] != b"AMX1" or len(p) != n or zlib.crc32(p) != crc:
                at += 1
                continue
            il, sl = p[0], p[1] | p[2] << 8
            out[p[3:3 + il].decode()] = (p[3 + il:3 + il + sl].decode(),
                                         p[3 + il + sl:].decode())
            at += 12 + n
    return out

msgs = [json.loads(l) for l in open(sys.argv[1])]
ids = [m["id"] for m in msgs]
if len(set(ids)) != len(ids) or not all(i and re.fullmatch(r"[0-9a-f]{32}", i) for i in ids):
    sys.exit("ids missing or repeated")
for arg in sys.argv[2:]:
    host, files, spool = arg.split("=")
    token = re.sub(r"[.*> \x00-\x1f\x7f]", "_", host)
    tail = ',"host":%s}' % json.dumps(host)
    want = collections.Counter()
    for f in files.split(","):
        want.update(l.rstrip("\n") for l in open(f) if l.strip())
    mine = [(m["id"], m["subject"], m["body"]) for m in msgs
            if m["subject"].startswith("agentmon.%s." % token)]
    left = [(i, s, b) for i, (s, b) in spooled(spool).items() if i not in set(ids)]
    got = collections.Counter()
    for _, subject, body in mine + left:
        if not body.endswith(tail):
            sys.exit("%s: body without its host last: %s" % (host, body[-80:]))
        line = body[:-len(tail)] + "}"
        if subject != "agentmon.%s.%s" % (token, json.loads(line)["type"]):
            sys.exit("%s: subject %s for a %s" % (host, subject, json.loads(line)["type"]))
        got[line] += 1
    if got != want:
        sys.exit("%s: %d lines printed, %d in the stream and %d spooled; missing %d, extra %d" % (
            host, sum(want.values()), len(mine), len(left), sum((want - got).values()),
            sum((got - want).values())))
    if not left and glob.glob(spool + "/*"):
        sys.exit("%s: everything acked, yet the spool holds %s" % (host, os.listdir(spool)))
    alerts = [json.loads(k).get("rule") for k in got.elements() if json.loads(k)["type"] == "alert"]
    if host == "laptop.a" and "outbound_post" not in alerts:
        sys.exit("no outbound_post alert on agentmon.laptop_a.alert")
    print("%s %d in the stream, %d left spooled at a stop, %d alerts" % (
        host, len(mine), len(left), len(alerts)))
EOF
	fail "the stream is not the collectors' output: $(cat "$T/check.out")"
pass "$(tr '\n' ' ' <"$T/check.out")each once, across a missing stream, a server restart, SIGKILL, a wrong password and a permissions violation"
