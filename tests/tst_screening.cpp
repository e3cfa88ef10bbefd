// Screening's parts tested directly: the incremental calibrator against a brute-force sort of
// every error (predictive, against a calibration that follows the recent ratios), when it is
// trusted, the margin, the measurement order by hypervolume gain, the calibration sample's
// strata, the audit of what screening drops and what false drops do to the margin, and
// the part-cost table (grid interpolation of time and memory, each part timed once, loading a
// kept table) on a fake part timer.
#include "paramcount.h"
#include "partcosts.h"
#include "screening.h"
#include "stats.h"
#include "testutil.h"

#include <QtTest>

#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace lts;

namespace {

// The calibrator's definition, computed naively: each pair's error against the median ratio of
// the (up to) kWindow pairs before it, once kMinPairs exist; every quantity from the sorted errors,
// trust from the last kTrustWindow of them.
EstimateQuality bruteForce(const std::vector<std::pair<double, double>>& pairs)
{
    EstimateQuality q;
    std::vector<double> ratios, errors;
    auto calibration = [&] {
        std::vector<double> recent(
            ratios.end() - std::min<std::ptrdiff_t>(EstimateCalibrator::kWindow, ratios.size()), ratios.end());
        return summarize(recent).median;
    };
    for (const auto& [raw, measured] : pairs) {
        if (ratios.size() >= std::size_t(EstimateCalibrator::kMinPairs))
            errors.push_back(std::fabs(raw * calibration() - measured) / measured);
        ratios.push_back(measured / raw);
    }
    if (ratios.size() >= std::size_t(EstimateCalibrator::kMinPairs))
        q.calibration = calibration();
    std::vector<double> recent(
        errors.end() - std::min<std::ptrdiff_t>(EstimateCalibrator::kTrustWindow, errors.size()), errors.end());
    std::sort(recent.begin(), recent.end());
    q.trusted = errors.size() >= 10 && quantile(recent, 0.9) <= 0.2;
    std::sort(errors.begin(), errors.end());
    q.samples = int(errors.size());
    q.medianError = quantile(errors, 0.5);
    q.p90Error = quantile(errors, 0.9);
    for (double e : errors) {
        q.within5 += e <= 0.05 ? 1.0 / double(errors.size()) : 0;
        q.within10 += e <= 0.10 ? 1.0 / double(errors.size()) : 0;
    }
    return q;
}

} // namespace

class TestScreening final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void calibratorMatchesBruteForce_data();
    void calibratorMatchesBruteForce();
    void calibratorKnownValues();
    void calibrationFollowsDrift();
    void marginFollowsTheError();
    void orderByHypervolumeGain();
    void calibrationSampleSpansTheStrata();
    void auditIsAShareOfTheDrops();
    void falseDropsWidenTheMarginThenStopScreening();
    void tableInterpolatesOnTheGrid();
    void tableTimesEachPartOnce();
    void tableLoadsAndSkipsBadEntries();
};

void TestScreening::calibratorMatchesBruteForce_data()
{
    QTest::addColumn<int>("seed");
    QTest::addColumn<double>("bias");
    QTest::addColumn<double>("spread");
    QTest::newRow("unbiased, tight") << 1 << 1.0 << 0.05;
    QTest::newRow("estimate too low") << 2 << 1.6 << 0.3;
    QTest::newRow("estimate too high, wide") << 3 << 0.5 << 0.8;
    QTest::newRow("ties") << 4 << 1.0 << 0.0;
}

