#!/bin/sh
# Fuzzes every file reader with libFuzzer for SECONDS each (default 60) in build-fuzz/. A crash
# leaves its input in build-fuzz/crashes/; copy it into tests/fuzz/corpus/<target>/ so that the
# ordinary test suite replays it from then on.
set -eu
seconds=${1:-60}
cd "$(dirname "$0")/.."
packaging/install-deps.sh clang libclang-rt-14-dev
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTS_FUZZ=ON \
  -DLTS_BUILD_GUI=OFF >/dev/null
cmake --build build-fuzz --target fuzz_arch fuzz_config fuzz_run
mkdir -p build-fuzz/crashes
status=0
for target in arch config run; do
  work="build-fuzz/corpus-$target"
  mkdir -p "$work"
  echo "fuzzing $target for $seconds s" >&2
  if ! ASAN_OPTIONS=detect_leaks=0 build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" \
      -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" \
      "$work" "tests/fuzz/corpus/$target" 2>"build-fuzz/fuzz-$target.log"; then
    tail -n 40 "build-fuzz/fuzz-$target.log" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|Done" "build-fuzz/fuzz-$target.log" >&2 || true
done
exit $status
