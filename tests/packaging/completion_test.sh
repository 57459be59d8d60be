#!/usr/bin/env bash
# scripts/completion/ministack, sourced in bash with bash-completion and called as bash calls it (COMP_WORDS,
# COMP_CWORD): options, the explain and tunnel commands, devices for --tap from /sys/class/net (TUN devices alone for
# the tunnel's --tun), capture files for --replay, values for --io and --color=; every long option of --help among
# the options it offers, every one of `explain --help` after `explain`, and after `tunnel` exactly the long options
# of `ministack tunnel --help`.
# Usage: completion_test.sh MINISTACK COMPLETION_FILE PCAPS_DIR
set -uo pipefail
ministack=$1 completion=$(realpath "$2") pcaps=$3
. "$(dirname "$0")/lib.sh"
bash_completion=/usr/share/bash-completion/bash_completion
[ -r "$bash_completion" ] || skip "bash-completion is not installed ($bash_completion)"

# complete LINE: what the completion offers for LINE (cursor at its end), one per line, sorted. Words split as
# readline splits them (COMP_WORDBREAKS: "=" is a word of its own).
complete_line() {
  (cd "$pcaps" && bash --norc -c '
    source "$1"; source "$2"
    line=$3
    read -ra COMP_WORDS <<<"${line//=/ = }"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
    _ministack ministack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$bash_completion" "$completion" "$1")
}

# expect LINE WANT...: the completion of LINE offers exactly WANT.
expect() {
  local line=$1; shift
  local got want
  got=$(complete_line "$line")
  want=$(printf "%s\n" "$@" | sort)
  [ "$got" = "$want" ] || fail "completing '$line': got [$(echo $got)], expected [$(echo $want)]"
  pass "'$line' -> $(echo $got)"
}

expect "ministack --ta" --tap
expect "ministack --tcp-max-" --tcp-max-buffer --tcp-max-connections --tcp-max-half-open
expect "ministack ex" explain
expect "ministack tu" tunnel
expect "ministack --udp-" --udp-listen --udp-peer
expect "ministack tunnel --pe" --peer
expect "ministack tunnel --lo" --local --log-level
expect "ministack tunnel --log-level " debug error info warning
expect "ministack tunnel --pcap tap_ping6_s" tap_ping6_s1452.pcap tap_ping6_s4000.pcap
expect "ministack tunnel --tun tun0 --peer 10.0.0.2:4789 --tr" --trace
expect "ministack --io " auto poll uring
expect "ministack --color=al" always
expect "ministack --replay tap_ping6_s" tap_ping6_s1452.pcap tap_ping6_s4000.pcap
expect "ministack explain tap_ping6_s" tap_ping6_s1452.pcap tap_ping6_s4000.pcap
expect "ministack explain tap_ping.pcap --no-" --no-ipv6
mapfile -t devices < <(ls /sys/class/net)
[ ${#devices[@]} -gt 0 ] || skip "/sys/class/net lists no devices"
expect "ministack --tap " "${devices[@]}"
expect "ministack --tun ${devices[0]:0:1}" $(printf "%s\n" "${devices[@]}" | grep "^${devices[0]:0:1}")
# TUN devices: no link-layer address (type 65534, ARPHRD_NONE) and TUN/TAP flags; often none outside a namespace.
tun_devices=()
for d in "${devices[@]}"; do
  [ -e "/sys/class/net/$d/tun_flags" ] && [ "$(cat "/sys/class/net/$d/type")" = 65534 ] && tun_devices+=("$d")
done
expect "ministack tunnel --tun " "${tun_devices[@]}"

offered=$(complete_line "ministack --")
options=$("$ministack" --help 2>&1 | help_options)
[ "$(echo "$options" | wc -l)" -ge 30 ] || fail "ministack --help named only: $options"
missing=()
for opt in $options; do
  grep -qx -- "$opt" <<<"$offered" || missing+=("$opt")
done
[ ${#missing[@]} = 0 ] || fail "options in --help that the completion does not offer: ${missing[*]}"
pass "every long option of --help is offered"

# explain's own options (--html) are offered after `explain`, not before it.
offered=$(complete_line "ministack explain tap_ping.pcap --")
explain_options=$("$ministack" explain --help 2>&1 | help_options)
missing=()
for opt in $explain_options; do
  grep -qx -- "$opt" <<<"$offered" || missing+=("$opt")
done
[ ${#missing[@]} = 0 ] || fail "options in explain --help that the completion does not offer after explain: ${missing[*]}"
pass "every long option of explain --help is offered after explain"

offered=$(complete_line "ministack tunnel --")
tunnel_options=$(tunnel_long_options "$ministack")
[ "$(echo "$tunnel_options" | wc -l)" -ge 10 ] || fail "ministack tunnel --help named only: $tunnel_options"
missing=()
for opt in $tunnel_options; do
  grep -qx -- "$opt" <<<"$offered" || missing+=("$opt")
done
[ ${#missing[@]} = 0 ] || fail "options in tunnel --help that the completion does not offer after tunnel: ${missing[*]}"
extra=$(comm -23 <(grep -- '^--' <<<"$offered" | sort -u) <(echo "$tunnel_options"))
[ -z "$extra" ] || fail "options offered after tunnel that tunnel --help does not name: ${extra//$'\n'/ }"
pass "after tunnel, exactly the long options of tunnel --help are offered"
