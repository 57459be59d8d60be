#!/usr/bin/env bash
# ministack as another project's subproject (add_subdirectory): its tests and benchmarks are off, its install rules
# too, and the project links ministack::stack by the name find_package(ministack) would give it. Configure only.
# Usage: subproject_test.sh SOURCE_DIR
set -uo pipefail
source=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$workdir/parent"
cat >"$workdir/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(parent LANGUAGES CXX)
add_subdirectory("$source" ministack)
add_executable(parent main.cpp)
target_link_libraries(parent PRIVATE ministack::stack)
CMAKE
echo 'int main() {}' >"$workdir/parent/main.cpp"
out=$(cmake -S "$workdir/parent" -B "$workdir/build" 2>&1) || fail "configuring a parent project failed:"$'\n'"$out"
cache=$workdir/build/CMakeCache.txt
for option in MINISTACK_TESTS MINISTACK_BENCH MINISTACK_INSTALL; do
  grep -qx "$option:BOOL=OFF" "$cache" || fail "as a subproject, $option is not OFF: $(grep "^$option:" "$cache")"
done
[ ! -e "$workdir/build/ministack/tests" ] || fail "as a subproject, ministack configured its tests"
pass "as a subproject: MINISTACK_TESTS, MINISTACK_BENCH and MINISTACK_INSTALL are OFF, no tests configured"
# As the top-level project, the same options are on.
out=$(cmake -S "$source" -B "$workdir/top" -DMINISTACK_LTO=OFF 2>&1) || fail "configuring ministack alone failed:"$'\n'"$out"
for option in MINISTACK_TESTS MINISTACK_BENCH MINISTACK_INSTALL; do
  grep -qx "$option:BOOL=ON" "$workdir/top/CMakeCache.txt" || fail "top-level, $option is not ON"
done
pass "top-level: MINISTACK_TESTS, MINISTACK_BENCH and MINISTACK_INSTALL are ON"
