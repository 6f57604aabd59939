#!/bin/sh
# with_mock.sh - start the mock model API (mock_api.py) on 127.0.0.1:PORT,
# logging requests to LOG, wait until it listens, then exec CMD (same pid:
# the mock exits when CMD does).  Run it inside netns.sh, so that the mock
# and the agent share the loopback-only namespace:
#   netns.sh HOSTS with_mock.sh PORT LOG CMD [ARGS...]
# Exit: CMD's status, or 125 when the mock does not start.
[ $# -ge 3 ] || { echo "usage: with_mock.sh PORT LOG CMD [ARGS...]" >&2; exit 125; }
port=$1 log=$2
shift 2
python3 "$(dirname "$0")/mock_api.py" 127.0.0.1 "$port" "$log" >"$log.ready" 2>&1 &
i=0
until grep -q '^ready' "$log.ready" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $! 2>/dev/null; then
		cat "$log.ready" >&2
		exit 125
	fi
	sleep 0.1
done
exec "$@"
