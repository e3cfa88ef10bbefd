#include "screening.h"

#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lts {

namespace {

    constexpr double kTrustQuantile = 0.9;

} // namespace

void EstimateCalibrator::add(double rawEstimateMs, double measuredMs)
{
    const double ratio = measuredMs / rawEstimateMs;
    m_ratios.insert(std::upper_bound(m_ratios.begin(), m_ratios.end(), ratio), ratio);
}

double EstimateCalibrator::calibration() const
{
    return calibrated() ? quantile(m_ratios, 0.5) : 1.0;
}

// The k-th smallest error: the errors of ratios at and above `split` (the first ratio >= c) rise
// with the index; those below it rise as the index falls. A binary search over how many of the
// k + 1 smallest come from the upper run finds it without merging.
double EstimateCalibrator::errorAt(std::size_t k, double c, std::size_t split) const
{
    const std::size_t na = m_ratios.size() - split, nb = split;
    auto upper = [&](std::size_t i) { return std::fabs(c / m_ratios[split + i] - 1); };
    auto lower = [&](std::size_t j) { return std::fabs(c / m_ratios[split - 1 - j] - 1); };
    const std::size_t want = k + 1;
    std::size_t lo = want > nb ? want - nb : 0, hi = std::min(want, na);
    while (lo < hi) {
        const std::size_t i = lo + (hi - lo) / 2; // from the upper run; want - i from the lower
        const std::size_t j = want - i;
        if (j > 0 && i < na && lower(j - 1) > upper(i))
            lo = i + 1;
        else
            hi = i;
    }
    const std::size_t i = lo, j = want - lo;
    double v = -std::numeric_limits<double>::infinity();
    if (i > 0)
        v = std::max(v, upper(i - 1));
    if (j > 0)
        v = std::max(v, lower(j - 1));
    return v;
}

double EstimateCalibrator::errorQuantile(double q) const
{
    if (m_ratios.empty())
        return 0;
    const double c = calibration();
    const auto split = std::size_t(std::lower_bound(m_ratios.begin(), m_ratios.end(), c) - m_ratios.begin());
    const double pos = q * double(m_ratios.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, m_ratios.size() - 1);
    const double low = errorAt(lo, c, split);
    return hi == lo ? low : low + (pos - double(lo)) * (errorAt(hi, c, split) - low);
}

double EstimateCalibrator::shareWithin(double error) const
{
    if (m_ratios.empty())
        return 0;
    // |c / r - 1| <= e  <=>  c / (1 + e) <= r <= c / (1 - e)
    const double c = calibration();
    const auto lo = std::lower_bound(m_ratios.begin(), m_ratios.end(), c / (1 + error));
    const auto hi = error < 1 ? std::upper_bound(m_ratios.begin(), m_ratios.end(), c / (1 - error)) : m_ratios.end();
    return double(hi - lo) / double(m_ratios.size());
}

bool EstimateCalibrator::trusted() const
{
    return samples() >= kMinTrustPairs && errorQuantile(kTrustQuantile) <= kMaxTrustedError;
}

EstimateQuality EstimateCalibrator::quality(int screenedOut) const
{
    EstimateQuality q;
    q.samples = samples();
    q.screenedOut = screenedOut;
    q.calibration = calibration();
    q.medianError = errorQuantile(0.5);
    q.p90Error = errorQuantile(0.9);
    q.within5 = shareWithin(0.05);
    q.within10 = shareWithin(0.10);
    q.trusted = trusted();
    return q;
}

double screeningMargin(const EstimateCalibrator& calibrator, double configuredMargin)
{
    return std::max(configuredMargin, calibrator.errorQuantile(kTrustQuantile));
}

std::vector<std::size_t> orderByHypervolumeGain(
    std::vector<Point> front, const std::vector<Point>& candidates, const Point& ref)
{
    std::vector<std::size_t> planned, rest;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        rest.push_back(i);
    double volume = hypervolume(front, ref);
    while (!rest.empty()) {
        double bestGain = 0;
        std::size_t best = rest.size();
        for (std::size_t j = 0; j < rest.size(); ++j) {
            front.push_back(candidates[rest[j]]);
            const double gain = hypervolume(front, ref) - volume;
            front.pop_back();
            if (gain > bestGain) {
                bestGain = gain;
                best = j;
            }
        }
        if (best == rest.size())
            break; // the rest add nothing: they keep their order
        front.push_back(candidates[rest[best]]);
        volume += bestGain;
        planned.push_back(rest[best]);
        rest.erase(rest.begin() + std::ptrdiff_t(best));
    }
    planned.insert(planned.end(), rest.begin(), rest.end());
    return planned;
}

} // namespace lts
