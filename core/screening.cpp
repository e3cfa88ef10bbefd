#include "screening.h"

#include "stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace lts {

namespace {

    constexpr double kTrustQuantile = 0.9;

} // namespace

void EstimateCalibrator::add(double rawEstimateMs, double measuredMs)
{
    if (calibrated()) {
        const double error = std::fabs(rawEstimateMs * calibration() / measuredMs - 1);
        m_errors.insert(std::upper_bound(m_errors.begin(), m_errors.end(), error), error);
        m_recentErrors.push_back(error);
        if (int(m_recentErrors.size()) > kTrustWindow)
            m_recentErrors.pop_front();
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

double EstimateCalibrator::recentErrorQuantile(double q) const
{
    std::vector<double> recent(m_recentErrors.begin(), m_recentErrors.end());
    std::sort(recent.begin(), recent.end());
    return recent.empty() ? 0 : quantile(recent, q);
}

double EstimateCalibrator::recentShareWithin(double error) const
{
    if (m_recentErrors.empty())
        return 0;
    return double(std::count_if(m_recentErrors.begin(), m_recentErrors.end(), [&](double e) { return e <= error; }))
        / double(m_recentErrors.size());
}

bool EstimateCalibrator::trusted() const
{
    return samples() >= kMinTrustPairs && recentErrorQuantile(kTrustQuantile) <= kMaxTrustedError;
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
    return std::max(configuredMargin, calibrator.recentErrorQuantile(kTrustQuantile));
}

namespace {

    // FNV-1a 64 of the seed and a key: a coin per architecture that a replay draws again.
    double coin(std::uint64_t seed, const std::string& key)
    {
        std::uint64_t h = 14695981039346656037ull;
        auto mix = [&h](unsigned char c) {
            h ^= c;
            h *= 1099511628211ull;
        };
        for (int i = 0; i < 8; ++i)
            mix(static_cast<unsigned char>(seed >> (8 * i)));
        for (char c : key)
            mix(static_cast<unsigned char>(c));
        // MurmurHash3's finaliser: FNV-1a alone leaves the high bits of similar keys alike.
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb93e45ec1a53ull;
        h ^= h >> 33;
        return double(h >> 11) / double(1ull << 53);
    }

} // namespace

ScreeningPolicy::ScreeningPolicy(double configuredMargin, bool latency, bool memory, std::uint64_t seed)
    : m_configuredMargin(configuredMargin)
    , m_latencyChosen(latency)
    , m_memoryChosen(memory)
    , m_seed(seed)
{
}

std::optional<ScreeningPolicy::Notice> ScreeningPolicy::update()
{
    std::string doubt;
    bool pending = false;
    auto check = [&](bool chosen, const EstimateCalibrator& cal, const char* what) {
        if (!chosen || cal.trusted())
            return;
        if (cal.samples() < EstimateCalibrator::kMinTrustPairs) {
            pending = true;
            return;
        }
        char text[200];
        std::snprintf(text, sizeof text,
            "the %s estimate misses by more than %.0f%% for %.0f%% of the last %d full measurements (90th "
            "percentile %.1f%%)",
            what, 100 * EstimateCalibrator::kMaxTrustedError,
            100 * (1 - cal.recentShareWithin(EstimateCalibrator::kMaxTrustedError)),
            std::min(cal.samples(), EstimateCalibrator::kTrustWindow), 100 * cal.recentErrorQuantile(kTrustQuantile));
        doubt += (doubt.empty() ? "" : "; ") + std::string(text);
    };
    check(m_latencyChosen, m_latency, "latency");
    check(m_memoryChosen, m_memory, "memory");
    const Trust verdict = m_offForFalseDrops ? Trust::No
        : !doubt.empty()                     ? Trust::No
        : pending                            ? Trust::Pending
                                             : Trust::Yes;
    if (verdict == m_trust)
        return std::nullopt;
    m_trust = verdict;
    if (verdict == Trust::Yes)
        return Notice { "the estimates hold on this device: screening and culling are on", false };
    if (verdict == Trust::No && !m_offForFalseDrops)
        return Notice { "screening and culling are off: " + doubt + "; every candidate is measured in full", true };
    return std::nullopt; // pending again, or off for false drops (said when that happened)
}

double ScreeningPolicy::latencyMargin() const
{
    return screeningMargin(m_latency, m_configuredMargin) * std::pow(kWidening, m_widenings);
}

double ScreeningPolicy::memoryMargin() const
{
    return screeningMargin(m_memory, m_configuredMargin) * std::pow(kWidening, m_widenings);
}

bool ScreeningPolicy::audits(const std::string& key, int fullMeasurements) const
{
    return m_audited + 1 <= kAuditShare * fullMeasurements + 1 && coin(m_seed, key) < kAuditProbability;
}

std::optional<ScreeningPolicy::Notice> ScreeningPolicy::recordAudit(bool falseDrop)
{
    ++m_audited;
    ++m_windowAudits;
    m_falseDrops += falseDrop;
    m_windowFalseDrops += falseDrop;
    if (m_offForFalseDrops || m_windowAudits < kMinAudits || m_windowFalseDrops <= kMaxFalseDropShare * m_windowAudits)
        return std::nullopt;
    char text[240];
    std::snprintf(text, sizeof text, "%d of %d audited candidates that screening dropped reached the frontier",
        m_windowFalseDrops, m_windowAudits);
    m_windowAudits = m_windowFalseDrops = 0;
    if (m_widenings < kMaxWidenings) {
        ++m_widenings;
        return Notice { std::string(text) + ": the screening margin widens to "
                + std::to_string(int(std::lround(100 * latencyMargin()))) + "%",
            true };
    }
    m_offForFalseDrops = true;
    m_trust = Trust::No;
    return Notice { std::string(text) + " again: screening and culling are off; every candidate is measured in full",
        true };
}

EstimateQuality ScreeningPolicy::quality(const EstimateCalibrator& cal, int screenedOut) const
{
    EstimateQuality q = cal.quality(screenedOut);
    q.audited = m_audited;
    q.falseDrops = m_falseDrops;
    q.trusted = q.trusted && !m_offForFalseDrops;
    q.margin = m_trust == Trust::Yes ? (&cal == &m_memory ? memoryMargin() : latencyMargin()) : 0;
    return q;
}

int calibrationStratum(const ArchConfig& a, const SearchSpace& space)
{
    const int layers = std::max(1, space.nLayerMax - space.nLayerMin + 1);
    const int depth = std::clamp((a.nLayer - space.nLayerMin) * kDepthStrata / layers, 0, kDepthStrata - 1);
    const auto narrower = std::count_if(space.dModel.begin(), space.dModel.end(), [&](int d) { return d < a.dModel; });
    const int widths = std::max<int>(1, int(space.dModel.size()));
    const int width = std::clamp(int(narrower) * kWidthStrata / widths, 0, kWidthStrata - 1);
    return depth * kWidthStrata + width;
}

std::vector<std::size_t> calibrationSample(
    const std::vector<ArchConfig>& pool, const std::vector<double>& costs, const SearchSpace& space, std::size_t size)
{
    auto cost = [&](std::size_t i) { return i < costs.size() ? costs[i] : 0.0; };
    std::vector<std::vector<std::size_t>> strata(kStrata);
    for (std::size_t i = 0; i < pool.size(); ++i)
        strata[std::size_t(calibrationStratum(pool[i], space))].push_back(i);
    // Each stratum's members in turns of kCalibrationDraws (pool order: random), the cheapest of
    // each turn first.
    for (auto& s : strata)
        for (std::size_t from = 0; from < s.size(); from += kCalibrationDraws) {
            const auto end = s.begin() + std::ptrdiff_t(std::min(s.size(), from + kCalibrationDraws));
            std::stable_sort(
                s.begin() + std::ptrdiff_t(from), end, [&](std::size_t x, std::size_t y) { return cost(x) < cost(y); });
        }
    std::vector<std::size_t> sample;
    for (std::size_t round = 0; sample.size() < size; ++round) {
        bool any = false;
        for (const auto& s : strata) {
            const std::size_t at = round * kCalibrationDraws;
            if (at < s.size() && sample.size() < size) {
                sample.push_back(s[at]);
                any = true;
            }
        }
        if (!any)
            break;
    }
    std::stable_sort(sample.begin(), sample.end(), [&](std::size_t x, std::size_t y) { return cost(x) < cost(y); });
    return sample;
}

std::vector<std::size_t> orderByHypervolumeGain(std::vector<Point> front, const std::vector<Point>& candidates,
    const Point& ref, const std::vector<double>& costs, std::size_t limit)
{
    // Lazy greedy: a point's gain only shrinks as the front grows (the hypervolume is submodular),
    // so a gain computed against an older front is an upper bound; the best entry is computed
    // again until it is current, which gives the plain greedy order at a fraction of the cost.
    struct Entry {
        double rate, gain;
        std::size_t index, frontSize;
    };
    auto later = [](const Entry& a, const Entry& b) {
        return a.rate < b.rate || (a.rate == b.rate && a.index > b.index);
    };
    auto cost = [&costs](std::size_t i) { return i < costs.size() && costs[i] > 0 ? costs[i] : 1.0; };
    double volume = hypervolume(front, ref);
    auto entry = [&](std::size_t i) {
        front.push_back(candidates[i]);
        const double gain = hypervolume(front, ref) - volume;
        front.pop_back();
        return Entry { gain / cost(i), gain, i, front.size() };
    };
    std::vector<Entry> heap;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (const Entry e = entry(i); e.gain > 0)
            heap.push_back(e);
    std::make_heap(heap.begin(), heap.end(), later);
    std::vector<std::size_t> planned;
    std::vector<bool> taken(candidates.size(), false);
    while (!heap.empty() && planned.size() < limit) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const Entry top = heap.back();
        heap.pop_back();
        if (top.frontSize != front.size()) { // computed against an older front
            if (const Entry e = entry(top.index); e.gain > 0) {
                heap.push_back(e);
                std::push_heap(heap.begin(), heap.end(), later);
            }
            continue;
        }
        front.push_back(candidates[top.index]);
        volume += top.gain;
        planned.push_back(top.index);
        taken[top.index] = true;
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) // the rest add nothing, or were not ranked: their order
        if (!taken[i])
            planned.push_back(i);
    return planned;
}

} // namespace lts
