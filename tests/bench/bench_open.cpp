// Benchmark: writes a run folder of N synthetic gpt2-lts candidates (default 100,000) and times
// how long loadRun() takes to open it (median of 5). Prints one line per measurement.
//
//   build/tests/bench/bench_open [N] [FOLDER]
#include "stats.h"
#include "synthetic.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace lts;

namespace {

constexpr int kRuns = 5; // timings per measurement; the median is reported

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    const QString dir =
        argc > 2 ? QString::fromLocal8Bit(argv[2]) : QDir::temp().filePath(QStringLiteral("lts-bench-open"));
    bench::writeSyntheticRun(dir, n);
    QFile f(QDir(dir).filePath(QString::fromLatin1(kCandidatesFile)));
    std::printf("run folder: %d candidates, %.1f MB\n", n, double(f.size()) / 1e6);
    std::vector<double> ms;
    std::size_t loaded = 0;
    for (int r = 0; r < kRuns; ++r) {
        QElapsedTimer t;
        t.start();
        loaded = loadRun(dir).candidates.size();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const SampleSummary s = summarize(ms);
    std::printf("loadRun: median %.0f ms (min %.0f, max %.0f) for %zu candidates\n", s.median, s.min, s.max, loaded);
    return 0;
}
