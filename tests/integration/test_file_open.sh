#!/bin/bash
# file events of a launched agent: open (relative path made absolute, flags,
# write), rename, chmod, unlink, read-only open; odd bytes in a path still
# give valid JSON.
. "$(dirname "$0")/lib.sh"

D=$T/files
mkdir -p "$D"
start_collector

# shellcheck disable=SC2016
launch filebot /bin/sh -c 'echo $$ >"$1"; cd "$2" || exit 9
echo hi >rel.txt; mv rel.txt rel2.txt; chmod 600 rel2.txt
cat rel2.txt >/dev/null; rm rel2.txt' sh "$T/root.pid" "$D" ||
	fail "launched file script failed"
root=$(cat "$T/root.pid")

wait_event 10 type=unlink path="$D/rel2.txt"
expect_min 1 type=open pid="$root" agent=filebot agent_pid="$root" path="$D/rel.txt" \
	write=true 'flags~(^|\|)O_WRONLY(\||$)' 'flags~(^|\|)O_CREAT(\||$)' 'ret>=0'
expect_min 1 type=rename agent=filebot agent_pid="$root" path="$D/rel.txt" \
	new_path="$D/rel2.txt" ret=0
expect_min 1 type=chmod agent=filebot agent_pid="$root" path="$D/rel2.txt" ret=0
expect_min 1 type=open agent=filebot agent_pid="$root" path="$D/rel2.txt" \
	write=false 'flags~O_RDONLY' 'ret>=0'
expect_none type=open path="$D/rel2.txt" write=true
expect_min 1 type=unlink agent=filebot agent_pid="$root" path="$D/rel2.txt" ret=0

# a path with a quote, a backslash, a newline and an invalid UTF-8 byte;
# and a failed open (negative ret)
launch filebot "$PY" -c '
import os, sys
name = os.path.join(sys.argv[1].encode(), b"we\"ird\\\nna\xffme.txt")
os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644))
os.unlink(name)
try:
    os.open(os.path.join(sys.argv[1], "missing/x"), os.O_RDONLY)
except OSError:
    pass
' "$D" || fail "launched python file script failed"
wait_event 10 type=open path="$D/missing/x"
expect_min 1 type=open agent=filebot "path~^$D/we\"ird\\\\"$'\n'"na.*me\\.txt$" write=true
expect_min 1 type=unlink agent=filebot "path~^$D/we\"ird\\\\"$'\n'"na.*me\\.txt$"
expect_min 1 type=open agent=filebot path="$D/missing/x" 'ret<0'

stop_collector   # also checks that every line is UTF-8 JSON per SPEC.md
pass "open/rename/chmod/unlink with absolute paths and flags; odd path is valid JSON"
