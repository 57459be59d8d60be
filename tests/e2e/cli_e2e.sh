#!/usr/bin/env bash
# The command line as a user meets it: --help/--version, usage errors (exit 2), and, as root in a private
# namespace, the device errors that must say what to do (exit 1).
# Usage: cli_e2e.sh MINISTACK_BINARY usage|output|errors
set -uo pipefail
ministack=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") part=$2
. "$(dirname "$0")/lib.sh"

# expect RC PATTERN CMD...: exit code RC and output (stdout+stderr) matching the extended regex PATTERN.
expect() {
  local want=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want:"$'\n'"$out"
  # A here-string, not echo | grep -q: grep leaving early would fail the pipe under pipefail.
  grep -Eq -- "$pattern" <<<"$out" || fail "'$*' did not say /$pattern/:"$'\n'"$out"
  pass "$* -> exit $rc"
}

pcaps=$(cd "$(dirname "$0")/../../pcaps" && pwd)

# count_packets: how many packets tcpdump reads from stdin, or "an error" when it fails on it (a stream that is not
# pure pcap: a table after the packets ends in "invalid packet capture length").
count_packets() {
  cat >"$workdir/stream.pcap"
  local out rc=0
  out=$(tcpdump -nr "$workdir/stream.pcap" 2>&1) || rc=$?
  if [ "$rc" != 0 ]; then
    echo "an error (exit $rc: $(echo "$out" | tail -1))"
  else
    echo "$out" | grep -vc "^reading from"
  fi
}

