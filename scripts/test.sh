#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs missing packages, builds a Release and an
# AddressSanitizer+UndefinedBehaviorSanitizer build, and runs every test (unit and end-to-end) in both.
# The end-to-end tests need root and /dev/net/tun; without them ctest reports them as skipped, with the reason.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages
build "$repo/build/test-release"
build "$repo/build/test-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINISTACK_SANITIZE=ON

status=0
for dir in test-release test-asan; do
  echo "== ctest: $dir"
  ctest --test-dir "$repo/build/$dir" --output-on-failure --parallel 2 || status=1
done
exit $status
