#!/bin/bash
# exit statuses and one-line messages: bad arguments and bad policy -> 2,
# second collector on a socket -> 2, launch without collector -> 1, help -> 0.
. "$(dirname "$0")/lib.sh"

# Every check runs; the problems are listed together at the end.
problems=()
problem() { problems+=("$*"); }

# run_cli WANT_RC DESC ARGS...: run agentmon, check the status and, for a
# failure, that stderr is one non-empty line; leaves stderr in $msg
run_cli() {
	local want=$1 desc=$2 rc lines
	shift 2
	timeout 20 "$AGENTMON" "$@" >"$T/cli.out" 2>"$T/cli.err" </dev/null
	rc=$?
	msg=$(cat "$T/cli.err")
	if [ "$rc" -ne "$want" ]; then
		problem "$desc: 'agentmon $*' exited $rc, want $want; stderr: $(head -n 3 "$T/cli.err")"
	elif [ "$want" -ne 0 ]; then
		lines=$(grep -c . "$T/cli.err")
		[ "$lines" -eq 1 ] ||
			problem "$desc: 'agentmon $*' wrote $lines lines on stderr, want 1; first 3: $(head -n 3 "$T/cli.err")"
	fi
}

run_cli 0 help --help
grep -q run "$T/cli.out" || problem "agentmon --help does not mention run"
grep -q launch "$T/cli.out" || problem "agentmon --help does not mention launch"
help=$(cat "$T/cli.out")
run_cli 0 "run help" run --help
grep -q -- --socket "$T/cli.out" || problem "agentmon run --help does not mention --socket"
run_cli 0 "launch help" launch --help
grep -q -- --agent "$T/cli.out" || problem "agentmon launch --help does not mention --agent"

run_cli 2 "unknown option" run --bogus
run_cli 2 "bad format" run --format xml --no-record --socket "$T/x.sock"
run_cli 2 "bad capture size" run --capture-bytes 9999 --no-record --socket "$T/x.sock"
run_cli 2 "relative tls cache" run --tls-cache tls-cache --no-record --socket "$T/x.sock"
run_cli 2 "unknown command" frobnicate
run_cli 2 "launch without command" launch --socket "$T/x.sock" --agent x

# a policy with a wrong value on line 3
cat >"$T/bad.yaml" <<'Y'
# a policy with a wrong value on line 3
allow:
  - cidr: 10.0.0.0/99
    ports: [443]
Y
cat >"$T/good.yaml" <<'Y'
agents:
  - name: forum-bot
    match: [/opt/bots/forum-bot, "*/forum_bot.py"]
allow:
  - host: api.anthropic.com
  - cidr: 10.0.0.0/8
    ports: [443]
Y
run_cli 2 "bad policy" run --config "$T/bad.yaml" --format json --no-record --socket "$T/x.sock"
[[ $msg == *"bad.yaml:3"* ]] || problem "bad policy: stderr does not name bad.yaml:3: $msg"
[ ! -e "$T/x.sock" ] || problem "bad policy: the collector left its socket behind"
checked=no
if [[ $help == *check-config* ]]; then
	run_cli 2 "check-config bad" check-config "$T/bad.yaml"
	[[ $msg == *"bad.yaml:3"* ]] || problem "check-config: stderr does not name bad.yaml:3: $msg"
	run_cli 0 "check-config good" check-config "$T/good.yaml"
	printf 'view:\n  show: ["/srv/*"]\n  hide: ["~/.cache/*"]\n' >"$T/view.yaml"
	run_cli 0 "check-config view" check-config "$T/view.yaml"
	grep -q "2 view globs" "$T/cli.out" || problem "check-config: the view globs not counted: $(cat "$T/cli.out")"
	printf 'view:\n  show:\n    - "/srv/*"\n    - srv\n' >"$T/badview.yaml"
	run_cli 2 "check-config bad view" check-config "$T/badview.yaml"
	[[ $msg == *"badview.yaml:4: view.show[1]: 'srv' does not start with"* ]] ||
		problem "check-config: a bad view glob not named by its line: $msg"
	checked=yes
else
	skip_part "agentmon --help has no check-config: its exit statuses are not tested"
fi

# not root: one line naming the missing privilege, status 2, nothing left behind
cp "$AGENTMON" "$T/agentmon-copy" && chmod 755 "$T" "$T/agentmon-copy"
nr_out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$T/agentmon-copy" run --no-record --socket "$T/nr.sock" 2>&1 </dev/null)
nr_rc=$?
[ "$nr_rc" -eq 2 ] || problem "not root: exit $nr_rc, want 2: $nr_out"
[[ $nr_out == *"not running as root"* && $(grep -c . <<<"$nr_out") -eq 1 ]] ||
	problem "not root: want one line saying so, got: $nr_out"
[ ! -e "$T/nr.sock" ] || problem "not root: a socket was created"

# launch with no collector on the socket
run_cli 1 "launch without collector" launch --socket "$T/none.sock" --agent x -- /bin/touch "$T/launched"
[ ! -e "$T/launched" ] || problem "launch ran the command without a collector"

# a second collector on a served socket; the first keeps serving
start_collector --config "$T/good.yaml"
run_cli 2 "second collector" run --format json --no-record --socket "$SOCK"
[[ $msg == *"$SOCK"* || $msg == *running* || $msg == *use* ]] ||
	problem "second collector: message does not say why: $msg"
kill -0 "$COLLECTOR_PID" 2>/dev/null || problem "the first collector died"
launch x /bin/true || problem "launch through the first collector failed after the second was refused"
stop_collector
if [ ${#problems[@]} -gt 0 ]; then
	printf '%s\n' "${problems[@]}"
	fail "${#problems[@]} of the checks above failed"
fi
pass "help 0; bad usage/policy 2 with one line; check-config $checked; busy socket 2; no collector 1"
