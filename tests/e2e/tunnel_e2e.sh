#!/usr/bin/env bash
# End-to-end: ministack's IP-over-UDP tunnel (issue 14), between two private network namespaces A and B joined by a
# veth pair, the underlay (10.213.9.1/24 and 10.213.9.2/24, or fd00:99::1/64 and fd00:99::2/64). One part per run:
#   pair   `ministack tunnel` on both sides over IPv4: ping (also -s 3000, which the kernel fragments), TCP 1 MiB
#          byte-exact, IPv6 inside, the TUN MTU (1472 = 1500 - 28), the underlay carries nothing but UDP port 4789
#          (tcpdump on A's veth), --pcap holds the inner packets, --trace, the counters, a clean exit; then --mtu,
#          and --no-host-config on a device set up beforehand; and A runs on while B is not there yet
#   ipv6   the same pair over an IPv6 underlay ([fd00:99::2]:4789): the TUN MTU is 1452 (1500 - 48)
#   stack  the tunnel on A, and on B the stack itself over UDP (`ministack --udp-listen`), run as nobody with no
#          privilege at all: ping (fragmented both ways), UDP and TCP echo, over IPv4 and IPv6
#   drops  datagrams from a third address, and malformed ones from the peer's own address and port (through a raw
#          socket, so that the peer keeps running on that port): each counted under its drop reason, and the tunnel
#          forwards on; the same against the stack over UDP, which latches onto its first valid sender only (or
#          keeps to its --udp-peer)
# Usage: tunnel_e2e.sh MINISTACK_BINARY pair|ipv6|stack|drops
set -uo pipefail
ministack_built=$1 part=${2:-}
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
case $part in pair | ipv6 | stack | drops) ;; *) fail "unknown part '$part' (pair, ipv6, stack or drops)" ;; esac
require_root_and_tun
if ! { command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils; }; then skip "iputils-ping is not installed"; fi
command -v jq >/dev/null || skip "jq is not installed (it reads --stats-json)"
command -v ss >/dev/null || skip "iproute2's ss is not installed"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
have_openbsd_nc() { command -v nc >/dev/null && nc -h 2>&1 | grep -q OpenBSD; }
case $part in
  pair) have_openbsd_nc || skip "OpenBSD netcat is not installed (netcat-openbsd)" ;;
  stack)
    command -v setpriv >/dev/null || skip "util-linux's setpriv is missing"
    id nobody >/dev/null 2>&1 || skip "there is no user nobody to run as"
    command -v socat >/dev/null || skip "socat is not installed"
    have_openbsd_nc || skip "OpenBSD netcat is not installed (netcat-openbsd)"
    ;;
  drops) command -v python3 >/dev/null || skip "python3 is not installed (it crafts the datagrams)" ;;
esac

make_namespace "tunnel-$part-a"
ns_a=$ns
add_namespace "tunnel-$part-b"
ns_b=$added_ns
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }

# Everything ministack writes after it has dropped root (to nobody) goes where nobody may replace files; nobody also
# runs a copy of the binary (part stack), which must be in a directory it can reach.
chmod 755 "$workdir"
out=$workdir/out
install -d -o nobody "$out"
install -d -m 0755 "$workdir/bin"
cp "$ministack_built" "$workdir/bin/ministack"
ministack=$workdir/bin/ministack

# make_underlay 4|6: the veth pair, veth0 in A and veth1 in B (made in their namespaces: nothing is ever configured in
# the root namespace). Over IPv4 the underlay has IPv6 off, so that any IP packet on it can only be the tunnel's.
make_underlay() {
  ip link add veth0 netns "$ns_a" type veth peer name veth1 netns "$ns_b" || fail "cannot create the veth pair"
  if [ "$1" = 4 ]; then
    in_a sysctl -qw net.ipv6.conf.veth0.disable_ipv6=1
    in_b sysctl -qw net.ipv6.conf.veth1.disable_ipv6=1
    in_a ip addr add 10.213.9.1/24 dev veth0
    in_b ip addr add 10.213.9.2/24 dev veth1
  else
    in_a ip -6 addr add fd00:99::1/64 dev veth0 nodad
    in_b ip -6 addr add fd00:99::2/64 dev veth1 nodad
  fi
  in_a ip link set veth0 up
  in_b ip link set veth1 up
}

# wait_until WHAT PID CMD...: CMD succeeds within 5 s, while PID lives.
wait_until() {
  local what=$1 pid=$2
  shift 2
  for _ in $(seq 50); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "$what: the process exited early"
    sleep 0.1
  done
  fail "$what: not within 5 s"
}

# start_in NS LOG STDOUT CMD...: CMD in namespace NS, stderr to LOG, stdout to STDOUT; its PID in $started. (ip netns
# exec and setpriv exec what they run: the PID is ministack's own.)
start_in() {
  local netns=$1 log=$2 stdout=$3
  shift 3
  logs+=("$log")
  ip netns exec "$netns" "$@" >"$stdout" 2>"$log" &
  started=$!
  pids+=("$started")
}

