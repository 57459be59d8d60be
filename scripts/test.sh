#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs missing packages, builds the Release and the
# AddressSanitizer+UndefinedBehaviorSanitizer presets (warnings as errors), lints (scripts/lint.sh), and runs every
# test (unit and end-to-end) in both builds. A lint failure fails the run, but the tests still run.
# The end-to-end tests need root and /dev/net/tun; without them ctest reports them as skipped, with the reason.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages
build release

status=0
"$repo/scripts/lint.sh" || { echo "== lint failed"; status=1; }

build asan
for preset in release asan; do
  echo "== ctest: build/$preset"
  (cd "$repo" && ctest --preset "$preset" --output-on-failure --parallel 2) || status=1
done
exit $status
