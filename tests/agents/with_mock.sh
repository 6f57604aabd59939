#!/bin/sh
# with_mock.sh - start the mock model API (mock_api.py) on 127.0.0.1:PORT,
# logging requests to LOG, wait until it listens, then exec CMD (same pid:
# the mock exits when CMD does).  Run it inside netns.sh, so that the mock
# and the agent share the loopback-only namespace:
#   netns.sh HOSTS with_mock.sh [--world CADIR] PORT LOG CMD [ARGS...]
# --world CADIR: the mock plays every host (mock_api.py --world: HTTPS with
# a certificate for any name, signed by CADIR/ca.pem, and DNS resolving every
# name to 127.0.0.1): /etc/resolv.conf names it, the system CA bundle gets
# the test CA appended (both bind-mounted: the namespace's mounts are
# private), and CMD runs with NODE_EXTRA_CA_CERTS and SSL_CERT_FILE set to
# that bundle.  PORT is then 443.
# Exit: CMD's status, or 125 when the mock does not start.
world=
[ "${1:-}" = --world ] && { world=$2; shift 2; }
[ $# -ge 3 ] || { echo "usage: with_mock.sh [--world CADIR] PORT LOG CMD [ARGS...]" >&2; exit 125; }
port=$1 log=$2
shift 2
: >"$log.ready" || exit 125   # not a stale "ready" of an earlier run
python3 "$(dirname "$0")/mock_api.py" 127.0.0.1 "$port" "$log" ${world:+--world "$world"} \
	>"$log.ready" 2>&1 &
i=0
until grep -q '^ready' "$log.ready" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $! 2>/dev/null; then
		cat "$log.ready" >&2
		exit 125
	fi
	sleep 0.1
done
if [ -n "$world" ]; then
	echo "nameserver 127.0.0.1" >"$world/resolv.conf"
	cat /etc/ssl/certs/ca-certificates.crt "$world/ca.pem" >"$world/bundle.pem"
	mount --bind "$world/resolv.conf" /etc/resolv.conf &&
		mount --bind "$world/bundle.pem" /etc/ssl/certs/ca-certificates.crt || exit 125
	export NODE_EXTRA_CA_CERTS="$world/ca.pem" SSL_CERT_FILE="$world/bundle.pem"
fi
exec "$@"
