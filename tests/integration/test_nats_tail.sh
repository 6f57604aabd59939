#!/bin/bash
# tail --nats: the fleet tail against a real nats-server with JetStream (TLS,
# a user and password), two hosts' messages published as the exporters
# publish them (helpers/nats_pub.c).  Four tails at once show each host's
# events with its name after the time, in the compact view, verbose, JSON,
# and under --host/--agent/--type/--pid/--alerts; hostile messages (not
# JSON, cut, too long, wrong host, wrong subject, control bytes) are skipped,
# counted and never printed raw; --config's view: globs show a read the
# compact view folds, and a SIGHUP reloads them; a durable consumer prints what came while
# it was stopped once; --all and --since print the stream's past; a nats-server restart is survived and said; a wrong
# password and a missing stream are one line and exit 1.  A real collector's
# JSON lines, published with their host as the exporter does, come out of
# the tail byte for byte (the exporter itself is test_nats_export's).
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || skip "no nats-server (tools/deps.sh installs it)"
pub=$(build_helper nats_pub -lnats) || fail "cannot build helpers/nats_pub.c"

# bad options: one line, exit 2, before any connection
for args in "--nats ftp://x" "--nats nats://x --durable a.b" "--nats nats://x --subject a.>" \
	"--nats nats://x --user u" "--nats nats://x --type bogus" "--durable x" "--all" \
	"--since 10m" "--nats nats://x --all --since 10m" "--nats nats://x --since soon" \
	"--nats nats://x --since 2099-01-01T00:00:00Z"; do
	# shellcheck disable=SC2086
	am tail $args >/dev/null 2>"$T/usage.err"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$T/usage.err")" -eq 1 ] ||
		fail "tail $args: exit $rc, $(cat "$T/usage.err")"
done

PORT=$(free_port)
URL=tls://127.0.0.1:$PORT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
	fail "cannot make a certificate"
printf 's3cret\n' >"$T/pw"
printf 'wrong\n' >"$T/badpw"
cp "$T/pw" "$T/pw-readable"
chmod 600 "$T/pw" "$T/badpw"
chmod 644 "$T/pw-readable"
cat >"$T/nats.conf" <<EOF
listen: 127.0.0.1:$PORT
jetstream { store_dir: "$T/js" }
tls { cert_file: "$T/cert.pem", key_file: "$T/key.pem" }
authorization { user: tail, password: s3cret }
EOF

start_nats() {
	: >"$T/nats.log"
	bg nats-server -c "$T/nats.conf" -l "$T/nats.log"
	NATS_PID=$BG_PID
	wait_for 10 "nats-server ready" grep -q "Server is ready" "$T/nats.log"
}
start_nats
np() { "$pub" "$URL" tail s3cret "$T/cert.pem" "$@"; }
np stream AGENTMON 'agentmon.>' || fail "cannot create the stream"

