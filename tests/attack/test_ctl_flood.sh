#!/bin/bash
# The control socket under a flood (issue 11, "Control socket"): a tagged
# agent holds 130 idle connections (more than the collector's 128 slots),
# then 125 tail streams it never reads (32 are served: one uid's most),
# and three other users do the same (32, 32, then the 24 left of 120).  Meanwhile `status` answers and
# `launch` runs its command tagged; the idle connections are closed at the
# request timeout (--request-timeout 2) or evicted for a newcomer, and
# status counts both.  A client the collector refuses ("too many clients",
# a fake collector that closes at once) prints that and exits 1, never dies
# of SIGPIPE (141) nor says "Broken pipe".
. "$(dirname "$0")/lib.sh"

start_collector --request-timeout 2

status_ok() { "$AGENTMON" status --socket "$SOCK" >"$T/status.out" 2>"$T/status.err"; }
# ---- 130 idle connections, held by an agent ----
bg "$AGENTMON" launch --socket "$SOCK" --agent flooder -- \
	"$PY" "$AT_HELPERS/ctl_hold.py" "$SOCK" idle 130 "$T/idle" 20
wait_file "$T/idle" 10
grep -q "^open 128" "$T/idle" || fail "the flood did not fill the slots: $(cat "$T/idle")"
sleep 0.3 # older than the eviction age: the slots are the attacker's, idle
t0=$(now_ms)
status_ok || fail "status failed under 130 idle connections: $(cat "$T/status.err")"
grep -q "^uptime" "$T/status.out" || fail "status printed no status: $(head -c 300 "$T/status.out")"
launch victim /bin/sh -c 'echo ran >"$0"' "$T/victim.ran" ||
	fail "launch failed under 130 idle connections (status $?)"
[ -s "$T/victim.ran" ] || fail "launch did not run its command"
wait_event 10 type=exec agent=victim
served_ms=$(($(now_ms) - t0))
# the rest are closed at the 2 s request timeout, told why
WAIT_WHY="cat $T/idle" wait_for 8 "the idle connections closed" grep -q "done" "$T/idle"
grep -q "^open 128 closed 128 done" "$T/idle" || fail "idle connections left open: $(cat "$T/idle")"
"$AGENTMON" status --json --socket "$SOCK" >"$T/st.json" || fail "status --json failed"
"$PY" - "$T/st.json" <<'PYEOF' || fail "status does not count the idle connections: $(cat "$T/st.json")"
import json, sys
t = json.load(open(sys.argv[1]))["tail"]
sys.exit(0 if t["evicted"] >= 1 and t["timed_out"] >= 100 and
         t["evicted"] + t["timed_out"] >= 128 else 1)
PYEOF
grep -q "idle connections: .* timed out, .* evicted" <("$AGENTMON" status --socket "$SOCK") ||
	fail "status text does not show the idle connections"

# ---- tail streams never read: 125 asked by root, then by three other users ----
# one uid holds at most 32 tails, so root's flood leaves tails to the others
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
chmod 0666 "$SOCK" && chmod 0711 "$T" && mkdir -m 0777 "$T/pub" || fail "cannot open the socket to other uids"
bg "$AGENTMON" launch --socket "$SOCK" --agent tailflood -- \
	"$PY" "$AT_HELPERS/ctl_hold.py" "$SOCK" tail 125 "$T/pub/tails.0" 20
wait_file "$T/pub/tails.0" 10
grep -q "^open 32$" "$T/pub/tails.0" || fail "root: want 32 tails open (the rest refused): $(cat "$T/pub/tails.0")"
for u in 65534 1000 1001; do
	bg setpriv --reuid "$u" --regid "$u" --clear-groups "$AGENTMON" launch --socket "$SOCK" \
		--agent "tailflood$u" -- "$PY" "$AT_HELPERS/ctl_hold.py" "$SOCK" tail 125 "$T/pub/tails.$u" 20
	wait_file "$T/pub/tails.$u" 10
done
grep -q "^open 32$" "$T/pub/tails.65534" && grep -q "^open 32$" "$T/pub/tails.1000" ||
	fail "another user's tails were starved: $(cat "$T"/pub/tails.*)"
grep -q "^open 24$" "$T/pub/tails.1001" || fail "want 120 tails in all: $(cat "$T"/pub/tails.*)"
for i in 1 2 3; do
	launch "busy$i" /bin/true || fail "launch $i failed with 120 tails held"
	status_ok || fail "status $i failed with 120 tails held: $(cat "$T/status.err")"
done

# ---- refused at once: a message and status 1, never SIGPIPE ----
cat >"$T/fake.py" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1] + ".tmp"); os.rename(sys.argv[1] + ".tmp", sys.argv[1]); s.listen(64)
while True:
    c, _ = s.accept()
    c.send(b"error too many clients\n")
    c.close()  # before the request is read, as a full collector does
PYEOF
bg "$PY" "$T/fake.py" "$T/fake.sock"
wait_for 5 "the fake collector's socket" test -S "$T/fake.sock"
# refused WHAT ARGS...: agentmon ARGS... exits 1 saying "too many clients"
refused() {
	local what=$1 rc
	shift
	"$AGENTMON" "$@" >/dev/null 2>"$T/c.err"
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q "too many clients" "$T/c.err"; then
		fail "refused $what: want status 1 and 'too many clients', got $rc: $(cat "$T/c.err")"
	fi
}
refused "tail 121" tail --socket "$SOCK"
for i in $(seq 30); do
	refused "launch $i" launch --socket "$T/fake.sock" --agent x -- /bin/true
	refused "status $i" status --socket "$T/fake.sock"
	refused "tail $i" tail --socket "$T/fake.sock"
done
stop_collector
pass "status and launch served in ${served_ms} ms under 130 idle connections, 128 closed (timed out or evicted); 120 unread tails (32 per uid: root's flood starved no other user) starve neither; refused clients exit 1 with the message"
