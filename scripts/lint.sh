#!/usr/bin/env bash
# The lint that CI runs (scripts/test.sh calls it after building the release preset):
#  1. clang-format (.clang-format): every tracked *.cpp/*.hpp must be formatted; lists the files that are not.
#  2. clang-tidy (.clang-tidy, every warning an error): the C++ files changed in the commits under test,
#     ${MINISTACK_LINT_BASE:-HEAD~1}..HEAD (every file when that base does not exist), with the compile commands of
#     the release preset (build/release; configured here if it is not yet), or, for fuzz/, of the fuzz preset's
#     build when there is one (build/fuzz, which scripts/test.sh builds; without it fuzz/ is not checked). A changed
#     header is checked through the .cpp files that include it, directly or through other headers; warnings in the
#     project's headers count.
# Exits 1 if either step finds anything; both always run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$repo"

install_missing_packages
status=0

echo "== lint: clang-format"
clang-format --dump-config >/dev/null  # a broken .clang-format fails here, not as "every file unformatted"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
unformatted=()
for f in "${sources[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "${#unformatted[@]} of ${#sources[@]} files are not formatted (clang-format -i FILE... formats them):"
  printf '  %s\n' "${unformatted[@]}"
  status=1
else
  echo "all ${#sources[@]} files formatted"
fi

# The files to check: changed in base..HEAD, or all of them.
base=${MINISTACK_LINT_BASE:-HEAD~1}
if git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  what="changed in $base..HEAD"
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base..HEAD" -- '*.cpp' '*.hpp')
else
  what="all: there is no $base"
  changed=("${sources[@]}")
fi

# The translation units that check them: a changed .cpp itself; for a changed header, every .cpp that includes it,
# directly or through other headers. An #include "x" is looked for beside the including file, then from the
# repository root and tests/ (the project's include directories).
mapfile -t units < <(
  grep -H '^#include "' "${sources[@]}" | awk -v tracked="${sources[*]}" -v changed="${changed[*]}" '
    function normalize(path,   n, parts, out, i, k) {
      n = split(path, parts, "/"); k = 0
      for (i = 1; i <= n; i++) {
        if (parts[i] == "." || parts[i] == "") continue
        if (parts[i] == ".." && k > 0) { k--; continue }
        out[++k] = parts[i]
      }
      path = out[1]; for (i = 2; i <= k; i++) path = path "/" out[i]
      return path
    }
    BEGIN {
      n = split(tracked, list, " "); for (i = 1; i <= n; i++) is_tracked[list[i]] = 1
      n = split(changed, list, " ")
      for (i = 1; i <= n; i++) { wanted[list[i]] = 1; if (list[i] ~ /\.cpp$/) unit[list[i]] = 1 }
    }
    {  # FILE:#include "HEADER": an edge FILE -> the first of DIR/HEADER, HEADER, tests/HEADER that is tracked
      file = substr($0, 1, index($0, ":") - 1)
      header = $0; sub(/^[^:]*:#include "/, "", header); sub(/".*/, "", header)
      dir = file; if (!sub(/\/[^\/]*$/, "", dir)) dir = "."
      split(dir "/" header " " header " tests/" header, candidates, " ")
      for (k = 1; k <= 3; k++) {
        p = normalize(candidates[k])
        if (p in is_tracked) { edge[file, p] = 1; break }
      }
    }
    END {  # spread "includes a wanted file" until nothing changes; the .cpp files reached are the units
      do {
        grew = 0
        for (key in edge) {
          split(key, e, SUBSEP)
          if ((e[2] in wanted) && !(e[1] in wanted)) { wanted[e[1]] = 1; grew = 1; if (e[1] ~ /\.cpp$/) unit[e[1]] = 1 }
        }
      } while (grew)
      for (u in unit) print u
    }' | sort
)

echo "== lint: clang-tidy on ${#changed[@]} changed files ($what)"
if [ ${#changed[@]} -gt 0 ]; then
  [ -f build/release/compile_commands.json ] || cmake --preset release >/dev/null
  checked=()
  for u in "${units[@]}"; do
    if grep -qF "\"file\": \"$repo/$u\"" build/release/compile_commands.json; then
      checked+=("$u")
    elif [ -f build/fuzz/compile_commands.json ] && grep -qF "\"file\": \"$repo/$u\"" build/fuzz/compile_commands.json; then
      checked+=("$u")  # fuzz/: only the fuzz preset builds it (clang-tidy then reads build/fuzz)
    else
      echo "  $u: not built by the release preset (nor by an existing fuzz build), not checked"
    fi
  done
  echo "through ${#checked[@]} translation units"
  # Headers of the project count, wherever they are included from; system and library headers do not.
  filter="^$(printf '%s' "$repo" | sed 's/[.[\*^$()+?{|]/\\&/g')/(stack|device|apps|tests|bench|fuzz)/"
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
  # In parallel, one log per unit, printed in order afterwards.
  [ ${#checked[@]} -eq 0 ] || printf '%s\0' "${checked[@]}" | xargs -0 -r -n 1 -P "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" sh -c '
    log="$1/$(printf "%s" "$4" | tr / %)"
    build=build/release
    grep -qF "\"file\": \"$3/$4\"" build/release/compile_commands.json || build=build/fuzz
    clang-tidy -p "$build" --quiet --header-filter="$2" "$4" >"$log" 2>&1 || touch "$log.failed"
  ' sh "$logs" "$filter" "$repo"
  failed=0
  for u in "${checked[@]}"; do
    log="$logs/$(printf '%s' "$u" | tr / %)"
    grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$log" || true
    [ -e "$log.failed" ] && failed=$((failed + 1))
  done
  if [ $failed -gt 0 ]; then
    echo "clang-tidy found problems through $failed of ${#checked[@]} translation units"
    status=1
  else
    echo "clang-tidy: no warnings"
  fi
fi
exit $status
