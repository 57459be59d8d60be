#!/usr/bin/env bash
# The flood benchmark (issue 10; docs/PERFORMANCE.md says how to read it). In one invocation it runs the same iputils
# pings against every responder, each in network namespaces of its own (deleted on exit, even on failure or Ctrl-C):
#   kernel         the Linux kernel over a veth pair (ping in one namespace, 192.168.3.12 in another)
#   bare-*         bench/bare_echo, a bare read/write echo on TUN or TAP (the userspace baseline)
#   ministack-*    ministack on TAP or TUN
# Tests: `ping -f -c N`, `ping -f -l 32 -c N`, `ping -c 200 -i 0.01` (rtt) and `ping -c 20 -i 0.05 -s 65000` (rtt of
# a 65000-byte echo in 44 fragments each way), each pinned (ping and responder on CPU 0) and unpinned; interleaved
# (for run: for responder: for test), and one table of medians at the end. Then an idle ministack: CPU and wakeups.
#
# Usage: sudo bench/flood.sh [--runs R] [--count N] [--idle SECONDS] [--quick] [--responders NAME,...]
#          [--variant NAME=ARGS]... [--ministack-args "ARGS"] [--tests TEST,...] [--build DIR]
#   --quick            1 run, N = 5000, shorter rtt tests, 5 idle seconds: a minute or so
#   --variant NAME=ARGS  one more responder: a NAME starting with ministack runs `ministack ARGS`, with bare runs
#                      `bare_echo ARGS` (e.g. --variant 'ministack-tun-uring=--tun tun0 --io uring')
#   --ministack-args   appended to every ministack responder's arguments (and the idle one's)
#   --responders       only these (default: all of the list below, then the --variant ones)
# Needs root, iproute2, iputils-ping, taskset (util-linux), python3, and the release build (bare_echo, ministack).
set -euo pipefail

# The responders: NAME=ARGS, one line each. A NAME's prefix picks the program (see above); `kernel` is the veth pair.
variants=(
  "kernel=veth"
  "bare-tun=--tun tun0"
  "bare-tap=--tap tap0"
  "bare-busy=--tun tun0 --busy-poll"
  "ministack-tap=--tap tap0"
  "ministack-tun=--tun tun0"
  "ministack-tun-uring=--tun tun0 --io uring"
  "ministack-tun-nospin=--tun tun0 --busy-poll 0"
)
all_tests=(flood flood-l32 rtt rtt-65000)
idle_variant="ministack-tap"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3 count=20000 idle=30 rtt_count=200 big_count=20 build_dir=$repo/build/release
ministack_args="" only="" tests_wanted=""
die() { echo "flood.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --quick) runs=1 count=5000 idle=5 rtt_count=50 big_count=5; shift ;;
    --responders) only=$2; shift 2 ;;
    --variant) [[ $2 == *=* ]] || die "--variant wants NAME=ARGS, got '$2'"; variants+=("$2"); shift 2 ;;
    --ministack-args) ministack_args=$2; shift 2 ;;
    --tests) tests_wanted=$2; shift 2 ;;
    --build) build_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
for n in "$runs" "$count" "$idle"; do [[ $n =~ ^[0-9]+$ ]] || die "not a number: '$n'"; done

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN/TAP devices): run it as root or with sudo"
for tool in ip ping taskset python3 timeout; do command -v "$tool" >/dev/null || die "'$tool' is missing"; done
ping -V 2>&1 | grep -q iputils || die "ping is not iputils' ping (Debian: iputils-ping)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: modprobe tun"
bare_echo=$build_dir/bare_echo ministack=$build_dir/ministack
for b in "$bare_echo" "$ministack"; do
  [ -x "$b" ] || die "$b is not built: scripts/setup.sh, or cmake --preset release && cmake --build --preset release"
done

# The selected responders, in order.
selected=()
for v in "${variants[@]}"; do
  name=${v%%=*}
  if [ -z "$only" ] || [[ ",$only," == *",$name,"* ]]; then selected+=("$v"); fi
