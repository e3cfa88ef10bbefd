#!/bin/sh
# Per-token decoding with a KV cache, ours against PyTorch eager, side by side: for each
# architecture file, ROUNDS alternating runs of `lts-search eval --generate` and
# tests/bench/decode_eager.py on the same thread count, then the medians and their ratio.
#   tests/bench/decode.sh BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json...
set -eu
[ $# -ge 6 ] || { echo "usage: $0 BUILD_DIR ROUNDS THREADS PROMPT NEW_TOKENS ARCH.json..." >&2; exit 2; }
build=$1 rounds=$2 threads=$3 prompt=$4 new=$5
shift 5
here=$(dirname "$0")
field() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d=d.get('measurement', d); print(d['$1'])"; }
. "$(dirname "$0")/common.sh"
printf '%-28s %12s %12s %12s %12s %8s\n' arch ours_decode eager_decode ours_prefill eager_prefill eager/ours
for arch in "$@"; do
    ours=$(mktemp) eager=$(mktemp)
    i=0
    while [ $i -lt "$rounds" ]; do
        out=$(LTS_CACHE_DIR=off "$build/app/lts-search" eval "$arch" --generate --threads "$threads" \
            --prompt "$prompt" --new-tokens "$new" 2>/dev/null)
        echo "$(echo "$out" | field decode_ms_per_token) $(echo "$out" | field prefill_ms)" >> "$ours"
        out=$(/usr/bin/python3 "$here/decode_eager.py" "$arch" "$prompt" "$new" "$threads")
        echo "$(echo "$out" | field decode_ms_per_token) $(echo "$out" | field prefill_ms)" >> "$eager"
        i=$((i + 1))
    done
    od=$(cut -d' ' -f1 "$ours" | median) ed=$(cut -d' ' -f1 "$eager" | median)
    op=$(cut -d' ' -f2 "$ours" | median) ep=$(cut -d' ' -f2 "$eager" | median)
    printf '%-28s %12.3f %12.3f %12.2f %12.2f %8.2f\n' "$(basename "$arch")" "$od" "$ed" "$op" "$ep" \
        "$(echo "$ed $od" | awk '{print $1/$2}')"
    rm -f "$ours" "$eager"
done
