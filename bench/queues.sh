#!/usr/bin/env bash
# What --queues N buys on this machine: C clients (one source address each, 192.168.3.21 and up) flood ministack
# together (`ping -f -c COUNT` each), with --queues 1, 2, ... in turn; prints the total replies/s for each, and how
# the kernel spread the frames over the queues. A benchmark, not a test. Everything runs in a network namespace of
# its own, deleted on exit, on failure and on Ctrl-C.
# Usage: sudo bench/queues.sh [--clients C] [--count COUNT] [--queues "1 2"] [--tap|--tun] [--build DIR]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
clients=4 count=20000 queue_counts="1 2" kind=tun build_dir=$repo/build/release
while [ $# -gt 0 ]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --queues) queue_counts=$2; shift 2 ;;
    --tap) kind=tap; shift ;;
    --tun) kind=tun; shift ;;
    --build) build_dir=$2; shift 2 ;;
    *) echo "usage: sudo bench/queues.sh [--clients C] [--count COUNT] [--queues \"1 2\"] [--tap|--tun]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "queues.sh: needs root (a network namespace, a TUN/TAP device)" >&2; exit 1; }
ministack=$build_dir/ministack
[ -x "$ministack" ] || { echo "queues.sh: $ministack is not built" >&2; exit 1; }

ns=msqueues-$$ pid="" workdir=$(mktemp -d)
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  ip netns del "$ns" 2>/dev/null
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

echo "== --queues on $(nproc) CPUs: $clients clients, ping -f -c $count each, over ${kind^^}"
for q in $queue_counts; do
  ip netns exec "$ns" "$ministack" "--$kind" "${kind}0" --queues "$q" >"$workdir/log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -qs "listening on" "$workdir/log" && break; sleep 0.1; done
  for i in $(seq 21 $((20 + clients))); do
    ip netns exec "$ns" ip addr add "192.168.3.$i/24" dev "${kind}0" 2>/dev/null || true
  done
  start=$(date +%s%N)
  client_pids=()
  for i in $(seq 21 $((20 + clients))); do
    ip netns exec "$ns" ping -q -n -f -c "$count" -I "192.168.3.$i" 192.168.3.12 >"$workdir/ping.$i" 2>&1 &
    client_pids+=($!)
  done
  for p in "${client_pids[@]}"; do wait "$p"; done
  end=$(date +%s%N)
  received=$(cat "$workdir"/ping.* | sed -n 's/.* \([0-9]*\) received.*/\1/p' | awk '{s += $1} END {print s}')
  kill -INT "$pid"
  wait "$pid" || true
  pid=""
  spread=$(grep -o "frames in by queue: .*" "$workdir/log" || echo "one queue")
  awk -v q="$q" -v r="$received" -v t="$(( (end - start) / 1000 ))" -v s="$spread" \
    'BEGIN {printf "--queues %-2s %8d replies in %6.0f ms: %7.1fk replies/s  (%s)\n", q, r, t / 1000, r / t * 1000, s}'
  sleep 0.5  # the device goes with ministack; the next run makes it again
done
