#!/bin/bash
# make install / make uninstall into a DESTDIR: layout and modes, the unit
# accepted by systemd-analyze verify, the shipped policy equal to the
# built-in default, an edited policy kept (new one as .new) across install
# and uninstall, /var/lib/agentmon left alone, the man page clean and
# covering every option of `agentmon CMD --help`, and no systemctl call.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "needs systemd-analyze (package systemd)"
command -v groff >/dev/null || skip "needs groff (package groff-base)"
command -v man >/dev/null || skip "needs man (package man-db)"
command -v make >/dev/null || skip "needs make"

# Every check runs; the problems are listed together at the end.
problems=()
problem() { problems+=("$*"); }

R=$T/root
SBIN=/usr/local/sbin
MAN8=/usr/local/share/man/man8
CONF=/etc/agentmon/agentmon.yaml
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNITDIR=${UNITDIR:-/lib/systemd/system}
UNIT=$UNITDIR/agentmon.service

# a systemctl that only records its calls: none is allowed with DESTDIR
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "$*" >>%s/systemctl.calls\n' "$T" >"$T/bin/systemctl"
chmod 755 "$T/bin/systemctl"

# mk TARGET LOG: make TARGET into $R with the binary already built (-o: an
# edit of a source by someone else does not rebuild it here)
mk() {
	PATH=$T/bin:$PATH make -C "$TOP" -o build/agentmon "$1" DESTDIR="$R" PREFIX=/usr/local \
		>"$T/$2" 2>&1 || fail "make $1 failed: $(tail -n 5 "$T/$2")"
}

# mode PATH WANT: PATH is a regular file of mode WANT
mode() {
	local got
	if [ ! -f "$R$1" ]; then problem "$1 not installed"; return; fi
	got=$(stat -c %a "$R$1")
	[ "$got" = "$2" ] || problem "$1 has mode $got, want $2"
}

# ---- first install ----
mk install install1.log
mode "$SBIN/agentmon" 755
mode "$CONF" 644
mode "$UNIT" 644
mode "$MAN8/agentmon.8.gz" 644
cmp -s "$TOP/build/agentmon" "$R$SBIN/agentmon" || problem "installed binary differs from build/agentmon"
cmp -s "$TOP/etc/agentmon.yaml" "$R$CONF" || problem "installed $CONF differs from etc/agentmon.yaml"
[ ! -e "$R$CONF.new" ] || problem "first install left $CONF.new"
zcat "$R$MAN8/agentmon.8.gz" 2>/dev/null | cmp -s - "$TOP/man/agentmon.8" ||
	problem "installed man page is not man/agentmon.8"
extra=$(cd "$R" && find . -type f | sed 's/^\.//' | grep -vxF -e "$SBIN/agentmon" -e "$CONF" \
	-e "$UNIT" -e "$MAN8/agentmon.8.gz")
[ -z "$extra" ] || problem "install wrote files it should not: $extra"
grep -qx "ExecStart=$SBIN/agentmon run --print alerts" "$R$UNIT" ||
	problem "unit: no 'ExecStart=$SBIN/agentmon run --print alerts': $(grep Exec "$R$UNIT")"
! grep -qE '@[A-Z_]+@' "$R$UNIT" || problem "unit: unsubstituted @VAR@: $(grep -E '@[A-Z_]+@' "$R$UNIT")"
# under attack (issue 11): descriptors and memory bounded, not the OOM
# killer's first choice, alerts never dropped by journald's rate limit
for want in '^LimitNOFILE=[0-9]{5,}$' '^MemoryHigh=[0-9]+[MG]$' '^MemoryMax=[0-9]+[MG]$' \
	'^OOMScoreAdjust=-[0-9]+$' '^LogRateLimitIntervalSec=0$'; do
	grep -qE "$want" "$R$UNIT" || problem "unit: no line matching $want"
done

# ---- the unit, as systemd sees it ----
# verify wants ExecStart's binary at its absolute path, and man:agentmon(8)
# to resolve: point both at the DESTDIR copies (--root= would also want
# sysinit.target and /bin/kill inside $R)
mkdir -p "$T/verify"
sed "s|^ExecStart=$SBIN/|ExecStart=$R$SBIN/|" "$R$UNIT" >"$T/verify/agentmon.service"
MANPATH=$R/usr/local/share/man systemd-analyze verify --recursive-errors=no \
	"$T/verify/agentmon.service" >"$T/verify.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || problem "systemd-analyze verify exited $rc: $(head -n 5 "$T/verify.log")"
if grep -q agentmon "$T/verify.log"; then
	problem "systemd-analyze verify warns about the unit: $(grep agentmon "$T/verify.log" | head -n 5)"
fi

