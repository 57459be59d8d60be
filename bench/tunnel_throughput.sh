#!/usr/bin/env bash
# TCP throughput through ministack's IP-over-UDP tunnel (issue 14), beside the bare link it runs over. In one
# invocation, in two network namespaces of its own (deleted on exit, even on failure or Ctrl-C), joined by a veth pair
# (10.213.9.1/24 and 10.213.9.2/24):
#   veth     a TCP transfer from A to B over the bare veth (10.213.9.2)
#   tunnel   the same through `ministack tunnel` on both sides (192.168.3.11 to 192.168.3.13 over tun0, each packet
#            one UDP datagram between ports 4789 on the veth)
# With iperf3 (if installed; --tool nc otherwise): one stream for SECONDS, the receiver's figure. With nc: BYTES of
# zeros from /dev/zero, timed from the first byte sent to the receiver's exit. Interleaved (for run: veth, tunnel);
# prints every run, then the medians, the tunnel's ratio to the bare link, and the CPU time both tunnel processes used.
#
# Usage: sudo bench/tunnel_throughput.sh [--runs R] [--seconds S] [--bytes N] [--tool iperf3|nc] [--lock FILE]
#          [--build DIR]
#   --runs R      runs of each path (default 3)
#   --seconds S   iperf3's length of a run (default 5)
#   --bytes N     nc's transfer (default 256M; suffix K or M for KiB, MiB)
#   --tool T      iperf3 (the default when installed) or nc (netcat-openbsd)
#   --lock FILE   hold `flock FILE` while measuring, e.g. --lock /work/.build.lock (no build competes for the CPUs)
# Needs root, iproute2, netcat-openbsd or iperf3, and the release build's ministack.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3 seconds=5 bytes=256M tool="" lock="" build_dir=$repo/build/release
die() { echo "tunnel_throughput.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --tool) tool=$2; shift 2 ;;
    --lock) lock=$2; shift 2 ;;
    --build) build_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
case $bytes in
  *K) bytes=$((${bytes%K} * 1024)) ;;
  *M) bytes=$((${bytes%M} * 1024 * 1024)) ;;
esac
for n in "$runs" "$seconds" "$bytes"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -eq 0 ]; then die "not a positive number: '$n'"; fi
done
if [ -z "$tool" ]; then
  if command -v iperf3 >/dev/null; then tool=iperf3; else tool=nc; fi
fi
case $tool in
  iperf3) command -v iperf3 >/dev/null || die "iperf3 is not installed (apt-get install iperf3)" ;;
  nc) if ! { command -v nc >/dev/null && nc -h 2>&1 | grep -q OpenBSD; }; then die "netcat-openbsd is not installed"; fi ;;
  *) die "--tool is iperf3 or nc, not '$tool'" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN devices): run it as root or with sudo"
for t in ip ss python3 timeout flock; do command -v "$t" >/dev/null || die "'$t' is missing"; done
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: modprobe tun"
ministack=$build_dir/ministack
[ -x "$ministack" ] || die "$ministack is not built: cmake --preset release && cmake --build --preset release"

