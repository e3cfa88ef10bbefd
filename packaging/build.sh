#!/bin/sh
# Installs the dependencies (when run as root) and builds LTS Studio into build/.
set -eu
cd "$(dirname "$0")/.."
packaging/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTS_BUILD_TESTS=ON >/dev/null
cmake --build build