done
[ ${#selected[@]} -gt 0 ] || die "no responder matches --responders '$only'"
tests=()
for t in "${all_tests[@]}"; do
  if [ -z "$tests_wanted" ] || [[ ",$tests_wanted," == *",$t,"* ]]; then tests+=("$t"); fi
done

# Everything this script creates, so that cleanup finds it whatever happened.
workdir=$(mktemp -d /tmp/ministack-flood.XXXXXX)
chmod 755 "$workdir"
install -d -o nobody "$workdir/stats"  # ministack writes its JSON there as nobody
namespaces=() pids=() ns_serial=0
cleanup() {
  set +e
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'echo "flood.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# new_namespace: creates one, named in $new_ns (not echoed: a $(...) subshell would lose the bookkeeping).
new_namespace() {
  ns_serial=$((ns_serial + 1))
  new_ns="msflood-$$-$ns_serial"
  ip netns add "$new_ns"
  namespaces+=("$new_ns")
  ip netns exec "$new_ns" ip link set lo up
}
forget() {  # forget LIST-NAME VALUE: drops one value from the pids or namespaces array
  local -n list=$1
  local kept=() x
  for x in "${list[@]}"; do [ "$x" = "$2" ] || kept+=("$x"); done
  list=("${kept[@]}")
}

# The responder of the moment (set by start_responder).
r_name="" r_kind="" r_pid="" r_client_ns="" r_server_ns="" r_counts="" r_log="" r_why=""

# start_responder NAME=ARGS: returns 1 with r_why set when it cannot run (bad options, no answer).
start_responder() {
  local spec=$1 args dev="" mode=""
  r_name=${spec%%=*} args=${spec#*=} r_pid="" r_counts="" r_why=""
  r_log=$workdir/$r_name.log
  case $r_name in
    kernel*)
      r_kind=kernel
      new_namespace; r_client_ns=$new_ns
      new_namespace; r_server_ns=$new_ns
      ip link add veth0 netns "$r_client_ns" type veth peer name veth1 netns "$r_server_ns"
      ip -n "$r_client_ns" addr add 192.168.3.11/24 dev veth0
      ip -n "$r_server_ns" addr add 192.168.3.12/24 dev veth1
      ip -n "$r_client_ns" link set veth0 up
      ip -n "$r_server_ns" link set veth1 up
      ;;
    bare*)
      r_kind=bare
      new_namespace; r_client_ns=$new_ns r_server_ns=$new_ns
      read -r mode dev < <(echo "$args" | grep -oE -- '--(tun|tap) [^ ]+' | sed 's/^--//') || true
      [ -n "$dev" ] || { r_why="no --tun NAME or --tap NAME in '$args'"; return 1; }
      # bare_echo attaches to a device configured here; ministack does this part itself.
      ip -n "$r_client_ns" tuntap add dev "$dev" mode "$mode"
      ip -n "$r_client_ns" addr add 192.168.3.11/24 dev "$dev"
      ip -n "$r_client_ns" link set "$dev" up
      r_counts=$workdir/$r_name.counts
      # shellcheck disable=SC2086  # ARGS are words
      ip netns exec "$r_client_ns" "$bare_echo" $args --count-file "$r_counts" >"$r_log" 2>&1 &
      r_pid=$!
      pids+=("$r_pid")
      wait_for_line "echoing on" || return 1
      ;;
    ministack*)
      r_kind=ministack
      new_namespace; r_client_ns=$new_ns r_server_ns=$new_ns
      r_counts=$workdir/stats/$r_name.json  # written by ministack as nobody, after it drops root
      # shellcheck disable=SC2086
      ip netns exec "$r_client_ns" "$ministack" $args $ministack_args --stats-json "$r_counts" >"$r_log" 2>&1 &
      r_pid=$!
      pids+=("$r_pid")
      wait_for_line "listening on" || return 1
      # Its system calls come from the JSON's io.system_calls, once ministack writes it; until then "?".
      for _ in $(seq 50); do [ -s "$r_counts" ] && break; sleep 0.02; done
      [ -n "$(ministack_system_calls)" ] || r_counts=""
      ;;
    *) r_why="unknown responder kind '$r_name' (a name starts with kernel, bare or ministack)"; return 1 ;;
  esac
  ip netns exec "$r_client_ns" ping -n -q -c 1 -W 2 192.168.3.12 >/dev/null ||
    { r_why="no answer to a first ping"; return 1; }
}

