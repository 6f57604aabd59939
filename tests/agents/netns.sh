#!/bin/bash
# netns.sh - run a real agent where it can reach nothing but loopback.
#
#   netns.sh HOSTS CMD [ARGS...]
#
# CMD runs in new network and mount namespaces (unshare -n -m, mounts
# private): the only interface is lo (brought up, for a mock API on
# 127.0.0.x), and HOSTS is bind-mounted over /etc/hosts so the names the
# test gives resolve to loopback and nothing else resolves at all.  Several
# agents contact update servers or registries on their own: without a route
# off the machine those attempts fail at once.  CMD replaces this script's
# process (exec, same pid), so the caller's $! is the agent's pid.
# Needs root.  Exit: CMD's status, or 125 when the namespace cannot be set up.
set -u
[ $# -ge 2 ] || { echo "usage: netns.sh HOSTS CMD [ARGS...]" >&2; exit 125; }
[ -f "$1" ] || { echo "netns.sh: $1: no hosts file" >&2; exit 125; }
# shellcheck disable=SC2016
exec unshare -n -m --propagation private -- /bin/sh -c '
	hosts=$1; shift
	ip link set lo up || exit 125
	mount --bind "$hosts" /etc/hosts || exit 125
	ip -o route show | grep -q . && { echo "netns.sh: a route exists" >&2; exit 125; }
	exec "$@"' netns "$@"
