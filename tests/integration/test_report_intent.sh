#!/bin/bash
# agentmon report with intent (issue 14).  qwen-code (from npm, installed by
# tests/agents/install.sh) runs in a loopback-only namespace against the mock
# model API (tests/agents/mock_api.py, plain HTTP at llm.test, listed in the
# policy's llm_hosts); its answer is a tool call making the agent run
# `curl -X POST` to forum.corp.example, a host the policy does not list.  The
# session's report, in JSON, text and HTML (opened in headless Chromium, its
# JavaScript errors counted, a screenshot taken), shows the outbound_post
# alert with its intent (the tool, the curl command, the prompt, the model)
# and the request (POST to forum.corp.example, verdict "not listed"), a
# destination apart from the mock's though both are 127.0.0.1:PORT.
# Without the agent installed the test skips; without chromium the HTML is
# checked as text only.
. "$(dirname "$0")/lib.sh"

qwen_tool_session
wait_event 10 type=alert rule=outbound_post host=forum.corp.example intent~'"match": "named"'
stop_collector
files=("$T"/traces/agentmon-*.amtrace)
[ -f "${files[0]}" ] || fail "no trace in $T/traces"

am report --format json --agent qwen --config "$T/policy.yaml" "${files[@]}" >"$T/report.json" \
	2>"$T/report.err" || fail "report --format json: exit $?: $(cat "$T/report.err")"
"$PY" - "$T/report.json" "$CMD" "$PROMPT" <<'P' || fail "the JSON report lacks the alert's intent"
import json, sys
r = json.load(open(sys.argv[1]))
# ours: another test's qwen may run meanwhile (every agent is recorded)
s = [x for x in r["sessions"] if x["agent"] == "qwen" and
     any(sys.argv[2].split()[-1] in y["summary"] for y in x["alerts"])] or r["sessions"]
assert len(s) == 1, [x["agent"] for x in r["sessions"]]
a = [x for x in s[0]["alerts"] if x["rule"] == "outbound_post"]
assert a, s[0]["alerts"]
i = a[0]["intent"]
assert i and i["tool"] == "run_shell_command" and i["input"] == sys.argv[2], i
assert sys.argv[3] in i["prompt"] and i["model"] == "mock-model", i
# the mock and forum.corp.example share 127.0.0.1:PORT: two destinations
d = {x["host"]: x for x in s[0]["destinations"]}
f = d.get("forum.corp.example")
assert f and f["methods"] == ["POST"] and f["paths"] == ["/t/1"], d
assert f["verdict"] == "not listed" and f["alerts"] == 1, f
assert d["llm.test"]["verdict"] == "allowed" and "/t/1" not in d["llm.test"]["paths"], d
P
am report --format text --agent qwen --config "$T/policy.yaml" "${files[@]}" >"$T/report.txt" \
	2>/dev/null || fail "report --format text failed"
for want in "ALERT outbound_post" "intent: tool run_shell_command input $CMD" "$PROMPT" \
	"POST http://forum.corp.example:$PORT/t/1" "policy: not listed"; do
	grep -qF "$want" "$T/report.txt" || fail "the text report lacks '$want': $(cat "$T/report.txt")"
done
grep -qE "\] request +POST http://forum\.corp\.example:$PORT/t/1" "$T/report.txt" ||
	fail "the text report's timeline lacks the POST under its own host: $(cat "$T/report.txt")"

am report -o "$T/report.html" --agent qwen --config "$T/policy.yaml" "${files[@]}" 2>/dev/null ||
	fail "report -o failed"
grep -qF "run_shell_command" "$T/report.html" || fail "the HTML report lacks the tool"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { skip_part "no chromium: the HTML was not opened"; pass "JSON and text reports show the alert's intent"; }
chrome() { # no network, a private profile
	HOME=$T/chrome unshare -n timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chrome" --enable-logging=stderr --v=0 "$@"
}
chrome --dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chrome.err" ||
	fail "chromium --dump-dom failed: $(tail -5 "$T/chrome.err")"
errors=$(grep -cE 'CONSOLE.*(Uncaught|Error|Refused)' "$T/chrome.err")
[ "$errors" -eq 0 ] || fail "$errors JavaScript errors: $(grep CONSOLE "$T/chrome.err" | head -5)"
grep -q '<body data-ready="1"' "$T/dom.html" || fail "the page's script did not run"
"$PY" - "$T/dom.html" "$CMD" "$PROMPT" <<'P' || fail "the rendered page lacks the alert's intent"
import html.parser, sys
class P(html.parser.HTMLParser):
    text = []
    def handle_data(self, d): self.text.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); t = "".join(p.text)
for want in ("outbound_post", "run_shell_command", sys.argv[2], sys.argv[3], "mock-model",
             "forum.corp.example", "not listed"):
    assert want in t, "not in the DOM text: " + want
P
chrome --screenshot="$T/report.png" --window-size=1280,1600 "file://$T/report.html" \
	>/dev/null 2>&1 || fail "chromium --screenshot failed"
[ "$(head -c 4 "$T/report.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "no PNG screenshot"
mkdir -p "$TOP/build" && cp "$T/report.png" "$TOP/build/report-intent-screenshot.png"
pass "qwen-code's POST alert in the report (JSON, text, HTML in chromium: 0 JS errors) with its intent: run_shell_command, the curl command, the prompt"
