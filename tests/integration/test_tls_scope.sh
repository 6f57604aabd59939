#!/bin/bash
# The shared libraries' TLS uprobes trap only in agent processes (issue 10,
# cost): they are tracefs uprobe events enabled by perf events on the tagged
# processes, which their children inherit at fork, before they run.
#  (a) an untagged HTTPS POST loop (python, libssl) and untagged curl take no
#      int3 hit on this collector's uprobes (uprobe_profile hit counts do not
#      move), while the same loop tagged does (the counts are live);
#  (b) an agent's shell launching curl POSTs one after the other: every one is
#      an http event, in plaintext (method and path); those of a shell the
#      kernel tags at exec (a `claude` executable) too, or, sent before its
#      attach landed, an unseen_tls alert each (never silent, never both);
#  (c) the per-process uprobes are released when the agent processes they
#      cover have exited (the collector says so with -v);
#  (d) fail closed: a collector whose fd budget cannot hold its agents' perf
#      events puts the uprobes on every process, status says why and counts
#      what was not covered, and an agent's POST is still seen.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
PROFILE=/sys/kernel/tracing/uprobe_profile
N_SHELL=${N_SHELL:-40}   # curl POSTs of the launched shell
N_EXEC=${N_EXEC:-10}     # claude shells, one curl POST each

tls_server tls.scope.example
tport=$TPORT
start_collector -v --tls-uprobes process

# scoped KEY: a field of status --json's tls_uprobes
scoped() {
	am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["tls_uprobes"][sys.argv[1]])' "$1"
}
scope=$(scoped scope) || fail "status --json has no tls_uprobes"
if [ "$scope" = system ]; then
	why=$(scoped system_wide_why)
	case "$why" in
	"no tracefs uprobe events"*) skip "the kernel has no tracefs uprobe events: $why" ;;
	esac
fi
[ "$scope" = process ] || fail "tls uprobes are '$scope', want per process: $(scoped system_wide_why)"

# hits: the int3 hits of this collector's uprobes (its events are named p<pid>_...)
hits() { awk -v p="p${COLLECTOR_PID}_" 'index($2, p) == 1 { s += $3 } END { print s + 0 }' "$PROFILE"; }
[ -r "$PROFILE" ] || fail "no $PROFILE"
grep -q "p${COLLECTOR_PID}_" "$PROFILE" || fail "no uprobe event of this collector in $PROFILE"

# ---- (a) untagged: no trap; tagged: traps ----
h0=$(hits)
"$PY" "$TOP/tools/bench/https_post.py" posts "$tport" 300 >/dev/null || fail "untagged POST loop failed"
for i in 1 2 3; do
	curl -sk -X POST -d x "https://127.0.0.1:$tport/untagged$i" >/dev/null || fail "untagged curl failed"
done
h1=$(hits)
# libssl_anon: kB of libssl's code an untagged process holds privately: the
# pages where some uprobe's int3 was written (0 when nobody traps it)
libssl_anon() {
	"$PY" -c '
import ssl
anon, code = 0, False
for line in open("/proc/self/smaps"):
    f = line.split()
    if "-" in f[0] and len(f) >= 5 and ":" in f[3]:
        code = len(f) >= 6 and "libssl.so" in f[5] and "x" in f[1]
    elif code and f[0] == "Anonymous:":
        anon += int(f[1])
print(anon)'
}
untagged="untagged HTTPS: $((h1 - h0)) uprobe hits"
if [ "$h1" -ne "$h0" ]; then
	# an int3 of another monitor's system-wide uprobe at the same offset runs
	# every consumer's handler, ours included (the hit count cannot tell)
	[ "$(libssl_anon)" -gt 0 ] ||
		fail "untagged HTTPS took $((h1 - h0)) uprobe hits (want 0): the uprobes are not per process"
	skip_part "another monitor's system-wide uprobes are on libssl (an untagged process has int3 pages in it): untagged hits not asserted"
	untagged="untagged HTTPS: hits not asserted (another monitor)"
fi
launch postbot "$PY" "$TOP/tools/bench/https_post.py" posts "$tport" 50 >/dev/null ||
	fail "tagged POST loop failed"
h2=$(hits)
[ $((h2 - h1)) -ge 100 ] || fail "the tagged loop of 50 POSTs took $((h2 - h1)) uprobe hits (want >= 100)"

# ---- (b) every child curl of an agent is seen in plaintext ----
t0=$(now_ms)
launch shellbot bash -c "for i in \$(seq $N_SHELL); do curl -sk -X POST -d hello https://127.0.0.1:$tport/shell\$i >/dev/null || exit 1; done" ||
	fail "the agent's curl loop failed"
mkdir -p "$T/bin"
cp /bin/bash "$T/bin/claude" || fail "cp"
for i in $(seq "$N_EXEC"); do
	"$T/bin/claude" -c "curl -sk --resolve tls.scope.example:$tport:127.0.0.1 -X POST -d hello https://tls.scope.example:$tport/exec$i >/dev/null" ||
		fail "claude shell $i failed"
done
t_b=$(($(now_ms) - t0))

# ---- (c) released on exit: every attach made for the holder's processes ----
"$AGENTMON" launch --socket "$SOCK" --agent holder -- bash -c 'sleep 30 & sleep 30 & wait' \
	>/dev/null 2>&1 &
