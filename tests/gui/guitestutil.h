// Shared helpers for the lts-studio GUI tests: tiny search configurations that measure for real
// in a second or two, and settings kept apart from a user's own.
#pragma once

#include "livesearch.h"
#include "mainwindow.h"
#include "paramcount.h"
#include "searchjob.h"

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace studio::test {

// Keeps QSettings and AppLocalDataLocation away from the user's real ones and from the other
// test executables', and starts from defaults (no window layout, axes or theme from before).
inline void isolateSettings(const char* suite)
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("lts-studio-tests"));
    QCoreApplication::setApplicationName(QString::fromLatin1(suite));
    QSettings().clear();
}

// 12 architectures (d_model 32/64, 1-2 layers, d_inner 64/128 per layer): a whole search is a
// second of real LibTorch measurement.
inline lts::SearchConfig tinyConfig()
{
    lts::SearchConfig c;
    lts::SearchSpace& s = c.space;
    s.name = "tiny";
    s.backbone = lts::Backbone::Gpt2;
    s.nLayerMin = 1;
    s.nLayerMax = 2;
    s.dModel = { 32, 64 };
    s.nHead = { 2 };
    s.dInner = { 64, 128 };
    s.minInnerRatio = 0;
    s.divVal = 1;
    s.dEmbed = 64;
    s.vocabSize = 500;
    s.seqLen = 16;
    s.paramsMin = 0;
    s.paramsMax = 0;
    c.search.iterations = 2;
    c.search.parents = 2;
    c.search.mutants = 3;
    c.search.crossovers = 3;
    c.protocol.threads = 1;
    c.protocol.warmup = 0;
    c.protocol.repeats = 2;
    return c;
}

// A protocol that runs every one of `repeats` timed passes (tolerance 0: no early stop).
inline lts::MeasureProtocol exhaustiveProtocol(int repeats)
{
    lts::MeasureProtocol p;
    p.threads = 1;
    p.warmup = 0;
    p.repeats = repeats;
    p.minRepeats = repeats;
    p.tolerance = 0;
    return p;
}

// Bigger models and many repeats: one measurement takes long enough to stop a search inside it.
inline lts::SearchConfig slowConfig()
{
    lts::SearchConfig c = tinyConfig();
    c.space.name = "slow";
    c.space.nLayerMax = 4;
    c.space.dModel = { 128, 256 };
    c.space.dInner = { 512, 1024 };
    c.space.vocabSize = 4000;
    c.space.seqLen = 64;
    c.search.iterations = 50;
    c.search.parents = 4;
    c.search.mutants = 8;
    c.search.crossovers = 8;
    c.protocol = exhaustiveProtocol(400);
    return c;
}

// Starts a search from the window's Start action; the caller has set the configuration.
inline bool startFromAction(MainWindow& w)
{
    if (!w.startAction()->isEnabled())
        return false;
    w.startAction()->trigger();
    return w.isSearchRunning();
}

// A device for GUI tests that test the window rather than the measurer: latency and memory are
// smooth functions of the architecture, and each measurement takes `delayMs` (cancellable), so
// a search streams points at a known pace. The counter is read by the test while the search
// thread measures.
class FakeDevice final : public lts::Measurer {
public:
    explicit FakeDevice(int delayMs = 0)
        : m_delayMs(delayMs)
    {
    }
    lts::Measurement measure(const lts::ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        lts::Measurement m;
        for (int waited = 0; waited < m_delayMs; ++waited) {
            if (cancel.load()) {
                m.status = lts::Measurement::Status::Cancelled;
                return m;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ++calls;
        const double params = double(lts::decoderParams(arch));
        const double wobble = double(std::hash<std::string> {}(arch.key()) % 1000) / 1000.0;
        m.latencyMs = params / 1e4 * (1.0 + 0.3 * wobble) + arch.nLayer * 0.5;
        m.latencyIqrMs = 0.01 * m.latencyMs;
        m.latencyMinMs = 0.99 * m.latencyMs;
        m.latencyMaxMs = 1.02 * m.latencyMs;
        m.weightsMb = double(lts::countParams(arch).total()) * 4 / (1024.0 * 1024.0);
        m.activationsMb = 0.5 + 0.1 * arch.nLayer;
        m.peakMemoryMb = m.weightsMb + m.activationsMb;
        m.repeats = 3;
        return m;
    }
    lts::MeasureProtocol protocol() const override { return {}; }
    std::string fingerprint() const override { return "fake GUI test device"; }

    std::atomic<int> calls { 0 };

private:
    int m_delayMs;
};

// Hands `device` to every search the factory makes a measurer for.
inline lts::MeasurerFactory factoryFor(std::shared_ptr<FakeDevice> device)
{
    struct Shared final : lts::Measurer {
        explicit Shared(std::shared_ptr<FakeDevice> d)
            : device(std::move(d))
        {
        }
        lts::Measurement measure(const lts::ArchConfig& a, const std::atomic<bool>& c) override
        {
            return device->measure(a, c);
        }
        lts::MeasureProtocol protocol() const override { return device->protocol(); }
        std::string fingerprint() const override { return device->fingerprint(); }
        std::shared_ptr<FakeDevice> device;
    };
    return [device](const lts::MeasureProtocol&) { return std::make_unique<Shared>(device); };
}

// Writes a finished run folder of `config` as a search job does, measured on a FakeDevice: a
// fixture for the tests that only read a run, in milliseconds and independent of the machine.
inline void writeSyntheticRun(const QString& folder, const lts::SearchConfig& config)
{
    lts::SearchJobParams p;
    p.folder = folder;
    p.config = config;
    p.makeMeasurer = factoryFor(std::make_shared<FakeDevice>());
    lts::SearchJob(p).run(nullptr);
}

} // namespace studio::test
