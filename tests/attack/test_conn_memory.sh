#!/bin/bash
# Per-connection memory (issue 11): a tagged process opens 1,500 cleartext
# HTTP/2 connections, each sending a partial header block (16,000 bytes
# announced, 4,800 sent), all held open: about 13 KB of state each, 20 MB
# in all (and up to 64 KiB of block and two 64 KiB HPACK tables each in the
# worst case: hundreds of MB for 4,096 connections).  Run with a budget of
# 8 MiB (--conn-memory; default 32m, which the same attack with 4,000
# connections passes, only slower), the collector keeps all per-connection
# state within it: status shows conn_bytes <= conn_budget and the
# connections evicted for it, and its resident memory grows by less than
# the budget plus a margin.
. "$(dirname "$0")/lib.sh"

N=1500
bg "$PY" "$AT_HELPERS/h2_hoard.py" --listen "$T/port"
wait_file "$T/port"
port=$(cat "$T/port")
start_collector --conn-memory 8m
# res KEY...: the resources figures, space separated
res() {
	am status --json --socket "$SOCK" | "$PY" -c "import json,sys
r = json.load(sys.stdin)['resources']; print(*(r[k] for k in sys.argv[1:]))" "$@"
}
rss0=$(res rss_bytes)
bg "$AGENTMON" launch --socket "$SOCK" --agent hoarder -- "$PY" "$AT_HELPERS/h2_hoard.py" \
	"$port" "$N" "$T/hold"
HOARDER=$BG_PID
evicting() { [ "$(res conn_evicted)" -gt 0 ]; }
WAIT_WHY="res conn_bytes conn_budget conn_evicted rss_bytes" wait_for 60 "connections evicted for the memory budget" evicting
wait_count 60 "$N" type=connect agent=hoarder dport="$port"
sentinel
read -r bytes budget evicted rss < <(res conn_bytes conn_budget conn_evicted rss_bytes)
[ "$bytes" -le "$budget" ] || fail "per-connection state $bytes bytes, over its budget of $budget"
grown=$(((rss - rss0) >> 20))
[ "$budget" -eq $((8 << 20)) ] || fail "conn_budget $budget, want 8 MiB (--conn-memory 8m)"
[ "$grown" -lt $(((budget >> 20) + 24)) ] ||
	fail "the collector's memory grew by $grown MiB under $N hoarding connections (budget $((budget >> 20)) MiB)"
touch "$T/hold"
wait "$HOARDER" || fail "the hoarder failed"
stop_collector
pass "$N HTTP/2 connections holding partial header blocks: state $((bytes >> 20)) MiB of $((budget >> 20)), $evicted connections evicted, resident memory +$grown MiB"
