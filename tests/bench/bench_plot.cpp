// Benchmark: lts-studio with a 100,000-candidate run folder. Times opening the folder in the
// window, a full replot, a hover lookup, a box selection, a zoom step and appending a batch of
// new candidates as a live search does (median of several runs each). Run it under a real X
// server (xvfb-run) so that painting is real.
//
//   xvfb-run -a build/tests/bench/bench_plot [N]
#include "mainwindow.h"
#include "paretoplot.h"
#include "runstore.h"
#include "stats.h"
#include "synthetic.h"

#include <QApplication>
#include <QElapsedTimer>

#include <cstdio>
#include <functional>
#include <random>

using namespace studio;

namespace {

constexpr int kRuns = 15; // timings per measurement; the median is reported
constexpr int kAppendBatch = 10; // one 75 ms flush of the main window from a search measuring every ~7 ms

void report(const char* what, const std::function<void()>& action, int runs = kRuns)
{
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        QElapsedTimer t;
        t.start();
        action();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const lts::SampleSummary s = lts::summarize(ms);
    std::printf("%-34s median %8.2f ms  (min %.2f, max %.2f, %d runs)\n", what, s.median, s.min, s.max, runs);
}

} // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // a line at a time, also into a pipe
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("lts-studio-bench"));
    const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    const QString dir = QDir::temp().filePath(QStringLiteral("lts-bench-plot"));
    lts::bench::writeSyntheticRun(dir, n);

    MainWindow w;
    w.resize(1480, 940);
    w.show();
    QApplication::processEvents();
    report(
        "open run folder (load + draw)",
        [&] {
            if (!w.openPath(dir))
                std::fprintf(stderr, "%s\n", qPrintable(w.lastError()));
            w.plot()->canvas()->replot(QCustomPlot::rpImmediateRefresh);
        },
        5);
    std::printf("points drawn: %d\n", w.plot()->plottedPoints());
    PlotCanvas* canvas = w.plot()->canvas();
    report("replot", [&] { canvas->replot(QCustomPlot::rpImmediateRefresh); });
    const QRect area = canvas->axisRect()->rect();
    int k = 0;
    report("hover lookup (nearest point)", [&] {
        const QPointF at(area.left() + (k * 37) % area.width(), area.top() + (k * 53) % area.height());
        ++k;
        w.plot()->pointAt(at);
    });
    report(
        "box selection (quarter of the plot)",
        [&] {
            const auto refs = w.plot()->pointsIn(QRect(area.topLeft(), area.size() / 2));
            w.store()->setSelection(refs);
            canvas->replot(QCustomPlot::rpImmediateRefresh);
        },
        5);
    w.store()->setSelection({});
    report("zoom step (wheel) + replot", [&] {
        canvas->xAxis->scaleRange(0.85, canvas->xAxis->range().center());
        canvas->yAxis->scaleRange(0.85, canvas->yAxis->range().center());
        canvas->replot(QCustomPlot::rpImmediateRefresh);
    });
    // Late in a long live run: batches of the current iteration join the points already drawn,
    // each followed by a replot, with the view fitted to the data (as Follow keeps it).
    w.plot()->resetView();
    const int layer = w.store()->primaryLayer();
    const lts::SearchSpace space = lts::preset("gpt2-lts");
    const int iteration = w.store()->layer(layer).candidates.back().iteration;
    std::mt19937_64 rng(11);
    int id = n;
    report("append 10 candidates + replot", [&] {
        std::vector<lts::Candidate> batch;
        for (int i = 0; i < kAppendBatch; ++i) {
            lts::Candidate c = lts::bench::randomCandidate(space, rng, id++);
            c.iteration = iteration;
            batch.push_back(c);
        }
        w.store()->appendCandidates(layer, batch);
        canvas->replot(QCustomPlot::rpImmediateRefresh);
    });
    return 0;
}
