// Benchmark: writes a run folder of N synthetic gpt2-lts candidates (default 100,000) and times
// how long loadRun() takes to open it (median of 5). Prints one line per measurement.
//
//   build/tests/bench/bench_open [N] [FOLDER]
#include "jsonio.h"
#include "paramcount.h"
#include "runfolder.h"
#include "stats.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>

#include <cstdio>
#include <random>

using namespace lts;

namespace {

constexpr int kRuns = 5; // timings per measurement; the median is reported

Candidate randomCandidate(const SearchSpace& s, std::mt19937_64& rng, int id)
{
    auto pick = [&](const std::vector<int>& v) { return v[rng() % v.size()]; };
    Candidate c;
    c.id = id;
    c.arch = s.baseArch();
    c.arch.nLayer = s.nLayerMin + int(rng() % unsigned(s.nLayerMax - s.nLayerMin + 1));
    c.arch.dModel = pick(s.dModel);
    for (int i = 0; i < c.arch.nLayer; ++i) {
        c.arch.nHead.push_back(pick(s.nHead));
        c.arch.dInner.push_back(pick(s.dInner));
    }
    const ParamBreakdown p = countParams(c.arch);
    c.decoderParams = p.decoder();
    c.totalParams = p.total();
    std::uniform_real_distribution<double> noise(0.9, 1.3);
    c.measurement.latencyMs = double(c.decoderParams) / 2.5e5 * noise(rng) + 20;
    c.measurement.latencyIqrMs = 0.02 * c.measurement.latencyMs;
    c.measurement.peakMemoryMb = double(c.totalParams) * 4 / 1048576.0 * noise(rng) + 60;
    c.measurement.weightsMb = double(c.totalParams) * 4 / 1048576.0;
    c.measurement.repeats = 3;
    c.iteration = id / 100;
    c.elapsedS = id * 0.8;
    return c;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    const QString dir = argc > 2 ? QString::fromLocal8Bit(argv[2]) : QDir::temp().filePath(QStringLiteral("lts-bench-open"));
    QDir(dir).removeRecursively();
    RunInfo info;
    info.config.space = preset("gpt2-lts");
    { RunWriter w(dir, info, false); }
    QFile f(QDir(dir).filePath(QString::fromLatin1(kCandidatesFile)));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return 1;
    std::mt19937_64 rng(7);
    for (int i = 0; i < n; ++i)
        f.write(QJsonDocument(candidateToJson(randomCandidate(info.config.space, rng, i))).toJson(QJsonDocument::Compact) + '\n');
    f.close();
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