if [ "$part" = usage ]; then
  # Root could create a device: each command runs in a fresh, empty network namespace of its own (unshare --net),
  # so that one the parser wrongly accepts cannot touch this host's network.
  if [ "$(id -u)" = 0 ]; then
    command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
    real_ministack=$ministack
    ministack=$workdir/ministack-isolated
    printf '#!/bin/sh\nexec timeout 10 unshare --net -- "%s" "$@"\n' "$real_ministack" >"$ministack"
    chmod +x "$ministack"
  fi
  expect 0 "--tap NAME" "$ministack" --help
  # --version and -V: the version with the git revision, then the libraries with theirs (as ip -V, tcpdump --version).
  for flag in --version -V; do
    expect 0 "^ministack [0-9]+\.[0-9]+\.[0-9]+ \(git [^)]+\)$" "$ministack" "$flag"
    expect 0 "^libpcap version [0-9]" "$ministack" "$flag"
    expect 0 "^fmt [0-9]+\.[0-9]+\.[0-9]+, CLI11 [0-9.]+, nlohmann_json [0-9.]+, libseccomp [0-9.]+, libmnl [0-9.]+, liburing [0-9.]+, libcap-ng [0-9.]+$" \
      "$ministack" "$flag"
  done
  # --help fits 80 columns, and ends with what a man page would say: signals, exit codes, files.
  help=$("$ministack" --help) || fail "--help exited non-zero"
  wide=$(echo "$help" | LC_ALL=C.UTF-8 awk 'length($0) > 80 { print length($0) ": " $0 }')
  [ -z "$wide" ] || fail "--help has lines over 80 columns:"$'\n'"$wide"
  for section in "^Signals:" "SIGUSR1 +print the counters and the neighbor cache" "SIGINT, SIGTERM, SIGHUP +stop cleanly" \
    "^Exit status:" "^  2  bad usage" "^Files:" "/dev/net/tun"; do
    grep -Eq -- "$section" <<<"$help" || fail "--help does not say /$section/"
  done
  pass "--help: every line within 80 columns; signals, exit status and files sections"
  expect 2 "--tap NAME or --tun NAME" "$ministack"
  expect 2 "Try 'ministack --help'" "$ministack" --frobnicate
  expect 2 "excludes|--tun" "$ministack" --tap a --tun b
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --ip 192.168.3
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --ip 192.168.3.300/24
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --host-ip 192.168.3.11/33
  expect 2 "not a MAC address" "$ministack" --tap t0 --mac 02:00:00:00:01
  expect 2 "multicast/broadcast" "$ministack" --tap t0 --mac ff:ff:ff:ff:ff:ff
  expect 2 "different addresses" "$ministack" --tap t0 --ip 192.168.3.11/24 --host-ip 192.168.3.11/24
  # Numbers: checked before CLI11 converts them (a negative one used to wrap to a huge unsigned).
  expect 2 "--icmp-ratelimit: '-5' is negative: give a whole number from 0 to" "$ministack" --tap t0 --icmp-ratelimit -5
  expect 2 "--mtu: 'abc' is not a number: give a whole number from 576 to 65535" "$ministack" --tap t0 --mtu abc
  expect 2 "--mtu: 100 is out of range: give a whole number from 576 to 65535" "$ministack" --tap t0 --mtu 100
  expect 2 "--icmp-msgs-per-sec: '-1' is negative" "$ministack" --tap t0 --icmp-msgs-per-sec -1
  # IPv4 addresses no interface on a two-host link can have, each with its reason.
  expect 2 "--ip: '0.0.0.0/24' is in 0.0.0.0/8" "$ministack" --tap t0 --ip 0.0.0.0/24
  expect 2 "--ip: '192.168.3.255/24' is the broadcast address of its subnet.*such as 192.168.3.12/24" \
    "$ministack" --tap t0 --ip 192.168.3.255/24
  expect 2 "--ip: '192.168.3.0/24' is the network address of its subnet" "$ministack" --tap t0 --ip 192.168.3.0/24
  expect 2 "--ip: '224.0.0.1/24' is a multicast address" "$ministack" --tap t0 --ip 224.0.0.1/24
  expect 2 "--ip: '127.0.0.2/8' is a loopback address" "$ministack" --tap t0 --ip 127.0.0.2/8
  expect 2 "--ip: '192.168.3.12/0' has prefix /0" "$ministack" --tap t0 --ip 192.168.3.12/0
  expect 2 "--ip: '192.168.3.12/31' leaves no room for the host side" "$ministack" --tap t0 --ip 192.168.3.12/31
  expect 2 "--ip: '192.168.3.12/32' leaves no room" "$ministack" --tap t0 --ip 192.168.3.12
  expect 2 "--host-ip: '192.168.3.255/24' is the broadcast address" "$ministack" --tap t0 --host-ip 192.168.3.255/24
  expect 2 "--host-ip 192.168.3.11/24 is outside --ip 10.9.9.2/24's subnet.*such as 10.9.9.11/24" \
    "$ministack" --tap t0 --ip 10.9.9.2/24 --host-ip 192.168.3.11/24
  expect 2 "--host-ip6 fd00:3::11/64 is outside --ip6 fd00:4::12/64's prefix.*such as fd00:4::11/64" \
    "$ministack" --tap t0 --ip6 fd00:4::12/64 --host-ip6 fd00:3::11/64
  expect 2 "--ip6 fd00:4::12/127 leaves no address for the host side" "$ministack" --tap t0 --ip6 fd00:4::12/127
  expect 2 "not a usable interface name" "$ministack" --tap abcdefghijklmnopq
  expect 2 "--io.*(not in|auto)" "$ministack" --tap t0 --io epoll
  expect 2 "--busy-poll" "$ministack" --tap t0 --busy-poll -5
  expect 2 "--queues" "$ministack" --tap t0 --queues 0
  expect 2 "does not combine with --replay, --pcap or --trace" "$ministack" --tap t0 --queues 2 --pcap out.pcap
  expect 2 "does not combine with --replay, --pcap or --trace" "$ministack" --replay in.pcap --queues 2
  # IPv6 addresses: each that no interface may have as its own is refused, with what to give instead.
  for opt6 in --ip6 --host-ip6; do
    expect 2 "$opt6: 'fd00:3::zz/64' is not an IPv6 address/prefix such as fd00:3::1[12]/64" \
      "$ministack" --tap t0 "$opt6" fd00:3::zz/64
    expect 2 "$opt6: '192.168.3.12/24' is not an IPv6 address/prefix" "$ministack" --tap t0 "$opt6" 192.168.3.12/24
    expect 2 "$opt6: 'fd00:3::12/129' has a prefix length outside 1 to 128: give one such as /64" \
      "$ministack" --tap t0 "$opt6" fd00:3::12/129
    expect 2 "$opt6: 'fd00:3::12/0' has a prefix length outside 1 to 128" "$ministack" --tap t0 "$opt6" fd00:3::12/0
    expect 2 "$opt6: 'fd00:3::12/x' has a prefix length outside 1 to 128" "$ministack" --tap t0 "$opt6" fd00:3::12/x
    expect 2 "$opt6: 'ff02::1/64' is a multicast address \(ff00::/8\).*give a unicast address" \
      "$ministack" --tap t0 "$opt6" ff02::1/64
    expect 2 "$opt6: '::/64' is the unspecified address \(::\)" "$ministack" --tap t0 "$opt6" ::/64
    expect 2 "$opt6: '::' is the unspecified address" "$ministack" --tap t0 "$opt6" ::
    expect 2 "$opt6: '::1/128' is the loopback address \(::1\), which never leaves a host" \
      "$ministack" --tap t0 "$opt6" ::1/128
    expect 2 "$opt6: '::ffff:192.168.3.12/120' is an IPv4-mapped address \(::ffff:0:0/96\).*give IPv4 addresses with" \
      "$ministack" --tap t0 "$opt6" ::ffff:192.168.3.12/120
  done
  expect 2 "--ip6: 'fe80::12/64' is link-local \(fe80::/10\): ministack's link-local address is derived from --mac \(fe80::ff:fe00:1 for the default MAC\).*give --ip6 a global or unique-local" \
    "$ministack" --tap t0 --ip6 fe80::12/64
  expect 2 "--host-ip6: 'fe80::11/64' is link-local \(fe80::/10\): the kernel gives the host side a link-local address of its own; give --host-ip6 a global or unique-local" \
    "$ministack" --tap t0 --host-ip6 fe80::11/64
  expect 2 "--ip6 and --host-ip6 are both fd00:3::11: the host and ministack need different addresses" \
    "$ministack" --tap t0 --ip6 fd00:3::11/64 --host-ip6 fd00:3::11/64
  expect 2 "--ip6 and --host-ip6 are both fd00:3::5" "$ministack" --tap t0 --ip6 fd00:3::5/64 --host-ip6 fd00:3::5/64
  expect 2 "--no-ipv6 excludes --ip6|--ip6 excludes --no-ipv6" "$ministack" --tap t0 --no-ipv6 --ip6 fd00:3::12/64
  expect 2 "--no-ipv6 excludes --host-ip6|--host-ip6 excludes --no-ipv6" \
    "$ministack" --tap t0 --no-ipv6 --host-ip6 fd00:3::11/64
  expect 2 "--replay excludes --host-ip6|--host-ip6 excludes --replay" \
    "$ministack" --replay in.pcap --host-ip6 fd00:3::11/64
  expect 0 "--host-ip6 ADDR6/LEN" "$ministack" --help
  # explain: a device is refused with a reason, not as "unexpected arguments"; a bad filter is bad usage.
  expect 2 "explain reads a capture.*no device \(--tap, --tun, --udp-listen\)" "$ministack" explain "$pcaps/tap_ping.pcap" --tap tap0
  expect 2 "filter 'icmp or': .*syntax error.*pcap-filter" "$ministack" explain "$pcaps/tap_ping.pcap" 'icmp or'
  expect 2 "--filter and -c choose frames of a capture" "$ministack" --tap t0 --filter icmp
  expect 1 "cannot read capture nope.pcap: No such file" "$ministack" explain nope.pcap
  out=$("$ministack" explain nope.pcap 2>&1)
  [ "$(echo "$out" | grep -o 'nope.pcap' | wc -l)" = 1 ] || fail "the path is named more than once: $out"
  pass "a missing capture is named once"
  expect 0 "--no-ipv6" "$ministack" --help
  # ministack tunnel and --udp-listen: addresses as numbers with a port, one IP version at both ends, and the
  # stack's options refused before the word tunnel rather than ignored.
  expect 0 "--peer ADDR\[:PORT\]" "$ministack" tunnel --help
  expect 2 "--tun is required" "$ministack" tunnel --peer 10.213.9.2:4789
  expect 2 "--peer is required" "$ministack" tunnel --tun tun0
  expect 2 "--peer: 'peer.example:4789' is not an address and port such as 10.0.0.2:4789 or \[fd00::2\]:4789 \(numbers only: no host name is looked up\)" \
    "$ministack" tunnel --tun tun0 --peer peer.example:4789
  expect 2 "--peer: 'fd00::2:4789' is not an address and port" "$ministack" tunnel --tun tun0 --peer fd00::2:4789
  expect 2 "--peer: '10.1:4789' is not an address and port" "$ministack" tunnel --tun tun0 --peer 10.1:4789
  expect 2 "--peer: '0.0.0.0:4789' is the wildcard address, which names no peer" \
    "$ministack" tunnel --tun tun0 --peer 0.0.0.0:4789
  expect 2 "--peer: '\[::ffff:10.213.9.2\]:4789' is an IPv4-mapped address, which is never on the wire: give the IPv4 address itself" \
    "$ministack" tunnel --tun tun0 --peer '[::ffff:10.213.9.2]:4789'
  expect 2 "--peer: '10.213.9.2:' is not an address and port" "$ministack" tunnel --tun tun0 --peer 10.213.9.2:
  expect 2 "--mtu 65508 leaves no room for the outer headers \(28 bytes\) in one datagram: give at most 65507" \
    "$ministack" tunnel --tun tun0 --peer 10.213.9.2 --mtu 65508
  expect 2 "--udp-listen and --udp-peer are both 127.0.0.1:4789: the stack would answer itself" \
    "$ministack" --udp-listen 127.0.0.1:4789 --udp-peer 127.0.0.1:4789
  expect 2 "--peer: '10.213.9.2:0' has port 0" "$ministack" tunnel --tun tun0 --peer 10.213.9.2:0
  expect 2 "--local: '10.213.9.1:65536' is not an address and port.*or only a port \(:4789\)" \
    "$ministack" tunnel --tun tun0 --peer 10.213.9.2 --local 10.213.9.1:65536
  expect 2 "--local \[::\]:4789 and --peer 10.213.9.2:4789 are of different IP versions" \
    "$ministack" tunnel --tun tun0 --peer 10.213.9.2 --local '[::]:4789'
  expect 2 "--peer 192.168.3.13:4789 is inside the overlay \(192.168.3.11/24\): the route to it would lead into the tunnel itself" \
    "$ministack" tunnel --tun tun0 --peer 192.168.3.13
  expect 2 "--peer \[fd00:5::2\]:4789 is inside the overlay \(fd00:5::1/64\)" \
    "$ministack" tunnel --tun tun0 --peer '[fd00:5::2]' --ip6 fd00:5::1/64
  expect 2 "--tun: 'a/b' is not a usable interface name" "$ministack" tunnel --tun a/b --peer 10.213.9.2
  expect 2 "--mtu sets the device's MTU, and --no-host-config leaves it alone" \
    "$ministack" tunnel --tun tun0 --peer 10.213.9.2 --mtu 1400 --no-host-config
  expect 2 "--tap is not an option of ministack tunnel: give the tunnel's options after the word tunnel" \
    "$ministack" --tap t0 tunnel --tun tun0 --peer 10.213.9.2
  expect 2 "the log's level is given both before and after the word tunnel" \
    "$ministack" -v tunnel --tun tun0 --peer 10.213.9.2 -q
  expect 2 "not expected: in.pcap --replay" "$ministack" tunnel --tun tun0 --peer 10.213.9.2 --replay in.pcap
  # The hint names the command whose help lists what was expected.
  expect 2 "^Try 'ministack tunnel --help' for more information" "$ministack" tunnel --tun tun0 --peer 10.213.9.2 x
  expect 2 "--udp-peer requires --udp-listen" "$ministack" --udp-peer 10.213.9.2:4789
  expect 2 "--udp-listen excludes --tap|--tap excludes --udp-listen" "$ministack" --tap t0 --udp-listen :4789
  expect 2 "--udp-listen excludes --host-ip|--host-ip excludes --udp-listen" \
    "$ministack" --udp-listen :4789 --host-ip 192.168.3.11/24
  expect 2 "--udp-listen \[::\]:4789 and --udp-peer 10.213.9.2:4789 are of different IP versions" \
    "$ministack" --udp-listen '[::]:4789' --udp-peer 10.213.9.2:4789
  expect 2 "--udp-listen is one socket, waited on with poll: it takes no --queues or --io uring" \
    "$ministack" --udp-listen :4789 --queues 2
  expect 2 "explain reads a capture" "$ministack" explain "$pcaps/tap_ping.pcap" --udp-listen :4789
  echo "command-line usage: all checks passed"
  exit 0
