#!/bin/sh
# Benchmark against the published LTS procedure: runs the Python/PyTorch yardstick
# (../shared/bench/lts_baseline.py) and lts-search on the gpt2-lts space side by side, 1 thread
# each, for SECONDS, then compares their frontiers with one common measurer
# (../shared/bench/compare_frontiers.py). Needs Debian's python3-torch and a built build/.
#
#   tests/bench/vs_lts.sh [SECONDS] [OUT] [STEP]   (defaults: 600, /tmp/lts-bench, 5)
#
# STEP is the seconds between the checkpoints at which the frontiers are compared.
# LTS_SEARCH_ARGS adds options to the lts-search command line, LTS_BASELINE_ARGS to the
# baseline's (e.g. "--reuse-memory"). The comparison reads every line of lts-search's
# candidates.jsonl at its time: a candidate counts from its first measurement, as the live plot
# shows it, and its confirmation is a later line. tests/bench/fidelity.py then reports how the
# final frontier's reported latencies hold against the common measurer, and against a second
# common measurement of the same frontier in a fresh cache (how far two measurements of the same
# architectures agree on this machine at all).
set -eu
. "$(dirname "$0")/common.sh"
seconds=${1:-600}
out=${2:-/tmp/lts-bench}
step=${3:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
yardstick=${LTS_YARDSTICK:-$root/../shared/bench}
[ -f "$yardstick/lts_baseline.py" ] || { echo "vs_lts: no yardstick at $yardstick (set LTS_YARDSTICK)" >&2; exit 2; }
[ -x "$root/build/app/lts-search" ] || { echo "vs_lts: build first (packaging/build.sh)" >&2; exit 2; }
rm -rf "$out/base" "$out/ours" "$out/remeasured.json" "$out/remeasured-again.json"
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; lts-search $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) ${LTS_SEARCH_ARGS:-}; baseline ${LTS_BASELINE_ARGS:-}" | tee "$out/machine.txt"
# shellcheck disable=SC2086
/usr/bin/python3 "$yardstick/lts_baseline.py" --time-budget "$seconds" --threads 1 --out "$out/base" \
  ${LTS_BASELINE_ARGS:-} 2>"$out/base.log" &
base=$!
# A cold start: no measurement cache. LTS_SEARCH_ARGS adds options (e.g. "--estimate-rounds 0").
# shellcheck disable=SC2086
"$root/build/app/lts-search" run --preset gpt2-lts --threads 1 --time-budget "$seconds" --out "$out/ours" \
  --no-cache ${LTS_SEARCH_ARGS:-} >"$out/ours.out" 2>"$out/ours.log" &
ours=$!
wait $base
wait $ours
echo "baseline: $(wc -l <"$out/base/candidates.jsonl") candidates; lts-search: $(wc -l <"$out/ours/candidates.jsonl") lines ($(grep -c '"confirmed":true' "$out/ours/candidates.jsonl") of them confirmations)"
grep "estimate against" "$out/ours.log" | tail -n 2
/usr/bin/python3 "$yardstick/compare_frontiers.py" --a "$out/ours/candidates.jsonl" --b "$out/base/candidates.jsonl" \
  --step "$step" --threads 1 --cache "$out/remeasured.json"
# The final frontier alone, measured again in a fresh cache.
remeasure_front "$out/ours" "$out/remeasured-again.json" "$yardstick"
/usr/bin/python3 "$root/tests/bench/fidelity.py" "$out/ours" "$out/remeasured.json" "$out/remeasured-again.json"