# forget PID: one that has been waited for, which the cleanup must then not signal (its number may be reused).
forget() {
  local kept=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# stop PID WHAT: SIGTERM, and it must exit 0 (a clean shutdown).
stop() {
  local rc=0
  kill -TERM "$1" 2>/dev/null || fail "$2 was no longer running"
  wait "$1" || rc=$?
  forget "$1"
  [ "$rc" = 0 ] || fail "$2 exited $rc on SIGTERM, expected 0"
}

udp_bound() { ip netns exec "$1" ss -Hunl "sport = :$2" | grep -q .; }
tcp_listening() { ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .; }
# has_addr NS DEV ADDR/LEN: DEV has that address. Asked up to three times: the kernel adds the link-local address on
# its own just after the link comes up, and a dump it interrupts can leave an address out (iproute2 then prints
# "Dump was interrupted and may be inconsistent"), which made this fail once in ten runs.
has_addr() {
  local _
  for _ in 1 2 3; do
    ip netns exec "$1" ip -o addr show dev "$2" 2>/dev/null | grep -q " $3 " && return 0
    sleep 0.1
  done
  return 1
}

tunnel_a="" tunnel_b=""
# start_tunnel a|b ARGS...: `ministack tunnel ARGS --stats-json OUT/SIDE.json` in that side's namespace (stderr in
# OUT/SIDE.log, stdout in OUT/SIDE.out), with --tun tun0 unless ARGS name a device; ready when the device has the --ip
# address, the UDP socket is bound and the JSON is written (at start). Its PID in $tunnel_a or $tunnel_b.
start_tunnel() {
  local side=$1 netns ip dev tun_args=()
  shift
  netns=$([ "$side" = a ] && echo "$ns_a" || echo "$ns_b")
  dev=$(echo " $* " | grep -oE -- ' --tun [^ ]+' | cut -d' ' -f3)
  [ -n "$dev" ] || { dev=tun0 tun_args=(--tun tun0); }
  ip=$(echo " $* " | grep -oE -- ' --ip [^ ]+' | cut -d' ' -f3)
  ip=${ip:-192.168.3.11/24}
  rm -f "$out/$side.json"
  start_in "$netns" "$out/$side.log" "$out/$side.out" "$ministack" tunnel "${tun_args[@]}" "$@" \
    --stats-json "$out/$side.json"
  printf -v "tunnel_$side" %s "$started"
  wait_until "tunnel $side: $dev with $ip" "$started" has_addr "$netns" "$dev" "$ip"
  wait_until "tunnel $side: UDP port 4789 bound" "$started" udp_bound "$netns" 4789
  wait_until "tunnel $side: --stats-json written at start" "$started" test -s "$out/$side.json"
}

# ping_ok NS DESCRIPTION ADDRESS PING-ARGS...: 0% loss, and no damaged reply.
ping_ok() {
  local netns=$1 what=$2 address=$3 result
  shift 3
  result=$(ip netns exec "$netns" ping -n -W 2 "$@" "$address" 2>&1)
  grep -q " 0% packet loss" <<<"$result" || fail "$what: replies missing:"$'\n'"$result"
  if grep -Eiq "BAD CHECKSUM|truncated|wrong data|DUP!" <<<"$result"; then
    fail "$what: damaged replies:"$'\n'"$result"
  fi
  pass "$what ($(echo "$result" | grep -o '[0-9]* received'))"
}

# snapshot PID FILE: SIGUSR1 makes ministack write FILE again; wait for the new one.
snapshot() {
  local before
  before=$(stat -c '%i %y %s' "$2" 2>/dev/null)
  kill -USR1 "$1" || fail "cannot signal PID $1"
  for _ in $(seq 50); do
    if [ "$(stat -c '%i %y %s' "$2" 2>/dev/null)" != "$before" ] && jq -e . "$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "no new $2 within 5 s of SIGUSR1"
}

# number FILE JQ-FILTER: a number of the JSON document, or the test fails (when it is not there). Sets $value: a
# command substitution would lose fail's message and exit only its subshell.
number() {
  value=$(jq -r "$2 | numbers" "$1" 2>/dev/null)
  [ -n "$value" ] || fail "$1 has no number at $2:"$'\n'"$(cat "$1")"
}

# The tunnel's counters, the same four in both documents (the tunnel's own, and the "tunnel" object of the stack's),
# and its drop reasons, of which these three at least.
tunnel_counters=(tunnelInPackets tunnelInOctets tunnelOutPackets tunnelOutOctets)
tunnel_reasons=(tunnel_unknown_source tunnel_not_ip tunnel_bad_length)

# check_tunnel_json FILE PREFIX: the four counters and the three reasons are there, as numbers (PREFIX "" for
# `ministack tunnel`, ".tunnel" for the stack's document).
check_tunnel_json() {
  local c
  for c in "${tunnel_counters[@]}"; do number "$1" "$2.counters.$c"; done
  for c in "${tunnel_reasons[@]}"; do number "$1" "$2.drops.$c"; done
}

# wrong_drops FILE PREFIX: the drop reasons counted that a clean run must not have: all but those of load (a socket
# buffer full, receiving or sending), as a JSON object ({} when none).
wrong_drops() {
  jq -c "$2.drops | with_entries(select(.value != 0 and .key != \"tunnel_receive_overflow\" and .key != \"tunnel_send_queue_full\"))" "$1"
}

# start_capture NS IFACE FILE: tcpdump on the underlay, its PID in $capture; stop_capture ends it.
start_capture() {
  local log=$workdir/tcpdump.log
  ip netns exec "$1" tcpdump -Z root -U -n -i "$2" -w "$3" 2>"$log" &
  capture=$!
  pids+=("$capture")
  wait_until "tcpdump on $2" "$capture" grep -q "listening on" "$log"
}
stop_capture() {
  sleep 0.2
  kill -INT "$capture"
  wait "$capture"
  forget "$capture"
}

# check_underlay FILE 4|6 MTU: every IP packet of the capture is UDP from port 4789 to port 4789 between the underlay's
# own addresses, and whole (an outer fragment prints without ports), none with a UDP payload over the TUN's MTU;
# besides them only ARP (IPv4) or the kernel's own ICMPv6 on the link (IPv6: neighbor discovery, MLD), and never an
# inner address in clear. Sets $underlay_count (tunnel datagrams) and $underlay_largest (the largest one's payload).
check_underlay() {
  local file=$1 family=$2 mtu=$3 dump tunnel_re other fragments
  # -q: port 4789 is VXLAN's, which tcpdump would otherwise decode the payload as.
  dump=$(tcpdump -q -nr "$file" 2>/dev/null) || fail "tcpdump cannot read $file"
  fragments=$(tcpdump -nr "$file" 'ip[6:2] & 0x3fff != 0 or ip6[6] == 44' 2>/dev/null)
  [ -z "$fragments" ] || fail "fragments on the underlay:"$'\n'"$(head <<<"$fragments")"
  if [ "$family" = 4 ]; then
    tunnel_re='^[0-9:.]+ IP 10\.213\.9\.[12]\.4789 > 10\.213\.9\.[12]\.4789: UDP, length [0-9]+$'
    other=$(echo "$dump" | grep -Ev "$tunnel_re" | grep -Ev '^[0-9:.]+ ARP, ')
  else
    tunnel_re='^[0-9:.]+ IP6 fd00:99::[12]\.4789 > fd00:99::[12]\.4789: UDP, length [0-9]+$'
    other=$(echo "$dump" | grep -Ev "$tunnel_re" | grep -Ev '^[0-9:.]+ IP6 (fe80::|fd00:99::|::)[0-9a-f:]* > (fe80::|fd00:99::|ff02::)[0-9a-f:]*: (HBH )?ICMP6, (neighbor|router|multicast listener)')
  fi
  [ -z "$other" ] || fail "the underlay carried more than the tunnel's UDP:"$'\n'"$other"
  if grep -Eq '192\.168\.3\.|fd00:5:|fd00:3:' <<<"$dump"; then
    fail "an inner address in clear on the underlay:"$'\n'"$(echo "$dump" | grep -E '192\.168\.3\.|fd00:5:|fd00:3:' | head)"
  fi
  underlay_count=$(echo "$dump" | grep -Ec "$tunnel_re")
  underlay_largest=$(echo "$dump" | grep -E "$tunnel_re" | grep -o '[0-9]*$' | sort -n | tail -1)
  [ "$underlay_count" -gt 0 ] || fail "no tunnel datagram captured on the underlay"
  [ "$underlay_largest" -le "$mtu" ] || fail "a tunnel datagram of $underlay_largest bytes, over the TUN MTU $mtu"
}

# icmp_in_echos NS: the echo requests that namespace's kernel has received (/proc/net/snmp, Icmp InEchos).
icmp_in_echos() {
  # shellcheck disable=SC2016  # awk's own $
  ip netns exec "$1" awk '/^Icmp:/ { if (!n++) { for (i = 2; i <= NF; i++) col[$i] = i } else print $col["InEchos"] }' \
    /proc/net/snmp
}

# =====================================================================================================================
# pair and ipv6: `ministack tunnel` on both sides.
if [ "$part" = pair ] || [ "$part" = ipv6 ]; then
  if [ "$part" = pair ]; then
    family=4 tun_mtu=1472 peer_a=10.213.9.2:4789 peer_b=10.213.9.1:4789 local_b=10.213.9.2:4789 outer_header=28
  else
    family=6 tun_mtu=1452 peer_a='[fd00:99::2]:4789' peer_b='[fd00:99::1]:4789' local_b='[fd00:99::2]:4789'
    outer_header=48
  fi
  make_underlay $family
  # A records the inner packets (--pcap, opened before the drop to nobody); B traces every packet on stdout and names
  # its local address (A's is the default, the wildcard address of the peer's family).
  start_tunnel a --ip 192.168.3.11/24 --ip6 fd00:5::1/64 --peer "$peer_a" --pcap "$workdir/inner.pcap"
  # A alone: what it sends finds no socket on B, whose kernel answers ICMP port unreachable (a connected UDP socket
  # then reports ECONNREFUSED); A must carry on regardless.
  in_a ping -n -c 2 -i 0.2 -W 1 192.168.3.13 >/dev/null 2>&1
  sleep 0.2
  kill -0 "$tunnel_a" 2>/dev/null || fail "tunnel A ended when its peer was not there yet:"$'\n'"$(cat "$out/a.log")"
  pass "tunnel A runs on while its peer is not there yet (port unreachable)"
  start_tunnel b --ip 192.168.3.13/24 --ip6 fd00:5::2/64 --peer "$peer_b" --local "$local_b" --trace
  # The capture starts with both ends up (before, the port unreachable above was on the wire).
  underlay=$workdir/underlay.pcap
  start_capture "$ns_a" veth0 "$underlay"
  for side in a b; do
    if ! grep -Eq "warning: .*(not|neither) encrypted.*WireGuard" "$out/$side.log"; then
      fail "tunnel $side warned of nothing (want: not encrypted, use WireGuard):"$'\n'"$(cat "$out/$side.log")"
    fi
  done
  pass "both tunnels warn that the tunnel is not encrypted, and point to WireGuard: $(grep -m1 -o "warning: .\{60\}" "$out/a.log")..."
  for side in a b; do
    netns=$([ "$side" = a ] && echo "$ns_a" || echo "$ns_b")
    ip netns exec "$netns" ip -o link show dev tun0 | grep -q "[<,]UP[,>]" || fail "tunnel $side: tun0 is not up"
    mtu=$(ip netns exec "$netns" cat /sys/class/net/tun0/mtu)
    [ "$mtu" = $tun_mtu ] || fail "tunnel $side: tun0 has MTU $mtu, want $tun_mtu (1500 - $outer_header)"
    has_addr "$netns" tun0 "fd00:5::$([ "$side" = a ] && echo 1 || echo 2)/64" ||
      fail "tunnel $side: tun0 lacks its --ip6:"$'\n'"$(ip netns exec "$netns" ip -o addr show dev tun0)"
  done
  pass "tun0 on both sides: up, 192.168.3.11/24 and .13/24, fd00:5::1/64 and ::2/64, MTU $tun_mtu (1500 - $outer_header)"

  ping_ok "$ns_a" "A pings B across the tunnel, -c 5" 192.168.3.13 -c 5 -i 0.2
  ping_ok "$ns_b" "B pings A across the tunnel, -c 3" 192.168.3.11 -c 3 -i 0.2
  # The largest packet that fits the TUN whole, with DF set: 20 + 8 + payload = MTU.
  ping_ok "$ns_a" "ping -s $((tun_mtu - 28)) -M do (a full $tun_mtu-byte packet in one datagram)" 192.168.3.13 \
    -c 3 -i 0.2 -s $((tun_mtu - 28)) -M "do"
  # One byte more does not fit: the kernel refuses it locally, as it must for a device of that MTU.
  result=$(in_a ping -n -W 1 -c 1 -s $((tun_mtu - 27)) -M "do" 192.168.3.13 2>&1)
  grep -Eq "message too long|mtu ?= ?$tun_mtu" <<<"$result" ||
    fail "ping -s $((tun_mtu - 27)) -M do was not refused locally:"$'\n'"$result"
  pass "ping -s $((tun_mtu - 27)) -M do: refused by the kernel, over the TUN MTU"
  # 3028 bytes do not fit the TUN: the kernel fragments the inner packet to the TUN MTU (3 fragments), the tunnel sends
  # each fragment in a datagram of its own, the other kernel reassembles; the reply comes back the same way. The
  # outer datagrams are never fragmented (check_underlay below).
  ping_ok "$ns_a" "ping -s 3000 (3 inner fragments each way, one datagram each)" 192.168.3.13 -c 3 -i 0.2 -s 3000
  ping_ok "$ns_a" "ping -6 fd00:5::2 (IPv6 inside the tunnel)" fd00:5::2 -6 -c 3 -i 0.2
  ping_ok "$ns_b" "ping -6 -s 3000 fd00:5::1 (IPv6 fragments inside the tunnel)" fd00:5::1 -6 -c 3 -i 0.2 -s 3000

  if [ "$part" = pair ]; then
    # TCP: 1 MiB of random bytes from A to B through the tunnel, byte-exact (sha256).
    head -c 1048576 /dev/urandom >"$workdir/tcp.in"
    start_in "$ns_b" "$workdir/nc-listen.log" "$workdir/tcp.out" timeout 30 nc -l 5001
    listener=$started
    wait_until "nc -l 5001 in B" "$listener" tcp_listening "$ns_b" 5001
    rc=0
    in_a timeout 30 nc -N 192.168.3.13 5001 <"$workdir/tcp.in" 2>"$workdir/nc-send.log" || rc=$?
    [ "$rc" = 0 ] || fail "nc from A to B exited $rc: $(cat "$workdir/nc-send.log")"
    rc=0
    wait "$listener" || rc=$?
    forget "$listener"
    [ "$rc" = 0 ] || fail "nc -l in B exited $rc: $(cat "$workdir/nc-listen.log")"
    want=$(sha256sum <"$workdir/tcp.in" | cut -d' ' -f1)
    got=$(sha256sum <"$workdir/tcp.out" | cut -d' ' -f1)
    [ "$want" = "$got" ] ||
      fail "TCP through the tunnel: sent 1048576 bytes ($want), got $(stat -c %s "$workdir/tcp.out") ($got)"
    pass "TCP: 1 MiB of random bytes from A to B with nc, sha256 equal on both ends"
  fi

  # The counters while it runs (SIGUSR1), then at exit: the document's form; no drop at all in a clean run.
  snapshot "$tunnel_a" "$out/a.json"
  jq -e '.schema == "ministack-tunnel/1"' "$out/a.json" >/dev/null ||
    fail "the schema is not ministack-tunnel/1:"$'\n'"$(cat "$out/a.json")"
  check_tunnel_json "$out/a.json" ""
  kill -0 "$tunnel_a" || fail "tunnel A stopped on SIGUSR1"
  pass "SIGUSR1: A's --stats-json rewritten (ministack-tunnel/1, the four counters, the drop reasons), A runs on"
  stop "$tunnel_a" "tunnel A"
  stop "$tunnel_b" "tunnel B"
  for side in a b; do
    grep -q "stopped: .* to the peer" "$out/$side.log" || fail "tunnel $side printed no summary:"$'\n'"$(cat "$out/$side.log")"
  done
  pass "SIGTERM: both tunnels exit 0, with a summary: $(grep -m1 -o "stopped: .*" "$out/b.log")"
  # In a clean run nothing is refused; only the load may cost datagrams (a full socket buffer: the TCP transfer, from
  # a kernel faster than B with its trace on), which TCP recovers.
  load_drops=""
  for side in a b; do
    nonzero=$(wrong_drops "$out/$side.json" "")
    [ "$nonzero" = "{}" ] || fail "tunnel $side dropped datagrams in a clean run: $nonzero"
    load_drops+=" $side: $(jq -c '.drops | with_entries(select(.value != 0))' "$out/$side.json")"
  done
  # A sent at least: 5 + 3 echo requests, 3 of 3 fragments, 3 over IPv6; 3 replies, and 3 of 3 fragments over IPv6.
  number "$out/a.json" .counters.tunnelOutPackets
  a_out=$value
  number "$out/b.json" .counters.tunnelInPackets
  b_in=$value
  number "$out/b.json" .counters.tunnelInOctets
  b_octets=$value
  [ "$a_out" -ge 32 ] || fail "A counted $a_out packets out, want >= 32"
  [ "$b_in" -ge 32 ] || fail "B counted $b_in packets in, want >= 32"
  if [ "$part" = pair ] && [ "$b_octets" -lt 1048576 ]; then
    fail "B counted $b_octets octets in, after 1 MiB of TCP from A"
  fi
  pass "--stats-json at exit: A sent $a_out packets, B received $b_in ($b_octets octets); drops for load only:$load_drops"

  stop_capture
  check_underlay "$underlay" $family $tun_mtu
  pass "tcpdump on A's veth0: only UDP between the underlay's ports 4789 ($underlay_count datagrams), never fragmented"
  [ "$underlay_largest" = $tun_mtu ] ||
    fail "the largest tunnel datagram on the underlay holds $underlay_largest bytes, want $tun_mtu (full-size packets)"
  pass "the full-size inner packets travelled as $tun_mtu-byte datagrams, $((tun_mtu + outer_header))-byte outer packets"

  # --pcap: the inner packets, raw IP, never the outer datagrams.
  dump=$(tcpdump -nr "$workdir/inner.pcap" 2>&1) || fail "tcpdump cannot read A's --pcap:"$'\n'"$dump"
  head -1 <<<"$dump" | grep -q "link-type RAW" || fail "A's --pcap is not raw IP: $(head -1 <<<"$dump")"
  for want in "IP 192.168.3.11 > 192.168.3.13: ICMP echo request" "IP 192.168.3.13 > 192.168.3.11: ICMP echo reply" \
    "IP6 fd00:5::1 > fd00:5::2: ICMP6, echo request" "IP6 fd00:5::2 > fd00:5::1: ICMP6, echo reply"; do
    grep -q "$want" <<<"$dump" || fail "A's --pcap lacks '$want':"$'\n'"$(head -20 <<<"$dump")"
  done
  if grep -q "\.4789" <<<"$dump"; then
    fail "A's --pcap holds outer datagrams:"$'\n'"$(grep "\.4789" <<<"$dump" | head)"
  fi
  pass "A's --pcap: $(echo "$dump" | grep -vc "^reading from") inner packets, raw IP, ICMP echo both ways, IPv4 and IPv6"

  # --trace: a line per packet on stdout, naming UDP (the outer datagram).
  udp_lines=$(grep -c "UDP" "$out/b.out")
  [ "$udp_lines" -ge 32 ] ||
    fail "B's --trace has $udp_lines lines naming UDP, want >= 32:"$'\n'"$(head -20 "$out/b.out")"
  pass "B's --trace: $(wc -l <"$out/b.out") lines on stdout, $udp_lines naming UDP, e.g. '$(grep -m1 UDP "$out/b.out")'"

  # --mtu on B; on A, --no-host-config with a device made and set up beforehand (MTU 1300): left as it is.
  in_a ip tuntap add dev tun1 mode tun || fail "cannot create tun1"
  in_a ip addr add 192.168.3.11/24 dev tun1
  in_a ip link set dev tun1 mtu 1300 up
  start_tunnel a --tun tun1 --no-host-config --peer "$peer_a"
  start_tunnel b --ip 192.168.3.13/24 --peer "$peer_b" --mtu 1400
  mtu=$(in_a cat /sys/class/net/tun1/mtu)
  [ "$mtu" = 1300 ] || fail "--no-host-config: tun1's MTU went from 1300 to $mtu"
  [ "$(in_a ip -o addr show dev tun1 | grep -c "inet ")" = 1 ] ||
    fail "--no-host-config: tun1's addresses changed:"$'\n'"$(in_a ip -o addr show dev tun1)"
  mtu=$(in_b cat /sys/class/net/tun0/mtu)
  [ "$mtu" = 1400 ] || fail "--mtu 1400: tun0 has MTU $mtu"
  ping_ok "$ns_a" "--no-host-config (tun1 as set up, MTU 1300): ping -s 1272 -M do" 192.168.3.13 -c 2 -i 0.2 -s 1272 \
    -M "do"
  ping_ok "$ns_b" "--mtu 1400: ping -s 1372 -M do" 192.168.3.11 -c 2 -i 0.2 -s 1372 -M "do"
  stop "$tunnel_a" "tunnel A (--no-host-config)"
  stop "$tunnel_b" "tunnel B (--mtu 1400)"
  pass "--no-host-config leaves a device's MTU and address alone; --mtu 1400 sets the MTU"
  echo "e2e tunnel, $part: all checks passed"
  exit 0
fi

# =====================================================================================================================
# stack: the tunnel on A; on B, the stack over UDP, as nobody from its first instruction on.
if [ "$part" = stack ]; then
  make_underlay 4
  start_tunnel a --ip 192.168.3.11/24 --ip6 fd00:3::11/64 --peer 10.213.9.2:4789
  start_in "$ns_b" "$out/b.log" "$out/b.out" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$ministack" --udp-listen 10.213.9.2:4789 --stats-json "$out/b.json"
  stack=$started
  wait_until "the stack over UDP: port 4789 bound" "$stack" udp_bound "$ns_b" 4789
  user=$(ps -o user= -p "$stack") command=$(ps -o comm= -p "$stack")
  if [ "$user" != nobody ] || [ "$command" != ministack ]; then
    fail "PID $stack is '$command' run by '$user', want ministack run by nobody"
  fi
  caps=$(sed -n 's/^CapEff:\t*//p' "/proc/$stack/status")
  [ "$caps" = 0000000000000000 ] || fail "the stack over UDP has capabilities $caps"
  pass "ministack --udp-listen 10.213.9.2:4789 runs as nobody, with no capability (PID $stack)"
  underlay=$workdir/underlay.pcap
  start_capture "$ns_a" veth0 "$underlay"

  ping_ok "$ns_a" "ping 192.168.3.12 over UDP, -c 5" 192.168.3.12 -c 5 -i 0.2
  ping_ok "$ns_a" "ping -s 1444 -M do (a full 1472-byte packet each way)" 192.168.3.12 -c 3 -i 0.2 -s 1444 -M "do"
  # 4028 bytes: the kernel on A fragments the request to the TUN MTU, the stack reassembles it and fragments its reply
  # to its own MTU (1472, the underlay's less 28): each fragment one datagram, none of them fragmented outside.
  ping_ok "$ns_a" "ping -s 4000 (3 fragments each way)" 192.168.3.12 -c 3 -i 0.2 -s 4000
  ping_ok "$ns_a" "ping -6 fd00:3::12 over UDP" fd00:3::12 -6 -c 3 -i 0.2
  ping_ok "$ns_a" "ping -6 -s 4000 fd00:3::12 (fragments each way)" fd00:3::12 -6 -c 3 -i 0.2 -s 4000
  got=$(echo "hello over UDP over UDP" | in_a timeout 5 nc -u -w 1 192.168.3.12 7 2>&1)
  [ "$got" = "hello over UDP over UDP" ] || fail "nc -u to the echo port got '$got'"
  pass "UDP echo (port 7) with nc -u"
  # TCP echo: 1 MiB of random bytes back byte-exact (sha256) through the tunnel and the stack's TCP.
  head -c 1048576 /dev/urandom >"$workdir/tcp.in"
  rc=0
  in_a timeout 40 socat -t 10 -T 10 - TCP:192.168.3.12:7,connect-timeout=10 <"$workdir/tcp.in" >"$workdir/tcp.out" \
    2>"$workdir/socat.log" || rc=$?
  [ "$rc" = 0 ] || fail "socat to the echo port exited $rc: $(cat "$workdir/socat.log")"
  want=$(sha256sum <"$workdir/tcp.in" | cut -d' ' -f1)
  got=$(sha256sum <"$workdir/tcp.out" | cut -d' ' -f1)
  [ "$want" = "$got" ] ||
    fail "TCP echo over UDP: sent 1048576 bytes ($want), got back $(stat -c %s "$workdir/tcp.out") ($got)"
  pass "TCP echo (port 7): 1 MiB of random bytes back byte-exact (sha256)"

  snapshot "$stack" "$out/b.json"
  jq -e '.schema == "ministack-counters/2"' "$out/b.json" >/dev/null ||
    fail "the stack's schema is not ministack-counters/2:"$'\n'"$(cat "$out/b.json")"
  check_tunnel_json "$out/b.json" .tunnel
  stop "$stack" "the stack over UDP"
  grep -q "stopped:" "$out/b.log" || fail "the stack printed no summary on SIGTERM:"$'\n'"$(cat "$out/b.log")"
  stop "$tunnel_a" "tunnel A"
  pass "SIGTERM: the stack over UDP and the tunnel exit 0"
  number "$out/b.json" .counters.icmpOutEchoReps
  [ "$value" -ge 11 ] || fail "the stack counted $value echo replies, want >= 11"
  number "$out/b.json" .tunnel.counters.tunnelInPackets
  [ "$value" -ge 32 ] || fail "the stack's tunnel counted $value packets in, want >= 32"
  number "$out/b.json" .tunnel.counters.tunnelOutOctets
  [ "$value" -ge 1048576 ] || fail "the stack's tunnel counted $value octets out, after a 1 MiB echo"
  nonzero=$(wrong_drops "$out/b.json" .tunnel)
  [ "$nonzero" = "{}" ] || fail "the stack's tunnel dropped datagrams in a clean run: $nonzero"
  pass "the stack's --stats-json at exit: the stack's counters and a \"tunnel\" object, drops for load only: $(jq -c '.tunnel.drops | with_entries(select(.value != 0))' "$out/b.json")"

  stop_capture
  check_underlay "$underlay" 4 1472
  [ "$underlay_largest" = 1472 ] || fail "the largest datagram holds $underlay_largest bytes, want 1472"
  pass "tcpdump on A's veth0: only UDP between ports 4789 ($underlay_count datagrams, the largest 1472 bytes), none fragmented: the stack's MTU is 1472"
  echo "e2e tunnel, $part: all checks passed"
  exit 0
fi

# =====================================================================================================================
# drops: what the tunnel must not deliver, from a stranger and from its own peer.

# send.py KIND FROM SPORT TO DPORT INNER-SRC INNER-DST: one UDP datagram of KIND, its header built here and sent
# through a raw socket, so that its source may be a port that another process (the peer itself) has bound.
cat >"$workdir/send.py" <<'EOF'
import socket, struct, sys

kind, src, sport, dst, dport, inner_src, inner_dst = sys.argv[1:8]
sport, dport = int(sport), int(dport)

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4(payload, total=None):  # an ICMP packet; total overrides the total length (the checksum stays right)
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0x1234, 0, 64, 1, 0,
                    socket.inet_aton(inner_src), socket.inet_aton(inner_dst))
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload

