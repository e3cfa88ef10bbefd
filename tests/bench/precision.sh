#!/bin/sh
# The same architectures in each number format, side by side in one run: for each architecture
# file, ROUNDS rounds that measure the scoring pass and the generation profile in fp32, bf16 and
# int8 in turn (`lts-search eval --precision P`, with and without --generate), then the medians
# and each format's ratio to fp32. A format this machine cannot run prints the reason instead.
#   tests/bench/precision.sh BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json...
set -eu
[ $# -ge 6 ] || { echo "usage: $0 BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json..." >&2; exit 2; }
build=$1 rounds=$2 threads=$3 prompt=$4 new=$5
shift 5
. "$(dirname "$0")/common.sh"
eval_() { LTS_CACHE_DIR=off "$build/app/lts-search" eval "$@" --threads "$threads"; }
formats="fp32 bf16 int8"
printf '%-24s %-5s %10s %10s %10s %10s %10s %10s %8s %8s\n' arch prec score_ms prefill_ms decode_ms score_mb gen_mb \
    weights_mb score_x decode_x
for arch in "$@"; do
    dir=$(mktemp -d)
    usable=""
    for p in $formats; do
        if why=$(eval_ "$arch" --precision "$p" --repeats 1 --warmup 1 2>&1 >/dev/null); then
            usable="$usable $p"
        else
            printf '%-24s %-5s %s\n' "$(basename "$arch")" "$p" "$(echo "$why" | tail -1)"
        fi
    done
    i=0
    while [ $i -lt "$rounds" ]; do
        for p in $usable; do
            s=$(eval_ "$arch" --precision "$p" 2>/dev/null | get latency_ms peak_memory_mb weights_mb)
            g=$(eval_ "$arch" --precision "$p" --generate --prompt "$prompt" --new-tokens "$new" 2>/dev/null |
                get prefill_ms decode_ms_per_token generation_peak_memory_mb)
            echo "$s $g" >> "$dir/$p"
        done
        i=$((i + 1))
    done
    for p in $usable; do
        col() { cut -d' ' -f"$1" "$dir/$p" | median; }
        score=$(col 1) decode=$(col 5)
        [ "$p" = fp32 ] && base_score=$score base_decode=$decode
        printf '%-24s %-5s %10.2f %10.2f %10.3f %10.1f %10.1f %10.1f %8.2f %8.2f\n' "$(basename "$arch")" "$p" \
            "$score" "$(col 4)" "$decode" "$(col 2)" "$(col 6)" "$(col 3)" \
            "$(echo "$base_score $score" | awk '{print $1/$2}')" "$(echo "$base_decode $decode" | awk '{print $1/$2}')"
    done
    rm -rf "$dir"
done
