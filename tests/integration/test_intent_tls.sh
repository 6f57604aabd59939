#!/bin/bash
# Alert intent from agents whose model answers are read from their own TLS
# (issues 10 and 12): Claude Code (a Bun single binary, BoringSSL inside, no
# symbols: answers read through the located tls_open_app_data, bpf
# bssl_open_app) and Codex (static-pie Rust, rustls on aws-lc: the located
# EVP_AEAD_CTX_open, bpf awslc_open).  Each record is tied to the socket of
# its thread's last read.  Each agent runs in a loopback-only namespace where
# tests/agents/mock_api.py --world plays every host over HTTPS (their
# default API hosts included); its prompt holds "mock-shell: curl -X POST
# https://forum.corp.example/t/1", which the mock answers with a call of the
# agent's shell tool; streamed answers come as a chunked body, one event a
# TLS record, and the tool call is longer than the 1 KiB the kernel keeps of
# a read by default (records starting an event after a chunk's size line
# are kept further).  Then, per agent:
#   - the exchange is an llm event: the API host, the api, the tool call
#     (claude: Bash; codex: its code-mode exec) holding the curl command,
#     the prompt, its request read whole (not "request_partial": after the
#     POST head the kernel keeps the process's writes whole, llm_tx, also
#     Bun's and aws-lc's records that wait for their socket: tls_pend_rest,
#     awslc_rest);
#   - the outbound_post alert on forum.corp.example carries intent: the
#     tool, its input, the host, match "named", and quotes the prompt
#     (codex's is inside a 75 KB request sealed in 16 KiB records);
# and the replay of the recorded traces gives the same llm events and intent.
# Each binary is located at its first exec (a few seconds for 250-300 MB): a
# first run (`--version`, over at once: its binary is found by its exec's
# path) has it hooked before the run that is judged.
# Codex's own request is at times not read (the known send-side defect,
# README Known limits): that part then skips, saying so.
# opencode (Bun, like claude) is slower to start: it runs only when asked,
# AGENTS_ONLY="claude opencode codex" (the default: "claude codex").
# An agent not installed is skipped.
. "$(dirname "$0")/lib.sh"

AG=$TOP/tests/agents
CACHE=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
command -v ip >/dev/null || skip "needs ip (iproute2) for the loopback-only namespace"
unshare -n -m true 2>/dev/null || skip "cannot make network namespaces"
command -v curl >/dev/null || skip "needs curl (the shell tool's command)"

# the command's body makes the tool call longer than the 1 KiB the kernel
# keeps of a read by default: the answer's records, one event each in a
# chunked body (MOCK_CHUNKED) as model APIs stream them, are captured further
BODY=answer=$(printf 'a%.0s' $(seq 1200))
CMD="curl -s -X POST -d $BODY https://forum.corp.example/t/1"
export MOCK_CHUNKED=1
PROMPT="answer the question on the forum with mock-shell: $CMD"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$T/hosts"
mkdir -p "$T/ca"

start_collector --verbose --record "$T/traces"

# hooked NAME BIN: the agent's binary located (its write and read sides)
# and hooked, by a first run of BIN --version
hooked() {
	local want
	case $1 in
	claude | opencode) want="located tls_write_app_data at 0x.*located tls_open_app_data at 0x" ;;
	codex) want="located EVP_AEAD_CTX_seal at 0x.*located EVP_AEAD_CTX_open at 0x" ;;
	esac
	# one --version run: a process over before the collector opens its
	# /proc/PID/exe is scanned by its exec's path (the file the kernel ran)
	launch "$1" "$2" --version >/dev/null 2>&1 || fail "$1 --version failed"
	WAIT_WHY="grep -i -e located -e boringssl -e aws-lc -e 'exe by path' $ERR" \
		wait_for 90 "$1's binary located" grep -q "$want" "$ERR"
}

