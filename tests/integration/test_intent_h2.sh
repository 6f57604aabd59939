#!/bin/bash
# Model API exchanges over HTTP/2 (issue 12): a tagged agent (curl --http2,
# OpenSSL, its plaintext seen by the TLS uprobes) POSTs an Anthropic Messages
# request to api.anthropic.com (a built-in llm host; a local node HTTP/2
# server over TLS), which answers with server-sent events in DATA frames
# carrying a tool call (Bash: curl -X POST ...).  The exchange is an llm
# event (host, model, the prompt, the tool call, nothing missed), live and
# from a replay of the recorded trace.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v node >/dev/null || skip "needs node (the HTTP/2 server)"
local_names api.anthropic.com
PROMPT="answer the question on the forum"
CMD="curl -X POST -d answer https://forum.corp.example/t/1"
cat >"$T/answer.sse" <<A
event: message_start
data: {"type":"message_start","message":{"model":"claude-h2","content":[]}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"Bash","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"command\": \"$CMD\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_stop
data: {"type":"message_stop"}

A
bg node "$HELPERS/h2_server.js" "$T/port" "$T/h2.log" "$T/cert.pem" "$T/key.pem" "$T/answer.sse" \
	>"$T/server.out" 2>&1
wait_file "$T/port" 10
H2=$(cat "$T/port")
start_collector --record "$T/traces"

BODY="{\"model\":\"claude-h2\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}"
in_ns "$AGENTMON" launch --socket "$SOCK" --agent claude-h2 -- curl -sS --http2 --max-time 10 \
	--cacert "$T/cert.pem" -H 'content-type: application/json' -d "$BODY" \
	"https://api.anthropic.com:$H2/v1/messages" >"$T/curl.out" 2>&1 ||
	fail "curl --http2 POST failed: $(cat "$T/curl.out")"
grep -q '"name":"Bash"' "$T/curl.out" || fail "the server did not answer: $(head -c 300 "$T/curl.out")"

wait_event 10 type=llm agent=claude-h2 host=api.anthropic.com api=anthropic model=claude-h2 \
	prompt="$PROMPT" tools~'"name": "Bash"' tools~"$CMD"
expect_none type=llm agent=claude-h2 cut~bytes_missed
wait_event 5 type=http agent=claude-h2 version=2 method=POST path=/v1/messages
stop_collector

files=("$T"/traces/agentmon-*.amtrace)
am replay --json "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
diff <(grep '"type":"llm"' "$OUT") <(grep '"type":"llm"' "$T/replay.jsonl") >"$T/diff" ||
	fail "the replay's llm lines differ from the live run's: $(head -c 2000 "$T/diff")"
pass "an Anthropic SSE answer over HTTP/2 (curl --http2, TLS) is an llm event with its tool call, live and replayed"
