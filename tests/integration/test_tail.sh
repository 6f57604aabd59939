#!/bin/bash
# tail and status: clients with different filters at once during a burst of
# 50000 opens by an agent, plus one that never reads and one that vanishes
# mid-stream.  The collector still prints every event (seen or counted as
# lost); each reading client gets exactly the collector's lines that pass
# its filter, with no missed notice; the one that never reads costs nothing
# and status counts what it missed.  Then status (text, JSON), bad filters,
# no collector, 64 clients at once with launch and status, collector gone,
# and --socket-group.
. "$(dirname "$0")/lib.sh"

N=50000
loop=$(build_helper openloop) || fail "cannot build helpers/openloop.c"

# tailc NAME ARGS...: `agentmon tail ARGS` to $T/NAME.out, pid in TAILPID[NAME]
declare -A TAILPID
tailc() {
	local name=$1
	shift
	bg "$AGENTMON" tail --socket "$SOCK" "$@" >"$T/$name.out" 2>"$T/$name.err"
	TAILPID[$name]=$BG_PID
}

# status_field EXPR: a value of `status --json` (a python expression on s)
status_field() {
	am status --json --socket "$SOCK" >"$T/status.json" || fail "status --json failed"
	"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/status.json" "$1" || fail "status --json: cannot read $1: $(cat "$T/status.json")"
}

# wait_clients N: until status counts N tail clients
wait_clients() {
	for _ in $(seq 100); do
		[ "$(status_field 's["tail"]["connected"]')" -eq "$1" ] && return 0
		sleep 0.05
	done
	fail "status does not show $1 tail clients: $(cat "$T/status.json")"
}

# same NAME KIND VALUE [MARK]: prints the number of the client's lines, which
# must be exactly the collector's lines that pass the filter (KIND
# type|agent|pid; drops always pass), in order, with no missed notice (else
# it says why on stderr and fails: use as n=$(same ...) || fail).  With MARK,
# the client connected late: its lines are the end of that list, from the
# first line containing MARK at least.
same() {
	"$PY" - "$OUT" "$T/$1.out" "$2" "$3" "${4:-}" <<'PY'
import json, sys
out, path, kind, value, mark = sys.argv[1:6]

def passes(ev):
    if ev["type"] == "drop":
        return True
    if kind == "type":
        return ev["type"] == value
    if kind == "agent":
        return ev["agent"] == value
    return value in (str(ev["pid"]), str(ev["agent_pid"]))

def lines(p):
    return [l for l in open(p, "rb").read().split(b"\n") if l]

want = [l for l in lines(out) if passes(json.loads(l))]
got = lines(path)
missed = [l for l in got if b'"type":"missed"' in l]
if missed:
    sys.exit("missed notices for a reading client: %r" % missed[:2])
need = len(want)
if mark:
    need -= next(i for i, l in enumerate(want) if mark.encode() in l)
    want = want[len(want) - len(got):] if len(got) <= len(want) else want
if got != want or len(got) < need:
    bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    sys.exit("%d lines, want %d; first difference at %d:\n got %r\nwant %r" %
             (len(got), len(want), bad, got[bad:bad + 1], want[bad:bad + 1]))
print(len(got))
PY
}

# same_soon NAME KIND VALUE [MARK]: same, waited for (at most 60 s): the client
# may still be writing what it was sent
same_soon() {
	local i
	for ((i = 0; i < 120; i++)); do
		same "$@" 2>"$T/same.err" && return 0
		sleep 0.5
	done
	cat "$T/same.err" >&2
	return 1
}

start_collector

# readers: every open; agent "other"; one that vanishes; one that never reads
tailc opens --json --type open
tailc other --json --agent other
tailc vanish --json
bg "$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"tail json\n")
time.sleep(3600)' "$SOCK"
wait_clients 4