# tail NAME ARGS...: a fleet tail in the background, stdout $T/NAME.out,
# stderr $T/NAME.err, until it follows the stream
tail_bg() {
	local name=$1
	shift
	NO_COLOR=1 bg "$AGENTMON" tail --nats "$URL" --user tail --password-file "$T/pw" \
		--tls-ca "$T/cert.pem" "$@" >"$T/$name.out" 2>"$T/$name.err"
	TAIL_PID=$BG_PID
	wait_for 10 "tail $name following" grep -q "following" "$T/$name.err"
}
# stop_tail PID: SIGINT, exit 0
stop_tail() {
	kill -INT "$1"
	wait "$1" || fail "tail (pid $1) did not exit 0 on SIGINT"
}
TS='"ts":"2026-12-02T12:00:00.100000000Z"'
common() { # host-independent fields: pid comm exe agent agent_pid
	printf '%s,"type":"%s","pid":%s,"tid":%s,"ppid":1,"uid":1000,"comm":"%s","exe":"%s","agent":"%s","agent_pid":%s' \
		"$TS" "$1" "$2" "$2" "$3" "$4" "$5" "$6"
}
EXEC1="agentmon.dev1_corp.exec	{$(common exec 4242 bash /usr/bin/bash claude 4200),\"filename\":\"/usr/bin/bash\",\"argv\":[\"bash\",\"-c\",\"make\"],\"cwd\":\"/home/u/proj\",\"host\":\"dev1.corp\"}"
CONN2="agentmon.dev2.connect	{$(common connect 777 curl /usr/bin/curl codex 700),\"proto\":\"tcp\",\"daddr\":\"1.2.3.4\",\"dport\":443,\"host\":\"paste.example\",\"ret\":0,\"host\":\"dev2\"}"
alert2() {
	printf 'agentmon.dev2.alert\t{%s,"rule":"outbound_post","severity":"high","summary":"%s","chain":"codex > curl","count":1,"cause":"http","method":"POST","host":"paste.example","path":"/up","daddr":"1.2.3.4","dport":443,"tls":true,"bytes":5,"version":"1.1","host":"dev2"}\n' \
		"$(common alert 777 curl /usr/bin/curl codex 700)" "$1"
}
ESC=$(printf '\033')
hostile() {
	printf 'agentmon.dev1_corp.exec\t%s[31mnot json\n' "$ESC"
	printf 'agentmon.dev1_corp.exec\t{"ts":"2026-12-02T12:00:00Z","type":"exec","comm":"x","host":"dev1.corp"}\n'
	printf 'agentmon.dev3.exec\t%s\n' "${EXEC1#*	}"
	printf 'agentmon.dev1_corp.exec.more\t%s\n' "${EXEC1#*	}"
	printf 'agentmon.dev1_corp.exec\t{%s,"filename":"/x","argv":["x"' "$(common exec 9 x /x claude 4200)"
	printf '\n'
	printf 'agentmon.dev1_corp.exec\t{"pad":"%s",%s,"filename":"/x","argv":[],"host":"dev1.corp"}\n' \
		"$(head -c 600000 /dev/zero | tr '\0' a)" "$(common exec 9 x /x claude 4200)"
	# valid, with control bytes in its strings: shown escaped
	printf 'agentmon.dev1_corp.exec\t{%s,"filename":"/tmp/\\u001b[2Jevil","argv":["e\\u0007"],"cwd":null,"host":"dev1.corp"}\n' \
		"$(common exec 4243 'ev\u001bil' /tmp/evil claude 4200)"
}

# ---- four tails, one stream ----
tail_bg all --stats
ALL=$TAIL_PID
tail_bg dev2json --json --host dev2 --agent codex
J=$TAIL_PID
tail_bg alerts --verbose --alerts
A=$TAIL_PID
tail_bg pid --type exec --pid 4242 --host dev1.corp
P=$TAIL_PID
# another host whose name has the same subject form: not dev1.corp's
TWIN="agentmon.dev1_corp.exec	{$(common exec 4242 bash /usr/bin/twin claude 4200),\"filename\":\"/usr/bin/twin\",\"argv\":[\"twin\"],\"cwd\":\"/\",\"host\":\"dev1_corp\"}"
{ echo "$EXEC1"; echo "$TWIN"; echo "$CONN2"; alert2 "codex POSTed 5 bytes to paste.example"; hostile
  alert2 "sentinel one"; echo "${EXEC1//bash\"/sentinel\"}"; } | np pub || fail "publish failed"
for n in all dev2json alerts; do
	wait_for 10 "the sentinel in tail $n" grep -q "sentinel one" "$T/$n.out"
done
for n in all pid; do
	wait_for 10 "the sentinel exec in tail $n" grep -q "exec /usr/bin/sentinel" "$T/$n.out"
done
for p in $ALL $J $A $P; do stop_tail "$p"; done

