#!/usr/bin/env bash
# End-to-end: TCP to a closed port against ministack on TAP or TUN, in a private network namespace (issue 11).
# A real nc is refused; hand-made segments that are damaged (bad checksum, data offset 4) get nothing, a RST gets
# nothing, and a SYN after them still gets its RST (RFC 9293 §3.10.7.1). What ministack sent is read from a tcpdump
# on the host side of the device, not from ministack's own capture, and its TCP counters (RFC 4022) must agree.
# Usage: tcp_e2e.sh MINISTACK_BINARY tap|tun
set -uo pipefail
ministack=$1 mode=$2
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v nc >/dev/null && nc -h 2>&1 | grep -q OpenBSD || skip "OpenBSD netcat is not installed (netcat-openbsd)"
command -v hping3 >/dev/null || skip "hping3 is not installed (Debian package hping3)"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"

make_namespace "tcp-$mode"
dev=${mode}0
log=$workdir/ministack.log
# After setup ministack runs as nobody: its JSON goes where that user may replace files.
chmod 755 "$workdir"
install -d -o nobody "$workdir/stats"
stats_json=$workdir/stats/stats.json
start_ministack "$log" "--$mode" "$dev" --stats-json "$stats_json"

# The host side's view, started before any segment: every TCP segment and ICMP message either way. ICMP too, since
# a damaged segment must draw no ICMP error either (before TCP, ministack answered TCP with protocol unreachable).
capture=$workdir/host.pcap
tcpdump_log=$workdir/tcpdump.log
logs+=("$tcpdump_log")
# -Z root: write the file as root (tcpdump's own user may not write the scratch directory). ip netns exec, not the
# in_ns function: a backgrounded function is a subshell, whose PID would not pass SIGINT on to tcpdump.
ip netns exec "$ns" tcpdump -i "$dev" -w "$capture" -U --immediate-mode -n -Z root 'tcp or icmp' 2>"$tcpdump_log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do grep -q "listening on" "$tcpdump_log" && break; sleep 0.1; done
grep -q "listening on" "$tcpdump_log" || fail "tcpdump on $dev did not start listening within 5 s"

# 1. What a user sees, the point of the issue: connect() to a closed port is refused at once (a RST+ACK), not
#    "Protocol not available" (an ICMP protocol unreachable) and not a time-out (nothing at all). nc exits 1.
rc=0
out=$(in_ns nc -vz -w 2 192.168.3.12 80 2>&1) || rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "Connection refused" ||
  fail "nc -vz to port 80: exit $rc, want 1 and 'Connection refused':"$'\n'"$out"
pass "nc -vz 192.168.3.12 80: $out"

# hping3 ONE-ARGS...: one segment to port 80 from a fixed source port (-k keeps it), waiting 1 s for an answer;
# hping3 exits 0 if something came back, 1 if nothing did.
hping() { in_ns hping3 -c 1 -p 80 -k "$@" 192.168.3.12 >"$workdir/hping.log" 2>&1; }

# 2. A SYN with a bad checksum (RFC 9293 §3.1): it may be damaged anywhere, ports included, so nothing may answer
#    it, neither a RST nor an ICMP error.
hping -S -s 41000 --badcksum && fail "a SYN with a bad checksum was answered:"$'\n'"$(cat "$workdir/hping.log")"
# 3. A SYN whose data offset says 4 words, shorter than the 20-byte header: no header to answer from, so nothing.
hping -S -s 41001 -O 4 && fail "a SYN with data offset 4 was answered:"$'\n'"$(cat "$workdir/hping.log")"
# 4. A RST to a closed port: never a RST about a RST (§3.10.7.1), or two stacks could answer each other forever.
hping -R -s 41002 -M 7000 && fail "a RST to a closed port was answered:"$'\n'"$(cat "$workdir/hping.log")"
pass "bad checksum, data offset 4, a RST: hping3 got no answer"
# 5. After them, a valid SYN is still refused: the damaged segments were dropped and left nothing behind.
hping -S -s 41003 -M 6000 ||
  fail "a SYN to port 80 after the damaged ones got no answer:"$'\n'"$(cat "$workdir/hping.log")"
grep -q "flags=RA" "$workdir/hping.log" || fail "the SYN's answer is not RST+ACK:"$'\n'"$(cat "$workdir/hping.log")"
pass "a SYN to port 80 afterwards: RST+ACK"

