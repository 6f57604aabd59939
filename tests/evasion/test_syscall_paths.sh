#!/bin/bash
# Ways into the kernel other than the 64-bit syscall table (case 6 and the
# extra cases E1, E2 of tests/evasion/README.md):
#  - network I/O through io_uring, inline and from an SQPOLL kernel thread:
#    the connect is flagged io_uring, raises uring_network, and the POST is
#    seen on the wire (http event, outbound_post); UDP sendmsg through
#    io_uring gives send events (io_uring, no bytes: a known limit) and
#    uring_network;
#  - file I/O through io_uring (IORING_OP_OPENAT/WRITE): not reported (limit);
#  - open() through the 32-bit table (int $0x80) of a 64-bit process: not
#    reported (limit); connect() through it: seen by the socket hook,
#    without ret.
. "$(dirname "$0")/lib.sh"

uring=$(ev_build uring_evade "$EV_HELPERS/uring_evade.c" -luring) ||
	skip "cannot build the io_uring helper (liburing-dev missing)"
evade=$(ev_build evade "$EV_HELPERS/evade.c" -lpthread) || fail "cannot build helpers/evade.c"

bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" >/dev/null 2>&1
wait_file "$T/port"
port=$(cat "$T/port")
# a UDP sink, so that the datagrams are taken
bg "$PY" -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
open(sys.argv[1] + '.tmp', 'w').write('%d\n' % s.getsockname()[1])
import os; os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True: s.recv(65536)" "$T/udp"
wait_file "$T/udp"
udp=$(cat "$T/udp")
start_collector

# ---- 6. a POST through io_uring, inline and from an SQPOLL thread ----
launch ur-post "$uring" post 127.0.0.1 "$port" paste.example.net /inline 'hello' ||
	skip "io_uring is not available to this process (uring_evade post failed)"
launch ur-sqpoll "$uring" post --sqpoll 127.0.0.1 "$port" paste.example.net /sqpoll 'hello' ||
	fail "io_uring POST with IORING_SETUP_SQPOLL failed"
for a in ur-post:/inline ur-sqpoll:/sqpoll; do
	name=${a%%:*} path=${a#*:}
	wait_event 5 type=alert rule=outbound_post agent="$name" method=POST host=paste.example.net path="$path"
	wait_event 5 type=http agent="$name" method=POST host=paste.example.net path="$path" tls=false
	wait_event 5 type=alert rule=uring_network agent="$name" cause=connect
	expect 1 type=connect agent="$name" io_uring=true proto=tcp daddr=127.0.0.1 dport="$port"
done
# from the SQPOLL thread: the process's pid, the kernel thread's tid and comm
sq_pid=$(field pid type=exec agent=ur-sqpoll) || exit 1
expect 1 type=connect agent=ur-sqpoll pid="$sq_pid" agent_pid="$sq_pid" tid!="$sq_pid" comm~'^iou-sqp'

# UDP through io_uring: seen by the cgroup hook, without a byte count
launch ur-udp "$uring" udp 127.0.0.1 "$udp" 3 100 >/dev/null || fail "io_uring UDP sendmsg failed"
wait_event 5 type=alert rule=uring_network agent=ur-udp cause=send proto=udp dport="$udp"
wait_count 5 3 type=send agent=ur-udp io_uring=true proto=udp daddr=127.0.0.1 dport="$udp"
expect 3 type=send agent=ur-udp
# known limit: no bytes on io_uring sends (so they never count toward
# unexpected_upload); SPEC promises bytes on every send event
expect 0 type=send agent=ur-udp bytes?

# ---- E1. file I/O through io_uring: not reported ----
launch ur-open "$uring" open "$T/uring.marker" || fail "io_uring openat/write failed"
grep -q "written through io_uring" "$T/uring.marker" || fail "test bug: io_uring wrote nothing"
wait_event 5 type=exit agent=ur-open
expect 1 type=exec agent=ur-open
expect_none path="$T/uring.marker"
expect_none type=open agent=ur-open write=true

# ---- E2. open and connect through int $0x80 (the 32-bit table) from a 64-bit process ----
compat="; int \$0x80 part skipped (no IA32 emulation in this kernel)"
rm -f "$T/compat.marker"
launch ur-compat "$evade" compat_open "$T/compat.marker" >/dev/null
rc=$?
if [ "$rc" -eq 0 ]; then
	[ -e "$T/compat.marker" ] || fail "test bug: int \$0x80 open created nothing"
	launch ur-compat-net "$evade" compat_connect 127.0.0.1 "$port" || fail "int \$0x80 connect failed"
	wait_event 5 type=exit agent=ur-compat
	expect 1 type=exec agent=ur-compat
	expect_none path="$T/compat.marker"
	# the socket hook still sees the connect; its result, from the
	# syscall-exit handler, is missing
	wait_event 5 type=connect agent=ur-compat-net proto=tcp daddr=127.0.0.1 dport="$port"
	expect 1 type=connect agent=ur-compat-net
	expect 0 type=connect agent=ur-compat-net ret?
	compat="; through int \$0x80: open not reported (limit), connect without ret"
elif [ "$rc" -ne 3 ]; then
	fail "compat_open failed with status $rc"
fi

stop_collector_except type=send io_uring=true bytes!?
pass "io_uring POST (inline, SQPOLL thread) alerts outbound_post + uring_network; io_uring UDP: send events without bytes + uring_network; io_uring file I/O not reported (limit)$compat"
