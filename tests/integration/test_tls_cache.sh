#!/bin/bash
# The TLS cache file (run --tls-cache, user/tls_cache.c) as the collector
# meets it:
#   - a damaged one is ignored with one warning, and rewritten whole, valid,
#     mode 0600, with the binaries judged at start (node's own OpenSSL);
#   - the next collector reads it without a word and hooks node from it,
#     unscanned (status: a cache hit, in text and JSON);
#   - an agent's binary without a TLS library of its own (a copy of true,
#     run once: over before /proc/PID/exe is read, it is found by its
#     exec's path) is scanned once: its verdict is in the file (an N line), and the next
#     collector judges it from there, unscanned;
#   - one others can write is ignored with one warning.
# Codex's first run hooked from the cache: test_codex_tls.
. "$(dirname "$0")/lib.sh"

node=/usr/bin/node
[ -x "$node" ] || skip "needs $node (its own OpenSSL is hooked at start)"
mkdir -m 0700 "$T/c.d" || fail "mkdir"
cache=$T/c.d/cache
printf 'agentmon-tls-cache 1 11\nE 1 2 3\n' >"$cache" && chmod 0600 "$cache"

hits() {
	am status --json --socket "$SOCK" | "$PY" -c \
		'import json, sys; print(json.load(sys.stdin)["tls_scans"]["cache_hits"])'
}
warned() {
	[ "$(grep -c "TLS cache $cache ignored" "$ERR")" = 1 ] ||
		fail "want one warning about the TLS cache, got: $(grep -i "tls cache" "$ERR")"
	grep -q "ignored ($1)" "$ERR" || fail "the warning does not say '$1': $(grep -i "tls cache" "$ERR")"
}

mkdir -p "$T/bin" || fail "mkdir"
# a copy of true, over at once: a process gone before the collector opens
# /proc/PID/exe is scanned by its exec's path (the file the kernel ran)
cp /bin/true "$T/bin/scanme" || fail "cp"
ino=$(stat -c %i "$T/bin/scanme")
# scanned: the debug lines of scans done for scanme (the scanner thread's)
scanned() { grep "scanned in" "$ERR" | grep -c "scanme"; }
in_cache() { grep -q "^N [0-9]* $ino " "$cache"; }
start_collector -v --tls-cache "$cache"
warned "damaged or foreign"
launch scanbot "$T/bin/scanme" || fail "scanme failed"
wait_for 30 "scanme's scan and its verdict in the cache" in_cache
[ "$(scanned)" -ge 1 ] || fail "scanme's verdict is in the cache, yet no scan of it was logged"
head -n 1 "$cache" | grep -qx "agentmon-tls-cache 2 11" || fail "cache not rewritten: $(head -c 200 "$cache")"
grep -q "^E [0-9]* $(stat -c %i "$node") $(stat -c %s "$node") " "$cache" ||
	fail "node (its own OpenSSL, hooked at start) is not in the cache: $(cat "$cache")"
[ "$(stat -c %a "$cache")" = 600 ] || fail "cache mode $(stat -c %a "$cache"), want 600"
[ "$(hits)" = 0 ] || fail "cache hits before any was read: $(hits)"
stop_collector

start_collector -v --tls-cache "$cache"
grep -qi "tls cache" "$ERR" && fail "a valid cache was warned about: $(grep -i "tls cache" "$ERR")"
[ "$(hits)" -ge 1 ] || fail "node was not hooked from the cache (hits $(hits))"
h0=$(hits)
launch scanbot "$T/bin/scanme" || fail "scanme failed"
sentinel
[ "$(scanned)" = 0 ] || fail "scanme was scanned again: $(grep "scanned in" "$ERR" | grep scanme)"
[ "$(hits)" -gt "$h0" ] || fail "scanme's verdict was not taken from the cache (hits $h0 -> $(hits))"
am status --socket "$SOCK" | grep -Eq "^  cache: *$cache: [1-9][0-9]* hits? \(hooked unscanned\)" ||
	fail "the text status has no cache line: $(am status --socket "$SOCK" | grep -A1 "tls scans")"
stop_collector

chmod 0666 "$cache"
start_collector --tls-cache "$cache"
warned "not root's alone, it or its directory"
[ "$(hits)" = 0 ] || fail "a cache others can write was read: $(hits) hits"
stop_collector
pass "damaged TLS cache ignored with one warning and rewritten; the next collector hooks node from it unscanned, and judges a binary without TLS library unscanned; one others can write is ignored"
