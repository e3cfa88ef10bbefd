// GUI tests of a search in lts-studio with real LibTorch measurements of tiny models: points
// stream onto the plot, selection drives the details panel and the table (and back), exports
// write the files they claim, Stop ends the thread inside a measurement with a valid run folder,
// and a reopened run shows the same frontier.
#include "configpanel.h"
#include "convergenceplot.h"
#include "detailspanel.h"
#include "exporter.h"
#include "format.h"
#include "frontiertable.h"
#include "guitestutil.h"
#include "livesearch.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "resumedialog.h"
#include "runfolder.h"
#include "statusbar.h"

#include <QAction>
#include <QClipboard>
#include <QDoubleSpinBox>
#include <QGuiApplication>
#include <QImage>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolTip>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace studio;

namespace {

constexpr int kSearchTimeoutMs = 60000; // a tiny search takes a second or two; a loaded CI box more

std::set<int> frontierIds(const RunStore& store, int layer)
{
    std::set<int> ids;
    for (std::size_t i : store.layer(layer).frontier)
        ids.insert(store.layer(layer).candidates[i].id);
    return ids;
}

std::set<int> runFrontierIds(const lts::LoadedRun& run)
{
    std::set<int> ids;
    for (std::size_t i : lts::frontierOf(run.candidates, run.info.config.search.objectives))
        ids.insert(run.candidates[i].id);
    return ids;
}

QString statusText(MainWindow& w, const char* name)
{
    auto* label = w.findChild<QLabel*>(QString::fromLatin1(name));
    return label ? label->text() : QString();
}

void sendMouse(
    QWidget* target, QEvent::Type type, QPoint pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers mods = {})
{
    const Qt::MouseButton button = type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton;
    QMouseEvent e(type, QPointF(pos), target->mapToGlobal(QPointF(pos)), button, buttons, mods);
    QApplication::sendEvent(target, &e);
}

// True when `value` lies within a pixel and a half of `pixel` on `axis`: pixels are whole numbers.
bool withinPixels(const QCPAxis* axis, int pixel, double value)
{
    const double here = axis->pixelToCoord(pixel);
    const double step = std::abs(axis->pixelToCoord(pixel + 1) - here);
    return std::abs(here - value) <= 1.5 * step;
}

} // namespace

class TestStudioSearch : public QObject {
    Q_OBJECT

private:
    // Runs the tiny search to its end in a fresh window, writing `folder`.
    void runTinySearch(MainWindow& w, const QString& folder)
    {
        w.configPanel()->setConfig(test::tinyConfig());
        w.configPanel()->setOutputFolder(folder);
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(test::startFromAction(w), qPrintable(w.lastError()));
        QVERIFY(!w.startAction()->isEnabled());
        QVERIFY(w.stopAction()->isEnabled());
        QVERIFY(!w.configPanel()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(w.plot()->plottedPoints() > 0, kSearchTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        QCOMPARE(finished.front().front().toString(), QString());
        QVERIFY(!w.isSearchRunning());
    }

    QTemporaryDir m_dir;
    QString m_fixtureRun; // a finished synthetic run, for the tests that only read one

private Q_SLOTS:
    void initTestCase()
    {
        test::isolateSettings("tst_studiosearch");
        QVERIFY(m_dir.isValid());
        m_fixtureRun = m_dir.filePath(QStringLiteral("fixture"));
        test::writeSyntheticRun(m_fixtureRun, test::tinyConfig());
        QVERIFY(lts::loadRun(m_fixtureRun).candidates.size() >= 8);
    }

    void tinySearchFillsPlotTableAndRunFolder()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QString folder = m_dir.filePath(QStringLiteral("tiny"));
        runTinySearch(w, folder);
        if (QTest::currentTestFailed())
            return;

        // Everything measured is on the plot, and in the run folder lts-search would have written.
        const lts::LoadedRun run = lts::loadRun(folder);
        QVERIFY(run.info.finished);
        QVERIFY(!run.info.cancelled);
        QVERIFY(run.warnings.empty());
        const RunStore* store = w.store();
        QCOMPARE(store->layerCount(), 1);
        QCOMPARE(int(run.candidates.size()), int(store->layer(0).candidates.size()));
        QCOMPARE(w.plot()->plottedPoints(), int(run.candidates.size()));
        QVERIFY(run.candidates.size() >= 8); // the first population alone is 8
        QCOMPARE(frontierIds(*store, 0), runFrontierIds(run));
        QVERIFY(!frontierIds(*store, 0).empty());
        QCOMPARE(w.frontierTable()->model()->rowCount(), int(store->layer(0).frontier.size()));
        for (const char* file : { lts::kFrontierJsonFile, lts::kFrontierCsvFile, lts::kSessionFile })
            QVERIFY(QFileInfo::exists(QDir(folder).filePath(QString::fromLatin1(file))));

        // The status bar and convergence plot saw the search through.
        const auto estimated = std::count_if(run.candidates.begin(), run.candidates.end(),
            [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; });
        const auto measured = qsizetype(run.candidates.size()) - qsizetype(estimated);
        QCOMPARE(statusText(w, "statusEvaluated"),
            estimated > 0 ? QStringLiteral("Measured %1 · estimated %2").arg(measured).arg(estimated)
                          : QStringLiteral("Evaluated %1").arg(measured));
        QVERIFY(statusText(w, "statusState").startsWith(QStringLiteral("Finished")));
        QCOMPARE(w.findChild<QProgressBar*>(QStringLiteral("statusProgress"))->value(), 1000);
        QCOMPARE(int(store->layer(0).history.size()), run.info.iterationsDone);
        QCOMPARE(store->layer(0).history.back().hypervolume, run.info.hypervolume);
        QVERIFY(w.startAction()->isEnabled());
        QVERIFY(!w.stopAction()->isEnabled());

        // A second Start into the same folder is refused: it would mix two runs.
        QVERIFY(!w.startSearch());
        QVERIFY(w.lastError().contains(QStringLiteral("already holds a run")));
    }

    void clickSelectsAndDetailsShowIt()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openRun(m_fixtureRun), qPrintable(w.lastError()));
        RunStore* store = w.store();
        PlotCanvas* canvas = w.plot()->canvas();
        canvas->replot();

