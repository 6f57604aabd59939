#!/bin/bash
# The guard of a process covered by its parent's per-process TLS uprobes
# (--tls-uprobes process; user/load_scope.c) is opened on its main thread;
# when that thread has exited (pthread_exit, the others running) the kernel
# refuses it ESRCH, and the guard is opened on another of its threads.  Made
# certain: the collector is stopped while a launched python's child (forked
# after the parent's attach, so covered by inheritance) starts a thread and
# ends its main thread; when the collector runs again the child is guarded
# (-v says so), and the thread's HTTPS POST is read (an http event).
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
tls_server guard.thread.example
tport=$TPORT
start_collector -v --tls-uprobes process

cat >"$T/agent.py" <<'PYEOF'
import ctypes, os, socket, ssl, sys, threading, time
port, d = int(sys.argv[1]), sys.argv[2]
def wait(name):
    while not os.path.exists(os.path.join(d, name)):
        time.sleep(0.02)
wait("go1")
pid = os.fork()
if pid:
    _, st = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(st))
def post():
    wait("go2")
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="guard.thread.example")
    s.sendall(b"POST /guarded HTTP/1.1\r\nHost: guard.thread.example\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    s.recv(4096)
    s.close()
    os._exit(0)
threading.Thread(target=post).start()
open(os.path.join(d, "child"), "w").write(str(os.getpid()))
ctypes.CDLL(None).pthread_exit(None)
PYEOF
"$AGENTMON" launch --socket "$SOCK" --agent guardbot -- "$PY" "$T/agent.py" "$tport" "$T" \
	>"$T/agent.out" 2>&1 &
agent=$!
BG_PIDS+=("$agent")
attached() { grep -q "tls uprobes: process $agent attached" "$ERR"; }
wait_for 20 "the agent's uprobe attach" attached
# a fork within TLS_COVER_EARLY_NS (100 ms) of its parent's attach gets an
# attach of its own: the attach ended before its line was logged, so
# 200 ms after the line the child's fork is past it for sure
sleep 0.2
kill -STOP "$COLLECTOR_PID" || fail "cannot stop the collector"
touch "$T/go1"
zombie_leader() { # the child's main thread gone, its thread alive
	[ -s "$T/child" ] && grep -q '^State:.*Z' "/proc/$(cat "$T/child")/status" 2>/dev/null &&
		[ "$(ls "/proc/$(cat "$T/child")/task" | wc -l)" -ge 2 ]
}
WAIT_WHY="cat $T/agent.out" wait_for 20 "the child's main thread exited" zombie_leader
child=$(cat "$T/child")
kill -CONT "$COLLECTOR_PID"
guarded() { grep -q "tls uprobes: process $child guarded" "$ERR"; }
WAIT_WHY="grep -h uprobes $ERR" wait_for 20 "the guard of child $child (main thread exited)" guarded
touch "$T/go2"
wait "$agent" || fail "the agent failed: $(cat "$T/agent.out")"
wait_event 10 type=http pid="$child" path=/guarded
stop_collector
pass "a covered child whose main thread had exited: guarded on another thread, its POST read"
