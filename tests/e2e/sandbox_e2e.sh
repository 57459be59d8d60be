#!/usr/bin/env bash
# scripts/sandbox.sh: runs a command (-c) in a fresh namespace where ministack answers a ping, exits with the
# command's status, and leaves neither namespace nor ministack behind: after a normal end, after a failing command,
# and when interrupted (SIGINT, as Ctrl-C sends it) while the command still runs.
# Usage: sandbox_e2e.sh MINISTACK_BINARY SANDBOX_SCRIPT
set -uo pipefail
ministack=$1 sandbox=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
export MINISTACK=$ministack

# gone OUTPUT: the namespace and the ministack that OUTPUT names no longer exist.
gone() {
  local name pid
  name=$(echo "$1" | grep -oE "network namespace ministack-sandbox-[0-9]+" | head -n 1 | awk '{print $3}')
  pid=$(echo "$1" | grep -oE "ministack \(pid [0-9]+\)" | head -n 1 | grep -oE "[0-9]+")
  [ -n "$name" ] && [ -n "$pid" ] || fail "sandbox.sh did not name its namespace and ministack's pid:"$'\n'"$1"
  grep -qw "$name" <<<"$(ip netns list)" && { ip netns del "$name"; fail "namespace $name is still there"; }
  kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "ministack (pid $pid) still runs"; }
  pass "namespace $name and ministack $pid are gone"
}

out=$("$sandbox" -c 'ping -c 1 -W 2 192.168.3.12' 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "sandbox.sh -c ping exited $rc:"$'\n'"$out"
grep -q "1 packets transmitted, 1 received" <<<"$out" || fail "the ping in the sandbox was not answered:"$'\n'"$out"
grep -q "ministack stopped: .*1 echo reply," <<<"$out" || fail "no summary of ministack's run:"$'\n'"$out"
pass "sandbox.sh -c 'ping -c 1 192.168.3.12': answered, exit 0"
gone "$out"

out=$("$sandbox" -c 'exit 3' 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "sandbox.sh -c 'exit 3' exited $rc:"$'\n'"$out"
pass "sandbox.sh -c 'exit 3': exit 3"
gone "$out"

# ministack's own options, before -c as README shows them (getopts took --mtu for -- -m -t -u, and failed).
out=$("$sandbox" --mtu 1400 -c 'ping -c 1 -W 2 192.168.3.12' 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "sandbox.sh --mtu 1400 -c ... exited $rc:"$'\n'"$out"
grep -q "listening on tap0 (TAP, MTU 1400," <<<"$out" || fail "--mtu 1400 did not reach ministack:"$'\n'"$out"
grep -q "1 packets transmitted, 1 received" <<<"$out" || fail "the ping was not answered:"$'\n'"$out"
pass "sandbox.sh --mtu 1400 -c CMD: the option reached ministack, and the command ran"
gone "$out"

# Interrupted while the command runs: SIGINT to the script, as a terminal's Ctrl-C sends it.
log=$workdir/interrupted.log
logs+=("$log")
# env --default-signal: a background job of a script starts with SIGINT ignored, which a terminal's job does not.
env --default-signal=INT "$sandbox" -c 'sleep 60' >"$log" 2>&1 &
script_pid=$!
pids+=("$script_pid")
for _ in $(seq 50); do grep -qs "in this namespace, try" "$log" && break; sleep 0.1; done
grep -qs "in this namespace, try" "$log" || fail "sandbox.sh -c 'sleep 60' did not start"
kill -INT "$script_pid"
rc=0
timeout 10 tail --pid="$script_pid" -f /dev/null || fail "sandbox.sh did not end within 10 s of SIGINT"
wait "$script_pid" || rc=$?
[ "$rc" = 130 ] || fail "sandbox.sh exited $rc on SIGINT, expected 130"
pass "sandbox.sh ended on SIGINT with exit 130"
gone "$(cat "$log")"
