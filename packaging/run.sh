#!/bin/sh
# The main job: builds if needed, then opens LTS Studio when there is a display; without one,
# runs a short headless search on the gpt2-lts preset on this machine and prints its frontier.
set -eu
cd "$(dirname "$0")/.."
packaging/build.sh
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x build/app/lts-studio ]; then
  exec build/app/lts-studio "$@"
fi
out="runs/gpt2-lts-$(date +%Y%m%d-%H%M%S)"
echo "No display: running a ${LTS_DEMO_SECONDS:-60} s headless search; results go to $out" >&2
exec build/app/lts-search run --preset gpt2-lts --time-budget "${LTS_DEMO_SECONDS:-60}" --out "$out"