fi

# Output streams: when data goes to stdout, nothing else does. No root needed: replays and explain.
if [ "$part" = output ]; then
  command -v tcpdump >/dev/null || skip "tcpdump is not installed"
  cd "$workdir" || fail "no work directory"
  "$ministack" --replay "$pcaps/tap_ping.pcap" --pcap out.pcap -q || fail "the replay into out.pcap failed"
  want=$(tcpdump -nr out.pcap 2>/dev/null | wc -l)
  [ "$want" -gt 0 ] || fail "the replay of tap_ping.pcap sent nothing"
  # Data on stdout: the pcap alone, whatever else is asked for; the rest on stderr.
  for extra in "" --trace -v "--stats-json out.json"; do
    # shellcheck disable=SC2086
    got=$("$ministack" --replay "$pcaps/tap_ping.pcap" --pcap - $extra 2>stderr.txt | count_packets)
    [ "$got" = "$want" ] || fail "--pcap - $extra | tcpdump -r - read $got packets, expected $want:"$'\n'"$(cat stderr.txt)"
  done
  grep -q "counters:" stderr.txt || fail "the counters table did not go to stderr with --pcap -"
  got=$("$ministack" --replay "$pcaps/tap_ping.pcap" --pcap /dev/stdout 2>/dev/null | count_packets)
  [ "$got" = "$want" ] || fail "--pcap /dev/stdout | tcpdump -r - read $got packets, expected $want"
  pass "--pcap - and /dev/stdout: tcpdump reads all $want packets, with --trace, -v and --stats-json too"
  # --stats-json - and /dev/stdout: JSON on stdout, no file named '-', the table on stderr.
  for target in - /dev/stdout; do
    "$ministack" --replay "$pcaps/tap_ping.pcap" --stats-json "$target" 2>stderr.txt >stdout.json ||
      fail "--stats-json $target failed: $(cat stderr.txt)"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"].startswith("ministack-counters")' \
      stdout.json || fail "--stats-json $target: stdout is not one JSON document:"$'\n'"$(cat stdout.json)"
    grep -q "counters:" stderr.txt || fail "--stats-json $target: the table did not go to stderr"
  done
  [ -e ./- ] && fail "--stats-json - created a file named '-'"
  expect 2 "--pcap and --stats-json both write to stdout" "$ministack" --replay "$pcaps/tap_ping.pcap" --pcap - --stats-json -
  pass "--stats-json - and /dev/stdout: one JSON document on stdout, the table on stderr"
  # explain: the trace alone on stdout.
  "$ministack" explain "$pcaps/tap_ping.pcap" >trace.txt 2>stderr.txt || fail "explain failed"
  grep -q "counters:" trace.txt && fail "explain put the counters table on stdout, into the trace"
  grep -q "counters:" stderr.txt || fail "explain printed no counters table on stderr"
  pass "explain: the trace on stdout, the table on stderr"
  # Outputs that cannot be written: reported at start, exit 1.
  expect 1 "cannot write counters to /nonexistent/c.json" \
    "$ministack" --replay "$pcaps/tap_ping.pcap" --stats-json /nonexistent/c.json
  expect 1 "cannot create capture file /nonexistent/o.pcap: No such file" \
    "$ministack" --replay "$pcaps/tap_ping.pcap" --pcap /nonexistent/o.pcap
  # explain -c N and a filter: only what matches, numbered as in the file (as Wireshark numbers them).
  n=$("$ministack" explain "$pcaps/tap_ping.pcap" -c 1 2>/dev/null | grep -c '^frame ')
  [ "$n" = 1 ] || fail "explain -c 1 showed $n frames"
  all=$("$ministack" explain "$pcaps/tap_ping.pcap" 2>/dev/null | grep -c '^frame ')
  "$ministack" explain "$pcaps/tap_ping.pcap" arp >arp.txt 2>stderr.txt || fail "explain with a filter failed"
  arp=$(tcpdump -nr "$pcaps/tap_ping.pcap" arp 2>/dev/null | wc -l)
  [ "$(grep -c '^frame ' arp.txt)" = "$arp" ] || fail "explain FILE arp showed $(grep -c '^frame ' arp.txt) frames, tcpdump $arp"
  grep -A1 '^frame ' arp.txt | grep -q "type 0x0800" && fail "explain FILE arp showed an IPv4 frame"
  first=$(tcpdump -nr "$pcaps/tap_ping.pcap" 2>/dev/null | grep -n ARP | head -1 | cut -d: -f1)
  grep -q "^frame $first:" arp.txt || fail "the first ARP frame is not numbered $first, as in the file"
  two=$("$ministack" explain "$pcaps/tap_ping.pcap" 'icmp or arp' -c 2 2>/dev/null | grep -c '^frame ')
  [ "$two" = 2 ] || fail "explain FILE 'icmp or arp' -c 2 showed $two frames"
  got=$("$ministack" --replay "$pcaps/tap_ping.pcap" --filter arp --pcap - 2>/dev/null | count_packets)
  { [ "$got" -ge 1 ] && [ "$got" -lt "$want" ]; } || fail "--replay --filter arp sent $got frames (all: $want)"
  pass "explain -c 1: one frame; 'arp': $arp of $all frames, numbered as in the file; --replay --filter"
  # -v: time, addresses, protocol, and plurals said right.
  "$ministack" --replay "$pcaps/tap_ping.pcap" -v >/dev/null 2>verbose.txt || fail "-v failed"
  grep -Eq "^ministack: [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} 192\.168\.3\.11 > 192\.168\.3\.12 ICMP echo request id [0-9]+ seq 1, 98 B: answered \(1 frame\)$" \
    verbose.txt || fail "-v does not say who asked what:"$'\n'"$(cat verbose.txt)"
  grep -Eq "frame\(s\)|(^|[^0-9])1 (frames|ARP replies|echo replies)" verbose.txt && fail "-v has a wrong plural:"$'\n'"$(cat verbose.txt)"
  "$ministack" --replay "$pcaps/tap_ping.pcap" -c 1 2>summary.txt >/dev/null
  grep -q "stopped: 1 frame in," summary.txt || fail "the summary does not say '1 frame in':"$'\n'"$(cat summary.txt)"
  pass "-v: time, addresses, protocol and id/seq per frame; plurals right"
  # --color: always and never as said; auto is plain into a pipe, coloured on a terminal unless NO_COLOR is set.
  # (Each output is captured whole: grep -q would end the pipe early, and pipefail would count that a failure.)
  coloured() { grep -q $'\e\[' <<<"$1"; }
  coloured "$("$ministack" explain "$pcaps/tap_ping.pcap" --color=always 2>/dev/null)" || fail "--color=always: no colour"
  coloured "$("$ministack" explain "$pcaps/tap_ping.pcap" --color=never 2>/dev/null)" && fail "--color=never: colour"
  coloured "$("$ministack" explain "$pcaps/tap_ping.pcap" 2>/dev/null)" && fail "--color=auto: colour into a pipe"
  if command -v script >/dev/null; then
    coloured "$(script -qec "'$ministack' explain '$pcaps/tap_ping.pcap' -c 1" /dev/null)" ||
      fail "--color=auto: no colour on a terminal"
    coloured "$(NO_COLOR=1 script -qec "'$ministack' explain '$pcaps/tap_ping.pcap' -c 1" /dev/null)" &&
      fail "NO_COLOR=1: colour on a terminal all the same"
    coloured "$(NO_COLOR=1 script -qec "'$ministack' explain '$pcaps/tap_ping.pcap' -c 1 --color=always" /dev/null)" ||
      fail "NO_COLOR=1 --color=always: the option must win"
  fi
  pass "--color always/never/auto and NO_COLOR"
  echo "output streams: all checks passed"
  exit 0