void TestScreening::calibratorMatchesBruteForce()
{
    QFETCH(int, seed);
    QFETCH(double, bias);
    QFETCH(double, spread);
    std::mt19937_64 rng { std::uint64_t(seed) };
    std::uniform_real_distribution<double> raw(1, 500), noise(-spread, spread);
    std::vector<std::pair<double, double>> pairs;
    EstimateCalibrator calibrator;
    for (int n = 1; n <= 300; ++n) {
        const double r = spread == 0 ? 100 : raw(rng);
        const double measured = r * bias * std::exp(noise(rng));
        pairs.emplace_back(r, measured);
        calibrator.add(r, measured);
        const EstimateQuality want = bruteForce(pairs);
        const EstimateQuality got = calibrator.quality(n / 7);
        QCOMPARE(got.samples, want.samples);
        QCOMPARE(got.screenedOut, n / 7);
        QCOMPARE(got.calibration, want.calibration); // the same median of the same recent ratios
        QVERIFY2(std::fabs(got.medianError - want.medianError) <= 1e-12 * (1 + want.medianError),
            qPrintable(QStringLiteral("n %1: %2 vs %3").arg(n).arg(got.medianError).arg(want.medianError)));
        QVERIFY2(std::fabs(got.p90Error - want.p90Error) <= 1e-12 * (1 + want.p90Error),
            qPrintable(QStringLiteral("n %1: %2 vs %3").arg(n).arg(got.p90Error).arg(want.p90Error)));
        QVERIFY2(std::fabs(got.within5 - want.within5) < 1e-9 && std::fabs(got.within10 - want.within10) < 1e-9,
            qPrintable(QStringLiteral("n %1: within 5%% %2 vs %3, 10%% %4 vs %5")
                           .arg(n)
                           .arg(got.within5)
                           .arg(want.within5)
                           .arg(got.within10)
                           .arg(want.within10)));
        QCOMPARE(got.trusted, want.trusted);
    }
}

void TestScreening::calibratorKnownValues()
{
    // Ratios 1, 2, 4 (hand-checked): calibrated from the third pair on, at their median 2; no
    // prediction was checked yet. A fourth pair at ratio 2 is predicted exactly (error 0), a
    // fifth at ratio 1 with the median of 1, 2, 2, 4 = 2 (error 1).
    EstimateCalibrator c;
    c.add(10, 10);
    QCOMPARE(c.calibration(), 1.0); // one pair: not calibrated yet
    QVERIFY(!c.calibrated());
    c.add(10, 20);
    c.add(10, 40);
    QVERIFY(c.calibrated());
    QCOMPARE(c.calibration(), 2.0);
    QCOMPARE(c.samples(), 0);
    QCOMPARE(c.errorQuantile(0.5), 0.0);
    c.add(10, 20);
    c.add(10, 10);
    QCOMPARE(c.samples(), 2);
    QCOMPARE(c.errorQuantile(0.5), 0.5);
    QCOMPARE(c.shareWithin(0.05), 0.5);
    QCOMPARE(c.shareWithin(1.0), 1.0);
    QVERIFY(!c.trusted()); // two checked predictions are too few, and too far off
}

void TestScreening::calibrationFollowsDrift()
{
    // The device slows down by 30% after 30 measurements: the calibration follows within the
    // window, and only the predictions made while it catches up miss.
    EstimateCalibrator c;
    for (int i = 0; i < 60; ++i)
        c.add(100, i < 30 ? 100 : 130);
    QCOMPARE(c.calibration(), 1.3);
    const int missed = int(std::lround((1 - c.shareWithin(0.05)) * c.samples()));
    QVERIFY2(missed <= EstimateCalibrator::kWindow / 2 + 1, qPrintable(QString::number(missed)));
    QVERIFY(c.trusted());

    // A phase 70% slower (another process faulting memory in beside the search): untrusted while
    // the predictions that missed it are among the recent ones, trusted again once they are not,
    // though over the whole run they still show.
    EstimateCalibrator step;
    for (int i = 0; i < 15; ++i)
        step.add(100, 100);
    QVERIFY(step.trusted());
    for (int i = 0; i < 10; ++i)
        step.add(100, 170);
    QVERIFY(!step.trusted());
    for (int i = 0; i < EstimateCalibrator::kTrustWindow; ++i)
        step.add(100, 170);
    QVERIFY(step.trusted());
    QVERIFY(step.errorQuantile(0.9) > 0.2);
}

