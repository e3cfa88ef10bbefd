// GUI tests of what a newcomer meets: an estimated candidate reads as an estimate everywhere,
// progress and the banner tell the truth before, during and after a search, the frontier drawn
// is the one of the axes on screen, and the README's five steps work end to end, export
// included.
#include "configpanel.h"
#include "detailspanel.h"
#include "exporter.h"
#include "frontiertable.h"
#include "guitestutil.h"
#include "jsonio.h"
#include "livesearch.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "runfolder.h"
#include "statusbar.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolTip>
#include <QtTest>

#include <algorithm>
#include <set>

using namespace studio;

namespace {

constexpr int kSearchTimeoutMs = 60000;

QString labelText(const QWidget& w, const char* name)
{
    auto* label = w.findChild<QLabel*>(QString::fromLatin1(name));
    return label ? label->text() : QString();
}

lts::Candidate measured(int id, int dModel, int nLayer, double latencyMs, double peakMb)
{
    lts::Candidate c;
    c.id = id;
    c.arch = lts::preset("gpt2-lts").baseArch();
    c.arch.nLayer = nLayer;
    c.arch.dModel = dModel;
    c.arch.nHead.assign(std::size_t(nLayer), 4);
    c.arch.dInner.assign(std::size_t(nLayer), 2 * dModel);
    c.decoderParams = lts::decoderParams(c.arch);
    c.totalParams = lts::countParams(c.arch).total();
    c.measurement.latencyMs = latencyMs;
    c.measurement.latencyIqrMs = 0.1 * latencyMs;
    c.measurement.latencyQ1Ms = 0.95 * latencyMs;
    c.measurement.latencyQ3Ms = 1.05 * latencyMs;
    c.measurement.latencyMinMs = 0.9 * latencyMs;
    c.measurement.latencyMaxMs = 1.2 * latencyMs;
    c.measurement.repeats = 5;
    c.measurement.peakMemoryMb = peakMb;
    c.measurement.weightsMb = 0.5 * peakMb;
    c.measurement.activationsMb = 0.5 * peakMb;
    return c;
}

// A screened-out candidate: a calibrated latency estimate, and no peak-memory estimate.
lts::Candidate estimated(int id)
{
    lts::Candidate c = measured(id, 512, 4, 0, 0);
    c.status = lts::Candidate::Status::Estimated;
    c.measurement = {};
    c.measurement.latencyMs = 533.2;
    c.measurement.weightsMb = 30.5;
    c.latencyEstimateMs = 471.05;
    return c;
}

RunLayer layerWith(std::vector<lts::Candidate> candidates)
{
    RunLayer layer;
    layer.name = QStringLiteral("run");
    layer.config = test::tinyConfig();
    layer.config.search.iterations = 12;
    layer.candidates = std::move(candidates);
    layer.frontier = lts::frontierOf(layer.candidates, layer.config.search.objectives);
    layer.latencyEstimate.samples = 34;
    layer.latencyEstimate.p90Error = 0.062;
    return layer;
}

// Brute force: the measured candidates no other beats on both axes (parameters more, costs less).
std::set<int> frontierOnAxes(const RunLayer& layer, Metric x, Metric y)
{
    auto cost = [](const lts::Candidate& c, Metric m) {
        double v = 0;
        metricValue(c, m, &v);
        return m == Metric::DecoderParams || m == Metric::TotalParams ? -v : v;
    };
    std::set<int> ids;
    for (const auto& a : layer.candidates) {
        if (a.status != lts::Candidate::Status::Ok)
            continue;
        bool dominated = false;
        for (const auto& b : layer.candidates)
            dominated = dominated
                || (b.status == lts::Candidate::Status::Ok && cost(b, x) <= cost(a, x) && cost(b, y) <= cost(a, y)
                    && (cost(b, x) < cost(a, x) || cost(b, y) < cost(a, y)));
        if (!dominated)
            ids.insert(a.id);
    }
    return ids;
}

// The ids of the points a graph draws, found by their coordinates on the plot's axes.
std::set<int> idsDrawn(const QCPGraph* g, const RunLayer& layer, Metric x, Metric y)
{
    std::set<int> ids;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        for (const auto& c : layer.candidates) {
            double cx = 0, cy = 0;
            if (metricValue(c, x, &cx) && metricValue(c, y, &cy) && cx == it->key && cy == it->value)
                ids.insert(c.id);
        }
    return ids;
}

QCPGraph* graphNamed(ParetoPlot* plot, const QString& prefix)
{
    for (int i = 0; i < plot->canvas()->graphCount(); ++i)
        if (plot->canvas()->graph(i)->name().startsWith(prefix))
            return plot->canvas()->graph(i);
    return nullptr;
}

} // namespace