fi

require_root_and_tun
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
make_namespace cli

# Busy: a second ministack on the same device.
start_ministack "$workdir/first.log" --tap tap0
expect 1 "'tap0' is in use.*--tap NAME" in_ns "$ministack" --tap tap0
stop_ministack "$ms_pid"

# Output that goes away: stdout a pipe whose reader left, stderr a full device. ministack keeps serving, and exits 0.
ip netns exec "$ns" "$ministack" --tap tap0 2>/dev/full | head -c 0 &
sleep 1
pid=$(in_ns sh -c 'for p in /proc/[0-9]*; do [ "$(readlink "$p/exe" 2>/dev/null)" = "'"$ministack"'" ] && echo "${p#/proc/}"; done' | head -1)
[ -n "$pid" ] || fail "ministack with its output gone did not start, or died at once"
pids+=("$pid")
kill -USR1 "$pid"; sleep 0.3; kill -USR1 "$pid"; sleep 0.3
kill -0 "$pid" 2>/dev/null || fail "ministack died when its counters table met a closed pipe (SIGPIPE?)"
in_ns ping -n -c 2 -i 0.2 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "no answer with stdout and stderr gone"
kill -TERM "$pid"
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "ministack did not stop on SIGTERM with its output gone"
pass "stdout to a closed pipe, stderr to /dev/full: still answering after two SIGUSR1, stops on SIGTERM"