# Everything this script creates, so that cleanup finds it whatever happened.
workdir=$(mktemp -d /tmp/ministack-tunnelbench.XXXXXX)
chmod 755 "$workdir"
ns_a=mstunnel-$$-a ns_b=mstunnel-$$-b
namespaces=() pids=() lock_fd=""
cleanup() {
  set +e
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'echo "tunnel_throughput.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

for n in "$ns_a" "$ns_b"; do
  ip netns add "$n"
  namespaces+=("$n")
  ip netns exec "$n" ip link set lo up
done
ip link add veth0 netns "$ns_a" type veth peer name veth1 netns "$ns_b"
ip -n "$ns_a" addr add 10.213.9.1/24 dev veth0
ip -n "$ns_b" addr add 10.213.9.2/24 dev veth1
ip -n "$ns_a" link set veth0 up
ip -n "$ns_b" link set veth1 up

# The tunnel pair, both sides running for the whole benchmark (the veth runs do not touch them).
wait_for() {  # wait_for WHAT CMD...: within 5 s
  local what=$1
  shift
  for _ in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what: not within 5 s"
}
install -d -o nobody "$workdir/stats"  # the tunnels write their JSON there, as nobody
tunnel() {  # tunnel NS IP PEER: ministack tunnel in NS; its PID appended to $tunnels
  ip netns exec "$1" "$ministack" tunnel --tun tun0 --ip "$2" --peer "$3" -q --stats-json "$workdir/stats/$1.json" \
    >"$workdir/$1.log" 2>&1 &
  pids+=($!)
  tunnels+=($!)
  wait_for "tunnel in $1" sh -c "ip -n '$1' -o addr show dev tun0 | grep -q ' $2 ' && ip netns exec '$1' ss -Hunl 'sport = :4789' | grep -q ."
}
tunnels=()
tunnel "$ns_a" 192.168.3.11/24 10.213.9.2:4789
tunnel "$ns_b" 192.168.3.13/24 10.213.9.1:4789
ip netns exec "$ns_a" ping -c 1 -W 2 192.168.3.13 >/dev/null || die "no ping through the tunnel: $(cat "$workdir"/*.log)"
tunnel_mtu=$(ip netns exec "$ns_a" cat /sys/class/net/tun0/mtu)

forget() {  # forget PID: waited for, so that the cleanup does not signal its number again
  local kept=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}

cpu_ns() {  # the CPU time of the tunnel processes, all threads, in nanoseconds (first field of schedstat)
  local p
  for p in "${tunnels[@]}"; do cat /proc/"$p"/task/*/schedstat; done | awk '{s += $1} END {printf "%.0f\n", s}'
}

# measure ADDRESS: one transfer from A to ADDRESS in B; prints "MBIT/S SECONDS RETRANSMITS" (iperf3's count of TCP
# retransmissions, "?" with nc) (call it with its output redirected to
# a file, not in a subshell, so that die ends the script).
measure() {
  local address=$1 server out start end rc=0
  if [ "$tool" = iperf3 ]; then
    ip netns exec "$ns_b" iperf3 -s -1 -B "$address" >"$workdir/iperf3-server.log" 2>&1 &
    server=$!
    pids+=("$server")
    wait_for "iperf3 -s" sh -c "ip netns exec '$ns_b' ss -Htln 'sport = :5201' | grep -q ."
    out=$(ip netns exec "$ns_a" timeout $((seconds + 30)) iperf3 -c "$address" -t "$seconds" -J) || rc=$?
    wait "$server" || true
    forget "$server"
    [ "$rc" = 0 ] || die "iperf3 -c $address exited $rc: $(echo "$out" | tail -5)"
    echo "$out" | python3 -c 'import json, sys
end = json.load(sys.stdin)["end"]
received, sent = end["sum_received"], end["sum_sent"]
print("%.1f %.3f %s" % (received["bits_per_second"] / 1e6, received["seconds"], sent.get("retransmits", "?")))'
  else
    ip netns exec "$ns_b" timeout $((bytes / 1000000 + 60)) nc -l 5201 >/dev/null </dev/null &
    server=$!
    pids+=("$server")
    wait_for "nc -l" sh -c "ip netns exec '$ns_b' ss -Htln 'sport = :5201' | grep -q ."
    start=$EPOCHREALTIME
    head -c "$bytes" /dev/zero | ip netns exec "$ns_a" timeout $((bytes / 1000000 + 60)) nc -N "$address" 5201 || rc=$?
    wait "$server" || rc=$?
    end=$EPOCHREALTIME
    forget "$server"
    [ "$rc" = 0 ] || die "nc to $address failed (exit $rc)"
    python3 -c 'import sys
b, s, e = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"{b * 8 / (e - s) / 1e6:.1f} {e - s:.3f} ?")' "$bytes" "$start" "$end"
  fi
}

take_lock() { [ -z "$lock" ] || { exec {lock_fd}>>"$lock"; flock "$lock_fd"; }; }
drop_lock() { [ -z "$lock_fd" ] || { flock -u "$lock_fd"; exec {lock_fd}>&-; lock_fd=""; }; }

echo "== ministack tunnel throughput, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs online, Linux $(uname -r)"
echo "$(ip netns exec "$ns_a" "$ministack" --version 2>&1 | head -1), $(git -C "$repo" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
if [ "$tool" = iperf3 ]; then
  echo "tool: $(iperf3 --version | head -1 | cut -d' ' -f1-2), one TCP stream for $seconds s, the receiver's rate; $runs runs"
else
  echo "tool: nc (netcat-openbsd), $bytes bytes of zeros, timed to the receiver's exit; $runs runs"
fi
echo "veth MTU 1500, tun0 MTU $tunnel_mtu"
results=$workdir/results
: >"$results"
take_lock
for run in $(seq "$runs"); do
  measure 10.213.9.2 >"$workdir/measured"
  read -r rate secs retrans <"$workdir/measured"
  printf '  run %d  veth    %9.1f Mbit/s (%.2f s), %s TCP retransmissions\n' "$run" "$rate" "$secs" "$retrans"
  echo "veth $rate $secs 0" >>"$results"
  c0=$(cpu_ns)
  measure 192.168.3.13 >"$workdir/measured"
  read -r rate secs retrans <"$workdir/measured"
  c1=$(cpu_ns)
  printf '  run %d  tunnel  %9.1f Mbit/s (%.2f s), %s TCP retransmissions, the tunnels used %.2f s of CPU\n' "$run" \
    "$rate" "$secs" "$retrans" "$(echo "$c0 $c1" | awk '{print ($2 - $1) / 1e9}')"
  echo "tunnel $rate $secs $((c1 - c0))" >>"$results"
done
drop_lock
for p in "${tunnels[@]}"; do kill -0 "$p" 2>/dev/null || die "a tunnel died: $(cat "$workdir"/*.log)"; done
# Stopped, they write their counters: what each dropped, and why (a full receive buffer: the peer outran it).
for p in "${tunnels[@]}"; do
  kill -TERM "$p"
  wait "$p" || die "a tunnel exited $? on SIGTERM: $(cat "$workdir"/*.log)"
  forget "$p"
done

python3 - "$results" "$workdir/stats/$ns_a.json" "$workdir/stats/$ns_b.json" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    path, rate, secs, cpu = line.split()
    rows.setdefault(path, []).append((float(rate), float(secs), int(cpu)))
veth = statistics.median(r[0] for r in rows["veth"])
tunnel = statistics.median(r[0] for r in rows["tunnel"])
core = statistics.median(100 * r[2] / 1e9 / r[1] for r in rows["tunnel"])
print()
print(f"veth    median {veth:9.1f} Mbit/s")
print(f"tunnel  median {tunnel:9.1f} Mbit/s  = {tunnel / veth:.3f} × veth ({veth / tunnel:.1f} times slower); "
      f"both tunnel processes together used {core:.0f} % of one core")
for side, path in (("A (sender)", sys.argv[2]), ("B (receiver)", sys.argv[3])):
    doc = json.load(open(path))
    drops = {k: v for k, v in doc["drops"].items() if v}
    c = doc["counters"]
    print(f"tunnel {side}: {c['tunnelOutPackets']} packets out, {c['tunnelInPackets']} in, dropped: {drops or 'none'}")
EOF
