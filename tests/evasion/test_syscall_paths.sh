#!/bin/bash
# Ways into the kernel other than the 64-bit syscall table (case 6 and the
# extra cases E1, E2, E5 of tests/evasion/README.md):
#  - network I/O through io_uring, inline and from an SQPOLL kernel thread:
#    the connect is flagged io_uring, raises uring_network, and the POST is
#    seen on the wire (http event, outbound_post); UDP sendmsg through
#    io_uring gives send events (io_uring, no bytes: a known limit) and
#    uring_network;
#  - file I/O through io_uring (IORING_OP_OPENAT/WRITE): not reported (limit);
#  - open() and connect() through the 32-bit table (int $0x80) of a 64-bit
#    process: not decoded, but each raises compat_syscall (a syscall event);
#    the connect is also seen by the socket hook.  Probed first: where IA-32
#    emulation is off (int $0x80 is a SIGSEGV) this part is skipped
#    (SKIP-PART line);
#  - ptrace attach, process_vm_writev and pidfd_getfd aimed at a process
#    outside the agent raise process_tamper; aimed at its own child, nothing.
. "$(dirname "$0")/lib.sh"

uring=$(ev_build uring_evade "$EV_HELPERS/uring_evade.c" -luring) ||
	skip "cannot build the io_uring helper (liburing-dev missing)"
evade=$(ev_build evade "$EV_HELPERS/evade.c" -lpthread) || fail "cannot build helpers/evade.c"
tamper=$(ev_build tamper "$EV_HELPERS/tamper.c") || fail "cannot build helpers/tamper.c"

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
# probe first: with IA-32 emulation built in but off at boot, int $0x80 is a
# general-protection fault (SIGSEGV), not ENOSYS
compat=
if why=$("$tamper" probe32); then
	rm -f "$T/compat.marker"
	launch ur-compat "$evade" compat_open "$T/compat.marker" >/dev/null ||
		fail "int \$0x80 open failed although the probe passed"
	[ -e "$T/compat.marker" ] || fail "test bug: int \$0x80 open created nothing"
	launch ur-compat-net "$evade" compat_connect 127.0.0.1 "$port" || fail "int \$0x80 connect failed"
	# the open is not decoded (no open event names the file) but reported
	wait_event 5 type=alert rule=compat_syscall agent=ur-compat syscall=open
	expect 1 type=syscall agent=ur-compat syscall=open compat=true nr=5
	expect_none path="$T/compat.marker"
	# the socket hook still sees the connect; the 32-bit call is reported too
	wait_event 5 type=connect agent=ur-compat-net proto=tcp daddr=127.0.0.1 dport="$port"
	wait_event 5 type=alert rule=compat_syscall agent=ur-compat-net syscall=connect
	compat="; through int \$0x80: open and connect raise compat_syscall (open not decoded)"
else
	echo "SKIP-PART: $TEST_NAME: int \$0x80 part: $why"
	compat="; int \$0x80 part skipped ($why)"
fi

# ---- E5. an agent acting through a process outside its tree ----
# the victim is started by the test: untagged
bg "$tamper" victim "$T/victim"
wait_file "$T/victim"
read -r vpid vaddr <"$T/victim"
# its own child first: part of the agent, no record
launch tp-self "$tamper" selfchild || fail "ptrace/process_vm_writev of its own child failed"
launch tp-ptrace "$tamper" ptrace "$vpid" || fail "PTRACE_ATTACH of the victim failed"
launch tp-vmwrite "$tamper" vmwrite "$vpid" "$vaddr" || fail "process_vm_writev into the victim failed"
launch tp-getfd "$tamper" getfd "$vpid" 1 || fail "pidfd_getfd from the victim failed"
for a in tp-ptrace:ptrace tp-vmwrite:process_vm_writev tp-getfd:pidfd_getfd; do
	name=${a%%:*} sc=${a#*:}
	wait_event 5 type=alert rule=process_tamper severity=high agent="$name" syscall="$sc" \
		target_pid="$vpid"
	expect 1 type=syscall agent="$name" syscall="$sc" compat=false target_pid="$vpid" "ret>=0"
done
expect 1 type=syscall agent=tp-ptrace request=16
# the records of tp-self came before (one ring buffer, in order): none
wait_event 5 type=exit agent=tp-self
expect_none type=syscall agent=tp-self
expect_none type=alert rule=process_tamper agent=tp-self

stop_collector_except type=send io_uring=true bytes!?
pass "io_uring POST (inline, SQPOLL thread) alerts outbound_post + uring_network; io_uring UDP: send events without bytes + uring_network; io_uring file I/O not reported (limit); ptrace attach, process_vm_writev, pidfd_getfd of an untagged process raise process_tamper (not of its own child)$compat"
