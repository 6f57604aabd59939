#!/bin/bash
# agentmon doctor on this machine: the kernel facts known here (BTF, ring
# buffer and tp_btf OK; fentry and BPF LSM refused: OK, not needed;
# IA-32 emulation as a probe of int $0x80 finds it), a bad policy MISSING with
# file:line and exit 1, the TLS verdicts of the real agents of the test
# cache put on PATH (claude and opencode: BoringSSL located, codex: aws-lc
# located, node-based ones: node's OpenSSL with symbols), a running
# collector's status line OK, --json, and a non-root run saying which checks
# need root.
. "$(dirname "$0")/lib.sh"

cache=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
DOC=(am doctor --socket "$SOCK" --tls-budget 0)

# state ITEM FILE: the state of the first line of ITEM in a text report
state() { awk -v it="$2:" '$2 == it || ($2 " " $3) == it || ($2 " " $3 " " $4) == it { print $1; exit }' "$1"; }
want() { # want FILE ITEM STATE [REASON-REGEX]
	local got
	got=$(state "$1" "$2")
	[ "$got" = "$3" ] || fail "$2: want $3, got '$got': $(grep -m1 " $2:" "$1")"
	[ -z "${4:-}" ] || grep -m1 " $2:" "$1" | grep -Eq "$4" ||
		fail "$2: reason does not match /$4/: $(grep -m1 " $2:" "$1")"
}

# -- bad usage: exit 2, one line on stderr
for args in "--tls-budget abc" "--tls-budget 601" "--bogus" "extra"; do
	# shellcheck disable=SC2086 # the words are the arguments
	am doctor $args >"$T/usage.out" 2>"$T/usage.err"; rc=$?
	if [ $rc -ne 2 ] || [ "$(grep -c . "$T/usage.err")" -ne 1 ] || [ -s "$T/usage.out" ]; then
		fail "doctor $args: want exit 2 and one line on stderr, got $rc: $(head -3 "$T/usage.err")"
	fi
done

# -- the kernel, no collector, the embedded policy
"${DOC[@]}" --config /dev/null >"$T/plain" 2>"$T/plain.err"; rc=$?
# no collector is running: that one item is DEGRADED, and so exit 1 (SPEC)
[ $rc -eq 1 ] && [ "$(grep -vc '^OK' "$T/plain")" -eq 1 ] ||
	fail "doctor exit $rc, want 1 with only the collector not OK: $(grep -v '^OK' "$T/plain")"
want "$T/plain" btf OK
want "$T/plain" "ring buffer" OK
want "$T/plain" tp_btf OK
want "$T/plain" "cgroup v2" OK "mounted at /"
# this kernel (6.x, tracefs) allows per-process TLS uprobes, whatever the default
want "$T/plain" "tls uprobe mode" OK "(--tls-uprobes process available|per agent process \(the default\))"
want "$T/plain" fentry OK "(not needed|fentry programs load)"
want "$T/plain" "bpf lsm" OK "(not needed|BPF LSM programs load)"
want "$T/plain" collector DEGRADED "no collector is running on $SOCK"
# IA-32 as the evasion suite probes it: int $0x80 returns, or kills
if "$PY" -c 'import platform,sys; sys.exit(platform.machine() != "x86_64")'; then
	cat >"$T/ia32.c" <<'CEOF'
int main(void) { long r = 20; __asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11"); return r > 0 ? 0 : 1; }
CEOF
	if cc -o "$T/ia32" "$T/ia32.c" 2>/dev/null; then
		if ("$T/ia32") 2>/dev/null; then
			want "$T/plain" "ia32 emulation" OK "on \\(probed\\)"
		else
			want "$T/plain" "ia32 emulation" OK "off \\(probed\\)"
		fi
	fi
fi

# -- a bad policy: MISSING with file:line, exit 1; --json says the same
printf 'alerts:\n  upload_threshold: 16k\n  bogus_key: [\n' >"$T/bad.yaml"
"${DOC[@]}" --config "$T/bad.yaml" >"$T/bad" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "a bad policy: want exit 1, got $rc"
want "$T/bad" policy MISSING "$T/bad.yaml:[0-9]+: "
"${DOC[@]}" --config "$T/bad.yaml" --json >"$T/bad.json"; rc=$?
[ $rc -eq 1 ] || fail "--json: want exit 1, got $rc"
"$PY" - "$T/bad.json" <<'PYEOF' || fail "--json: $(cat "$T/bad.json")"
import json, sys
d = json.load(open(sys.argv[1]))
pol = [i for i in d["items"] if i["item"] == "policy"]
assert len(pol) == 1 and pol[0]["state"] == "MISSING" and ".yaml:" in pol[0]["reason"], pol
assert d["exit"] == 1 and d["items_lost"] == 0
assert all(i["state"] in ("OK", "DEGRADED", "MISSING") for i in d["items"])
PYEOF

# -- a running collector: its status summary, OK
start_collector
"${DOC[@]}" >"$T/svc"; rc=$?
[ $rc -eq 0 ] || fail "with a collector: exit $rc"
want "$T/svc" collector OK "pid $COLLECTOR_PID on $SOCK.*drops 0.*hooks all attached"

# -- non-root: the BPF checks say they need root; no MISSING for that
if id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$AGENTMON" doctor --socket "$SOCK" \
		--tls-budget 0 --config /dev/null >"$T/user" 2>&1
	want "$T/user" tp_btf DEGRADED "needs root"
	want "$T/user" fentry DEGRADED "needs root"
	want "$T/user" "tls uprobe mode" DEGRADED "needs root"
	want "$T/user" privileges DEGRADED "not running as root"
	want "$T/user" btf OK
else
	skip_part "no user nobody: non-root run not checked"
fi

# -- the real agents on PATH: their TLS verdicts
bins=""
for a in claude codex opencode gemini; do
	[ -e "$cache/$a/.installed" ] && bins="$bins:$cache/$a/node_modules/.bin"
done
if [ -z "$bins" ]; then
	pass "kernel, policy, collector (no agents in $cache: TLS verdicts not checked)"
fi
PATH="${bins#:}:$PATH" "$AGENTMON" doctor --socket "$SOCK" --tls-budget 120 >"$T/agents" 2>&1
line() { grep -E "^[A-Z]+ +tls $1: .*/$2: " "$T/agents" | head -1; }
check_bin() { # check_bin AGENT BASENAME-REGEX VERDICT-REGEX
	[ -e "$cache/$1/.installed" ] || return 0
	line "$1" "$2" | grep -Eq "^OK +tls $1: .*: $3" ||
		fail "tls $1: want $3 for $2, got: $(grep " tls $1:" "$T/agents")"
}
check_bin claude 'claude(\.exe)?' 'located \(tls_write_app_data'
check_bin opencode 'opencode(\.exe)?' 'located \(tls_write_app_data'
check_bin codex codex 'located \(EVP_AEAD_CTX_seal'
check_bin gemini node 'symbols'
pass "kernel facts, bad policy MISSING at file:line, collector OK, non-root, agents' TLS verdicts"