class TestStudioNewcomer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        test::isolateSettings("tst_studionewcomer");
        QVERIFY(m_dir.isValid());
    }

    void estimatedCandidateReadsAsAnEstimate()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        RunStore* store = w.store();
        store->addLayer(layerWith({ measured(0, 256, 2, 100, 80), measured(1, 512, 6, 400, 200), estimated(2) }));
        const RunLayer& layer = store->layer(0);
        const PointRef est { 0, 2 };
        ParetoPlot* plot = w.plot();
        plot->setMetrics(Metric::DecoderParams, Metric::Latency);
        plot->canvas()->replot();

        // Tooltip, on hover: an estimate with its expected error, no spread.
        const QPoint pixel = plot->pixelOf(est);
        QVERIFY(plot->canvas()->axisRect()->rect().contains(pixel));
        QMouseEvent move(QEvent::MouseMove, QPointF(pixel), plot->canvas()->mapToGlobal(QPointF(pixel)), Qt::NoButton,
            Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(plot->canvas(), &move);
        const QString tip = QToolTip::text();
        QVERIFY2(tip.contains(QStringLiteral("estimated, never measured")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("Latency ≈ 533.2 ms, estimated")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("90% of 34 checks within ±6.2%")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("Peak memory not estimated")), qPrintable(tip));
        QVERIFY2(!tip.contains(QStringLiteral("IQR")), qPrintable(tip));
        QVERIFY(graphNamed(plot, QStringLiteral("estimated, never measured (1)")));

        // Details: the estimates and the exact weights; nothing only a measurement knows.
        store->setSelection({ est });
        const QString details = labelText(w, "detailsMeasurement");
        QVERIFY2(details.startsWith(QStringLiteral("Estimated, never measured")), qPrintable(details));
        QVERIFY2(details.contains(QStringLiteral("Latency ≈ 533.2 ms, estimated")), qPrintable(details));
        QVERIFY2(details.contains(QStringLiteral("Part table, uncalibrated: latency 471.050 ms")), qPrintable(details));
        for (const char* measuredOnly : { "median", "IQR", "Min to max", "repeats", "activations", "CPU utilisation",
                 "Model build", "Peak memory:" })
            QVERIFY2(!details.contains(QString::fromLatin1(measuredOnly)), measuredOnly);
        QVERIFY(labelText(w, "detailsHeader").contains(QStringLiteral("Status: estimated")));

        // The table: the selected point is a row, read as an estimate.
        FrontierModel* model = w.frontierTable()->model();
        const int row = model->rowOf(est);
        QVERIFY(row >= int(layer.frontier.size()));
        auto cell = [&](int column) { return model->index(row, column).data().toString(); };
        QCOMPARE(cell(FrontierModel::Status), QStringLiteral("estimated, never measured"));
        QCOMPARE(cell(FrontierModel::Latency), QStringLiteral("≈533.2 est."));
        QCOMPARE(cell(FrontierModel::LatencyIqr), QString());
        QCOMPARE(cell(FrontierModel::PeakMemory), QString());
        QVERIFY(w.frontierTable()->view()->selectionModel()->isRowSelected(w.frontierTable()->viewRowOf(est)));

        // The plot: with peak memory on y, a point without a memory estimate is not drawn (its
        // weights would put it lowest), and cannot be picked.
        plot->setMetrics(Metric::DecoderParams, Metric::PeakMemory);
        plot->canvas()->replot();
        QCOMPARE(plot->pixelOf(est), QPoint(-1, -1));
        QCOMPARE(plot->pointAt(QPointF(pixel)).valid() && plot->pointAt(QPointF(pixel)) == est, false);

        // CSV: the measured columns stay empty, the estimate has its own.
        const QString csv = m_dir.filePath(QStringLiteral("estimated.csv"));
        QVERIFY(
            exportCandidates({ layer.candidates[1], layer.candidates[2] }, ExportFormat::Csv, csv).problems.isEmpty());
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        const QList<QByteArray> header = lines[0].split(',');
        const QList<QByteArray> measuredRow = lines[1].split(','), estimatedRow = lines[2].split(',');
        auto column = [&](const char* name) { return header.indexOf(QByteArray(name)); };
        QCOMPARE(estimatedRow.value(column("status")), QByteArray("estimated"));
        QCOMPARE(estimatedRow.value(column("latency_ms")), QByteArray());
        QCOMPARE(estimatedRow.value(column("latency_iqr_ms")), QByteArray());
        QCOMPARE(estimatedRow.value(column("peak_memory_mb")), QByteArray());
        QCOMPARE(estimatedRow.value(column("latency_estimate_ms")), QByteArray("533.2000"));
        QCOMPARE(measuredRow.value(column("latency_ms")), QByteArray("400.0000"));
        QCOMPARE(measuredRow.value(column("latency_estimate_ms")), QByteArray());
    }

    void frontierDrawnMatchesTheAxes()
    {
        // Latency and memory disagree: #1 is fast but big, #2 slow but lean.
        RunStore store;
        ParetoPlot plot(&store);
        plot.resize(900, 600);
        store.addLayer(
            layerWith({ measured(0, 256, 2, 100, 80), measured(1, 384, 3, 150, 300), measured(2, 384, 3, 260, 120),
                measured(3, 512, 4, 300, 400), measured(4, 512, 4, 500, 150), measured(5, 640, 5, 700, 700) }));
        const RunLayer& layer = store.layer(0);
        for (auto [x, y] : { std::pair { Metric::DecoderParams, Metric::Latency },
                 std::pair { Metric::DecoderParams, Metric::PeakMemory },
                 std::pair { Metric::Latency, Metric::PeakMemory },
                 std::pair { Metric::PeakMemory, Metric::TotalParams } }) {
            plot.setMetrics(x, y);
            const auto plottables = plot.layerPlottables(0);
            auto* front = qobject_cast<QCPGraph*>(plottables.back());
            QVERIFY(front);
            QCOMPARE(idsDrawn(front, layer, x, y), frontierOnAxes(layer, x, y));
            // Along x, so the step line joins neighbours.
            for (auto it = front->data()->constBegin(); it + 1 != front->data()->constEnd(); ++it)
                QVERIFY(it->key <= (it + 1)->key);
            QCPGraph* own = graphNamed(&plot, QStringLiteral("search's frontier on params,latency"));
            if (x == Metric::DecoderParams && y == Metric::Latency) {
                QVERIFY(!own); // the axes are the objectives: one frontier, one legend entry
                QVERIFY(front->name().startsWith(QStringLiteral("frontier (")));
            } else {
                QVERIFY2(own, qPrintable(front->name()));
                QVERIFY(front->name().startsWith(QStringLiteral("frontier of these axes")));
                std::set<int> searchIds;
                for (std::size_t i : layer.frontier)
                    searchIds.insert(layer.candidates[i].id);
                QCOMPARE(idsDrawn(own, layer, x, y), searchIds);
            }
        }
        // With peak memory on y, the lean #2 and #4 are on the drawn frontier, the search's fast #1 is not.
        plot.setMetrics(Metric::DecoderParams, Metric::PeakMemory);
        const std::set<int> drawn = idsDrawn(
            qobject_cast<QCPGraph*>(plot.layerPlottables(0).back()), layer, Metric::DecoderParams, Metric::PeakMemory);
        QCOMPARE(drawn, (std::set<int> { 0, 2, 4, 5 }));
    }

    void latencySpreadIsDrawnOnTheFrontier()
    {
        RunStore store;
        ParetoPlot plot(&store);
        store.addLayer(layerWith({ measured(0, 256, 2, 100, 80), measured(1, 512, 4, 300, 200) }));
        auto spreadOf = [&plot] {
            QCPErrorBars* spread = nullptr;
            for (QCPAbstractPlottable* p : plot.layerPlottables(0))
                if (auto* bars = qobject_cast<QCPErrorBars*>(p))
                    spread = bars;
            return spread;
        };
        QCPErrorBars* spread = spreadOf();
        QVERIFY(spread);
        QVERIFY(spread->visible());
        QCOMPARE(spread->dataCount(), 2);
        QCOMPARE(spread->data()->at(0).errorMinus, 5.0); // median 100, first quartile 95
        QCOMPARE(spread->data()->at(1).errorPlus, 15.0); // median 300, third quartile 315
        // Latency on x: the bars turn with it; no latency axis: no bars.
        plot.setMetrics(Metric::Latency, Metric::PeakMemory);
        QVERIFY(spreadOf()->visible());
        QCOMPARE(spreadOf()->errorType(), QCPErrorBars::etKeyError);
        plot.setMetrics(Metric::DecoderParams, Metric::PeakMemory);
        QVERIFY(!spreadOf()->visible());
    }

    void progressTellsTheTruth()
    {
        MainWindow w;
        ConfigPanel* config = w.configPanel();
        auto device = std::make_shared<test::FakeDevice>(30);
        w.liveSearch()->setMeasurerFactory(test::factoryFor(device));
        lts::SearchConfig c = test::slowConfig();
        c.search.screening = false;
        config->setConfig(c);
        const QString folder = m_dir.filePath(QStringLiteral("stopped"));
        config->setOutputFolder(folder);
        // Before Start: ready, with the planned candidates; an empty plot says what to do.
        QCOMPARE(config->bannerText(), QStringLiteral("Ready to start."));
        QVERIFY(labelText(w, "spacePreview")
                    .contains(
                        QStringLiteral("Planned: about %1 candidates").arg(lts::plannedCandidates(config->config()))));
        QVERIFY(w.plot()->canvas()->item(0)->visible());
        QVERIFY(!w.plot()->canvas()->legend->visible()); // nothing to explain yet
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.plot()->canvas()->replot();
        QVERIFY2(w.plot()->canvas()->axisRect()->rect().width() > w.plot()->canvas()->width() / 2,
            "the empty plot's axes fill the canvas");

        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY(test::startFromAction(w));
        QTRY_VERIFY_WITH_TIMEOUT(w.store()->layer(0).candidates.size() >= 4, kSearchTimeoutMs);
        QVERIFY2(config->bannerText().startsWith(QStringLiteral("Search running")), qPrintable(config->bannerText()));
        QVERIFY(!w.plot()->canvas()->item(0)->visible());
        QVERIFY(w.plot()->canvas()->legend->visible());
        w.stopAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);

        const SearchProgress p = w.liveSearch()->progress();
        QCOMPARE(p.state, SearchProgress::State::Stopped);
        QVERIFY2(p.fraction < 0.5, qPrintable(QString::number(p.fraction)));
        auto* bar = w.findChild<QProgressBar*>(QStringLiteral("statusProgress"));
        QVERIFY(bar->value() < bar->maximum() / 2);
        QCOMPARE(labelText(w, "statusEta"), QStringLiteral("ETA –"));
        QVERIFY2(config->bannerText().startsWith(QStringLiteral("Stopped by you after %1 candidates").arg(p.evaluated)),
            qPrintable(config->bannerText()));

        // The iteration shown is the one the files hold.
        const lts::LoadedRun run = lts::loadRun(folder);
        int last = 0;
        for (const auto& cand : run.candidates)
            last = std::max(last, cand.iteration);
        QCOMPARE(p.iteration, last);
        QCOMPARE(labelText(w, "statusIteration"),
            QStringLiteral("Iteration %1 of 0–%2").arg(last).arg(c.search.iterations - 1));
        QVERIFY(labelText(w, "statusHypervolume").contains(QStringLiteral("params·ms")));
        QCOMPARE(labelText(w, "statusFolder"), QStringLiteral("Run: stopped"));

        // The pace of this search tells the next one's duration before it starts.
        config->setConfig(c);
        QVERIFY2(labelText(w, "spacePreview").contains(QStringLiteral(" s each (the last search\nof this space here)")),
            qPrintable(labelText(w, "spacePreview")));
    }

    void readmeFiveSteps()
    {
        // README "LTS Studio in five steps", from a clean configuration, on a fake device (the
        // walk checks the window, not the device's speed).
        QSettings().clear();
        MainWindow w; // step 1
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // Most of the screen, and no more unless the window cannot be smaller.
        const QRect screen = w.screen()->availableGeometry();
        QVERIFY(w.width() >= int(0.9 * screen.width()) && w.height() >= int(0.9 * screen.height()));
        QVERIFY(w.width() <= std::max(screen.width(), w.minimumSizeHint().width()));
        QVERIFY(w.height() <= std::max(screen.height(), w.minimumSizeHint().height()));
        w.liveSearch()->setMeasurerFactory(test::factoryFor(std::make_shared<test::FakeDevice>(2)));

        // Step 2: the preset gpt2-lts; the device is this machine's CPU, 1 thread.
        ConfigPanel* config = w.configPanel();
        auto* preset = config->findChild<QComboBox*>(QStringLiteral("preset"));
        QVERIFY(preset);
        preset->setCurrentIndex(preset->findText(QStringLiteral("gpt2-lts")));
        Q_EMIT preset->activated(preset->currentIndex());
        QCOMPARE(config->config().space.name, std::string("gpt2-lts"));
        QCOMPARE(static_cast<QSpinBox*>(config->fieldWidget(QStringLiteral("device.threads")))->value(), 1);
        QCOMPARE(config->config().protocol.device, std::string("cpu"));
        QCOMPARE(config->bannerText(), QStringLiteral("Ready to start."));

        // Step 3: Start; points appear; Stop; Resume goes on where it stopped.
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY(test::startFromAction(w));
        QTRY_VERIFY_WITH_TIMEOUT(w.plot()->plottedPoints() >= 60, kSearchTimeoutMs);
        w.stopAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        const QString folder = w.liveRunFolder();
        const std::size_t before = lts::loadRun(folder).candidates.size();
        QVERIFY(w.resumeSearch(folder));
        QTRY_VERIFY_WITH_TIMEOUT(w.store()->layer(0).candidates.size() > before + 20, kSearchTimeoutMs);
        w.stopAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kSearchTimeoutMs);

        // Step 4: the fastest architecture with at least 20 M decoder parameters.
        QVERIFY(w.selectFastestAbove(20e6));
        const lts::Candidate chosen = w.store()->candidate(w.store()->current());
        QVERIFY(chosen.decoderParams >= 20'000'000);
        for (const auto& c : w.store()->layer(0).candidates)
            if (c.status == lts::Candidate::Status::Ok && c.decoderParams >= 20'000'000)
                QVERIFY(c.measurement.latencyMs >= chosen.measurement.latencyMs);
        QVERIFY(labelText(w, "detailsHeader").startsWith(QStringLiteral("Candidate #%1").arg(chosen.id)));

        // Step 5: every export format takes it, and says so before a file name is asked for.
        for (ExportFormat f : { ExportFormat::ArchJson, ExportFormat::HuggingFace, ExportFormat::Csv })
            QCOMPARE(exportProblem(chosen, f), QString());
        QTemporaryDir out;
        const QString hf = out.filePath(QStringLiteral("config.json"));
        const ExportReport r = w.exportTo(ExportFormat::HuggingFace, hf);
        QVERIFY2(r.problems.isEmpty(), qPrintable(r.problems.join('\n')));
        QCOMPARE(r.written, QStringList { hf });
        const QJsonObject config_json = lts::readJsonFile(hf);
        QCOMPARE(config_json.value(QStringLiteral("n_embd")).toInt(), chosen.arch.dModel);
        QCOMPARE(config_json.value(QStringLiteral("n_layer")).toInt(), chosen.arch.nLayer);
        const lts::ArchConfig back = lts::archFromJson(config_json);
        QCOMPARE(back.nHead, chosen.arch.nHead);
        QCOMPARE(back.dInner, chosen.arch.dInner);
        QVERIFY(w.exportTo(ExportFormat::ArchJson, out.filePath(QStringLiteral("arch.json"))).problems.isEmpty());
        QVERIFY(lts::archFromJson(lts::readJsonFile(out.filePath(QStringLiteral("arch.json")))) == chosen.arch);
        QVERIFY(w.exportTo(ExportFormat::Csv, out.filePath(QStringLiteral("arch.csv"))).problems.isEmpty());
        QVERIFY(w.exportPlot(out.filePath(QStringLiteral("plot.png"))));
        QCOMPARE(QImage(out.filePath(QStringLiteral("plot.png"))).size(), QSize(1200, 800));
    }

    void smallThingsAWindowGetsRight()
    {
        MainWindow w;
        const QString fixture = m_dir.filePath(QStringLiteral("fixture"));
        test::writeSyntheticRun(fixture, test::tinyConfig());
        // The user's axes survive opening a run.
        auto* y = w.plot()->findChild<QComboBox*>(QStringLiteral("yMetric"));
        y->setCurrentIndex(y->findData(int(Metric::PeakMemory)));
        Q_EMIT y->activated(y->currentIndex());
        QVERIFY(w.openRun(fixture));
        QCOMPARE(w.plot()->yMetric(), Metric::PeakMemory);
        // The colour scale spans the iterations there are, and shows only once there are two.
        auto scale = [&w]() -> QCPColorScale* {
            for (int i = 0; i < w.plot()->canvas()->plotLayout()->elementCount(); ++i)
                if (auto* s = qobject_cast<QCPColorScale*>(w.plot()->canvas()->plotLayout()->elementAt(i)))
                    return s->visible() ? s : nullptr;
            return nullptr;
        };
        int last = 0;
        for (const auto& c : w.store()->layer(0).candidates)
            last = std::max(last, c.iteration);
        QVERIFY(last > 0);
        QVERIFY(scale());
        QCOMPARE(scale()->dataRange().upper, double(last));
        RunLayer first = w.store()->layer(0);
        first.candidates.erase(std::remove_if(first.candidates.begin(), first.candidates.end(),
                                   [](const lts::Candidate& c) { return c.iteration > 0; }),
            first.candidates.end());
        first.frontier = lts::frontierOf(first.candidates, first.config.search.objectives);
        w.store()->clear();
        w.store()->addLayer(first);
        QVERIFY(!scale()); // no "iteration 1" before there is one
        // A log axis over less than a decade still has several labelled ticks.
        w.plot()->setMetrics(Metric::DecoderParams, Metric::Latency);
        w.plot()->setLogScale(false, true);
        w.plot()->canvas()->yAxis->setRange(15, 120);
        w.plot()->canvas()->replot();
        const QVector<double> ticks = w.plot()->canvas()->yAxis->tickVector();
        for (double want : { 20.0, 50.0, 100.0 })
            QVERIFY2(ticks.contains(want), qPrintable(QString::number(ticks.size())));
        // Values put back to the preset's make it the preset again.
        ConfigPanel* config = w.configPanel();
        config->loadPreset(QStringLiteral("gpt2-lts"));
        auto* preset = config->findChild<QComboBox*>(QStringLiteral("preset"));
        auto* maxLayers = static_cast<QSpinBox*>(config->fieldWidget(QStringLiteral("n_layer.max")));
        const int original = maxLayers->value();
        maxLayers->setValue(original - 1);
        QCOMPARE(preset->currentText(), QStringLiteral("(custom)"));
        maxLayers->setValue(original);
        QCOMPARE(preset->currentText(), QStringLiteral("gpt2-lts"));
        // Configure's tabs: the one holding a refused entry says so.
        auto* tabs = config->findChild<QTabWidget*>(QStringLiteral("configTabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->count(), 3);
        static_cast<QLineEdit*>(config->fieldWidget(QStringLiteral("n_head")))->setText(QStringLiteral("2, 3"));
        QVERIFY(!config->isValid());
        QCOMPARE(tabs->tabText(0), QStringLiteral("Space ⚠"));
        QCOMPARE(tabs->tabText(2), QStringLiteral("Device && folder"));
        config->loadPreset(QStringLiteral("gpt2-lts"));
        QCOMPARE(tabs->tabText(0), QStringLiteral("Space"));
        // An architecture file opened as a configuration says what it is.
        const QString arch = m_dir.filePath(QStringLiteral("arch.json"));
        lts::writeFileAtomically(arch, QJsonDocument(lts::archToJson(test::tinyConfig().space.baseArch())).toJson());
        QVERIFY(!w.openConfig(arch));
        QVERIFY2(w.lastError().contains(QStringLiteral("architecture file, not a search configuration")),
            qPrintable(w.lastError()));
        // Help → Keyboard Shortcuts lists the menus' shortcuts, submenus included.
        w.findChild<QAction*>(QStringLiteral("shortcutsAction"))->trigger();
        auto* keys = w.findChild<QMessageBox*>();
        QVERIFY(keys);
        QVERIFY2(keys->text().contains(QStringLiteral("File → Export → Architecture JSON…")), qPrintable(keys->text()));
        QVERIFY(keys->text().contains(QKeySequence(Qt::CTRL | Qt::Key_R).toString(QKeySequence::NativeText)));
        // Hypervolume with its units.
        QCOMPARE(hypervolumeText(4.974e10, { lts::Objective::DecoderParams, lts::Objective::Latency }),
            QStringLiteral("49.7 G params·ms"));
        QCOMPARE(hypervolumeText(12.5, { lts::Objective::DecoderParams, lts::Objective::Memory }),
            QStringLiteral("12.5 params·MB"));
    }
};

QTEST_MAIN(TestStudioNewcomer)
#include "tst_studionewcomer.moc"
