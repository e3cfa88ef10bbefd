// GUI tests of the live Pareto plot's updates in place: the store's incremental frontier equals
// lts::frontierOf after any sequence of appends, appended candidates join the plottables already
// drawn (sparse graphs and the dense raster alike) and can be hovered and picked, and the image
// after appends is the one a full rebuild draws; a confirmation replaces its point and marks it;
// the status bar reads the estimates' accuracy.
#include "candidate.h"
#include "guitestutil.h"
#include "paretoplot.h"
#include "runstore.h"
#include "statusbar.h"

#include <QPointer>
#include <QSignalSpy>
#include <QToolTip>
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

// `n` points spread over params 1..100 M in two latency bands, 1-2 ms and 9-10 ms, so that the
// band between them is empty; latency grows with params inside a band, so the front is small.
std::vector<lts::Candidate> banded(int n, int iterations)
{
    std::vector<lts::Candidate> out;
    for (int i = 0; i < n; ++i) {
        const double t = double(i) / std::max(1, n - 1);
        const double params = 1 + 99 * t;
        const double latency = (i % 2 ? 9 : 1) + t;
        out.push_back(candidate(i, params, latency, i * iterations / std::max(1, n)));
    }
    return out;
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

std::vector<QPointer<QCPAbstractPlottable>> tracked(const std::vector<QCPAbstractPlottable*>& plottables)
{
    return { plottables.begin(), plottables.end() };
}

int alive(const std::vector<QPointer<QCPAbstractPlottable>>& plottables)
{
    return int(std::count_if(plottables.begin(), plottables.end(), [](const auto& p) { return !p.isNull(); }));
}

QCPColorScale* colorScale(QCustomPlot* canvas)
{
    for (int i = 0; i < canvas->plotLayout()->elementCount(); ++i)
        if (auto* scale = qobject_cast<QCPColorScale*>(canvas->plotLayout()->elementAt(i)))
            return scale;
    return nullptr;
}

void hover(QWidget* target, QPoint pos)
{
    QMouseEvent e(
        QEvent::MouseMove, QPointF(pos), target->mapToGlobal(QPointF(pos)), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(target, &e);
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

    void appendsKeepPlottablesAndArePickable_data()
    {
        QTest::addColumn<int>("initial");
        QTest::newRow("sparse: one graph per iteration") << 60;
        QTest::newRow("dense: one raster") << 4500; // above the plot's 4000-point raster threshold
    }

    void appendsKeepPlottablesAndArePickable()
    {
        QFETCH(int, initial);
        RunStore store;
        ParetoPlot plot(&store);
        plot.resize(900, 600);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        store.addLayer(layerOf(banded(initial, 3)));
        PlotCanvas* canvas = plot.canvas();
        canvas->replot();
        QCOMPARE(plot.plottedPoints(), initial);
        const auto drawn = tracked(plot.layerPlottables(0));
        QVERIFY(drawn.size() >= 2); // the scatter and the frontier
        const auto everything = tracked([&] {
            std::vector<QCPAbstractPlottable*> all;
            for (int i = 0; i < canvas->plottableCount(); ++i)
                all.push_back(canvas->plottable(i));
            return all;
        }());
        const QCPRange xRange = canvas->xAxis->range(), yRange = canvas->yAxis->range();
        QCPColorScale* scale = colorScale(canvas);
        QVERIFY(scale);
        QCOMPARE(scale->dataRange().upper, 2.0);

        // Three dominated points in the empty band, in an iteration already drawn: the view stays.
        const QPoint probe = QPointF(canvas->xAxis->coordToPixel(50), canvas->yAxis->coordToPixel(5.5)).toPoint();
        const QColor background = canvas->toPixmap().toImage().pixelColor(probe);
        store.appendCandidates(0,
            { candidate(initial, 50, 5.5, 2), candidate(initial + 1, 30, 4.5, 2), candidate(initial + 2, 70, 6.5, 2) });
        QCOMPARE(plot.plottedPoints(), initial + 3);
        QCOMPARE(alive(everything), int(everything.size())); // nothing was recreated
        QCOMPARE(canvas->plottableCount(), int(everything.size()));
        QCOMPARE(canvas->xAxis->range(), xRange);
        QCOMPARE(canvas->yAxis->range(), yRange);
        canvas->replot();

        // The new point is drawn (the raster was added to, not redrawn: the view did not move),
        // found by picking, and hovering it names it.
        const PointRef added { 0, initial };
        const QPoint pixel = plot.pixelOf(added);
        QVERIFY((pixel - probe).manhattanLength() <= 2);
        QVERIFY(canvas->axisRect()->rect().contains(pixel));
        QVERIFY(canvas->toPixmap().toImage().pixelColor(pixel) != background);
        QVERIFY(plot.pointAt(pixel) == added);
        QCOMPARE(plot.pointsIn(QRect(pixel - QPoint(2, 2), pixel + QPoint(2, 2))), std::vector<PointRef> { added });
        hover(canvas, pixel);
        QTRY_VERIFY(QToolTip::isVisible());
        QVERIFY2(QToolTip::text().contains(QStringLiteral("#%1").arg(initial)), qPrintable(QToolTip::text()));
        QToolTip::hideText();

        // A later iteration widens the colour scale and, for sparse runs, adds its own graph; a
        // point past the data moves the view. Still nothing drawn before is recreated.
        store.appendCandidates(0, { candidate(initial + 3, 120, 0.5, 5) });
        QCOMPARE(alive(everything), int(everything.size()));
        QCOMPARE(scale->dataRange().upper, 5.0);
        QVERIFY(canvas->xAxis->range().upper > 120);
        canvas->replot();
        QVERIFY(plot.pointAt(plot.pixelOf({ 0, initial + 3 })) == (PointRef { 0, initial + 3 }));
        QCOMPARE(plot.plottedPoints(), initial + 4);

        // That point dominates every earlier one, so it is the frontier: the line follows, in place.
        QCOMPARE(store.layer(0).frontier, std::vector<std::size_t> { std::size_t(initial + 3) });
        auto* front = qobject_cast<QCPGraph*>(plot.layerPlottables(0).back());
        QVERIFY(front);
        QVERIFY(front == drawn.back());
        QCOMPARE(front->dataCount(), 1);
        QCOMPARE(front->name(), QStringLiteral("frontier (1, 0 confirmed)"));

        // The first over-ceiling candidate needs a legend row: a rebuild; the second one does not.
        store.appendCandidates(0, { candidate(initial + 4, 40, 12, 5, Status::OverCeiling) });
        QCOMPARE(alive(everything), 0);
        QStringList names;
        for (int i = 0; i < canvas->graphCount(); ++i)
            names << canvas->graph(i)->name();
        QVERIFY2(names.contains(QStringLiteral("over ceiling (1)")), qPrintable(names.join(',')));
        const auto rebuilt = tracked(plot.layerPlottables(0));
        store.appendCandidates(0, { candidate(initial + 5, 45, 13, 5, Status::OverCeiling) });
        QCOMPARE(alive(rebuilt), int(rebuilt.size()));
        names.clear();
        for (int i = 0; i < canvas->graphCount(); ++i)
            names << canvas->graph(i)->name();
        QVERIFY2(names.contains(QStringLiteral("over ceiling (2)")), qPrintable(names.join(',')));
        QCOMPARE(plot.plottedPoints(), initial + 6);

        // New axes need new plottables.
        plot.setMetrics(Metric::TotalParams, Metric::PeakMemory);
        QCOMPARE(alive(rebuilt), 0);
        QCOMPARE(plot.plottedPoints(), initial + 6);
    }

    void confirmationsReplacePointsAndMarkThem()
    {
        // A frontier point confirmed slower than first measured falls behind another point:
        // the store's frontier and the plot follow, and confirmed points carry their dot.
        RunStore store;
        ParetoPlot plot(&store);
        plot.resize(900, 600);
        store.addLayer(layerOf({ candidate(0, 10, 5, 0), candidate(1, 20, 6, 0), candidate(2, 20, 7, 0) }));
        QCOMPARE(store.layer(0).frontier, (std::vector<std::size_t> { 0, 1 }));
        auto* front = qobject_cast<QCPGraph*>(plot.layerPlottables(0).back());
        QCOMPARE(front->name(), QStringLiteral("frontier (2, 0 confirmed)"));
        QSignalSpy replaced(&store, &RunStore::candidatesReplaced);
        lts::Candidate slower = store.layer(0).candidates[1];
        slower.measurement.firstLatencyMs = slower.measurement.latencyMs;
        slower.measurement.latencyMs = 8; // now behind #2 (20 M, 7 ms)
        slower.measurement.confirmed = true;
        lts::Candidate kept = store.layer(0).candidates[0];
        kept.measurement.confirmed = true;
        store.replaceCandidates(0, { slower, kept });
        QCOMPARE(replaced.count(), 1);
        QCOMPARE(store.layer(0).candidates.size(), std::size_t(3));
        QCOMPARE(store.layer(0).candidates[1].measurement.latencyMs, 8.0);
        QCOMPARE(store.layer(0).frontier, (std::vector<std::size_t> { 0, 2 }));
        const auto plottables = plot.layerPlottables(0);
        front = qobject_cast<QCPGraph*>(plottables.back());
        QCPGraph* confirmed = nullptr;
        for (QCPAbstractPlottable* p : plottables)
            if (p->name() == QStringLiteral("confirmed frontier points"))
                confirmed = qobject_cast<QCPGraph*>(p);
        QVERIFY(front && confirmed);
        QCOMPARE(front->name(), QStringLiteral("frontier (2, 1 confirmed)"));
        QCOMPARE(confirmed->dataCount(), 1);
        QCOMPARE(confirmed->data()->begin()->value, 5.0); // the point at (10 M, 5 ms)
    }

    void statusBarSaysHowTheEstimatesHold()
    {
        SearchProgress p;
        p.hasRun = true;
        p.screening = true;
        p.objectives = { lts::Objective::DecoderParams, lts::Objective::Latency, lts::Objective::Memory };
        QCOMPARE(estimateSummary(p).text, QStringLiteral("Estimates: not checked yet"));
        p.latencyEstimate.samples = p.memoryEstimate.samples = 31;
        p.latencyEstimate.within5 = 0.62;
        p.latencyEstimate.within10 = 0.968;
        p.latencyEstimate.trusted = true;
        p.memoryEstimate.within10 = 1.0;
        p.memoryEstimate.trusted = false;
        const EstimateSummary e = estimateSummary(p);
        QCOMPARE(e.text, QStringLiteral("Estimates ±10%: latency 97%, memory 100% · screening off"));
        QVERIFY2(e.tooltip.contains(QStringLiteral("62% within ±5%")), qPrintable(e.tooltip));
        p.memoryEstimate.trusted = true;
        QVERIFY(estimateSummary(p).text.endsWith(QStringLiteral("screening on")));
        p.screening = false; // the random baseline, or screening off: nothing to say
        QVERIFY(estimateSummary(p).text.isEmpty());
    }

    void appendsDrawWhatARebuildDraws_data()
    {
        QTest::addColumn<int>("initial");
        QTest::addColumn<int>("runs");
        QTest::newRow("sparse, one run") << 40 << 1;
        QTest::newRow("sparse, two runs") << 40 << 2;
        QTest::newRow("dense, one run") << 4200 << 1;
        QTest::newRow("dense, two runs") << 4200 << 2;
        QTest::newRow("growing into a raster") << 3980 << 1;
    }

    void appendsDrawWhatARebuildDraws()
    {
        QFETCH(int, initial);
        QFETCH(int, runs);
        RunStore store;
        ParetoPlot live(&store);
        live.resize(800, 560);
        live.show();
        QVERIFY(QTest::qWaitForWindowExposed(&live));
        for (int r = 1; r < runs; ++r)
            store.addLayer(layerOf(banded(initial, 4), QStringLiteral("other")));
        const int target = store.addLayer(layerOf(banded(initial, 4)));
        live.canvas()->replot();
        // Random batches of every status, inside and outside the view, across new iterations.
        std::mt19937 rng(99);
        int id = initial;
        for (int round = 0; round < 30; ++round) {
            std::vector<lts::Candidate> batch;
            for (unsigned k = 1 + rng() % 6; k > 0; --k) {
                const Status status = rng() % 10 == 0 ? Status::Failed : Status::Ok;
                const double params = 1 + double(rng() % 1100) / 10;
                const double latency = 0.5 + double(rng() % 120) / 10;
                batch.push_back(candidate(id, params, latency, 4 + round / 5, status));
                ++id;
            }
            store.appendCandidates(target, batch);
            if (round % 7 == 0)
                live.canvas()->replot(); // so that later batches are painted onto a cached raster
        }
        ParetoPlot fresh(&store);
        fresh.resize(live.size());
        fresh.show();
        QVERIFY(QTest::qWaitForWindowExposed(&fresh));
        QCOMPARE(live.plottedPoints(), fresh.plottedPoints());
        QCOMPARE(live.canvas()->xAxis->range(), fresh.canvas()->xAxis->range());
        QCOMPARE(live.canvas()->yAxis->range(), fresh.canvas()->yAxis->range());
        QCOMPARE(live.canvas()->graphCount(), fresh.canvas()->graphCount());
        for (int i = 0; i < live.canvas()->graphCount(); ++i) {
            QCOMPARE(live.canvas()->graph(i)->name(), fresh.canvas()->graph(i)->name());
            QCOMPARE(live.canvas()->graph(i)->dataCount(), fresh.canvas()->graph(i)->dataCount());
        }
        live.canvas()->replot();
        fresh.canvas()->replot();
        QVERIFY(live.canvas()->toPixmap().toImage() == fresh.canvas()->toPixmap().toImage());
    }
};

QTEST_MAIN(TestStudioPlot)
#include "tst_studioplot.moc"