# wait_for_line TEXT: until the responder's log says TEXT; if it exits first, why (exit 2: options it lacks).
wait_for_line() {
  local rc=0
  for _ in $(seq 50); do
    grep -qs "$1" "$r_log" && return 0
    if ! kill -0 "$r_pid" 2>/dev/null; then
      wait "$r_pid" || rc=$?
      forget pids "$r_pid"
      r_pid=""
      if [ "$rc" = 2 ]; then
        r_why="rejected its options (exit 2; an option this build lacks?): $(grep -v -m1 -- '--help' "$r_log")"
      else
        r_why="exited $rc at start: $(tail -1 "$r_log")"
      fi
      return 1
    fi
    sleep 0.1
  done
  r_why="did not start within 5 s: $(tail -1 "$r_log")"
  return 1
}

stop_responder() {
  if [ -n "$r_pid" ]; then
    kill -TERM "$r_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$r_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$r_pid" 2>/dev/null || true
    wait "$r_pid" 2>/dev/null || true
    forget pids "$r_pid"
  fi
  ip netns del "$r_client_ns" 2>/dev/null || true
  forget namespaces "$r_client_ns"
  if [ "$r_server_ns" != "$r_client_ns" ]; then
    ip netns del "$r_server_ns" 2>/dev/null || true
    forget namespaces "$r_server_ns"
  fi
}

