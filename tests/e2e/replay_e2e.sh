#!/usr/bin/env bash
# `ministack --replay` as a user meets it, no root needed: deterministic output with the input's link type,
# readable by tcpdump; clear errors for a missing file, an unsupported link type, a damaged capture.
# Usage: replay_e2e.sh MINISTACK_BINARY FIXTURE_DIR
set -uo pipefail
ministack=$1 fixtures=$2
. "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"

expect() {  # expect RC PATTERN CMD...
  local want=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want:"$'\n'"$out"
  # A here-string, not echo | grep -q: grep leaving early would fail the pipe under pipefail.
  grep -Eq -- "$pattern" <<<"$out" || fail "'$*' did not say /$pattern/:"$'\n'"$out"
}

for fixture in tap_ping tun_ping; do
  in=$fixtures/$fixture.pcap
  [ -f "$in" ] || fail "fixture $in is missing"
  out1=$workdir/$fixture.1.pcap out2=$workdir/$fixture.2.pcap
  expect 0 "stopped: .* frames out" "$ministack" --replay "$in" --pcap "$out1"
  expect 0 "stopped:" "$ministack" --replay "$in" --pcap "$out2"
  cmp -s "$out1" "$out2" || fail "$fixture: two replays of the same capture differ"
  in_type=$(tcpdump -r "$in" -c 0 2>&1 | grep -o "link-type [A-Z0-9]*")
  out_type=$(tcpdump -r "$out1" -c 0 2>&1 | grep -o "link-type [A-Z0-9]*")
  [ "$in_type" = "$out_type" ] || fail "$fixture: output $out_type, input $in_type"
  # Exactly the frames the stack sent: as many echo replies as the capture has requests, and nothing from others.
  requests=$(tcpdump -nr "$in" 2>/dev/null | grep -c "> 192.168.3.12: ICMP echo request")
  replies=$(tcpdump -nr "$out1" 2>/dev/null | grep -c "192.168.3.12 > 192.168.3.11: ICMP echo reply")
  foreign=$(tcpdump -nr "$out1" 2>/dev/null | grep -vc "192.168.3.12\( is-at\|\.\| >\)")
  [ "$requests" -gt 0 ] && [ "$replies" = "$requests" ] && [ "$foreign" = 0 ] ||
    fail "$fixture: $requests requests, $replies replies, $foreign frames not from us"
  # Each reply carries the timestamp of the request that caused it.
  req_times=$(tcpdump -nr "$in" 2>/dev/null | grep "ICMP echo request" | awk '{print $1}')
  rep_times=$(tcpdump -nr "$out1" 2>/dev/null | grep "ICMP echo reply" | awk '{print $1}')
  [ "$req_times" = "$rep_times" ] || fail "$fixture: reply timestamps are not their requests'"
  pass "$fixture: deterministic, $out_type, $replies replies stamped like their requests"
done

expect 1 "cannot read capture .*nope.pcap" "$ministack" --replay "$workdir/nope.pcap"
# A pcap header for link type 0 (BSD loopback), which ministack does not replay.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00' \
  >"$workdir/null.pcap"
expect 1 "link type 0 .*cannot replay" "$ministack" --replay "$workdir/null.pcap"
# A capture cut in the middle of a frame: everything before is answered, then an error and exit 1.
in=$fixtures/tap_ping.pcap
head -c $(($(stat -c %s "$in") - 10)) "$in" >"$workdir/cut.pcap"
expect 1 "damaged" "$ministack" --replay "$workdir/cut.pcap" --pcap "$workdir/cut-out.pcap"
full=$(tcpdump -nr "$workdir/tap_ping.1.pcap" 2>/dev/null | wc -l)
cut=$(tcpdump -nr "$workdir/cut-out.pcap" 2>/dev/null | wc -l)
[ "$cut" -gt 0 ] && [ "$cut" -le "$full" ] || fail "damaged capture: $cut replies written, full replay has $full"
pass "errors: missing file, link type 0, damaged capture ($cut of $full replies kept)"
expect 2 "excludes" "$ministack" --replay "$in" --host-ip 10.0.0.1/24
expect 2 "overwrite" "$ministack" --replay "$in" --pcap "$in"
expect 1 "cannot create capture file" "$ministack" --replay "$in" --pcap /nonexistent-dir/out.pcap
echo "replay: all checks passed"
