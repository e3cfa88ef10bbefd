#!/usr/bin/env bash
# Training throughput side by side: the proxy audit's trainer (build/tests/bench/bench_train)
# against its PyTorch-eager twin (tests/bench/train_eager.py), on the same architecture, text,
# token budget and thread count. Runs alternate (ours, eager, ours, eager, ...) so that drift in
# the machine's state hits both alike; the table gives the median tokens/s of each.
#
#   tests/bench/train.sh TEXT [REPEATS=3] [THREADS=1] [TOKENS=65536] ARCH.json...
#
# Environment: BENCH_TRAIN (default build/tests/bench/bench_train), PYTHON (default /usr/bin/python3).
# Only OPENBLAS_NUM_THREADS is set (to THREADS); every other OPENBLAS_* variable is left as it is.
set -euo pipefail

usage() {
    echo "usage: $0 TEXT [REPEATS=3] [THREADS=1] [TOKENS=65536] ARCH.json..." >&2
    exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench="${BENCH_TRAIN:-$root/build/tests/bench/bench_train}"
python="${PYTHON:-/usr/bin/python3}"
eager="$root/tests/bench/train_eager.py"

[[ $# -ge 2 ]] || usage
text="$1"
shift
is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
repeats=3 threads=1 tokens=65536
if [[ $# -gt 0 ]] && is_int "$1"; then repeats="$1"; shift; fi
if [[ $# -gt 0 ]] && is_int "$1"; then threads="$1"; shift; fi
if [[ $# -gt 0 ]] && is_int "$1"; then tokens="$1"; shift; fi
[[ $# -ge 1 ]] || usage
[[ "$repeats" -ge 1 && "$threads" -ge 1 && "$tokens" -ge 1 ]] || usage
[[ -r "$text" ]] || { echo "$0: cannot read $text" >&2; exit 2; }
[[ -x "$bench" ]] || { echo "$0: $bench is missing (build the bench_train target)" >&2; exit 2; }

cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
echo "CPU: ${cpu:-unknown}"
echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-(unset)}"
echo "text: $text  repeats: $repeats  threads: $threads  tokens: $tokens"
echo

export OPENBLAS_NUM_THREADS="$threads"

# One JSON line from a run (its last line of output), or the run's error output and failure.
run_one() {
    local out
    if ! out="$("$@" 2>&1)"; then
        echo "$0: failed: $*" >&2
        echo "$out" >&2
        return 1
    fi
    printf '%s\n' "$out" | tail -n 1
}

for arch in "$@"; do
    ours=() theirs=() bound=()
    for ((i = 1; i <= repeats; ++i)); do
        line="$(run_one "$bench" "$arch" "$text" "$tokens" "$threads")"
        ours+=("$line")
        echo "  $(basename "$arch") run $i/$repeats ours:  $line" >&2
        line="$(run_one "$python" "$eager" "$arch" "$text" "$tokens" "$threads")"
        theirs+=("$line")
        echo "  $(basename "$arch") run $i/$repeats eager: $line" >&2
        if [[ "$threads" -gt 1 ]]; then
            line="$(EAGER_INTRA_OP=1 run_one "$python" "$eager" "$arch" "$text" "$tokens" "$threads")"
            bound+=("$line")
            echo "  $(basename "$arch") run $i/$repeats eager, intra-op 1: $line" >&2
        fi
    done
    {
        printf '%s\n' "${ours[@]}"
        echo "--"
        printf '%s\n' "${theirs[@]}"
        echo "--"
        [[ ${#bound[@]} -eq 0 ]] || printf '%s\n' "${bound[@]}"
    } | "$python" -c '
import json, statistics, sys
arch, threads = sys.argv[1], sys.argv[2]
sides = [[], [], []]  # ours, eager as a PyTorch user runs it, eager bound as ours
side = 0
for line in sys.stdin:
    line = line.strip()
    if line == "--":
        side += 1
    elif line:
        sides[side].append(json.loads(line))
ours, eager, bound = sides
o = statistics.median(r["tokens_per_s"] for r in ours)
e = statistics.median(r["tokens_per_s"] for r in eager)
d = ours[0]["decoder_params"]
print("arch %s (threads %s, %d steps of %d tokens)" % (arch, threads, ours[0]["steps"], ours[0]["tokens"] // ours[0]["steps"]))
if eager[0]["decoder_params"] != d or eager[0]["total_params"] != ours[0]["total_params"]:
    print("  WARNING: parameter counts differ: ours %d/%d, eager %d/%d" % (
        d, ours[0]["total_params"], eager[0]["decoder_params"], eager[0]["total_params"]))
print("  %-16s %14s %18s %18s %12s" % ("", "decoder params", "ours tokens/s", "eager tokens/s", "ours/eager"))
print("  %-16s %14d %18.0f %18.0f %12.2f" % ("median of %d" % len(ours), d, o, e, o / e))
print("  %-16s %14s %18.3f %18.3f" % ("final loss", "", statistics.median(r["final_train_loss"] for r in ours),
                                       statistics.median(r["final_train_loss"] for r in eager)))
if bound:
    b = statistics.median(r["tokens_per_s"] for r in bound)
    print("  %-16s %14s %18s %18.0f %12.2f" % ("eager intra-op 1", "", "", b, o / b))
print()
' "$arch" "$threads"
done