void TestScreening::marginFollowsTheError()
{
    EstimateCalibrator exact;
    for (int i = 0; i < EstimateCalibrator::kMinPairs + 9; ++i)
        exact.add(100, 100);
    QVERIFY(!exact.trusted()); // nine checked predictions are not enough
    exact.add(100, 100);
    QVERIFY(exact.trusted());
    QCOMPARE(screeningMargin(exact, 0.1), 0.1); // no error: the configured margin
    QCOMPARE(screeningMargin(exact, 0.4), 0.4);
    EstimateCalibrator close;
    for (int i = 0; i < 40; ++i)
        close.add(100, i % 2 ? 100 : 108);
    QVERIFY(close.trusted());
    QVERIFY(close.errorQuantile(0.9) > 0.01);
    QCOMPARE(screeningMargin(close, 0.01), close.recentErrorQuantile(0.9)); // the recent error, when larger
    EstimateCalibrator rough;
    for (int i = 0; i < 40; ++i)
        rough.add(100, i % 2 ? 100 : 150);
    QVERIFY(!rough.trusted()); // errors of 20% to 50%: screening and culling stay off
    QVERIFY(rough.errorQuantile(0.9) > 0.2);
}

void TestScreening::orderByHypervolumeGain()
{
    // Minimisation in both objectives, reference (10, 10). The measured front is (2, 8), whose
    // box covers 8 x 2 = 16.
    const std::vector<Point> front { { 2, 8 } };
    const std::vector<Point> candidates {
        { 9, 9 }, // dominated by (2, 8): adds nothing
        { 1, 1 }, // adds 81 - 16 = 65, the largest
        { 3, 9 }, // dominated: adds nothing
        { 5, 5 }, // adds 25 - 10 = 15 alone, nothing after (1, 1)
    };
    const auto order = lts::orderByHypervolumeGain(front, candidates, { 10, 10 });
    QCOMPARE(order.size(), candidates.size());
    QCOMPARE(order[0], std::size_t(1));
    // After (1, 1) nothing adds volume: the rest keep their order.
    QCOMPARE(order[1], std::size_t(0));
    QCOMPARE(order[2], std::size_t(2));
    QCOMPARE(order[3], std::size_t(3));
    const auto second = lts::orderByHypervolumeGain(front, { { 9, 9 }, { 5, 5 } }, { 10, 10 });
    QCOMPARE(second, (std::vector<std::size_t> { 1, 0 }));
    // Per unit of cost: (1, 1) adds 65 but costs 10 (6.5 a unit), (5, 5) adds 15 for 1, so (5, 5)
    // comes first, then (1, 1), which still adds volume.
    const auto cheapFirst = lts::orderByHypervolumeGain(front, { { 1, 1 }, { 5, 5 } }, { 10, 10 }, { 10, 1 });
    QCOMPARE(cheapFirst, (std::vector<std::size_t> { 1, 0 }));
    const auto same = lts::orderByHypervolumeGain(front, { { 1, 1 }, { 5, 5 } }, { 10, 10 }, { 1, 1 });
    QCOMPARE(same, (std::vector<std::size_t> { 0, 1 }));
}

