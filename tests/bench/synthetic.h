// Synthetic run folders for the benchmarks: gpt2-lts candidates with plausible latencies.
#pragma once

#include "jsonio.h"
#include "paramcount.h"
#include "runfolder.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

#include <random>

namespace lts::bench {

inline Candidate randomCandidate(const SearchSpace& s, std::mt19937_64& rng, int id)
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

// Writes a run folder of n candidates at `dir`, replacing what was there.
inline void writeSyntheticRun(const QString& dir, int n)
{
    QDir(dir).removeRecursively();
    RunInfo info;
    info.config.space = preset("gpt2-lts");
    {
        RunWriter w(dir, info, false);
    }
    QFile f(QDir(dir).filePath(QString::fromLatin1(kCandidatesFile)));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return;
    std::mt19937_64 rng(7);
    for (int i = 0; i < n; ++i)
        f.write(
            QJsonDocument(candidateToJson(randomCandidate(info.config.space, rng, i))).toJson(QJsonDocument::Compact)
            + '\n');
}

} // namespace lts::bench
