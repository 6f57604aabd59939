# shellcheck shell=bash
# lib.sh - shared code of the root integration tests.  Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# On sourcing: requires root and build/agentmon (else the test SKIPs with
# exit 77), makes a private temp dir $T and registers a cleanup trap that
# stops every collector and background process the test started and removes
# $T (kept when KEEP_T is set, to read a failed run's files).  Tests then use:
#
#   start_collector [RUN-ARGS...]  collector on $SOCK, JSON to $OUT, stderr
#                                  to $ERR; waits for "ready"; --no-record
#                                  unless RUN-ARGS has --record DIR (or
#                                  RECORD_ARGS is set, even to ""); its tags
#                                  pinned in $PIN_DIR (removed at exit); its
#                                  TLS cache $T/tls-cache.d/cache (TLS_CACHE:
#                                  another) unless RUN-ARGS has --tls-cache
#   stop_collector [SIG]           signal it (TERM), assert exit 0 within 2 s;
#                                  sets STOP_MS and validates $OUT
#   am ARGS...                     build/agentmon ARGS...
#   launch NAME CMD...             agentmon launch --socket $SOCK --agent NAME -- CMD...
#   bg CMD...                      run CMD in the background, killed at exit
#   jq CMD ...                     tests/integration/jq.py $OUT CMD ... (see there)
#   wait_event SECS FILTER...      until an event matches, else fail
#   expect N FILTER...             exactly N matching events, else fail
#   expect_min N FILTER...         at least N
#   expect_none FILTER...          none
#   field NAME FILTER...           NAME of the first matching event, else fail
#   wait_file PATH [SECS]          until PATH exists (non-empty), else fail
#   opens_accounted N              whether the collector has counted N open
#                                  events or lost events (status), for
#                                  wait_for before counting a burst's opens
#   wait_for SECS WHAT CMD...      until CMD succeeds (polled), else fail
#                                  "WHAT not within SECS s" (and what the
#                                  command WAIT_WHY prints, when set); for a
#                                  count or a state, instead of reading it
#                                  once after a fixed sleep.  CMD's words are
#                                  expanded once: poll a function, not
#                                  test "$(...)"
#   free_port                      a free TCP port on 127.0.0.1
#   qwen_tool_session              qwen-code against the mock model API, its
#                                  tool call a POST (recorded; see below)
#   webhook_deliveries LOG [--unique-alerts]
#                                  deliveries webhook_receiver.py logged, when
#                                  all are signed, carry their id inside the
#                                  signed body and none repeats an id (nor,
#                                  with --unique-alerts, a rule+host+agent);
#                                  else a message on stderr and status 1
#   wait_deliveries LOG N [OPT]    until LOG holds N deliveries, else fail
#   replay_same KIND... [-- ARGS]  the replay of $T/traces gives the live
#                                  run's KIND lines (grep patterns)
#   sentinel [CMD...]              proves the collector caught up: CMD PATH
#                                  (launch sentinel /bin/cat) opens a fresh
#                                  path, its open event is waited for; assert
#                                  absence ("no event", "no alert") only after
#                                  it (or after stop_collector, which drains)
#   fail MSG                       prints context, exit 1
#   skip MSG                       the whole test skips: exit 77
#   skip_part MSG                  one part of the test does not run here: a
#                                  line "SKIP-PART: TEST: MSG" that
#                                  tools/run-tests.sh counts as skipped
#   pass MSG                       one summary line, exit 0
set -u

TEST_NAME=$(basename "$0" .sh)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AGENTMON=${AGENTMON:-$TOP/build/agentmon}
JQPY=$TOP/tests/integration/jq.py
HELPERS=$TOP/tests/integration/helpers
HELPER_BIN=$TOP/build/tests/integration
# the system interpreter, not a version-manager shim: tests exec it by path
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
READY_TIMEOUT=${READY_TIMEOUT:-30}
# how long a sentinel's event may take (generous: sanitizer builds, busy CPUs)
SENTINEL_TIMEOUT=${SENTINEL_TIMEOUT:-60}
SENTINEL_N=0

COLLECTOR_PID=
COLLECTOR_N=0
BG_PIDS=()
T=
SOCK=
# the tags a test's collectors pin (and adopt across its restarts)
PIN_DIR=/sys/fs/bpf/agentmon-test-$TEST_NAME-$$
OUT=/dev/null
ERR=/dev/null

