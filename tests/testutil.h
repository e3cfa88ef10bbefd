// Shared helpers for the core tests: small architectures and spaces, and a deterministic fake
// measurer so search tests do not depend on the machine's speed.
#pragma once

#include "archconfig.h"
#include "paramcount.h"
#include "profiler.h"
#include "searchspace.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace lts::test {

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
// no latency estimate, so searches measure everything.
class FakeMeasurer final : public Measurer {
public:
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        ++calls;
        ++perKey[arch.key()];
        if (onMeasure)
            onMeasure(arch);
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
        const double p = double(decoderParams(arch));
        m.latencyMs = latencyOf(arch);
        m.peakMemoryMb = p * 4 / 1e6 * (1.0 + 0.2 * (1.0 - wobble(arch))) + 1.0;
        m.weightsMb = p * 4 / 1e6;
        m.repeats = 1;
        return m;
    }
    MeasureProtocol protocol() const override { return {}; }
    std::optional<double> estimateLatencyMs(const ArchConfig& arch, const std::atomic<bool>&) override
    {
        if (estimateScale <= 0)
            return std::nullopt;
        ++estimates;
        estimated.push_back(arch);
        return latencyOf(arch) * estimateScale;
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

    double estimateScale = 0; // > 0: estimates are the true latency times this
    int estimates = 0;
    std::vector<ArchConfig> estimated; // in the order asked
    std::map<std::string, double> table; // what estimateTable() reports
    int calls = 0;
    std::map<std::string, int> perKey;
    std::function<bool(const ArchConfig&)> failWhen;
    std::function<void(const ArchConfig&)> onMeasure;
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
    MeasureProtocol protocol() const override { return m_inner.protocol(); }
    std::optional<double> estimateLatencyMs(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.estimateLatencyMs(arch, cancel);
    }
    std::map<std::string, double> estimateTable() const override { return m_inner.estimateTable(); }
    void loadEstimateTable(const std::map<std::string, double>& table) override { m_inner.loadEstimateTable(table); }
    std::string fingerprint() const override { return m_inner.fingerprint(); }

private:
    Measurer& m_inner;
};

} // namespace lts::test
