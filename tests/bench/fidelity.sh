#!/bin/sh
# The frontier's fidelity in a user's setting: lts-search alone on the gpt2-lts space for
# SECONDS (1 thread, no cache), then the common measurer of ../shared/bench/compare_frontiers.py
# times its final frontier twice, each time in a fresh cache, and tests/bench/fidelity.py reports
# the reported latencies against the first common measurement and the two common measurements
# against each other (how far any two measurements agree on this machine). Needs Debian's
# python3-torch and a built build/.
#
#   tests/bench/fidelity.sh [SECONDS] [OUT]   (defaults: 300, /tmp/lts-fidelity)
#
# LTS_SEARCH_ARGS adds options to the lts-search command line.
set -eu
. "$(dirname "$0")/common.sh"
seconds=${1:-300}
out=${2:-/tmp/lts-fidelity}
root=$(cd "$(dirname "$0")/../.." && pwd)
yardstick=${LTS_YARDSTICK:-$root/../shared/bench}
[ -f "$yardstick/compare_frontiers.py" ] || { echo "fidelity: no yardstick at $yardstick (set LTS_YARDSTICK)" >&2; exit 2; }
[ -x "$root/build/app/lts-search" ] || { echo "fidelity: build first (packaging/build.sh)" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; lts-search $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) ${LTS_SEARCH_ARGS:-}" | tee "$out/machine.txt"
# shellcheck disable=SC2086
"$root/build/app/lts-search" run --preset gpt2-lts --threads 1 --time-budget "$seconds" --out "$out/ours" \
  --no-cache ${LTS_SEARCH_ARGS:-} >"$out/ours.out" 2>"$out/ours.log"
echo "lts-search: $(wc -l <"$out/ours/candidates.jsonl") lines ($(grep -c '"confirmed":true' "$out/ours/candidates.jsonl") of them confirmations)"
remeasure_front "$out/ours" "$out/remeasured.json" "$yardstick"
remeasure_front "$out/ours" "$out/remeasured-again.json" "$yardstick"
/usr/bin/python3 "$root/tests/bench/fidelity.py" "$out/ours" "$out/remeasured.json" "$out/remeasured-again.json"
