#!/usr/bin/env bash
# End-to-end: --queues 2 on a multi-queue TAP or TUN device (IFF_MULTI_QUEUE), in a private network namespace.
# Sixteen pinging clients (one source address each), so the kernel spreads their flows over both queues; every echo
# answered, the counters of both workers merged in the table, the JSON and on SIGUSR1; the threads confined
# (thread starts forbidden again once the workers run); a clean exit on SIGTERM.
# Usage: queues_e2e.sh MINISTACK_BINARY tap|tun
set -uo pipefail
ministack=$1 mode=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils || skip "iputils-ping is not installed"

make_namespace "queues-$mode"
dev=${mode}0
log=$workdir/ministack.log
chmod 755 "$workdir"
install -d -o nobody "$workdir/stats"
stats_json=$workdir/stats/stats.json
start_ministack "$log" "--$mode" "$dev" --queues 2 --stats-json "$stats_json"
grep -q "2 queues, a worker thread each" "$log" || fail "the start line does not say 2 queues"
# /sys/class/net shows the root namespace's devices: read the count inside the namespace.
queues=$(in_ns sh -c "ls -d /sys/class/net/$dev/queues/rx-* | wc -l")
[ "$queues" = 2 ] || fail "$dev has $queues receive queues, want 2"
pass "$dev is a multi-queue device with 2 queues"

# A second ministack may not take queues of the same device (the kernel would let it, and split the flows).
out=$(in_ns timeout 10 "$ministack" "--$mode" "$dev" --queues 2 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "'$dev' is in use: another process has 2 of its 4 queues attached" ||
  fail "a second --queues 2 on $dev: exit $rc:"$'\n'"$out"
out=$(in_ns timeout 10 "$ministack" "--$mode" "$dev" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "is a multi-queue ${mode^^} device: open it with --queues N" ||
  fail "a single-queue open of the multi-queue $dev: exit $rc:"$'\n'"$out"
kill -0 "$ms_pid" || fail "the first ministack stopped"
pass "a second ministack is refused (in use; and multi-queue, for a single-queue open)"

# The main thread and two workers, each with both filters (the second forbids starting threads again).
threads=$(ls "/proc/$ms_pid/task" | wc -l)
[ "$threads" = 3 ] || fail "$threads threads, want 3 (main and one worker per queue)"
for task in /proc/"$ms_pid"/task/*; do
  grep -q "^Seccomp:[[:space:]]*2" "$task/status" || fail "thread ${task##*/} is not in seccomp filter mode"
  grep -q "^Seccomp_filters:[[:space:]]*2" "$task/status" ||
    fail "thread ${task##*/}: $(grep Seccomp_filters "$task/status"), want 2 (the allowlist and the thread lock)"
  grep -q "^CapEff:[[:space:]]*0*$" "$task/status" || fail "thread ${task##*/} kept capabilities"
done
pass "3 threads, each confined: no capabilities, 2 seccomp filters"

# Sixteen clients: 192.168.3.21 to .36 on the host side, pinging together, 20 echoes each.
for i in $(seq 21 36); do in_ns ip addr add "192.168.3.$i/24" dev "$dev" || fail "cannot add 192.168.3.$i"; done
client_pids=()
for i in $(seq 21 36); do
  in_ns ping -n -q -W 2 -c 20 -i 0.01 -I "192.168.3.$i" 192.168.3.12 >"$workdir/ping.$i" 2>&1 &
  client_pids+=($!)
done
for p in "${client_pids[@]}"; do wait "$p"; done
for i in $(seq 21 36); do
  grep -q " 0% packet loss" "$workdir/ping.$i" || fail "client 192.168.3.$i: replies missing:"$'\n'"$(cat "$workdir/ping.$i")"
done
pass "16 clients, 20 echoes each: all answered"

# SIGUSR1: the merged counters, from both workers.
kill -USR1 "$ms_pid"
for _ in $(seq 30); do grep -q '"icmpOutEchoReps": 320' "$stats_json" 2>/dev/null && break; sleep 0.1; done
grep -q '"icmpOutEchoReps": 320' "$stats_json" || fail "SIGUSR1: JSON does not count 320 replies: $(cat "$stats_json")"
pass "SIGUSR1: both workers' counters merged (320 echo replies)"

stop_ministack "$ms_pid"
grep -Eq "icmpOutEchoReps +320 " "$log" || fail "the table at exit does not count 320 replies"
spread=$(grep -o "frames in by queue: .*" "$log")
[ -n "$spread" ] || fail "no per-queue line at exit"
# Both queues took frames: the kernel spread the 16 flows (all on one queue has odds of 1 in 2^15).
echo "$spread" | grep -Eq "queue 0: [1-9][0-9]*, queue 1: [1-9][0-9]*" || fail "one queue took every frame: $spread"
pass "SIGTERM: clean exit, 320 replies in the table; $spread"
echo "e2e --queues 2 over ${mode^^}: all checks passed"
