#!/bin/bash
# Paths that fill the kernel's whole path buffer (AM_PATH_MAX, 4096 bytes
# with the NUL) are reported, not lost:
#  - exec of /usr/bin/././.../curl, 4095 characters: the exec event has the
#    whole filename (the BPF side used to write argv over the
#    filename, the record failed to decode and nothing was reported);
#  - exec from a working directory of 4095 characters: the exec event has
#    that cwd (the dentry walk's full buffer used to read as empty).
. "$(dirname "$0")/lib.sh"

prog=/usr/bin/curl
[ -x "$prog" ] || prog=/bin/true
dir=$(dirname "$prog") base=$(basename "$prog")
# dir + "/" + "./" * k + base = 4095 characters
k=$(((4095 - ${#dir} - 1 - ${#base}) / 2))
long=$dir/$(printf './%.0s' $(seq "$k"))$base
[ ${#long} -eq 4095 ] || long=$dir/.$(printf '/.%.0s' $(seq $((k - 1))))/$base
[ ${#long} -eq 4095 ] || fail "test bug: the long path has ${#long} characters, want 4095"

# a directory of 4095 characters: 15 components of 255 and one of 254
# under $T, built one relative step at a time (each mkdir/cd is short)
mkdir -p "$T/d" || fail "mkdir"
deep=$T/d
n=$(((4095 - ${#deep}) / 256))
steps=()
for ((i = 0; i < n; i++)); do steps+=("$(printf 'c%.0s' $(seq 255))"); done
rest=$((4095 - ${#deep} - n * 256 - 1))
[ "$rest" -gt 0 ] && steps+=("$(printf 'e%.0s' $(seq "$rest"))")
(cd "$deep" && for s in "${steps[@]}"; do mkdir "$s" && cd "$s" || exit 1; done) ||
	fail "cannot build the deep directory"
for s in "${steps[@]}"; do deep=$deep/$s; done
[ ${#deep} -eq 4095 ] || fail "test bug: the deep directory has ${#deep} characters, want 4095"

start_collector

# shellcheck disable=SC2016
launch longpath /bin/bash -c 'echo $$ >"$1"; "$2" --version >/dev/null' bash "$T/root.pid" "$long" ||
	fail "the agent could not exec the long path"
root=$(cat "$T/root.pid")
wait_event 10 type=exec agent=longpath filename="$long"
# argv holds the 4095-character argv[0]: "--version" does not fit (cut, flagged)
expect 1 type=exec agent=longpath filename="$long" ppid="$root" agent_pid="$root" \
	argv_truncated=true

# from the deep directory: cd step by step (each path is short), then exec
# shellcheck disable=SC2016
launch deepcwd /bin/bash -c 'cd "$1" && shift && for s; do cd "$s" || exit 1; done &&
	exec /bin/true deep-cwd-marker' bash "$T/d" "${steps[@]}" || fail "the agent could not exec from the deep directory"
wait_event 10 type=exec agent=deepcwd filename=/bin/true
expect 1 type=exec agent=deepcwd filename=/bin/true argv='["/bin/true","deep-cwd-marker"]' cwd="$deep"
expect_none type=drop

stop_collector
pass "exec of a 4095-character filename and from a 4095-character cwd: both reported whole"