# ---- --config: its view: globs show a read the view folds; a SIGHUP reloads them ----
printf 'export:\n  nats:\n    url: %s\nview:\n  show: ["/etc/host*"]\n' "$URL" >"$T/tailcfg.yaml"
tail_bg cfg --config "$T/tailcfg.yaml"
C=$TAIL_PID
open1() { # PID: dev1.corp's bash PID reads /etc/hostname
	printf 'agentmon.dev1_corp.open\t{%s,"path":"/etc/hostname","flags":"O_RDONLY","write":false,"ret":3,"host":"dev1.corp"}\n' \
		"$(common open "$1" bash /usr/bin/bash claude 4200)"
}
{ open1 4242; alert2 "sentinel two"; } | np pub || fail "publish failed"
wait_for 10 "sentinel two in tail cfg" grep -q "sentinel two" "$T/cfg.out"
grep -q 'dev1.corp  *claude/bash\[4242\] open /etc/hostname O_RDONLY = 3$' "$T/cfg.out" ||
	fail "tail --config with view.show /etc/host*: no /etc/hostname line: $(cat "$T/cfg.out")"
printf 'export:\n  nats:\n    url: %s\n' "$URL" >"$T/tailcfg.yaml"
kill -HUP "$C"
wait_for 10 "tail cfg's reload" grep -q "view globs reloaded" "$T/cfg.err"
{ open1 4250; alert2 "sentinel three"; } | np pub || fail "publish failed"
wait_for 10 "sentinel three in tail cfg" grep -q "sentinel three" "$T/cfg.out"
! grep -q 'bash\[4250\] open /etc/hostname' "$T/cfg.out" ||
	fail "tail --config after a reload without view: still shows /etc/hostname: $(cat "$T/cfg.out")"
stop_tail "$C"

# the compact view: each host's lines with its name, the connect once
grep -q '^[0-9:.]* dev1.corp  *claude/bash\[4242\] exec /usr/bin/bash \[bash -c make\]$' "$T/all.out" ||
	fail "no dev1.corp exec line in the compact view: $(cat "$T/all.out")"
grep -q '^[0-9:.]* dev2  *codex/curl\[777\] connect tcp 1.2.3.4:443 (paste.example)' "$T/all.out" ||
	fail "no dev2 connect line (with its destination's name): $(cat "$T/all.out")"
grep -q '^[0-9:.]* dev2 !! ALERT high outbound_post: codex POSTed 5 bytes' "$T/all.out" ||
	fail "no dev2 alert line"
grep -q 'exec /tmp/\\x1b\[2Jevil \[e\\x07\]' "$T/all.out" ||
	fail "the control bytes of a message are not shown escaped: $(cat "$T/all.out")"
for f in all dev2json alerts pid; do
	! grep -q "$ESC" "$T/$f.out" || fail "tail $f printed a raw ESC byte"
	! grep -q "not json\|aaaaaaaa" "$T/$f.out" || fail "tail $f printed a malformed message"
done
[ "$(grep -c 'exec /usr/bin/bash' "$T/all.out")" -eq 1 ] || fail "the exec shown more than once"
# hostile messages: said once per reason, counted at the end
grep -q "skipped a message on agentmon.dev1_corp.exec: not_json" "$T/all.err" ||
	fail "the non-JSON message was not reported: $(cat "$T/all.err")"
grep -q "13 messages, 7 shown, 6 malformed" "$T/all.err" || fail "no --stats line: $(cat "$T/all.err")"
for r in not_json=2 missing_field=1 bad_host=1 bad_subject=1 too_long=1; do
	grep "malformed" "$T/all.err" | grep -q " $r" || fail "--stats lacks $r: $(cat "$T/all.err")"
done
grep -q "malformed" "$T/alerts.err" || fail "a tail without --stats says nothing of malformed messages"

# JSON, --host dev2 --agent codex: only dev2's codex events, each with its
# host last and the connect's own destination name kept
"$PY" - "$T/dev2json.out" <<'EOF' || fail "tail --json --host dev2 --agent codex is wrong: $(cat "$T/dev2json.out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
evs = [json.loads(l) for l in lines]
assert [e["type"] for e in evs] == ["connect", "alert", "alert"], evs
assert all(e["host"] == "dev2" and e["agent"] == "codex" for e in evs), evs
assert lines[0].endswith(',"host":"dev2"}') and '"host":"paste.example"' in lines[0], lines[0]
assert evs[1]["cause"] == "http" and evs[1]["path"] == "/up" and evs[1]["tls"] is True, evs[1]
EOF
# --verbose --alerts: the two alerts, one line each with the host
[ "$(grep -c '^[0-9:.]* dev2 ALERT high outbound_post' "$T/alerts.out")" -eq 2 ] &&
	[ "$(wc -l <"$T/alerts.out")" -eq 2 ] || fail "tail --alerts: $(cat "$T/alerts.out")"
