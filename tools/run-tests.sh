#!/bin/bash
# Run test executables (cmocka unit binaries, integration scripts) and end
# with one line "N passed, N failed[, N skipped]" over all of them.
#
# A test passes with exit 0, skips with exit 77 (it must say why on its
# output), fails otherwise.  cmocka binaries count their own cases: their
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines are summed.
# A test that runs but leaves a part out prints one line per such part,
# "SKIP-PART: TEST: REASON" (lib.sh's skip_part): each distinct line adds one
# to the skipped count and its reason is shown on the test's line.
# Each test gets TEST_TIMEOUT seconds (600); a script that runs a whole suite
# itself (tools/lsan-integration.sh) gets SUITE_TIMEOUT (3600).
# usage: run-tests.sh LABEL TEST...
set -u
label=$1; shift
passed=0 failed=0 skipped=0
failed_names=()
logdir=${TEST_LOGDIR:-build/test-logs}
mkdir -p "$logdir"
for t in "$@"; do
	name=$(basename "$t")
	case $t in */asan/*) name="asan-$name" ;; esac
	log="$logdir/$name.log"
	start=$(date +%s)
	limit=${TEST_TIMEOUT:-600}
	case $name in lsan-integration.sh) limit=${SUITE_TIMEOUT:-3600} ;; esac
	if [[ $t == *.sh ]]; then
		timeout -k 10 "$limit" bash "$t" >"$log" 2>&1
	else
		timeout -k 10 "$limit" "$t" >"$log" 2>&1
	fi
	rc=$?
	secs=$(( $(date +%s) - start ))
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$p" -gt 0 ] || [ "$f" -gt 0 ]; then
		passed=$((passed + p)); failed=$((failed + f))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
		status="$p passed, $f failed"
		[ "$rc" -ne 0 ] && failed_names+=("$name")
	elif [ "$rc" -eq 0 ]; then
		passed=$((passed + 1)); status=ok
	elif [ "$rc" -eq 77 ]; then
		why=$(grep -a -m1 '^SKIP: ' "$log" || grep -a -m1 -i 'skip' "$log" || tail -n1 "$log")
		skipped=$((skipped + 1)); status="SKIP: ${why#SKIP: }"
	else
		failed=$((failed + 1)); status="FAIL (exit $rc)"; failed_names+=("$name")
	fi
	if [ "$rc" -ne 77 ]; then
		parts=$(grep -a '^SKIP-PART: ' "$log" | sort -u)
		if [ -n "$parts" ]; then
			skipped=$((skipped + $(grep -c . <<<"$parts")))
			status="$status; skipped part: $(sed 's/^SKIP-PART: //' <<<"$parts" | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')"
		fi
	fi
	printf '%-12s %-36s %s (%ss)\n' "$label" "$name" "$status" "$secs"
done
for n in "${failed_names[@]}"; do
	echo "---- $n (last 40 lines of $logdir/$n.log) ----"
	tail -n 40 "$logdir/$n.log"
done
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
