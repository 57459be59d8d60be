#!/usr/bin/env bash
# The system call filter holds: a process confined as ministack confines itself dies by SIGSYS when it calls what
# the allowlist leaves out (socket: a new way out; execve: another program), with a message naming the call; and
# lives when it makes only allowed calls. Needs no root (as root it also changes to nobody first).
# Usage: seccomp_e2e.sh SECCOMP_PROBE_BINARY
set -uo pipefail
probe=$1
. "$(dirname "$0")/lib.sh"

out=$("$probe" allowed 2>&1); rc=$?
[ "$rc" = 0 ] || fail "the probe making only allowed calls exited $rc:"$'\n'"$out"
pass "only allowed calls: exit 0"

for call in socket execve; do
  out=$("$probe" "$call" 2>&1); rc=$?
  # 128 + SIGSYS (31): the shell's status for a process killed by that signal.
  [ "$rc" = $((128 + 31)) ] || fail "$call: exit status $rc, expected death by SIGSYS (159):"$'\n'"$out"
  echo "$out" | grep -Eq "the seccomp filter stopped system call $call \([0-9]+\)" ||
    fail "$call: the message does not name the call:"$'\n'"$out"
  pass "$call: killed by SIGSYS, and the message names it: $(echo "$out" | grep -o "stopped system call $call ([0-9]*)")"
done

# --queues N: threads start while allowed, and not once the second filter forbids it again.
out=$("$probe" thread 2>&1); rc=$?
echo "$out" | grep -q "a worker thread started" || fail "thread: no thread could start before the lock:"$'\n'"$out"
[ "$rc" = $((128 + 31)) ] || fail "thread: exit status $rc, expected death by SIGSYS (159):"$'\n'"$out"
echo "$out" | grep -q "thread starts forbidden, starting another" || fail "thread: the lock failed:"$'\n'"$out"
echo "$out" | grep -q "started after the lock" && fail "thread: a thread started after the lock:"$'\n'"$out"
# No line names the call here: glibc blocks every signal around clone3, and the kernel then delivers SIGSYS with its
# default action, which kills without running the handler.
pass "thread: one started before the lock; starting the next killed the process by SIGSYS"
