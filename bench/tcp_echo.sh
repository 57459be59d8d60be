#!/usr/bin/env bash
# The TCP echo benchmark (issue 11, "Speed"; docs/PERFORMANCE.md, "TCP echo", says how to read it). In one invocation
# it runs the same two measurements against every responder, each in network namespaces of its own (deleted on
# exit, even on failure or Ctrl-C):
#   kernel         the Linux kernel's TCP with socat as the echo service (`socat TCP-LISTEN:7,reuseaddr,fork
#                  EXEC:cat`), reached over a veth pair (the client in one namespace, 192.168.3.12 in another)
#   ministack-tap  `ministack --tap tap0` (its echo service, RFC 862, port 7)
#   ministack-tun  `ministack --tun tun0`
# Tests, both from bench/tcp_client.cpp:
#   bulk   one connection, BYTES (default 64 MiB) of random data written while the echo is read back, compared
#          byte for byte: MB/s = 10^6 bytes echoed per second, first byte written to last byte read
#   rate   N (default 2000) connections one after another: connect, 16 bytes, read them back, FIN both ways
# Interleaved (for run: for responder: bulk, rate), each responder started afresh for each run; one table of medians
# at the end, with each responder's ratio to the kernel's, the CPU time the responder used, and retransmissions.
#
# Usage: sudo bench/tcp_echo.sh [--runs R] [--bytes N] [--connections N] [--responders NAME,...]
#          [--variant NAME=ARGS]... [--ministack-args "ARGS"] [--kernel-echo SOCAT-ADDRESS] [--lock FILE]
#          [--quick] [--build DIR]
#   --bytes N          bulk bytes (suffix K or M for KiB, MiB); --connections N: connections of the rate test
#   --variant NAME=ARGS  one more ministack responder (NAME starts with ministack), e.g. 'ministack-big=--tap tap0
#                      --tcp-buffer 262144'; in ARGS, `--link-mtu N` is the harness's: it sets the device's MTU
#                      to N (ip link) once ministack has made it, e.g. 'ministack-tun-64k=--tun tun0 --link-mtu 65535'
#   --kernel-echo ADDR socat's second address for the kernel's echo (default EXEC:cat; PIPE deadlocks in the bulk
#                      test: socat blocks writing into its own full pipe, never reading it)
#   --lock FILE        hold `flock FILE` while each responder is measured (one run of one responder at a time, so
#                      other jobs may take it in between), e.g. --lock /work/.build.lock
#   --quick            1 run, 16 MiB, 500 connections
# Needs root, iproute2, socat, python3, and the release build (ministack, tcp_client).
set -euo pipefail

variants=(
  "kernel=veth"
  "ministack-tap=--tap tap0"
  "ministack-tun=--tun tun0"
)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3 bytes=64M connections=2000 build_dir=$repo/build/release kernel_echo=EXEC:cat lock=""
ministack_args="" only=""
die() { echo "tcp_echo.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --responders) only=$2; shift 2 ;;
    --variant) [[ $2 == ministack*=* ]] || die "--variant wants ministack...=ARGS, got '$2'"; variants+=("$2"); shift 2 ;;
    --ministack-args) ministack_args=$2; shift 2 ;;
    --kernel-echo) kernel_echo=$2; shift 2 ;;
    --lock) lock=$2; shift 2 ;;
    --quick) runs=1 bytes=16M connections=500; shift ;;
    --build) build_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
case $bytes in
  *K) bytes=$((${bytes%K} * 1024)) ;;
  *M) bytes=$((${bytes%M} * 1024 * 1024)) ;;
esac
for n in "$runs" "$bytes" "$connections"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -eq 0 ]; then die "not a positive number: '$n'"; fi
done

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN/TAP devices): run it as root or with sudo"
for tool in ip socat python3 timeout flock; do command -v "$tool" >/dev/null || die "'$tool' is missing"; done
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: modprobe tun"
client=$build_dir/tcp_client ministack=$build_dir/ministack
for b in "$client" "$ministack"; do
  [ -x "$b" ] || die "$b is not built: cmake --preset release && cmake --build --preset release"
done

selected=()
for v in "${variants[@]}"; do
  name=${v%%=*}
  if [ -z "$only" ] || [[ ",$only," == *",$name,"* ]]; then selected+=("$v"); fi
