#!/usr/bin/env bash
# Regenerates the pictures of docs/ from the captures in pcaps/: today docs/pictures/explain_ping.png, the page of
# `ministack explain pcaps/tap_ping.pcap icmp -c 1 --html` (one ping's request and reply) as headless Chromium draws
# it. Run it after a change to the page; `cmake --build build/release --target docs_pictures` runs it too.
# Usage: scripts/docs_pictures.sh [MINISTACK_BINARY]   (default: build/release/ministack)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ministack=${1:-$repo/build/release/ministack}
browser=$(command -v chromium || command -v chromium-browser) ||
  { echo "docs_pictures: Chromium is not installed (Debian: apt-get install chromium)" >&2; exit 1; }
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

"$ministack" explain "$repo/pcaps/tap_ping.pcap" icmp -c 1 --html "$workdir/ping.html" 2>/dev/null
# --no-sandbox: root in a container has no user namespaces for Chromium's sandbox; the page is our own. It needs no
# network and is kept from any: an empty network namespace as root, and Chromium's background services turned off.
isolate=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then isolate=(unshare --net --); fi
"${isolate[@]}" "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --no-default-browser-check --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$workdir/profile" --window-size=1280,2600 --screenshot="$workdir/ping.png" "file://$workdir/ping.html" >/dev/null 2>&1
mkdir -p "$repo/docs/pictures"
mv "$workdir/ping.png" "$repo/docs/pictures/explain_ping.png"
echo "docs_pictures: wrote docs/pictures/explain_ping.png"
