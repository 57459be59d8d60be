#!/usr/bin/env bash
# End-to-end: real iputils ping (and arping on TAP) against ministack in a private network namespace.
# Usage: ping_e2e.sh MINISTACK_BINARY tap|tun [poll|uring]
# The third argument is ministack's --io (default poll, ministack's default, with its default busy-polling).
set -uo pipefail
ministack=$1 mode=$2 io=${3:-poll}
io_args=(--io "$io")
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils || skip "iputils-ping is not installed"
[ "$mode" = tun ] || { command -v arping >/dev/null && arping -V 2>&1 | grep -q iputils; } ||
  skip "iputils-arping is not installed"

make_namespace "$mode"
dev=${mode}0
log=$workdir/ministack.log

# ping_ok DESCRIPTION PING-ARGS...: 0% loss, and none of the lines iputils prints for a damaged reply.
ping_ok() {
  local what=$1; shift
  local out
  out=$(in_ns ping -n -W 2 "$@" 192.168.3.12 2>&1)
  echo "$out" | grep -q " 0% packet loss" || fail "$what: replies missing:"$'\n'"$out"
  if echo "$out" | grep -Eiq "BAD CHECKSUM|truncated|wrong data|DUP!"; then fail "$what: damaged replies:"$'\n'"$out"; fi
  pass "$what ($(echo "$out" | grep -o '[0-9]* received'))"
}

# ping6_ok DESCRIPTION ADDRESS PING-ARGS...: the same over IPv6 (RFC 4443 echo).
ping6_ok() {
  local what=$1 address=$2; shift 2
  local out
  out=$(in_ns ping -6 -n -W 2 "$@" "$address" 2>&1)
  echo "$out" | grep -q " 0% packet loss" || fail "$what: replies missing:"$'\n'"$out"
  if echo "$out" | grep -Eiq "BAD CHECKSUM|truncated|wrong data|DUP!"; then fail "$what: damaged replies:"$'\n'"$out"; fi
  pass "$what ($(echo "$out" | grep -o '[0-9]* received'))"
}

live_pcap=$workdir/live.pcap
start_ministack "$log" "--$mode" "$dev" --pcap "$live_pcap" "${io_args[@]}"
# ministack itself configured the host side through netlink: link up, 192.168.3.11/24.
in_ns ip -4 -o addr show dev "$dev" | grep -q "inet 192.168.3.11/24" || fail "host address not set on $dev"
in_ns ip -o link show dev "$dev" | grep -q "[<,]UP[,>]" || fail "$dev is not up"
pass "ministack set up $dev: link up, 192.168.3.11/24"

ping_ok "ping -c 5" -c 5 -i 0.2
ping_ok "ping -s 1472 (a full 1500-byte packet)" -c 3 -i 0.2 -s 1472 -M do
ping_ok "ping -s 0" -c 3 -i 0.2 -s 0
ping_ok "ping -s 1 (odd length)" -c 3 -i 0.2 -s 1
ping_ok "ping -p ff00 pattern" -c 3 -i 0.2 -p ff00
# IPv6 (issue 12): the ULA address and the link-local one (fe80::ff:fe00:1, EUI-64 of the MAC), both links.
addr6=$(in_ns ip -6 -o addr show dev "$dev")
grep -q "inet6 fd00:3::11/64" <<<"$addr6" ||
  fail "host IPv6 address not set on $dev:"$'\n'"$addr6"$'\n'"$(in_ns ip -o link show dev "$dev")"
