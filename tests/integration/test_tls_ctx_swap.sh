#!/bin/bash
# Per-process TLS uprobes survive perf's context swap (issue 10, cost).  An
# agent's child covered by inheritance (python, forked by the launched shell
# well after its attach) forks and waits for /bin/true before each HTTPS POST
# (libssl), pinned to one CPU.  Without a guard the child's and each
# /bin/true's perf contexts are clones: perf swaps them at every switch
# between the two (perf_event_context_sched_out), /bin/true exits holding
# the child's context and frees the child's inherited events, the child
# leaves the uprobe filter and its POSTs are blind.  The swap needs a
# direct switch between the two on that CPU, so under other load a broken
# build is not always caught: measured without the fix, 0 of 8 POSTs seen in
# 4 of 8 runs (the others all 8) on the loaded 2-core VM; with it, 8 of 8 in
# every run.  Python starts its loop once the collector says it has its
# guard (a swap before the guard lands is the race left, README).  Each
# POST must be an http event in plaintext; status counts the guard.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
ROUNDS=${ROUNDS:-8}
FORKS=${FORKS:-25}  # /bin/true forks before each POST
tls_server tls.swap.example
start_collector -v --tls-uprobes process
scope=$(am status --json --socket "$SOCK" |
	"$PY" -c 'import json,sys; t=json.load(sys.stdin)["tls_uprobes"]; print(t["scope"], t["system_wide_why"])')
case "$scope" in
process*) ;;
*"no tracefs uprobe events"*) skip "the kernel has no tracefs uprobe events: $scope" ;;
*) fail "tls uprobes are not per process: $scope" ;;
esac
cat >"$T/swap.py" <<'PYEOF'
import http.client, os, ssl, subprocess, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
while not os.path.exists(sys.argv[4]):
    time.sleep(0.01)
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
for r in range(int(sys.argv[2])):
    for _ in range(int(sys.argv[5])):
        subprocess.run(["/bin/true"], check=True)
    c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
    c.request("POST", "/swap%d" % r, body=b"hello")
    c.getresponse().read()
    c.close()
PYEOF
# the shell outlives python (`; true`): python is its child, not its exec
"$AGENTMON" launch --socket "$SOCK" --agent swapbot -- \
	bash -c "sleep 0.3; $PY $T/swap.py $TPORT $ROUNDS $T/pid $T/go $FORKS; true" >"$T/launch.out" 2>&1 &
agent=$!
wait_file "$T/pid"
guarded() { grep -q "tls uprobes: process $(cat "$T/pid") guarded" "$ERR"; }
wait_for 30 "the python child's guard" guarded
touch "$T/go"
wait "$agent" || fail "the agent's POST loop failed: $(cat "$T/launch.out")"
guarded=$(am status --json --socket "$SOCK" |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["tls_uprobes"]["guarded"])')
sentinel
stop_collector
expect "$ROUNDS" type=http method=POST agent=swapbot "path~^/swap[0-9]+\$"
[ "$guarded" -ge 1 ] || fail "status counts $guarded guards, want the python child's"
pass "$ROUNDS POSTs of an inherited child that forks between them all seen ($guarded guards)"
