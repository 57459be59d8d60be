#!/usr/bin/env bash
# A shell in a fresh network namespace with ministack running on tap0, so that you can ping it without touching the
# host's own interfaces or addresses: the namespace, its tap0 and its addresses (192.168.3.11/24 and fd00:3::11/64
# on the host side) all vanish when you leave the shell, or on Ctrl-C, SIGTERM or SIGHUP.
#
# Usage: scripts/sandbox.sh [-c COMMAND] [MINISTACK-OPTIONS...] [-- MINISTACK-OPTIONS...]
#   -c COMMAND          run COMMAND in the namespace (bash -c) instead of a shell, and exit with its status
#   MINISTACK-OPTIONS   passed to ministack after --tap tap0 (e.g. --trace; --tun is not for here); after --, all
#                       arguments go to ministack, -c included
# ministack is $MINISTACK, else build/release/ministack or build/demo/ministack of this clone, else `ministack` on
# PATH, else built with the demo preset. Needs root (it uses sudo when run as another user).
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() { sed -n '6,11s/^# \{0,1\}//p' "$0"; }
# Not getopts: ministack's long options (--trace) come mixed with ours.
command=""
args=()
while [ $# -gt 0 ]; do
  case $1 in
    -c)
      [ $# -ge 2 ] || { echo "sandbox.sh: -c needs a command" >&2; usage >&2; exit 2; }
      command=$2
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "sandbox.sh: needs root (network namespaces, /dev/net/tun)" >&2; exit 1; }
  exec sudo MINISTACK="${MINISTACK:-}" "$0" ${command:+-c "$command"} -- "$@"
fi

ministack=${MINISTACK:-}
if [ -z "$ministack" ]; then
  for candidate in "$repo/build/release/ministack" "$repo/build/demo/ministack" "$(command -v ministack || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { ministack=$candidate; break; }
  done
fi
if [ -z "$ministack" ]; then
  install_missing_packages
  build demo
  ministack=$repo/build/demo/ministack
fi

ns="ministack-sandbox-$$"
pid="" command_pid=""
log=$(mktemp /tmp/ministack-sandbox.XXXXXX.log)
cleanup() {
  set +e  # every step runs, whatever the one before it did
  trap - EXIT INT TERM HUP
  [ -n "$command_pid" ] && kill "$command_pid" 2>/dev/null && wait "$command_pid" 2>/dev/null
  if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "sandbox: ministack stopped: $(grep -m 1 "stopped:" "$log" || tail -n 1 "$log")" >&2
  fi
  ip netns del "$ns" 2>/dev/null
  if [ -n "$command" ]; then
    rm -f "$log"
    echo "sandbox: network namespace $ns deleted" >&2
  else
    echo "sandbox: network namespace $ns deleted; ministack's output is in $log" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$ministack" --tap tap0 "$@" >"$log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  grep -qs "listening on" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "sandbox: ministack exited at start" >&2; pid=""; exit 1; }
  sleep 0.1
done
grep -qs "listening on" "$log" || { cat "$log" >&2; echo "sandbox: ministack did not start within 5 s" >&2; exit 1; }

cat >&2 <<TEXT
sandbox: ministack (pid $pid) runs on tap0 in network namespace $ns:
$(sed 's/^/  /' "$log")
sandbox: in this namespace, try
  ping -c 3 192.168.3.12              ping -6 -c 3 fd00:3::12
  arping -c 2 -I tap0 192.168.3.12    echo hi | nc -u -q 1 192.168.3.12 7
  tcpdump -ni tap0                    kill -USR1 $pid  (counters and neighbors, into $log)
TEXT
if [ -z "$command" ]; then
  echo "sandbox: leave with exit or Ctrl-D; ministack is stopped and the namespace deleted." >&2
fi

if [ -n "$command" ]; then
  # In the background and waited for, so that a signal to this script is handled at once.
  ip netns exec "$ns" bash -c "$command" &
  command_pid=$!
  status=0
  wait "$command_pid" || status=$?
  command_pid=""
  exit "$status"
fi
ip netns exec "$ns" bash --rcfile <(echo "[ -f ~/.bashrc ] && . ~/.bashrc; PS1='(ministack-sandbox) \\w# '") -i || true
