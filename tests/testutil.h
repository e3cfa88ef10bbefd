// Shared helpers for the core tests: small architectures and spaces, and a deterministic fake
// measurer so search tests do not depend on the machine's speed.
#pragma once

#include "archconfig.h"
#include "paramcount.h"
#include "profiler.h"
#include "searchspace.h"

#include <QByteArray>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace lts::test {

// Text from a small random language: 40 made-up words of 3 to 7 letters, each followed by one of
// three others. Spelling a word out is predictable once its first letters are known, which a
// model needs some capacity (context and width) to learn; the choice of the next word is not.
inline QByteArray markovText(int bytes, unsigned seed)
{
    std::mt19937 rng(seed);
    std::vector<std::string> words;
    for (int w = 0; w < 40; ++w) {
        std::string s;
        const int len = 3 + int(rng() % 5);
        for (int i = 0; i < len; ++i)
            s += char('a' + rng() % 26);
        words.push_back(s);
    }
    std::vector<std::array<int, 3>> next(words.size());
    for (auto& n : next)
        for (int& k : n)
            k = int(rng() % words.size());
    QByteArray out;
    int w = 0, inSentence = 0;
    while (out.size() < bytes) {
        out += words[std::size_t(w)].c_str();
        out += ++inSentence % 9 == 0 ? ".\n" : " ";
        w = next[std::size_t(w)][rng() % 3];
    }
    out.truncate(bytes);
    return out;
}

inline ArchConfig gpt2(int nLayer, int dModel, int nHead, int dInner, int vocab = 1000, int seqLen = 32)
{
    ArchConfig a;
    a.backbone = Backbone::Gpt2;
    a.nLayer = nLayer;
    a.dModel = dModel;
    a.nHead.assign(std::size_t(nLayer), nHead);
    a.dInner.assign(std::size_t(nLayer), dInner);
    a.divVal = 1;
    a.dEmbed = dModel;
    a.vocabSize = vocab;
    a.seqLen = seqLen;
    return a;
}

// A space small enough to measure for real in a few seconds.
inline SearchSpace tinySpace()
{
    SearchSpace s;
    s.name = "tiny";
    s.backbone = Backbone::Gpt2;
    s.nLayerMin = 1;
    s.nLayerMax = 3;
    s.dModel = { 32, 64 };
    s.nHead = { 2, 4 };
    s.dInner = { 64, 128, 192 };
    s.minInnerRatio = 1.0;
    s.divVal = 1;
    s.dEmbed = 32;
    s.vocabSize = 500;
    s.seqLen = 16;
    s.paramsMin = 0;
    s.paramsMax = 0;
    return s;
}

// Latency and memory as smooth functions of the architecture, with a per-architecture wobble
// so that the frontier is not trivially the parameter order. Without an estimateScale it offers
// no latency estimate (nor a memory one without a memoryEstimateScale), so searches measure
// everything. With firstLuck, an architecture's first measurement is up to that fraction too
// fast, and only its confirmation gives the true latency.
class FakeMeasurer final : public Measurer {
public:
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        ++calls;
        const bool first = perKey[arch.key()]++ == 0;
        const double t0 = now();
        if (onMeasure)
            onMeasure(arch);
        return timed(make(arch, cancel, first), t0);
    }
    // The true latency, never lucky; not counted in calls or perKey.
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        ++confirms;
        confirmed.push_back(arch);
        const double t0 = now();
        if (onConfirm)
            onConfirm(arch);
        Measurement m = timed(make(arch, cancel, false), t0);
        m.confirmed = m.status == Measurement::Status::Ok;
        return m;
    }
    MeasureProtocol protocol() const override { return {}; }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>&) override
    {
        if (estimateScale <= 0 && memoryEstimateScale <= 0)
            return std::nullopt;
        ++estimates;
        estimated.push_back(arch);
        const double noise = 1.0 + estimateNoise * (2 * luckOf(arch) - 1);
        const double bias = estimateBias ? estimateBias(arch) : 1.0;
        return Estimate { latencyOf(arch) * estimateScale * noise * bias, memoryOf(arch) * memoryEstimateScale };
    }

    std::map<std::string, double> estimateTable() const override { return table; }
    std::string fingerprint() const override { return "fake device"; }

    static double wobble(const ArchConfig& arch)
    {
        return double(std::hash<std::string> {}(arch.key()) % 1000) / 1000.0;
    }
    static double latencyOf(const ArchConfig& arch)
    {
        return double(decoderParams(arch)) / 1e5 * (1.0 + 0.3 * wobble(arch)) + arch.nLayer * 0.5;
    }
    static double memoryOf(const ArchConfig& arch)
    {
        return double(decoderParams(arch)) * 4 / 1e6 * (1.0 + 0.2 * (1.0 - wobble(arch))) + 1.0;
    }
    // Independent of wobble(): which architectures are lucky has nothing to do with their cost.
    static double luckOf(const ArchConfig& arch)
    {
        return double(std::hash<std::string> {}(arch.key() + "luck") % 1000) / 1000.0;
    }

    double estimateScale = 0; // > 0: latency estimates are the true latency times this
    double memoryEstimateScale = 0; // > 0: peak memory estimates are the true peak times this
    double firstLuck = 0;
    double estimateNoise = 0; // latency estimates off by up to this fraction either way
    std::function<double(const ArchConfig&)> estimateBias; // latency estimates times this, per architecture
    int estimates = 0;
    std::function<void(const ArchConfig&)> onConfirm; // called at each confirmation (e.g. to take time)
    bool reportTime = false; // each measurement's measureMs is the time onMeasure or onConfirm took
    std::function<double()> clock; // with reportTime: the clock that time is read from (seconds), else steady
    int confirms = 0;
    std::vector<ArchConfig> confirmed; // in the order asked
    std::vector<ArchConfig> estimated; // in the order asked
    std::map<std::string, double> table; // what estimateTable() reports
    int calls = 0;
    std::map<std::string, int> perKey;
    std::function<bool(const ArchConfig&)> failWhen;
    std::function<void(const ArchConfig&)> onMeasure;

