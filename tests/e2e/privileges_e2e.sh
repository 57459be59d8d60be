#!/usr/bin/env bash
# Least privilege, proved on a live ministack started as root in a private network namespace: after setup it runs
# as nobody with no capabilities in any set, no_new_privs and a seccomp filter (/proc/PID/status), and still answers
# ping, writes its JSON counters on SIGUSR1, and on SIGTERM or SIGHUP exits 0 with a complete capture. Output paths
# the confined user cannot write, and users that do not exist, fail at start with exit 1.
# Usage: privileges_e2e.sh MINISTACK_BINARY
set -uo pipefail
ministack=$1
. "$(dirname "$0")/lib.sh"
require_root_and_tun
command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils || skip "iputils-ping is not installed"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
id nobody >/dev/null 2>&1 || skip "there is no user nobody to change to"

make_namespace priv
chmod 755 "$workdir"  # the confined user must reach its output directory
out=$workdir/out
install -d -o nobody "$out"
stats=$out/stats.json
capture=$workdir/live.pcap

# status_field NAME: the value of one line of /proc/PID/status of the running ministack.
status_field() { sed -n "s/^$1:\t//p" "/proc/$ms_pid/status"; }

start_ministack "$workdir/run1.log" --tap tap0 --pcap "$capture" --stats-json "$stats"
nobody_uid=$(id -u nobody) nobody_gid=$(id -g nobody)
for f in Uid Gid; do
  want=$([ $f = Uid ] && echo "$nobody_uid" || echo "$nobody_gid")
  # Real, effective, saved and filesystem ids: all four changed, none left at 0.
  [ "$(status_field $f)" = "$(printf '%s\t%s\t%s\t%s' "$want" "$want" "$want" "$want")" ] ||
    fail "$f is '$(status_field $f)', expected $want in all four places"
done
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
  [ "$(status_field $f)" = 0000000000000000 ] || fail "$f is $(status_field $f), expected 0000000000000000"
done
[ "$(status_field NoNewPrivs)" = 1 ] || fail "NoNewPrivs is $(status_field NoNewPrivs), expected 1"
[ "$(status_field Seccomp)" = 2 ] || fail "Seccomp is $(status_field Seccomp), expected 2 (filter mode)"
pass "/proc/$ms_pid/status: Uid and Gid $nobody_uid/$nobody_gid, every capability set 0, NoNewPrivs 1, Seccomp 2"
grep -q "confined: running as nobody" "$workdir/run1.log" || fail "the log does not say it is confined"

grep -q '"icmpOutEchoReps": 0' "$stats" || fail "no JSON counters written at start: $(cat "$stats" 2>&1)"
pass "--stats-json written at start, by the confined process"

ping_out=$(in_ns ping -n -c 5 -i 0.2 -W 2 192.168.3.12 2>&1)
echo "$ping_out" | grep -q " 0% packet loss" || fail "ping after the drop:"$'\n'"$ping_out"
pass "ping -c 5 answered after the drop (0% loss)"

kill -USR1 "$ms_pid"
for _ in $(seq 30); do grep -qs '"icmpOutEchoReps": 5' "$stats" && break; sleep 0.1; done
grep -q '"icmpOutEchoReps": 5' "$stats" || fail "SIGUSR1 did not rewrite the JSON: $(cat "$stats" 2>&1)"
ls "$out" | grep -v '^stats.json$' && fail "temporary files left beside the JSON"
pass "SIGUSR1: JSON rewritten whole (5 echo replies), no temporary left"

stop_ministack "$ms_pid"
grep -q "stopped:" "$workdir/run1.log" || fail "no summary on SIGTERM"
# The capture, opened before the drop, is complete: every request, each followed by its own reply.
dump=$(tcpdump -nr "$capture" icmp 2>&1) || fail "tcpdump cannot read the capture:"$'\n'"$dump"
pairs=$(echo "$dump" | grep -o "ICMP echo re[a-z]*, id [0-9]*, seq [0-9]*" | sed 's/ICMP echo //' | paste -d' ' - -)
[ "$(echo "$pairs" | wc -l)" = 5 ] || fail "capture: expected 5 request/reply pairs:"$'\n'"$dump"
echo "$pairs" | awk '$1 != "request," || $6 != "reply," || $3 != $8 || $5 != $10 { bad = 1 } END { exit bad }' ||
  fail "capture: a request not followed by its own reply:"$'\n'"$pairs"
