#!/bin/bash
# a daemon (fork, setsid, fork, reparented) of a launched agent keeps the
# agent's tag: TCP connect and UDP send to 127.0.0.1 (and ::1) carry the root's
# agent_pid; the untagged listener produces no accept event.
. "$(dirname "$0")/lib.sh"

bg "$PY" "$HELPERS/listener.py" "$T/ports" 60
wait_file "$T/ports"
read -r v4 v6 listener <"$T/ports"
udp=$(( (v4 % 20000) + 40000 ))   # nobody needs to listen: sendto succeeds
start_collector

# shellcheck disable=SC2016
launch daemonbot /bin/sh -c 'echo $$ >"$1"; shift; "$@"; exit 0' sh "$T/root.pid" \
	"$PY" "$HELPERS/daemon_client.py" "$v4" "$v6" "$udp" "$T/done" ||
	fail "launched client failed"
wait_file "$T/done"
root=$(cat "$T/root.pid")
read -r daemon mid ppid_after <"$T/done"
[ "$ppid_after" != "$mid" ] || fail "test bug: the daemon was not reparented"

wait_event 10 type=send pid="$daemon" proto=udp
expect_min 1 type=connect pid="$daemon" agent=daemonbot agent_pid="$root" \
	proto=tcp daddr=127.0.0.1 dport="$v4" ret=0
expect_min 1 type=send pid="$daemon" agent=daemonbot agent_pid="$root" \
	proto=udp daddr=127.0.0.1 dport="$udp" bytes=8
msg="tcp+udp from a reparented daemon carry agent_pid $root"

if [ "$v6" -ne 0 ]; then
	wait_event 10 type=connect pid="$daemon" daddr=::1
	expect_min 1 type=connect pid="$daemon" agent=daemonbot agent_pid="$root" \
		proto=tcp daddr=::1 dport="$v6" ret=0
	msg="$msg; ::1 too"
else
	skip_part "::1 is unusable here: the IPv6 connect is not tested"
	msg="$msg; IPv6 part skipped (no ::1)"
fi

# the untagged listener: once it has made its accept calls and the sentinel
# is out, none of them was reported (its events alone: a collector tags every
# agent on the host, and another test's agent may accept meanwhile)
accepts=1
[ "$v6" -eq 0 ] || accepts=2
accepted() { [ "$(cat "$T/ports.accepted" 2>/dev/null | wc -l)" -ge "$accepts" ]; }
wait_for 10 "the listener's $accepts accept calls" accepted
sentinel
expect_none pid="$listener"

stop_collector
pass "$msg"
