// Order statistics of repeated timings.
#pragma once

#include <cstdint>
#include <vector>

namespace lts {

struct SampleSummary {
    double median = 0;
    double q1 = 0; // first quartile
    double q3 = 0; // third quartile
    double min = 0;
    double max = 0;
    double iqr() const { return q3 - q1; }
};

// Quantiles by linear interpolation between order statistics (numpy's default); zeros if empty.
SampleSummary summarize(std::vector<double> samples);
double quantile(const std::vector<double>& sorted, double q);

// True when at least `minSamples` timings pin their median down to within `tolerance` (relative):
// the median's standard error, 1.2533 sigma / sqrt(n) with sigma estimated robustly as
// IQR / 1.349, is at most tolerance * median. A tolerance of 0 never stops early.
bool medianKnown(const std::vector<double>& samples, int minSamples, double tolerance);

// Rank correlations of paired samples, ties included: Spearman's rho (Pearson's correlation of
// average ranks) and Kendall's tau-b. NaN when fewer than two pairs or a side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);
double kendallTauB(const std::vector<double>& x, const std::vector<double>& y);

struct Interval {
    double lo = 0;
    double hi = 0;
};
// Percentile bootstrap interval of `statistic` over pairs resampled with replacement
// (`resamples` draws, seeded; resamples where the statistic is NaN are left out), at `level`.
Interval bootstrapInterval(const std::vector<double>& x, const std::vector<double>& y,
    double (*statistic)(const std::vector<double>&, const std::vector<double>&), int resamples, double level,
    std::uint64_t seed);

} // namespace lts
