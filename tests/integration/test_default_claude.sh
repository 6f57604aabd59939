#!/bin/bash
# the default policy tags, without launch: an executable named claude (with
# its children), and python running a script under
# node_modules/@anthropic-ai/claude-code/.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bin" "$T/data"
cp /bin/sh "$T/bin/claude" || fail "cp"
pkg=$T/lib/node_modules/@anthropic-ai/claude-code
mkdir -p "$pkg"
cat >"$pkg/cli.py" <<'PYEOF'
import os, sys
with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
with open(sys.argv[2], "w") as f:
    f.write("written by cli.py\n")
PYEOF
echo data >"$T/data/in.txt"
start_collector

# 1. an executable named claude, run directly (untagged parent)
# shellcheck disable=SC2016
"$T/bin/claude" -c 'echo $$ >"$1"; cat "$2" >/dev/null; echo x >"$3"' claude \
	"$T/claude.pid" "$T/data/in.txt" "$T/data/claude-out.txt" || fail "claude script failed"
cpid=$(cat "$T/claude.pid")
wait_event 10 type=open path="$T/data/claude-out.txt"
expect_min 1 type=open pid="$cpid" agent=claude agent_pid="$cpid" \
	path="$T/data/claude-out.txt" write=true
expect_min 1 type=exec "filename~/cat$" agent=claude agent_pid="$cpid" ppid="$cpid"
expect_min 1 type=open agent=claude agent_pid="$cpid" path="$T/data/in.txt" write=false
expect_none pid=$$

# 2. python running .../@anthropic-ai/claude-code/cli.py
"$PY" "$pkg/cli.py" "$T/py.pid" "$T/data/py-out.txt" || fail "cli.py failed"
ppid_=$(cat "$T/py.pid")
wait_event 10 type=open path="$T/data/py-out.txt"
expect_min 1 type=open pid="$ppid_" agent=claude path="$T/data/py-out.txt" write=true
expect_min 1 type=open pid="$ppid_" agent=claude agent_pid="$ppid_" path="$T/py.pid"

# 3. the same script outside that package path is not an agent
mkdir -p "$T/plain"
cp "$pkg/cli.py" "$T/plain/tool.py"
"$PY" "$T/plain/tool.py" "$T/plain.pid" "$T/data/plain-out.txt" || fail "tool.py failed"
plain=$(cat "$T/plain.pid")

stop_collector
expect_none pid="$plain"
expect_none path="$T/data/plain-out.txt"
pass "claude binary (pid $cpid) and python claude-code/cli.py (pid $ppid_) tagged"
