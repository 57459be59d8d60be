#!/usr/bin/env bash
# `ministack explain --html` for every capture in pcaps/: the page is well nested, fetches nothing, has a section for
# every frame the text trace of the same capture has, and says each drop's reason in its frame's section
# (tests/e2e/html_check.py). Also --html - (the page on stdout, nothing else there) and an unwritable output.
# Usage: explain_html_e2e.sh MINISTACK_BINARY FIXTURE_DIR HTML_CHECK
set -uo pipefail
ministack=$1 fixtures=$2 check=$3
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

count=0
for capture in "$fixtures"/*.pcap; do
  name=$(basename "$capture" .pcap)
  "$ministack" explain "$capture" >"$workdir/$name.txt" 2>/dev/null || fail "$name: explain exited $?"
  "$ministack" explain "$capture" --html "$workdir/$name.html" 2>"$workdir/$name.err" ||
    fail "$name: explain --html exited $?: $(cat "$workdir/$name.err")"
  out=$(python3 "$check" page "$workdir/$name.html" "$workdir/$name.txt") || fail "$name: $out"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || fail "no captures in $fixtures"
pass "$count pages well nested, self-contained, every frame and drop present"

# --html -: the page alone on stdout; the counters go to stderr.
"$ministack" explain "$fixtures/tap_ping.pcap" --html - >"$workdir/stdout.html" 2>"$workdir/stderr.txt" ||
  fail "--html - exited $?"
head -c 15 "$workdir/stdout.html" | grep -q '<!DOCTYPE html>' || fail "--html -: stdout does not start the page"
grep -q 'ifInDiscards' "$workdir/stdout.html" && fail "--html -: the counters table went into the page"
grep -q 'ifInDiscards' "$workdir/stderr.txt" || fail "--html -: the counters table is not on stderr"
cmp -s "$workdir/stdout.html" "$workdir/tap_ping.html" || fail "--html - and --html FILE differ"
pass "--html - writes the same page to stdout, the counters to stderr"

rc=0
out=$("$ministack" explain "$fixtures/tap_ping.pcap" --html - --stats-json - 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && grep -q "both write to stdout" <<<"$out" || fail "--html - --stats-json - exited $rc: $out"
pass "--html - and --stats-json - together are refused (exit 2)"

rc=0
out=$("$ministack" explain "$fixtures/tap_ping.pcap" --html /nonexistent/dir/p.html 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "cannot write /nonexistent/dir/p.html" <<<"$out" ||
  fail "an unwritable --html exited $rc: $out"
pass "an unwritable --html stops with exit 1 and says why"