private:
    // With reportTime, the time the call took (onMeasure or onConfirm may spend some), as a
    // device reports it; otherwise none, so that a search keeps no time back for confirmations.
    double now() const
    {
        return clock ? clock()
                     : std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }
    Measurement timed(Measurement m, double t0) const
    {
        if (reportTime)
            m.measureMs = 1000.0 * (now() - t0);
        return m;
    }
    Measurement make(const ArchConfig& arch, const std::atomic<bool>& cancel, bool first) const
    {
        Measurement m;
        if (cancel.load()) {
            m.status = Measurement::Status::Cancelled;
            return m;
        }
        if (failWhen && failWhen(arch)) {
            m.status = Measurement::Status::Failed;
            m.error = "injected failure";
            return m;
        }
        m.latencyMs = latencyOf(arch) * (first ? 1.0 - firstLuck * luckOf(arch) : 1.0);
        m.peakMemoryMb = memoryOf(arch);
        m.weightsMb = double(decoderParams(arch)) * 4 / 1e6;
        m.repeats = 1;
        return m;
    }
};

// A measurer that forwards to one the test owns, so a job's measurer factory can hand it out
// while the test keeps counting its calls.
class BorrowedMeasurer final : public Measurer {
public:
    explicit BorrowedMeasurer(Measurer& inner)
        : m_inner(inner)
    {
    }
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.measure(arch, cancel);
    }
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.confirm(arch, cancel);
    }
    MeasureProtocol protocol() const override { return m_inner.protocol(); }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.estimate(arch, cancel);
    }
    std::map<std::string, double> estimateTable() const override { return m_inner.estimateTable(); }
    void loadEstimateTable(const std::map<std::string, double>& table) override { m_inner.loadEstimateTable(table); }
    std::string fingerprint() const override { return m_inner.fingerprint(); }

private:
    Measurer& m_inner;
};

// A pool of `width` devices that all measure as `inner` does: start() measures at once with
// `inner` and keeps the result for the measure() or confirm() that takes it.
class PoolMeasurer final : public Measurer {
public:
    PoolMeasurer(Measurer& inner, int width)
        : m_inner(inner)
        , m_width(width)
    {
    }
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return take(arch, false, cancel);
    }
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return take(arch, true, cancel);
    }
    void start(const ArchConfig& arch, bool confirm) override
    {
        const std::atomic<bool> never { false };
        m_started[key(arch, confirm)] = confirm ? m_inner.confirm(arch, never) : m_inner.measure(arch, never);
        if (!confirm)
            measuringAhead.push_back(int(std::count_if(
                m_started.begin(), m_started.end(), [](const auto& s) { return s.first.front() == 'm'; })));
    }
    void abandon(const ArchConfig& arch, bool confirm) override
    {
        abandoned += int(m_started.erase(key(arch, confirm)));
    }
    int parallelism() const override { return m_width; }
    MeasureProtocol protocol() const override { return m_inner.protocol(); }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.estimate(arch, cancel);
    }
    std::string fingerprint() const override { return m_inner.fingerprint(); }

    // At each start of a measurement (not a confirmation): how many were started and not yet taken.
    std::vector<int> measuringAhead;
    int abandoned = 0;
    int takenAhead = 0; // measurements taken that were started ahead

private:
    static std::string key(const ArchConfig& arch, bool confirm) { return (confirm ? "c|" : "m|") + arch.key(); }
    Measurement take(const ArchConfig& arch, bool confirm, const std::atomic<bool>& cancel)
    {
        const auto it = m_started.find(key(arch, confirm));
        if (it == m_started.end())
            return confirm ? m_inner.confirm(arch, cancel) : m_inner.measure(arch, cancel);
        ++takenAhead;
        Measurement m = it->second;
        m_started.erase(it);
        return m;
    }

    Measurer& m_inner;
    int m_width;
    std::map<std::string, Measurement> m_started;
};

} // namespace lts::test
