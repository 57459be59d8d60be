#!/usr/bin/env bash
# End-to-end: TCP connections to ministack's echo (RFC 862, port 7) and discard (RFC 863, port 9) services over TAP
# or TUN, in a private network namespace, driven by real Debian clients (socat, OpenBSD nc, hping3) and the Linux
# kernel's own TCP on the host side of the device (issue 11). Checked: 1 MiB echoed byte-exact, the same under packet
# loss, 50 clients at once, 1 MiB into discard, and a service still reachable after a SYN flood.
# Usage: tcp_echo_e2e.sh MINISTACK_BINARY tap|tun
set -uo pipefail
ministack=$1 mode=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v nc >/dev/null && nc -h 2>&1 | grep -q OpenBSD || skip "OpenBSD netcat is not installed (netcat-openbsd)"
command -v socat >/dev/null || skip "socat is not installed"
command -v hping3 >/dev/null || skip "hping3 is not installed (Debian package hping3)"

make_namespace "tcpecho-$mode"
dev=${mode}0
log=$workdir/ministack.log
start_ministack "$log" "--$mode" "$dev"
echo "ministack over ${mode^^} on $dev; $(date +%T)"

# counter NAME: sets $value to NAME's value in a fresh counters table (a variable, not output: fail must run in this
# shell, not in a command substitution's subshell). SIGUSR1 makes ministack print the table to its log while it
# keeps running; each table is appended, from "counters:" to its "system calls" line, so wait for one more complete
# table than before and read the last. A drop reason that never happened is not listed: 0.
counter() {
  local name=$1 before
  before=$(grep -c "^system calls" "$log")
  kill -USR1 "$ms_pid"
  for _ in $(seq 50); do
    [ "$(grep -c "^system calls" "$log")" -gt "$before" ] && break
    sleep 0.1
  done
  [ "$(grep -c "^system calls" "$log")" -gt "$before" ] || fail "SIGUSR1: no new counters table within 5 s"
  value=$(awk -v name="$name" '/^counters:/ { v = 0 } $1 == name { v = $2 } END { print v + 0 }' "$log")
}
# since START: seconds since START (an $EPOCHREALTIME), to a hundredth.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
# tcp_counters: the TCP lines of the latest table, drop reasons included, for a failure message.
tcp_counters() {
  awk '/^counters:/ { n = 0 } $1 ~ /^tcp/ { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }' "$log"
}
# fail_counting MESSAGE: fails with MESSAGE and a fresh table's TCP lines.
fail_counting() { counter tcpInSegs; fail "$1"$'\n'"$(tcp_counters)"; }

# echo_through TAG SECONDS: sends $workdir/TAG.in to the echo port with socat and writes what came back to
# $workdir/TAG.out. At the end of its input socat shuts down only its sending half (a FIN), then keeps reading for up
# to SECONDS (-t) until ministack's FIN, so the whole echo is read, not just what arrived before the input ended.
# -T bounds a connection where nothing moves at all, connect-timeout one that is never answered. Runs in $client_ns if
# set, else beside ministack. Returns socat's exit code.
echo_through() {
  local tag=$1 seconds=$2
  ip netns exec "${client_ns:-$ns}" timeout $((seconds + 30)) socat -t "$seconds" -T "$seconds" - "TCP:192.168.3.12:7,connect-timeout=$seconds" \
    <"$workdir/$tag.in" >"$workdir/$tag.out" 2>"$workdir/$tag.err"
}
# same_bytes TAG: the echo is the input, byte for byte (sha256), with a useful message if not.
same_bytes() {
  local tag=$1 want got
  want=$(sha256sum <"$workdir/$tag.in" | cut -d' ' -f1)
  got=$(sha256sum <"$workdir/$tag.out" | cut -d' ' -f1)
  [ "$want" = "$got" ] && return 0
  echo "$tag: sent $(stat -c %s "$workdir/$tag.in") bytes (sha256 $want)," \
    "got back $(stat -c %s "$workdir/$tag.out") (sha256 $got); first difference: $(cmp "$workdir/$tag.in" \
    "$workdir/$tag.out" 2>&1 | head -1)"
  return 1
}

