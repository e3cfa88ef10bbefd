// Screening with the estimates: the calibration of an estimate against full measurements, when
// it is good enough to use, the margin a screened candidate is given, and the order a batch is
// measured in.
#pragma once

#include "pareto.h"

#include <cstddef>
#include <deque>
#include <vector>

namespace lts {

// Error of a calibrated estimate (latency or peak memory) against the full measurements of the
// same candidates, as the latency-predictor literature reports it.
struct EstimateQuality {
    int samples = 0; // full measurements compared with the estimate calibrated before them
    int screenedOut = 0; // candidates recorded as estimated, never measured in full
    double calibration = 1.0; // median of measured / raw estimate over the recent measurements
    double medianError = 0; // median relative error |calibrated estimate - measured| / measured
    double p90Error = 0;
    double within5 = 0; // share of the samples whose error is at most 5%
    double within10 = 0; // ... at most 10%
    // Screening and culling use the estimate: enough samples, 90% of them within the margin.
    bool trusted = false;
};

// The estimate's bias and its error, kept current pair by pair. The calibration is the median
// measured / raw ratio of the last kWindow full measurements, so it follows the device when its
// speed drifts (another process, a clock or cache state) instead of averaging over the whole
// run. The error is predictive: each measurement is compared with its estimate as calibrated
// before that measurement came, which is what the search decided on. Adding a pair costs one
// insertion into a sorted vector; a quantile or share of the errors is O(log n).
class EstimateCalibrator final {
public:
    static constexpr int kMinPairs = 3; // measured/estimate ratios before their median is used
    static constexpr int kWindow = 10; // recent ratios the calibration follows
    static constexpr int kMinTrustPairs = 10; // checked predictions before the estimate may screen or cull
    static constexpr double kMaxTrustedError = 0.2; // the largest 90th-percentile error trusted

    void add(double rawEstimateMs, double measuredMs);
    int pairs() const { return m_pairs; }
    // Full measurements compared with a calibrated estimate made before them.
    int samples() const { return int(m_errors.size()); }
    bool calibrated() const { return m_pairs >= kMinPairs; }
    // Median of measured / raw over the last kWindow pairs once calibrated, else 1.
    double calibration() const;
    // Quantile (linear interpolation, as lts::quantile) of the predictive relative errors.
    double errorQuantile(double q) const;
    // Share of the predictive errors that are at most `error`.
    double shareWithin(double error) const;
    // At least kMinTrustPairs checked predictions, 90% of them within kMaxTrustedError.
    bool trusted() const;
    EstimateQuality quality(int screenedOut) const;

private:
    std::deque<double> m_recent; // the last kWindow ratios, oldest first
    std::vector<double> m_errors; // sorted
    int m_pairs = 0;
};

// How much a candidate's calibrated estimate is lowered before it is compared with the measured
// frontier: the configured margin, or the estimate's 90th-percentile error when larger (a trusted
// estimate's is at most kMaxTrustedError).
double screeningMargin(const EstimateCalibrator& calibrator, double configuredMargin);

// The order to measure `candidates` in: greedily by the hypervolume each adds to `front` (and to
// those chosen before it) under `ref` per unit of its `costs` (the time its measurement is
// expected to take; none given: all equal), largest first, so the frontier grows fastest in
// time; those that add nothing follow in their given order. Returns indices into `candidates`.
std::vector<std::size_t> orderByHypervolumeGain(std::vector<Point> front, const std::vector<Point>& candidates,
    const Point& ref, const std::vector<double>& costs = {});

} // namespace lts
