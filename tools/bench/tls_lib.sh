# tools/bench/tls_lib.sh - sourced by the TLS cost tools (tls_cost.sh,
# tagged_profile.sh) after they set NAME: a work dir, a pin dir, a
# self-signed certificate and the loopback HTTPS server of the tests
# (untagged; its port in $PORT), kernel.bpf_stats_enabled on, and a
# cleanup at exit that stops what the tool started ($PERF, $HOLD, $COLL,
# $SRV) and restores bpf_stats_enabled.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AM=${AGENTMON:-$TOP/build/agentmon}
PY=${PY:-python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")
PIN=/sys/fs/bpf/agentmon-${NAME//_/-}-$$
STATS0=$(cat /proc/sys/kernel/bpf_stats_enabled)
COLL= SRV= HOLD= PERF=

die() { echo "$NAME: $*" >&2; exit 1; }
cleanup() {
	[ -n "$PERF" ] && kill -INT "$PERF" 2>/dev/null && wait "$PERF" 2>/dev/null
	[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null
	[ -n "$COLL" ] && kill "$COLL" 2>/dev/null && wait "$COLL" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled
	rm -rf "$W" "$PIN"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || die "needs root"
[ -x "$AM" ] || die "no $AM (make first)"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 \
	-subj /CN=bench.example 2>/dev/null || die "cannot make a certificate"
"$PY" "$TOP/tests/integration/helpers/https_server.py" --port-file "$W/port" --log /dev/null \
	--cert "$W/cert.pem" --key "$W/key.pem" >/dev/null 2>&1 &
SRV=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
PORT=$(cat "$W/port") || die "the server did not start"
echo 1 >/proc/sys/kernel/bpf_stats_enabled
