#!/bin/sh
# The sanitizer job: builds the core, the CLI and their tests with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-asan/ and runs the tests. Any report fails the job.
set -eu
cd "$(dirname "$0")/.."
packaging/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLTS_SANITIZE=ON -DLTS_BUILD_GUI=OFF >/dev/null
cmake --build build-asan
cd build-asan
# LibTorch and Qt are not instrumented; their allocations are still checked.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure --timeout 900
