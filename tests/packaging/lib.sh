# Shared by the packaging tests: skip with a reason (ctest's SKIP_RETURN_CODE 77), fail with context.
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }
pass() { echo "ok: $*"; }
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# help_options < HELP: the long options that CLI11's option lines name ("  -v,--verbose ...", "    --tcp-echo PORT"),
# not those a description mentions (tunnel's, in the command list, mentions --peer, which is not the stack's).
help_options() {
  grep -E '^ {1,8}-' | sed -E 's/^ +//; s/[ =].*//' | tr ',' '\n' | grep -E '^--' | sort -u
}

# help_long_options MINISTACK: every long option that `ministack --help` and `ministack explain --help` name.
help_long_options() {
  { "$1" --help; "$1" explain --help; } 2>&1 | help_options
}

# tunnel_long_options MINISTACK: every long option that `ministack tunnel --help` names.
tunnel_long_options() {
  "$1" tunnel --help 2>&1 | help_options
}
