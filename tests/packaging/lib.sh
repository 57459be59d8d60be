# Shared by the packaging tests: skip with a reason (ctest's SKIP_RETURN_CODE 77), fail with context.
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }
pass() { echo "ok: $*"; }
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# help_long_options MINISTACK: every long option that `ministack --help` and `ministack explain --help` name.
help_long_options() {
  { "$1" --help; "$1" explain --help; } 2>&1 | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}
