# shellcheck shell=bash
# lib.sh - shared code of the attack tests (tests/attack/test_*.sh): an agent
# that knows it is watched tries to blind, flood, exhaust or trick the root
# collector.  Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sources tests/evasion/lib.sh (and through it tests/integration/lib.sh:
# root, build/agentmon, $T, the cleanup trap, start_collector, launch,
# wait_event, expect..., skip_part, sentinel, wait_for, ev_build, netns_up,
# in_netns, agent_in_netns; see there) and adds:
#
#   AT_HELPERS                      tests/attack/helpers
#   trace_raw OUT FILE...           every block of the trace FILEs, decompressed,
#                                   into OUT (to search what a trace holds)
#   run_stopped AGENT GO DONE WHAT  AGENT's run over while the collector is
#                                   stopped (see there)
# shellcheck source=../evasion/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../evasion/lib.sh"

AT_HELPERS=$TOP/tests/attack/helpers

trace_raw() {
	"$PY" - "$@" <<'P'
import struct, sys, zlib
out = open(sys.argv[1], "wb")
for path in sys.argv[2:]:
    b = open(path, "rb").read()
    off = struct.unpack_from("<I", b, 12)[0]
    while off + 16 <= len(b):
        magic, stored, raw, _ = struct.unpack_from("<4sIII", b, off)
        assert magic == b"AMBK", (path, off)
        data = zlib.decompress(b[off + 16:off + 16 + stored])
        assert len(data) == raw
        out.write(data)
        off += 16 + stored
P
}

# run_stopped AGENT GO DONE WHAT: AGENT (launched, waiting to read a line
# from the FIFO GO) runs while the collector is stopped (SIGSTOP), so that
# what it runs is over before its records are read, whatever the load: its
# exec is waited for, the collector stopped, GO written, the file DONE
# waited for (WHAT: what that means), the collector continued, and DONE's
# open waited for (the collector read all before it)
run_stopped() {
	wait_event 10 type=exec agent="$1"
	kill -STOP "$COLLECTOR_PID" || fail "cannot stop the collector"
	echo >"$2"
	wait_for 30 "$4" test -e "$3"
	kill -CONT "$COLLECTOR_PID" || fail "cannot continue the collector"
	wait_event 30 type=open agent="$1" path="$3"
}