def echo_request():
    m = struct.pack("!BBHHH", 8, 0, 0, 0x7E57, 1) + b"ministack tunnel e2e"
    return m[:2] + struct.pack("!H", checksum(m)) + m[4:]

def ipv6(payload, length=None):  # next header 59: no next header
    length = len(payload) if length is None else length
    return struct.pack("!IHBB16s16s", 6 << 28, length, 59, 64, socket.inet_pton(socket.AF_INET6, "fd00:5::2"),
                       socket.inet_pton(socket.AF_INET6, "fd00:5::1")) + payload

valid4 = ipv4(echo_request())
payload = {
    "valid4": valid4,
    "empty": b"",
    "garbage": b"\x00\x01 this is not an IP packet",
    "version5": bytes([0x55]) + valid4[1:],
    "v4_total_over": ipv4(echo_request(), total=len(valid4) + 20),  # says 20 bytes more than it holds
    "v4_total_under": valid4 + bytes(16),  # 16 bytes beyond its total length
    "v4_short_header": valid4[:12],
    "v6_short_header": ipv6(bytes(8))[:20],
    "v6_payload_over": ipv6(bytes(8), length=16),
}[kind]

length = 8 + len(payload)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_UDP, length)
header = struct.pack("!HHHH", sport, dport, length, 0)
header = header[:6] + struct.pack("!H", checksum(pseudo + header + payload) or 0xFFFF)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
s.sendto(header + payload, (dst, 0))
EOF

