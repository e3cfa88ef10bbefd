// Non-dominated sorting and hypervolume on hand-checked sets.
#include "candidate.h"
#include "pareto.h"

#include <QtTest>

using namespace lts;

class TestPareto final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dominance();
    void frontAndRanks();
    void duplicatesStayOnFront();
    void hypervolume2d();
    void hypervolume3d_data();
    void hypervolume3d();
    void candidatesFrontierSkipsFailures();
    void trackerMatchesBatchFront();
};

void TestPareto::dominance()
{
    QVERIFY(dominates({ 1, 2 }, { 2, 2 }));
    QVERIFY(!dominates({ 1, 2 }, { 1, 2 })); // equal points do not dominate each other
    QVERIFY(!dominates({ 1, 3 }, { 2, 2 }));
    QVERIFY(dominates({ 1, 1, 1 }, { 1, 1, 2 }));
}

void TestPareto::frontAndRanks()
{
    // By hand: (3,4) is behind (2,3); (5,5) is behind (3,4).
    const std::vector<Point> pts { { 1, 5 }, { 2, 3 }, { 3, 4 }, { 4, 1 }, { 5, 5 } };
    QCOMPARE(paretoFront(pts), (std::vector<std::size_t> { 0, 1, 3 }));
    QCOMPARE(nonDominatedRanks(pts), (std::vector<int> { 0, 0, 1, 0, 2 }));
    // Ranking may stop once enough points are ranked: the rest share the next rank.
    QCOMPARE(nonDominatedRanks(pts, 3), (std::vector<int> { 0, 0, 1, 0, 1 }));
    QCOMPARE(nonDominatedRanks(pts, 1), (std::vector<int> { 0, 0, 1, 0, 1 }));
}

void TestPareto::duplicatesStayOnFront()
{
    const std::vector<Point> pts { { 2, 2 }, { 1, 3 }, { 2, 2 }, { 3, 3 } };
    QCOMPARE(paretoFront(pts), (std::vector<std::size_t> { 0, 1, 2 }));
}

void TestPareto::hypervolume2d()
{
    // Front (1,5), (2,3), (4,1) against (6,6): strips of 1*1 + 2*3 + 2*5 = 17; the dominated
    // points add nothing, and a point outside the reference box is ignored.
    const std::vector<Point> pts { { 1, 5 }, { 2, 3 }, { 3, 4 }, { 4, 1 }, { 5, 5 }, { 7, 0 } };
    QCOMPARE(hypervolume(pts, { 6, 6 }), 17.0);
    QCOMPARE(hypervolume({}, { 6, 6 }), 0.0);
    QCOMPARE(hypervolume({ { 6, 1 } }, { 6, 6 }), 0.0); // on the reference boundary: no volume
}

void TestPareto::hypervolume3d_data()
{
    QTest::addColumn<QList<QList<double>>>("points");
    QTest::addColumn<double>("expected");
    // Unit box; two 2x1x1 boxes overlapping in a unit cube (2+2-1); a 1x1x2 and a 2x2x1 box
    // overlapping in a unit cube (2+4-1); a dominated point changes nothing.
    QTest::newRow("single") << QList<QList<double>> { { 1, 1, 1 } } << 1.0;
    QTest::newRow("two-overlapping") << QList<QList<double>> { { 0, 1, 1 }, { 1, 0, 1 } } << 3.0;
    QTest::newRow("mixed-heights") << QList<QList<double>> { { 1, 1, 0 }, { 0, 0, 1 } } << 5.0;
    QTest::newRow("with-dominated") << QList<QList<double>> { { 1, 1, 0 }, { 0, 0, 1 }, { 1.5, 1.5, 1.5 } } << 5.0;
}

void TestPareto::hypervolume3d()
{
    QFETCH(QList<QList<double>>, points);
    QFETCH(double, expected);
    std::vector<Point> pts;
    for (const auto& p : points)
        pts.push_back(Point(p.begin(), p.end()));
    QCOMPARE(hypervolume(pts, { 2, 2, 2 }), expected);
}

void TestPareto::candidatesFrontierSkipsFailures()
{
    auto make = [](std::int64_t params, double latency, Candidate::Status status) {
        Candidate c;
        c.decoderParams = params;
        c.measurement.latencyMs = latency;
        c.status = status;
        return c;
    };
    // The failed candidate would dominate everything if it counted.
    const std::vector<Candidate> all { make(10, 5, Candidate::Status::Ok), make(20, 9, Candidate::Status::Ok),
        make(15, 10, Candidate::Status::Ok), make(99, 0, Candidate::Status::Failed),
        make(30, 1, Candidate::Status::OverCeiling) };
    QCOMPARE(frontierOf(all, { Objective::DecoderParams, Objective::Latency }), (std::vector<std::size_t> { 0, 1 }));
}

void TestPareto::trackerMatchesBatchFront()
{
    // Offered one by one, in any order, the tracker ends with the batch front.
    const std::vector<Point> pts { { 5, 5 }, { 1, 5 }, { 2, 3 }, { 3, 4 }, { 4, 1 }, { 2, 3 }, { 0.5, 9 }, { 1.5, 2 } };
    FrontTracker t;
    for (std::size_t i = 0; i < pts.size(); ++i)
        t.offer(i, pts[i]);
    std::vector<std::size_t> ids = t.ids();
    std::sort(ids.begin(), ids.end());
    QCOMPARE(ids, paretoFront(pts)); // (1,5), (4,1), (0.5,9), (1.5,2); (2,3) twice falls to (1.5,2)
    QCOMPARE(ids, (std::vector<std::size_t> { 1, 4, 6, 7 }));
    QVERIFY(t.dominatesPoint({ 3, 3 }));
    QVERIFY(!t.dominatesPoint({ 1, 1 }));
    QVERIFY(!t.offer(99, { 6, 6 }));
}

QTEST_APPLESS_MAIN(TestPareto)
#include "tst_pareto.moc"
