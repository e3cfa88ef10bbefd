// Benchmark: how long the part table of a search space takes to build on this machine, what an
// estimate costs once it is built, and how far the estimates are from full measurements.
// Samples random architectures of the space, estimates them all (building the table as they
// need it), then measures N of them in full (1 thread by default).
//
//   build/tests/bench/bench_estimate [PRESET] [SAMPLES] [N] [THREADS]
//   (defaults: gpt2-lts, 1000, 20, 1)
#include "paramcount.h"
#include "profiler.h"
#include "randomarchs.h"
#include "searchspace.h"
#include "stats.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace lts;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const std::string name = argc > 1 ? argv[1] : "gpt2-lts";
    const int samples = argc > 2 ? std::atoi(argv[2]) : 1000;
    const int n = argc > 3 ? std::atoi(argv[3]) : 20;
    MeasureProtocol protocol;
    protocol.threads = argc > 4 ? std::atoi(argv[4]) : 1;
    const SearchSpace space = preset(name);
    const std::vector<ArchConfig> archs = randomArchs(space, samples, 1111);

    TorchMeasurer measurer(protocol);
    std::atomic<bool> never { false };
    std::vector<double> estimates;
    QElapsedTimer t;
    t.start();
    for (const auto& a : archs)
        estimates.push_back(measurer.estimate(a, never).value_or(Estimate {}).latencyMs);
    const double buildS = double(t.nsecsElapsed()) / 1e9;
    t.restart();
    for (const auto& a : archs)
        measurer.estimate(a, never);
    const double perEstimateUs = double(t.nsecsElapsed()) / 1e3 / double(archs.size());
    std::printf("%s, %d thread(s): %zu architectures estimated in %.2f s, %d parts timed; "
                "then %.1f us per estimate from the table\n",
        name.c_str(), protocol.threads, archs.size(), buildS, measurer.tableParts(), perEstimateUs);

    std::vector<double> ratios, measured;
    for (int i = 0; i < n && i < int(archs.size()); ++i) {
        const Measurement m = measurer.measure(archs[std::size_t(i)], never);
        measured.push_back(m.latencyMs);
        ratios.push_back(m.latencyMs / estimates[std::size_t(i)]);
    }
    const double calibration = summarize(ratios).median;
    std::vector<double> errors;
    for (std::size_t i = 0; i < measured.size(); ++i)
        errors.push_back(std::fabs(estimates[i] * calibration - measured[i]) / measured[i]);
    std::sort(errors.begin(), errors.end());
    std::printf("estimate against %zu full measurements: calibration x%.3f, error median %.1f%%, "
                "90th percentile %.1f%%, max %.1f%%\n",
        errors.size(), calibration, 100 * quantile(errors, 0.5), 100 * quantile(errors, 0.9), 100 * errors.back());
    return 0;
}
