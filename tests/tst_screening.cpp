// Screening's parts tested directly: the incremental calibrator against a brute-force sort of
// every error, the margin, the measurement order by hypervolume gain, and the part-latency table
// (grid interpolation, each part timed once, loading a kept table) on a fake part timer.
#include "latencytable.h"
#include "screening.h"
#include "stats.h"
#include "testutil.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace lts;

namespace {

// What the search computed before the calibrator existed: every error, sorted afresh.
EstimateQuality bruteForce(const std::vector<std::pair<double, double>>& pairs)
{
    EstimateQuality q;
    q.samples = int(pairs.size());
    if (pairs.size() >= 3) {
        std::vector<double> ratios;
        for (const auto& [raw, measured] : pairs)
            ratios.push_back(measured / raw);
        q.calibration = summarize(ratios).median;
    }
    std::vector<double> errors;
    for (const auto& [raw, measured] : pairs)
        errors.push_back(std::fabs(raw * q.calibration - measured) / measured);
    std::sort(errors.begin(), errors.end());
    q.medianError = quantile(errors, 0.5);
    q.p90Error = quantile(errors, 0.9);
    return q;
}

} // namespace

class TestScreening final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void calibratorMatchesBruteForce_data();
    void calibratorMatchesBruteForce();
    void calibratorKnownValues();
    void marginFollowsTheError();
    void orderByHypervolumeGain();
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
        QCOMPARE(got.calibration, want.calibration); // the same median of the same ratios
        QVERIFY2(std::fabs(got.medianError - want.medianError) <= 1e-12 * (1 + want.medianError),
            qPrintable(QStringLiteral("n %1: %2 vs %3").arg(n).arg(got.medianError).arg(want.medianError)));
        QVERIFY2(std::fabs(got.p90Error - want.p90Error) <= 1e-12 * (1 + want.p90Error),
            qPrintable(QStringLiteral("n %1: %2 vs %3").arg(n).arg(got.p90Error).arg(want.p90Error)));
    }
}

void TestScreening::calibratorKnownValues()
{
    // Ratios 1, 2, 4 (hand-checked): calibration 2; errors |2/1-1| = 1, |2/2-1| = 0, |2/4-1| = 0.5,
    // sorted 0, 0.5, 1: median 0.5, 90th percentile 0.5 + 0.8 * 0.5 = 0.9.
    EstimateCalibrator c;
    c.add(10, 10);
    QCOMPARE(c.calibration(), 1.0); // one pair: not calibrated yet
    QVERIFY(!c.calibrated());
    c.add(10, 20);
    c.add(10, 40);
    QVERIFY(c.calibrated());
    QCOMPARE(c.calibration(), 2.0);
    QCOMPARE(c.errorQuantile(0.5), 0.5);
    QVERIFY(std::fabs(c.errorQuantile(0.9) - 0.9) < 1e-15);
    QCOMPARE(EstimateCalibrator().errorQuantile(0.5), 0.0);
}

void TestScreening::marginFollowsTheError()
{
    EstimateCalibrator c;
    for (int i = 0; i < 5; ++i)
        c.add(100, 100);
    QCOMPARE(screeningMargin(c, 0.1), 0.25); // no track record yet: the wide margin
    QCOMPARE(screeningMargin(c, 0.4), 0.4);
    EstimateCalibrator exact;
    for (int i = 0; i < 20; ++i)
        exact.add(100, 100);
    QCOMPARE(screeningMargin(exact, 0.1), 0.1); // no error: the configured margin
    EstimateCalibrator rough;
    for (int i = 0; i < 20; ++i)
        rough.add(100, i % 2 ? 100 : 150); // calibration 1.25: errors 1/6 (150) and 0.25 (100)
    QVERIFY(std::fabs(screeningMargin(rough, 0.1) - 0.25) < 1e-12);
    EstimateCalibrator wild;
    for (int i = 0; i < 20; ++i)
        wild.add(100, i % 2 ? 10 : 1000);
    QCOMPARE(screeningMargin(wild, 0.1), 0.5); // capped
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
    PartLatencyTable table;
    auto timer = [](const PartToTime& p) -> std::optional<double> {
        const double d = p.arch.dModel;
        switch (p.part) {
        case LatencyPart::Head:
            return d / 100;
        case LatencyPart::Attention:
            return (d / 100) * (d / 100);
        case LatencyPart::FeedForward:
            return d * p.width / 1e5;
        }
        return std::nullopt;
    };
    for (const int d : { 256, 384, 1536 }) {
        ArchConfig a = test::gpt2(2, d, 4, 3 * d, 1000, 32);
        a.dInner = { 3 * d, 2 * d };
        const double want = d / 100.0 + 2 * (d / 100.0) * (d / 100.0) + d * (3.0 * d) / 1e5 + d * (2.0 * d) / 1e5;
        const auto got = table.estimate(a, 32, timer);
        QVERIFY(got.has_value());
        QVERIFY2(std::fabs(*got - want) < 1e-9 * want, qPrintable(QStringLiteral("%1 vs %2").arg(*got).arg(want)));
    }
    ArchConfig bad = test::gpt2(1, 64, 4, 128);
    bad.nHead = { 3 }; // does not divide d_model
    QVERIFY(!table.estimate(bad, 32, timer).has_value());
}

void TestScreening::tableTimesEachPartOnce()
{
    PartLatencyTable table;
    std::map<std::string, int> timed;
    int calls = 0;
    bool cancelled = false;
    auto timer = [&](const PartToTime& p) -> std::optional<double> {
        if (cancelled)
            return std::nullopt;
        ++calls;
        ++timed[std::to_string(int(p.part)) + "/" + std::to_string(p.arch.dModel) + "/" + std::to_string(p.width)];
        return 1.0;
    };
    const ArchConfig a = test::gpt2(3, 128, 4, 256);
    QCOMPARE(*table.estimate(a, 32, timer), 1.0 + 3 * 2.0);
    const int first = calls;
    QCOMPARE(first, 3); // head, attention and feed-forward at grid values d_model 128, d_inner 256
    QCOMPARE(table.size(), 3);
    QCOMPARE(*table.estimate(test::gpt2(6, 128, 4, 256), 32, timer), 1.0 + 6 * 2.0);
    QCOMPARE(calls, first); // every part known
    for (const auto& [part, n] : timed)
        QCOMPARE(n, 1);
    // Another token count is another context: timed afresh; a cancelled timer gives no estimate.
    cancelled = true;
    QVERIFY(!table.estimate(a, 64, timer).has_value());
    QCOMPARE(table.size(), 3);
}

void TestScreening::tableLoadsAndSkipsBadEntries()
{
    PartLatencyTable source;
    auto timer = [](const PartToTime& p) -> std::optional<double> { return p.part == LatencyPart::Head ? 2.0 : 3.0; };
    const ArchConfig a = test::gpt2(2, 64, 2, 128);
    const double want = *source.estimate(a, 16, timer);
    std::map<std::string, double> kept = source.entries();
    kept["bogus|nan"] = std::nan("");
    kept["bogus|negative"] = -1;
    PartLatencyTable loaded;
    loaded.load(kept);
    QCOMPARE(loaded.size(), source.size() + 0); // the bad entries are dropped
    int calls = 0;
    const auto got = loaded.estimate(a, 16, [&](const PartToTime&) -> std::optional<double> {
        ++calls;
        return 100.0;
    });
    QCOMPARE(calls, 0); // a resumed run estimates exactly as the original did
    QCOMPARE(*got, want);
}

QTEST_APPLESS_MAIN(TestScreening)
#include "tst_screening.moc"