pass "SIGTERM: exit 0, and the capture holds all 5 requests, each followed by its reply"

# SIGHUP ends it like SIGTERM: exit 0, the summary, the counters at exit.
start_ministack "$workdir/run2.log" --tap tap0 --stats-json "$stats"
in_ns ping -n -c 2 -i 0.2 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "ping before SIGHUP"
kill -HUP "$ms_pid"
rc=0
wait "$ms_pid" || rc=$?
[ "$rc" = 0 ] || fail "ministack exited $rc on SIGHUP, expected 0"
grep -q "stopped:" "$workdir/run2.log" || fail "no summary on SIGHUP"
grep -q '"icmpOutEchoReps": 2' "$stats" || fail "no JSON counters at exit after SIGHUP: $(cat "$stats" 2>&1)"
pass "SIGHUP: exit 0, summary and JSON counters at exit"

# Failures at start, before the stack listens: exit 1, with what to do.
expect_start_failure() {
  local what=$1 pattern=$2; shift 2
  local log=$workdir/fail.log rc=0
  in_ns timeout 10 "$ministack" "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1:"$'\n'"$(cat "$log")"
  grep -q "listening on" "$log" && fail "$what: it started listening before failing"
  grep -Eq "$pattern" "$log" || fail "$what: the message does not say '$pattern':"$'\n'"$(cat "$log")"
  pass "$what: exit 1 at start: $(grep -o "error: .*" "$log" | cut -c1-110)..."
}
install -d -m 0755 "$workdir/rootonly"
expect_start_failure "--stats-json in a directory nobody cannot write" "runs as nobody.*install -d -o nobody" \
  --tap tap0 --stats-json "$workdir/rootonly/stats.json"
expect_start_failure "--stats-json in a missing directory" "No such file or directory" \
  --tap tap0 --stats-json "$workdir/missing/stats.json"
expect_start_failure "--user that does not exist" "no such user" --tap tap0 --user ministack-no-such-user
# (uid_t)-1 means "unchanged" to setresuid: it must not leave ministack as root.
expect_start_failure "--user 4294967295" "no such user" --tap tap0 --user 4294967295

# stdout on a character device: glibc's first write there asks isatty() (ioctl TCGETS), which the filter allows.
ip netns exec "$ns" "$ministack" --tap tap0 --trace >/dev/null 2>"$workdir/devnull.log" &
ms_pid=$!
pids+=("$ms_pid")
logs+=("$workdir/devnull.log")
for _ in $(seq 50); do grep -qs "listening on" "$workdir/devnull.log" && break; sleep 0.1; done
in_ns ping -n -c 2 -i 0.2 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "ping with stdout on /dev/null"
kill -USR1 "$ms_pid"
sleep 0.2
stop_ministack "$ms_pid"
pass "stdout on /dev/null with --trace: pings answered, SIGUSR1 and SIGTERM, exit 0 (not killed by the filter)"

# --user root keeps uid 0 (for those who must) but still no capabilities and the filter.
start_ministack "$workdir/run3.log" --tap tap0 --user root
[ "$(status_field Uid | cut -f1)" = 0 ] || fail "--user root: Uid is $(status_field Uid)"
[ "$(status_field CapEff)" = 0000000000000000 ] && [ "$(status_field Seccomp)" = 2 ] ||
  fail "--user root: CapEff $(status_field CapEff), Seccomp $(status_field Seccomp)"
in_ns ping -n -c 2 -i 0.2 -W 2 192.168.3.12 >/dev/null 2>&1 || fail "ping with --user root"
stop_ministack "$ms_pid"
pass "--user root: uid 0 kept, CapEff 0, Seccomp 2, ping answered"
