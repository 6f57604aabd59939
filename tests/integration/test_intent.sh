#!/bin/bash
# Alert intent from a real agent (issue 12).  qwen-code (from npm, installed
# by tests/agents/install.sh) runs in a loopback-only namespace against
# tests/agents/mock_api.py, its model API at llm.test (listed in the test
# policy's llm_hosts), whose answer is a tool call (MOCK_TOOL) making the
# agent run `curl -X POST` to forum.corp.example, a host the policy does not
# list.  Then:
#   - the exchange is an llm event: host, model, the prompt, the tool call;
#   - the outbound_post alert carries intent: the tool, its input (the curl
#     command), the prompt quoted, model, host, match "named";
#   - a replay of the recorded trace gives the same llm event and intent.
# Without the agent installed the test skips.
. "$(dirname "$0")/lib.sh"

qwen_tool_session

# the exchange, and the alert with the tool call behind it
wait_event 10 type=llm host=llm.test model=mock-model prompt="$PROMPT" \
	tools~'"name": "run_shell_command"' tools~"curl -s -X POST"
wait_event 10 type=alert rule=outbound_post host=forum.corp.example \
	intent~'"tool": "run_shell_command"' intent~"\"input\": \"$CMD\"" \
	intent~"\"prompt\": \"$PROMPT\"" intent~'"model": "mock-model"' \
	intent~'"host": "llm.test"' intent~'"match": "named"'
stop_collector

# the replay gives the same
replay_same '"type":"llm"' '"type":"alert".*"intent"' -- --config "$T/policy.yaml"
pass "qwen-code's tool call (curl -X POST) explains its outbound_post alert, live and replayed"
