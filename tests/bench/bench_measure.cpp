// Benchmark: where one measurement's time goes, against its floor (the timed passes alone).
// Measures the same seeded random architectures of a space one after the other in one process,
// as a search does, and prints per architecture the build, the first (cold) pass, the timed
// passes and the whole measurement, then the median cost / floor for the smaller, middle and
// larger third of the architectures by decoder parameters. Then it confirms them all together
// (interleaved rounds) and compares each confirmed latency with the mean of two sequential
// measurements taken after it, and the confirmation's cost with its own timed passes.
//
//   build/tests/bench/bench_measure [PRESET] [N] [keep|release] [THREADS]
//   (defaults: gpt2-lts, 18, keep, 1). `release` gives the heap back after each candidate,
//   as LTS Studio did before it kept it.
#include "paramcount.h"
#include "profiler.h"
#include "randomarchs.h"
#include "runtime.h"
#include "searchspace.h"
#include "stats.h"

#include <QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace lts;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const std::string name = argc > 1 ? argv[1] : "gpt2-lts";
    const int n = argc > 2 ? std::atoi(argv[2]) : 18;
    const bool keep = argc <= 3 || std::strcmp(argv[3], "release") != 0;
    MeasureProtocol protocol;
    protocol.threads = argc > 4 ? std::atoi(argv[4]) : 1;
    keepHeapBetweenMeasurements(keep);
    const SearchSpace space = preset(name);
    const std::vector<ArchConfig> archs = randomArchs(space, n, 2027);
    const RuntimeInfo& rt = runtimeInfo();
    std::printf("# %s, %s; heap %s between candidates; %d thread(s)\n", rt.devices.front().name.c_str(),
        rt.blas.c_str(), keep ? "kept" : "released", protocol.threads);
    std::printf("%10s %8s %9s %9s %9s %8s %9s %7s\n", "decoder", "latency", "build_ms", "cold_ms", "timed_ms",
        "repeats", "total_ms", "cost/floor");
    TorchMeasurer measurer(protocol);
    const std::atomic<bool> never { false };
    std::vector<std::pair<std::int64_t, double>> ratios;
    for (const auto& a : archs) {
        const Measurement m = measurer.measure(a, never);
        if (m.status != Measurement::Status::Ok || m.timedMs <= 0)
            continue;
        const double ratio = m.measureMs / m.timedMs;
        ratios.emplace_back(decoderParams(a), ratio);
        std::printf("%9.1fM %8.1f %9.1f %9.1f %9.1f %8d %9.1f %7.2fx\n", double(decoderParams(a)) / 1e6, m.latencyMs,
            m.buildMs, m.coldMs, m.timedMs, m.repeats, m.measureMs, ratio);
    }
    // The same architectures confirmed together (interleaved rounds), between two sequential
    // measurements of each, so that the device's drift shows as the difference of those two.
    const std::vector<Measurement> confirmed = measurer.confirmTogether(archs, never);
    std::printf("\nconfirmed together: %9s %9s %9s %9s %10s %10s\n", "decoder", "alone_ms", "together", "again_ms",
        "together/", "cost/floor");
    std::vector<double> vsAlone, confirmCost;
    for (std::size_t i = 0; i < archs.size(); ++i) {
        const Measurement again = measurer.measure(archs[i], never);
        if (confirmed[i].status != Measurement::Status::Ok || again.status != Measurement::Status::Ok)
            continue;
        const Measurement first = measurer.measure(archs[i], never); // the third, to bracket drift with `again`
        const double alone = 0.5 * (again.latencyMs + first.latencyMs);
        vsAlone.push_back(confirmed[i].latencyMs / alone);
        confirmCost.push_back(confirmed[i].measureMs / confirmed[i].timedMs);
        std::printf("%19s %8.1fM %9.1f %9.1f %9.1f %9.3fx %9.2fx\n", "", double(decoderParams(archs[i])) / 1e6, alone,
            confirmed[i].latencyMs, first.latencyMs, vsAlone.back(), confirmCost.back());
    }
    std::sort(vsAlone.begin(), vsAlone.end());
    std::sort(confirmCost.begin(), confirmCost.end());
    if (!vsAlone.empty())
        std::printf(
            "confirmed together / measured alone: median %.3fx (%.3f-%.3f); confirmation cost/floor median %.2fx\n",
            quantile(vsAlone, 0.5), vsAlone.front(), vsAlone.back(), quantile(confirmCost, 0.5));

    std::sort(ratios.begin(), ratios.end());
    const char* names[] = { "smaller", "middle", "larger" };
    for (int third = 0; third < 3; ++third) {
        std::vector<double> r;
        for (std::size_t i = ratios.size() * std::size_t(third) / 3; i < ratios.size() * std::size_t(third + 1) / 3;
             ++i)
            r.push_back(ratios[i].second);
        std::sort(r.begin(), r.end());
        if (!r.empty())
            std::printf(
                "%s third: median cost/floor %.2fx (%zu architectures)\n", names[third], quantile(r, 0.5), r.size());
    }
    return 0;
}
