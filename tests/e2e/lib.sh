# Shared by the end-to-end tests: skip with a reason, fail with context, and a private network namespace that is
# deleted on exit even when the test fails. All live traffic stays inside that namespace.

skip() { echo "SKIPPED: $*"; exit 77; }
fail() {
  echo "FAILED: $*"
  for f in "${logs[@]:-}"; do [ -n "$f" ] && [ -s "$f" ] && { echo "--- $f"; cat "$f"; }; done
  exit 1
}
pass() { echo "ok: $*"; }

require_root_and_tun() {
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, /dev/net/tun); run as root or with sudo"
  [ -c /dev/net/tun ] || skip "/dev/net/tun is missing; load the driver with 'modprobe tun'"
  command -v ip >/dev/null || skip "iproute2's ip is not installed"
}

logs=()
pids=()
ns=""
more_namespaces=()  # made by a test beside $ns (add_namespace), deleted with it
workdir=$(mktemp -d)

cleanup() {
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  for n in "${more_namespaces[@]:-}"; do [ -n "$n" ] && ip netns del "$n" 2>/dev/null; done
  rm -rf "$workdir"
  return 0
}
trap cleanup EXIT

make_namespace() {
  ns="ministack-e2e-$1-$$"
  ip netns add "$ns" || fail "cannot create network namespace $ns"
  ip netns exec "$ns" ip link set lo up
}

in_ns() { ip netns exec "$ns" "$@"; }

# add_namespace NAME: one more private namespace (loopback up), deleted on exit like $ns; sets $added_ns to its full
# name (a variable, not output: a command substitution's subshell would lose the cleanup's record of it).
add_namespace() {
  added_ns="ministack-e2e-$1-$$"
  ip netns add "$added_ns" || fail "cannot create network namespace $added_ns"
  more_namespaces+=("$added_ns")
  ip netns exec "$added_ns" ip link set lo up
}

# start_ministack LOG ARGS...: starts ministack in the namespace; waits until it says it is listening.
start_ministack() {
  local log=$1; shift
  logs+=("$log")
  ip netns exec "$ns" "$ministack" "$@" >"$log" 2>&1 &
  ms_pid=$!
  pids+=("$ms_pid")
  for _ in $(seq 50); do
    grep -qs "listening on" "$log" && return 0
    kill -0 "$ms_pid" 2>/dev/null || fail "ministack $* exited early"
    sleep 0.1
  done
  fail "ministack $* did not start listening within 5 s"
}

# stop_ministack PID: SIGTERM, and it must exit 0 (a clean shutdown).
stop_ministack() {
  local pid=$1 rc=0
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || fail "ministack exited $rc on SIGTERM, expected 0"
}
