#!/usr/bin/env bash
# `npm run package:server`: the headless Berth as a .deb (and an .rpm when rpmbuild is there) in release/.
# Everything comes from this checkout: the built server and GUI, the production node_modules (pruned from the
# installed ones, so no fetch beyond npm) and the running node binary, bundled as /usr/lib/berth/node because an
# air-gapped Debian 12 has only Node 18. better-sqlite3 is built for exactly that node.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
out=release
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

npm run build --silent
root=$stage/root
lib=$root/usr/lib/berth
install -d "$lib/dist" "$lib/renderer" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/berth" "$root/DEBIAN"
cp -a dist/registry "$lib/dist/"
cp -a renderer/dist "$lib/renderer/dist"
cp package.json package-lock.json "$lib/"
cp -a node_modules "$lib/node_modules"
(cd "$lib" && npm prune --omit=dev --omit=optional --offline --no-audit --no-fund --silent)
find "$lib" -name '*.map' -delete
install -m 0755 "$(node -p process.execPath)" "$lib/node"
install -m 0755 build/deb/berth "$root/usr/bin/berth"
install -m 0644 build/berth.service "$root/lib/systemd/system/berth.service"
install -m 0644 build/deb/config.yaml "$root/etc/berth/config.yaml"
for f in postinst prerm postrm; do install -m 0755 "build/deb/$f" "$root/DEBIAN/$f"; done
echo /etc/berth/config.yaml >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" build/deb/control >"$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/berth_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
