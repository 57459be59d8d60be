#!/usr/bin/env bash
# ministack with no privilege at all, as user nobody:
#  1. on a persistent device nobody owns (ip tuntap add ... user nobody), set up once by root: it attaches, finds the
#     host side already configured (through rtnetlink), leaves it alone, and answers ping;
#  2. in an unprivileged user and network namespace (unshare --user --map-root-user --net, as rootless podman does);
#  3. the permission errors on the way say what really went wrong: the node's mode (EACCES), a device it may not
#     create (EPERM), a device that belongs to someone else, a host side it may not configure.
# /dev/net/tun is mode 0600 on some hosts (Debian's default is 0666): each step runs in a private mount namespace
# where a fresh node of the mode it needs is mounted over /dev/net/tun; the host's own node is never touched.
# Usage: unprivileged_e2e.sh MINISTACK_BINARY README
set -uo pipefail
ministack_built=$1 readme=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils || skip "iputils-ping is not installed"
command -v setpriv >/dev/null && command -v unshare >/dev/null || skip "util-linux's setpriv and unshare are missing"
id nobody >/dev/null 2>&1 || skip "there is no user nobody to run as"
echo "note: /dev/net/tun here is mode $(stat -c %a /dev/net/tun); each step mounts its own node over it, privately"

make_namespace unpriv
chmod 755 "$workdir"
# nobody must be able to run the binary and write its logs: a copy in a directory it can reach.
bin=$workdir/bin
install -d -m 0755 "$bin" "$workdir/node"
install -d -o nobody "$workdir/logs"
cp "$ministack_built" "$bin/ministack"
ministack=$bin/ministack

# as_nobody NODE_MODE [--netns] CMD...: CMD as nobody (uid and gid, no groups), where /dev/net/tun is a node of
# NODE_MODE; with --netns, inside the test's network namespace.
as_nobody() {
  local mode=$1; shift
  local pre=()
  if [ "$1" = --netns ]; then pre=(ip netns exec "$ns"); shift; fi
  "${pre[@]}" unshare --mount --propagation private sh -c '
    mount -t tmpfs -o mode=0755 tmpfs "$1" && mknod -m "$2" "$1/tun" c 10 200 && mount --bind "$1/tun" /dev/net/tun ||
      { echo "cannot make a private /dev/net/tun" >&2; exit 90; }
    shift 2
    exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"' sh "$workdir/node" "$mode" "$@"
}

# expect_failure WHAT PATTERN CMD...: exit 1, and the message says PATTERN (an extended regular expression).
expect_failure() {
  local what=$1 pattern=$2; shift 2
  local log=$workdir/logs/fail.log rc=0
  "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1:"$'\n'"$(cat "$log")"
  grep -Eq "$pattern" "$log" || fail "$what: the message does not say '$pattern':"$'\n'"$(cat "$log")"
  pass "$what: $(grep -o "error: .*" "$log" | cut -c8-140)..."
}

# 3. Errors that tell the truth.
expect_failure "node mode 0600: EACCES on open" "/dev/net/tun cannot be opened by nobody: .*mode 0600" \
  as_nobody 0600 --netns "$ministack" --tap tap0
if findmnt -no OPTIONS -T "$ministack" | grep -qw nosuid; then
  setcap_pattern="needs CAP_NET_ADMIN. Run ministack as root \(sudo\); or have root create a persistent device that you own, once: 'ip tuntap add dev tun0 mode tun user nobody'$"
  echo "note: $bin is on a nosuid mount, where setcap cannot work: the advice must not offer it"
else
  setcap_pattern="needs CAP_NET_ADMIN.*'ip tuntap add dev tun0 mode tun user nobody'; or give this binary the capability: 'sudo setcap cap_net_admin\+ep $ministack'"
fi
expect_failure "no device, no CAP_NET_ADMIN: EPERM from TUNSETIFF" "$setcap_pattern" \
  as_nobody 0666 --netns "$ministack" --tun tun0
in_ns ip tuntap add dev tap1 mode tap user root || fail "cannot create tap1"
expect_failure "a persistent device owned by another user" "'tap1' exists and belongs to uid 0, not to nobody" \
  as_nobody 0666 --netns "$ministack" --tap tap1

# 1. A persistent device that nobody owns: first down and bare (configuring it needs privilege), then set up once.
in_ns ip tuntap add dev tap0 mode tap user nobody || fail "cannot create tap0 for nobody"
expect_failure "nobody's device, host side not set up" \
  "bringing tap0 up: permission denied.*ip addr add 192.168.3.11/24 dev tap0; ip link set dev tap0 up" \
  as_nobody 0666 --netns "$ministack" --tap tap0
in_ns ip addr add 192.168.3.11/24 dev tap0
in_ns ip link set tap0 up
log=$workdir/logs/owned.log
logs+=("$log")
as_nobody 0666 --netns "$ministack" --tap tap0 >"$log" 2>&1 &
ms_pid=$!
pids+=("$ms_pid")
for _ in $(seq 50); do grep -qs "listening on" "$log" && break; sleep 0.1; done
grep -q "listening on tap0 .*host side already up with 192.168.3.11/24" "$log" || fail "did not start on nobody's tap0"
# Root gave it no IPv6 address, which nobody may add: a warning that says what to do, and IPv4 goes on.
grep -q "warning: the host side of tap0 gets no fd00:3::11/64.*adding it needs CAP_NET_ADMIN.*ip -6 addr add fd00:3::11/64 dev tap0 nodad" "$log" ||
  fail "no warning that the host side lacks its IPv6 address"
out=$(in_ns ping -n -c 3 -i 0.2 -W 2 192.168.3.12 2>&1)
echo "$out" | grep -q " 0% packet loss" || fail "ping on nobody's device:"$'\n'"$out"
# ip netns exec may fork: ministack is the last of the started process's line of children.
leaf=$ms_pid
while child=$(cat "/proc/$leaf/task/$leaf/children" 2>/dev/null | awk '{print $1}') && [ -n "$child" ]; do leaf=$child; done
uid=$(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' "/proc/$leaf/status")
[ "$uid" = "$(id -u nobody)" ] || fail "expected ministack (PID $leaf) to run as nobody, Uid is $uid"
kill -TERM "$leaf"
rc=0
wait "$ms_pid" || rc=$?
[ "$rc" = 0 ] || fail "ministack exited $rc on SIGTERM, expected 0"
pass "nobody's persistent tap0, set up once by root: attached, host side left alone, ping 0% loss, exit 0"

# 2. A user and network namespace of nobody's own: the README's one-line recipe, run as it is written there.
recipe=$(grep -m1 "^unshare --user --map-root-user --net " "$readme") || fail "no unshare recipe in $readme"
echo "recipe: $recipe"
out=$(as_nobody 0666 env PATH="$bin:$PATH" sh -c "$recipe" 2>&1)
echo "$out" | grep -q " 0% packet loss" || fail "the README's user-namespace recipe, as nobody:"$'\n'"$out"
echo "$out" | grep -q "the user stays: nobody is not mapped in this user namespace" ||
  fail "the log does not explain why the user stays:"$'\n'"$out"
pass "the README's unshare recipe, as nobody: TUN created, ping 0% loss"