# The receiver of the moment: its PID, --stats-json, where its drops are in it, its address and port; the sender's
# namespace, the inner addresses of the packets sent, and a check across afterwards.
rx_pid="" rx_json="" rx_prefix="" rx_addr="" rx_ns="" tx_ns="" inner_src="" inner_dst="" ping_ns="" ping_to=""

send() {  # send KIND FROM SPORT
  ip netns exec "$tx_ns" python3 "$workdir/send.py" "$1" "$2" "$3" "$rx_addr" 4789 "$inner_src" "$inner_dst" ||
    fail "could not send '$1' from $2:$3"
}
drops_sum() { jq "[$rx_prefix.drops[]] | add" "$rx_json"; }

# expect_drop WHAT REASON KIND FROM SPORT: one datagram; the receiver counts REASON once and no other drop; then a ping
# across still gets every reply.
expect_drop() {
  local what=$1 reason=$2 kind=$3 from=$4 sport=$5 before sum_before after sum_after
  snapshot "$rx_pid" "$rx_json"
  number "$rx_json" "$rx_prefix.drops.$reason"
  before=$value sum_before=$(drops_sum)
  send "$kind" "$from" "$sport"
  sleep 0.1
  snapshot "$rx_pid" "$rx_json"
  number "$rx_json" "$rx_prefix.drops.$reason"
  after=$value sum_after=$(drops_sum)
  if [ $((after - before)) != 1 ] || [ $((sum_after - sum_before)) != 1 ]; then
    fail "$what: $reason went $before -> $after, all drops $sum_before -> $sum_after (want +1, +1):"$'\n'"$(jq -c "$rx_prefix.drops" "$rx_json")"
  fi
  ping_ok "$ping_ns" "$what: dropped as $reason, and a ping across after it" "$ping_to" -c 2 -i 0.2
}

