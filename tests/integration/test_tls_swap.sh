#!/bin/bash
# Safe attach: an agent whose binary carries its own SSL_write execs another
# binary (the victim, a copy of sleep) the moment the collector opens its
# file to read its symbols.  The uprobes must land in the agent's binary,
# never in the victim: a uprobe in a running file's code shows as an
# anonymous page (int3 written copy-on-write) in its text mapping
# (/proc/PID/smaps), so the victim's text must stay all file-backed.  The
# file is scanned by the collector's scanner thread while the victim runs:
# the test waits for that scan to be judged and attached (its debug line) first.
. "$(dirname "$0")/lib.sh"

command -v readelf >/dev/null || skip "needs readelf"
# the agent: its SSL_write, and 400000 symbols to make its scan slow
"$PY" - "$T/syms.s" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('.section .note.GNU-stack,"",@progbits\n.section .rodata\n')
    for i in range(400000):
        f.write(".globl tls_swap_sym%d\ntls_swap_sym%d: .byte 0\n" % (i, i))
PYEOF
cc -O1 -o "$T/agent" "$HELPERS/tls_swap.c" "$T/syms.s" || fail "cannot build helpers/tls_swap.c"
cp /bin/sleep "$T/victim" || fail "cannot copy sleep"
# SSL_write's file offset must fall in the victim's executable segment
off=$(readelf -sW "$T/agent" | awk '$8 == "SSL_write" { print $2; exit }')
[ -n "$off" ] || fail "no SSL_write in the agent"
read -r seg_off seg_size < <(readelf -lW "$T/victim" | awk '$1 == "LOAD" && / R?W?E / { print $2, $5; exit }')
text_vaddr=$(readelf -SW "$T/agent" | awk '$2 == ".text" { print $4, $5; exit }')
read -r tv to <<<"$text_vaddr"
file_off=$(( 0x$off - 0x$tv + 0x$to ))
[ -n "$seg_size" ] || fail "no executable segment in the victim"
if (( file_off < seg_off || file_off >= seg_off + seg_size )); then
	skip "SSL_write at file offset $file_off is outside the victim's code ($seg_off+$seg_size)"
fi

start_collector --verbose   # the verdicts on scanned files are debug lines
launch swapper "$T/agent" "$COLLECTOR_PID" "$T/victim" 3 2>"$T/agent.err" &
lpid=$!
# the victim runs (the same pid, now sleep)
for _ in $(seq 100); do
	vpid=$(pgrep -f "^$T/victim 3" | head -1)
	[ -n "$vpid" ] && break
	sleep 0.05
done
[ -n "$vpid" ] || fail "the victim never ran: $(cat "$T/agent.err")"
grep -q "opened by the collector" "$T/agent.err" || fail "the collector never held the agent's file open: $(cat "$T/agent.err")"
# the collector is past the exec, and its scan (off the loop) and attach are done
sentinel
judged() {
	grep -q "(for $T/agent\[[0-9]*\]; scanned in" "$ERR"
}
WAIT_WHY="grep -e scanned -e $T/agent $ERR"
wait_for 20 "the agent's file scanned and judged" judged
anon=$(awk -v f="$T/victim" '$NF == f && $2 ~ /x/ { m = 1; next } /^[0-9a-f]+-/ { m = 0 }
	m && $1 == "Anonymous:" { s += $2 } END { print s + 0 }' "/proc/$vpid/smaps")
wait "$lpid" || fail "the agent failed: $(cat "$T/agent.err")"
[ "$anon" -eq 0 ] || fail "a uprobe landed in the victim's code: $anon kB anonymous in its text"
stop_collector
pass "an agent exec'ing another binary while its file is read: no uprobe in the other binary"
