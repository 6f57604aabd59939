#!/bin/bash
# install.sh - install the pinned agent CLIs (tests/agents/versions) from the
# npm registry into a cache outside the repo, each in its own prefix:
#   $AGENTS_CACHE/NAME/node_modules/.bin/BIN      (AGENTS_CACHE default
#   /var/cache/agentmon-test/agents)
#
#   install.sh [--latest|--previous] [NAME...]   all agents, or the NAMEs given
#
# An agent already installed at its pinned version is kept (the marker
# $AGENTS_CACHE/NAME/.installed holds "PACKAGE@VERSION").  --latest installs
# the registry's newest version instead (into $AGENTS_CACHE/latest/NAME), as
# does AGENTS_LATEST=1 in the environment (`make agents-latest`).
# --previous (AGENTS_RELEASE=previous, `make agents-previous`) installs the
# second-newest release the registry serves (pre-releases and
# platform-suffixed versions skipped: only X.Y.Z) into
# $AGENTS_CACHE/previous/NAME, kept while it stays the second-newest.
# Needs the network (run it OUTSIDE the test's loopback-only namespace).
# Exit: 0 all installed, 77 the registry cannot be reached (reason on
# stderr), 1 an install failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${AGENTS_CACHE:-/var/cache/agentmon-test/agents}
LATEST=${AGENTS_LATEST:-0}
PREVIOUS=0
[ "${AGENTS_RELEASE:-}" = previous ] && PREVIOUS=1
while [ $# -gt 0 ]; do
	case $1 in
	--latest) LATEST=1; shift ;;
	--previous) PREVIOUS=1; shift ;;
	-*) echo "install.sh: unknown option $1" >&2; exit 1 ;;
	*) break ;;
	esac
done
[ "$LATEST" = 1 ] && [ "$PREVIOUS" = 1 ] && {
	echo "install.sh: --latest and --previous exclude each other" >&2; exit 1; }
[ "$LATEST" = 1 ] && CACHE=$CACHE/latest
[ "$PREVIOUS" = 1 ] && CACHE=$CACHE/previous

# NAME PACKAGE VERSION BIN lines of the versions file, for the NAMEs asked
agents() {
	grep -v '^[[:space:]]*\(#\|$\)' "$HERE/versions" | while read -r name pkg ver bin; do
		if [ $# -eq 0 ] || printf '%s\n' "$@" | grep -qx "$name"; then
			echo "$name $pkg $ver $bin"
		fi
	done
}

# previous_of PACKAGE: the second-newest X.Y.Z release the registry serves
# (empty, status 1, when it cannot be asked or has fewer than two)
previous_of() {
	local vs
	vs=$(timeout 60 npm view "$1" versions --json 2>/dev/null | tr -d '[]", ' |
		grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 2)
	[ "$(printf '%s\n' "$vs" | grep -c .)" = 2 ] && printf '%s\n' "$vs" | head -n 1
}

# the spec to install NAME's package at
spec_of() {
	if [ "$LATEST" = 1 ]; then echo "$1@latest"
	elif [ "$PREVIOUS" = 1 ]; then echo "$1@$(previous_of "$1")"
	else echo "$1@$2"; fi
}

installed() { [ -f "$1/.installed" ] && [ "$(cat "$1/.installed")" = "$2" ]; }

install_one() {
	local name=$1 pkg=$2 ver=$3 bin=$4 dir=$CACHE/$1 spec
	spec=$(spec_of "$pkg" "$ver")
	case $spec in *@) echo "install.sh: $pkg: no second-newest release on the registry" >&2
		return 1 ;; esac
	if [ "$LATEST" = 0 ] && installed "$dir" "$spec" && [ -e "$dir/node_modules/.bin/$bin" ]; then
		return 0
	fi
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	echo "install.sh: installing $spec into $dir" >&2
	if ! (cd "$dir" && npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
			"$spec" >"$dir/npm.log" 2>&1); then
		echo "install.sh: $spec failed (see $dir/npm.log)" >&2
		return 1
	fi
	[ -e "$dir/node_modules/.bin/$bin" ] || {
		echo "install.sh: $spec has no .bin/$bin" >&2; return 1; }
	echo "$spec" >"$dir/.installed"
}

command -v npm >/dev/null || { echo "install.sh: npm not installed" >&2; exit 77; }
need=0
while read -r name pkg ver bin; do
	installed "$CACHE/$name" "$(spec_of "$pkg" "$ver")" || need=1
done < <(agents "$@")
if [ "$need" = 1 ] && ! timeout 30 npm view npm version >/dev/null 2>&1; then
	echo "install.sh: the npm registry cannot be reached ($(npm config get registry))" >&2
	exit 77
fi
rc=0
while read -r name pkg ver bin; do
	install_one "$name" "$pkg" "$ver" "$bin" || rc=1
done < <(agents "$@")
exit $rc
