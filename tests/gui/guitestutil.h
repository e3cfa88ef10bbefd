// Shared helpers for the lts-studio GUI tests: tiny search configurations that measure for real
// in a second or two, and settings kept apart from a user's own.
#pragma once

#include "jsonio.h"
#include "mainwindow.h"

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QtTest>

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

} // namespace studio::test
