// On-device measurement with LibTorch: forward shapes, sanity of latency and peak memory,
// thread binding (BLAS included), failures and cancellation.
#include "errors.h"
#include "paramcount.h"
#include "profiler.h"
#include "runtime.h"
#include "searchspace.h"
#include "testutil.h"

#include <QtTest>

#include <cmath>

#include <QDir>
#include <QFile>

#include <map>

#include <sys/resource.h>
#include <thread>

using namespace lts;

class TestProfiler final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void forwardShapes_data();
    void forwardShapes();
    void moreLayersAreNotFaster();
    void peakMemoryCoversWeights();
    void memoryGrowsWithSequence();
    void timedPassesDoNotFaultMemoryIn();
    void nextCandidateReusesTheHeap();
    void confirmationsInterleaved();
    void threadsBindBlas();
    void failedCandidateIsRecorded();
    void cancelInsideMeasurement();
    void adaptiveRepeats();
    void estimateTracksMeasurement();
    void estimateInterpolatesOnGrid();
    void badProtocol();
};

void TestProfiler::initTestCase()
{
    const RuntimeInfo rt = runtimeInfo();
    qInfo("LibTorch %s, BLAS: %s", rt.torchVersion.c_str(), rt.blas.c_str());
    QVERIFY2(blasWarning().empty(), "OpenBLAS must be installed (libopenblas0-pthread)");
}

void TestProfiler::forwardShapes_data()
{
    QTest::addColumn<int>("backbone");
    QTest::addColumn<int>("divVal");
    QTest::addColumn<int>("batch");
    QTest::newRow("gpt2-plain") << int(Backbone::Gpt2) << 1 << 1;
    QTest::newRow("gpt2-adaptive") << int(Backbone::Gpt2) << 4 << 2;
    QTest::newRow("txl-plain") << int(Backbone::TransformerXL) << 1 << 2;
    QTest::newRow("txl-adaptive") << int(Backbone::TransformerXL) << 2 << 1;
}

void TestProfiler::forwardShapes()
{
    QFETCH(int, backbone);
    QFETCH(int, divVal);
    QFETCH(int, batch);
    ArchConfig a = test::gpt2(2, 64, 4, 128, 3000, 24);
    a.backbone = Backbone(backbone);
    a.memLen = a.backbone == Backbone::TransformerXL ? 16 : 0;
    a.divVal = divVal;
    if (divVal > 1) {
        a.dEmbed = 64;
        a.cutoffs = { 1000, 2000 };
    }
    const BuiltModelInfo info = inspectModel(a, batch, 10, true);
    QCOMPARE(info.outputShape, (std::vector<std::int64_t> { batch * 10, 3000 }));
}

void TestProfiler::moreLayersAreNotFaster()
{
    // Same widths, 1 vs 8 layers: the deeper model must not measure faster (allowing noise).
    MeasureProtocol p;
    p.repeats = 7;
    p.tolerance = 0; // fixed repeats
    TorchMeasurer measurer(p);
    std::atomic<bool> never { false };
    const Measurement shallow = measurer.measure(test::gpt2(1, 256, 4, 1024, 2000, 64), never);
    const Measurement deep = measurer.measure(test::gpt2(8, 256, 4, 1024, 2000, 64), never);
    QCOMPARE(shallow.status, Measurement::Status::Ok);
    QCOMPARE(deep.status, Measurement::Status::Ok);
    qInfo("1 layer %.2f ms, 8 layers %.2f ms", shallow.latencyMs, deep.latencyMs);
    QVERIFY(deep.latencyMs > 1.5 * shallow.latencyMs);
    QVERIFY(shallow.latencyMinMs <= shallow.latencyMs && shallow.latencyMs <= shallow.latencyMaxMs);
    QCOMPARE(shallow.repeats, 7);
}

