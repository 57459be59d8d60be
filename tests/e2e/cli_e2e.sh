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
echo "device errors: all checks passed"
