#!/usr/bin/env bash
# End-to-end: sizes decided by what arrived, not by an MTU read at start (issue 9). In a private network namespace:
#   1. `ping -s 9000` to a 1500-MTU device: answered, each reply in 7 fragments (seen in the live capture);
#   2. with --mtu 1500 fixed and the host's MTU at 9000, a 9000-byte echo request arrives in one 9014-byte frame
#      (TAP) or 9000-byte packet (TUN): read whole, answered in 7 fragments of the right offsets and lengths;
#   3. `ip link set DEV mtu 9000` while ministack runs, then `ping -M dont -s 8000`: answered in one piece (the
#      MTU was followed);
#   4. `ip link del DEV`: ministack says "DEV was removed" and exits 1.
# Usage: sizes_e2e.sh MINISTACK_BINARY tap|tun
set -uo pipefail
ministack=$1 mode=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils || skip "iputils-ping is not installed"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"

make_namespace "sizes-$mode"
target=192.168.3.12

# ping_ok DESCRIPTION PING-ARGS...: 0% loss, and no damaged reply.
ping_ok() {
  local what=$1; shift
  local out
  out=$(in_ns ping -n -W 2 "$@" $target 2>&1)
  echo "$out" | grep -q " 0% packet loss" || fail "$what: replies missing:"$'\n'"$out"
  if echo "$out" | grep -Eiq "BAD CHECKSUM|truncated|wrong data|DUP!"; then fail "$what: damaged replies:"$'\n'"$out"; fi
  pass "$what ($(echo "$out" | grep -o '[0-9]* received'))"
}

# reply_layout FILE: one line per IPv4 packet ministack sent, "ID OFFSET LENGTH FLAGS" (tcpdump -v), in order.
reply_layout() {
  tcpdump -nvr "$1" "src host $target and icmp" 2>/dev/null |
    sed -nE 's/.*id ([0-9]+), offset ([0-9]+), flags \[([^]]*)\].*length ([0-9]+)\).*/\1 \2 \4 \3/p'
}

# expect_fragmented FILE N LAYOUT: N replies, each sent as the fragments LAYOUT ("OFFSET LENGTH FLAGS;..."), in order.
expect_fragmented() {
  local file=$1 n=$2 layout=$3
  local got want="" i
  got=$(reply_layout "$file" | awk '{printf "%s %s %s;", $2, $3, $4} END {print ""}')
  for i in $(seq "$n"); do want+=$layout; done
  [ "$got" = "$want" ] || fail "replies in $file laid out as"$'\n'"$got"$'\n'"expected"$'\n'"$want"
}

# A 9028-byte reply at MTU 1500: 6 fragments of 1480 data bytes and one of 9008 - 6 * 1480 = 128.
layout_9000="0 1500 +;1480 1500 +;2960 1500 +;4440 1500 +;5920 1500 +;7400 1500 +;8880 148 none;"
# A 9000-byte reply at MTU 1500: 6 of 1480 and one of 8980 - 8880 = 100 data bytes.
layout_8972="0 1500 +;1480 1500 +;2960 1500 +;4440 1500 +;5920 1500 +;7400 1500 +;8880 120 none;"

# --- 2. a jumbo frame on a device whose MTU ministack holds at 1500 (--mtu), the host's at 9000 ---------------------
dev=${mode}1
fixed_pcap=$workdir/fixed.pcap
start_ministack "$workdir/fixed.log" "--$mode" "$dev" --mtu 1500 --pcap "$fixed_pcap"
in_ns ip link set dev "$dev" mtu 9000 || fail "cannot set the MTU of $dev to 9000"
# -M dont: the host sends the 9000-byte datagram in one frame, as its MTU allows.
ping_ok "--mtu 1500, host MTU 9000: ping -M dont -s 8972 (one 9000-byte request)" -c 3 -i 0.2 -M dont -s 8972
requests=$(tcpdump -nr "$fixed_pcap" "dst host $target and icmp and ip[2:2] = 9000 and (ip[6:2] & 0x3fff) = 0" \
  2>/dev/null | wc -l)
