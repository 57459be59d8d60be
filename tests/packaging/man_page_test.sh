#!/usr/bin/env bash
# docs/ministack.1: renders with neither groff nor man warning, documents every long option that --help names, and
# names no long option that --help does not (a documented option that does not exist, as -V and --filter once were);
# the same between `ministack tunnel --help` and the tunnel's entry under COMMANDS, which must name no other.
# Usage: man_page_test.sh MINISTACK MAN_PAGE PROJECT_VERSION
set -uo pipefail
ministack=$1 page=$2 version=$3
. "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || skip "groff is not installed (Debian: groff-base)"
command -v man >/dev/null || skip "man is not installed (Debian: man-db)"

out=$(groff -man -ww -z "$page" 2>&1)
[ -z "$out" ] || fail "groff -man -ww warns:"$'\n'"$out"
pass "groff -man -ww -z: no warnings"
out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
[ -z "$out" ] || fail "man --warnings warns:"$'\n'"$out"
text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS SIGNALS "EXIT STATUS" FILES ENVIRONMENT EXAMPLES \
               "SEE ALSO"; do
  grep -qx "$section" <<<"$text" || fail "the rendered page has no $section section"
done
pass "man -l renders with every section"
long=$(echo "$text" | awk 'length > 80')
[ -z "$long" ] || fail "lines wider than 80 columns at MANWIDTH=80:"$'\n'"$long"
grep -q "^\.TH MINISTACK 1 .*\"ministack $version\"" <<<"$(head -n 5 "$page")" || fail "the .TH line does not name version $version"
pass ".TH names version $version"

# The options as the source spells them (\- for -), fonts dropped.
source_text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")
options=$(help_long_options "$ministack")
[ "$(echo "$options" | wc -l)" -ge 30 ] || fail "ministack --help named only: $options"
missing=()
for opt in $options; do
  grep -qE -- "(^|[^a-z0-9-])${opt}([^a-z0-9-]|\$)" <<<"$source_text" || missing+=("$opt")
done
[ ${#missing[@]} = 0 ] || fail "options in --help that the man page does not document: ${missing[*]}"
pass "all $(echo "$options" | wc -l) long options of --help are in the man page"
tunnel_options=$(tunnel_long_options "$ministack")
documented=$(grep -oE -- '(^|[^a-z0-9-])--[a-z0-9][a-z0-9-]*' <<<"$source_text" | grep -oE -- '--[a-z0-9][a-z0-9-]*' |
  sort -u)
unknown=$(comm -23 <(echo "$documented") <(sort -u <(echo "$options") <(echo "$tunnel_options")))
[ -z "$unknown" ] || fail "options in the man page that --help does not name: $(echo $unknown)"
pass "every long option the man page names is in --help or tunnel --help"

# The tunnel's entry: from ".B tunnel" under COMMANDS to the end of its option list (.RE).
tunnel_text=$(awk '/^\.SH COMMANDS/ { commands = 1 } commands && /^\.B tunnel( |$)/ { entry = 1 }
                   entry { print } entry && /^\.RE/ { exit }' <<<"$source_text")
[ -n "$tunnel_text" ] || fail "the man page has no tunnel entry under COMMANDS (.B tunnel ... .RE)"
[ "$(echo "$tunnel_options" | wc -l)" -ge 10 ] || fail "ministack tunnel --help named only: $tunnel_options"
missing=()
for opt in $tunnel_options; do
  grep -qE -- "(^|[^a-z0-9-])${opt}([^a-z0-9-]|\$)" <<<"$tunnel_text" || missing+=("$opt")
done
[ ${#missing[@]} = 0 ] || fail "options in tunnel --help that the man page's tunnel entry does not document: ${missing[*]}"
pass "all $(echo "$tunnel_options" | wc -l) long options of tunnel --help are in the tunnel's entry"
in_entry=$(grep -oE -- '(^|[^a-z0-9-])--[a-z0-9][a-z0-9-]*' <<<"$tunnel_text" | grep -oE -- '--[a-z0-9][a-z0-9-]*' |
  sort -u)
unknown=$(comm -23 <(echo "$in_entry") <(echo "$tunnel_options"))
[ -z "$unknown" ] || fail "options in the man page's tunnel entry that tunnel --help does not name: ${unknown//$'\n'/ }"
pass "every long option the tunnel's entry names is in tunnel --help"