        // Click the frontier point with the most decoder parameters.
        PointRef target;
        for (std::size_t i : store->layer(0).frontier)
            if (!target.valid() || store->layer(0).candidates[i].decoderParams > store->candidate(target).decoderParams)
                target = { 0, int(i) };
        const QPoint pixel = w.plot()->pixelOf(target);
        QVERIFY(canvas->rect().contains(pixel));
        // The point under the pixel is the target, or one drawn on the very same pixel.
        const PointRef hit = w.plot()->pointAt(pixel);
        QVERIFY(hit.valid());
        QCOMPARE(w.plot()->pixelOf(hit), pixel);

        // Hovering shows the architecture per layer and its metrics.
        QVERIFY(canvas->hasMouseTracking());
        sendMouse(canvas, QEvent::MouseMove, pixel, Qt::NoButton);
        QTRY_VERIFY(QToolTip::isVisible());
        const lts::Candidate& hovered = store->candidate(hit);
        QVERIFY2(QToolTip::text().contains(QStringLiteral("#%1").arg(hovered.id)), qPrintable(QToolTip::text()));
        QVERIFY(QToolTip::text().contains(QStringLiteral("d_model %1").arg(hovered.arch.dModel)));
        QVERIFY(QToolTip::text().contains(QString::number(hovered.measurement.latencyMs, 'f', 3)));
        QVERIFY(QToolTip::text().contains(QStringLiteral("<th>n_head</th>")));
        QCOMPARE(QToolTip::text().count(QStringLiteral("<tr><td>")), hovered.arch.nLayer);

        QTest::mouseClick(canvas, Qt::LeftButton, {}, pixel);
        QCOMPARE(int(store->selection().size()), 1);
        QVERIFY(store->selection().front() == hit);

        // The details panel shows that candidate's own values.
        const lts::Candidate& c = store->candidate(hit);
        DetailsPanel* d = w.details();
        QVERIFY(d->shown() == hit);
        QVERIFY2(
            d->headerLabel()->text().contains(QStringLiteral("#%1").arg(c.id)), qPrintable(d->headerLabel()->text()));
        QVERIFY(d->headerLabel()->text().contains(QStringLiteral("d_model %1").arg(c.arch.dModel)));
        QVERIFY(d->measurementLabel()->text().contains(QString::number(c.measurement.latencyMs, 'f', 3)));
        QVERIFY(d->measurementLabel()->text().contains(QString::number(c.measurement.latencyIqrMs, 'f', 3)));
        QVERIFY(d->measurementLabel()->text().contains(QString::number(c.measurement.peakMemoryMb, 'f', 2)));
        QVERIFY(d->protocolLabel()->text().contains(QStringLiteral("2 timed passes")));
        QCOMPARE(d->layerTable()->rowCount(), c.arch.nLayer);
        for (int i = 0; i < c.arch.nLayer; ++i) {
            QCOMPARE(d->layerTable()->item(i, 1)->text(), QString::number(c.arch.nHead[std::size_t(i)]));
            QCOMPARE(d->layerTable()->item(i, 2)->text(), QString::number(c.arch.dInner[std::size_t(i)]));
        }
        // "Decoder total" row of the breakdown is the candidate's decoder count (thin-space groups).
        QTableWidget* params = d->paramTable();
        QString decoderRow;
        for (int r = 0; r < params->rowCount(); ++r)
            if (params->item(r, 0)->text() == QLatin1String("Decoder total"))
                decoderRow = params->item(r, 1)->text();
        QCOMPARE(decoderRow.remove(QChar(0x202f)), QString::number(c.decoderParams));

        // The frontier table follows the plot...
        QTableView* view = w.frontierTable()->view();
        const QModelIndexList rows = view->selectionModel()->selectedRows();
        if (std::find(store->layer(0).frontier.begin(), store->layer(0).frontier.end(), std::size_t(hit.index))
            != store->layer(0).frontier.end()) {
            QCOMPARE(rows.size(), 1);
            QVERIFY(w.frontierTable()->refAtViewRow(rows.front().row()) == hit);
        }

        // ...and the plot and details follow the table.
        const int otherRow = w.frontierTable()->viewRowOf(hit) == 0 ? 1 : 0;
        const PointRef other = w.frontierTable()->refAtViewRow(otherRow);
        const QRect cell = view->visualRect(view->model()->index(otherRow, 2));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(int(store->selection().size()), 1);
        QVERIFY(store->selection().front() == other);
        QVERIFY(d->shown() == other);
        QVERIFY(d->headerLabel()->text().contains(QStringLiteral("#%1").arg(store->candidate(other).id)));