grep -q '^[0-9:.]* dev1_corp  *claude/bash\[4242\] exec /usr/bin/twin' "$T/all.out" ||
	fail "no line of host dev1_corp: $(cat "$T/all.out")"
# --type exec --pid 4242 --host dev1.corp: that exec only, in full (not the twin's)
[ "$(wc -l <"$T/pid.out")" -eq 2 ] && grep -q 'dev1.corp claude/bash\[4242\] exec /usr/bin/bash' "$T/pid.out" &&
	! grep -q twin "$T/pid.out" ||
	fail "tail --type exec --pid 4242 --host dev1.corp: $(cat "$T/pid.out")"

# every message so far is in the stream before this time (the tails saw the last)
MID=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)

# ---- durable: what came while stopped, once ----
tail_bg d1 --json --durable fleetwatch
alert2 "before stop" | np pub || fail "publish failed"
wait_for 10 "the first message in the durable tail" grep -q "before stop" "$T/d1.out"
stop_tail "$TAIL_PID"
{ alert2 "while stopped 1"; alert2 "while stopped 2"; } | np pub || fail "publish failed"
tail_bg d2 --json --durable fleetwatch
alert2 "after restart" | np pub || fail "publish failed"
wait_for 10 "the new message in the restarted durable tail" grep -q "after restart" "$T/d2.out"
for m in "while stopped 1" "while stopped 2" "after restart"; do
	[ "$(grep -c "$m" "$T/d2.out")" -eq 1 ] || fail "'$m' not printed once on restart: $(cat "$T/d2.out")"
done
! grep -q "before stop" "$T/d2.out" || fail "the restarted durable tail printed an acked message again"

# ---- the server restarts under the durable tail and an ephemeral one: said,
# and both go on ----
D=$TAIL_PID
tail_bg eph --verbose --alerts
E=$TAIL_PID
kill -TERM "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
wait_for 10 "the tail saying it lost the connection" grep -q "lost the connection" "$T/d2.err"
start_nats
wait_for 20 "the tail saying it reconnected" grep -q "reconnected to" "$T/d2.err"
# the consumer may need a moment to be delivering again: publish until seen
seen_after() {
	alert2 "after the server restart" | np pub && grep -q "after the server restart" "$T/d2.out" &&
		grep -q "after the server restart" "$T/eph.out"
}
wait_for 20 "a message after the server restart in both tails" seen_after
grep -q "reconnected to" "$T/eph.err" || fail "the ephemeral tail did not say it reconnected"
stop_tail "$D"
stop_tail "$E"

# ---- the stream's past: --all from its first message, --since from a time
# (RFC 3339 or an age); each tail caught up when it shows a sentinel sent
# after it started following ----
tail_bg pastall --json --alerts --all
PA=$TAIL_PID
tail_bg pastmid --json --alerts --since "$MID"
PM=$TAIL_PID
tail_bg pastage --json --alerts --since 1h
PH=$TAIL_PID
alert2 "past sentinel" | np pub || fail "publish failed"
for n in pastall pastmid pastage; do
	wait_for 10 "the sentinel in tail $n" grep -q "past sentinel" "$T/$n.out"
done
for p in $PA $PM $PH; do stop_tail "$p"; done
grep -q "from its first message" "$T/pastall.err" && grep -q "since $MID" "$T/pastmid.err" ||
	fail "the tails do not say where they start: $(cat "$T/pastall.err" "$T/pastmid.err")"
past_order() { grep -o '"summary":"[^"]*"' "$T/$1.out" | cut -d'"' -f4 | grep -v "server restart" |
	tr '\n' '|'; }
want="codex POSTed 5 bytes to paste.example|sentinel one|sentinel two|sentinel three|before stop|while stopped 1|while stopped 2|after restart|past sentinel|"
[ "$(past_order pastall)" = "$want" ] || fail "tail --all: $(past_order pastall)"
[ "$(past_order pastage)" = "$want" ] || fail "tail --since 1h: $(past_order pastage)"
[ "$(past_order pastmid)" = "before stop|while stopped 1|while stopped 2|after restart|past sentinel|" ] ||
	fail "tail --since $MID: $(past_order pastmid)"

