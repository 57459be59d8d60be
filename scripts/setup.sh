#!/usr/bin/env bash
# Installs the Debian packages ministack needs (if missing) and builds it into build/release.
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_missing_packages
build "$repo/build/release"
echo "== built $repo/build/release/ministack"
