#!/bin/bash
# Real agent CLIs are tagged however they are installed or started, with no
# launch and the default policy: each package of tests/agents/versions
# (installed from the npm registry into a cache, tests/agents/install.sh)
# runs `--version` inside a loopback-only namespace (tests/agents/netns.sh)
#   - through its npm .bin symlink,
#   - as the file that symlink resolves to (a Bun/SEA binary run directly,
#     or node running the package's script),
# and Claude Code also through a native-installer layout (~/.local/bin/claude
# -> ~/.local/share/claude/versions/VERSION, a binary named by its version),
# run by the link and by the versioned path, and that versioned binary
# answering `-p hi` from the mock model API (tests/agents/mock_api.py).  The
# exec is tagged with the agent's name, and a launcher's native child
# (codex, copilot) and Claude Code's children too.
# Without the registry, that part is skipped (SKIP-PART); the versioned
# layout is checked all the same with a stand-in binary (/bin/sh): it is
# tagged with its children, and the same binary in another versions
# directory is not.
. "$(dirname "$0")/lib.sh"

HOSTS=$T/hosts
printf '127.0.0.1 localhost\n::1 localhost\n' >"$HOSTS"
mkdir -p "$T/home"

# install first: npm needs the network, the agents never get it
real=1
agents_install || real=0

# run_agent NAME CMD...: run CMD in the namespace as the agent NAME would be
# run, wait for it (RUN_PID), and check its exec event is tagged NAME
run_agent() {
	local name=$1
	shift
	HOME=$T/home "$AG/netns.sh" "$HOSTS" "$@" >"$T/run.out" 2>&1 &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_for 120 "$name ($*) to exit" exited "$RUN_PID"
	wait "$RUN_PID" || { cat "$T/run.out"; fail "$name: '$*' failed"; }
	wait_event 30 type=exec pid="$RUN_PID" agent="$name" agent_pid="$RUN_PID"
}

# the real file behind a .bin link, run as it runs: a script through node
run_resolved() {
	local name=$1 bin=$2 file
	file=$(readlink -f "$bin")
	if head -c 2 "$file" | grep -q '#!'; then
		run_agent "$name" /usr/bin/node "$file" --version
	else
		run_agent "$name" "$file" --version
	fi
}

# a native-installer layout under HOME for the binary FILE named VERSION:
# prints the versioned path; ~/.local/bin/claude links to it
native_layout() {
	local home=$1 file=$2 ver=$3 dir=$1/.local/share/claude/versions
	mkdir -p "$dir" "$home/.local/bin" || return 1
	file=$(readlink -f "$file")
	ln "$file" "$dir/$ver" 2>/dev/null || cp "$file" "$dir/$ver" || return 1
	ln -sf "$dir/$ver" "$home/.local/bin/claude" && echo "$dir/$ver"
}

start_collector

# 1. the versioned layout with a stand-in binary, children included
vbin=$(native_layout "$T/vhome" /bin/sh 9.9.9) || fail "layout"
mkfifo "$T/go"
echo data >"$T/in.txt"
# shellcheck disable=SC2016
"$vbin" -c 'read -r x <"$1"; cat "$2" >/dev/null' 9.9.9 "$T/go" "$T/in.txt" &
vpid=$!
BG_PIDS+=("$vpid")
wait_event 30 type=exec pid="$vpid" agent=claude agent_pid="$vpid"
echo go >"$T/go"
wait "$vpid" || fail "stand-in claude failed"
wait_event 30 type=open path="$T/in.txt" agent=claude agent_pid="$vpid"
expect_min 1 type=exec "filename~/cat$" ppid="$vpid" agent=claude

mkdir -p "$T/other/versions"
cp /bin/sh "$T/other/versions/9.9.9"
# shellcheck disable=SC2016
"$T/other/versions/9.9.9" -c 'cat "$1" >/dev/null' 9.9.9 "$T/in.txt" &
opid=$!
wait "$opid" || fail "other versioned binary failed"
sentinel
expect_none pid="$opid"

if [ "$real" = 0 ]; then
	stop_collector
	pass "versioned layout tagged (pid $vpid), lookalike not; real agents skipped"
fi

# 2. every installed agent, by its .bin link and by the file it resolves to
tested=()
while read -r name _pkg _ver bin; do
	link=$CACHE/$name/node_modules/.bin/$bin
	[ -e "$link" ] || fail "$name: $link missing after install"
	run_agent "$name" "$link" --version
	case $name in codex | copilot)
		# the node launcher's native child
		wait_event 30 type=exec ppid="$RUN_PID" "filename~/$name\$" agent="$name" \
			agent_pid="$RUN_PID" ;;
	esac
	run_resolved "$name" "$link"
	tested+=("$name")
done < <(grep -v '^[[:space:]]*\(#\|$\)' "$AG/versions")

# 3. Claude Code's native-installer layout: the link, then the versioned file
exe=$(readlink -f "$CACHE/claude/node_modules/.bin/claude")
ver=$("$AG/netns.sh" "$HOSTS" "$exe" --version | cut -d' ' -f1)
case $ver in [0-9]*.[0-9]*) ;; *) fail "claude --version gave '$ver'" ;; esac
vpath=$(native_layout "$T/home" "$exe" "$ver") || fail "native layout"
run_agent claude "$T/home/.local/bin/claude" --version
run_agent claude "$vpath" --version

# 4. Claude Code answering `-p hi` from the mock model API (Anthropic
# Messages, tests/agents/mock_api.py) in the same namespace
ANTHROPIC_BASE_URL=http://127.0.0.1:8099 ANTHROPIC_API_KEY=sk-mock DISABLE_AUTOUPDATER=1 \
	run_agent claude "$AG/with_mock.sh" 8099 "$T/mock.log" "$vpath" -p hi
grep -q 'hi from the mock' "$T/run.out" || { cat "$T/run.out"; fail "claude -p: no reply"; }
grep -q '"POST", "path": "/v1/messages' "$T/mock.log" || fail "claude -p: no request to the mock"
p_pid=$RUN_PID
# its own request (plain HTTP here), and the programs it starts (git)
wait_event 30 type=http pid="$p_pid" agent=claude method=POST "path~^/v1/messages"
expect_min 1 type=exec ppid="$p_pid" agent=claude agent_pid="$p_pid"

stop_collector
pass "tagged by .bin link and resolved file: ${tested[*]}; claude native layout ($ver), -p against the mock"
