#!/bin/sh
# Launches lts-studio under Xvfb, runs two short real searches (batch 1 and batch 4 on this CPU)
# and saves screenshots of the window to docs/screenshots/.
# Usage: packaging/screenshots.sh [BUILD_DIR] [SECONDS_PER_SEARCH]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-25}
bin=$build/app/lts-studio
if [ ! -x "$bin" ]; then
  echo "screenshots: $bin not found; build first (cmake -S . -B build -G Ninja && ninja -C build)" >&2
  exit 1
fi
out=$root/docs/screenshots
mkdir -p "$out"
# A fixed screen size and DPI, so screenshots look the same on every machine.
xvfb-run -a -s "-screen 0 1600x1000x24 -dpi 96" \
  env QT_QPA_PLATFORM=xcb XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}" \
  "$bin" --demo-search "$seconds" --screenshots "$out"
ls -l "$out"/*.png
