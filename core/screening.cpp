#include "screening.h"

#include "stats.h"

#include <algorithm>
#include <cmath>

namespace lts {

namespace {

    constexpr double kTrustQuantile = 0.9;

} // namespace

void EstimateCalibrator::add(double rawEstimateMs, double measuredMs)
{
    if (calibrated()) {
        const double error = std::fabs(rawEstimateMs * calibration() / measuredMs - 1);
        m_errors.insert(std::upper_bound(m_errors.begin(), m_errors.end(), error), error);
    }
    m_recent.push_back(measuredMs / rawEstimateMs);
    if (int(m_recent.size()) > kWindow)
        m_recent.pop_front();
    ++m_pairs;
}

double EstimateCalibrator::calibration() const
{
    if (!calibrated())
        return 1.0;
    std::vector<double> recent(m_recent.begin(), m_recent.end());
    std::sort(recent.begin(), recent.end());
    return quantile(recent, 0.5);
}

double EstimateCalibrator::errorQuantile(double q) const
{
    return m_errors.empty() ? 0 : quantile(m_errors, q);
}

double EstimateCalibrator::shareWithin(double error) const
{
    if (m_errors.empty())
        return 0;
    return double(std::upper_bound(m_errors.begin(), m_errors.end(), error) - m_errors.begin())
        / double(m_errors.size());
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
    std::vector<Point> front, const std::vector<Point>& candidates, const Point& ref, const std::vector<double>& costs)
{
    auto cost = [&costs](std::size_t i) { return i < costs.size() && costs[i] > 0 ? costs[i] : 1.0; };
    std::vector<std::size_t> planned, rest;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        rest.push_back(i);
    double volume = hypervolume(front, ref);
    while (!rest.empty()) {
        double bestGain = 0, bestRate = 0;
        std::size_t best = rest.size();
        for (std::size_t j = 0; j < rest.size(); ++j) {
            front.push_back(candidates[rest[j]]);
            const double gain = hypervolume(front, ref) - volume;
            front.pop_back();
            if (gain > 0 && gain / cost(rest[j]) > bestRate) {
                bestRate = gain / cost(rest[j]);
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
