#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs missing packages, builds the Release and the
# AddressSanitizer+UndefinedBehaviorSanitizer presets (warnings as errors), lints (scripts/lint.sh), and runs every
# test (unit and end-to-end) in both builds; then builds the fuzz preset (clang, libFuzzer) and runs its ctest: every
# fuzz target over its seeds and regressions, then fuzzed for a bounded time (fuzz/CMakeLists.txt: about 100 s in
# all). A lint failure fails the run, but the tests still run.
# The end-to-end tests need root and /dev/net/tun; without them ctest reports them as skipped, with the reason.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages "${test_packages[@]}"
build release

status=0
"$repo/scripts/lint.sh" || { echo "== lint failed"; status=1; }

build asan
for preset in release asan; do
  echo "== ctest: build/$preset"
  (cd "$repo" && ctest --preset "$preset" --output-on-failure --parallel 2) || status=1
done

build fuzz
echo "== ctest: build/fuzz"
(cd "$repo" && ctest --preset fuzz --output-on-failure --parallel 2) || status=1
exit $status
