#!/usr/bin/env bash
# fuzz/run_all.sh SECONDS [TARGET...]: fuzzes each target (default: all four) for SECONDS, one after the other on one
# core, from the fuzz preset's build (build/fuzz). New inputs are kept in build/fuzz/fuzz/corpus/TARGET, so a later run
# goes on from there; the seeds and fuzz/regressions/ are read, never written. Crashes go to
# build/fuzz/fuzz/artifacts/. Prints each target's executions, speed and coverage; exits 1 if any target crashed.
# For several cores, run the targets side by side or use libFuzzer's -jobs (README, "Fuzzing").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$repo/build/fuzz/fuzz
[ $# -ge 1 ] || { echo "usage: fuzz/run_all.sh SECONDS [TARGET...]" >&2; exit 2; }
seconds=$1; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tap tun tap_fixed fragments)
status=0
for t in "${targets[@]}"; do
  [ -x "$dir/fuzz_$t" ] || { echo "no $dir/fuzz_$t: cmake --preset fuzz && cmake --build --preset fuzz" >&2; exit 2; }
  inputs=("$dir/seeds/$t")
  [ -d "$repo/fuzz/regressions/$t" ] && inputs+=("$repo/fuzz/regressions/$t")
  mkdir -p "$dir/corpus/$t" "$dir/artifacts"
  echo "== fuzz_$t for $seconds s"
  log=$(mktemp)
  if "$dir/fuzz_$t" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus/$t" "${inputs[@]}" >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$log" || true
  else
    status=1
    tail -40 "$log"
  fi
  rm -f "$log"
done
exit $status
