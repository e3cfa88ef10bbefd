#include "pareto.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace lts {

bool dominates(const Point& a, const Point& b)
{
    bool better = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i])
            return false;
        better = better || a[i] < b[i];
    }
    return better;
}

namespace {

    // Non-dominated members of `subset`: sorted lexicographically, a point can only be dominated by
    // one before it, and only by one already on the front, so each point is checked against the
    // front alone (O(n * front size)).
    std::vector<std::size_t> frontOf(const std::vector<Point>& points, std::vector<std::size_t> subset)
    {
        std::sort(subset.begin(), subset.end(),
            [&](std::size_t a, std::size_t b) { return points[a] != points[b] ? points[a] < points[b] : a < b; });
        std::vector<std::size_t> front;
        for (std::size_t i : subset) {
            const bool dominated =
                std::any_of(front.begin(), front.end(), [&](std::size_t f) { return dominates(points[f], points[i]); });
            if (!dominated)
                front.push_back(i);
        }
        std::sort(front.begin(), front.end());
        return front;
    }

    double hypervolume2d(std::vector<Point> pts, double refX, double refY)
    {
        std::sort(pts.begin(), pts.end());
        double area = 0, bestY = refY;
        for (std::size_t i = 0; i < pts.size(); ++i) {
            bestY = std::min(bestY, pts[i][1]);
            const double nextX = i + 1 < pts.size() ? pts[i + 1][0] : refX;
            area += (nextX - pts[i][0]) * (refY - bestY);
        }
        return area;
    }

} // namespace

std::vector<std::size_t> paretoFront(const std::vector<Point>& points)
{
    std::vector<std::size_t> all(points.size());
    std::iota(all.begin(), all.end(), 0);
    return frontOf(points, std::move(all));
}

std::vector<int> nonDominatedRanks(const std::vector<Point>& points, std::size_t enough)
{
    std::vector<int> rank(points.size(), -1);
    std::vector<std::size_t> left(points.size());
    std::iota(left.begin(), left.end(), 0);
    std::size_t ranked = 0;
    for (int r = 0; !left.empty(); ++r) {
        if (ranked >= enough) {
            for (std::size_t i : left)
                rank[i] = r;
            break;
        }
        const auto front = frontOf(points, left);
        ranked += front.size();
        for (std::size_t i : front)
            rank[i] = r;
        std::vector<std::size_t> rest;
        std::set_difference(left.begin(), left.end(), front.begin(), front.end(), std::back_inserter(rest));
        left = std::move(rest);
    }
    return rank;
}

bool FrontTracker::dominatesPoint(const Point& p) const
{
    return std::any_of(m_points.begin(), m_points.end(), [&](const Point& f) { return dominates(f, p); });
}

bool FrontTracker::offer(std::size_t id, const Point& p)
{
    if (dominatesPoint(p))
        return false;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_points.size(); ++i) {
        if (dominates(p, m_points[i]))
            continue;
        if (kept != i) {
            m_points[kept] = std::move(m_points[i]);
            m_ids[kept] = m_ids[i];
        }
        ++kept;
    }
    m_points.resize(kept);
    m_ids.resize(kept);
    m_points.push_back(p);
    m_ids.push_back(id);
    return true;
}

double hypervolume(const std::vector<Point>& points, const Point& ref)
{
    if (ref.size() != 2 && ref.size() != 3)
        throw std::invalid_argument("hypervolume: 2 or 3 objectives");
    std::vector<Point> inside;
    for (const auto& p : points) {
        bool ok = p.size() == ref.size();
        for (std::size_t i = 0; ok && i < ref.size(); ++i)
            ok = p[i] < ref[i];
        if (ok)
            inside.push_back(p);
    }
    if (ref.size() == 2)
        return hypervolume2d(std::move(inside), ref[0], ref[1]);
    // 3 objectives: sweep along the third, summing 2-D slices of the points already passed.
    std::sort(inside.begin(), inside.end(), [](const Point& a, const Point& b) { return a[2] < b[2]; });
    double volume = 0;
    std::vector<Point> slice;
    for (std::size_t i = 0; i < inside.size(); ++i) {
        slice.push_back({ inside[i][0], inside[i][1] });
        const double nextZ = i + 1 < inside.size() ? inside[i + 1][2] : ref[2];
        if (nextZ > inside[i][2])
            volume += hypervolume2d(slice, ref[0], ref[1]) * (nextZ - inside[i][2]);
    }
    return volume;
}

} // namespace lts