# echos_delivered KIND FROM SPORT: the echo requests (valid4) that reached the inner side, counted by the receiving
# kernel (tunnel) or the stack (its icmpInEchos).
echos_delivered() {
  local before after
  if [ "$rx_prefix" = "" ]; then
    before=$(icmp_in_echos "$rx_ns")
  else
    snapshot "$rx_pid" "$rx_json"
    number "$rx_json" .counters.icmpInEchos
    before=$value
  fi
  send "$@"
  sleep 0.2
  if [ "$rx_prefix" = "" ]; then
    after=$(icmp_in_echos "$rx_ns")
  else
    snapshot "$rx_pid" "$rx_json"
    number "$rx_json" .counters.icmpInEchos
    after=$value
  fi
  delivered=$((after - before))
}

make_underlay 4
start_tunnel a --ip 192.168.3.11/24 --peer 10.213.9.2:4789
start_tunnel b --ip 192.168.3.13/24 --peer 10.213.9.1:4789
ping_ok "$ns_a" "the tunnel pair: A pings B" 192.168.3.13 -c 2 -i 0.2
in_b ip addr add 10.213.9.3/24 dev veth1

# 1. To the tunnel on A, from B's namespace: the peer is 10.213.9.2:4789.
rx_pid=$tunnel_a rx_json=$out/a.json rx_prefix="" rx_addr=10.213.9.1 rx_ns=$ns_a tx_ns=$ns_b
inner_src=192.168.3.13 inner_dst=192.168.3.11 ping_ns=$ns_a ping_to=192.168.3.13
# The sender itself first, with a valid packet: from the peer's address and port it is delivered (A's kernel counts
# the echo request), so that what follows is dropped for what it holds, not for how it is sent.
echos_delivered valid4 10.213.9.2 4789
[ "$delivered" = 1 ] || fail "a valid echo request sent as the peer reached A's kernel $delivered times, want once"
pass "a valid packet sent through the raw socket as the peer (10.213.9.2:4789) is delivered: A's kernel saw 1 echo request"
expect_drop "a valid packet from a third address (10.213.9.3:4789)" tunnel_unknown_source valid4 10.213.9.3 4789
expect_drop "a valid packet from the peer's address, another port (10.213.9.2:4790)" tunnel_unknown_source valid4 \
  10.213.9.2 4790
