#!/bin/bash
# run --metrics: Prometheus text on /metrics (404 elsewhere, GET/HEAD only);
# a launched agent's events move agentmon_events_total; hooks, ring buffer
# and process figures are there; `promtool check metrics` passes; idle
# connections held by a client neither stall the collector nor keep the
# endpoint down past their timeout; a real Prometheus scrapes the counters.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "no curl"
# a bad address is a usage error, before anything loads
am run --metrics localhost:80 >/dev/null 2>"$T/bad.err"
[ $? -eq 2 ] || fail "--metrics localhost:80: exit status not 2"
grep -q "bad --metrics" "$T/bad.err" || fail "--metrics localhost:80: no message"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT/metrics
start_collector --metrics "127.0.0.1:$PORT"

scrape() { curl -sf --max-time 5 "$URL"; }
# value NAME{LABELS}: the sample's value in a fresh scrape (empty: none)
value() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }
open_events() { value 'agentmon_events_total{type="open"}'; }

before=$(open_events)
[ -n "$before" ] || fail "no agentmon_events_total{type=\"open\"} in $(scrape | head -5)"

# an agent's opens: the counter moves (the snapshot is at most ~1 s old)
launch metricsbot /bin/sh -c 'for i in 1 2 3 4 5; do cat /etc/hostname; done >/dev/null' ||
	fail "launched agent failed"
wait_event 10 type=exec agent=metricsbot
moved() { [ "$(open_events)" -gt "$before" ] && [ "$(value 'agentmon_events_total{type="exec"}')" -gt 0 ]; }
wait_for 10 "agentmon_events_total to move" moved

scrape >"$T/m.prom" || fail "scrape failed"
for want in 'agentmon_hook_attached{hook="proc_exec"} 1' \
	'agentmon_hook_attached{hook="sys_exit_dispatch"} 1' \
	'# TYPE process_cpu_seconds_total counter' '# TYPE agentmon_drops_total counter' \
	'# TYPE agentmon_tls_exe_by_path_total counter' \
	'agentmon_tls_exe_by_path_total{result="mismatch"} 0'; do
	grep -qxF "$want" "$T/m.prom" || fail "no line '$want' in the scrape"
done
for name in agentmon_ringbuf_size_bytes agentmon_ringbuf_used_bytes process_resident_memory_bytes \
	process_open_fds agentmon_tail_clients agentmon_webhook_queue_depth agentmon_agents; do
	grep -qE "^$name [0-9]" "$T/m.prom" || fail "no sample $name"
done
[ "$(awk '$1 == "process_resident_memory_bytes" { print $2 }' "$T/m.prom")" -gt 1000000 ] ||
	fail "RSS not in bytes"

# HTTP: content type, 404, 405, HEAD
curl -s -D "$T/h" -o /dev/null "$URL"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/h" || fail "content type: $(cat "$T/h")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ] || fail "/ not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metricsx")" = 404 ] ||
	fail "/metricsx not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL")" = 405 ] || fail "POST not 405"
[ "$(curl -s -I -o /dev/null -w '%{http_code}' "$URL")" = 200 ] || fail "HEAD not 200"

# promtool's own linter
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m.prom" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$T/promtool.out")"
else
	skip_part "no promtool (Debian package prometheus): format not linted"
fi

# a client holding 40 silent connections: the loop goes on, and the
# endpoint answers again once they time out (5 s)
"$PY" - "$PORT" "$T/held" <<'EOF' &
import socket, sys, time
held = []
for _ in range(40):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
open(sys.argv[2], "w").write(str(len(held)))
time.sleep(30)
EOF
BG_PIDS+=($!)
wait_file "$T/held"
sentinel
scraped() { scrape >/dev/null; }
wait_for 15 "a scrape after idle connections timed out" scraped

# a real Prometheus scrapes the collector; its HTTP API returns the counter
if ! command -v prometheus >/dev/null; then
	skip_part "no prometheus binary (Debian package prometheus)"
else
	PPORT=$(free_port)
	cat >"$T/prom.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: agentmon
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
EOF
	bg prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/promdata" \
		--web.listen-address="127.0.0.1:$PPORT" >"$T/prom.log" 2>&1
	q='agentmon_events_total{type="open",job="agentmon"}'
	prom_open() {
		curl -sf --max-time 2 -G "http://127.0.0.1:$PPORT/api/v1/query" \
			--data-urlencode "query=$q" 2>/dev/null | "$PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except ValueError:
    sys.exit(1)
sys.exit(0 if r and float(r[0]["value"][1]) > float(sys.argv[1]) else 1)' "$before"
	}
	WAIT_WHY="tail -3 $T/prom.log" wait_for 30 "prometheus to return the open counter" prom_open
fi

stop_collector

# the policy's metrics.listen does what --metrics does (a bad one: exit 2 with file:line)
PORT2=$(free_port)
printf 'metrics:\n  listen: 127.0.0.1:%s\n' "$PORT2" >"$T/metrics.yaml"
start_collector --config "$T/metrics.yaml"
curl -sf --max-time 5 "http://127.0.0.1:$PORT2/metrics" | grep -q '^agentmon_events_total{' ||
	fail "metrics.listen in the policy: no scrape on port $PORT2"
stop_collector
printf 'metrics:\n  listen: nowhere\n' >"$T/bad.yaml"
am run --config "$T/bad.yaml" --socket "$T/bad.sock" --no-record >"$T/bad.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "bad.yaml:2: metrics.listen: 'nowhere'" "$T/bad.out" ||
	fail "a bad metrics.listen: want exit 2 and file:line, got $rc: $(head -3 "$T/bad.out")"
pass "metrics: counters move, hooks/ring/process figures, 404/405/HEAD, promtool, idle clients, prometheus, policy metrics.listen"