# Wrong kind: a TUN request for a name that is a TAP device.
in_ns ip tuntap add dev tap5 mode tap || fail "cannot create tap5"
expect 1 "not a TUN device" in_ns "$ministack" --tun tap5
# A single-queue device cannot be opened as several queues.
expect 1 "not a multi-queue TAP device" in_ns "$ministack" --tap tap5 --queues 2

# No permission: an ordinary user cannot open a 0600 /dev/net/tun (EACCES) or, where it is 0666, create a device
# (EPERM); each has its own advice (tests/e2e/unprivileged_e2e.sh checks both on nodes of its own).
expect 1 "(cannot be opened by nobody: permission denied by the node's mode|creating 'tap0' needs CAP_NET_ADMIN)" in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$ministack" --tap tap0

# No /dev/net/tun: hidden behind an empty tmpfs in a private mount namespace.
expect 1 "/dev/net/tun is missing.*modprobe tun" in_ns unshare --mount sh -c \
  "mount -t tmpfs none /dev/net && exec '$ministack' --tap tap0"

# IPv6 on the host side: fd00:3::11/64, usable at once (added with nodad, so never tentative), and the start line
# names where ministack answers, its link-local address with the device as zone (TUN has one too).
for mode in tap tun; do
  dev=${mode}0
  start_ministack "$workdir/ipv6.$mode.log" "--$mode" "$dev"
  addr6=$(in_ns ip -6 -o addr show dev "$dev")
  echo "$addr6" | grep -q "inet6 fd00:3::11/64 " || fail "--$mode: no fd00:3::11/64 on $dev:"$'\n'"$addr6"
  if echo "$addr6" | grep "inet6 fd00:3::11/64 " | grep -q tentative; then
    fail "--$mode: fd00:3::11/64 on $dev is tentative (added without nodad?):"$'\n'"$addr6"
  fi
  grep -q "listening on $dev .* as 192.168.3.12/24, fd00:3::12/64 and fe80::ff:fe00:1%$dev.*; host side 192.168.3.11/24 and fd00:3::11/64, link up" \
    "$workdir/ipv6.$mode.log" || fail "--$mode: the start line does not name the IPv6 addresses"
  stop_ministack "$ms_pid"
  pass "--$mode $dev: host side has fd00:3::11/64, not tentative; the start line names fd00:3::12 and fe80::ff:fe00:1%$dev"
