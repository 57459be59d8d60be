#!/usr/bin/env bash
# Keeps docs/tour.md true (its conventions are in the HTML comment at its top):
#   - every command block (a fenced block whose first line is "$ ministack ...") is run from the repository root
#     with the built binary, and its stdout, then its stderr less the log lines ("ministack: ..."), which leaves
#     the counters table that follows a trace, must equal the rest of the block (trailing white space aside);
#   - every "trace" block's lines must appear, consecutively and in order ("..." marks a gap), in the output of the
#     nearest command block above it;
#   - every function the tour places in a file ("`function()` in `file.cpp`", or "`file.cpp`: `function()`" on
#     one line) must be in that file, any other function it names somewhere in the sources, and every file it
#     names must exist.
# Only replays: no root, no device, no network.
# Usage: tour_e2e.sh MINISTACK_BINARY REPO_ROOT
# With MINISTACK_TOUR_UPDATE=1 it first rewrites each command block of docs/tour.md with the output as run (then
# checks the rest as usual): for when the output changes on purpose. Read the diff, and the prose around it, before
# committing it.
set -uo pipefail
ministack=$1 root=$2
. "$(dirname "$0")/lib.sh"
command -v diff >/dev/null || skip "diff (diffutils) is not installed"
tour=$root/docs/tour.md
[ -f "$tour" ] || fail "$tour is missing"
[ -x "$ministack" ] || fail "$ministack is not an executable"

# Split the tour into its blocks: $workdir/cmd.N (the command line), expected.N (the rest of the block),
# excerpt.M with ref.M (the command block it quotes), and the line of the tour each one starts on.
awk -v dir="$workdir" '
  function strip(s) { sub(/[ \t\r]+$/, "", s); return s }
  BEGIN { in_block = 0; commands = 0; excerpts = 0 }
  !in_block && /^```/ {
    in_block = 1; info = substr($0, 4); gsub(/^[ \t]+|[ \t]+$/, "", info); first = 1; kind = ""; start = NR
    if (info == "trace") {
      ++excerpts; kind = "trace"
      print commands > (dir "/ref." excerpts); print start > (dir "/excerpt_line." excerpts)
      printf "" > (dir "/excerpt." excerpts)
    }
    next
  }
  in_block && /^```[ \t]*$/ { in_block = 0; next }
  in_block {
    line = strip($0)
    if (first && kind == "" && line ~ /^\$ ministack( |$)/) {
      ++commands; kind = "command"
      print substr(line, 3) > (dir "/cmd." commands); print start > (dir "/cmd_line." commands)
      printf "" > (dir "/expected." commands)
    } else if (kind == "command") {
      print line > (dir "/expected." commands)
    } else if (kind == "trace") {
      print line > (dir "/excerpt." excerpts)
    }
    first = 0
  }
  END {
    print commands > (dir "/commands"); print excerpts > (dir "/excerpts")
    if (in_block) print "unclosed" > (dir "/unclosed")
  }
' "$tour"
[ -e "$workdir/unclosed" ] && fail "docs/tour.md: a fenced block is never closed"
commands=$(cat "$workdir/commands") excerpts=$(cat "$workdir/excerpts")
[ "$commands" -gt 0 ] || fail "docs/tour.md has no command block (a fenced block starting with '\$ ministack')"

