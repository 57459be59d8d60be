#!/usr/bin/env bash
# Installs the Debian packages ministack needs (if missing) and builds ministack into build/release (the release
# preset; scripts/test.sh builds the rest of that preset, the tests and the benchmark, in the same directory).
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages "${test_packages[@]}"
build release --target ministack
echo "== built $repo/build/release/ministack"