[ "$requests" = 3 ] || fail "the capture holds $requests whole 9000-byte requests, expected 3"
expect_fragmented "$fixed_pcap" 3 "$layout_8972"
grep -q "MTU now" "$workdir/fixed.log" && fail "ministack followed the device's MTU despite --mtu 1500"
pass "9000-byte requests read whole; each reply in 7 fragments (offsets 0..8880, 6 x 1500 + 120 bytes)"
stop_ministack "$ms_pid"

# --- 1. and 3. the device's own MTU, followed ------------------------------------------------------------------------
dev=${mode}0
log=$workdir/ministack.log
live_pcap=$workdir/live.pcap
start_ministack "$log" "--$mode" "$dev" --pcap "$live_pcap"
grep -q "MTU 1500" "$log" || fail "ministack did not start at the device's MTU 1500"
ping_ok "MTU 1500: ping -s 9000 (fragmented both ways)" -c 3 -i 0.2 -s 9000
expect_fragmented "$live_pcap" 3 "$layout_9000"
pass "each 9028-byte reply sent in 7 fragments at MTU 1500"

in_ns ip link set dev "$dev" mtu 9000 || fail "cannot set the MTU of $dev to 9000"
for _ in $(seq 50); do grep -q "MTU now 9000" "$log" && break; sleep 0.1; done
grep -q "$dev: MTU now 9000" "$log" || fail "ministack did not report the new MTU"
before=$(reply_layout "$live_pcap" | wc -l)
ping_ok "MTU 9000: ping -M dont -s 8000" -c 3 -i 0.2 -M dont -s 8000
after=$(reply_layout "$live_pcap" | tail -n +$((before + 1)))
want=$'0 8028 none\n0 8028 none\n0 8028 none'
[ "$(echo "$after" | awk '{print $2, $3, $4}')" = "$want" ] ||
  fail "after the MTU change, replies laid out as (offset length flags):"$'\n'"$after"
pass "after 'ip link set $dev mtu 9000': 8028-byte replies sent whole"

# --- 3b. an MTU change among link events the kernel could not queue for ministack ----------------------------------
# Stopped, it cannot read: 1200 other link events overflow its netlink socket (ENOBUFS), the MTU change among them.
# Once running again it must ask for the link's state after draining the queue, and learn the MTU all the same.
batch=$workdir/events.batch
{
  for i in $(seq 400); do echo "tuntap add dev x$i mode tap"; done
  echo "link set dev $dev mtu 4000"
  for i in $(seq 400); do echo "link set dev x$i mtu 1400"; done
  for i in $(seq 400); do echo "tuntap del dev x$i mode tap"; done
} >"$batch"
kill -STOP "$ms_pid"
in_ns ip -batch "$batch" || { kill -CONT "$ms_pid"; fail "ip -batch of link events failed"; }
kill -CONT "$ms_pid"
for _ in $(seq 50); do grep -q "MTU now 4000" "$log" && break; sleep 0.1; done
grep -q "$dev: MTU now 4000" "$log" || fail "the MTU change was lost with the overflowed link events"
pass "MTU 4000 learned although 1200 link events overflowed ministack's netlink queue while it was stopped"

# --- 4. the device removed under ministack -------------------------------------------------------------------------
in_ns ip link del dev "$dev" || fail "cannot delete $dev"
rc=0
for _ in $(seq 50); do kill -0 "$ms_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ms_pid" 2>/dev/null && fail "ministack still runs 5 s after $dev was deleted"
wait "$ms_pid" || rc=$?
[ "$rc" = 1 ] || fail "ministack exited $rc after $dev was removed, expected 1"
grep -q "error: $dev was removed" "$log" || fail "no '$dev was removed' message:"$'\n'"$(cat "$log")"
grep -q "stopped:" "$log" || fail "no summary after the removal"
pass "ip link del $dev: '$dev was removed', exit 1"
echo "e2e sizes over ${mode^^}: all checks passed"
