#!/bin/sh
# The search against the published LTS procedure over several seeds: for each seed, lts-search and
# the yardstick's lts_baseline.py run side by side (one per core, 1 thread each) for SECONDS; then
# the yardstick's anytime.py re-measures every frontier with one common measurer and prints each
# side's time to 95% of the baseline's median final hypervolume and of the best frontier known,
# medians and quartiles over the seeds, and draws the curves (OUT/anytime.png). Then
# tests/bench/fidelity.py reports, per seed, how the reported frontier holds against the common
# measurement. Needs Debian's python3-torch and a built build/.
#
#   tests/bench/anytime.sh [SEEDS] [SECONDS] [OUT]   (defaults: "1 2 3", 600, /tmp/lts-anytime)
#
# LTS_SEARCH_ARGS adds options to every lts-search command line (e.g. "--algorithm lts").
set -eu
seeds=${1:-1 2 3}
seconds=${2:-600}
out=${3:-/tmp/lts-anytime}
root=$(cd "$(dirname "$0")/../.." && pwd)
yardstick=${LTS_YARDSTICK:-$root/../shared/bench}
[ -f "$yardstick/anytime.py" ] || { echo "anytime: no yardstick at $yardstick (set LTS_YARDSTICK)" >&2; exit 2; }
[ -x "$root/build/app/lts-search" ] || { echo "anytime: build first (packaging/build.sh)" >&2; exit 2; }
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; lts-search $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) ${LTS_SEARCH_ARGS:-}; seeds $seeds, $seconds s" | tee "$out/machine.txt"
ours="" base=""
for s in $seeds; do
  rm -rf "$out/base$s" "$out/ours$s"
  /usr/bin/python3 "$yardstick/lts_baseline.py" --seed "$s" --time-budget "$seconds" --threads 1 --out "$out/base$s" \
    2>"$out/base$s.log" &
  pid=$!
  # shellcheck disable=SC2086
  "$root/build/app/lts-search" run --preset gpt2-lts --threads 1 --no-cache --seed "$s" --time-budget "$seconds" \
    --out "$out/ours$s" ${LTS_SEARCH_ARGS:-} >"$out/ours$s.out" 2>"$out/ours$s.log"
  wait $pid
  echo "seed $s: baseline $(wc -l <"$out/base$s/candidates.jsonl") candidates; lts-search $(grep -vc '"status":"estimated"' "$out/ours$s/candidates.jsonl") measurement lines ($(grep -c '"confirmed":true' "$out/ours$s/candidates.jsonl") confirmations), $(grep -c '"status":"estimated"' "$out/ours$s/candidates.jsonl") estimated"
  grep -E "left unconfirmed|audited" "$out/ours$s.log" | tail -n 2 || true
  ours="$ours $out/ours$s"
  base="$base $out/base$s"
done
# The curves' PNG needs matplotlib (Debian's python3-matplotlib); without it, the figures alone.
plot="--plot $out/anytime.png"
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || { plot=""; echo "anytime: no python3-matplotlib, no PNG" >&2; }
# shellcheck disable=SC2086
/usr/bin/python3 "$yardstick/anytime.py" --a $ours --b $base --label-a lts-search --label-b baseline \
  --cache "$out/remeasured.json" $plot --json "$out/anytime.json"
for s in $seeds; do
  echo "== fidelity, seed $s"
  /usr/bin/python3 "$root/tests/bench/fidelity.py" "$out/ours$s" "$out/remeasured.json"
done