skip() {
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

# skip_part MSG: say that a part of the test was not run, and why; the test
# goes on (tools/run-tests.sh counts each such line in its skipped total)
skip_part() {
	echo "SKIP-PART: $TEST_NAME: $*"
}

fail() {
	echo "FAIL: $TEST_NAME: $*"
	if [ -s "$OUT" ]; then
		echo "---- last 15 lines of collector stdout ($(wc -l <"$OUT") lines) ----"
		tail -n 15 "$OUT" | cut -c1-400
	fi
	if [ -s "$ERR" ]; then
		echo "---- collector stderr (last 20 lines) ----"
		tail -n 20 "$ERR"
	fi
	exit 1
}

pass() {
	echo "PASS: $TEST_NAME: $*"
	exit 0
}

am() { "$AGENTMON" "$@"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# bg CMD...: background process killed by the cleanup trap; pid in BG_PID
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# _kill_left_in_t: kill what the test's programs left running in $T (a
# process whose working directory is under it: cline's --cline-hub-daemon
# outlives `cline PROMPT`), by pid
# (the test's own shell, which may have cd'd into $T, leaves it first: it
# would kill itself and its status with it)
_kill_left_in_t() {
	local p c
	[ -n "$T" ] || return 0
	cd / || return 0
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		c=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $c in "$T"/*) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
	done
}

_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	if [ -n "$COLLECTOR_PID" ] && kill -0 "$COLLECTOR_PID" 2>/dev/null; then
		kill -TERM "$COLLECTOR_PID" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$COLLECTOR_PID" 2>/dev/null
	fi
	for p in "${BG_PIDS[@]}"; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null
	done
	_kill_left_in_t
	[ -n "$T" ] && [ -z "${KEEP_T:-}" ] && rm -rf "$T"
	[ -n "$PIN_DIR" ] && rm -rf "$PIN_DIR"
	exit "$rc"
}

start_collector() {
	[ -z "$COLLECTOR_PID" ] || fail "start_collector: one is already running"
	COLLECTOR_N=$((COLLECTOR_N + 1))
	OUT=$T/out.$COLLECTOR_N.jsonl
	ERR=$T/err.$COLLECTOR_N.log
	: >"$OUT"
	# a simple command, so that $! is the collector itself; signals reset
	# because a non-interactive shell starts background jobs with SIGINT
	# ignored
	local rec=${RECORD_ARGS---no-record}
	case " $* " in *" --record "*) rec= ;; esac
	# the TLS verdicts cache of this test alone (TLS_CACHE: another file)
	local cache="--tls-cache ${TLS_CACHE:-$T/tls-cache.d/cache}"
	case " $* " in *" --tls-cache "*) cache= ;; esac
	# AGENTMON_RUN_ARGS: options every collector of the run gets (before the
	# test's own, which win), e.g. '--tls-uprobes system' for a whole suite
	# shellcheck disable=SC2086
	env --default-signal=INT,TERM,HUP "$AGENTMON" run --format json $rec $cache \
		--socket "$SOCK" --pin-dir "$PIN_DIR" ${AGENTMON_RUN_ARGS:-} "$@" >"$OUT" 2>"$ERR" &
	COLLECTOR_PID=$!
	local deadline=$(($(date +%s) + READY_TIMEOUT))
	while ! grep -q ready "$ERR" 2>/dev/null; do
		if ! kill -0 "$COLLECTOR_PID" 2>/dev/null; then
			wait "$COLLECTOR_PID"
			local rc=$?
			COLLECTOR_PID=
			fail "collector exited with status $rc before printing ready"
		fi
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "collector not ready after ${READY_TIMEOUT}s"
		sleep 0.05
	done
}

# stop_collector [SIG] [LIMIT_MS]: signal, assert exit 0, then check that
# every output line is valid JSON per SPEC.  LIMIT_MS (default 2000) is what
# a stop should take; it is no timing assertion (a loaded host or the
# sanitizers' leak check at exit take longer: a slower stop is only said on
# stderr): a collector still running LIMIT_MS + 10 s after the signal hangs,
# and that fails.  STOP_MS: what it took.
stop_collector() {
	local sig=${1:-TERM} limit=${2:-2000} t0 rc hang
	[ -n "$COLLECTOR_PID" ] || fail "stop_collector: none running"
	hang=$((limit + 10000))
	t0=$(now_ms)
	kill -"$sig" "$COLLECTOR_PID" || fail "cannot signal the collector"
	while kill -0 "$COLLECTOR_PID" 2>/dev/null; do
		if [ $(($(now_ms) - t0)) -gt "$hang" ]; then
			kill -KILL "$COLLECTOR_PID"
			wait "$COLLECTOR_PID" 2>/dev/null
			COLLECTOR_PID=
			fail "collector still running $hang ms after SIG$sig"
		fi
		sleep 0.02
	done
	wait "$COLLECTOR_PID"
	rc=$?
	STOP_MS=$(($(now_ms) - t0))
	COLLECTOR_PID=
	[ "$rc" -eq 0 ] || fail "collector exited with status $rc on SIG$sig (want 0)"
	[ "$STOP_MS" -le "$limit" ] ||
		echo "note: the collector took ${STOP_MS} ms to exit on SIG$sig (a stop should take under ${limit} ms)" >&2
	local problems
	problems=$("$PY" "$JQPY" "$OUT" validate) ||
		fail "output is not valid JSON Lines per SPEC.md:"$'\n'"$problems"
}

launch() {
	local name=$1
	shift
	"$AGENTMON" launch --socket "$SOCK" --agent "$name" -- "$@"
}

jq() { "$PY" "$JQPY" "$OUT" "$@"; }

_desc() { local IFS=' '; echo "[$*]"; }

wait_event() {
	local secs=$1
	shift
	jq wait "$secs" "$@" || fail "no event $(_desc "$@") within ${secs}s"
}

expect() {
	local n=$1 got
	shift
	got=$(jq count "$@")
	[ "$got" -eq "$n" ] || fail "want $n events $(_desc "$@"), got $got"
}

expect_min() {
	local n=$1 got
	shift
	got=$(jq count "$@")
	[ "$got" -ge "$n" ] || fail "want at least $n events $(_desc "$@"), got $got"
}

expect_none() {
	local got
	got=$(jq count "$@")
	[ "$got" -eq 0 ] || fail "want no event $(_desc "$@"), got $got: $(jq dump "$@" | head -n 3)"
}

# sentinel [CMD...]: returns once the collector has printed every event and
# alert of what happened before the call, else fails.  CMD PATH (default:
# launch sentinel /bin/cat, so an agent named "sentinel" appears; CMD must run
# tagged) opens a fresh path and its open event is waited for; the path is in
# SENTINEL_PATH.  This holds because the kernel's records come through one
# ring buffer in order and the collector judges them in that order, emitting
# an alert at once (the first of a fold; an http request's alert when it is
# judged, even while the http event itself waits for its response).  The one
# exception: an http event held for its response (up to 1 s) may come after;
# assert the absence of http events after stop_collector, which prints them.
sentinel() {
	SENTINEL_N=$((SENTINEL_N + 1))
	SENTINEL_PATH=$T/sentinel.$SENTINEL_N
	: >"$SENTINEL_PATH" || fail "sentinel: cannot create $SENTINEL_PATH"
	[ $# -gt 0 ] || set -- launch sentinel /bin/cat
	"$@" "$SENTINEL_PATH" >/dev/null || fail "sentinel: '$* $SENTINEL_PATH' failed"
	jq wait "$SENTINEL_TIMEOUT" type=open path="$SENTINEL_PATH" ||
		fail "the sentinel's open of $SENTINEL_PATH not seen within ${SENTINEL_TIMEOUT}s"
}

# tls_server CN: an HTTPS server (helpers/https_server.py, logging to
# $T/tls.log) with a fresh self-signed certificate for CN; its port in TPORT
tls_server() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 2 -subj "/CN=$1" 2>/dev/null || fail "cannot make a certificate"
	bg "$PY" "$HELPERS/https_server.py" --port-file "$T/tport" --log "$T/tls.log" \
		--cert "$T/cert.pem" --key "$T/key.pem" >/dev/null 2>&1
	wait_file "$T/tport"
	TPORT=$(cat "$T/tport")
}

# field NAME FILTER...: prints NAME of the first match; use as v=$(field ...)
# || exit 1 (fail inside $() only ends the subshell, so it prints to stderr)
field() {
	local name=$1
	shift
	jq get "$name" "$@" || { fail "no event $(_desc "$@") with field $name" >&2; }
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

webhook_deliveries() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
try:
    recs = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    recs = []
ids = [r["id"] for r in recs]
keys = [(r["body"]["rule"], r["body"].get("host"), r["body"]["agent"]) for r in recs]
# the id is inside the signed body too (a replay under another id fails)
if any(not r["signature_ok"] or r["body"].get("alert_id") != r["id"] for r in recs) or \
        len(ids) != len(set(ids)) or \
        ("--unique-alerts" in sys.argv[2:] and len(keys) != len(set(keys))):
    print("bad signature or duplicate delivery: %s" % recs, file=sys.stderr)
    sys.exit(1)
print(len(recs))
PYEOF
}

wait_deliveries() {
	local log=$1 want=$2 n=0
	shift 2
	for _ in $(seq 600); do
		n=$(webhook_deliveries "$log" "$@") || fail "webhook deliveries are wrong"
		[ "$n" -ge "$want" ] && return 0
		sleep 0.05
	done
	fail "webhook receiver got $n deliveries, want $want"
}

wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$(($(date +%s) + secs))
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "$what not within ${secs}s${WAIT_WHY:+: $($WAIT_WHY 2>&1)}"
		sleep 0.1
	done
}

opens_accounted() {
	local n
	n=$(am status --json --socket "$SOCK" | "$PY" -c \
		'import json, sys; s = json.load(sys.stdin); print(s["events"].get("open", 0) + s["drops"]["total"])') &&
		[ "$n" -ge "$1" ]
}

wait_file() {
	local f=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	fail "$f did not appear within ${secs}s"
}

# build_helper NAME [LIBS...]: compile tests/integration/helpers/NAME.c, print the path
build_helper() {
	local src=$HELPERS/$1.c bin=$HELPER_BIN/$1
	shift
	mkdir -p "$HELPER_BIN" || return 1
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		"${CC:-cc}" -O2 -Wall -o "$bin.tmp.$$" "$src" "$@" && mv "$bin.tmp.$$" "$bin" || return 1
	fi
	echo "$bin"
}

# local_names NAME...: a certificate for the names ($T/cert.pem, $T/key.pem;
# CN the first) and $T/hosts resolving them to 127.0.0.1; in_ns CMD... runs
# CMD with that hosts file (its own mount namespace).  Skips when the test
# cannot make the namespace.
local_names() {
	local san=DNS:$1 n
	for n in "${@:2}"; do san=$san,DNS:$n; done
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 2 -subj "/CN=$1" -addext "subjectAltName=$san" 2>/dev/null ||
		fail "cannot make a certificate"
	{ cat /etc/hosts; echo "127.0.0.1 $*"; } >"$T/hosts"
	in_ns true 2>/dev/null || skip "cannot make a mount namespace for the test's /etc/hosts"
}
in_ns() { unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$@"; }

# ---- real agents (tests/agents) ----
# agents_install: install the pinned agent CLIs (tests/agents/install.sh,
# needs the network: run it before any agent) into AGENTS_CACHE (default
# /var/cache/agentmon-test/agents; its latest/ with AGENTS_LATEST=1, as
# `make agents-latest` sets; its previous/ with AGENTS_RELEASE=previous,
# install.sh --previous); sets AG (tests/agents) and CACHE.  Status 1,
# after a SKIP-PART line, when the registry cannot be reached.
agents_install() {
	AG=$TOP/tests/agents
	CACHE=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
	[ "${AGENTS_LATEST:-0}" = 1 ] && CACHE=$CACHE/latest
	[ "${AGENTS_RELEASE:-}" = previous ] && CACHE=$CACHE/previous
	"$AG/install.sh" >"$T/install.log" 2>&1
	case $? in
	0) return 0 ;;
	77) skip_part "real agents: $(tail -n 1 "$T/install.log")"; return 1 ;;
	*) cat "$T/install.log"; fail "tests/agents/install.sh failed" ;;
	esac
}

# replay_same KIND... [-- REPLAY-ARGS...]: replay the traces the collector
# recorded in $T/traces (am replay --json REPLAY-ARGS, into $T/replay.jsonl)
# and fail unless, for each KIND (a grep pattern), the replay's matching
# lines are the live run's ($OUT; stop the collector first)
replay_same() {
	local kinds=() kind files
	while [ $# -gt 0 ] && [ "$1" != -- ]; do kinds+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	files=("$T"/traces/agentmon-*.amtrace)
	am replay --json "$@" "${files[@]}" >"$T/replay.jsonl" 2>"$T/replay.err" ||
		fail "replay exited $?: $(cat "$T/replay.err")"
	for kind in "${kinds[@]}"; do
		diff <(grep "$kind" "$OUT") <(grep "$kind" "$T/replay.jsonl") >"$T/diff" ||
			fail "the replay's $kind lines differ from the live run's: $(head -c 2000 "$T/diff")"
	done
}

# exited PID: whether it has exited (gone, or a zombie not yet reaped)
exited() { [ ! -e "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# ca_names NAME...: a test CA ($T/ca.pem) and a server certificate it signs
# for the names ($T/cert.pem, $T/key.pem; CN the first): rustls (webpki)
# takes no self-signed end-entity certificate, as local_names makes
ca_names() {
	local san=DNS:$1 n
	for n in "${@:2}"; do san=$san,DNS:$n; done
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
		-subj "/CN=agentmon test CA" 2>/dev/null || fail "cannot make the test CA"
	openssl req -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/srv.csr" \
		-subj "/CN=$1" 2>/dev/null || fail "cannot make a certificate request"
	printf '%s\n' "subjectAltName=$san" basicConstraints=CA:FALSE \
		extendedKeyUsage=serverAuth >"$T/ext.cnf"
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/cert.pem" -days 2 -extfile "$T/ext.cnf" 2>/dev/null ||
		fail "cannot sign the certificate"
}

# qwen_tool_session: qwen-code (tests/agents/install.sh; the test skips
# without it) in a loopback-only namespace against the mock model API
# (plain HTTP at llm.test:$PORT, listed in $T/policy.yaml's llm_hosts and
# allow) whose answer is a tool call running $CMD, a `curl -X POST` to
# forum.corp.example:$PORT (the mock answers it); a collector with that
# policy records to $T/traces.  Sets PROMPT, PORT and CMD; returns once the
# agent has exited and the mock has seen the POST
qwen_tool_session() {
	local ag=$TOP/tests/agents qwen=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}/qwen/node_modules/.bin/qwen pid
	[ -x "$qwen" ] || skip "qwen-code is not installed (tests/agents/install.sh)"
	PROMPT="answer the question on the forum"
	PORT=$(free_port)
	CMD="curl -s -X POST -d answer http://forum.corp.example:$PORT/t/1"
	printf '127.0.0.1 localhost llm.test forum.corp.example\n::1 localhost\n' >"$T/hosts"
	mkdir -p "$T/home"
	printf 'llm_hosts: [llm.test]\nallow:\n  - host: llm.test\n' >"$T/policy.yaml"
	start_collector --config "$T/policy.yaml" --record "$T/traces"
	HOME=$T/home MOCK_TOOL="{\"name\":\"run_shell_command\",\"args\":{\"command\":\"$CMD\"}}" \
		"$ag/netns.sh" "$T/hosts" "$ag/with_mock.sh" "$PORT" "$T/mock.log" \
		"$qwen" --yolo --auth-type openai --openai-base-url "http://llm.test:$PORT/v1" \
		--openai-api-key sk-test -m mock-model "$PROMPT" >"$T/run.out" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for 150 "qwen to exit" exited "$pid"
	wait "$pid" || { cat "$T/run.out"; fail "qwen exited $?"; }
	grep -q '"/t/1"' "$T/mock.log" || fail "the agent did not run the tool call: $(cat "$T/mock.log")"
}

# ---- on sourcing ----
[ "$(id -u)" -eq 0 ] || skip "needs root (loads BPF programs)"
[ -x "$AGENTMON" ] || skip "$AGENTMON not built (run make)"
[ -n "$PY" ] || skip "needs python3"
T=$(mktemp -d "${TMPDIR:-/tmp}/agentmon-it.XXXXXX") || fail "mktemp"
T=$(realpath "$T")
SOCK=$T/agentmon.sock
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
