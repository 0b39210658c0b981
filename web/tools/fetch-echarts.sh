#!/usr/bin/env sh
# Fetch ECharts for the dashboard: a pinned version from the npm registry,
# checked against the sha256 sums written here, copied to web/static/vendor/
# to be embedded into the binary by `go build`. Third-party code is never
# committed (web/static/vendor/ is ignored by git); a binary built without
# it serves every page, with tables instead of charts.
#
# Run it as `make assets` (or web/tools/fetch-echarts.sh from anywhere). It
# does nothing when the checked file is in place already, so once fetched it
# runs offline. It uses npm when installed (`npm pack`), else curl or wget
# on the registry's tarball URL; either way the sums below decide.
set -eu

VERSION=5.6.0
TARBALL_URL="https://registry.npmjs.org/echarts/-/echarts-$VERSION.tgz"
# sha256 of echarts-5.6.0.tgz (the registry's shasum, sha1, is
# 2377874dca9fb50f104051c3553544752da3c9d6).
TARBALL_SHA256=e1b82487dd7f8d9f0438eec1f1433051148e0095ac7a15d4db890afda45cf610
# sha256 of package/dist/echarts.min.js in it.
SHA256=bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/web/static/vendor"
cache="$root/.cache/echarts-$VERSION"
target="$out/echarts.min.js"
tarball="$cache/echarts-$VERSION.tgz"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

fail() {
	echo "fetch-echarts: $*" >&2
	exit 1
}

if [ -f "$target" ] && [ "$(sha256 "$target")" = "$SHA256" ]; then
	echo "echarts $VERSION: already in web/static/vendor"
	exit 0
fi

mkdir -p "$cache" "$out"
if [ -f "$tarball" ] && [ "$(sha256 "$tarball")" != "$TARBALL_SHA256" ]; then
	rm -f "$tarball" # a partial or foreign download: fetch again
fi
if [ ! -f "$tarball" ]; then
	if command -v npm >/dev/null 2>&1; then
		(cd "$cache" && npm pack "echarts@$VERSION" --silent >/dev/null) || fail "npm pack echarts@$VERSION failed (offline?); the dashboard works without it, with tables instead of charts"
	elif command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 2 -o "$tarball.part" "$TARBALL_URL" || fail "could not download $TARBALL_URL (offline?); the dashboard works without it, with tables instead of charts"
		mv "$tarball.part" "$tarball"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$tarball.part" "$TARBALL_URL" || fail "could not download $TARBALL_URL (offline?); the dashboard works without it, with tables instead of charts"
		mv "$tarball.part" "$tarball"
	else
		fail "need npm, curl or wget to fetch ECharts $VERSION"
	fi
fi
got=$(sha256 "$tarball")
if [ "$got" != "$TARBALL_SHA256" ]; then
	rm -f "$tarball"
	fail "echarts-$VERSION.tgz has sha256 $got, want $TARBALL_SHA256; refusing to use it"
fi
rm -rf "$cache/package"
tar -xzf "$tarball" -C "$cache" package/dist/echarts.min.js package/LICENSE
got=$(sha256 "$cache/package/dist/echarts.min.js")
if [ "$got" != "$SHA256" ]; then
	fail "echarts.min.js $VERSION has sha256 $got, want $SHA256; refusing to use it"
fi
cp "$cache/package/dist/echarts.min.js" "$target.tmp"
mv "$target.tmp" "$target"
cp "$cache/package/LICENSE" "$out/echarts.LICENSE.txt"
echo "echarts $VERSION: fetched, checked (sha256 $SHA256), written to web/static/vendor"