void TestProfiler::peakMemoryCoversWeights()
{
    TorchMeasurer measurer(MeasureProtocol {});
    std::atomic<bool> never { false };
    ArchConfig a = preset("gpt2-lts").baseArch();
    a.nLayer = 3;
    a.dModel = 256;
    a.nHead = { 4, 4, 4 };
    a.dInner = { 512, 1024, 512 };
    const Measurement m = measurer.measure(a, never);
    QCOMPARE(m.status, Measurement::Status::Ok);
    const double expectedWeightsMb = double(countParams(a).total()) * 4 / (1024.0 * 1024.0);
    // Buffers (the causal mask) come on top of the parameters.
    QVERIFY(m.weightsMb >= expectedWeightsMb);
    QVERIFY(m.weightsMb < expectedWeightsMb * 1.05);
    QVERIFY(m.peakMemoryMb >= m.weightsMb + m.activationsMb * 0.99);
    // The adaptive softmax alone writes 192 x 50257 log-probabilities (36.8 MB).
    QVERIFY(m.activationsMb > 36.8);
}

void TestProfiler::memoryGrowsWithSequence()
{
    std::atomic<bool> never { false };
    const ArchConfig a = test::gpt2(2, 128, 4, 256, 4000, 256);
    MeasureProtocol shortSeq, longSeq;
    shortSeq.seqLen = 32;
    longSeq.seqLen = 256;
    shortSeq.repeats = longSeq.repeats = 2;
    const Measurement s = TorchMeasurer(shortSeq).measure(a, never);
    const Measurement l = TorchMeasurer(longSeq).measure(a, never);
    QCOMPARE(s.weightsMb, l.weightsMb);
    // Logits alone grow from 32 to 256 rows of 4000 floats (0.49 MB to 3.9 MB).
    QVERIFY(l.activationsMb > s.activationsMb + 3.0);
}

namespace {

// CPU ticks (user + system) of every thread of this process, from /proc.
std::map<QString, long long> threadTicks()
{
    std::map<QString, long long> ticks;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.filePath(tid + QStringLiteral("/stat")));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        ticks[tid] = fields.value(11).toLongLong() + fields.value(12).toLongLong();
    }
    return ticks;
}

// Threads that did a real share of the work between two snapshots.
int busyThreads(const std::map<QString, long long>& before, const std::map<QString, long long>& after)
{
    long long busiest = 0;
    for (const auto& [tid, t] : after)
        busiest = std::max(busiest, t - (before.count(tid) ? before.at(tid) : 0));
    int busy = 0;
    for (const auto& [tid, t] : after)
        busy += t - (before.count(tid) ? before.at(tid) : 0) >= std::max(5LL, busiest / 5);
    return busy;
}

} // namespace

namespace {

long minorFaults()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

} // namespace

void TestProfiler::timedPassesDoNotFaultMemoryIn()
{
    // Every timed pass allocates the same activations. Were they handed back to the kernel
    // between passes, each pass would fault them in again (a page per 4 KB, about 4 ms per MB on
    // this kind of machine) and the latency would be the operating system's. The difference
    // between 22 and 2 timed passes of the same model is 20 passes' worth of faults; what a
    // measurement costs beyond its passes varies by a few thousand faults with the heap's state.
    // The logits of a 40,000-word vocabulary over 256 tokens (41 MB) are beyond the largest block
    // glibc ever keeps in its heap (32 MB), so without reuse they are faulted in on every pass.
    const ArchConfig a = test::gpt2(1, 128, 2, 256, 40000, 256);
    auto faultsOf = [&](int repeats, Measurement* out) {
        MeasureProtocol p;
        p.repeats = p.minRepeats = repeats;
        p.tolerance = 0;
        TorchMeasurer measurer(p);
        std::atomic<bool> never { false };
        const long before = minorFaults();
        *out = measurer.measure(a, never);
        return minorFaults() - before;
    };
    Measurement few, many;
    // The first measurements of a process also load code and grow the heap: settle first.
    faultsOf(2, &few);
    faultsOf(22, &many);
    const long f2 = faultsOf(2, &few);
    const long f22 = faultsOf(22, &many);
    QCOMPARE(many.repeats, 22);
    const double activationPages = many.activationsMb * 1024 * 1024 / 4096;
    QVERIFY2(activationPages > 10000, qPrintable(QString::number(activationPages))); // tens of MB per pass
    const double perPass = double(f22 - f2) / 20;
    qInfo("%.1f page faults per timed pass; the activations span %.0f pages", perPass, activationPages);
    QVERIFY2(perPass < 0.1 * activationPages,
        qPrintable(QStringLiteral("%1 page faults per timed pass; the activations span %2 pages")
                       .arg(perPass)
                       .arg(activationPages)));
}