# the burst agent waits on a fifo, so that a --pid client can follow its root
mkfifo "$T/go"
# shellcheck disable=SC2016
bg "$AGENTMON" launch --socket "$SOCK" --agent burst -- /bin/sh -c \
	'echo $$ >"$1"; read -r x <"$2"; exec "$3" "$4"' sh "$T/burst.pid" "$T/go" "$loop" "$N"
wait_file "$T/burst.pid"
root=$(cat "$T/burst.pid")
tailc tree --json --pid "$root"
wait_clients 5
launch other /bin/sh -c 'cat /etc/hostname >/dev/null; /bin/true' || fail "launch other"
bg "$AGENTMON" launch --socket "$SOCK" --agent sleeper -- /bin/sleep 60
sleeper=$BG_PID
wait_event 10 type=exec agent=sleeper pid="$sleeper"

# go; the vanishing client is killed mid-stream
t0=$(now_ms)
echo go >"$T/go"
for _ in $(seq 200); do [ "$(wc -l <"$T/vanish.out")" -ge 2000 ] && break; sleep 0.01; done
{ kill -KILL "${TAILPID[vanish]}" && wait "${TAILPID[vanish]}"; } 2>/dev/null
wait_for 120 "all $N opens accounted for" opens_accounted "$N"
ms=$(($(now_ms) - t0))

# the collector printed every open (seen or counted lost), and went on
seen=$(jq count type=open pid="$root" path=/dev/null)
lost=$(jq sum lost type=drop)
[ "$seen" -le "$N" ] && [ $((seen + lost)) -ge "$N" ] ||
	fail "$N opens: $seen open events + $lost lost in drop events"
[ "$seen" -gt 0 ] || fail "no open event of the burst at all"

# status while clients are connected and the sleeper agent lives
st=$(am status --socket "$SOCK") || fail "status failed"
for want in "^uptime: *[0-9]+d [0-9]{2}h [0-9]{2}m [0-9]{2}s" "^agents: " \
	"^  sleeper: *root pid $sleeper, 1 process$" "^events: " "^  open: " "^drops: " \
	"^alerts: " "^tail clients: *4 connected, 5 served, [1-9][0-9]* events missed, 1 gone" \
	"^recording: *off$" "^webhooks: "; do
	grep -Eq "$want" <<<"$st" || fail "status lacks /$want/:"$'\n'"$st"
done
[ "$(status_field 's["uptime_s"] >= 0 and s["pid"] == '"$COLLECTOR_PID")" = True ] ||
	fail "status --json: uptime or pid wrong: $(cat "$T/status.json")"
# the sleeper once, with its one process (an agent the default policy knows,
# started on this machine by someone else, may be listed too: not ours)
[ "$(status_field '[(a["name"], a["agent_pid"], a["processes"]) for a in s["agents"]
	if a["name"] == "sleeper" or a["agent_pid"] == '"$sleeper"']')" = \
	"[('sleeper', $sleeper, 1)]" ] || fail "status --json agents: $(cat "$T/status.json")"
# status's counts are the printed events': read between two counts of the
# output that agree.  Another test's agent, tagged by this collector too, may
# be printing meanwhile (an event counted, its line not yet written): then
# read again; a difference that lasts 50 reads fails
counts_agree() {
	local o1 d1 so sd
	o1=$(jq count type=open) d1=$(jq sum lost type=drop)
	so=$(status_field 's["events"]["open"]') sd=$(status_field 's["drops"]["total"]')
	why="the output moved during the status read"
	[ "$(jq count type=open)" = "$o1" ] && [ "$(jq sum lost type=drop)" = "$d1" ] || return 1
	why="status --json events.open $so, drops.total $sd; printed: $o1 open events, $d1 lost in drop events"
	[ "$so" -eq "$o1" ] && [ "$sd" -eq "$d1" ]
}
for ((i = 0; i < 50; i++)); do
	counts_agree && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "status counts are not the printed events: $why"
missed=$(status_field 's["tail"]["missed"]')
[ "$missed" -gt 0 ] || fail "the client that never reads missed nothing"

