#!/bin/bash
# Fuzz smoke for `make test`: every libFuzzer target replays its seed corpus
# and then runs briefly (FUZZ_SMOKE_SECONDS, default 6) on fresh inputs, as
# many at once as there are cores (FUZZ_SMOKE_JOBS).  A crash or a leak
# prints the target's last lines and fails.  `make fuzz` runs them longer.
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SMOKE_SECONDS:-6}
jobs=${FUZZ_SMOKE_JOBS:-$(nproc 2>/dev/null || echo 1)}
top=$(mktemp -d) || exit 1
trap 'rm -rf "$top"' EXIT

# one NAME BIN: the target on a copy of its corpus (seeds stay clean); its
# verdict line in $top/NAME.res, exit status 1 on a crash or a leak
one() {
	local name=$1 bin=$2 work=$top/$1
	mkdir -p "$work/corpus" && cp "tests/fuzz/corpus/${name#fuzz_}"/* "$work/corpus"/
	if ! (cd "$work" && "$OLDPWD/$bin" -max_total_time="$secs" -print_final_stats=0 corpus \
		>log 2>&1); then
		# the input is kept (build/fuzz-crashes) and shown: a CI machine is gone after
		mkdir -p build/fuzz-crashes && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
			build/fuzz-crashes/ 2>/dev/null
		{ echo "$name: crashed or leaked; last lines:"; tail -n 30 "$work/log"
		  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -f "$f" ] || continue
			echo "input build/fuzz-crashes/$(basename "$f") ($(stat -c %s "$f") bytes, hex):"
			od -An -tx1 -v "$f" | head -n 64
		  done; } >"$work.res"
		return 1
	fi
	echo "$name: $(ls "$work/corpus" | wc -l) inputs, no crash in ${secs}s" >"$work.res"
}

bad=0 running=0
for bin in build/fuzz/fuzz_*; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || bad=1
		running=$((running - 1))
	fi
	one "$(basename "$bin")" "$bin" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || bad=1
	running=$((running - 1))
done
cat "$top"/*.res
exit "$bad"
