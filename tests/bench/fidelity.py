#!/usr/bin/env python3
# The frontier-fidelity report of tests/bench/vs_lts.sh (Python standard library only).
#
#   fidelity.py RUN REMEASURED.json
#       What the run reported against the common measurer's re-measurement: the median gap
#       between each final frontier point's reported latency and the common one, the share of
#       reported frontier points still non-dominated among themselves after re-measurement, the
#       confirmations and how far they moved, the estimate's accuracy (session.json) and how
#       widely the first 100 candidates spread over the space.
#
#   fidelity.py RUN REMEASURED.json AGAIN.json
#       The same, then the common measurer against itself: AGAIN.json holds a second common
#       measurement of the final frontier (vs_lts.sh takes one in a fresh cache), and the same
#       gap and share computed between the two show how far any reported latency can agree.
import json
import statistics
import sys


def key_of(arch):  # as compare_frontiers.py keys its cache
    n = arch["n_layer"]
    heads = arch["n_head"] if isinstance(arch["n_head"], list) else [arch["n_head"]] * n
    inner = arch["d_inner"] if isinstance(arch["d_inner"], list) else [arch["d_inner"]] * n
    return json.dumps([arch["d_model"], heads[:n], inner[:n]])


def read_lines(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line cut by a kill
    return out


def last_records(lines):
    order, last = [], {}
    for r in lines:
        if r["id"] not in last:
            order.append(r["id"])
        last[r["id"]] = r
    return [last[i] for i in order]


def non_dominated(points):
    """Indices of (params up, latency down) points no other point dominates."""
    keep = []
    for i, (p, l) in enumerate(points):
        if not any(q >= p and m <= l and (q > p or m < l) for j, (q, m) in enumerate(points) if j != i):
            keep.append(i)
    return keep


def percentile90(values):
    return sorted(values)[int(0.9 * (len(values) - 1))]


def self_agreement(front, common, again):
    """Gap and staying share between two common measurements of the final frontier."""
    keys = [key_of(c["arch"]) for c in front]
    keys = [k for k in keys if k in common and k in again]
    signed = [again[k]["latency_ms"] / common[k]["latency_ms"] - 1 for k in keys]
    gaps = [abs(g) for g in signed]
    first = [(common[k]["decoder_params"], common[k]["latency_ms"]) for k in keys]
    kept = [keys[i] for i in non_dominated(first)]
    second = [(again[k]["decoder_params"], again[k]["latency_ms"]) for k in kept]
    stay = len(non_dominated(second))
    print(f"the common measurer against itself, {len(keys)} frontier points: median gap {100 * statistics.median(gaps):.1f}% "
          f"(90th percentile {100 * percentile90(gaps):.1f}%, signed median {100 * statistics.median(signed):+.1f}%); "
          f"of the {len(kept)} non-dominated by its first measurement, "
          f"{stay} ({100 * stay / len(kept):.0f}%) stay non-dominated by its second")


def report(run, remeasured_path, again_path=None):
    records = last_records(read_lines(f"{run}/candidates.jsonl"))
    common = json.load(open(remeasured_path))
    front = json.load(open(f"{run}/frontier.json"))["frontier"]
    gaps, points, missing = [], [], 0
    for c in front:
        k = key_of(c["arch"])
        if k not in common:
            missing += 1
            continue
        gaps.append(c["latency_ms"] / common[k]["latency_ms"] - 1)
        points.append((c["decoder_params"], common[k]["latency_ms"]))
    stay = len(non_dominated(points))
    signed = statistics.median(gaps)
    gaps = [abs(g) for g in gaps]
    confirmed = [r for r in records if r.get("confirmed")]
    moves = [abs(r["latency_ms"] / r["first_latency_ms"] - 1) for r in confirmed if r.get("first_latency_ms")]
    print(f"frontier fidelity: {len(front)} reported points, {sum(1 for c in front if c.get('confirmed'))} confirmed; "
          f"median gap to the common measurer {100 * statistics.median(gaps):.1f}% "
          f"(90th percentile {100 * percentile90(gaps):.1f}%, signed median {100 * signed:+.1f}%); "
          f"{stay} of {len(points)} ({100 * stay / len(points):.0f}%) stay non-dominated"
          + (f"; {missing} not re-measured" if missing else ""))
    if moves:
        print(f"confirmations: {len(confirmed)}, median move {100 * statistics.median(moves):.1f}%, "
              f"largest {100 * max(moves):.1f}%")
    est = json.load(open(f"{run}/session.json")).get("estimates", {})
    for name in ("latency", "peak_memory"):
        q = est.get(name, {})
        if q.get("samples"):
            print(f"{name} estimate: {q['samples']} full measurements, {100 * q['within_5pct']:.0f}% within +-5%, "
                  f"{100 * q['within_10pct']:.0f}% within +-10%, median error {100 * q['median_error']:.1f}%, "
                  f"trusted {q['trusted']}")
    if again_path:
        self_agreement(front, common, json.load(open(again_path)))
    first = records[:100]
    print(f"first {len(first)} candidates: {len({r['arch']['d_model'] for r in first})} distinct d_model, "
          f"{len({r['arch']['n_layer'] for r in first})} distinct n_layer, "
          f"{sum(1 for r in first if r['status'] == 'ok')} measured in full")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: fidelity.py RUN REMEASURED.json [AGAIN.json]")
    report(*sys.argv[1:])


if __name__ == "__main__":
    main()
