#!/bin/bash
# The integration suite once more, with the collector (and every agentmon
# command the tests run) built with AddressSanitizer, LeakSanitizer and
# UBSan (make test builds it as build/asan/agentmon).  A leak or a
# sanitizer report at exit makes the collector exit non-zero, which the
# tests' stop_collector turns into a failure.  One line per test, then
# "lsan: N passed, N failed[, N skipped]"; exit 1 when any failed.  What a
# test left out is said again as "SKIP-PART: lsan-TEST: REASON" lines (a
# whole test skipped is one such line), which tools/run-tests.sh counts.
# usage: lsan-integration.sh [TEST...]   (default: tests/integration/test_*.sh,
# but for the two left out below)
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${LSAN_AGENTMON:-build/asan/agentmon}
[ -x "$bin" ] || { echo "lsan: $bin not built (make test builds it)"; exit 1; }
logdir=${TEST_LOGDIR:-build/test-logs}/lsan
mkdir -p "$logdir"
# exitcode: what a leak or an error at exit turns into; abort_on_error off
# so that the test's own checks still run and print what they saw
export ASAN_OPTIONS=detect_leaks=1:exitcode=23:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=exitcode=23
passed=0 failed=0 skipped=0
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/integration/test_*.sh)
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	case $name in
	# test_install installs files and runs no collector; test_agents_quiet
	# and test_agents_tagging drive all nine real agents (minutes under ASan)
	# through the collector paths test_codex_tls and test_bun_tls cover here;
	# test_report's time is Chromium's and test_doctor's the scan of 300 MB
	# agent binaries (the report and the locator are fuzzed: fuzz_report,
	# fuzz_tls_locate); test_intent_tls and test_copilot_tls run real agents
	# whose timing the sanitizers change (the located-TLS path stays here in
	# test_codex_tls and test_bun_tls; the llm parsers are fuzzed: fuzz_llm);
	# test_record_replay and test_burst are the longest here and their paths
	# are every other test's (recording: test_record_limits; traces: fuzz_trace)
	test_install | test_agents_quiet | test_agents_tagging | test_report | test_doctor | \
		test_intent_tls | test_copilot_tls | test_record_replay | test_burst) continue ;;
	esac
	log=$logdir/$name.log
	AGENTMON=$PWD/$bin timeout -k 10 900 bash "$t" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1)); why=$(grep -a -m1 '^SKIP: ' "$log")
		echo "lsan  $name  skipped: ${why#SKIP: }"
		echo "SKIP-PART: lsan-$name: whole test skipped: ${why#SKIP: }"
		continue
	fi
	grep -a '^SKIP-PART: ' "$log" | sort -u | sed 's/^SKIP-PART: /SKIP-PART: lsan-/'
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1)); echo "lsan  $name  ok"
	else
		failed=$((failed + 1)); echo "lsan  $name  FAIL"
		grep -h -m3 -E "FAIL|LeakSanitizer|ERROR: AddressSanitizer|runtime error" \
			"$log" | sed 's/^/      /'
	fi
done
line="lsan: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