# 1. The point of the echo service: 1 MiB of random bytes through a real client and the host kernel's TCP comes back
#    identical. A megabyte is ~720 full segments, far more than one window, so it needs flow control both ways,
#    cumulative ACKs, and a clean close from each side (socat half-closes; ministack closes after the peer does).
head -c 1048576 /dev/urandom >"$workdir/bulk.in"
start=$EPOCHREALTIME
rc=0; echo_through bulk 10 || rc=$?
secs=$(since "$start")
[ "$rc" = 0 ] || fail "socat to the echo port exited $rc: $(cat "$workdir/bulk.err")"
msg=$(same_bytes bulk) || fail "1 MiB echo: $msg"
pass "1 MiB of random bytes echoed byte-exact by socat (sha256), in ${secs}s"

# 2. The same under packet loss: the lossless run never needs a retransmission, so it proves nothing about RFC 6298's
#    timer, fast retransmit or the out-of-order arrivals that a hole makes. The issue asks for netem (loss, delay and
#    reordering) on the host side; kernels built without sch_netem refuse it. Then the client moves to a namespace of
#    its own, routed to ministack through ministack's namespace (a veth pair, 192.168.4.0/24, forwarding on), and
#    nftables drops 5% of the forwarded packets each way, at random: a loss on the wire for both TCPs (a drop in the
#    client's own output hook would be none: its TCP sees the send fail and sends again at once), but no delay and
#    no reordering. Which one was used is said in the output; when neither works the test says so and fails, since
#    the issue's "byte-exact under loss" would otherwise go unchecked in silence.
impairment=""
if in_ns tc qdisc add dev "$dev" root netem loss 5% delay 5ms reorder 10% 2>"$workdir/tc.err"; then
  impairment="netem on the host side of $dev: loss 5%, delay 5ms, reorder 10%"
else
  echo "note: netem is not available ($(tr '\n' ' ' <"$workdir/tc.err")); trying a routed client and nftables"
  add_namespace "tcpecho-$mode-client"
  lossy_ns=$added_ns
  if ! command -v nft >/dev/null; then
    echo "note: nftables cannot drop packets here: nft is not installed (Debian package nftables)"
  elif in_ns ip link add vr type veth peer name vc netns "$lossy_ns" &&
    in_ns ip addr add 192.168.4.1/24 dev vr && in_ns ip link set vr up &&
    ip -n "$lossy_ns" addr add 192.168.4.2/24 dev vc && ip -n "$lossy_ns" link set vc up &&
    ip -n "$lossy_ns" route add default via 192.168.4.1 && in_ns sysctl -qw net.ipv4.ip_forward=1 &&
    in_ns nft -f - 2>"$workdir/nft.err" <<EOF; then
table inet ministack_loss {
  chain impair {
    type filter hook forward priority 0; policy accept;
    numgen random mod 100 < 5 counter drop
  }
}
EOF
    client_ns=$lossy_ns
    impairment="nftables: 5% of the packets each way dropped at random, the client routed to ministack through"
    impairment+=" its namespace; no delay, NO REORDERING (the kernel has no netem)"
  else
    echo "note: a routed client with nftables cannot be set up here: $(tr '\n' ' ' <"$workdir/nft.err" 2>/dev/null)"
  fi
fi
if [ -z "$impairment" ]; then
  echo "FAILED: no way to drop packets on this machine (no netem, no nftables): the echo under loss is NOT checked"
  lossy_failed=1
