#!/bin/sh
# Install the Debian packages epmdx needs, only those missing.
#   install-deps.sh build   what `make` needs
#   install-deps.sh test    what `make check` needs (build + test tools)
#   install-deps.sh package what `make package` and `make package-check` need
#   install-deps.sh fuzz    what `make fuzz` needs (clang and its libFuzzer)
#   install-deps.sh hostile what `make hostile-check valgrind-check` need
# Run as root (or with sudo available); does nothing when all are present.
set -eu

build="gcc make pkg-config libc6-dev libevent-dev libssl-dev libsystemd-dev libinih-dev libsodium-dev"
test="$build libcmocka-dev etcd-server etcd-client erlang-base elixir mandoc cppcheck python3 iproute2 procps prometheus curl dnsmasq-base systemd util-linux nftables"
# The .deb build runs the unit tests (cmocka); package-check uses man -w,
# systemd-analyze, python3 (free ports) and erlang-base (the stock epmd).
package="$build libcmocka-dev debhelper dpkg-dev fakeroot lintian rpm man-db systemd python3 erlang-base"
# libFuzzer's runtime for Debian 12's clang 14 is in libclang-rt-14-dev.
fuzz="$build clang libclang-rt-14-dev"
hostile="$test valgrind util-linux"

case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
package) want=$package ;;
fuzz) want=$fuzz ;;
hostile) want=$hostile ;;
*) echo "usage: $0 build|test|package|fuzz|hostile" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
