#!/bin/bash
# Model API answers over HTTP/2 and long ones (issue 12): a tagged agent
# (curl, OpenSSL: its plaintext seen by the TLS uprobes) POSTs an Anthropic
# Messages request to api.anthropic.com (a built-in llm host; a local node
# server over TLS) whose server-sent events answer is ~64 KiB of text and
# then a tool call (Bash: curl -X POST ...):
#   - HTTP/2, one event per DATA frame;
#   - HTTP/2, the whole answer in one write (16 KiB frames and records);
#   - HTTP/1.1, the whole answer in one write (chunked).
# The request carries a 24 KiB earlier turn before the prompt: it is read
# whole (the kernel keeps a process's writes after a POST head, llm_tx).
# The tool call is past what the kernel captures of a read that does not
# start an answer (data_cap) and past 32 KiB: each exchange is an llm event
# with the tool call and no byte missed (the collector has the kernel
# capture the process's TLS reads while it reads the exchange), live and
# from a replay of the recorded trace.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v node >/dev/null || skip "needs node (the HTTP/2 server)"
local_names api.anthropic.com
PROMPT="answer the question on the forum"
CMD="curl -X POST -d answer https://forum.corp.example/t/1"
"$PY" - "$T/answer.sse" "$CMD" <<'PY'
import json, sys
ev = lambda t, d: "event: %s\ndata: %s\n\n" % (t, json.dumps(d))
out = [ev("message_start", {"type": "message_start", "message": {"model": "claude-h2"}}),
       ev("content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}})]
out += [ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "text_delta", "text": "thinking %d " % i + "x" * 900}})
        for i in range(64)]
out += [ev("content_block_start", {"type": "content_block_start", "index": 1, "content_block":
                                   {"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}}),
        ev("content_block_delta", {"type": "content_block_delta", "index": 1, "delta":
                                   {"type": "input_json_delta", "partial_json": json.dumps({"command": sys.argv[2]})}}),
        ev("message_stop", {"type": "message_stop"})]
open(sys.argv[1], "w").write("".join(out))
PY
bg node "$HELPERS/h2_server.js" "$T/port" "$T/h2.log" "$T/cert.pem" "$T/key.pem" "$T/answer.sse" \
	>"$T/server.out" 2>&1
wait_file "$T/port" 10
H2=$(cat "$T/port")
start_collector --record "$T/traces"

# a 24 KiB earlier turn first: the request body is read whole (llm_tx), not
# only its first bytes (then bytes_missed; one write of more than 32 KiB,
# as curl makes over HTTP/1.1, is kept up to 32 KiB)
FILLER=$(head -c 24576 /dev/zero | tr '\0' f)
BODY="{\"model\":\"claude-h2\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$FILLER\"},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"$PROMPT\"}]}"
ask() { # AGENT CURL-ARGS...: a tagged curl POSTs the request
	local name=$1
	shift
	in_ns "$AGENTMON" launch --socket "$SOCK" --agent "$name" -- curl -sS --max-time 10 \
		--cacert "$T/cert.pem" -H 'content-type: application/json' -d "$BODY" "$@" \
		>"$T/$name.out" 2>&1 || fail "$name: curl failed: $(head -c 300 "$T/$name.out")"
	grep -q '"name": "Bash"' "$T/$name.out" || fail "$name: no answer: $(head -c 300 "$T/$name.out")"
}
URL="https://api.anthropic.com:$H2/v1/messages"
ask h2-events --http2 "$URL"
ask h2-whole --http2 "$URL?whole"
ask h1-whole --http1.1 "$URL?whole"

for a in h2-events h2-whole h1-whole; do
	wait_event 10 type=llm agent=$a host=api.anthropic.com api=anthropic model=claude-h2 \
		prompt="$PROMPT" tools~'"name": "Bash"' tools~"$CMD"
done
expect_none type=llm cut~bytes_missed
wait_event 5 type=http agent=h2-whole version=2 method=POST path=/v1/messages?whole
stop_collector

files=("$T"/traces/agentmon-*.amtrace)
am replay --json "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
diff <(grep '"type":"llm"' "$OUT") <(grep '"type":"llm"' "$T/replay.jsonl") >"$T/diff" ||
	fail "the replay's llm lines differ from the live run's: $(head -c 2000 "$T/diff")"
pass "~64 KiB Anthropic SSE answers with a late tool call (HTTP/2 event by event, HTTP/2 and HTTP/1.1 in one write; curl over TLS) are llm events with the tool call, nothing missed, live and replayed"
