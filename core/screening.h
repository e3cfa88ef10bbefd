// Screening with the estimates: the calibration of an estimate against full measurements, when
// it is good enough to use, the margin a screened candidate is given, and the order a batch is
// measured in.
#pragma once

#include "archconfig.h"
#include "pareto.h"
#include "searchspace.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace lts {

// Error of a calibrated estimate (latency or peak memory) against the full measurements of the
// same candidates, as the latency-predictor literature reports it.
struct EstimateQuality {
    int samples = 0; // full measurements compared with the estimate calibrated before them
    int screenedOut = 0; // candidates recorded as estimated, never measured in full
    int audited = 0; // candidates screening dropped that were measured anyway (ScreeningPolicy)
    int falseDrops = 0; // ... of which reached the measured frontier: screening would have lost them
    double margin = 0; // the margin screening gives this estimate now (0: it does not screen)
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
    // Trust and the margin are judged on the last kTrustWindow checked predictions, so that the
    // estimates are trusted again once a phase in which the device's speed changed has passed.
    static constexpr int kTrustWindow = 20;

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
    // The same over the last kTrustWindow predictions.
    double recentErrorQuantile(double q) const;
    double recentShareWithin(double error) const;
    // At least kMinTrustPairs checked predictions, 90% of the last kTrustWindow within kMaxTrustedError.
    bool trusted() const;
    EstimateQuality quality(int screenedOut) const;

private:
    std::deque<double> m_recent; // the last kWindow ratios, oldest first
    std::vector<double> m_errors; // sorted
    std::deque<double> m_recentErrors; // the last kTrustWindow, oldest first
    int m_pairs = 0;
};

// How much a candidate's calibrated estimate is lowered before it is compared with the measured
// frontier: the configured margin, or the estimate's recent 90th-percentile error when larger (a
// trusted estimate's is at most kMaxTrustedError).
double screeningMargin(const EstimateCalibrator& calibrator, double configuredMargin);

// What the search may do with its estimates: the verdict on trusting them (every chosen cost
// objective's calibrator), the margin a screened candidate is given, and the audit of what
// screening drops. A random share of the dropped candidates is measured anyway; one that reaches
// the measured frontier is a false drop. When false drops exceed kMaxFalseDropShare of the
// audits since the last change, the margin doubles, and after kMaxWidenings screening stops.
// Every decision depends only on the measurements and the seed, so a resumed run replays it.
class ScreeningPolicy final {
public:
    static constexpr double kAuditProbability = 0.1; // chance that a dropped candidate is audited...
    static constexpr double kAuditShare = 0.05; // ... while audits stay within this share of full measurements
    static constexpr double kMaxFalseDropShare = 0.1; // of the audits, before the margin widens
    static constexpr int kMinAudits = 5; // audits before false drops are judged
    static constexpr double kWidening = 2.0;
    static constexpr int kMaxWidenings = 2; // then screening turns off

    enum class Trust { Pending, Yes, No };
    struct Notice {
        std::string text;
        bool warning = false;
    };

    ScreeningPolicy(double configuredMargin, bool latency, bool memory, std::uint64_t seed);

    EstimateCalibrator& latency() { return m_latency; }
    EstimateCalibrator& memory() { return m_memory; }
    const EstimateCalibrator& latency() const { return m_latency; }
    const EstimateCalibrator& memory() const { return m_memory; }
    Trust trust() const { return m_trust; }
    // Judges the estimates again; says so when the verdict changes.
    std::optional<Notice> update();
    // The configured margin, or the estimate's 90th-percentile error when larger, times the widening.
    double latencyMargin() const;
    double memoryMargin() const;
    // Whether the dropped candidate `key` is measured anyway, given the full measurements so far.
    bool audits(const std::string& key, int fullMeasurements) const;
    // An audited candidate was measured: `falseDrop` when it reached the measured frontier.
    std::optional<Notice> recordAudit(bool falseDrop);
    EstimateQuality quality(const EstimateCalibrator& cal, int screenedOut) const;

private:
    double m_configuredMargin;
    bool m_latencyChosen, m_memoryChosen;
    std::uint64_t m_seed;
    EstimateCalibrator m_latency, m_memory;
    Trust m_trust = Trust::Pending; // too few full measurements to judge yet
    int m_audited = 0, m_falseDrops = 0;
    int m_windowAudits = 0, m_windowFalseDrops = 0; // since the margin last changed
    int m_widenings = 0;
    bool m_offForFalseDrops = false;
};

// The strata a calibration sample spans: three of depth (n_layer) by four of width (d_model),
// each an equal share of the space's range. Returns the stratum of `a`, 0 to kStrata - 1.
constexpr int kDepthStrata = 3, kWidthStrata = 4, kStrata = kDepthStrata * kWidthStrata;
int calibrationStratum(const ArchConfig& a, const SearchSpace& space);
// Up to `size` members of `pool`, one of every stratum in turn: the cheapest by `costs` (raw
// estimates) of the stratum's first kCalibrationDraws members in pool order, then of the next
// kCalibrationDraws, and so on. A random member, but not the stratum's slowest: a calibration
// measurement costs what the model costs. Returned cheapest first (0, unknown, goes first).
constexpr std::size_t kCalibrationDraws = 4;
std::vector<std::size_t> calibrationSample(
    const std::vector<ArchConfig>& pool, const std::vector<double>& costs, const SearchSpace& space, std::size_t size);

// The order to measure `candidates` in: greedily by the hypervolume each adds to `front` (and to
// those chosen before it) under `ref` per unit of its `costs` (the time its measurement is
// expected to take; none given: all equal), largest first, so the frontier grows fastest in
// time; those that add nothing, or come after the first `limit`, follow in their given order.
// Returns indices into `candidates`.
std::vector<std::size_t> orderByHypervolumeGain(std::vector<Point> front, const std::vector<Point>& candidates,
    const Point& ref, const std::vector<double>& costs = {}, std::size_t limit = SIZE_MAX);

} // namespace lts
