#!/bin/bash
# untagged processes produce no events at all: exec, open, connect, send.
. "$(dirname "$0")/lib.sh"

bg "$PY" "$HELPERS/listener.py" "$T/ports" 60
wait_file "$T/ports"
read -r v4 _ listener <"$T/ports"
start_collector

# an untagged shell, a child exec, file opens, a TCP connect and UDP send
# shellcheck disable=SC2016
/bin/sh -c 'echo $$ >>"$1"; echo x >"$2.marker"; cat "$2.marker" >/dev/null
/bin/sh -c "echo \$\$ >>\"\$1\"; mv \"\$2.marker\" \"\$2.moved\"; rm \"\$2.moved\"" sh "$1" "$2"
"$3" -c "
import os, socket, sys
open(sys.argv[1], \"a\").write(\"%d\n\" % os.getpid())
s = socket.create_connection((\"127.0.0.1\", int(sys.argv[2])))
s.sendall(b\"x\"); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b\"y\", (\"127.0.0.1\", 9)); u.close()
" "$1" "$4"' sh "$T/pids" "$T/untagged" "$PY" "$v4" || fail "untagged script failed"

# once the sentinel's event is out, the earlier activity would be too
sentinel
stop_collector

[ "$(wc -l <"$T/pids")" -eq 3 ] || fail "test bug: want 3 untagged pids, got $(cat "$T/pids")"
while read -r p; do
	expect_none pid="$p"
	expect_none ppid="$p"
done <"$T/pids"
expect_none pid="$listener"
expect_none "path~untagged\\.(marker|moved)"
expect_none "new_path~untagged"
expect_none dport="$v4"
expect_none type=send dport=9
expect_none type!=drop 'agent!?'
pass "no event from 3 untagged processes (exec/open/rename/unlink/connect/send)"