sleep 0.3  # anything late belongs in the capture too
kill -INT "$tcpdump_pid"
rc=0; wait "$tcpdump_pid" || rc=$?
[ "$rc" = 0 ] || fail "tcpdump exited $rc"

# The host side saw exactly two segments from ministack, both RSTs, and no ICMP: hping3's silence above could also
# mean an answer it failed to read.
# -S: absolute sequence numbers (tcpdump would print some relative to the flow's first).
from_us() { tcpdump -nSr "$capture" "src host 192.168.3.12 and ($1)" 2>/dev/null; }
dump=$(tcpdump -nSr "$capture" 2>&1)
[ -z "$(from_us icmp)" ] || fail "ministack sent ICMP about TCP:"$'\n'"$dump"
for port in 41000 41001 41002; do
  # Not vacuous: the segment did go out on the device.
  [ -n "$(tcpdump -nr "$capture" "src host 192.168.3.11 and tcp src port $port" 2>/dev/null)" ] ||
    fail "the segment from port $port is not in the host-side capture:"$'\n'"$dump"
  [ -z "$(from_us "tcp dst port $port")" ] || fail "ministack answered the segment from port $port:"$'\n'"$dump"
done
sent=$(from_us tcp | wc -l)
[ "$sent" = 2 ] || fail "ministack sent $sent TCP segments, want 2 (nc's RST and the last SYN's):"$'\n'"$dump"
# <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> for a SYN without ACK: SEG.LEN is 1, the SYN itself.
nc_syn='dst host 192.168.3.12 and tcp dst port 80 and not tcp src portrange 41000-41003'
syn=$(tcpdump -nSr "$capture" "$nc_syn" 2>/dev/null | grep -m1 "Flags \[S\]")
nc_port=$(echo "$syn" | sed -E 's/.*192\.168\.3\.11\.([0-9]+) >.*/\1/')
nc_seq=$(echo "$syn" | sed -E 's/.*Flags \[S\], seq ([0-9]+),.*/\1/')
[[ $nc_port =~ ^[0-9]+$ && $nc_seq =~ ^[0-9]+$ ]] || fail "nc's SYN is not in the capture:"$'\n'"$dump"
nc_ack=$(((nc_seq + 1) % 4294967296))  # sequence space wraps at 2^32
from_us "tcp dst port $nc_port" | grep -q "Flags \[R\.\], seq 0, ack $nc_ack, win 0, length 0" ||
  fail "nc's SYN (seq $nc_seq) was not answered with RST+ACK seq 0 ack $nc_ack:"$'\n'"$dump"
from_us "tcp dst port 41003" | grep -q "Flags \[R\.\], seq 0, ack 6001, win 0, length 0" ||
  fail "the last SYN (seq 6000) was not answered with RST+ACK seq 0 ack 6001:"$'\n'"$dump"
pass "host side: 2 RST+ACKs (ack = SYN's seq + 1), nothing for the damaged segments or the RST, no ICMP"

# The counters say the same (RFC 4022): two RSTs sent; the two damaged segments counted as errors (the RST is no
# error). SIGUSR1 prints the table while ministack keeps running.
kill -USR1 "$ms_pid"
for _ in $(seq 30); do grep -q "tcpOutRsts" "$log" && break; sleep 0.1; done
grep -Eq "^ +tcpOutRsts +2 " "$log" || fail "SIGUSR1: tcpOutRsts is not 2:"$'\n'"$(grep -E 'tcp|^counters' "$log")"
grep -Eq "^ +tcpInErrs +2 " "$log" || fail "SIGUSR1: tcpInErrs is not 2:"$'\n'"$(grep -E 'tcp|^counters' "$log")"
pass "SIGUSR1: tcpOutRsts 2, tcpInErrs 2"
stop_ministack "$ms_pid"
grep -q '"tcpOutRsts": 2' "$stats_json" && grep -q '"tcpInErrs": 2' "$stats_json" ||
  fail "the JSON at exit lacks tcpOutRsts 2 or tcpInErrs 2:"$'\n'"$(grep tcp "$stats_json")"
pass "--stats-json at exit: tcpOutRsts 2, tcpInErrs 2"
echo "e2e tcp over ${mode^^}: all checks passed"
