#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: builds ministack, then in a private network namespace (deleted at the
# end) starts it on a TAP device and on a TUN device and lets real iputils ping and arping talk to it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages
# The demo preset: ministack alone, no tests and no benchmarks, in build/demo of its own.
build demo
ministack=$repo/build/demo/ministack

ns="ministack-demo-$$"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "${as_root[@]}" ip netns del "$ns" 2>/dev/null
  return 0
}
trap cleanup EXIT
"${as_root[@]}" ip netns add "$ns"
log=$(mktemp)

run() { echo "\$ $*"; "${as_root[@]}" ip netns exec "$ns" "$@"; }

for mode in tap tun; do
  echo
  echo "== ministack on ${mode^^}, inside network namespace $ns"
  echo "\$ ministack --$mode ${mode}0 &"
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
rm -f "$log"
echo
echo "== done: namespace $ns is deleted on exit"
