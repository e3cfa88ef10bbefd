// Order statistics of repeated timings.
#pragma once

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

} // namespace lts