done

# --no-ipv6: no IPv6 address on the host side, none named at start.
start_ministack "$workdir/no-ipv6.log" --tap tap0 --no-ipv6
in_ns ip -6 -o addr show dev tap0 | grep -q "fd00:3::11" && fail "--no-ipv6: fd00:3::11 was given to tap0 all the same"
grep -q "as 192.168.3.12/24, MAC 02:00:00:00:00:01; host side 192.168.3.11/24, link up" "$workdir/no-ipv6.log" ||
  fail "--no-ipv6: the start line is not IPv4's alone"
stop_ministack "$ms_pid"
pass "--no-ipv6: tap0 has no fd00:3::11, the start line names IPv4 alone"

# --ip alone: the host side's addresses come from it (.11 of its subnet, ::11 of --ip6's prefix), so ping works.
start_ministack "$workdir/derived.log" --tap tap0 --ip 10.9.9.2/24 --ip6 fd00:4::12/64
grep -q "host side 10.9.9.11/24 and fd00:4::11/64, link up" "$workdir/derived.log" ||
  fail "--ip 10.9.9.2/24: the host side did not get 10.9.9.11/24 and fd00:4::11/64"
in_ns ping -n -c 1 -W 2 10.9.9.2 >/dev/null 2>&1 || fail "--ip 10.9.9.2/24: no answer to ping 10.9.9.2"
grep -q "warning" "$workdir/derived.log" && fail "--ip 10.9.9.2/24: a warning for a set-up that works"
stop_ministack "$ms_pid"
pass "--ip 10.9.9.2/24 --ip6 fd00:4::12/64: host side 10.9.9.11/24 and fd00:4::11/64, ping answered"

