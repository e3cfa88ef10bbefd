// Order statistics and the adaptive-repeats stopping rule, on hand-computed samples.
#include "stats.h"

#include <QtTest>

using namespace lts;

class TestStats final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void quartiles();
    void medianKnown();
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

QTEST_APPLESS_MAIN(TestStats)
#include "tst_stats.moc"
