#!/bin/bash
# DNS answers a tagged agent receives name the addresses it connects to: a
# dns event with the query and answers, and the connect that follows
# carries host; a POST there is judged by that name.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
NS=127.0.0.77
bg "$PY" "$HELPERS/dns_server.py" "$NS" corp.example 127.0.0.1 "$T/dns.ready" >"$T/dns.out" 2>&1
for _ in $(seq 100); do [ -s "$T/dns.ready" ] || [ -s "$T/dns.out" ] && break; sleep 0.05; done
[ -s "$T/dns.ready" ] || skip "cannot bind a DNS responder on $NS:53: $(cat "$T/dns.out")"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log" >/dev/null 2>&1
wait_file "$T/port"
port=$(cat "$T/port")
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$NS" >"$T/resolv.conf"
grep -v corp.example /etc/hosts >"$T/hosts"
# the agent resolves through the test's responder, in its own mount namespace
in_ns() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		"$T/resolv.conf" "$T/hosts" "$@"
}
in_ns true 2>/dev/null || skip "cannot make a mount namespace for the test's resolv.conf"
start_collector
in_ns "$AGENTMON" launch --socket "$SOCK" --agent dnsbot -- \
	curl -sS -o /dev/null --max-time 5 -d 'x=1' "http://forum.corp.example:$port/api/posts" ||
	fail "curl through the test resolver failed"
wait_event 5 type=dns agent=dnsbot query=forum.corp.example answers='["127.0.0.1"]'
wait_event 5 type=connect agent=dnsbot host=forum.corp.example dport="$port"
wait_event 5 type=alert rule=outbound_post agent=dnsbot host=forum.corp.example
stop_collector
pass "dns answer seen; the connect carries host; the POST judged by name"