void TestScreening::calibrationSampleSpansTheStrata()
{
    // A seeded random pool of the gpt2-lts space: the sample takes the first member of every
    // stratum of depth and width (the strata that 40 M parameters leave non-empty), then goes
    // round again; it comes cheapest first.
    SearchSpace space = preset("gpt2-lts");
    std::mt19937 rng(5);
    std::vector<ArchConfig> pool;
    std::vector<double> costs;
    for (int i = 0; i < 400; ++i) {
        const int layers = space.nLayerMin + int(rng() % unsigned(space.nLayerMax - space.nLayerMin + 1));
        const int d = space.dModel[rng() % space.dModel.size()];
        pool.push_back(test::gpt2(layers, d, 4, 2 * d));
        costs.push_back(double(decoderParams(pool.back())) / 1e5);
    }
    std::set<int> present;
    for (const auto& a : pool)
        present.insert(calibrationStratum(a, space));
    QCOMPARE(int(present.size()), kStrata); // every stratum has members in this pool
    const std::vector<std::size_t> sample = calibrationSample(pool, costs, space, 13);
    QCOMPARE(sample.size(), std::size_t(13));
    std::map<int, int> perStratum;
    for (std::size_t i : sample)
        ++perStratum[calibrationStratum(pool[i], space)];
    QCOMPARE(int(perStratum.size()), kStrata);
    for (const auto& [stratum, n] : perStratum) {
        QVERIFY(n == 1 || n == 2);
        // the cheapest of the stratum's first four members in pool order is in it
        std::vector<std::size_t> firstFour;
        for (std::size_t i = 0; i < pool.size() && firstFour.size() < kCalibrationDraws; ++i)
            if (calibrationStratum(pool[i], space) == stratum)
                firstFour.push_back(i);
        const std::size_t cheapest = *std::min_element(
            firstFour.begin(), firstFour.end(), [&](std::size_t x, std::size_t y) { return costs[x] < costs[y]; });
        QVERIFY(std::count(sample.begin(), sample.end(), cheapest) == 1);
    }
    for (std::size_t k = 1; k < sample.size(); ++k)
        QVERIFY(costs[sample[k - 1]] <= costs[sample[k]]);
    // Depth 2 with the narrowest width is stratum 0; 15 layers of the widest the last.
    QCOMPARE(calibrationStratum(test::gpt2(2, 128, 4, 256), space), 0);
    QCOMPARE(calibrationStratum(test::gpt2(15, 960, 4, 1920), space), kStrata - 1);
    // A pool of one stratum: the cheapest of its first four, then of the next four.
    std::vector<ArchConfig> narrow(6, test::gpt2(2, 128, 4, 256));
    QCOMPARE(calibrationSample(narrow, { 3, 1, 2, 4, 9, 8 }, space, 2), (std::vector<std::size_t> { 1, 5 }));
}

void TestScreening::auditIsAShareOfTheDrops()
{
    // The coin is the architecture's (the same for a replay), about kAuditProbability of the
    // drops are audited, and never more than kAuditShare of the full measurements (plus one).
    ScreeningPolicy policy(0.1, true, false, 1111);
    int heads = 0;
    for (int i = 0; i < 4000; ++i) {
        const std::string key = "arch" + std::to_string(i);
        const bool audit = policy.audits(key, 1000000);
        QCOMPARE(policy.audits(key, 1000000), audit);
        heads += audit;
    }
    QVERIFY2(std::abs(heads - 400) < 60, qPrintable(QString::number(heads)));
    ScreeningPolicy other(0.1, true, false, 1112);
    int differ = 0;
    for (int i = 0; i < 4000; ++i)
        differ +=
            other.audits("arch" + std::to_string(i), 1000000) != policy.audits("arch" + std::to_string(i), 1000000);
    QVERIFY(differ > 500); // another seed, other coins
    int audited = 0;
    for (int i = 0; i < 4000; ++i) {
        if (policy.audits("arch" + std::to_string(i), 100)) { // 100 full measurements allow 5 audits and one
            policy.recordAudit(false);
            ++audited;
        }
    }
    QCOMPARE(audited, 6);
    QCOMPARE(policy.quality(policy.latency(), 0).audited, 6);
    QCOMPARE(policy.quality(policy.latency(), 0).falseDrops, 0);
}

