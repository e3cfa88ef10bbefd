// GUI tests of the live Pareto plot's updates in place: the store's incremental frontier equals
// lts::frontierOf after any sequence of appends.
#include "candidate.h"
#include "guitestutil.h"
#include "paretoplot.h"
#include "runstore.h"

#include <QSignalSpy>
#include <QtTest>

#include <random>

using namespace studio;

namespace {

using Status = lts::Candidate::Status;

// An Ok candidate at (decoder params in millions, latency in ms), memory following the params.
lts::Candidate candidate(int id, double paramsM, double latencyMs, int iteration, Status status = Status::Ok)
{
    lts::Candidate c;
    c.id = id;
    c.arch.nLayer = 1;
    c.arch.dModel = 64;
    c.arch.nHead = { 2 };
    c.arch.dInner = { 128 };
    c.decoderParams = std::int64_t(paramsM * 1e6);
    c.totalParams = c.decoderParams + 1'000'000;
    c.measurement.latencyMs = latencyMs;
    c.measurement.peakMemoryMb = 10 + paramsM;
    c.status = status;
    if (status == Status::Failed) {
        c.measurement.status = lts::Measurement::Status::Failed;
        c.measurement.error = "out of memory";
    }
    c.iteration = iteration;
    return c;
}

RunLayer layerOf(std::vector<lts::Candidate> candidates, const QString& name = QStringLiteral("run"))
{
    RunLayer layer;
    layer.name = name;
    layer.config = test::tinyConfig();
    layer.candidates = std::move(candidates);
    layer.frontier = lts::frontierOf(layer.candidates, layer.config.search.objectives);
    return layer;
}

} // namespace

class TestStudioPlot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { test::isolateSettings("tst_studioplot"); }

    void incrementalFrontierEqualsFrontierOf_data()
    {
        QTest::addColumn<QString>("objectives");
        QTest::addColumn<int>("opened"); // candidates the layer holds before the first append
        QTest::newRow("params,latency") << QStringLiteral("params,latency") << 0;
        QTest::newRow("params,memory") << QStringLiteral("params,memory") << 0;
        QTest::newRow("params,latency,memory") << QStringLiteral("params,latency,memory") << 0;
        QTest::newRow("opened, then appended") << QStringLiteral("params,latency") << 150;
    }

    void incrementalFrontierEqualsFrontierOf()
    {
        QFETCH(QString, objectives);
        QFETCH(int, opened);
        // Latency grows with the parameters, so the front is a long staircase; values on a coarse
        // grid make ties and exact duplicates common; every status occurs.
        std::mt19937 rng(20240611);
        int id = 0;
        auto next = [&] {
            const Status statuses[] = { Status::Ok, Status::Ok, Status::Ok, Status::Ok, Status::Ok, Status::Failed,
                Status::OverCeiling, Status::Estimated };
            const double params = 1 + int(rng() % 200);
            const double latency = 0.5 * params + int(rng() % 16) * 0.5;
            const Status status = statuses[rng() % std::size(statuses)];
            lts::Candidate c = candidate(id, params, latency, id / 40, status);
            c.measurement.peakMemoryMb = 10 + int(rng() % 10);
            ++id;
            return c;
        };
        std::vector<lts::Candidate> start;
        for (int i = 0; i < opened; ++i)
            start.push_back(next());
        RunLayer layer = layerOf(start);
        layer.config.search.objectives = lts::parseObjectives(objectives.toStdString());
        const auto& objs = layer.config.search.objectives;
        layer.frontier = lts::frontierOf(layer.candidates, objs);
        RunStore store;
        store.addLayer(layer);
        QSignalSpy moved(&store, &RunStore::frontierChanged);
        std::vector<std::size_t> before = store.layer(0).frontier;
        int changes = 0;
        for (int round = 0; round < 120; ++round) {
            std::vector<lts::Candidate> batch(1 + rng() % 12);
            for (auto& c : batch)
                c = next();
            store.appendCandidates(0, batch);
            const RunLayer& now = store.layer(0);
            const std::vector<std::size_t> expected = lts::frontierOf(now.candidates, objs);
            QCOMPARE(now.frontier, expected); // same indices, same (ascending) order
            changes += expected != before;
            before = expected;
        }
        QCOMPARE(moved.count(), changes); // frontierChanged exactly when the frontier changed
        QVERIFY(changes > 3);
        QVERIFY(store.layer(0).frontier.size() > 1);

        // An exact copy of a frontier point is as good as it: both are on the frontier.
        const std::size_t onFront = store.layer(0).frontier.front();
        lts::Candidate copy = store.layer(0).candidates[onFront];
        copy.id = id;
        store.appendCandidates(0, { copy });
        const RunLayer& now = store.layer(0);
        QCOMPARE(now.frontier, lts::frontierOf(now.candidates, objs));
        QVERIFY(std::count(now.frontier.begin(), now.frontier.end(), onFront) == 1);
        QCOMPARE(now.frontier.back(), now.candidates.size() - 1);
    }
};

QTEST_MAIN(TestStudioPlot)
#include "tst_studioplot.moc"