echos_delivered valid4 10.213.9.3 4789
[ "$delivered" = 0 ] || fail "an echo request from a third address reached A's kernel"
pass "the third address's echo request never reached A's kernel"
expect_drop "an empty datagram from the peer" tunnel_not_ip empty 10.213.9.2 4789
expect_drop "garbage from the peer (version 0)" tunnel_not_ip garbage 10.213.9.2 4789
expect_drop "IP version 5 from the peer" tunnel_not_ip version5 10.213.9.2 4789
expect_drop "IPv4 whose total length exceeds the datagram" tunnel_bad_length v4_total_over 10.213.9.2 4789
expect_drop "IPv4 with 16 bytes beyond its total length" tunnel_bad_length v4_total_under 10.213.9.2 4789
expect_drop "a truncated IPv4 header (12 bytes)" tunnel_bad_length v4_short_header 10.213.9.2 4789
expect_drop "a truncated IPv6 header (20 bytes)" tunnel_bad_length v6_short_header 10.213.9.2 4789
expect_drop "IPv6 whose payload length exceeds the datagram" tunnel_bad_length v6_payload_over 10.213.9.2 4789
number "$out/a.json" .total_drops
[ "$value" = "$(drops_sum)" ] || fail "A's total_drops $value is not the sum of its drop reasons $(drops_sum)"
# A route to the peer through tun0 itself (as a default route through the tunnel would be): each datagram for the
# peer comes back out of tun0. It is dropped as tunnel_loop, not wrapped again, and said once; with the route gone,
# traffic flows again.
snapshot "$tunnel_a" "$out/a.json"
number "$out/a.json" .counters.tunnelOutPackets
out_before=$value
in_a ip route add 10.213.9.2/32 dev tun0
in_a ping -n -c 3 -i 0.2 -W 1 192.168.3.13 >/dev/null 2>&1
sleep 0.3
snapshot "$tunnel_a" "$out/a.json"
number "$out/a.json" .drops.tunnel_loop
[ "$value" -ge 3 ] || fail "a route to the peer through tun0: tunnel_loop is $value after 3 pings, want 3 or more"
loops=$value
number "$out/a.json" .counters.tunnelOutPackets
[ $((value - out_before)) -le 10 ] ||
  fail "a route to the peer through tun0: $((value - out_before)) datagrams sent for 3 pings (wrapped again?)"