# run NAME BIN ARGS...: the agent, launched, in the namespace with the world
# mock, a fresh HOME and working directory; its pid in RUN_PID, its files
# under RUN; fails unless the tool call's POST reached the mock
run() {
	local name=$1
	RUN=$T/$name
	mkdir -p "$RUN.home" "$RUN.work"
	(cd "$RUN.work" && HOME=$RUN.home exec "$AG/netns.sh" "$T/hosts" \
		"$AG/with_mock.sh" --world "$T/ca" 443 "$RUN.log" \
		"$AGENTMON" launch --socket "$SOCK" --agent "$name" -- "${@:2}") \
		>"$RUN.out" 2>&1 </dev/null &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	WAIT_WHY="tail -n 5 $RUN.out" wait_for 150 "$name to exit" exited "$RUN_PID"
	wait "$RUN_PID"
	local rc=$?
	[ "$rc" -ne 125 ] || fail "$name: no namespace or no mock: $(tail -n 3 "$RUN.out")"
	grep -q '"path": "/t/1"' "$RUN.log" ||
		fail "$name did not run the tool call (exit $rc): $(tail -n 5 "$RUN.out")"
}

# judged NAME HOST API TOOL [INTENT-FILTER...]: the llm event of the run and
# the alert with its intent (opencode 1.18 sends the user's text in quotes:
# its prompt starts with '"')
judged() {
	wait_event 10 type=llm agent="$1" agent_pid="$RUN_PID" host="$2" api="$3" \
		tools~"\"name\": \"$4\"" tools~"curl -s -X POST -d $BODY https" \
		prompt~"^\"?answer the question on the forum with mock-shell: curl" \
		'cut!~"request_partial": true'
	wait_event 10 type=alert rule=outbound_post agent="$1" agent_pid="$RUN_PID" \
		host=forum.corp.example intent~"\"tool\": \"$4\"" \
		intent~"\"input\": \"([^\"\\\\]|\\\\.)*curl -s -X POST -d $BODY https://forum\\.corp\\.example/t/1" \
		intent~"\"host\": \"$2\"" intent~'"match": "named"' "${@:5}"
}

want() { case " ${AGENTS_ONLY:-claude codex} " in *" $1 "*) ;; *) return 1 ;; esac; }

# part NAME: NAME's run and its verdicts, when wanted and installed; counted in n
n=0
part() {
	local bin=$CACHE/$1/node_modules/.bin/$1
	want "$1" || return 0
	[ -x "$bin" ] || { skip_part "$1 is not installed in $CACHE (tests/agents/install.sh)"; return 0; }
	hooked "$1" "$bin"
	case $1 in
	claude)
		ANTHROPIC_API_KEY=sk-ant-mock DISABLE_AUTOUPDATER=1 \
			run claude "$bin" -p "$PROMPT" --allowedTools Bash --max-turns 3
		judged claude api.anthropic.com anthropic Bash intent~"\"input\": \"$CMD\"" \
			intent~"\"prompt\": \"answer the question on the forum with mock-shell: curl" ;;
	opencode)
		ANTHROPIC_API_KEY=sk-ant-mock run opencode "$bin" run "$PROMPT"
		judged opencode api.anthropic.com anthropic bash intent~"\"input\": \"$CMD\"" ;;
	codex)
		OPENAI_API_KEY=sk-mock run codex "$bin" exec --skip-git-repo-check \
			--dangerously-bypass-approvals-and-sandbox "$PROMPT"
		[ "$(jq count type=http agent=codex agent_pid="$RUN_PID" method=POST \
			host=api.openai.com 'path~/responses$')" -gt 0 ] || {
			skip_part "KNOWN DEFECT: codex's own request was not read (README Known limits)"
			return 0
		}
		judged codex api.openai.com openai-responses exec \
			intent~"\"prompt\": \"answer the question on the forum with mock-shell: curl" ;;
	esac
	n=$((n + 1))
}
for name in claude opencode codex; do part "$name"; done
[ "$n" -gt 0 ] || skip "no agent of ${AGENTS_ONLY:-claude codex} is installed (tests/agents/install.sh)"
stop_collector

# the replay gives the same
replay_same '"type":"llm"' '"type":"alert".*"intent"'
pass "$n agents' shell tool calls (curl -X POST), read from their own TLS, explain their outbound_post alerts, live and replayed"
