#!/bin/bash
# The collector's end of a model API exchange does not take back the
# kernel's arming for the next request (issue 12): the kernel arms the
# capture of a process's TLS reads when it writes a POST head (llm_rx), the
# collector sets a budget of its own while it reads an exchange (llm_watch)
# and deletes it at the exchange's end.  Both were one map: a collector
# behind the kernel deleted the arming of a request written meanwhile.
# Made deterministic by stopping the collector: a tagged curl POSTs a
# Messages request to api.anthropic.com (a local server that holds each
# answer until the test says), the collector is stopped (SIGSTOP), answer 1
# comes, curl POSTs its next request (count_tokens, not an exchange), the
# collector goes on and ends exchange 1 (its llm event): the kernel's
# arming for request 2 is still in llm_rx, the collector's budget is gone
# from llm_watch.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v bpftool >/dev/null || skip "needs bpftool (reads the kernel's maps)"
local_names api.anthropic.com
PROMPT="count the files"
"$PY" - "$T/answer" <<'PY'
import json, sys
ev = lambda t, d: "event: %s\ndata: %s\n\n" % (t, json.dumps(d))
open(sys.argv[1], "w").write("".join([
    ev("message_start", {"type": "message_start", "message": {"model": "claude-rearm"}}),
    ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block":
                               {"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}}),
    ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta":
                               {"type": "input_json_delta", "partial_json": "{\"command\": \"ls | wc -l\"}"}}),
    ev("message_stop", {"type": "message_stop"})]))
PY
bg "$PY" "$HELPERS/hold_server.py" "$T/port" "$T" "$T/cert.pem" "$T/key.pem"
wait_file "$T/port"
PORT=$(cat "$T/port")
start_collector

BODY="{\"model\":\"claude-rearm\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}"
URL=https://api.anthropic.com:$PORT/v1/messages
bg in_ns "$AGENTMON" launch --socket "$SOCK" --agent rearm -- curl -sS --max-time 60 \
	--cacert "$T/cert.pem" -H 'content-type: application/json' -d "$BODY" "$URL" \
	--next --cacert "$T/cert.pem" -d '{}' "$URL/count_tokens" >"$T/curl.out" 2>&1
wait_file "$T/got.1" 20
CURL=$(field pid type=exec agent=rearm exe~curl) || exit 1
kill -STOP "$COLLECTOR_PID"
STOPPED=1
trap '_rc=$?; [ -n "${STOPPED:-}" ] && kill -CONT "$COLLECTOR_PID" 2>/dev/null; (exit $_rc); _cleanup' EXIT
touch "$T/go.1"
wait_file "$T/got.2" 20 # curl read answer 1 and wrote request 2: the kernel armed
kill -CONT "$COLLECTOR_PID"
STOPPED=
wait_event 20 type=llm agent=rearm pid="$CURL" model=claude-rearm prompt="$PROMPT" tools~'"name": "Bash"'

# llm_rx / llm_watch value of curl's pid in any map of that name (only this
# collector's tagged curl), or nothing
budget() {
	local key id
	key=$(printf '%d %d %d %d' $((CURL & 255)) $((CURL >> 8 & 255)) $((CURL >> 16 & 255)) $((CURL >> 24)))
	for id in $(bpftool -j map show | "$PY" -c 'import json, sys
print(" ".join(str(m["id"]) for m in json.load(sys.stdin) if m.get("name") == sys.argv[1]))' "$1"); do
		# shellcheck disable=SC2086
		bpftool -j map lookup id "$id" key $key 2>/dev/null | "$PY" -c 'import json, sys
v = json.load(sys.stdin)
if not isinstance(v, dict):
    sys.exit(0)
v = v.get("formatted", {}).get("value", v.get("value"))
print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little", signed=True))'
	done
}
rx=$(budget llm_rx)
watch=$(budget llm_watch)
[ -n "$rx" ] && [ "$rx" -gt 0 ] ||
	fail "the kernel's arming for curl's second request (llm_rx) is gone after the collector ended exchange 1 ('$rx')"
[ -z "$watch" ] || fail "the collector's budget (llm_watch) outlived its exchange: $watch"
touch "$T/go.2"
exited_curl() { exited "$CURL"; }
wait_for 20 "curl's end" exited_curl
[ -z "$(budget llm_rx)" ] || fail "llm_rx kept curl's entry after its exit"
pass "the collector ending an exchange late leaves the kernel's arming for the next request (llm_rx $rx bytes), its own budget (llm_watch) deleted, both gone at exit"