ping6_ok "ping -6 -c 5 fd00:3::12" fd00:3::12 -c 5 -i 0.2
ping6_ok "ping -6 -c 5 fe80::ff:fe00:1%$dev" "fe80::ff:fe00:1%$dev" -c 5 -i 0.2
ping6_ok "ping -6 -s 1452 (a full 1500-byte packet)" fd00:3::12 -c 3 -i 0.2 -s 1452 -M do
ping6_ok "ping -6 -s 4000 (fragments each way, RFC 8200 §4.5)" fd00:3::12 -c 3 -i 0.2 -s 4000
if [ "$mode" = tap ]; then
  # The kernel resolved us by neighbor discovery (RFC 4861): our MAC, from our advertisement.
  neigh=$(in_ns ip -6 neigh show dev "$dev" fd00:3::12)
  echo "$neigh" | grep -q "lladdr 02:00:00:00:00:01" || fail "the kernel did not resolve fd00:3::12 by ND: $neigh"
  pass "neighbor discovery: $neigh"
fi
if command -v nc >/dev/null; then
  got=$(echo "hello over IPv6" | in_ns timeout 5 nc -6 -u -w 1 fd00:3::12 7 2>&1)
  [ "$got" = "hello over IPv6" ] || fail "nc -6 -u to the echo port got '$got'"
  got=$(echo "hello TCP over IPv6" | in_ns timeout 5 nc -6 -N fd00:3::12 7 2>&1)
  [ "$got" = "hello TCP over IPv6" ] || fail "nc -6 (TCP) to the echo port got '$got'"
  pass "UDP and TCP echo over IPv6 with nc -6"
fi
if [ "$mode" = tap ]; then
  out=$(in_ns arping -c 3 -w 5 -I "$dev" 192.168.3.12 2>&1)
  echo "$out" | grep -q "Received 3 response" || fail "arping:"$'\n'"$out"
  echo "$out" | grep -q "\[02:00:00:00:00:01\]" || fail "arping reply from the wrong MAC:"$'\n'"$out"
  pass "arping -c 3"
fi
stop_ministack "$ms_pid"
grep -q "stopped:" "$log" || fail "no summary printed on SIGTERM"
pass "SIGTERM: clean exit 0 with a summary"
# Started again at once, the device is free: nothing (a ring's deferred teardown) holds it after exit.
for i in 1 2 3; do
  start_ministack "$workdir/restart.$i.log" "--$mode" "$dev" "${io_args[@]}"
  stop_ministack "$ms_pid"
done
pass "stopped and started again at once, 3 times: the device is free each time"

# The live capture holds both directions, in order, and libpcap (tcpdump) reads it back.
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
dump=$(tcpdump -nr "$live_pcap" 2>&1) || fail "tcpdump cannot read the live capture:"$'\n'"$dump"
want_type=$([ "$mode" = tap ] && echo "EN10MB" || echo "RAW")
echo "$dump" | head -1 | grep -q "link-type $want_type" || fail "live capture has the wrong link type: $(echo "$dump" | head -1)"
requests=$(echo "$dump" | grep -c "ICMP echo request" || true)
replies=$(echo "$dump" | grep -c "ICMP echo reply" || true)
# 5 + 3 + 3 + 3 + 3 pings above; every request captured and answered.
[ "$requests" -ge 17 ] && [ "$replies" = "$requests" ] ||
  fail "live capture: $requests echo requests, $replies replies (want >= 17, equal)"$'\n'"$dump"
# In order: each request is followed by its reply, never two of a kind in a row.
order=$(echo "$dump" | grep -o "ICMP echo re[a-z]*" | awk '{print $3}' | tr '\n' ' ')
echo "$order" | grep -Eq "^(request reply )+$" || fail "live capture out of order: $order"
if [ "$mode" = tap ]; then
  # RFC 5227 §2.3: the first frame ministack sends announces its address.
  first_out=$(tcpdump -enr "$live_pcap" 2>/dev/null | grep -m1 "02:00:00:00:00:01 >")
  echo "$first_out" | grep -q "ethertype ARP .*Request who-has 192.168.3.12 tell 192.168.3.12" ||
    fail "no gratuitous ARP announcement first: $first_out"
  echo "$dump" | grep -q "ARP, Request who-has 192.168.3.12" || fail "live capture lacks the ARP request"
  echo "$dump" | grep -q "ARP, Reply 192.168.3.12 is-at 02:00:00:00:00:01" || fail "live capture lacks the ARP reply"