holder=$! # launch execs bash: the same pid
attached() { grep -q "tls uprobes: process $1 attached" "$ERR"; }
for _ in $(seq 100); do
	attached "$holder" && [ "$(pgrep -c -P "$holder")" -eq 2 ] && break
	sleep 0.1
done
attached "$holder" || fail "no uprobe attach for the launched holder $holder"
kids=$(pgrep -P "$holder")
[ "$(scoped processes)" -ge 3 ] || fail "status covers $(scoped processes) processes, want the holder's 3"
# shellcheck disable=SC2086
kill -KILL $kids
wait "$holder" 2>/dev/null
n_att=0
for p in $holder $kids; do
	attached "$p" || continue
	n_att=$((n_att + 1))
	for _ in $(seq 100); do
		grep -q "tls uprobes: process $p's attach released" "$ERR" && break
		sleep 0.1
	done
	grep -q "tls uprobes: process $p's attach released" "$ERR" ||
		fail "the uprobe attach of process $p was not released when it exited"
done

sentinel
unsure=$(scoped unsure_connections)
stop_collector
expect 0 type=http path~^/untagged
# each_once N AGENT PREFIX: N http POSTs of AGENT, PREFIX1..N each once
each_once() {
	local got
	expect "$1" type=http method=POST agent="$2" "path~^/$3[0-9]+\$"
	got=$(jq dump type=http method=POST agent="$2" | grep -o "\"path\": *\"/$3[0-9]*\"" | sort -u | wc -l)
	[ "$got" -eq "$1" ] || fail "want $1 distinct /$3N paths of $2, got $got"
}
each_once "$N_SHELL" shellbot shell
# an exec-tagged root: curl (bash execs it) can speak TLS before the
# collector's attach to the new root lands (a few ms): such a POST is not
# read, and its connection raises unseen_tls when it ends (its SNI host is
# not listed: an SNI, else 127.0.0.1 may be named by another agent's DNS
# answer; README Known limits): each POST is read once or alerted, never
# silent, and never both (one curl process per POST); only those to this
# test's server (another run's claude shells are tagged too)
pids_of() { jq dump "$@" | grep -o '"pid": *[0-9]*' | grep -o '[0-9]*$' | sort -u; }
seen=$(jq dump type=http method=POST agent=claude dport="$tport" | grep -o '"path": *"/exec[0-9]*"' | sort | uniq -c)
dups=$(echo "$seen" | awk '$1 > 1' | wc -l)
n_seen=$(echo "$seen" | grep -c exec)
[ "$dups" -eq 0 ] || fail "an exec-tagged shell's POST seen twice: $seen"
alerted=$(pids_of type=alert rule=unseen_tls agent=claude dport="$tport")
n_alerted=$(echo "$alerted" | grep -c .)
both=$(comm -12 <(echo "$alerted") <(pids_of type=http method=POST agent=claude dport="$tport" "path~^/exec"))
[ -z "$both" ] || fail "exec-tagged POSTs both read and alerted unseen_tls: pids $both"
[ $((n_seen + n_alerted)) -eq "$N_EXEC" ] ||
	fail "exec-tagged shells: $n_seen of $N_EXEC POSTs seen, $n_alerted unseen_tls ($unsure connections counted unsure)"

# ---- (d) fail closed: over the fd budget, the uprobes go system-wide ----
# a hard fd limit of 160: the TLS uprobes' descriptor budget is 40 (a quarter
# of a limit under 512, load_links.c), shared by the libraries' 12 links and
# the perf fds, and each holder takes 13 (4 libssl and 2 libgnutls
# functions, entry and return, and the event that keeps its forks' perf
# contexts from being clones: load_scope.c)
ulimit -n 160 || fail "cannot lower the fd limit"
start_collector --tls-uprobes process
holders=()
for i in $(seq 8); do
	"$AGENTMON" launch --socket "$SOCK" --agent many -- sleep 30 >/dev/null 2>&1 &
	holders+=($!)
done
for _ in $(seq 100); do
	[ "$(scoped scope)" = system ] && break
	sleep 0.1
done
[ "$(scoped scope)" = system ] ||
	fail "8 agents over a 40-fd budget: tls uprobes still '$(scoped scope)' ($(scoped perf_fds) fds)"
why=$(scoped system_wide_why)
case "$why" in *"could not be covered"*) ;; *) fail "system-wide for another reason: $why" ;; esac
[ "$(scoped not_covered)" -ge 1 ] || fail "status counts no process not covered"
# the perf fds had only what the links left of the one budget
budget=$(am status --json --socket "$SOCK" |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["resources"]["link_budget"])')
[ "$budget" -eq 40 ] || fail "descriptor budget $budget under a limit of 160, not 40"
[ "$(scoped attached)" -le $(((budget - 12) / 13)) ] ||
	fail "$(scoped attached) holders covered: more perf fds than the budget less the links"
launch lateshell bash -c "curl -sk -X POST -d hello https://127.0.0.1:$tport/late >/dev/null" ||
	fail "curl after the fallback failed"
kill "${holders[@]}" 2>/dev/null
sentinel
stop_collector
expect 1 type=http method=POST agent=lateshell path=/late
pass "$untagged (tagged: $((h2 - h1))); $N_SHELL curl POSTs of an agent's shell all seen in plaintext, of $N_EXEC exec-tagged shells' $n_seen seen and $n_alerted alerted unseen_tls ($unsure unsure) (${t_b} ms); the $n_att attaches of a holder's 3 processes released at exit; over the fd budget: system-wide ($why), still seen"