[ "$(grep -c "came back out of tun0: the route to the peer leads into the tunnel itself" "$out/a.log")" = 1 ] ||
  fail "the loop is not told exactly once:"$'\n'"$(cat "$out/a.log")"
in_a ip route del 10.213.9.2/32 dev tun0
ping_ok "$ns_a" "a route to the peer through tun0: $loops datagrams dropped as tunnel_loop and told once; with the route gone, a ping across" \
  192.168.3.13 -c 2 -i 0.2
stop "$tunnel_b" "tunnel B"

# 2. To the stack over UDP on B, which has no --udp-peer: it takes the first source of a valid IP packet, and only it.
start_in "$ns_b" "$out/b.log" "$out/b.out" "$ministack" --udp-listen 10.213.9.2:4789 --stats-json "$out/b.json"
stack=$started
wait_until "the stack over UDP: port 4789 bound" "$stack" udp_bound "$ns_b" 4789
in_a ip addr add 10.213.9.4/24 dev veth0
rx_pid=$stack rx_json=$out/b.json rx_prefix=.tunnel rx_addr=10.213.9.2 rx_ns=$ns_b tx_ns=$ns_a
inner_src=192.168.3.11 inner_dst=192.168.3.12 ping_ns=$ns_a ping_to=192.168.3.12
# Garbage first, from a stranger: it is no valid packet, so the stack does not latch onto its sender, and A's ping,
# the first valid packet, is answered.
expect_drop "the stack over UDP: garbage from 10.213.9.4 before anything else, not latched onto" tunnel_not_ip \
  garbage 10.213.9.4 4789
