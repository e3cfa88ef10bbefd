#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

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

namespace {

    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

    // Ranks from 1, tied values sharing the mean of their ranks.
    std::vector<double> averageRanks(const std::vector<double>& v)
    {
        std::vector<std::size_t> order(v.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
        std::vector<double> ranks(v.size());
        for (std::size_t i = 0; i < order.size();) {
            std::size_t j = i;
            while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
                ++j;
            const double rank = double(i + j) / 2.0 + 1.0;
            for (std::size_t k = i; k <= j; ++k)
                ranks[order[k]] = rank;
            i = j + 1;
        }
        return ranks;
    }

    int sign(double d)
    {
        return (d > 0) - (d < 0);
    }

} // namespace

double spearman(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size() || x.size() < 2)
        return kNaN;
    const auto rx = averageRanks(x), ry = averageRanks(y);
    const double n = double(x.size());
    const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / n;
    const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < rx.size(); ++i) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

double kendallTauB(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size() || x.size() < 2)
        return kNaN;
    // tau-b = (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)), n1 and n2 the pairs tied in x
    // and in y; a pair tied in both counts in n1 and n2.
    double s = 0, n0 = 0, tiedX = 0, tiedY = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = i + 1; j < x.size(); ++j) {
            const int a = sign(x[i] - x[j]), b = sign(y[i] - y[j]);
            n0 += 1;
            tiedX += a == 0;
            tiedY += b == 0;
            s += a * b;
        }
    const double denom = std::sqrt((n0 - tiedX) * (n0 - tiedY));
    return denom > 0 ? s / denom : kNaN;
}

Interval bootstrapInterval(const std::vector<double>& x, const std::vector<double>& y,
    double (*statistic)(const std::vector<double>&, const std::vector<double>&), int resamples, double level,
    std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, x.empty() ? 0 : x.size() - 1);
    std::vector<double> values, bx(x.size()), by(y.size());
    values.reserve(std::size_t(std::max(0, resamples)));
    for (int r = 0; r < resamples && !x.empty(); ++r) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            const std::size_t k = pick(rng);
            bx[i] = x[k];
            by[i] = y[k];
        }
        const double v = statistic(bx, by);
        if (!std::isnan(v))
            values.push_back(v);
    }
    if (values.empty())
        return { kNaN, kNaN };
    std::sort(values.begin(), values.end());
    const double tail = (1.0 - level) / 2.0;
    return { quantile(values, tail), quantile(values, 1.0 - tail) };
}

} // namespace lts