else
  echo "impairment: $impairment"
  counter tcpRetransSegs; retrans_before=$value
  counter tcp_out_of_order; ooo_before=$value
  head -c 1048576 /dev/urandom >"$workdir/lossy.in"
  start=$EPOCHREALTIME
  rc=0; echo_through lossy 20 || rc=$?
  secs=$(since "$start")
  counter tcpRetransSegs; retrans=$((value - retrans_before))
  counter tcp_out_of_order; ooo=$((value - ooo_before))
  # What was dropped: nftables' counters, or netem's in tc -s (one of the two is there).
  dropped=$({ in_ns nft list table inet ministack_loss | grep -o 'packets [0-9]*'
    in_ns tc -s qdisc show dev "$dev" | grep -o 'dropped [0-9]*'; } 2>/dev/null | awk '{s += $2} END {print s + 0}')
  # Lift the impairment before judging, so that the checks below run on a clean link whatever happens here.
  in_ns tc qdisc del dev "$dev" root 2>/dev/null
  in_ns nft delete table inet ministack_loss 2>/dev/null
  client_ns=""
  [ "$rc" = 0 ] || fail "under loss, socat to the echo port exited $rc after ${secs}s: $(cat "$workdir/lossy.err")"
  msg=$(same_bytes lossy) || fail_counting "1 MiB echo under loss (${secs}s, tcpRetransSegs +$retrans):"$'\n'"$msg"
  # Retransmission did happen: without it the bytes could not all be there, but this says that the loss really hit
  # ministack's side (a loss only the host's TCP repaired would leave tcpRetransSegs unchanged).
  [ "$retrans" -gt 0 ] || fail "1 MiB echoed under loss, but tcpRetransSegs did not grow ($dropped packets dropped)"
  pass "1 MiB echoed byte-exact under loss in ${secs}s ($impairment; $dropped packets dropped," \
    "tcpRetransSegs +$retrans, data past a hole dropped at the out-of-order cap (tcp_out_of_order) +$ooo)"
fi

# 3. 50 clients at once: connections are kept apart by their 4-tuple, and each has its own queue and window. Each nc
#    sends a distinct few KB, then holds its sending half open until all 50 are ESTABLISHED together (a gate file),
#    so they really overlap; then each half-closes (-N) and must read back exactly its own bytes. Afterwards every
#    connection must be gone: tcpCurrEstab (ESTABLISHED + CLOSE-WAIT, RFC 4022) back to 0.
clients=50
go=$workdir/go
client_pids=()
for i in $(seq "$clients"); do
  head -c $((2048 + i * 97)) /dev/urandom >"$workdir/c$i.in"
  # The gate loop is bounded (10 s) and timeout bounds each client as a whole.
  ip netns exec "$ns" timeout 40 bash -c '
    { cat "$1"; for _ in $(seq 200); do [ -e "$3" ] && break; sleep 0.05; done; } |
      nc -N -w 15 192.168.3.12 7 >"$2"' _ "$workdir/c$i.in" "$workdir/c$i.out" "$go" 2>"$workdir/c$i.err" &
  client_pids+=($!)
  pids+=($!)
done
peak=0
for _ in $(seq 40); do
  counter tcpCurrEstab; peak=$value
  [ "$peak" -ge "$clients" ] && break
  sleep 0.2
done
touch "$go"
[ "$peak" = "$clients" ] || echo "note: tcpCurrEstab reached $peak of $clients before the gate opened"
bad=()
for i in $(seq "$clients"); do
  rc=0; wait "${client_pids[$((i - 1))]}" || rc=$?
  if [ "$rc" != 0 ]; then
    bad+=("client $i: nc exited $rc $(cat "$workdir/c$i.err")")
  elif ! msg=$(same_bytes "c$i"); then
    bad+=("$msg")
  fi
