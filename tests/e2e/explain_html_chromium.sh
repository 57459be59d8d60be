#!/usr/bin/env bash
# `ministack explain pcaps/tap_ping.pcap --html` in a real browser: headless Chromium renders the page to a PNG and
# dumps its DOM; the DOM must hold the RFC's field names and the first echo request's values as the text trace
# reads them, and the screenshot must not be blank. Skipped (exit 77) where Chromium is not installed.
# Usage: explain_html_chromium.sh MINISTACK_BINARY FIXTURE_DIR HTML_CHECK
set -uo pipefail
ministack=$1 fixtures=$2 check=$3
. "$(dirname "$0")/lib.sh"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
  skip "Chromium is not installed (Debian: apt-get install chromium)"
command -v python3 >/dev/null || skip "python3 is not installed"

capture=$fixtures/tap_ping.pcap
"$ministack" explain "$capture" >"$workdir/trace.txt" 2>/dev/null || fail "explain exited $?"
"$ministack" explain "$capture" --html "$workdir/page.html" 2>/dev/null || fail "explain --html exited $?"
# --no-sandbox: root in a container has no user namespaces for Chromium's sandbox; the page is our own.
# The page needs no network, and Chromium must reach none (its background services would try): it runs in an empty
# network namespace of its own (unshare --net), and is told not to try.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$workdir/profile")
isolate=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then isolate=(unshare --net --); fi
timeout 120 "${isolate[@]}" "$browser" "${flags[@]}" --dump-dom "file://$workdir/page.html" >"$workdir/dom.html" 2>"$workdir/dom.err" ||
  fail "chromium --dump-dom exited $?: $(tail -5 "$workdir/dom.err")"
out=$(python3 "$check" dom "$workdir/dom.html" "$workdir/trace.txt") || fail "$out"
pass "$out"
timeout 120 "${isolate[@]}" "$browser" "${flags[@]}" --window-size=1280,2000 --screenshot="$workdir/page.png" \
  "file://$workdir/page.html" >/dev/null 2>"$workdir/shot.err" || fail "chromium --screenshot exited $?"
out=$(python3 "$check" png "$workdir/page.png") || fail "$out"
pass "screenshot $out"