# ---- a real collector's lines, published as the exporter does (JSON plus
# "host" last): the tail writes each of them again byte for byte ----
start_collector
launch realbot /bin/bash -c "cat /etc/hostname >/dev/null; echo x >$T/w; chmod 600 $T/w;
	mv $T/w $T/w2; rm $T/w2; exec 3<>/dev/tcp/127.0.0.1/$PORT; exit 3" 2>/dev/null
wait_event 10 type=exit agent=realbot
stop_collector
"$PY" - "$OUT" >"$T/real.pub" <<'EOF' || fail "cannot read the collector's lines"
import json, sys
for line in open(sys.argv[1]).read().splitlines()[:3000]:
    print("agentmon.real1.%s\t%s,\"host\":\"real1\"}" % (json.loads(line)["type"], line[:-1]))
EOF
cut -f2- "$T/real.pub" >"$T/real.want"
grep -q '"type":"exec".*"agent":"realbot"' "$T/real.want" || fail "no realbot exec to publish"
tail_bg real --json --stats --host real1
np pub <"$T/real.pub" || fail "publish failed"
real_caught_up() { [ "$(wc -l <"$T/real.out")" -ge "$(wc -l <"$T/real.want")" ]; }
wait_for 20 "the collector's $(wc -l <"$T/real.want") lines in the tail" real_caught_up
stop_tail "$TAIL_PID"
cmp -s "$T/real.out" "$T/real.want" ||
	fail "the tail's JSON is not the exporter's: $(diff "$T/real.want" "$T/real.out" | head -5)"
grep -q ", 0 malformed" "$T/real.err" && ! grep -q "skipped" "$T/real.err" ||
	fail "a collector line was refused: $(cat "$T/real.err")"
for ty in exec open rename chmod unlink connect exit; do
	grep -q "\"type\":\"$ty\".*\"agent\":\"realbot\"" "$T/real.out" || fail "no realbot $ty went through"
done

# ---- a wrong password, a missing stream: one line, exit 1 ----
NO_COLOR=1 "$AGENTMON" tail --nats "$URL" --user tail --password-file "$T/badpw" \
	--tls-ca "$T/cert.pem" >/dev/null 2>"$T/auth.err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/auth.err")" -eq 1 ] && grep -qi "authoriz" "$T/auth.err" ||
	fail "a wrong password: exit $rc, $(cat "$T/auth.err")"
! grep -q "wrong" "$T/auth.err" || fail "the password reached stderr"
NO_COLOR=1 "$AGENTMON" tail --nats "$URL" --user tail --password-file "$T/pw-readable" \
	--tls-ca "$T/cert.pem" >/dev/null 2>"$T/readable.err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/readable.err")" -eq 1 ] && grep -q "others may read it" "$T/readable.err" ||
	fail "a password file others may read: exit $rc, $(cat "$T/readable.err")"
NO_COLOR=1 "$AGENTMON" tail --nats "$URL" --user tail --password-file "$T/pw" \
	--tls-ca "$T/cert.pem" --stream NOPE >/dev/null 2>"$T/stream.err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/stream.err")" -eq 1 ] && grep -q "NOPE" "$T/stream.err" ||
	fail "a missing stream: exit $rc, $(cat "$T/stream.err")"
NO_COLOR=1 "$AGENTMON" tail --nats "$URL" --user tail --password-file "$T/pw" \
	--tls-ca "$T/cert.pem" --subject nostream >/dev/null 2>"$T/subj.err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/subj.err")" -eq 1 ] ||
	fail "a subject no stream holds: exit $rc, $(cat "$T/subj.err")"

pass "two hosts through a real JetStream over TLS: compact/verbose/JSON with hosts, filters, 6 hostile messages counted, --config view globs and their SIGHUP reload, durable resume once, server restart, --all/--since past, a real collector's lines byte for byte, auth and stream errors"