# each reading client got exactly its events; SIGTERM ends tail with 0
n_opens=$(same_soon opens type open) || fail "opens: not the collector's open events"
n_other=$(same_soon other agent other) || fail "other: not the collector's events of agent other"
n_tree=$(same_soon tree pid "$root" "\"path\":\"$T/go\"") ||
	fail "tree: not the collector's events of pid $root's tree"
for name in opens tree; do
	kill -TERM "${TAILPID[$name]}"
	wait "${TAILPID[$name]}"
	rc=$?
	[ "$rc" -eq 0 ] || fail "tail ($name) exited $rc on SIGTERM: $(cat "$T/$name.err")"
done

# bad filters: one line, exit 2, from the client or the collector
out=$(am tail --socket "$SOCK" --type open,bogus 2>&1)
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "unknown event type 'bogus'" <<<"$out" ||
	fail "tail --type bogus: exit $rc, '$out'"
out=$(am tail --socket "$SOCK" --pid 12ab 2>&1)
[ $? -eq 2 ] && grep -q "bad pid" <<<"$out" || fail "tail --pid 12ab: '$out'"
reply=$("$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"tail type=open,bogus\n")
print(s.recv(512).decode().strip())' "$SOCK")
[[ $reply == "error unknown event type 'bogus'"* ]] || fail "collector's reply to a bad filter: '$reply'"

# no collector on the socket: one line, exit 1
for cmd in tail status; do
	out=$(am $cmd --socket "$T/none.sock" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] &&
		grep -q "no collector is running on $T/none.sock" <<<"$out" ||
		fail "$cmd without a collector: exit $rc, '$out'"
done

# 64 tail clients at once from root, which holds 2 already: 30 accepted (32 a
# uid, CONTROL_TAILS_PER_UID), the rest told "too many clients"; launch and
# status still answer, and every accepted client gets its event
"$PY" - "$SOCK" "$AGENTMON" <<'PY' || fail "64 tail clients (32 a uid) with launch and status"
import socket, subprocess, sys, time
path, agentmon = sys.argv[1:3]
clients = []
for _ in range(64):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"tail json agent=many type=exec\n")
    clients.append(s)
ok, refused = [], 0
for s in clients:
    s.settimeout(5)
    first = s.recv(64)
    if first == b"ok\n":
        ok.append(s)
    else:
        assert first == b"error too many clients\n", first
        refused += 1
assert len(ok) == 30 and refused == 34, (len(ok), refused)
subprocess.run([agentmon, "launch", "--socket", path, "--agent", "many", "--", "/bin/true"],
               check=True)
st = subprocess.run([agentmon, "status", "--socket", path], check=True,
                    capture_output=True, text=True).stdout
assert "32 connected" in st, st  # the 30, the "other" client, the one never reading
for s in ok:
    got = b""
    while b"\n" not in got:
        got += s.recv(4096)
    assert b'"type":"exec"' in got and b'"agent":"many"' in got, got
PY

# the collector goes away: a client says so and exits 1
stop_collector
wait "${TAILPID[other]}"
rc=$?
[ "$rc" -eq 1 ] && grep -q "collector went away" "$T/other.err" ||
	fail "tail after the collector stopped: exit $rc, '$(cat "$T/other.err")'"

# --socket-group: 0660 root:GROUP; an unknown group is a usage error
out=$(am run --socket "$T/g.sock" --socket-group no-such-group-here 2>&1)
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] || fail "unknown --socket-group: exit $rc, '$out'"
start_collector --socket-group daemon
mode=$(stat -c '%a %U:%G' "$SOCK")
[ "$mode" = "660 root:daemon" ] || fail "socket with --socket-group daemon is '$mode'"
stop_collector

pass "burst of $N opens in ${ms} ms ($seen printed, $lost lost); clients got exactly" \
	"$n_opens opens, $n_other of agent other, $n_tree of the burst tree; the idle one" \
	"missed $missed; status, bad filters, 64 clients, socket group"