void TestScreening::falseDropsWidenTheMarginThenStopScreening()
{
    ScreeningPolicy policy(0.1, true, false, 7);
    for (int i = 0; i < EstimateCalibrator::kMinPairs + EstimateCalibrator::kMinTrustPairs; ++i)
        policy.latency().add(100, 100);
    QVERIFY(policy.update().has_value()); // "the estimates hold"
    QCOMPARE(policy.trust(), ScreeningPolicy::Trust::Yes);
    QCOMPARE(policy.latencyMargin(), 0.1);
    // Four audits, one false drop: too few to judge; a fifth clean one: 1 of 5 is 20%, over 10%.
    for (int i = 0; i < 4; ++i)
        QVERIFY(!policy.recordAudit(i == 0).has_value());
    auto notice = policy.recordAudit(false);
    QVERIFY(notice.has_value() && notice->warning);
    QVERIFY2(notice->text.find("widens to 20%") != std::string::npos, notice->text.c_str());
    QCOMPARE(policy.latencyMargin(), 0.2);
    // Nine clean audits, then a false drop: 1 of 10 is not over the bound.
    for (int i = 0; i < 10; ++i)
        QVERIFY(!policy.recordAudit(i == 9).has_value());
    QCOMPARE(policy.latencyMargin(), 0.2);
    // The next false drop makes 2 of 11: the margin doubles again, and the window starts afresh.
    QVERIFY(policy.recordAudit(true).has_value());
    QCOMPARE(policy.latencyMargin(), 0.4);
    for (int i = 0; i < 4; ++i)
        QVERIFY(!policy.recordAudit(true).has_value()); // four: too few to judge
    notice = policy.recordAudit(true); // five of five: no widening left
    QVERIFY(notice.has_value());
    QVERIFY2(notice->text.find("screening and culling are off") != std::string::npos, notice->text.c_str());
    QCOMPARE(policy.trust(), ScreeningPolicy::Trust::No);
    QVERIFY(!policy.update().has_value()); // stays off, said once
    QCOMPARE(policy.trust(), ScreeningPolicy::Trust::No);
    const EstimateQuality q = policy.quality(policy.latency(), 3);
    QCOMPARE(q.audited, 21);
    QCOMPARE(q.falseDrops, 8);
    QVERIFY(!q.trusted);
    QCOMPARE(q.margin, 0.0);
}

void TestScreening::tableInterpolatesOnTheGrid()
{
    QCOMPARE(latencyGridBracket(48), (std::pair<int, int>(48, 48)));
    QCOMPARE(latencyGridBracket(96), (std::pair<int, int>(64, 128)));
    QCOMPARE(latencyGridBracket(512), (std::pair<int, int>(512, 512)));
    QCOMPARE(latencyGridBracket(1536), (std::pair<int, int>(1024, 2048)));
    QCOMPARE(latencyGridBracket(3000), (std::pair<int, int>(2048, 3072)));
    // Parts linear in their widths: the head costs d_model/100 ms, attention (d_model/100)^2,
    // feed-forward d_model * d_inner / 1e5. The estimate sums them over the layers; on the grid
    // and off it (linear interpolation is exact for linear parts; attention is interpolated in
    // d_model squared, exact for a quadratic part).
    // Memory linear too: the head's activations 1 + d_model / 100 MB, attention's d_model / 50,
    // feed-forward's d_inner / 100. The peak is the weights, plus the largest of the head's
    // activations and a layer's on top of the residual stream read and written (2 x 32 tokens
    // x d_model floats).
    PartCostTable table;
    auto timer = [](const PartToTime& p) -> std::optional<PartCost> {
        const double d = p.arch.dModel;
        switch (p.part) {
        case LatencyPart::Head:
            return PartCost { d / 100, 1 + d / 100 };
        case LatencyPart::Attention:
            return PartCost { (d / 100) * (d / 100), d / 50 };
        case LatencyPart::FeedForward:
            return PartCost { d * p.width / 1e5, p.width / 100.0 };
        }
        return std::nullopt;
    };
    for (const int d : { 256, 384, 1536 }) {
        ArchConfig a = test::gpt2(2, d, 4, 3 * d, 1000, 32);
        a.dInner = { 3 * d, 2 * d };
        const double want = d / 100.0 + 2 * (d / 100.0) * (d / 100.0) + d * (3.0 * d) / 1e5 + d * (2.0 * d) / 1e5;
        const double streamMb = 2 * 32.0 * d * 4 / (1024.0 * 1024.0);
        const double wantMb = double(countParams(a).total()) * 4 / (1024.0 * 1024.0)
            + std::max(1 + d / 100.0, std::max(d / 50.0, 3.0 * d / 100) + streamMb);
        const auto got = table.estimate(a, 1, 32, timer);
        QVERIFY(got.has_value());
        QVERIFY2(std::fabs(got->latencyMs - want) < 1e-9 * want,
            qPrintable(QStringLiteral("%1 vs %2").arg(got->latencyMs).arg(want)));
        QVERIFY2(std::fabs(got->peakMemoryMb - wantMb) < 1e-9 * wantMb,
            qPrintable(QStringLiteral("%1 vs %2 MB").arg(got->peakMemoryMb).arg(wantMb)));
    }
    ArchConfig bad = test::gpt2(1, 64, 4, 128);
    bad.nHead = { 3 }; // does not divide d_model
    QVERIFY(!table.estimate(bad, 1, 32, timer).has_value());
}

