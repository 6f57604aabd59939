#!/bin/bash
# Forged output (issue 11, "Forged output"): names an agent chooses reach
# the collector's log lines, text output and Slack messages.
# - journal: an agent runs a TLS client from a directory named
#   "x\n<2>agentmon: forged"; the warning naming its exe stays one line
#   with \x0a, and no line of stderr (journal format) starts anywhere but
#   with the collector's own "<N>";
# - text (tail): a file name with ESC, a C1 CSI, invalid UTF-8 and a newline
#   is shown with \xNN, none of those bytes raw;
# - Slack: a POST to "/<!channel>" raises an alert whose Slack text carries
#   &lt;!channel&gt;, never <!channel>; the body holds alert_id and
#   sent_at, signed;
# - secrets: a secret file others can read is refused on reload (the old
#   webhook keeps delivering) and at start (status 2, the file named); a
#   plain http:// URL to another host is warned about.
. "$(dirname "$0")/lib.sh"

bg "$PY" "$HELPERS/listener.py" "$T/port" 60 >/dev/null 2>&1
wait_file "$T/port"
port=$(cut -d" " -f1 "$T/port")
hook_port=$(free_port)
printf 'k3y\n' >"$T/secret" && chmod 600 "$T/secret"
bg "$PY" "$HELPERS/webhook_receiver.py" --port "$hook_port" --secret-file "$T/secret" \
	--log "$T/hook.log"
hook_up() { "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$hook_port),0.2)" 2>/dev/null; }
wait_for 5 "the webhook receiver" hook_up
printf 'alerts:\n  spool_dir: %s/spool\n  webhooks:\n    - url: %s\n      secret_file: %s\n      format: slack\n' \
	"$T" "http://127.0.0.1:$hook_port/hook" "$T/secret" >"$T/policy.yaml"
export JOURNAL_STREAM=8:4242 # stderr as the journal reads it: "<N>message"
start_collector --config "$T/policy.yaml"
unset JOURNAL_STREAM

# ---- text output: a hostile file name, through tail ----
bg "$AGENTMON" tail --socket "$SOCK" >"$T/tail.txt" 2>&1
tail_on() { "$AGENTMON" status --json --socket "$SOCK" | grep -q '"tail":{"connected":1,'; }
wait_for 5 "the tail client" tail_on
launch namer "$PY" -c 'import sys; open(sys.argv[1].encode() + b"/f\x1b]0;pwn\x07\xc2\x9b31m\xff\n<2>agentmon: forged", "w")' "$T" ||
	fail "the hostile open failed"
wait_for 10 "the hostile name in tail's text" grep -qF '/f\x1b]0;pwn\x07\xc2\x9b31m\xff\x0a<2>agentmon: forged' "$T/tail.txt"
"$PY" - "$T/tail.txt" <<'PYEOF' || fail "tail's text has raw control bytes: $(grep -a forged "$T/tail.txt" | od -c | head -n 5)"
import sys
b = open(sys.argv[1], "rb").read()
bad = [x for x in (b"\x1b", b"\x07", b"\xc2\x9b", b"\xff") if x in b]
lines = [l for l in b.split(b"\n") if l.startswith(b"<2>")]
sys.exit(1 if bad or lines else 0)
PYEOF

# ---- journal: an exe path with a newline and a priority ----
evil="$T/x
<2>agentmon: forged"
mkdir -p "$evil" && cp "$(readlink -f "$PY")" "$evil/python3" || fail "cannot copy python"
launch rawbot "$evil/python3" "$EV_HELPERS/raw_tls.py" 127.0.0.1 "$port" paste.example.net 12000 ||
	fail "the raw TLS client failed"
wait_event 10 type=alert rule=unseen_tls agent=rawbot
wait_for 5 "the warning naming the exe" grep -qF 'x\x0a<2>agentmon: forged/python3[' "$ERR"
grep -vE '^<[0-7]>' "$ERR" >"$T/foreign" && fail "stderr has lines the collector did not start: $(head -n 3 "$T/foreign")"
grep -q '^<2>agentmon: forged' "$ERR" && fail "a forged journal line at priority 2: $(grep '^<2>' "$ERR" | head -n 2)"

# ---- Slack: an agent-chosen summary with <!channel> ----
launch poster "$PY" - "$port" <<'PYEOF' || fail "the POST failed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /<!channel>/<@U123|boss> HTTP/1.1\r\nHost: forum.example\r\nContent-Length: 2\r\n\r\nhi")
s.close()
PYEOF
wait_event 10 type=alert rule=outbound_post agent=poster
hook_text() {
	"$PY" - "$T/hook.log" "$1" <<'PYEOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if sys.argv[2] in r["body"]["text"]:
        ok = r["signature_ok"] and r["body"]["alert_id"] == r["id"] and r["body"]["sent_at"]
        print(r["body"]["text"] if ok else "BAD " + l)
        sys.exit(0)
sys.exit(1)
PYEOF
}
has_hook() { hook_text "$1" >/dev/null; }
wait_for 10 "the Slack delivery of the poster's alert" has_hook "poster"
text=$(hook_text poster)
case $text in
BAD*) fail "the Slack delivery is not signed with its id inside: $text" ;;
*"<!channel>"* | *"<@U123"*) fail "Slack text carries a control sequence: $text" ;;
*"&lt;!channel&gt;"*"&lt;@U123|boss&gt;"*) ;;
*) fail "Slack text lacks the escaped path: $text" ;;
esac

# ---- secrets: reload with a readable secret is refused, the old webhook runs on ----
chmod 0644 "$T/secret"
kill -HUP "$COLLECTOR_PID"
wait_for 5 "the reload refused" grep -q "policy reload refused, keeping the old one: .*secret_file $T/secret: mode 0644" "$ERR"
launch poster2 "$PY" - "$port" <<'PYEOF' || fail "the second POST failed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /again HTTP/1.1\r\nHost: forum2.example\r\nContent-Length: 2\r\n\r\nhi")
s.close()
PYEOF
wait_for 10 "delivery by the old webhook after the refused reload" has_hook "poster2"
stop_collector
# at start: refused, the file named; a plain http:// URL to another host is warned about
sed -i "s|http://127.0.0.1:$hook_port/hook|http://hooks.example/agentmon|" "$T/policy.yaml"
"$AGENTMON" run --config "$T/policy.yaml" --socket "$T/other.sock" --no-record --no-pin \
	>/dev/null 2>"$T/start.err"
rc=$?
[ "$rc" -eq 2 ] || fail "start with a readable secret: want status 2, got $rc: $(cat "$T/start.err")"
grep -q "$T/policy.yaml:[0-9]*: secret_file $T/secret: mode 0644 lets group or others read" "$T/start.err" ||
	fail "start: the refusal does not name the file: $(cat "$T/start.err")"
grep -q "plain http:// to a host that is not this machine" "$T/start.err" ||
	fail "start: no warning for http:// to another host: $(cat "$T/start.err")"
pass "log lines, tail text and Slack text escape agent-chosen names; readable secrets refused at start and reload"
