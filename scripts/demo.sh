#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: builds ministack (that target alone), then in a private network namespace
# (deleted at the end) traces one ping through it, explains the kernel's own IPv6 frames, and starts it on a TAP
# device and on a TUN device and lets real iputils ping and arping talk to it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages
# The demo preset: ministack alone, no tests and no benchmarks, in build/demo of its own.
build demo
ministack=$repo/build/demo/ministack

ns="ministack-demo-$$"
pid=""
log=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "${as_root[@]}" ip netns del "$ns" 2>/dev/null
  [ -n "$log" ] && rm -f "$log"  # also when the demo fails half-way
  return 0
}
trap cleanup EXIT
"${as_root[@]}" ip netns add "$ns"
log=$(mktemp)

run() { echo "\$ $*"; "${as_root[@]}" ip netns exec "$ns" "$@"; }

# One ping, traced: every frame layer by layer, as --trace shows it. The host's kernel talks on the link too, as soon
# as tap0 comes up; those frames are explained after the trace.
echo
echo "== one ping, traced: ministack --tap tap0 --trace, inside network namespace $ns"
echo "\$ ministack --tap tap0 --trace &"
"${as_root[@]}" ip netns exec "$ns" "$ministack" --tap tap0 --trace >"$log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
run ping -c 1 192.168.3.12
sleep 1  # the kernel's own IPv6 frames of the link's first second, to explain below
kill -INT "$pid"
wait "$pid"
pid=""
# The trace alone (it is followed by the counters table, shown below for the longer runs).
echo "-- ministack's trace: its start, then each frame that came, layer by layer"
sed -n '/^start:/,/^counters:/p' "$log" | sed '$d'
cat <<'TEXT'

The IPv6 frames that ministack drops above (eth_multicast_not_joined: sent to a 33:33:... multicast MAC whose group
it has not joined) are not from ping: the host's kernel sends them by itself when tap0 comes up, as it does on any
new link:
  to 33:33:00:00:00:16 (ff02::16, all MLDv2 routers): MLD reports, the kernel joining its multicast groups (RFC 3810)
  to 33:33:ff:xx:xx:xx (a solicited-node group): duplicate address detection, the kernel probing its own
    link-local address (RFC 4862 §5.4)
  to 33:33:00:00:00:02 (ff02::2, all routers): router solicitations, looking for a router (RFC 4861 §6.3.7)
The counters of the runs below count them as eth_multicast_not_joined.
TEXT

for mode in tap tun; do
  echo
  echo "== ministack on ${mode^^}, inside network namespace $ns"
  echo "\$ ministack --$mode ${mode}0 &"
  : >"$log"  # emptied here, not by the background job's redirection, so the wait below never reads the last run's
  "${as_root[@]}" ip netns exec "$ns" "$ministack" "--$mode" "${mode}0" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
  cat "$log"
  run ping -c 4 -i 0.3 192.168.3.12
  run ping -c 2 -s 1472 192.168.3.12
  [ "$mode" = tap ] && run arping -c 2 -I tap0 192.168.3.12
  kill -INT "$pid"
  wait "$pid"
  pid=""
  tail -n +2 "$log"
done
echo
echo "== done: namespace $ns is deleted on exit"
