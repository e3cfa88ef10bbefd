#include "stats.h"

#include <algorithm>
#include <cmath>

namespace lts {

double quantile(const std::vector<double>& sorted, double q)
{
    if (sorted.empty())
        return 0;
    const double pos = q * double(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

SampleSummary summarize(std::vector<double> samples)
{
    SampleSummary s;
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    s.median = quantile(samples, 0.5);
    s.q1 = quantile(samples, 0.25);
    s.q3 = quantile(samples, 0.75);
    s.min = samples.front();
    s.max = samples.back();
    return s;
}

bool medianKnown(const std::vector<double>& samples, int minSamples, double tolerance)
{
    if (tolerance <= 0 || int(samples.size()) < std::max(minSamples, 2))
        return false;
    const SampleSummary s = summarize(samples);
    const double sigma = s.iqr() / 1.349;
    return 1.2533 * sigma / std::sqrt(double(samples.size())) <= tolerance * s.median;
}

} // namespace lts
