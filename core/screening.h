// Screening with the estimates: the calibration of an estimate against full measurements, when
// it is good enough to use, the margin a screened candidate is given, and the order a batch is
// measured in.
#pragma once

#include "pareto.h"

#include <cstddef>
#include <vector>

namespace lts {

// Error of a calibrated estimate (latency or peak memory) against the full measurements of the
// same candidates, as the latency-predictor literature reports it.
struct EstimateQuality {
    int samples = 0; // fully measured candidates that also had an estimate
    int screenedOut = 0; // candidates recorded as estimated, never measured in full
    double calibration = 1.0; // median of measured / raw estimate
    double medianError = 0; // median relative error |estimate - measured| / measured
    double p90Error = 0;
    double within5 = 0; // share of the samples whose error is at most 5%
    double within10 = 0; // ... at most 10%
    // Screening and culling use the estimate: enough samples, 90% of them within the margin.
    bool trusted = false;
};

// The estimate's bias and error, kept current pair by pair: adding a pair costs one insertion
// into a sorted vector and a quantile of the errors O(log n), so following it over a whole run
// is not quadratic. The error of a pair depends only on its ratio r = measured / raw:
// |raw * c - measured| / measured = |c / r - 1|, which grows with r above the calibration c and
// as r falls below it; the sorted errors are two sorted runs of the sorted ratios, merged.
class EstimateCalibrator final {
public:
    static constexpr int kMinPairs = 3; // measured/estimate ratios before their median is used
    static constexpr int kMinTrustPairs = 10; // before the estimate may screen or cull
    static constexpr double kMaxTrustedError = 0.2; // the largest 90th-percentile error trusted

    void add(double rawEstimateMs, double measuredMs);
    int samples() const { return int(m_ratios.size()); }
    bool calibrated() const { return samples() >= kMinPairs; }
    // Median of measured / raw once calibrated, else 1.
    double calibration() const;
    // Quantile (linear interpolation, as lts::quantile) of the calibrated relative errors.
    double errorQuantile(double q) const;
    // Share of the pairs whose calibrated relative error is at most `error`.
    double shareWithin(double error) const;
    // At least kMinTrustPairs pairs, and 90% of them within kMaxTrustedError.
    bool trusted() const;
    EstimateQuality quality(int screenedOut) const;

private:
    double errorAt(std::size_t k, double c, std::size_t split) const;

    std::vector<double> m_ratios; // sorted
};

// How much a candidate's calibrated estimate is lowered before it is compared with the measured
// frontier: the configured margin, or the estimate's 90th-percentile error when larger (a trusted
// estimate's is at most kMaxTrustedError).
double screeningMargin(const EstimateCalibrator& calibrator, double configuredMargin);

// The order to measure `candidates` in: greedily by the hypervolume each adds to `front` (and to
// those chosen before it) under `ref`, largest first; those that add nothing follow in their
// given order. Returns indices into `candidates`.
std::vector<std::size_t> orderByHypervolumeGain(
    std::vector<Point> front, const std::vector<Point>& candidates, const Point& ref);

} // namespace lts
