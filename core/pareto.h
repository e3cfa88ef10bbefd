// Non-dominated sorting and hypervolume for minimisation problems of 2 or 3 objectives.
// Maximised objectives (decoder parameters) are negated by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lts {

using Point = std::vector<double>;

// True when a is no worse than b in every objective and better in at least one.
bool dominates(const Point& a, const Point& b);
// Rank of each point: 0 for the non-dominated front, 1 for the front behind it, and so on.
// Once `enough` points are ranked, the rest share the next rank.
std::vector<int> nonDominatedRanks(const std::vector<Point>& points, std::size_t enough = SIZE_MAX);
// Indices of the non-dominated points, in input order.
std::vector<std::size_t> paretoFront(const std::vector<Point>& points);
// A non-dominated set kept current as points arrive one by one: each offer costs one pass over
// the front, so building it over n points is O(n * front) instead of recomputing from scratch.
class FrontTracker final {
public:
    // Offers point `p` under caller's `id`; true when it joins the front (evicting what it dominates).
    bool offer(std::size_t id, const Point& p);
    // True when some member dominates `p`.
    bool dominatesPoint(const Point& p) const;
    const std::vector<std::size_t>& ids() const { return m_ids; }
    const std::vector<Point>& points() const { return m_points; }

private:
    std::vector<std::size_t> m_ids;
    std::vector<Point> m_points;
};

// Volume dominated by `points` and bounded by the reference point `ref` (2 or 3 objectives).
// Points not strictly better than ref in every objective contribute nothing.
double hypervolume(const std::vector<Point>& points, const Point& ref);

} // namespace lts
