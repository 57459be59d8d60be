#!/usr/bin/env bash
# The replies are the stack's behaviour: replaying every capture in pcaps/ and ../shared/pcaps/realworld/ must give
# byte-identical output captures, under several configurations, as recorded in tests/golden/replay_digests.txt.
# A change that alters a reply on purpose regenerates the list (MINISTACK_DIGEST_UPDATE=1) and says why in its note.
# Usage: replay_identity.sh MINISTACK_BINARY REPO
set -uo pipefail
ministack=$1 repo=$2
. "$(dirname "$0")/lib.sh"
digests=$repo/tests/golden/replay_digests.txt
realworld=$repo/../shared/pcaps/realworld

# Each configuration exercises another path: defaults; small MTU (fragmented replies, options in later fragments);
# broadcast echoes answered; tight reassembly caps (eviction).
configs=("default:" "mtu576:--mtu 576" "broadcast:--answer-broadcast-echo --mtu 1280"
         "tightreasm:--reasm-max-datagrams 2 --reasm-max-bytes 65536")

inputs=("$repo"/pcaps/*.pcap)
if [ -d "$realworld" ]; then
  inputs+=("$realworld"/*.pcap)
else
  echo "note: $realworld is absent: only the project's own fixtures are compared"
fi

actual=$workdir/digests.txt
for in in "${inputs[@]}"; do
  case $in in "$repo"/pcaps/*) name=pcaps/${in##*/} ;; *) name=realworld/${in##*/} ;; esac
  for c in "${configs[@]}"; do
    label=${c%%:*} args=${c#*:}
    out=$workdir/out.pcap
    rm -f "$out"
    # shellcheck disable=SC2086
    "$ministack" --replay "$in" --pcap "$out" -q $args >/dev/null 2>&1
    rc=$?
    echo "$(sha256sum <"$out" | cut -c1-64) rc=$rc $label $name" >>"$actual"
  done
done

if [ "${MINISTACK_DIGEST_UPDATE:-0}" = 1 ]; then
  cp "$actual" "$digests"
  pass "wrote $(wc -l <"$digests") digests to $digests"
  exit 0
fi
[ -f "$digests" ] || fail "$digests is missing (MINISTACK_DIGEST_UPDATE=1 makes it)"
# Only the lines for inputs present here are compared: the real-world captures may be absent.
expected=$workdir/expected.txt
if [ -d "$realworld" ]; then cp "$digests" "$expected"; else grep ' pcaps/' "$digests" >"$expected"; fi
if ! diff "$expected" "$actual" >"$workdir/diff.txt"; then
  echo "replay outputs that differ from tests/golden/replay_digests.txt (< expected, > now):"
  cat "$workdir/diff.txt"
  fail "$(grep -c '^>' "$workdir/diff.txt") of $(wc -l <"$actual") replays changed"
fi
pass "$(wc -l <"$actual") replays byte-identical to the recorded digests"