expect_drop "the stack over UDP, latched onto A: a valid packet from 10.213.9.4:4789" tunnel_unknown_source valid4 \
  10.213.9.4 4789
expect_drop "the stack over UDP: a valid packet from A's address, another port (10.213.9.1:4790)" \
  tunnel_unknown_source valid4 10.213.9.1 4790
echos_delivered valid4 10.213.9.1 4789
[ "$delivered" = 1 ] || fail "a valid echo request sent as A reached the stack $delivered times, want once"
pass "the stack over UDP: a valid packet sent as A (10.213.9.1:4789) is answered (icmpInEchos +1)"
expect_drop "the stack over UDP: garbage from A" tunnel_not_ip garbage 10.213.9.1 4789
expect_drop "the stack over UDP: an empty datagram from A" tunnel_not_ip empty 10.213.9.1 4789
expect_drop "the stack over UDP: IPv4 whose total length exceeds the datagram, from A" tunnel_bad_length \
  v4_total_over 10.213.9.1 4789
expect_drop "the stack over UDP: a truncated IPv6 header from A" tunnel_bad_length v6_short_header 10.213.9.1 4789
stop "$stack" "the stack over UDP"
# With --udp-peer it knows its peer from the start: a valid packet from elsewhere, even first, is not taken.
start_in "$ns_b" "$out/b.log" "$out/b.out" "$ministack" --udp-listen 10.213.9.2:4789 --udp-peer 10.213.9.1:4789 \
  --stats-json "$out/b.json"
stack=$started rx_pid=$started
wait_until "the stack over UDP with --udp-peer: port 4789 bound" "$stack" udp_bound "$ns_b" 4789
expect_drop "the stack over UDP with --udp-peer 10.213.9.1:4789: a valid packet from 10.213.9.4:4789 first" \
  tunnel_unknown_source valid4 10.213.9.4 4789
stop "$stack" "the stack over UDP (--udp-peer)"
stop "$tunnel_a" "tunnel A"
pass "SIGTERM: the stack over UDP and the tunnel exit 0"
echo "e2e tunnel, $part: all checks passed"