# The subnet already routed through another interface (a LAN on 192.168.3.0/24 in this namespace: a veth pair, for
# the dummy driver is not everywhere): a warning at start that names it and says what to do.
in_ns ip link add lan0 type veth peer name lan1 || fail "cannot create the veth pair lan0/lan1"
{ in_ns ip addr add 192.168.3.1/24 dev lan0 && in_ns ip link set lan1 up && in_ns ip link set lan0 up; } ||
  fail "cannot configure lan0"
start_ministack "$workdir/clash.log" --tap tap0
grep -q "warning: 192.168.3.0/24 is already routed through lan0: .*--ip" "$workdir/clash.log" ||
  fail "no warning that 192.168.3.0/24 is already routed through lan0"
stop_ministack "$ms_pid"
in_ns ip link del lan0
start_ministack "$workdir/noclash.log" --tap tap0
grep -q "already routed" "$workdir/noclash.log" && fail "a route warning with no other route"
stop_ministack "$ms_pid"
pass "192.168.3.0/24 on lan0: warned at start; without it, no warning"

# A link left down (--no-host-config): the write error's hint names the device, not "NAME".
start_ministack "$workdir/down.log" --tap tap0 --no-host-config
for _ in $(seq 20); do grep -q "is the link up" "$workdir/down.log" && break; sleep 0.1; done
grep -q "is the link up? 'ip link set dev tap0 up'" "$workdir/down.log" ||
  fail "the hint for a link that is down does not name tap0"
