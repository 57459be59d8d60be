#!/usr/bin/env bash
# fuzz/coverage.sh: line and branch coverage of stack/ by the fuzz corpus (build/fuzz/fuzz/corpus/TARGET, the seeds
# the fuzz preset made in build/fuzz/fuzz/seeds, and fuzz/regressions/). Builds a copy of the fuzz targets
# instrumented for source-based coverage (-fprofile-instr-generate -fcoverage-mapping, no sanitizers) in
# build/coverage, runs every input once through each, merges the profiles (llvm-profdata) and prints llvm-cov's
# report for the files of stack/. Only the targets are built there: they alone link libFuzzer, which the
# -fsanitize=fuzzer-no-link code needs when no sanitizer runtime provides it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build/coverage
fuzz=$repo/build/fuzz/fuzz
flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S "$repo" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DMINISTACK_FUZZ=ON \
  -DMINISTACK_TESTS=OFF -DMINISTACK_BENCH=OFF -DMINISTACK_LTO=OFF -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >/dev/null
cmake --build "$build" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" --target fuzz_tap fuzz_tun fuzz_tap_fixed \
  fuzz_fragments >/dev/null
rm -rf "$build/profiles" && mkdir -p "$build/profiles"
objects=()
for t in tap tun tap_fixed fragments; do
  inputs=("$fuzz/seeds/$t")
  [ -d "$fuzz/corpus/$t" ] && inputs+=("$fuzz/corpus/$t")
  [ -d "$repo/fuzz/regressions/$t" ] && inputs+=("$repo/fuzz/regressions/$t")
  LLVM_PROFILE_FILE="$build/profiles/$t.profraw" "$build/fuzz/fuzz_$t" -runs=0 "${inputs[@]}" 2>&1 |
    grep -E 'files found|DONE' | sed "s/^/fuzz_$t: /"
  objects+=(-object "$build/fuzz/fuzz_$t")
done
llvm-profdata merge -sparse "$build"/profiles/*.profraw -o "$build/profiles/merged.profdata"
llvm-cov report -instr-profile="$build/profiles/merged.profdata" "${objects[@]:1}" "$repo/stack"