# ---- the shipped policy is the built-in default ----
ok=$("$R$SBIN/agentmon" check-config "$R$CONF" 2>&1) || problem "check-config of the installed policy: $ok"
def=$("$R$SBIN/agentmon" check-config /dev/null 2>&1)
[ "${ok#*: }" = "${def#*: }" ] ||
	problem "installed policy is not the default: '${ok#*: }' vs the built-in '${def#*: }'"
# its commented copy of the built-in allow list matches user/policy_default.c
"$PY" - "$TOP/user/policy_default.c" "$TOP/etc/agentmon.yaml" >"$T/drift.log" 2>&1 <<'EOF' ||
import re, sys
src = open(sys.argv[1]).read()
text = "".join(bytes(m, "utf-8").decode("unicode_escape")
               for m in re.findall(r'^"(.*)"\s*;?$', src, re.M))
want = text[text.index("allow:\n") + 7:text.index("\nalerts:\n")].rstrip("\n").split("\n")
conf = open(sys.argv[2]).read().split("\n")
a = next(i for i, l in enumerate(conf) if l.startswith("# ---- built-in allow list"))
b = next(i for i, l in enumerate(conf) if l.startswith("# ---- end of the built-in allow list"))
got = [l[1:] for l in conf[a + 1:b]]
if got != want:
    for i, (g, w) in enumerate(zip(got + [""] * len(want), want + [""] * len(got))):
        if g != w:
            sys.exit("line %d of the commented allow list: %r, built-in: %r" % (i + 1, g, w))
EOF
	problem "etc/agentmon.yaml's built-in allow list differs from user/policy_default.c: $(cat "$T/drift.log")"

# ---- an edited policy survives a second install and the uninstall ----
sed -i 's/^allow:$/allow:\n  - host: build.corp.example   # local edit/' "$R$CONF"
"$R$SBIN/agentmon" check-config "$R$CONF" >/dev/null 2>&1 || problem "the edited policy does not check"
cp "$R$CONF" "$T/edited.yaml"
mk install install2.log
cmp -s "$T/edited.yaml" "$R$CONF" || problem "second install changed the edited $CONF"
cmp -s "$TOP/etc/agentmon.yaml" "$R$CONF.new" || problem "second install: no $CONF.new with the shipped policy"
mode "$CONF.new" 644
grep -q "agentmon.yaml.new" "$T/install2.log" || problem "second install does not say where the new policy went"

mkdir -p "$R/var/lib/agentmon/traces" "$R/var/lib/agentmon/spool"
echo trace >"$R/var/lib/agentmon/traces/agentmon-1.amtrace"
mk uninstall uninstall1.log
for f in "$SBIN/agentmon" "$UNIT" "$MAN8/agentmon.8.gz" "$CONF.new"; do
	[ ! -e "$R$f" ] || problem "uninstall left $f"
done
cmp -s "$T/edited.yaml" "$R$CONF" || problem "uninstall removed or changed the edited $CONF"
if [ ! -s "$R/var/lib/agentmon/traces/agentmon-1.amtrace" ] || [ ! -d "$R/var/lib/agentmon/spool" ]; then
	problem "uninstall touched /var/lib/agentmon"
fi

# ---- an unedited policy goes with the uninstall ----
rm -f "$R$CONF"
mk install install3.log
mk uninstall uninstall2.log
[ ! -e "$R/etc/agentmon" ] || problem "uninstall left the unedited policy: $(ls -A "$R/etc/agentmon")"
left=$(cd "$R" && find . -type f | grep -v '^./var/lib/agentmon/')
[ -z "$left" ] || problem "uninstall left files: $left"
[ ! -e "$T/systemctl.calls" ] || problem "systemctl called with DESTDIR set: $(cat "$T/systemctl.calls")"

# ---- the man page ----
out=$(groff -ww -man -z "$TOP/man/agentmon.8" 2>&1)
[ -z "$out" ] || problem "groff warns about man/agentmon.8: $(head -n 5 <<<"$out")"
MANROFFOPT=-ww MANWIDTH=80 man -l "$TOP/man/agentmon.8" >"$T/man.txt" 2>"$T/man.err" ||
	problem "man -l man/agentmon.8 failed"
[ ! -s "$T/man.err" ] || problem "man warns about man/agentmon.8: $(head -n 5 "$T/man.err")"
# every option of every subcommand's --help is in the page
for cmd in run launch tail status replay check-config; do
	grep -q "^   $cmd$" "$T/man.txt" || problem "man page has no section for '$cmd'"
	for opt in $("$AGENTMON" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" "$T/man.txt" || problem "man page does not mention '$cmd $opt'"
	done
done

if [ ${#problems[@]} -gt 0 ]; then
	printf '%s\n' "${problems[@]}"
	fail "${#problems[@]} of the checks above failed"
fi
pass "install layout and modes; unit verified; default policy; edited policy kept; uninstall; man page clean"