stop_ministack "$ms_pid"
pass "a write to a link that is down: the hint says 'ip link set dev tap0 up'"

# SIGUSR1: the counters and the neighbor cache, as ip neigh shows it, IPv4 and IPv6.
start_ministack "$workdir/neigh.log" --tap tap0
in_ns ping -n -c 1 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "no answer to ping before SIGUSR1"
in_ns ping -6 -n -c 1 -W 2 fd00:3::12 >/dev/null 2>&1 || fail "no answer to ping -6 before SIGUSR1"
kill -USR1 "$ms_pid"
for _ in $(seq 20); do grep -q "^neighbors" "$workdir/neigh.log" && break; sleep 0.1; done
mac=$(in_ns cat /sys/class/net/tap0/address)
grep -Eq "^  192\.168\.3\.11 dev tap0 lladdr $mac (REACHABLE|STALE) \(confirmed [0-9.]+ s ago\)$" "$workdir/neigh.log" ||
  fail "SIGUSR1: no IPv4 neighbor line for 192.168.3.11 ($mac)"
grep -Eq "^  fd00:3::11 dev tap0 lladdr $mac (REACHABLE|STALE)" "$workdir/neigh.log" ||
  fail "SIGUSR1: no IPv6 neighbor line for fd00:3::11"
kill -0 "$ms_pid" || fail "ministack stopped on SIGUSR1"
stop_ministack "$ms_pid"
pass "SIGUSR1: neighbor cache as ip neigh shows it, 192.168.3.11 and fd00:3::11 with $mac"

# IPv6 off in the namespace (all, which sets default too, so for the device ministack creates): it starts all the
# same, IPv4 answers, and the warning says why the host side has no IPv6 address and how to turn it on.
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || fail "cannot turn IPv6 off in $ns"
start_ministack "$workdir/ipv6-off.log" --tap tap6
grep -q "warning: the host side of tap6 gets no fd00:3::11/64.*IPv6 is off for tap6.*sysctl -w net.ipv6.conf.tap6.disable_ipv6=0" \
  "$workdir/ipv6-off.log" || fail "IPv6 off: no warning that says so and how to turn it on"
grep -q "host side 192.168.3.11/24, link up" "$workdir/ipv6-off.log" || fail "IPv6 off: the host side was not set up"
in_ns ping -n -c 2 -i 0.2 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "IPv6 off: no answer over IPv4"
stop_ministack "$ms_pid"
pass "IPv6 off in the namespace: started with a warning, IPv4 answers"
echo "device errors: all checks passed"
