#!/bin/sh
# Build the RPM: a source tarball of the working tree (without build
# outputs), then `rpmbuild -bb --nodeps` (Debian's rpm package cannot see
# dpkg-installed build dependencies) in a temporary _topdir.  Collects the
# binary .rpm into build/pkg/ and prints its path.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/pkg
version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$root/Makefile")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/SOURCES" "$tmp/src/epmdx-$version"
tar -C "$root" --exclude=./.git --exclude=./build --exclude=./build-san \
    -cf - . | tar -C "$tmp/src/epmdx-$version" -xf -
tar -C "$tmp/src" -czf "$tmp/SOURCES/epmdx-$version.tar.gz" \
    "epmdx-$version"

# No debuginfo subpackage: Debian's rpm has no find-debuginfo.
rpmbuild -bb --nodeps --define "_topdir $tmp" \
    --define "epmdx_version $version" --define "debug_package %{nil}" \
    "$root/packaging/rpm/epmdx.spec" >"$tmp/log" 2>&1 || {
	tail -n 40 "$tmp/log" >&2
	echo "build-rpm: rpmbuild failed" >&2
	exit 1
}
mkdir -p "$out"
for f in "$tmp"/RPMS/*/epmdx-"$version"-*.rpm; do
	cp "$f" "$out/"
	echo "$out/$(basename "$f")"
done
cp "$tmp/log" "$out/epmdx-$version.rpm.build"
