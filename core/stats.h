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

} // namespace lts
