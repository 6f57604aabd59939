#!/bin/bash
# Who may do what on the control socket (issue 11, "Control socket"):
# - a client that is not root sees only its own uid's agents: `status`
#   lists them and not root's, and none of the monitor-wide figures; `tail` streams their events and not root's
#   (the socket opened to everyone here, as --socket-group opens it to a
#   group);
# - an agent cannot relabel itself: `launch --agent other` from a process
#   tagged as another agent is refused with the reason and status 1, its
#   command not run, its name not interned (not in the trace's agent
#   table); launching under its own name again works.
. "$(dirname "$0")/lib.sh"

NOBODY=65534
NOBODY_CMD=(setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups)
# a command, not a function: bg's pid is then the process itself (killed at exit)
as_nobody() { "${NOBODY_CMD[@]}" "$@"; }
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
start_collector --record "$T/traces"
chmod 0666 "$SOCK" && chmod 0711 "$T" || fail "cannot open the socket to uid $NOBODY"
pub=$(mktemp -d /tmp/agentmon-peer.XXXXXX) && chmod 0755 "$pub" || fail "mktemp"
# the test's status is _cleanup's ($? as the trap began, not rm's)
# shellcheck disable=SC2154 # rc is set by the trap itself
trap 'rc=$?; rm -rf "$pub"; (exit $rc); _cleanup' EXIT
: >"$pub/root.file" && : >"$pub/nobody.file" && chmod 0644 "$pub"/*.file

# ---- one agent each: root's and nobody's, alive for the status ----
bg "$AGENTMON" launch --socket "$SOCK" --agent rootbot -- sleep 60
bg "${NOBODY_CMD[@]}" "$AGENTMON" launch --socket "$SOCK" --agent nobodybot -- sleep 60
wait_event 10 type=exec agent=rootbot
wait_event 10 type=exec agent=nobodybot
as_nobody "$AGENTMON" status --socket "$SOCK" >"$T/st.nobody" 2>&1 || fail "status as nobody failed: $(cat "$T/st.nobody")"
grep -q nobodybot "$T/st.nobody" || fail "nobody's status misses its own agent: $(cat "$T/st.nobody")"
grep -q rootbot "$T/st.nobody" && fail "nobody's status shows root's agent: $(cat "$T/st.nobody")"
# nor the monitor-wide figures (counts of everyone's events, drops, TLS verdicts by path)
grep -q "monitor-wide figures are shown to root only" "$T/st.nobody" ||
	fail "nobody's status does not say the figures are root's: $(cat "$T/st.nobody")"
grep -Eq "^(events|drops|degraded|tls binaries|recording):" "$T/st.nobody" &&
	fail "nobody's status shows monitor-wide figures: $(cat "$T/st.nobody")"
as_nobody "$AGENTMON" status --json --socket "$SOCK" >"$T/st.nobody.json" || fail "status --json as nobody failed"
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert "agents" in s and not {"events", "drops", "degraded", "tls_binaries", "resources"} & set(s), sorted(s)' \
	"$T/st.nobody.json" || fail "nobody's JSON status shows monitor-wide figures: $(cat "$T/st.nobody.json")"
"$AGENTMON" status --socket "$SOCK" >"$T/st.root" || fail "status as root failed"
grep -q nobodybot "$T/st.root" && grep -q rootbot "$T/st.root" ||
	fail "root's status misses an agent: $(cat "$T/st.root")"

# ---- tail: root's agent acts first, nobody's second; nobody sees only its own ----
bg "${NOBODY_CMD[@]}" "$AGENTMON" tail --json --socket "$SOCK" >"$T/tail.nobody" 2>"$T/tail.err"
tail_on() { "$AGENTMON" status --json --socket "$SOCK" | grep -q '"tail":{"connected":1,'; }
wait_for 5 "nobody's tail connected" tail_on
launch rootbot /bin/cat "$pub/root.file" || fail "root's agent did not run"
as_nobody "$AGENTMON" launch --socket "$SOCK" --agent nobodybot -- /bin/cat "$pub/nobody.file" ||
	fail "nobody's agent did not run"
wait_for 10 "nobody's tail shows its agent's open" grep -q "nobody.file" "$T/tail.nobody"
grep -q '"agent":"rootbot"' "$T/tail.nobody" &&
	fail "nobody's tail shows root's agent: $(grep rootbot "$T/tail.nobody" | head -n 2)"
grep -q '"uid":0,' "$T/tail.nobody" &&
	fail "nobody's tail shows a root process: $(grep '"uid":0,' "$T/tail.nobody" | head -n 2)"
wait_event 5 type=open agent=rootbot path="$pub/root.file" # root saw it all

# ---- no relabelling ----
launch outer "$AGENTMON" launch --socket "$SOCK" --agent inner -- \
	/bin/sh -c 'echo ran >"$0"' "$T/inner.ran" 2>"$T/relabel.err"
rc=$?
[ "$rc" -eq 1 ] || fail "relabel: want status 1, got $rc: $(cat "$T/relabel.err")"
grep -q "already tagged as agent outer" "$T/relabel.err" ||
	fail "relabel: the reason is not given: $(cat "$T/relabel.err")"
[ -e "$T/inner.ran" ] && fail "relabel: the command ran"
launch outer "$AGENTMON" launch --socket "$SOCK" --agent outer -- /bin/true ||
	fail "launching under its own name again was refused"
sentinel
expect_none agent=inner
stop_collector
# the refused name was not interned: the trace's agent table has outer, not inner
trace_raw "$T/raw" "$T"/traces/agentmon-*.amtrace || fail "cannot decompress the traces"
"$PY" - "$T/raw" >"$T/agents" <<'P' || fail "cannot read the trace's agent table"
import struct, sys
b, off = open(sys.argv[1], "rb").read(), 0
while off + 8 <= len(b):
    n, kind = struct.unpack_from("<IH", b, off)
    if kind == 2:  # TRACE_AGENT: id, then the name
        print(b[off + 12:off + 8 + n].split(b"\0")[0].decode())
    off += 8 + (n + 7) // 8 * 8
P
grep -qx outer "$T/agents" || fail "the trace's agent table lacks outer: $(tr '\n' ' ' <"$T/agents")"
grep -qx inner "$T/agents" && fail "a refused launch interned its name: $(tr '\n' ' ' <"$T/agents")"
pass "nobody sees only its agent (status, tail); an agent cannot relabel itself, nor leave its name behind"
