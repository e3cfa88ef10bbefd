#!/bin/sh
# Builds LTS Studio with its tests and runs every test.
set -eu
cd "$(dirname "$0")/.."
packaging/build.sh
cd build
ctest --output-on-failure --timeout 600
