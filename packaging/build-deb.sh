#!/bin/sh
# Build the Debian package: copy the source tree to a temporary folder,
# put packaging/debian at debian/ there (dpkg-buildpackage wants it at the
# top), run `dpkg-buildpackage -us -uc -b`, and collect the .deb (with its
# .changes and .buildinfo) into build/pkg/.  Extra arguments go to
# dpkg-buildpackage (e.g. -Pnocheck).  Prints the .deb's path.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/pkg
version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$root/Makefile")
debver=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" \
    -S Version)
if [ "$version" != "$debver" ]; then
	echo "build-deb: Makefile VERSION $version but packaging/debian/changelog" \
	    "says $debver: add a changelog entry (dch -v $version)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
src=$tmp/epmdx-$version
mkdir "$src"
# The working tree as it is (new files included), without build outputs.
tar -C "$root" --exclude=./.git --exclude=./build --exclude=./build-san \
    -cf - . | tar -C "$src" -xf -
rm -rf "$src/debian"
mv "$src/packaging/debian" "$src/debian"

(cd "$src" && dpkg-buildpackage -us -uc -b "$@") >"$tmp/log" 2>&1 || {
	tail -n 40 "$tmp/log" >&2
	echo "build-deb: dpkg-buildpackage failed" >&2
	exit 1
}
mkdir -p "$out"
arch=$(dpkg --print-architecture)
for f in "$tmp"/epmdx_"$version"_"$arch".deb \
    "$tmp"/epmdx-dbgsym_"$version"_"$arch".deb \
    "$tmp"/epmdx_"$version"_"$arch".changes \
    "$tmp"/epmdx_"$version"_"$arch".buildinfo; do
	[ -e "$f" ] && cp "$f" "$out/"
done
cp "$tmp/log" "$out/epmdx_${version}_$arch.build"
echo "$out/epmdx_${version}_$arch.deb"