void TestProfiler::nextCandidateReusesTheHeap()
{
    // A measuring process keeps its heap: a candidate measured after a larger one finds its
    // weights and activations in pages already faulted in, so its whole measurement faults in a
    // small share of what it allocates (before, every large block was mapped afresh: all of it).
    TorchMeasurer measurer(MeasureProtocol {});
    std::atomic<bool> never { false };
    const ArchConfig large = test::gpt2(4, 512, 4, 2048, 30000, 128);
    const ArchConfig small = test::gpt2(3, 384, 4, 1536, 30000, 128);
    QCOMPARE(measurer.measure(large, never).status, Measurement::Status::Ok);
    const long before = minorFaults();
    const Measurement m = measurer.measure(small, never);
    const long faults = minorFaults() - before;
    QCOMPARE(m.status, Measurement::Status::Ok);
    const double pages = (m.weightsMb + m.activationsMb) * 1024 * 1024 / 4096;
    qInfo("%ld page faults for a candidate of %.0f pages; cold pass %.1f ms, steady %.1f ms", faults, pages, m.coldMs,
        m.latencyMs);
#ifndef __SANITIZE_ADDRESS__
    QVERIFY2(faults < 0.2 * pages, qPrintable(QStringLiteral("%1 faults, %2 pages").arg(faults).arg(pages)));
#else
    // AddressSanitizer's allocator replaces glibc's heap and quarantines what is freed, so no heap
    // is kept for the next candidate there; the build without it checks the faults.
#endif
    QVERIFY(m.timedMs > 0 && m.timedMs < m.measureMs);
}

void TestProfiler::confirmationsInterleaved()
{
    // Three models confirmed together: each is timed in every round (at least the protocol's
    // minimum), its peak is its own (not the other models' weights beside it), and the larger
    // models take longer.
    MeasureProtocol p;
    p.tolerance = 0.5; // medians known after the minimum of rounds
    TorchMeasurer measurer(p);
    std::atomic<bool> never { false };
    const std::vector<ArchConfig> archs { test::gpt2(1, 128, 2, 256, 8000, 64), test::gpt2(4, 256, 4, 1024, 8000, 64),
        test::gpt2(2, 192, 2, 512, 8000, 64) };
    const std::vector<Measurement> together = measurer.confirmTogether(archs, never);
    QCOMPARE(together.size(), archs.size());
    for (std::size_t i = 0; i < archs.size(); ++i) {
        const Measurement alone = measurer.measure(archs[i], never);
        const Measurement& m = together[i];
        QCOMPARE(m.status, Measurement::Status::Ok);
        QVERIFY(m.confirmed);
        QCOMPARE(m.repeats, p.minRepeats);
        QCOMPARE(m.weightsMb, alone.weightsMb);
        QVERIFY2(std::fabs(m.peakMemoryMb - alone.peakMemoryMb) < 0.05 * alone.peakMemoryMb,
            qPrintable(QStringLiteral("%1 MB together, %2 MB alone").arg(m.peakMemoryMb).arg(alone.peakMemoryMb)));
        QVERIFY(m.measureMs >= m.timedMs && m.timedMs > 0);
    }
    QVERIFY(together[1].latencyMs > together[0].latencyMs);
    QVERIFY(together[1].latencyMs > together[2].latencyMs);
    // A single confirmation is a group of one.
    const Measurement one = measurer.confirm(archs[0], never);
    QVERIFY(one.confirmed);
    QCOMPARE(one.repeats, p.minRepeats);
}

