#!/usr/bin/env bash
# The command line as a user meets it: --help/--version, usage errors (exit 2), and, as root in a private
# namespace, the device errors that must say what to do (exit 1).
# Usage: cli_e2e.sh MINISTACK_BINARY usage|errors
set -uo pipefail
ministack=$1 part=$2
. "$(dirname "$0")/lib.sh"

# expect RC PATTERN CMD...: exit code RC and output (stdout+stderr) matching the extended regex PATTERN.
expect() {
  local want=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want:"$'\n'"$out"
  echo "$out" | grep -Eq -- "$pattern" || fail "'$*' did not say /$pattern/:"$'\n'"$out"
  pass "$* -> exit $rc"
}

if [ "$part" = usage ]; then
  expect 0 "--tap NAME" "$ministack" --help
  expect 0 "^ministack [0-9]+\.[0-9]+\.[0-9]+$" "$ministack" --version
  expect 2 "--tap NAME or --tun NAME" "$ministack"
  expect 2 "Try 'ministack --help'" "$ministack" --frobnicate
  expect 2 "excludes|--tun" "$ministack" --tap a --tun b
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --ip 192.168.3
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --ip 192.168.3.300/24
  expect 2 "not an IPv4 address" "$ministack" --tap t0 --host-ip 192.168.3.11/33
  expect 2 "not a MAC address" "$ministack" --tap t0 --mac 02:00:00:00:01
  expect 2 "multicast/broadcast" "$ministack" --tap t0 --mac ff:ff:ff:ff:ff:ff
  expect 2 "different addresses" "$ministack" --tap t0 --ip 192.168.3.11/24
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
    "$ministack" --tap t0 --ip6 fd00:3::11/64
  expect 2 "--ip6 and --host-ip6 are both fd00:3::5" "$ministack" --tap t0 --ip6 fd00:3::5/64 --host-ip6 fd00:3::5/64
  expect 2 "--no-ipv6 excludes --ip6|--ip6 excludes --no-ipv6" "$ministack" --tap t0 --no-ipv6 --ip6 fd00:3::12/64
  expect 2 "--no-ipv6 excludes --host-ip6|--host-ip6 excludes --no-ipv6" \
    "$ministack" --tap t0 --no-ipv6 --host-ip6 fd00:3::11/64
  expect 2 "--replay excludes --host-ip6|--host-ip6 excludes --replay" \
    "$ministack" --replay in.pcap --host-ip6 fd00:3::11/64
  expect 0 "--host-ip6 ADDR6/LEN" "$ministack" --help
  expect 0 "--no-ipv6" "$ministack" --help
  echo "command-line usage: all checks passed"
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

# --ip6 and --host-ip6 in different prefixes: allowed (a route by hand makes it work), with a warning that says so.
start_ministack "$workdir/prefix.log" --tap tap0 --ip6 fd00:4::12/64
grep -q "warning: --ip6 fd00:4::12/64 and --host-ip6 fd00:3::11/64 are not in one prefix.*ip -6 route add fd00:4::12 dev tap0" \
  "$workdir/prefix.log" || fail "no warning about --ip6 and --host-ip6 in different prefixes"
stop_ministack "$ms_pid"
pass "--ip6 fd00:4::12/64 beside --host-ip6 fd00:3::11/64: started, with a warning"

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