fi
replies6=$(echo "$dump" | grep -c "ICMP6, echo reply" || true)
[ "$replies6" -ge 16 ] || fail "live capture: $replies6 ICMPv6 echo replies, want >= 16"$'\n'"$dump"
if [ "$mode" = tap ]; then
  echo "$dump" | grep -Eq "ICMP6, neighbor advertisement.*tgt is fd00:3::12" ||
    fail "live capture lacks our neighbor advertisement"$'\n'"$dump"
  echo "$dump" | grep -Eq ":: > ff02::1:ff00:12: ICMP6, neighbor solicitation.*who has fd00:3::12" ||
    fail "live capture lacks our duplicate address detection probe"$'\n'"$dump"
fi
pass "live --pcap: $(tcpdump -nr "$live_pcap" 2>/dev/null | wc -l) frames, $requests requests and $replies replies ($replies6 over IPv6), read back by tcpdump"

# A device that already exists and is configured: ministack attaches to it and answers all the same.
ip netns exec "$ns" ip tuntap add dev "${mode}9" mode "$mode" || fail "cannot create persistent ${mode}9"
in_ns ip addr add 192.168.3.11/24 dev "${mode}9"
in_ns ip link set "${mode}9" up
# After setup ministack runs as nobody: its JSON goes where that user may replace files.
chmod 755 "$workdir"
install -d -o nobody "$workdir/stats"
stats_json=$workdir/stats/stats.json
start_ministack "$workdir/attach.log" "--$mode" "${mode}9" --stats-json "$stats_json" "${io_args[@]}"
ping_ok "ping on an existing, configured ${mode}9" -c 3 -i 0.2

# SIGUSR1 prints the counters (and writes the JSON) while ministack keeps answering.
kill -USR1 "$ms_pid"
for _ in $(seq 30); do grep -q "icmpOutEchoReps" "$workdir/attach.log" && break; sleep 0.1; done
grep -Eq "icmpOutEchoReps +3 " "$workdir/attach.log" || fail "SIGUSR1 printed no counters table:"$'\n'"$(cat "$workdir/attach.log")"
grep -q '"icmpOutEchoReps": 3' "$stats_json" || fail "SIGUSR1 wrote no JSON counters: $(cat "$stats_json" 2>&1)"
kill -0 "$ms_pid" || fail "ministack stopped on SIGUSR1"
ping_ok "ping after SIGUSR1" -c 2 -i 0.2
pass "SIGUSR1: counters printed and written, still answering"

# Speed (issue 10): a flood is answered whole: with io_uring at about one system call per reply (one enter both
# sends the reply and waits for the next request); with poll, one write per reply, and reads and polls that the
# busy-polling decides.
json_number() { grep -o "\"$1\": [0-9]*" "$stats_json" | head -1 | grep -o '[0-9]*$'; }
json_mode() { grep -o '"mode": "[a-z_]*"' "$stats_json" | cut -d'"' -f4; }
snapshot() {  # SIGUSR1, then wait for the new file (written beside, then renamed over: a new inode)
  local inode
  inode=$(stat -c %i "$stats_json")
  kill -USR1 "$ms_pid"
  for _ in $(seq 50); do [ "$(stat -c %i "$stats_json")" != "$inode" ] && return 0; sleep 0.1; done
  fail "no new JSON snapshot within 5 s of SIGUSR1"
}
snapshot
calls0=$(json_number system_calls) replies0=$(json_number icmpOutEchoReps) writes0=$(json_number write)
out=$(in_ns ping -n -q -f -c 5000 192.168.3.12 2>&1)
echo "$out" | grep -q " 0% packet loss" || fail "ping -f -c 5000: replies missing:"$'\n'"$out"
snapshot
calls1=$(json_number system_calls) replies1=$(json_number icmpOutEchoReps) used=$(json_mode)
[ $((replies1 - replies0)) = 5000 ] || fail "ping -f: $((replies1 - replies0)) echo replies counted, want 5000"
calls=$((calls1 - calls0))
if [ "$io" = uring ]; then
  [ "$used" = io_uring ] || fail "--io uring runs with '$used'"
  [ $((calls * 100 / 5000)) -le 130 ] || fail "ping -f: $calls system calls for 5000 replies: more than 1.3 per reply"