        // Clicking empty plot space clears the selection.
        QTest::mouseClick(canvas, Qt::LeftButton, {}, canvas->axisRect()->rect().topLeft() + QPoint(3, 3));
        QVERIFY(store->selection().empty());
        QVERIFY(!d->shown().valid());
    }

    void boxSelectAndAxes()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openRun(m_fixtureRun));
        RunStore* store = w.store();
        ParetoPlot* plot = w.plot();
        PlotCanvas* canvas = plot->canvas();
        canvas->replot();
        const QRect area = canvas->axisRect()->rect();

        // Shift-drag over the whole axis rect selects every point; the table holds the frontier, then
        // the selected points off it, all selected.
        sendMouse(canvas, QEvent::MouseButtonPress, area.topLeft() + QPoint(1, 1), Qt::LeftButton, Qt::ShiftModifier);
        sendMouse(canvas, QEvent::MouseMove, area.center(), Qt::LeftButton, Qt::ShiftModifier);
        sendMouse(canvas, QEvent::MouseMove, area.bottomRight() - QPoint(1, 1), Qt::LeftButton, Qt::ShiftModifier);
        sendMouse(
            canvas, QEvent::MouseButtonRelease, area.bottomRight() - QPoint(1, 1), Qt::NoButton, Qt::ShiftModifier);
        QCOMPARE(int(store->selection().size()), plot->plottedPoints());
        QCOMPARE(w.frontierTable()->model()->rowCount(), plot->plottedPoints());
        QCOMPARE(w.frontierTable()->view()->selectionModel()->selectedRows().size(), plot->plottedPoints());
        for (int row = 0; row < int(store->layer(0).frontier.size()); ++row)
            QVERIFY(w.frontierTable()->model()->index(row, FrontierModel::Status).data().toString()
                == QStringLiteral("frontier"));
        // Clearing the selection leaves the frontier's rows.
        store->setSelection({});
        QCOMPARE(w.frontierTable()->model()->rowCount(), int(store->layer(0).frontier.size()));
        QVERIFY(plot->follow()); // a box selection is no pan

        // A click on a point selects it and is no pan either, nor is the pointer moving on.
        const QPoint point = plot->pixelOf({ 0, 0 });
        sendMouse(canvas, QEvent::MouseButtonPress, point, Qt::LeftButton);
        sendMouse(canvas, QEvent::MouseButtonRelease, point, Qt::NoButton);
        QCOMPARE(int(store->selection().size()), 1);
        sendMouse(canvas, QEvent::MouseMove, point + QPoint(40, 20), Qt::NoButton);
        QVERIFY(plot->follow());
        store->setSelection({});

        // A plain drag pans, which stops following new points; Reset view fits the data again.
        const QCPRange before = canvas->xAxis->range();
        sendMouse(canvas, QEvent::MouseButtonPress, area.center(), Qt::LeftButton);
        sendMouse(canvas, QEvent::MouseMove, area.center() + QPoint(60, 0), Qt::LeftButton);
        sendMouse(canvas, QEvent::MouseButtonRelease, area.center() + QPoint(60, 0), Qt::NoButton);
        QVERIFY(!plot->follow());
        QVERIFY(canvas->xAxis->range().lower < before.lower);
        plot->resetView();
        QCOMPARE(canvas->xAxis->range().lower, before.lower);
        QCOMPARE(canvas->xAxis->range().upper, before.upper);

        // New axes: peak memory against total parameters on log scales; every point still drawn.
        plot->setMetrics(Metric::TotalParams, Metric::PeakMemory);
        plot->setLogScale(true, true);
        QCOMPARE(canvas->xAxis->label(), QStringLiteral("Total parameters (M)"));
        QCOMPARE(canvas->yAxis->label(), QStringLiteral("Peak memory (MB)"));
        QCOMPARE(canvas->yAxis->scaleType(), QCPAxis::stLogarithmic);
        canvas->replot();
        const lts::Candidate& first = store->layer(0).candidates.front();
        const QPoint p = plot->pixelOf({ 0, 0 });
        QVERIFY(canvas->axisRect()->rect().contains(p));
        QVERIFY(withinPixels(canvas->xAxis, p.x(), double(first.totalParams) / 1e6));
    }

    void failedAndOverCeilingShownApart()
    {
        // A hand-made layer: one good, one over the latency ceiling, one failed.
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        RunLayer layer;
        layer.name = QStringLiteral("handmade");
        layer.config = test::tinyConfig();
        lts::Candidate good;
        good.id = 0;
        good.arch.nLayer = 1;
        good.arch.nHead = { 2 };
        good.arch.dInner = { 64 };
        good.decoderParams = 2'000'000;
        good.totalParams = 3'000'000;
        good.measurement.latencyMs = 4;
        good.measurement.peakMemoryMb = 10;
        lts::Candidate slow = good;
        slow.id = 1;
        slow.decoderParams = 5'000'000;
        slow.measurement.latencyMs = 40;
        slow.status = lts::Candidate::Status::OverCeiling;
        lts::Candidate failed = good;
        failed.id = 2;
        failed.decoderParams = 8'000'000;
        failed.status = lts::Candidate::Status::Failed;
        failed.measurement.status = lts::Measurement::Status::Failed;
        failed.measurement.error = "out of memory";
        layer.candidates = { good, slow, failed };
        layer.frontier = lts::frontierOf(layer.candidates, layer.config.search.objectives);
        QCOMPARE(layer.frontier, std::vector<std::size_t> { 0 });
        w.store()->addLayer(layer);

        QCustomPlot* canvas = w.plot()->canvas();
        QStringList names;
        for (int i = 0; i < canvas->graphCount(); ++i)
            names << canvas->graph(i)->name();
        QVERIFY2(names.contains(QStringLiteral("frontier (1, 0 confirmed)")), qPrintable(names.join(',')));
        QVERIFY(names.contains(QStringLiteral("over ceiling (1)")));
        QVERIFY(names.contains(QStringLiteral("failed (1)")));
        QCOMPARE(w.plot()->plottedPoints(), 3);
        // The failed one sits at its parameter count, on the lower edge of the latency axis.
        canvas->replot();
        const QPoint p = w.plot()->pixelOf({ 0, 2 });
        QVERIFY(withinPixels(canvas->xAxis, p.x(), 8.0));
        QVERIFY(canvas->yAxis->pixelToCoord(p.y()) < good.measurement.latencyMs);
        w.store()->setSelection({ { 0, 2 } });
        QVERIFY(w.details()->measurementLabel()->text().contains(QStringLiteral("out of memory")));
    }

    void exportsWriteWhatTheySay()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        MainWindow w;
        w.resize(1200, 800);
        QVERIFY(w.openRun(m_fixtureRun));
        RunStore* store = w.store();
        const RunLayer& layer = store->layer(0);

        // Nothing selected: CSV gets the whole frontier, one row each.
        const QString csv = out.filePath(QStringLiteral("frontier.csv"));
        ExportReport r = w.exportTo(ExportFormat::Csv, csv);
        QVERIFY2(r.problems.isEmpty(), qPrintable(r.problems.join('\n')));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), int(layer.frontier.size()) + 1);
        QVERIFY(lines.front().startsWith("id,backbone,decoder_params"));

        // One selected: its architecture JSON reads back as the same architecture.
        const PointRef one { 0, int(layer.frontier.front()) };
        store->setSelection({ one });
        const lts::Candidate& c = store->candidate(one);
        const QString json = out.filePath(QStringLiteral("arch.json"));
        r = w.exportTo(ExportFormat::ArchJson, json);
        QVERIFY(r.problems.isEmpty());
        QCOMPARE(r.written, QStringList { json });
        QVERIFY(lts::archFromJson(lts::readJsonFile(json)) == c.arch);

        // Hugging Face: a homogeneous GPT-2 is representable...
        lts::Candidate homo = c;
        homo.arch.nLayer = 2;
        homo.arch.nHead = { 2, 2 };
        homo.arch.dInner = { 64, 64 };
        lts::Candidate hetero = homo;
        hetero.id = 99;
        hetero.arch.dInner = { 64, 128 };
        lts::Candidate txl = homo;
        txl.id = 98;
        txl.arch.backbone = lts::Backbone::TransformerXL;
        QCOMPARE(exportProblem(homo, ExportFormat::HuggingFace), QString());
        QCOMPARE(exportProblem(hetero, ExportFormat::HuggingFace), QString());
        QVERIFY(exportProblem(txl, ExportFormat::HuggingFace).contains(QStringLiteral("Transformer-XL")));
        QCOMPARE(exportProblem(txl, ExportFormat::ArchJson), QString());
        r = exportCandidates({ homo, hetero, txl }, ExportFormat::HuggingFace, out.filePath(QStringLiteral("hf")));
        QCOMPARE(r.written.size(), 2);
        const QJsonObject hf = lts::readJsonFile(r.written.front());
        QCOMPARE(hf.value(QStringLiteral("n_embd")).toInt(), homo.arch.dModel);
        QCOMPARE(hf.value(QStringLiteral("n_inner")).toInt(), 64);
        QCOMPARE(hf.value(QStringLiteral("model_type")).toString(), QStringLiteral("gpt2"));
        // ...a heterogeneous one as Archai's per-layer gpt2-flex config...
        QVERIFY(r.written[1].endsWith(QStringLiteral("gpt2-99/config.json")));
        const QJsonObject flex = lts::readJsonFile(r.written[1]);
        QCOMPARE(flex.value(QStringLiteral("model_type")).toString(), QStringLiteral("gpt2-flex"));
        QCOMPARE(flex.value(QStringLiteral("n_inner")).toArray(), (QJsonArray { 64, 128 }));
        QCOMPARE(lts::archFromJson(flex).dInner, hetero.arch.dInner);
        // ...and a Transformer-XL one is refused with the reason.
        QCOMPARE(r.problems.size(), 1);
        QVERIFY2(r.problems.front().contains(QStringLiteral("#98"))
                && r.problems.front().contains(QStringLiteral("architecture JSON")),
            qPrintable(r.problems.front()));

        // Several selected: one file per architecture in the folder.
        store->setSelection(store->allFrontierPoints());
        r = w.exportTo(ExportFormat::ArchJson, out.filePath(QStringLiteral("many")));
        QCOMPARE(r.written.size(), int(layer.frontier.size()));
        for (PointRef p : store->allFrontierPoints())
            QVERIFY(QFileInfo::exists(out.filePath(QStringLiteral("many/arch-%1.json").arg(store->candidate(p).id))));

        // Clipboard: the current architecture's JSON.
        store->setSelection({ one });
        w.copySelection();
        const QJsonObject clip = QJsonDocument::fromJson(QGuiApplication::clipboard()->text().toUtf8()).object();
        QVERIFY(lts::archFromJson(clip) == c.arch);

        // The plot as PNG, PDF and SVG.
        QVERIFY(w.exportPlot(out.filePath(QStringLiteral("plot.png"))));
        const QImage png(out.filePath(QStringLiteral("plot.png")));
        QCOMPARE(png.size(), QSize(1200, 800));
        QVERIFY(w.exportPlot(out.filePath(QStringLiteral("plot.pdf"))));
        QFile pdf(out.filePath(QStringLiteral("plot.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(5) == "%PDF-");
        QVERIFY(w.exportPlot(out.filePath(QStringLiteral("plot.svg"))));
        QFile svg(out.filePath(QStringLiteral("plot.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray svgText = svg.readAll();
        QVERIFY(svgText.contains("<svg"));
        QVERIFY(svgText.contains("Latency (ms)") || svgText.contains("Latency"));
        QVERIFY(!w.exportPlot(out.filePath(QStringLiteral("plot.gif"))));
        QVERIFY(w.lastError().contains(QStringLiteral(".png")));
    }

    void pauseHoldsAndStopEndsInsideAMeasurement()
    {
        // The window's part of pausing, on a fake device of 40 ms per measurement: the state
        // says "Pausing…" until the search thread has blocked, then "Paused" with everything
        // measured before it on the plot, and the clock stands still.
        MainWindow w;
        auto device = std::make_shared<test::FakeDevice>(40);
        w.liveSearch()->setMeasurerFactory(test::factoryFor(device));
        const QString folder = m_dir.filePath(QStringLiteral("stopped"));
        lts::SearchConfig config = test::slowConfig();
        config.search.screening = false; // the fake device has no estimate
        w.configPanel()->setConfig(config);
        w.configPanel()->setOutputFolder(folder);
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY(test::startFromAction(w));
        QTRY_VERIFY_WITH_TIMEOUT(w.store()->layer(0).candidates.size() >= 1, kSearchTimeoutMs);

        w.pauseAction()->trigger();
        QVERIFY(w.pauseAction()->isChecked());
        QCOMPARE(statusText(w, "statusState"), QStringLiteral("Pausing…"));
        QTRY_COMPARE(statusText(w, "statusState"), QStringLiteral("Paused"));
        const std::size_t held = w.store()->layer(0).candidates.size();
        QCOMPARE(int(held), device->calls.load()); // every measurement is shown, and none runs
        const double elapsedWhilePaused = w.liveSearch()->progress().elapsedS;
        QSignalSpy ticks(w.liveSearch(), &LiveSearch::progressChanged);
        QTRY_VERIFY_WITH_TIMEOUT(ticks.count() >= 3, 5000); // the clock ticks twice a second
        QCOMPARE(w.store()->layer(0).candidates.size(), held);
        QCOMPARE(device->calls.load(), int(held));
        QVERIFY(std::abs(w.liveSearch()->progress().elapsedS - elapsedWhilePaused)
            < 0.05); // paused time is not search time
        w.pauseAction()->trigger();
        QVERIFY(!w.pauseAction()->isChecked());
        QTRY_COMPARE(statusText(w, "statusState"), QStringLiteral("Running"));
        QTRY_VERIFY_WITH_TIMEOUT(w.store()->layer(0).candidates.size() > held, kSearchTimeoutMs);

        // Stop: the thread ends within the current measurement, not after the search.
        QElapsedTimer clock;
        clock.start();
        w.stopAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!w.isSearchRunning());
        QCOMPARE(statusText(w, "statusState"), QStringLiteral("Stopped by the user"));
        QVERIFY(w.startAction()->isEnabled());

        // The run folder is complete and holds exactly what the window shows.
        const lts::LoadedRun run = lts::loadRun(folder);
        QVERIFY(run.info.finished);
        QVERIFY(run.info.cancelled);
        QVERIFY(run.warnings.empty());
        QCOMPARE(run.candidates.size(), w.store()->layer(0).candidates.size());
        QVERIFY(run.candidates.size() < std::size_t(test::slowConfig().search.populationSize()));
        for (std::size_t i = 0; i < run.candidates.size(); ++i)
            QCOMPARE(run.candidates[i].id, w.store()->layer(0).candidates[i].id);
    }

    void workerErrorsAreShownNotFatal()
    {
        MainWindow w;
        QSignalSpy finished(&w, &MainWindow::searchFinished);

        // A device this machine does not have: the measurer refuses it inside the worker thread.
        lts::SearchConfig c = test::tinyConfig();
        c.protocol.device = "cuda:7";
        w.configPanel()->setConfig(c);
        w.configPanel()->setOutputFolder(m_dir.filePath(QStringLiteral("no-device")));
        QVERIFY(w.startSearch());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        QVERIFY(!finished.front().front().toString().isEmpty());
        QVERIFY2(w.lastError().contains(QStringLiteral("cuda"), Qt::CaseInsensitive), qPrintable(w.lastError()));
        QCOMPARE(statusText(w, "statusState"), QStringLiteral("Failed"));
        QVERIFY(statusText(w, "statusProblem").contains(QStringLiteral("cuda"), Qt::CaseInsensitive));
        QVERIFY(!w.isSearchRunning());
        QVERIFY(w.startAction()->isEnabled());

        // A run folder that cannot be created (its parent is a file).
        QFile blocker(m_dir.filePath(QStringLiteral("a-file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        w.configPanel()->setConfig(test::tinyConfig());
        w.configPanel()->setOutputFolder(m_dir.filePath(QStringLiteral("a-file/run")));
        QVERIFY(w.startSearch());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kSearchTimeoutMs);
        QVERIFY2(w.lastError().contains(QStringLiteral("a-file")), qPrintable(w.lastError()));
        QCOMPARE(w.store()->layer(0).candidates.size(), std::size_t(0));

        // A full disk: candidates.jsonl leads to /dev/full. The search stops with a clear error, as
        // lts-search does, and what reached the window can still be exported.
        const QString full = m_dir.filePath(QStringLiteral("full-disk"));
        QVERIFY(QDir().mkpath(full));
        QVERIFY(
            QFile::link(QStringLiteral("/dev/full"), QDir(full).filePath(QString::fromLatin1(lts::kCandidatesFile))));
        w.configPanel()->setConfig(test::tinyConfig());
        w.configPanel()->setOutputFolder(full);
        QVERIFY2(w.startSearch(), qPrintable(w.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, kSearchTimeoutMs);
        const QString fullError = finished.back().front().toString();
        QVERIFY2(fullError.contains(QStringLiteral("can no longer be written"))
                && fullError.contains(QStringLiteral("No space left on device")),
            qPrintable(fullError));
        QVERIFY2(w.lastError().contains(QStringLiteral("can no longer be written")), qPrintable(w.lastError()));
        QCOMPARE(w.store()->layer(0).candidates.size(), std::size_t(1)); // the first write failed
        QCOMPARE(w.plot()->plottedPoints(), 1);
        QVERIFY(!w.isSearchRunning());
        const ExportReport saved = w.exportTo(ExportFormat::Csv, m_dir.filePath(QStringLiteral("rescued.csv")));
        QVERIFY(saved.problems.isEmpty());
        QCOMPARE(saved.written.size(), 1);

        // Stop in the middle of a first, very long measurement (about 10000 timed passes), while
        // paused too: it ends within seconds with nothing half-written.
        lts::SearchConfig huge = test::slowConfig();
        huge.protocol = test::exhaustiveProtocol(10000);
        w.configPanel()->setConfig(huge);
        const QString folder = m_dir.filePath(QStringLiteral("stopped-inside"));
        w.configPanel()->setOutputFolder(folder);
        QSignalSpy notes(w.liveSearch(), &LiveSearch::message);
        QVERIFY(w.startSearch());
        // Once the job says what it searches, its measurer exists and the first measurement runs.
        QTRY_VERIFY_WITH_TIMEOUT(
            std::any_of(notes.begin(), notes.end(),
                [](const QList<QVariant>& n) { return n.front().toString().contains(QStringLiteral(" search on ")); }),
            kSearchTimeoutMs);
        w.setPaused(true);
        QElapsedTimer clock;
        clock.start();
        w.stopSearch();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 4, 10000);
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(finished.back().front().toString(), QString());
        QVERIFY(!w.isSearchRunning());
        QVERIFY(!w.pauseAction()->isChecked());
        QCOMPARE(w.store()->layer(0).candidates.size(), std::size_t(0));
        const lts::LoadedRun run = lts::loadRun(folder);
        QVERIFY(run.info.cancelled);
        QVERIFY(run.candidates.empty());
        QVERIFY(run.warnings.empty());
    }

    void objectivesChooseTheVerticalAxis()
    {
        MainWindow w;
        QCOMPARE(w.plot()->yMetric(), Metric::Latency);
        lts::SearchConfig c = test::tinyConfig();
        c.search.objectives = { lts::Objective::DecoderParams, lts::Objective::Memory };
        w.configPanel()->setConfig(c);
        w.configPanel()->setOutputFolder(m_dir.filePath(QStringLiteral("memory")));
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY(w.startSearch());
        QCOMPARE(w.plot()->yMetric(), Metric::PeakMemory);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        // Its frontier is on memory: every frontier point has less memory than any with fewer params.
        const RunLayer& layer = w.store()->layer(0);
        QCOMPARE(layer.frontier, lts::frontierOf(layer.candidates, c.search.objectives));
        QVERIFY(w.openRun(m_fixtureRun));
        QCOMPARE(w.plot()->yMetric(), Metric::Latency);
    }

    // The generation objectives, chosen and tuned in the panel as a user does: every candidate's
    // generation profile is measured, the plot shows decode, the table its columns, details its
    // profile, and the run folder says which workload it measured.
    void decodeSearchEndToEnd()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        ConfigPanel* panel = w.configPanel();
        panel->setConfig(test::tinyConfig());
        auto* objectives = qobject_cast<QComboBox*>(panel->fieldWidget(QStringLiteral("search.objectives")));
        objectives->setCurrentIndex(objectives->findData(QStringLiteral("params,decode")));
        auto* prompt = qobject_cast<QSpinBox*>(panel->fieldWidget(QStringLiteral("device.prompt")));
        auto* newTokens = qobject_cast<QSpinBox*>(panel->fieldWidget(QStringLiteral("device.new_tokens")));
        QVERIFY(prompt->isEnabled() && newTokens->isEnabled());
        prompt->setValue(8);
        QVERIFY(!panel->isValid()); // 8 + the default 64 new tokens exceed seq_len 16
        QVERIFY2(panel->problem().contains(QStringLiteral("exceed the space's seq_len of 16")),
            qPrintable(panel->problem()));
        newTokens->setValue(6);
        QVERIFY2(panel->isValid(), qPrintable(panel->problem()));
        const QString folder = m_dir.filePath(QStringLiteral("decode"));
        panel->setOutputFolder(folder);
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(w.startSearch(), qPrintable(w.lastError()));
        QCOMPARE(w.plot()->yMetric(), Metric::Decode);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        QCOMPARE(finished.front().front().toString(), QString());

        const lts::LoadedRun run = lts::loadRun(folder);
        QCOMPARE(run.info.config.protocol.workload, lts::Workload::Generate);
        QCOMPARE(run.info.config.protocol.generate, 6);
        const RunLayer& layer = w.store()->layer(0);
        QCOMPARE(int(layer.candidates.size()), int(run.candidates.size()));
        QCOMPARE(w.plot()->plottedPoints(), int(run.candidates.size()));
        const std::vector<lts::Objective> decode { lts::Objective::DecoderParams, lts::Objective::Decode };
        QCOMPARE(layer.frontier, lts::frontierOf(layer.candidates, decode));
        for (const lts::Candidate& c : run.candidates) {
            QVERIFY(c.measurement.generation && c.measurement.decodeMsPerToken > 0);
            QCOMPARE(c.measurement.decodeSteps, c.measurement.repeats * 5);
        }
        for (std::size_t i : layer.frontier)
            QVERIFY(layer.candidates[i].measurement.confirmed);

        QTableView* table = w.frontierTable()->view();
        QVERIFY(!table->isColumnHidden(FrontierModel::Decode));
        QVERIFY(table->isColumnHidden(FrontierModel::Latency));
        const PointRef first { 0, int(layer.frontier.front()) };
        w.store()->setSelection({ first });
        const lts::Measurement& m = layer.candidates[layer.frontier.front()].measurement;
        const QString details = w.details()->measurementLabel()->text();
        QVERIFY2(details.contains(QStringLiteral("Decode, median per token: %1 ms").arg(m.decodeMsPerToken, 0, 'f', 3)),
            qPrintable(details));
        QVERIFY(details.contains(QStringLiteral("prompt 8, then 6 tokens")));
        const QString cell = w.frontierTable()
                                 ->model()
                                 ->index(w.frontierTable()->model()->rowOf(first), FrontierModel::Decode)
                                 .data()
                                 .toString();
        QCOMPARE(cell, QString::number(m.decodeMsPerToken, 'f', 3));

        // Fastest is the least decode per token in a generation run.
        const PointRef fastest = w.store()->fastestAbove(0);
        QVERIFY(fastest.valid());
        for (const lts::Candidate& c : layer.candidates)
            QVERIFY(c.measurement.decodeMsPerToken >= w.store()->candidate(fastest).measurement.decodeMsPerToken);

        // A scoring run opened next shows latency again.
        QVERIFY(w.openRun(m_fixtureRun));
        QCOMPARE(w.plot()->yMetric(), Metric::Latency);
    }

    void reopenedRunShowsSameFrontier()
    {
        MainWindow first;
        QVERIFY(first.openRun(m_fixtureRun));
        const lts::LoadedRun run = lts::loadRun(m_fixtureRun);
        QCOMPARE(frontierIds(*first.store(), 0), runFrontierIds(run));
        QCOMPARE(first.plot()->plottedPoints(), int(run.candidates.size()));
        QCOMPARE(first.frontierTable()->model()->rowCount(), int(runFrontierIds(run).size()));
        // With no search of its own, the status bar counts the run shown, not an empty search.
        const auto estimated = std::count_if(run.candidates.begin(), run.candidates.end(),
            [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; });
        const auto measured = qsizetype(run.candidates.size()) - qsizetype(estimated);
        QCOMPARE(statusText(first, "statusEvaluated"),
            estimated > 0 ? QStringLiteral("Measured %1 · estimated %2").arg(measured).arg(estimated)
                          : QStringLiteral("Evaluated %1").arg(measured));
        QVERIFY(run.info.hypervolume > 0);
        QCOMPARE(statusText(first, "statusHypervolume"),
            QStringLiteral("HV %1").arg(hypervolumeText(run.info.hypervolume, run.info.config.search.objectives)));
        // Convergence rebuilt per iteration ends at the hypervolume the search recorded.
        QCOMPARE(int(first.store()->layer(0).history.size()), run.info.iterationsDone);
        QVERIFY(qFuzzyCompare(first.store()->layer(0).history.back().hypervolume, run.info.hypervolume));

        // Opened from the session file, and overlaid with a copy: two layers, two colours, two legend rows.
        const QString copy = m_dir.filePath(QStringLiteral("copy"));
        QVERIFY(QDir().mkpath(copy));
        for (const char* file :
            { lts::kCandidatesFile, lts::kFrontierJsonFile, lts::kFrontierCsvFile, lts::kSessionFile })
            QVERIFY(QFile::copy(QDir(m_fixtureRun).filePath(QString::fromLatin1(file)),
                QDir(copy).filePath(QString::fromLatin1(file))));
        MainWindow w;
        QVERIFY(w.openPath(QDir(m_fixtureRun).filePath(QString::fromLatin1(lts::kSessionFile))));
        QVERIFY(w.openPath(copy, true));
        QCOMPARE(w.store()->layerCount(), 2);
        QVERIFY(w.store()->layer(0).color != w.store()->layer(1).color);
        QCOMPARE(frontierIds(*w.store(), 1), runFrontierIds(run));
        QCOMPARE(w.plot()->plottedPoints(), 2 * int(run.candidates.size()));
        QCOMPARE(w.frontierTable()->model()->rowCount(), 2 * int(runFrontierIds(run).size()));
        QStringList legend;
        QCustomPlot* canvas = w.plot()->canvas();
        for (int i = 0; i < canvas->legend->itemCount(); ++i)
            if (auto* item = qobject_cast<QCPPlottableLegendItem*>(canvas->legend->item(i)))
                legend << item->plottable()->name();
        QCOMPARE(legend.filter(QStringLiteral("fixture (")).size(), 1);
        QCOMPARE(legend.filter(QStringLiteral("copy (")).size(), 1);

        // "Fastest above N": the lowest latency among measured candidates with enough parameters.
        std::vector<std::int64_t> params;
        for (const auto& c : run.candidates)
            params.push_back(c.decoderParams);
        std::sort(params.begin(), params.end());
        const double threshold = double(params[params.size() / 2]);
        QVERIFY(w.selectFastestAbove(threshold));
        const lts::Candidate& picked = w.store()->candidate(w.store()->current());
        QVERIFY(double(picked.decoderParams) >= threshold);
        for (const auto& c : run.candidates)
            if (c.status == lts::Candidate::Status::Ok && double(c.decoderParams) >= threshold)
                QVERIFY(picked.measurement.latencyMs <= c.measurement.latencyMs);
        // Such a pick is always on its run's frontier.
        QVERIFY(runFrontierIds(run).count(picked.id));
        QVERIFY(!w.selectFastestAbove(double(params.back()) + 1));

        // Not a run folder: refused with the reason.
        QVERIFY(!w.openPath(m_dir.path() + QStringLiteral("/nowhere")));
        QVERIFY(!w.openRun(m_dir.path()));
        QVERIFY(w.lastError().contains(QStringLiteral("not a run folder")));
        QCOMPARE(w.store()->layerCount(), 2);
    }

    void resumeWithANewBudgetGoesOn()
    {
        // A run stopped by its time budget goes on when resumed with a new one: the form shows
        // that budget, the new lines' elapsed_s go on from the earlier session's, and the status
        // bar counts the run's clock. A run that ran all its iterations goes on with more, and
        // the dialog suggests them.
        MainWindow w;
        w.liveSearch()->setMeasurerFactory(test::factoryFor(std::make_shared<test::FakeDevice>(10)));
        lts::SearchConfig c;
        c.space = lts::preset("gpt2-lts");
        c.search.parents = 4;
        c.search.mutants = 6;
        c.search.crossovers = 6;
        c.search.iterations = 1000;
        c.search.timeBudgetS = 1.0;
        w.configPanel()->setConfig(c);
        const QString folder = m_dir.filePath(QStringLiteral("resumed-budget"));
        w.configPanel()->setOutputFolder(folder);
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(test::startFromAction(w), qPrintable(w.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSearchTimeoutMs);
        QCOMPARE(statusText(w, "statusState"), QStringLiteral("Finished (time budget reached)"));
        const lts::LoadedRun first = lts::loadRun(folder);
        QVERIFY(first.info.iterationsDone < c.search.iterations);
        const double firstS = first.info.elapsedS;
        QVERIFY(firstS >= 0.5);

        QVERIFY2(w.resumeSearch(folder, ResumeOptions { 2.0, std::nullopt }), qPrintable(w.lastError()));
        QCOMPARE(w.configPanel()->config().search.timeBudgetS, 2.0);
        QCOMPARE(w.liveSearch()->progress().earlierS, firstS);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kSearchTimeoutMs);
        const lts::LoadedRun second = lts::loadRun(folder);
        QVERIFY(second.candidates.size() > first.candidates.size() + 10);
        QCOMPARE(second.info.config.search.timeBudgetS, 2.0);
        QVERIFY(second.info.elapsedS >= firstS + 1.5);
        std::set<std::string> earlier;
        for (const auto& cand : first.candidates)
            earlier.insert(cand.arch.key());
        for (const auto& cand : second.candidates)
            if (!earlier.count(cand.arch.key()))
                QVERIFY2(cand.elapsedS >= firstS, qPrintable(QString::number(cand.elapsedS)));
        const SearchProgress p = w.liveSearch()->progress();
        QCOMPARE(statusText(w, "statusElapsed"), QStringLiteral("Elapsed %1").arg(clockText(p.earlierS + p.elapsedS)));
        QVERIFY(p.earlierS + p.elapsedS >= firstS + 1.0);
        // The convergence plot's times go on too.
        const auto& history = w.store()->layer(0).history;
        QVERIFY(!history.empty());
        QVERIFY(history.back().elapsedS >= firstS);

        // No budget and one more iteration: the run ends having run them all.
        const int done = second.info.iterationsDone;
        QVERIFY(w.resumeSearch(folder, ResumeOptions { 0.0, done + 1 }));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, kSearchTimeoutMs);
        const lts::LoadedRun third = lts::loadRun(folder);
        QCOMPARE(third.info.iterationsDone, done + 1);
        QVERIFY(third.info.finished);
        QVERIFY(third.candidates.size() > second.candidates.size());
        QCOMPARE(statusText(w, "statusState"), QStringLiteral("Finished"));
        // Its course is over: the dialog offers its budget and twice its iterations.
        ResumeDialog dialog(folder, third);
        QCOMPARE(dialog.budgetField()->value(), 0.0);
        QCOMPARE(dialog.iterationsField()->value(), 2 * (done + 1));
        QCOMPARE(dialog.iterationsField()->minimum(), done + 1);
        dialog.budgetField()->setValue(30);
        const ResumeOptions chosen = dialog.options();
        QCOMPARE(*chosen.timeBudgetS, 30.0);
        QCOMPARE(*chosen.iterations, 2 * (done + 1));
        // A run stopped inside its iterations keeps them.
        QCOMPARE(ResumeDialog::suggestedIterations(second.info), c.search.iterations);
    }
};

QTEST_MAIN(TestStudioSearch)
#include "tst_studiosearch.moc"
