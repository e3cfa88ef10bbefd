// Order statistics and the adaptive-repeats stopping rule, on hand-computed samples.
#include "stats.h"

#include <QtTest>

#include <cmath>

using namespace lts;

class TestStats final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void quartiles();
    void medianKnown();
    void rankCorrelationsWithTies();
    void bootstrapIntervals();
};

void TestStats::quartiles()
{
    // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) = 2, 3, 4.
    const SampleSummary s = summarize({ 10, 1, 3, 2, 4 });
    QCOMPARE(s.q1, 2.0);
    QCOMPARE(s.median, 3.0);
    QCOMPARE(s.q3, 4.0);
    QCOMPARE(s.min, 1.0);
    QCOMPARE(s.max, 10.0);
    // Interpolated: [1, 2, 3, 4] -> 1.75, 2.5, 3.25.
    const SampleSummary e = summarize({ 4, 3, 2, 1 });
    QCOMPARE(e.q1, 1.75);
    QCOMPARE(e.median, 2.5);
    QCOMPARE(e.iqr(), 1.5);
}

void TestStats::medianKnown()
{
    // {8, 10, 12}: IQR 2, sigma 2 / 1.349 = 1.4826, standard error of the median
    // 1.2533 * 1.4826 / sqrt(3) = 1.0728, i.e. 10.7% of the median 10.
    QVERIFY(lts::medianKnown({ 8, 10, 12 }, 3, 0.11));
    QVERIFY(!lts::medianKnown({ 8, 10, 12 }, 3, 0.10));
    QVERIFY(!lts::medianKnown({ 8, 10, 12 }, 4, 0.5)); // too few samples
    QVERIFY(lts::medianKnown({ 10, 10, 10 }, 3, 0.001));
    QVERIFY(!lts::medianKnown({ 10, 10, 10 }, 3, 0)); // tolerance 0: never early
}

void TestStats::rankCorrelationsWithTies()
{
    // y = {5, 6, 7, 8, 7}: average ranks {1, 2, 3.5, 5, 3.5}; against ranks 1..5 the centred
    // products sum to 8, the squares to 10 and 9.5: rho = 8 / sqrt(95) (scipy.stats.spearmanr).
    const std::vector<double> x { 1, 2, 3, 4, 5 }, y { 5, 6, 7, 8, 7 };
    QVERIFY(std::fabs(spearman(x, y) - 8.0 / std::sqrt(95.0)) < 1e-12);
    // 10 pairs: 8 concordant, 1 discordant (4 and 5), 1 tied in y (3 and 5):
    // tau-b = 7 / sqrt(10 * 9) (scipy.stats.kendalltau).
    QVERIFY(std::fabs(kendallTauB(x, y) - 7.0 / std::sqrt(90.0)) < 1e-12);
    // Ties on both sides: x {1, 1, 2, 3}, y {1, 2, 2, 3}: 6 pairs, C 4, D 0, tied in x 1, in y 1:
    // tau-b = 4 / sqrt(5 * 5) = 0.8.
    QVERIFY(std::fabs(kendallTauB({ 1, 1, 2, 3 }, { 1, 2, 2, 3 }) - 0.8) < 1e-12);
    const std::vector<double> reversed { 50, 40, 30, 20, 10 };
    QCOMPARE(spearman(x, reversed), -1.0);
    QCOMPARE(kendallTauB(x, reversed), -1.0);
    QCOMPARE(spearman(x, { 9, 10, 300, 301, 1e6 }), 1.0); // ranks, not values
    QVERIFY(std::isnan(spearman(x, { 2, 2, 2, 2, 2 }))); // a constant side ranks nothing
    QVERIFY(std::isnan(kendallTauB({ 1 }, { 2 })));
    QVERIFY(std::isnan(spearman(x, { 1, 2 }))); // unpaired
}

void TestStats::bootstrapIntervals()
{
    const std::vector<double> x { 1, 2, 3, 4, 5, 6, 7, 8 }, y { 2, 1, 4, 3, 6, 5, 8, 7 };
    const double rho = spearman(x, y);
    const Interval a = bootstrapInterval(x, y, &spearman, 2000, 0.95, 7);
    QVERIFY2(a.lo <= rho && rho <= a.hi, qPrintable(QString::asprintf("%g in [%g, %g]", rho, a.lo, a.hi)));
    QVERIFY(a.lo < a.hi);
    QVERIFY(a.hi <= 1.0);
    const Interval same = bootstrapInterval(x, y, &spearman, 2000, 0.95, 7);
    QCOMPARE(same.lo, a.lo); // seeded
    QCOMPARE(same.hi, a.hi);
    const Interval narrower = bootstrapInterval(x, y, &spearman, 2000, 0.5, 7);
    QVERIFY(narrower.lo >= a.lo && narrower.hi <= a.hi);
    // A perfectly monotone sample agrees in every resample that ranks anything.
    const Interval perfect = bootstrapInterval(x, x, &kendallTauB, 500, 0.95, 3);
    QCOMPARE(perfect.lo, 1.0);
    QCOMPARE(perfect.hi, 1.0);
}

QTEST_APPLESS_MAIN(TestStats)
#include "tst_stats.moc"