void TestScreening::tableTimesEachPartOnce()
{
    PartCostTable table;
    std::map<std::string, int> timed;
    int calls = 0;
    bool cancelled = false;
    auto timer = [&](const PartToTime& p) -> std::optional<PartCost> {
        if (cancelled)
            return std::nullopt;
        ++calls;
        ++timed[std::to_string(int(p.part)) + "/" + std::to_string(p.arch.dModel) + "/" + std::to_string(p.width)];
        return PartCost { 1.0, 1.0 };
    };
    const ArchConfig a = test::gpt2(3, 128, 4, 256);
    QCOMPARE(table.estimate(a, 1, 32, timer)->latencyMs, 1.0 + 3 * 2.0);
    const int first = calls;
    QCOMPARE(first, 3); // head, attention and feed-forward at grid values d_model 128, d_inner 256
    QCOMPARE(table.parts(), 3);
    QCOMPARE(table.entries().size(), std::size_t(6)); // a time and a memory entry each
    QCOMPARE(table.estimate(test::gpt2(6, 128, 4, 256), 1, 32, timer)->latencyMs, 1.0 + 6 * 2.0);
    QCOMPARE(calls, first); // every part known
    for (const auto& [part, n] : timed)
        QCOMPARE(n, 1);
    // Another token count is another context: timed afresh; a cancelled timer gives no estimate.
    cancelled = true;
    QVERIFY(!table.estimate(a, 1, 64, timer).has_value());
    QCOMPARE(table.parts(), 3);
}

void TestScreening::tableLoadsAndSkipsBadEntries()
{
    PartCostTable source;
    auto timer = [](const PartToTime& p) -> std::optional<PartCost> {
        return p.part == LatencyPart::Head ? PartCost { 2.0, 5.0 } : PartCost { 3.0, 1.0 };
    };
    const ArchConfig a = test::gpt2(2, 64, 2, 128);
    const Estimate want = *source.estimate(a, 1, 16, timer);
    std::map<std::string, double> kept = source.entries();
    kept["bogus|nan"] = std::nan("");
    kept["bogus|negative"] = -1;
    PartCostTable loaded;
    loaded.load(kept);
    QCOMPARE(loaded.entries().size(), source.entries().size()); // the bad entries are dropped
    int calls = 0;
    const auto got = loaded.estimate(a, 1, 16, [&](const PartToTime&) -> std::optional<PartCost> {
        ++calls;
        return PartCost { 100.0, 100.0 };
    });
    QCOMPARE(calls, 0); // a resumed run estimates exactly as the original did
    QCOMPARE(got->latencyMs, want.latencyMs);
    QCOMPARE(got->peakMemoryMb, want.peakMemoryMb);
    // A table kept before memory was estimated has times only: its parts are timed again.
    std::map<std::string, double> timesOnly;
    for (const auto& [key, value] : source.entries())
        if (key.find("|mb") == std::string::npos)
            timesOnly[key] = value;
    PartCostTable old;
    old.load(timesOnly);
    QVERIFY(old.estimate(a, 1, 16, timer).has_value());
    QCOMPARE(old.parts(), source.parts());
    QCOMPARE(old.estimate(a, 1, 16, timer)->peakMemoryMb, want.peakMemoryMb);
}

QTEST_APPLESS_MAIN(TestScreening)
#include "tst_screening.moc"
