#!/bin/bash
# llm.sh - the bench's row for the cost of reading model API exchanges: the
# collector's CPU per MB of model traffic, from a replay (`agentmon replay
# --json`, the same pipeline as a live collector, no live agent needed) of a
# synthetic trace (tools/bench/llm_trace.c) of BENCH_LLM_N (100) exchanges of
# ~8 KB requests and ~64 KB SSE answers to api.anthropic.com, against the same
# bytes to a host that is not a model API (no llm parsing): the difference is
# what the llm events cost.  Each replayed BENCH_REPLAY_RUNS (3) times;
# medians.  Run by tools/bench.sh, or alone (as any user, after make):
#   tools/bench/llm.sh [AGENTMON]
set -u
AGENTMON=${1:-build/agentmon}
N=${BENCH_LLM_N:-100}
RUNS=${BENCH_REPLAY_RUNS:-3}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
die() { echo "bench llm: $*" >&2; exit 1; }

{ [ -x "$AGENTMON" ] && [ -f build/libagentmon.a ]; } || die "run make first"
mkdir -p build/bench
# shellcheck disable=SC2046 # pkg-config's words
"${CC:-cc}" -O2 -Wall -Wextra -Iuser -Ibpf -o build/bench/llm_trace tools/bench/llm_trace.c \
	build/libagentmon.a $(pkg-config --libs libbpf yaml-0.1 libnghttp2 libcurl libcrypto libsystemd \
	jansson libmicrohttpd libnats 2>/dev/null || echo -lbpf -lyaml -lnghttp2 -lcurl -lcrypto -lsystemd \
	-ljansson -lmicrohttpd -lnats) \
	-lelf -lz -lpthread || die "cannot build build/bench/llm_trace"
W=$(mktemp -d /tmp/agentmon-bench-llm.XXXXXX) || die mktemp
trap 'rm -rf "$W"' EXIT
bytes=$(build/bench/llm_trace "$W/llm" api.anthropic.com "$N") || die "llm_trace failed"
build/bench/llm_trace "$W/other" api.example.org "$N" >/dev/null || die "llm_trace failed"
"$PY" - "$AGENTMON" "$W" "$bytes" "$N" "$RUNS" <<'PYEOF'
import glob, os, resource, statistics, subprocess, sys
agentmon, w, nbytes, n, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def cpu(host):
    """CPU seconds of each replay of the trace to host, and its llm events"""
    files = sorted(glob.glob(os.path.join(w, host, "*.amtrace")))
    out, events = [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([agentmon, "replay", "--json"] + files, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        events = p.stdout.count(b'"type":"llm"')
    return statistics.median(out), events

mb = nbytes / 1e6
llm, got = cpu("llm")
other, _ = cpu("other")
print()
print("model traffic: replay of %d synthetic exchanges (Anthropic SSE, %.1f MB): %d llm events"
      % (n, mb, got))
print("%-34s %-14s" % ("collector CPU", "ms per MB"))
print("%-34s %-14.1f" % ("to a model API (llm events)", llm * 1e3 / mb))
print("%-34s %-14.1f" % ("the same bytes to another host", other * 1e3 / mb))
print("%-34s %-14.1f" % ("reading the exchanges (difference)", (llm - other) * 1e3 / mb))
if got != n:
    print("  WARNING: %d llm events for %d exchanges" % (got, n))
PYEOF