void TestProfiler::threadsBindBlas()
{
    // The thread count must bind every compute thread, OpenBLAS's included: CPU time over wall
    // time stays at or below N, and exactly N threads do the work. (CPU/wall can fall below N on a
    // loaded machine, so the lower bound is checked by counting busy threads instead.)
    std::atomic<bool> never { false };
    const ArchConfig a = test::gpt2(4, 512, 8, 2048, 2000, 192);
    MeasureProtocol one;
    one.repeats = 12;
    auto before = threadTicks();
    const Measurement m1 = TorchMeasurer(one).measure(a, never);
    const int busy1 = busyThreads(before, threadTicks());
    qInfo("1 thread: CPU/wall %.2f, %d busy thread(s)", m1.cpuUtilisation, busy1);
    QVERIFY(m1.cpuUtilisation < 1.25);
    QCOMPARE(busy1, 1);
    if (std::thread::hardware_concurrency() >= 2) {
        MeasureProtocol two = one;
        two.threads = 2;
        before = threadTicks();
        const Measurement m2 = TorchMeasurer(two).measure(a, never);
        const int busy2 = busyThreads(before, threadTicks());
        qInfo("2 threads: CPU/wall %.2f, %d busy threads", m2.cpuUtilisation, busy2);
        QVERIFY(m2.cpuUtilisation < 2.3);
        // One pool owns the cores: with LibTorch's intra-op pool beside OpenBLAS's, a third
        // thread was busy, and a pass was slower on two threads than on one.
        QCOMPARE(busy2, 2);
    }
    // This build multiplies matrices in OpenBLAS (initTestCase), so OpenBLAS gets the threads.
    QCOMPARE(threadBinding(1).intraOp, 1);
    QCOMPARE(threadBinding(1).blas, 1);
    QCOMPARE(threadBinding(4).intraOp, 1);
    QCOMPARE(threadBinding(4).blas, 4);
    QCOMPARE(threadBindingText(1), std::string("threads 1"));
    QCOMPARE(threadBindingText(4), std::string("threads 4 (OpenBLAS 4, LibTorch intra-op 1)"));
}

void TestProfiler::failedCandidateIsRecorded()
{
    TorchMeasurer measurer(MeasureProtocol {});
    std::atomic<bool> never { false };
    // About 1.1e12 parameters: refused before anything is allocated.
    const Measurement huge = measurer.measure(test::gpt2(1000, 16384, 8, 16384, 1000, 16), never);
    QCOMPARE(huge.status, Measurement::Status::Failed);
    QVERIFY2(QString::fromStdString(huge.error).contains(QStringLiteral("out of memory")), huge.error.c_str());
    // A GPT-2 asked for more tokens than it has positions.
    MeasureProtocol tooLong;
    tooLong.seqLen = 64;
    const Measurement positions = TorchMeasurer(tooLong).measure(test::gpt2(1, 32, 2, 64, 100, 16), never);
    QCOMPARE(positions.status, Measurement::Status::Failed);
    QVERIFY(QString::fromStdString(positions.error).startsWith(QStringLiteral("seq_len")));
    // The measurer still works afterwards.
    QCOMPARE(measurer.measure(test::gpt2(1, 32, 2, 64, 100, 16), never).status, Measurement::Status::Ok);
}

void TestProfiler::cancelInsideMeasurement()
{
    MeasureProtocol p;
    p.repeats = 10000;
    p.tolerance = 0; // never stops early on its own
    TorchMeasurer measurer(p);
    std::atomic<bool> cancel { false };
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cancel.store(true);
    });
    const auto t0 = std::chrono::steady_clock::now();
    const Measurement m = measurer.measure(test::gpt2(2, 128, 4, 256, 1000, 64), cancel);
    stopper.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    QCOMPARE(m.status, Measurement::Status::Cancelled);
    QVERIFY(seconds < 5); // 10000 repeats would take far longer
}

void TestProfiler::adaptiveRepeats()
{
    std::atomic<bool> never { false };
    const ArchConfig a = test::gpt2(2, 128, 4, 256, 1000, 64);
    MeasureProtocol loose;
    loose.repeats = 20;
    loose.minRepeats = 4;
    loose.tolerance = 0.5; // any sane spread is within 50%
    const Measurement m = TorchMeasurer(loose).measure(a, never);
    QCOMPARE(m.repeats, 4);
    MeasureProtocol fixed = loose;
    fixed.tolerance = 0;
    QCOMPARE(TorchMeasurer(fixed).measure(a, never).repeats, 20);
}

