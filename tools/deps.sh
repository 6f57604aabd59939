#!/bin/sh
# Install the Debian packages agentmon needs to build, test and benchmark,
# only those that are missing.  Called by `make run`, `make test`, `make bench`.
set -eu
PKGS="make clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcmocka-dev
libyaml-dev libnghttp2-dev libcurl4-openssl-dev libssl-dev pkg-config python3
iproute2 util-linux procps
liburing-dev curl openssl git ca-certificates nodejs
systemd libsystemd-dev man-db groff-base libcurl3-nss libjansson-dev chromium
libmicrohttpd-dev prometheus libnats-dev nats-server"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "agentmon: missing packages:$missing; run as root (sudo make ...)" >&2
	exit 1
fi
echo "agentmon: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