# Trailing white space of every line and trailing empty lines do not count.
normalize() { sed -e 's/[[:space:]]*$//' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'; }

failed=0
for ((i = 1; i <= commands; i++)); do
  read -ra words <"$workdir/cmd.$i"
  where="docs/tour.md:$(cat "$workdir/cmd_line.$i")"
  args=("${words[@]:1}")
  # Only replays belong in the tour: anything that would open a device needs root.
  if [ "${args[0]:-}" != explain ] && [[ " ${args[*]} " != *" --replay "* ]]; then
    echo "FAILED: $where: '${words[*]}' is not a replay ('explain' or '--replay'), which the tour may not run"
    failed=1
    continue
  fi
  rc=0
  (cd "$root" && "$ministack" "${args[@]}") >"$workdir/raw.$i" 2>"$workdir/stderr.$i" || rc=$?
  # A trace is data on stdout, and the counters table goes to stderr (README, "Output"): the tour shows both.
  grep -v '^ministack: ' "$workdir/stderr.$i" >>"$workdir/raw.$i"
  normalize <"$workdir/raw.$i" >"$workdir/actual.$i"
  normalize <"$workdir/expected.$i" >"$workdir/want.$i"
  if [ "$rc" != 0 ]; then
    echo "FAILED: $where: '${words[*]}' exited $rc:"
    cat "$workdir/stderr.$i"
    failed=1
  elif ! diff -u --label "docs/tour.md (as written)" --label "${words[*]} (as run)" \
      "$workdir/want.$i" "$workdir/actual.$i"; then
    echo "FAILED: $where: the output of '${words[*]}' is not what the tour shows (diff above)"
    failed=1
  else
    pass "$where: '${words[*]}': $(wc -l <"$workdir/actual.$i") lines, as the tour shows"
  fi
done

if [ "${MINISTACK_TOUR_UPDATE:-0}" = 1 ]; then
  awk -v dir="$workdir" '
    !in_block && /^```/ { in_block = 1; first = 1; command = 0; print; next }
    in_block && /^```[ \t]*$/ {
      if (command) { file = dir "/actual." commands; while ((getline out < file) > 0) print out; close(file) }
      in_block = 0; print; next
    }
    in_block && first && /^\$ ministack( |$)/ { ++commands; command = 1; first = 0; print; next }
    in_block { first = 0; if (!command) print; next }
    { print }
  ' "$tour" >"$workdir/tour.md" || fail "could not rewrite $tour"
  cat "$workdir/tour.md" >"$tour" || fail "could not rewrite $tour"
  echo "updated: the $commands command blocks of docs/tour.md now hold the output as run; review the diff"
  failed=0
fi

# Excerpts: runs of lines separated by "..." lines, each run found consecutively, after the previous one.
for ((j = 1; j <= excerpts; j++)); do
  ref=$(cat "$workdir/ref.$j")
  where="docs/tour.md:$(cat "$workdir/excerpt_line.$j")"
  if [ "$ref" = 0 ]; then
    echo "FAILED: $where: a trace excerpt before any command block: nothing to quote"
    failed=1
    continue
  fi
  if ! awk -v where="$where" '
      NR == FNR { out[++n] = $0; next }
      { sub(/[ \t\r]+$/, "") }
      $0 == "..." { flush(); next }
      { run[++r] = $0 }
      function flush(   start, k, ok) {
        if (r == 0) return
        for (start = pos + 1; start + r - 1 <= n; start++) {
          ok = 1
          for (k = 1; k <= r && ok; k++) if (out[start + k - 1] != run[k]) ok = 0
          if (ok) { pos = start + r - 1; r = 0; return }
        }
        printf "FAILED: %s: this excerpt is not in the output (after line %d of it):\n", where, pos
        for (k = 1; k <= r; k++) print "  | " run[k]
        bad = 1; r = 0
      }
      END { flush(); exit bad }
    ' "$workdir/actual.$ref" "$workdir/excerpt.$j"; then
    failed=1
  fi
done
[ "$failed" = 0 ] && pass "$excerpts trace excerpts quote their command's output"

# Functions in files, on each line of prose: `name()` or `Class::name()` followed by " in ", " (in " or " from " and a
# `path.cpp` / `path.hpp` span is claimed to be in that file; any other function span, in the file named last before
# it on the line; a function span with no file on its line must exist somewhere in apps/, device/ or stack/. Every
# file named must exist.
# has_function FILE... NAME: NAME( appears, or for Class::member declared inside its class, both appear in one file.
has_function() {
  local name=${*: -1} files=("${@:1:$#-1}") member class f
  [ "${#files[@]}" -gt 0 ] || return 1
  grep -qF -- "$name(" "${files[@]}" && return 0
  member=${name##*::}
  [ "$name" != "$member" ] || return 1
  class=${name%::*}
  class=${class##*::}
  while IFS= read -r f; do
    grep -qE "(^|[^A-Za-z0-9_])$member\(" "$f" && return 0
  done < <(grep -lE "(class|struct) $class\b" "${files[@]}")
  return 1
} </dev/null
mapfile -t sources < <(find -L "$root/apps" "$root/device" "$root/stack" -name '*.[ch]pp' | sort)
[ "${#sources[@]}" -gt 0 ] || fail "no sources found under $root/apps, device, stack"
checks=0 anywhere=0
while IFS=$'\t' read -r lineno file function; do
  where="docs/tour.md:$lineno"
  if [ "$file" = "*" ]; then
    anywhere=$((anywhere + 1))
    has_function "${sources[@]}" "${function%()}" ||
      { echo "FAILED: $where: the tour names $function, which is in no file of apps/, device/ or stack/"; failed=1; }
    continue
  fi
  if [ ! -f "$root/$file" ]; then
    echo "FAILED: $where: the tour names $file, which does not exist"
    failed=1
    continue
  fi
  [ -n "$function" ] || continue
  checks=$((checks + 1))
  has_function "$root/$file" "${function%()}" ||
    { echo "FAILED: $where: the tour says $function is in $file, but it is not there"; failed=1; }
done < <(awk '
  /^```/ { fenced = !fenced; next }
  fenced { next }
  /^<!--/ { comment = 1 }
  comment { if (/-->/) comment = 0; next }
  {
    n = 0; line = $0
    while (match(line, /`[^`]+`/)) {
      ++n; before[n] = substr(line, 1, RSTART - 1); span[n] = substr(line, RSTART + 1, RLENGTH - 2)
      line = substr(line, RSTART + RLENGTH)
    }
    file = ""
    for (i = 1; i <= n; i++) {
      if (span[i] ~ /^[A-Za-z0-9_.\/-]+\/[A-Za-z0-9_.-]+\.(cpp|hpp)$/) {
        file = span[i]; printf "%d\t%s\t\n", NR, file
      } else if (span[i] ~ /^[A-Za-z_][A-Za-z0-9_:]*\(\)$/) {
        if (i < n && span[i + 1] ~ /\.(cpp|hpp)$/ && before[i + 1] ~ /^ *\(?(in|from) *$/) target = span[i + 1]
        else if (file != "") target = file
        else target = "*"
        printf "%d\t%s\t%s\n", NR, target, span[i]
      }
    }
  }
' "$tour")
# A tour that placed no function in its file would pass vacuously: it follows a ping through more than that.
[ "$checks" -ge 20 ] || fail "only $checks function-in-file claims found in docs/tour.md; expected the whole road"
[ "$failed" = 0 ] || fail "docs/tour.md is out of date with the code (see above)"
pass "$checks functions found in the files the tour places them in, $anywhere more in the sources"
echo "tour: all checks passed"