void TestProfiler::estimateTracksMeasurement()
{
    // The part table's sum must stay close to the full model's time; the search calibrates the
    // remaining bias, so allow a generous band here and check the ordering it must get right.
    TorchMeasurer measurer(MeasureProtocol {});
    std::atomic<bool> never { false };
    ArchConfig small = preset("gpt2-lts").baseArch(), big = small;
    small.nLayer = 2;
    small.dModel = 256;
    small.nHead = { 4, 4 };
    small.dInner = { 512, 512 };
    big.nLayer = 6;
    big.dModel = 512;
    big.nHead = { 8, 4, 8, 2, 8, 8 };
    big.dInner = { 2048, 1024, 2048, 1024, 2048, 2048 };
    const auto estSmall = measurer.estimate(small, never);
    const auto estBig = measurer.estimate(big, never);
    QVERIFY(estSmall && estBig);
    const int entries = measurer.tableParts(); // head x2, attention 1 + 3, feed-forward 1 + 2
    QCOMPARE(entries, 9);
    QVERIFY(measurer.estimate(big, never)); // answered from the table
    QCOMPARE(measurer.tableParts(), entries);
    const Measurement mBig = measurer.measure(big, never), mSmall = measurer.measure(small, never);
    qInfo("estimate %.1f ms, measured %.1f ms; peak estimate %.1f MB, measured %.1f MB", estBig->latencyMs,
        mBig.latencyMs, estBig->peakMemoryMb, mBig.peakMemoryMb);
    QVERIFY(estBig->latencyMs > 0.6 * mBig.latencyMs && estBig->latencyMs < 1.5 * mBig.latencyMs);
    QVERIFY(estBig->latencyMs > estSmall->latencyMs);
    // The peak is the weights, known exactly, plus the largest part's activations, measured: it
    // must land close without any calibration.
    for (const auto& [est, m] : { std::pair { *estBig, mBig }, std::pair { *estSmall, mSmall } })
        QVERIFY2(std::fabs(est.peakMemoryMb / m.peakMemoryMb - 1) < 0.1,
            qPrintable(QStringLiteral("%1 vs %2 MB").arg(est.peakMemoryMb).arg(m.peakMemoryMb)));
}

void TestProfiler::estimateInterpolatesOnGrid()
{
    // Widths between grid points are interpolated from the parts timed at the grid points
    // around them, and time nothing new: d_inner 1280 between 1024 and 2048 linearly, d_model
    // 320 between 256 and 512 (linearly for the head and the feed-forward, in d_model^2 for the
    // attention).
    TorchMeasurer measurer(MeasureProtocol {});
    std::atomic<bool> never { false };
    ArchConfig a = preset("gpt2-lts").baseArch();
    a.nLayer = 1;
    a.nHead = { 4 };
    auto estimate = [&](int dModel, int dInner) {
        ArchConfig c = a;
        c.dModel = dModel;
        c.dInner = { dInner };
        return measurer.estimate(c, never)->latencyMs;
    };
    const double low = estimate(256, 1024), high = estimate(256, 2048);
    QCOMPARE(measurer.tableParts(), 4); // head, attention, feed-forward at 1024 and 2048
    QVERIFY(qAbs(estimate(256, 1280) - (0.75 * low + 0.25 * high)) < 1e-9);
    QCOMPARE(measurer.tableParts(), 4);

    const double wide = estimate(512, 1024); // head, attention and feed-forward at d_model 512
    QCOMPARE(measurer.tableParts(), 7);
    // d_model 320 lies between grid points 256 and 512: interpolated, nothing timed. How it is
    // interpolated is tested exactly on known part timings in tst_screening.
    const double mid = estimate(320, 1024);
    QCOMPARE(measurer.tableParts(), 7);
    QVERIFY2(mid > 0 && std::isfinite(mid), qPrintable(QString::number(mid)));
    QVERIFY(wide > 0 && low > 0);
}

void TestProfiler::badProtocol()
{
    MeasureProtocol p;
    p.device = "cuda:0";
    if (!runtimeInfo().cudaAvailable)
        QVERIFY_THROWS_EXCEPTION(InputError, TorchMeasurer { p });
    p.device = "gpu";
    QVERIFY_THROWS_EXCEPTION(InputError, TorchMeasurer { p });
    p.device = "cpu";
    p.threads = 0;
    QVERIFY_THROWS_EXCEPTION(InputError, TorchMeasurer { p });
}

QTEST_APPLESS_MAIN(TestProfiler)
#include "tst_profiler.moc"
