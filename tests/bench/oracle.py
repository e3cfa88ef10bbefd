#!/usr/bin/env python3
# How soon any search that measures its first population in full could reach the baseline
# (Python standard library only; run after tests/bench/vs_lts.sh).
#
#   oracle.py OUT [CACHE]
#       OUT is vs_lts.sh's folder (ours/, base/, remeasured.json). An oracle that knows every
#       latency of lts-search's first population in advance measures only the cheapest subset
#       whose hypervolume reaches 95% of the baseline's final one, as compare_frontiers.py
#       computes it (common latencies from CACHE, by default OUT/remeasured.json, and the same
#       reference point). Its measuring time is a lower bound on any order of that population:
#       no part table, no process start, no search overhead, and each candidate's time rounded
#       down. Candidates the common measurer never re-measured (none of them was on a frontier)
#       take their own latency scaled by the median ratio of common to own latencies.
import json
import math
import statistics
import sys

from fidelity import key_of, read_lines

kUnit = 0.1  # seconds: the oracle's costs are rounded down to this step


def hypervolume(points, pmin, ref):
    """As ltsref.hypervolume: area dominated by (params up, latency down) points."""
    area, best = 0.0, pmin
    pts = sorted((p for p in points if p[0] > pmin and p[1] < ref), key=lambda p: p[1])
    for i, (p, l) in enumerate(pts):
        best = max(best, p)
        nxt = pts[i + 1][1] if i + 1 < len(pts) else ref
        area += (best - pmin) * (nxt - l)
    return area


def own_front(rows):
    """As ltsref.pareto_front on the search's own latencies."""
    front, best = [], -1
    for r in sorted(rows, key=lambda r: (r["latency_ms"], -r["decoder_params"])):
        if r["decoder_params"] > best:
            front.append(r)
            best = r["decoder_params"]
    return front


def least_cost(points, pmin, ref, target, limit):
    """Least total cost (in units) of a subset of (params, latency, cost) points whose hypervolume
    reaches target, or None above limit. The best subset is a chain rising in both params and
    latency, whose area is the sum of (p_i - p_{i-1}) * (ref - l_i): a knapsack over chains."""
    pts = sorted(p for p in points if p[0] > pmin and p[1] < ref)
    best = []  # best[i][c]: the largest area of a chain ending at i costing at most c units
    for i, (p, l, cost) in enumerate(pts):
        row = [-math.inf] * (limit + 1)
        for c in range(cost, limit + 1):
            row[c] = (p - pmin) * (ref - l)
        for j in range(i):
            q, m, _ = pts[j]
            if q < p and m < l:
                gain = (p - q) * (ref - l)
                prev = best[j]
                for c in range(cost, limit + 1):
                    v = prev[c - cost] + gain
                    if v > row[c]:
                        row[c] = v
        best.append(row)
    for c in range(limit + 1):
        if any(row[c] >= target for row in best):
            return c
    return None


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: oracle.py OUT [CACHE]")
    out = sys.argv[1]
    cache = json.load(open(sys.argv[2] if len(sys.argv) == 3 else f"{out}/remeasured.json"))
    session = json.load(open(f"{out}/ours/session.json"))
    pmin = session["config"]["params_min"]
    ref = 1.1 * max(v["latency_ms"] for v in cache.values())

    base = [r for r in read_lines(f"{out}/base/candidates.jsonl") if r.get("status", "ok") == "ok"]
    base.sort(key=lambda r: r["elapsed_s"])
    def common(rows):  # the common latencies of a prefix's frontier, None where one was not re-measured
        keys = [key_of(r["arch"]) for r in own_front(rows)]
        return None if any(k not in cache for k in keys) else [(cache[k]["decoder_params"], cache[k]["latency_ms"]) for k in keys]

    # compare_frontiers.py re-measured the frontiers of its checkpoints only: the prefixes whose
    # frontier it holds stand for the baseline's course.
    course = [(r["elapsed_s"], hypervolume(f, pmin, ref)) for i, r in enumerate(base) if (f := common(base[: i + 1]))]
    final = max(hv for _, hv in course)
    reach = next(t for t, hv in course if hv >= 0.95 * final)

    firsts = [r for r in read_lines(f"{out}/ours/candidates.jsonl")
              if r.get("iteration") == 0 and not r.get("confirmed") and r.get("status") == "ok"]
    ratios = [cache[key_of(r["arch"])]["latency_ms"] / r["latency_ms"] for r in firsts if key_of(r["arch"]) in cache]
    scale = statistics.median(ratios)
    points = []
    for r in firsts:
        lat = cache[key_of(r["arch"])]["latency_ms"] if key_of(r["arch"]) in cache else scale * r["latency_ms"]
        points.append((r["decoder_params"], lat, int((r["build_ms"] + r["measure_ms"]) / 1000 / kUnit)))
    spent = sum(r["measure_ms"] for r in firsts) / 1000
    search = session["config"]["search"]
    size = search["parents"] + search["mutants"] + search["crossovers"]
    if len(firsts) < size:
        print(f"warning: only {len(firsts)} of the first population's {size} were measured: the bound holds for them only")
    limit = int(reach / kUnit)
    cost = least_cost(points, pmin, ref, 0.95 * final, limit)
    print(f"baseline: 95% of its final hypervolume at {reach:.1f} s ({len(course)} of its {len(base)} prefixes re-measured)")
    print(f"first population: {len(firsts)} measured in full in {spent:.0f} s of measuring; "
          f"{len(ratios)} re-measured by the common measurer, the rest scaled by {scale:.3f}; "
          f"all of them reach {hypervolume([p[:2] for p in points], pmin, ref) / final:.3f} of the baseline's final")
    if cost is None:
        print(f"oracle: no subset reaches 95% within {reach:.0f} s of measuring: no order beats the baseline")
    else:
        print(f"oracle: the cheapest subset reaching 95% costs {cost * kUnit:.1f} s of measuring: "
              f"at most {reach / (cost * kUnit) if cost else math.inf:.1f}x the baseline's time")


if __name__ == "__main__":
    main()