done
[ ${#bad[@]} = 0 ] ||
  fail_counting "${#bad[@]} of $clients concurrent clients failed:"$'\n'"$(printf '%s\n' "${bad[@]}")"
[ "$peak" = "$clients" ] || fail "all $clients echoes came back, but tcpCurrEstab never reached $clients at once"
pass "$clients nc clients at once (tcpCurrEstab $peak): each got its own 2-7 KB back byte-exact"
for _ in $(seq 50); do
  counter tcpCurrEstab; estab=$value
  [ "$estab" = 0 ] && break
  sleep 0.1
done
[ "$estab" = 0 ] || fail_counting "5 s after $clients clients closed, tcpCurrEstab is $estab, want 0:"
pass "tcpCurrEstab back to 0 after the $clients clients closed"

# 4. Discard (RFC 863): 1 MiB is accepted (nc half-closes, then reads ministack's FIN: exit 0) and nothing comes back.
#    The count of arrived segments says the bytes went to ministack rather than nowhere: at most one MSS (1460 bytes
#    at MTU 1500) per segment, so 1 MiB needs at least 719 of them.
head -c 1048576 /dev/urandom >"$workdir/discard.in"
counter tcpInSegs; in_before=$value
rc=0
in_ns timeout 40 nc -N -w 10 192.168.3.12 9 <"$workdir/discard.in" >"$workdir/discard.out" 2>"$workdir/discard.err" ||
  rc=$?
counter tcpInSegs; in_segs=$((value - in_before))
[ "$rc" = 0 ] || fail "nc to the discard port exited $rc: $(cat "$workdir/discard.err")"
[ ! -s "$workdir/discard.out" ] || fail "the discard port sent back $(stat -c %s "$workdir/discard.out") bytes"
[ "$in_segs" -ge 719 ] || fail "1 MiB to the discard port, but tcpInSegs grew by only $in_segs, want >= 719"
pass "1 MiB to the discard port: nc exit 0, nothing back, tcpInSegs +$in_segs"

# 5. A SYN flood (RFC 4987), last since it may leave ministack unable to accept: 10 s of hping3 -S --flood at the echo
#    port, each SYN from a new source port, each asking for a half-open connection. The host kernel would answer every
#    SYN-ACK with a RST (hping3's SYNs come from no socket) and so free each half-open slot at once; a real flood's
#    spoofed sources answer nothing, so where nftables works the host's RSTs to ministack are dropped for the rest of
#    the test, and the half-open slots stay taken as in a real attack. Then a normal client must still be served
#    within a few seconds (SYN cookies, RFC 4987 §3.6): a flood must not lock clients out.
if in_ns nft -f - 2>"$workdir/nft.err" <<EOF; then
table inet ministack_spoof {
  chain no_rst { type filter hook output priority 0; policy accept; oifname "$dev" tcp flags rst counter drop; }
}
EOF
  flood_kind="the host's RSTs to ministack dropped, as from spoofed sources"
else
  flood_kind="the host's RSTs NOT dropped (nftables does not work here), so each one frees a half-open slot"
fi
counter tcpPassiveOpens; passive_before=$value
counter tcp_syn_queue_full; full_before=$value
counter TcpExtSyncookiesSent; cookies_before=$value
ip netns exec "$ns" timeout -s INT -k 3 10 hping3 -S --flood -p 7 192.168.3.12 >"$workdir/hping.log" 2>&1 &
hping_pid=$!
pids+=("$hping_pid")
rc=0; wait "$hping_pid" || rc=$?
# timeout exits 124 when it had to stop hping3, as it must here: a flood does not end by itself.
[ "$rc" = 124 ] ||
  fail "hping3 --flood exited $rc, want 124 (stopped by timeout after 10 s): $(cat "$workdir/hping.log")"
flood_stats=$(grep -m1 "packets transmitted" "$workdir/hping.log")
counter tcpPassiveOpens; passive=$((value - passive_before))
counter tcp_syn_queue_full; full=$((value - full_before))
counter TcpExtSyncookiesSent; cookies=$((value - cookies_before))
echo "flood ($flood_kind): hping3: ${flood_stats:-no statistics}; tcpPassiveOpens +$passive," \
  "TcpExtSyncookiesSent +$cookies, SYNs dropped at the half-open cap (tcp_syn_queue_full) +$full"
printf 'after the flood %s\n' "$(date +%s)" >"$workdir/after.in"
start=$EPOCHREALTIME
served=""
# 3 attempts of at most 2 s each (Linux sends the SYN again after 1 s), bounded at about 7 s in all.
for attempt in 1 2 3; do
  rc=0; echo_through after 2 || rc=$?
  if [ "$rc" = 0 ] && same_bytes after >/dev/null; then served=$attempt; break; fi
  sleep 0.5
done
secs=$(since "$start")
if [ -z "$served" ]; then
  counter tcpInSegs
  flood_failed="after 10 s of SYN flood ($flood_kind), 3 connections to the echo port in ${secs}s all failed (last:
socat exit $rc, $(cat "$workdir/after.err")); counters:
$(tcp_counters)"
  echo "FAILED: $flood_failed"
else
  counter TcpExtSyncookiesRecv
  pass "after 10 s of SYN flood ($flood_kind), a connection to the echo port was served (attempt $served, ${secs}s;" \
    "TcpExtSyncookiesRecv $value)"
fi

stop_ministack "$ms_pid"
[ -z "${flood_failed:-}" ] || fail "the SYN flood locked clients out (above)"
[ -z "${lossy_failed:-}" ] || fail "every other check passed, but the echo under loss could not be checked (above)"
echo "e2e tcp echo over ${mode^^}: all checks passed; loss: ${impairment}"