else
  [ "$used" = poll ] || fail "--io poll runs with '$used'"
  writes=$(($(json_number write) - writes0))
  [ "$writes" = 5000 ] || fail "ping -f: $writes write() calls for 5000 replies, want one each"
fi
pass "ping -f -c 5000: no loss, $calls system calls for 5000 replies ($used)"

# IPv4 beyond one frame: fragmented requests reassembled, replies fragmented to the MTU; options echoed.
ping_ok "ping -s 4000 (3 fragments each way)" -c 3 -i 0.2 -s 4000
ping_ok "ping -s 65000 (44 fragments each way)" -c 2 -i 0.5 -s 65000
out=$(in_ns ping -n -W 2 -c 2 -i 0.2 -R 192.168.3.12 2>&1)
echo "$out" | grep -q " 0% packet loss" || fail "ping -R: replies missing:"$'\n'"$out"
echo "$out" | grep -A2 "^RR:" | grep -q "192.168.3.12" || fail "ping -R: route does not show 192.168.3.12:"$'\n'"$out"
pass "ping -R: $(echo "$out" | grep -A3 '^RR:' | head -4 | tr -s ' \t\n' ' ')"
out=$(in_ns ping -n -W 2 -c 2 -i 0.2 -T tsonly 192.168.3.12 2>&1)
echo "$out" | grep -q " 0% packet loss" || fail "ping -T tsonly: replies missing:"$'\n'"$out"
echo "$out" | grep -q "^TS:" || fail "ping -T tsonly: no timestamps printed:"$'\n'"$out"
pass "ping -T tsonly"
# Echoes to the subnet broadcast are ignored, as Linux's icmp_echo_ignore_broadcasts=1 does.
out=$(in_ns ping -n -b -W 1 -c 2 -i 0.2 192.168.3.255 2>&1)
echo "$out" | grep -q " 0 received" || fail "ping -b: a broadcast echo was answered:"$'\n'"$out"
pass "ping -b 192.168.3.255: ignored"
# UDP: the echo service (RFC 862) answers nc; a closed port answers with ICMP port unreachable.
if command -v nc >/dev/null; then
  got=$(echo "hello ministack" | in_ns timeout 5 nc -u -w 1 192.168.3.12 7 2>&1)
  [ "$got" = "hello ministack" ] || fail "nc -u to the echo port got '$got'"
  pass "UDP echo on port 7 with nc -u"
fi
in_ns bash -c 'echo closed > /dev/udp/192.168.3.12/9' || fail "cannot send UDP to port 9"
sleep 0.2
# SIGINT is what Ctrl-C sends.
kill -INT "$ms_pid"
rc=0; wait "$ms_pid" || rc=$?
[ "$rc" = 0 ] || fail "ministack exited $rc on SIGINT, expected 0"
pass "SIGINT: clean exit 0"
# The UDP datagram to port 9 was answered with port unreachable (RFC 1122 §4.1.3.1), and counted.
grep -q ", 1 ICMP error," "$workdir/attach.log" || fail "no port unreachable counted:"$'\n'"$(cat "$workdir/attach.log")"
grep -q "udp_port_unreachable" "$workdir/attach.log" || fail "the closed-port drop is not named"
pass "UDP to a closed port: ICMP port unreachable sent and counted"
grep -q '"schema": "ministack-counters/2"' "$stats_json" || fail "no JSON counters at exit"
grep -q '"udp_port_unreachable": 1' "$stats_json" || fail "the JSON at exit lacks the closed-port drop"
pass "--stats-json at exit"
echo "e2e ping over ${mode^^}: all checks passed"