done
[ ${#selected[@]} -gt 0 ] || die "no responder matches --responders '$only'"

# Everything this script creates, so that cleanup finds it whatever happened.
workdir=$(mktemp -d /tmp/ministack-tcpecho.XXXXXX)
chmod 755 "$workdir"
install -d -o nobody "$workdir/stats"  # ministack writes its JSON there as nobody
namespaces=() pids=() groups=() ns_serial=0 lock_fd=""
cleanup() {
  set +e
  local p n
  for p in "${groups[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done  # socat and the children it forked
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'echo "tcp_echo.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

new_namespace() {  # creates one, named in $new_ns (not echoed: a $(...) subshell would lose the bookkeeping)
  ns_serial=$((ns_serial + 1))
  new_ns="mstcpecho-$$-$ns_serial"
  ip netns add "$new_ns"
  namespaces+=("$new_ns")
  ip netns exec "$new_ns" ip link set lo up
}
forget() {  # forget LIST-NAME VALUE
  local -n list=$1
  local kept=() x
  for x in "${list[@]}"; do [ "$x" = "$2" ] || kept+=("$x"); done
  list=("${kept[@]}")
}

# The responder of the moment (set by start_responder).
r_name="" r_kind="" r_pid="" r_client_ns="" r_server_ns="" r_counts="" r_log="" r_why=""

start_responder() {
  local spec=$1 args link_mtu dev
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
      # A process group of its own (setsid), so that stopping it stops the children it forked per connection too.
      setsid ip netns exec "$r_server_ns" socat TCP-LISTEN:7,reuseaddr,fork "$kernel_echo" >"$r_log" 2>&1 &
      r_pid=$!
      pids+=("$r_pid")
      groups+=("$r_pid")
      ;;
    ministack*)
      r_kind=ministack
      new_namespace; r_client_ns=$new_ns r_server_ns=$new_ns
      r_counts=$workdir/stats/$r_name.json  # written by ministack as nobody, after it drops root
      # --link-mtu N is the harness's: the host sets the device's MTU once ministack has made it (ministack follows).
      if [[ " $args " =~ \ --link-mtu\ ([0-9]+)\  ]]; then
        link_mtu=${BASH_REMATCH[1]}
        args=$(echo " $args " | sed "s/ --link-mtu $link_mtu / /")
      else
        link_mtu=""
      fi
      # shellcheck disable=SC2086  # ARGS are words
      ip netns exec "$r_client_ns" "$ministack" $args $ministack_args --stats-json "$r_counts" >"$r_log" 2>&1 &
      r_pid=$!
      pids+=("$r_pid")
      if [ -n "$link_mtu" ]; then
        dev=$(echo "$args" | grep -oE -- '--(tun|tap) [^ ]+' | head -1 | cut -d' ' -f2)
        for _ in $(seq 50); do grep -qs "listening on" "$r_log" && break; sleep 0.1; done
        ip -n "$r_client_ns" link set dev "$dev" mtu "$link_mtu" ||
          { r_why="could not set the MTU of $dev to $link_mtu"; return 1; }
        for _ in $(seq 50); do grep -qs "MTU now $link_mtu" "$r_log" && break; sleep 0.1; done
      fi
      ;;
    *) r_why="unknown responder kind '$r_name'"; return 1 ;;
  esac
  # Ready when one echo connection works (this also resolves ARP on TAP).
  local rc=0
  for _ in $(seq 50); do
    rc=0
    ip netns exec "$r_client_ns" "$client" rate 192.168.3.12 7 1 --timeout 2 >/dev/null 2>&1 || rc=$?
    [ "$rc" = 0 ] && return 0
    if ! kill -0 "$r_pid" 2>/dev/null; then
      wait "$r_pid" || rc=$?
      forget pids "$r_pid"
      r_pid=""
      r_why="exited $rc at start: $(tail -1 "$r_log")"
      return 1
    fi
    sleep 0.1
  done
  r_why="no echo connection within 5 s: $(tail -1 "$r_log")"
  return 1
}

stop_responder() {
  if [ -n "$r_pid" ]; then
    if [ "$r_kind" = kernel ]; then
      kill -TERM -- "-$r_pid" 2>/dev/null || true
      forget groups "$r_pid"
    fi
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

# CPU time of the responder, in nanoseconds. ministack: the first field of /proc/PID/task/*/schedstat, all threads
# but io_uring's kernel workers (they come and go). socat: user + system time of the listener and of the children
# it forked per connection and has reaped (/proc/PID/stat utime, stime, cutime, cstime; clock ticks); the kernel's
# TCP work done in softirq is charged to no process, so it is not in this figure.
cpu_ns() {
  local task
  if [ "$r_kind" = kernel ]; then
    awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.0f\n", ($12 + $13 + $14 + $15) * 1e9 / hz}' \
      "/proc/$r_pid/stat" 2>/dev/null || echo 0
    return
  fi
  for task in /proc/"$r_pid"/task/*; do
    case $(cat "$task/comm" 2>/dev/null) in iou-wrk-*) continue ;; esac
    cat "$task/schedstat" 2>/dev/null
  done | awk '{s += $1} END {printf "%.0f\n", s}'
}

# TCP counters of both ends, "SERVER-OUT SERVER-RETRANS CLIENT-OUT CLIENT-RETRANS CLIENT-WINDOW-PROBES": the
# client is always the kernel (its namespace's /proc/net/snmp and netstat); the server is the kernel (the server
# namespace's) or ministack (a fresh --stats-json snapshot: SIGUSR1 makes it rewrite the file).
snmp_tcp() {  # snmp_tcp NS: "OutSegs RetransSegs"
  ip netns exec "$1" cat /proc/net/snmp | awk '/^Tcp:/ {
    if (!n++) { for (i = 2; i <= NF; i++) col[$i] = i } else print $col["OutSegs"], $col["RetransSegs"] }'
}
win_probes() {  # win_probes NS: the kernel's zero-window probes sent (TcpExtTCPWinProbe)
  ip netns exec "$1" cat /proc/net/netstat | awk '/^TcpExt:/ {
    if (!n++) { for (i = 2; i <= NF; i++) col[$i] = i } else print (("TCPWinProbe" in col) ? $col["TCPWinProbe"] : "?") }'
}
tcp_counts() {
  local server
  if [ "$r_kind" = kernel ]; then
    server=$(snmp_tcp "$r_server_ns")
  else
    rm -f "$r_counts"
    kill -USR1 "$r_pid" 2>/dev/null || true
    for _ in $(seq 100); do [ -s "$r_counts" ] && break; sleep 0.02; done
    server=$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["counters"]
print(c["tcpOutSegs"], c["tcpRetransSegs"])' "$r_counts" 2>/dev/null || echo "? ?")
  fi
  echo "$server $(snmp_tcp "$r_client_ns") $(win_probes "$r_client_ns")"
}

results=$workdir/results.tsv
: >"$results"

# run_test RUN bulk|rate: one client run against the responder of the moment, one line of results.
run_test() {
  local run=$1 test=$2 out rc=0 c0 c1 k0 k1 value seconds
  k0=$(tcp_counts)
  c0=$(cpu_ns)
  if [ "$test" = bulk ]; then
    out=$(ip netns exec "$r_client_ns" timeout 40 "$client" bulk 192.168.3.12 7 "$bytes" --timeout 30 2>&1) || rc=$?
  else
    out=$(ip netns exec "$r_client_ns" timeout 60 "$client" rate 192.168.3.12 7 "$connections" --timeout 5 2>&1) ||
      rc=$?
  fi
  [ "$r_kind" != kernel ] || sleep 0.2  # socat reaps the connection's child, whose CPU time then counts
  c1=$(cpu_ns)
  k1=$(tcp_counts)
  if [ "$rc" != 0 ]; then
    echo "  $r_name $test: failed (exit $rc): $out" >&2
    printf '%s\t%s\t%s\tfailed\n' "$run" "$r_name" "$test" >>"$results"
    return 0
  fi
  read -r _ _ _ _ seconds _ value < <(echo "$out" | tail -1)
  # shellcheck disable=SC2086  # the counts are words
  printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\n' "$run" "$r_name" "$test" "$value" "$seconds" $((c1 - c0)) \
    "$(python3 -c 'import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
print("\t".join("?" if "?" in (x, y) else str(int(y) - int(x)) for x, y in zip(a, b)))' "$k0" "$k1")" >>"$results"
  printf '  %-16s %-5s %12s %s in %.3f s, responder CPU %.3f s\n' "$r_name" "$test" "$value" \
    "$([ "$test" = bulk ] && echo MB/s || echo conn/s)" "$seconds" "$(echo "$c0 $c1" | awk '{print ($2 - $1) / 1e9}')" >&2
}

take_lock() { [ -z "$lock" ] || { exec {lock_fd}>>"$lock"; flock "$lock_fd"; }; }
drop_lock() { [ -z "$lock_fd" ] || { flock -u "$lock_fd"; exec {lock_fd}>&-; lock_fd=""; }; }

start_time=$(date +%s)
echo "== ministack TCP echo benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs online, Linux $(uname -r)"
echo "$("$ministack" --version 2>&1 | head -1), $(git -C "$repo" describe --always --dirty 2>/dev/null || echo 'not a git checkout');" \
  "$(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p' | head -1) as the kernel's echo" \
  "(socat TCP-LISTEN:7,reuseaddr,fork $kernel_echo); runs $runs, bulk $bytes bytes, rate $connections connections"
echo "responders: ${selected[*]%%=*}"

skipped=$workdir/skipped.txt
: >"$skipped"
for run in $(seq "$runs"); do
  for spec in "${selected[@]}"; do
    name=${spec%%=*}
    grep -q "^$name"$'\t' "$skipped" && continue
    echo "run $run/$runs: $name" >&2
    take_lock
    if ! start_responder "$spec"; then
      echo "  $name: $r_why" >&2
      printf '%s\t%s\n' "$name" "$r_why" >>"$skipped"
      stop_responder
      drop_lock
      continue
    fi
    for test in bulk rate; do
      run_test "$run" "$test"
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
    drop_lock
  done
done

python3 - "$results" "$skipped" "$bytes" "$connections" <<'EOF'
import statistics, sys
from collections import defaultdict
results, skipped, nbytes, connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows, failures, order = defaultdict(list), defaultdict(int), []
for line in open(results):
    f = line.rstrip("\n").split("\t")
    key = (f[2], f[1])
    if key not in order: order.append(key)
    if f[3] != "ok":
        failures[key] += 1
        continue
    value, seconds, cpu = float(f[4]), float(f[5]), int(f[6])
    counts = [None if x == "?" else int(x) for x in f[7:12]]
    rows[key].append((value, seconds, cpu, counts))

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

stats = {}
for key, samples in rows.items():
    test = key[0]
    per = nbytes / 1e6 if test == "bulk" else connections
    stats[key] = dict(
        value=med([s[0] for s in samples]), low=min(s[0] for s in samples), high=max(s[0] for s in samples),
        cpu=med([s[2] / 1e9 for s in samples]), core=med([100 * s[2] / 1e9 / s[1] for s in samples]),
        per=med([s[2] / 1e3 / per for s in samples]),
        srv=[med([s[3][i] for s in samples]) for i in range(2)],
        cli=[med([s[3][i] for s in samples]) for i in (2, 3, 4)],
        n=len(samples))

def fmt(v, f):
    return "—" if v is None else format(v, f)
units = {"bulk": "MB/s", "rate": "conn/s"}
header = ["test", "responder", "median", "min..max", "×kernel", "CPU s", "% core", "CPU/unit",
          "srv out/retrans", "cli out/retrans/probes", "runs"]
table = [header]
for test in ("bulk", "rate"):
    for key in order:
        if key[0] != test: continue
        name = key[1]
        s = stats.get(key)
        if s is None:
            table.append([test, name, "failed", "", "", "", "", "", "", "", f"0 ({failures[key]} failed)"])
            continue
        base = stats.get((test, "kernel"))
        ratio = fmt(s["value"] / base["value"], ".2f") if base and base["value"] else "—"
        unit = "µs/MB" if test == "bulk" else "µs/conn"
        table.append([test, name, f"{s['value']:.1f} {units[test]}", f"{s['low']:.1f}..{s['high']:.1f}", ratio,
                      fmt(s["cpu"], ".3f"), fmt(s["core"], ".0f"), f"{fmt(s['per'], '.1f')} {unit}",
                      f"{fmt(s['srv'][0], '.0f')}/{fmt(s['srv'][1], '.0f')}",
                      f"{fmt(s['cli'][0], '.0f')}/{fmt(s['cli'][1], '.0f')}/{fmt(s['cli'][2], '.0f')}",
                      str(s["n"]) + (f" ({failures[key]} failed)" if failures[key] else "")])
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
print()
print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
for r in table[1:]:
    print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
print()
print(f"medians over the runs; bulk = {nbytes} bytes echoed through one connection, MB = 10^6 bytes; "
      f"rate = {connections} connections one after another (16 bytes echoed each)")
print("×kernel: over the kernel's (socat's) median in the same test. CPU: the responder's, during the test "
      "(ministack: all its threads; kernel: socat's processes, user + system, the softirq share not included)")
print("srv out/retrans, cli out/retrans/probes: TCP segments sent and retransmitted during the test by the "
      "responder and by the client's kernel (tcpOutSegs, tcpRetransSegs), and the client's zero-window probes "
      "(TcpExtTCPWinProbe)")
for line in open(skipped):
    name, why = line.rstrip("\n").split("\t", 1)
    print(f"not measured: {name}: {why}")
EOF
echo "took $(($(date +%s) - start_time)) s"
