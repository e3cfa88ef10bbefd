#!/bin/sh
# Scoring against generation for each architecture file, side by side in one run: the scoring
# pass (`lts-search eval`: latency, peak) and the generation profile (`eval --generate`: prefill,
# decode per token, generation peak), ROUNDS times alternately, medians printed.
#   tests/bench/workloads.sh BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json...
set -eu
[ $# -ge 6 ] || { echo "usage: $0 BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json..." >&2; exit 2; }
build=$1 rounds=$2 threads=$3 prompt=$4 new=$5
shift 5
. "$(dirname "$0")/common.sh"
printf '%-30s %10s %10s %10s %10s %10s %10s\n' arch decoder_M score_ms score_mb prefill_ms decode_ms gen_mb
for arch in "$@"; do
    t=$(mktemp)
    i=0
    while [ $i -lt "$rounds" ]; do
        s=$(LTS_CACHE_DIR=off "$build/app/lts-search" eval "$arch" --threads "$threads" 2>/dev/null | get latency_ms peak_memory_mb)
        g=$(LTS_CACHE_DIR=off "$build/app/lts-search" eval "$arch" --generate --threads "$threads" --prompt "$prompt" \
            --new-tokens "$new" 2>/dev/null | get prefill_ms decode_ms_per_token generation_peak_memory_mb)
        echo "$s $g" >> "$t"
        i=$((i + 1))
    done
    params=$("$build/app/lts-search" eval "$arch" --no-measure | python3 -c "import json,sys; print(json.load(sys.stdin)['decoder_params']/1e6)")
    printf '%-30s %10.2f' "$(basename "$arch")" "$params"
    for c in 1 2 3 4 5; do printf ' %10.3f' "$(cut -d' ' -f$c "$t" | median)"; done
    printf '\n'
    rm -f "$t"
done