# Nanoseconds on a CPU, all threads (the first field of schedstat), but for io_uring's kernel workers (iou-wrk-*):
# they come and go, and one gone between two readings would make the difference negative.
# (%.0f: mawk's %d and print stop at 2^31, about 2 s of CPU.)
cpu_ns() {
  local task
  for task in /proc/"$1"/task/*; do
    case $(cat "$task/comm" 2>/dev/null) in iou-wrk-*) continue ;; esac
    cat "$task/schedstat" 2>/dev/null
  done | awk '{s += $1} END {printf "%.0f\n", s}'
}
ministack_system_calls() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = d.get("io", {}).get("system_calls") if isinstance(d.get("io"), dict) else None
print("" if v is None else v)' "$r_counts" 2>/dev/null || true
}
# The responder's system calls so far (a fresh snapshot: it rewrites its file on SIGUSR1), or "?".
system_calls() {
  if [ -z "$r_counts" ] || [ -z "$r_pid" ]; then echo "?"; return; fi
  rm -f "$r_counts"
  kill -USR1 "$r_pid"
  for _ in $(seq 100); do [ -s "$r_counts" ] && break; sleep 0.02; done
  [ -s "$r_counts" ] || { echo "?"; return; }
  if [ "$r_kind" = bare ]; then
    awk '{s += $2} END {printf "%.0f\n", s}' "$r_counts"
  else
    local v
    v=$(ministack_system_calls)
    echo "${v:-?}"
  fi
}

ping_args() {
  case $1 in
    flood) echo "-f -c $count" ;;
    flood-l32) echo "-f -l 32 -c $count" ;;
    rtt) echo "-c $rtt_count -i 0.01" ;;
    rtt-65000) echo "-c $big_count -i 0.05 -s 65000" ;;
  esac
}

online_cpus=$(cat /sys/devices/system/cpu/online)
results=$workdir/results.tsv
: >"$results"

# run_test RUN TEST pinned|unpinned: one ping against the responder of the moment, one line of results.
run_test() {
  local run=$1 test=$2 pin=$3 pin_cmd=() out tx rx ms rtt sc0 sc1 c0 c1 cpu sc limit
  if [ "$pin" = pinned ]; then
    pin_cmd=(taskset -c 0)
    [ -z "$r_pid" ] || taskset -a -p -c 0 "$r_pid" >/dev/null
  else
    [ -z "$r_pid" ] || taskset -a -p -c "$online_cpus" "$r_pid" >/dev/null
  fi
  sc0=$(system_calls)
  c0=$([ -n "$r_pid" ] && cpu_ns "$r_pid" || echo 0)
  # A responder that stops answering must not hold ping -f (one probe per 10 ms without replies) for minutes.
  limit=$((20 + count / 400))
  # shellcheck disable=SC2046  # ping_args gives words
  out=$(LC_ALL=C ip netns exec "$r_client_ns" "${pin_cmd[@]}" timeout -s INT "$limit" \
    ping -q -n $(ping_args "$test") 192.168.3.12 2>&1) || true
  c1=$([ -n "$r_pid" ] && cpu_ns "$r_pid" || echo 0)
  sc1=$(system_calls)
  read -r tx rx ms < <(echo "$out" |
    sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*time \([0-9]*\)ms.*/\1 \2 \3/p') || true
  rtt=$(echo "$out" | sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
  if [ -z "${tx:-}" ]; then
    echo "  $r_name $test $pin: ping printed no summary: $out" >&2
    return 0
  fi
  cpu=$([ "$r_kind" = kernel ] && echo softirq || echo $((c1 - c0)))
  sc=$([ "$sc0" = "?" ] || [ "$sc1" = "?" ] && echo "?" || echo $((sc1 - sc0)))
  [ "$r_kind" != kernel ] || sc="-"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$r_name" "$test" "$pin" "$tx" "$rx" "$ms" \
    "${rtt:--}" "$cpu" "$sc" >>"$results"
  printf '  %-16s %-10s %-8s %6s/%-6s received in %6s ms, rtt avg %s ms\n' "$r_name" "$test" "$pin" "$rx" "$tx" \
    "$ms" "${rtt:--}" >&2
}

start_time=$(date +%s)
echo "== ministack flood benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs online ($online_cpus), Linux $(uname -r)"
echo "$("$ministack" --version 2>&1 | head -1), $(git -C "$repo" describe --always --dirty 2>/dev/null || echo 'not a git checkout');" \
  "$(ping -V 2>&1 | head -1); runs $runs, ping -f -c $count"
echo "responders: ${selected[*]%%=*}"

skipped=$workdir/skipped.txt
: >"$skipped"
for run in $(seq "$runs"); do
  for spec in "${selected[@]}"; do
    name=${spec%%=*}
    grep -q "^$name"$'\t' "$skipped" && continue
    echo "run $run/$runs: $name" >&2
    if ! start_responder "$spec"; then
      echo "  $name: $r_why" >&2
      printf '%s\t%s\n' "$name" "$r_why" >>"$skipped"
      stop_responder
      continue
    fi
    for test in "${tests[@]}"; do
      # A responder spinning on CPU 0 would starve a ping pinned there: bare busy-poll runs unpinned only.
      [[ $spec == *--busy-poll* && $r_kind == bare ]] || run_test "$run" "$test" pinned
      run_test "$run" "$test" unpinned
      if [ -n "$r_pid" ] && ! kill -0 "$r_pid" 2>/dev/null; then
        rc=0
        wait "$r_pid" || rc=$?
        r_why="died during $test (exit $rc): $(tail -1 "$r_log")"
        echo "  $name: $r_why" >&2
        printf '%s\t%s\n' "$name" "$r_why" >>"$skipped"
        forget pids "$r_pid"
        r_pid=""
        break
      fi
    done
    stop_responder
  done
done

# The idle ministack: CPU used and wakeups (context switches, all threads) over --idle seconds.
idle_line=""
if [ "$idle" -gt 0 ]; then
  spec=""
  for v in "${variants[@]}"; do [ "${v%%=*}" = "$idle_variant" ] && spec=$v; done
  echo "idle: $idle_variant for $idle s" >&2
  if start_responder "$spec"; then
    sleep 1
    switches() { cat /proc/"$r_pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {printf "%.0f\n", s}'; }
    c0=$(cpu_ns "$r_pid") w0=$(switches)
    sleep "$idle"
    c1=$(cpu_ns "$r_pid") w1=$(switches)
    idle_line=$(awk -v c=$((c1 - c0)) -v w=$((w1 - w0)) -v s="$idle" -v n="$idle_variant" 'BEGIN {
      printf "idle %s over %d s: %.4f CPU s (%.3f %% of a core), %.1f wakeups/s (voluntary + involuntary context switches)",
        n, s, c / 1e9, 100 * c / 1e9 / s, w / s }')
  else
    idle_line="idle $idle_variant: $r_why"
  fi
  stop_responder
fi

# One table of medians over the runs.
python3 - "$results" "$skipped" "$count" "$rtt_count" "$big_count" <<'EOF'
import statistics, sys
from collections import defaultdict
results, skipped, count, rtt_count, big_count = sys.argv[1:6]
rows = defaultdict(list)
order = []
for line in open(results):
    run, name, test, pin, tx, rx, ms, rtt, cpu, sc = line.rstrip("\n").split("\t")
    key = (test, pin, name)
    if key not in rows: order.append(key)
    rows[key].append((int(tx), int(rx), int(ms), rtt, cpu, sc))

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

stats = {}
for key, samples in rows.items():
    rps = median([rx / (ms / 1000) if ms > 0 else None for tx, rx, ms, *_ in samples])
    loss = median([100 * (tx - rx) / tx if tx else None for tx, rx, *_ in samples])
    rtt = median([float(r) for *_, r, _, _ in samples if r != "-"])
    cpu_kinds = {c for *_, c, _ in samples}
    cpu = "softirq" if "softirq" in cpu_kinds else median([int(c) / 1000 / rx for _, rx, _, _, c, _ in samples if rx])
    sc_kinds = {s for *_, s in samples}
    sc = "—" if "-" in sc_kinds else "?" if "?" in sc_kinds else median([int(s) / rx for _, rx, *_, s in samples if rx])
    stats[key] = dict(rps=rps, loss=loss, rtt=rtt, cpu=cpu, sc=sc, n=len(samples))

rtt_tests = {"rtt", "rtt-65000"}
def ratio(test, pin, name, base):
    me, other = stats.get((test, pin, name)), stats.get((test, pin, base))
    if not me or not other: return "—"
    field = "rtt" if test in rtt_tests else "rps"
    if me[field] is None or not other[field]: return "—"
    return f"{me[field] / other[field]:.2f}"

def number(v, fmt):
    return v if isinstance(v, str) else "—" if v is None else format(v, fmt)
def rate(v):
    return "—" if v is None else f"{v / 1000:.1f}k"

commands = {"flood": f"ping -f -c {count}", "flood-l32": f"ping -f -l 32 -c {count}",
            "rtt": f"ping -c {rtt_count} -i 0.01", "rtt-65000": f"ping -c {big_count} -i 0.05 -s 65000"}
header = ["test", "pin", "responder", "replies/s", "loss %", "rtt avg ms", "×kernel", "×bare-tun", "×bare-busy",
          "CPU µs/reply", "syscalls/reply", "runs"]
table = [header]
for test in commands:
    for pin in ("pinned", "unpinned"):
        for key in order:
            if key[0] != test or key[1] != pin: continue
            s, name = stats[key], key[2]
            table.append([test, pin, name, "—" if test in rtt_tests else rate(s["rps"]), number(s["loss"], ".2f"),
                          number(s["rtt"], ".3f"), ratio(test, pin, name, "kernel"), ratio(test, pin, name, "bare-tun"),
                          ratio(test, pin, name, "bare-busy") if pin == "unpinned" else "—",
                          number(s["cpu"], ".2f"), number(s["sc"], ".2f"), str(s["n"])])
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
print()
print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
for r in table[1:]:
    print("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
print()
print("medians over the runs; tests: " + "; ".join(f"{t} = {c}" for t, c in commands.items()))
print("×NAME: replies/s over NAME's in the same test and pinning (rtt tests: rtt over NAME's, lower is faster)")
for line in open(skipped):
    name, why = line.rstrip("\n").split("\t", 1)
    print(f"not measured: {name}: {why}")
EOF
[ -z "$idle_line" ] || echo "$idle_line"
echo "took $(($(date +%s) - start_time)) s"
