#!/bin/bash
# Fuzz smoke for `make test`: every libFuzzer target replays its seed corpus
# and then runs briefly (FUZZ_SMOKE_SECONDS, default 6) on fresh inputs.
# `make fuzz` runs them for longer.
set -eu
cd "$(dirname "$0")/../.."
secs=${FUZZ_SMOKE_SECONDS:-6}
for bin in build/fuzz/fuzz_*; do
	name=$(basename "$bin"); corpus=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
	cp "$corpus"/* "$work"/
	if ! "$bin" -max_total_time="$secs" -print_final_stats=0 "$work" >"$work.log" 2>&1; then
		echo "$name: crashed or leaked; last lines:"; tail -n 30 "$work.log"; exit 1
	fi
	echo "$name: $(grep -c . <(ls "$work")) inputs, no crash in ${secs}s"
	rm -rf "$work" "$work.log"
done
