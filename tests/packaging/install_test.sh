#!/usr/bin/env bash
# cmake --install into a scratch prefix lists what a user and a library user need (binary, man page, completion,
# docs, LICENSE, headers, static libraries, CMake package, ministack.pc); examples/ builds against that prefix with
# find_package(ministack) and with pkg-config, and its program answers the pings of pcaps/tap_ping.pcap.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [plain|sanitized]
set -uo pipefail
build=$1 source=$2 kind=${3:-plain}
. "$(dirname "$0")/lib.sh"
[ "$kind" = sanitized ] && skip "a sanitized build (ASan+UBSan): its archives link only into sanitized programs and its package is not one to ship; the release build runs this test"
prefix=$workdir/prefix

out=$(cmake --install "$build" --prefix "$prefix" 2>&1) || fail "cmake --install failed:"$'\n'"$out"
pass "cmake --install --prefix $prefix"
for f in bin/ministack share/man/man1/ministack.1.gz share/bash-completion/completions/ministack \
         share/doc/ministack/README.md share/doc/ministack/LICENSE share/doc/ministack/copyright \
         include/ministack/stack/stack.hpp include/ministack/stack/wire/address.hpp include/ministack/device/tuntap.hpp \
         include/ministack/device/pcap_replay.hpp lib/libministack_stack.a lib/libministack_wire.a \
         lib/libministack_device.a lib/cmake/ministack/ministackConfig.cmake \
         lib/cmake/ministack/ministackConfigVersion.cmake lib/cmake/ministack/ministackTargets.cmake \
         lib/pkgconfig/ministack.pc; do
  [ -s "$prefix/$f" ] || fail "cmake --install did not install $f; it installed:"$'\n'"$(cd "$prefix" && find . -type f | sort)"
done
pass "binary, man page, completion, docs, LICENSE, headers, libraries, CMake package and ministack.pc installed"
# Every header the installed ones include is installed too (nothing reaches back into the source tree).
for h in $(cd "$prefix/include/ministack" && find . -name '*.hpp'); do
  for inc in $(grep -oE '^#include "[^"]+"' "$prefix/include/ministack/$h" | cut -d'"' -f2); do
    [ -f "$prefix/include/ministack/$inc" ] || [ -f "$prefix/include/ministack/$(dirname "$h")/$inc" ] ||
      fail "$h includes $inc, which is not installed"
  done
done
pass "every header's includes are installed"
# The archives hold machine code only: no GCC LTO bytecode, which other compilers cannot link and which would
# optimize ministack's code again under the linking program's flags.
for a in "$prefix"/lib/libministack_*.a; do
  sections=$(objdump -h "$a" 2>&1) || fail "objdump -h $a failed: $sections"
  grep -q "\.gnu\.lto_" <<<"$sections" && fail "$(basename "$a") still holds LTO bytecode (.gnu.lto_ sections)"
  grep -q " \.text" <<<"$sections" || fail "$(basename "$a") holds no machine code (.text)"
done
pass "the installed archives hold machine code, no LTO bytecode"
"$prefix/bin/ministack" --help >/dev/null || fail "the installed ministack --help failed"
grep -q "^NAME" <<<"$(MANWIDTH=80 man -l "$prefix/share/man/man1/ministack.1.gz")" || fail "the installed man page does not render"

# find_package(ministack), from the prefix alone.
examples=$workdir/examples
out=$(cmake -S "$source/examples" -B "$examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror" 2>&1) || fail "configuring examples/ against $prefix failed:"$'\n'"$out"
grep -q "ministack_DIR:PATH=$prefix/lib/cmake/ministack" "$examples/CMakeCache.txt" ||
  fail "find_package(ministack) did not find the installed package: $(grep ministack_DIR "$examples/CMakeCache.txt")"
out=$(cmake --build "$examples" 2>&1) || fail "building examples/ failed:"$'\n'"$out"
pass "examples/ configured with find_package(ministack) from the prefix and built"

# check_run PROGRAM: on tap_ping.pcap, every echo request answered, and each reply printed as sent.
check_run() {
  local out requests replies
  out=$("$1" "$source/pcaps/tap_ping.pcap") || fail "$1 failed:"$'\n'"$out"
  requests=$(echo "$out" | sed -nE 's/^echo requests ([0-9]+), echo replies ([0-9]+)$/\1/p')
  replies=$(echo "$out" | sed -nE 's/^echo requests ([0-9]+), echo replies ([0-9]+)$/\2/p')
  [ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "$1 counted no echo requests:"$'\n'"$out"
  [ "$requests" = "$replies" ] || fail "$1: $requests echo requests but $replies replies:"$'\n'"$out"
  [ "$(echo "$out" | grep -c '^  sent ')" -ge "$replies" ] || fail "$1 printed fewer frames sent than replies"
  pass "$(basename "$1") on tap_ping.pcap: $requests echo requests, $replies replies"
}
check_run "$examples/replay_count"

# pkg-config, from the prefix alone (its ${pcfiledir}-relative prefix follows the files).
if command -v pkg-config >/dev/null; then
  flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs ministack) ||
    fail "pkg-config --cflags --libs ministack failed"
  include_dir=$(echo "$flags" | grep -oE -- "-I[^ ]*include/ministack( |$)" | head -n 1 | sed -e 's/^-I//' -e 's/ $//')
  [ -n "$include_dir" ] && [ "$(realpath "$include_dir")" = "$(realpath "$prefix/include/ministack")" ] ||
    fail "pkg-config's -I is not the prefix's include/ministack: $flags"
  # clang++ where there is one: the archives link with another compiler than the one that built them.
  compiler=g++
  command -v clang++ >/dev/null && compiler=clang++
  # shellcheck disable=SC2086  # the flags are words
  out=$($compiler -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -o "$workdir/replay_count_pc" "$source/examples/replay_count.cpp" $flags 2>&1) ||
    fail "$compiler with pkg-config's flags failed ($flags):"$'\n'"$out"
  check_run "$workdir/replay_count_pc"
  pass "built with $compiler and pkg-config's flags"
else
  skip "pkg-config is not installed: the pkg-config build was not tried"
fi
