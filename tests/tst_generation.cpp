// Incremental decoding: the prompt at once, then one token at a time with GPT-2's key/value cache
// or Transformer-XL's memory, gives the next-token log-probabilities of one full forward pass
// over the same tokens, for both backbones, heterogeneous layers and every embedding variant.
#include "errors.h"
#include "generation.h"
#include "profiler.h"
#include "testutil.h"

#include <QtTest>

using namespace lts;

Q_DECLARE_METATYPE(lts::ArchConfig)

namespace {

ArchConfig heterogeneous(ArchConfig a)
{
    a.nHead = { 2, 4, 8 };
    a.dInner = { 96, 256, 160 };
    a.nLayer = 3;
    return a;
}

ArchConfig adaptive(ArchConfig a, int divVal)
{
    a.divVal = divVal;
    a.dEmbed = 2 * a.dModel;
    a.vocabSize = 1200;
    a.cutoffs = { 100, 400 };
    return a;
}

ArchConfig transformerXl(ArchConfig a, int memLen)
{
    a.backbone = Backbone::TransformerXL;
    a.memLen = memLen;
    return a;
}

} // namespace

class TestGeneration final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void decodingMatchesOneFullPass_data();
    void decodingMatchesOneFullPass();
    void lengthsThatDoNotFitAreRefused();
    void generationProfileIsMeasured();
    void generationProtocolRules();
};

void TestGeneration::decodingMatchesOneFullPass_data()
{
    QTest::addColumn<ArchConfig>("arch");
    QTest::addColumn<int>("prompt");
    const ArchConfig base = test::gpt2(2, 64, 4, 128, 500, 48);
    QTest::newRow("gpt2") << base << 16;
    QTest::newRow("gpt2 prompt of one") << base << 1;
    QTest::newRow("gpt2 heterogeneous") << heterogeneous(base) << 12;
    ArchConfig projected = heterogeneous(base);
    projected.dEmbed = 96; // a plain table of another width, projected to d_model
    QTest::newRow("gpt2 projected embedding") << projected << 12;
    QTest::newRow("gpt2 adaptive div_val 2") << adaptive(heterogeneous(base), 2) << 12;
    QTest::newRow("gpt2 adaptive div_val 4") << adaptive(base, 4) << 20;
    QTest::newRow("xl") << transformerXl(base, 48) << 16;
    QTest::newRow("xl heterogeneous") << transformerXl(heterogeneous(base), 64) << 12;
    QTest::newRow("xl adaptive div_val 4") << transformerXl(adaptive(heterogeneous(base), 4), 48) << 8;
}

void TestGeneration::decodingMatchesOneFullPass()
{
    QFETCH(ArchConfig, arch);
    QFETCH(int, prompt);
    const int tokens = 40;
    const DecodeCheck c = checkIncrementalDecoding(arch, prompt, tokens, 7);
    qInfo("%d positions: max |diff| %.2e, max relative %.2e", c.positions, c.maxAbsDiff, c.maxRelDiff);
    QCOMPARE(c.positions, tokens - prompt + 1);
    QVERIFY2(c.maxRelDiff < 1e-4, qPrintable(QString::number(c.maxRelDiff)));
}

void TestGeneration::lengthsThatDoNotFitAreRefused()
{
    auto fieldOf = [](const ArchConfig& a, int prompt, int tokens) {
        try {
            checkIncrementalDecoding(a, prompt, tokens, 1);
        } catch (const InputError& e) {
            return std::string(e.field());
        }
        return std::string();
    };
    const ArchConfig base = test::gpt2(1, 32, 2, 64, 200, 16);
    QCOMPARE(fieldOf(base, 8, 17), std::string("seq_len")); // more tokens than positions
    QCOMPARE(fieldOf(base, 0, 8), std::string("prompt"));
    QCOMPARE(fieldOf(base, 9, 8), std::string("prompt"));
    QCOMPARE(fieldOf(transformerXl(base, 8), 4, 12), std::string("mem_len"));
    QCOMPARE(fieldOf(base, 8, 16), std::string()); // fits
}

void TestGeneration::generationProfileIsMeasured()
{
    std::atomic<bool> never { false };
    MeasureProtocol g;
    g.repeats = 4;
    g.prompt = 16;
    g.generate = 8;
    const MeasureProtocol& device = g;
    constexpr double kMb = 1024.0 * 1024.0;
    const ArchConfig gpt = test::gpt2(2, 64, 4, 128, 500, 48);
    const Measurement r = measureGeneration(gpt, g, never);
    QCOMPARE(r.status, Measurement::Status::Ok);
    QVERIFY(r.generation);
    QCOMPARE(r.latencyMs, 0.0); // no scoring pass was timed
    QVERIFY(r.repeats >= device.minRepeats && r.repeats <= device.repeats);
    QCOMPARE(r.decodeSteps, r.repeats * (g.generate - 1)); // the first token comes from the prefill
    QVERIFY(r.prefillMs > 0 && r.decodeMsPerToken > 0);
    QCOMPARE(r.tokensPerS, 1000.0 / r.decodeMsPerToken);
    // Keys and values of both layers for all prompt + generated positions, allocated at start.
    QCOMPARE(r.cacheMb, 2.0 * 2 * (16 + 8) * 64 * sizeof(float) / kMb);
    QCOMPARE(r.weightsMb, double(countParams(gpt).total()) * sizeof(float) / kMb + 48.0 * 48 / kMb); // + causal mask
    QVERIFY2(r.peakMemoryMb >= r.weightsMb + r.cacheMb, qPrintable(QString::number(r.peakMemoryMb)));

    // Transformer-XL generates on its memory: at most mem_len positions per layer.
    ArchConfig xl = gpt;
    xl.backbone = Backbone::TransformerXL;
    xl.memLen = 12;
    const Measurement x = measureGeneration(xl, g, never);
    QCOMPARE(x.status, Measurement::Status::Ok);
    QCOMPARE(x.cacheMb, 1.0 * 2 * 12 * 64 * sizeof(float) / kMb);
    QCOMPARE(x.decodeSteps, x.repeats * (g.generate - 1));

    // The search's measurer takes the same profile when its protocol says Generate, and a
    // confirmation times more runs.
    MeasureProtocol search = g;
    search.workload = Workload::Generate;
    TorchMeasurer measurer(search);
    const Measurement c = measurer.confirm(gpt, never);
    QVERIFY(c.confirmed && c.generation);
    QVERIFY2(c.repeats >= 5, qPrintable(QString::number(c.repeats)));
    QVERIFY(c.decodeMsPerToken > 0 && c.prefillMs > 0);
    QVERIFY(
        QString::fromStdString(measurer.fingerprint()).contains(QStringLiteral("generate: prompt 16, new tokens 8")));
}

void TestGeneration::generationProtocolRules()
{
    const ArchConfig a = test::gpt2(1, 32, 2, 64, 200, 32);
    auto refusal = [&](int prompt, int generate, int batch, std::string* field) {
        MeasureProtocol g;
        g.workload = Workload::Generate;
        g.prompt = prompt;
        g.generate = generate;
        g.batch = batch;
        try {
            g.validateFor(a);
        } catch (const InputError& e) {
            *field = e.field();
            return QString::fromStdString(e.what());
        }
        field->clear();
        return QString();
    };
    std::string field;
    const QString tooLong = refusal(24, 9, 1, &field);
    QCOMPARE(field, std::string("prompt"));
    QVERIFY2(tooLong.contains(QStringLiteral("prompt (24) + new tokens (9)")) && tooLong.contains(QStringLiteral("32")),
        qPrintable(tooLong));
    QVERIFY(refusal(24, 8, 1, &field).isEmpty()); // exactly the positions there are
    refusal(0, 8, 1, &field);
    QCOMPARE(field, std::string("prompt"));
    refusal(8, 0, 1, &field);
    QCOMPARE(field, std::string("new_tokens"));
    refusal(8, 8, 0, &field);
    QCOMPARE(field, std::string("batch"));
    ArchConfig xl = a;
    xl.backbone = Backbone::TransformerXL;
    xl.memLen = 16;
    QVERIFY(refusal(100, 100, 1, &field).size() > 0); // GPT-2: positions
    MeasureProtocol long_;
    long_.workload = Workload::Generate;
    long_.prompt = 100;
    long_.generate = 100;
    long_.validateFor(xl); // Transformer-XL has no position limit: its memory slides
}

QTEST_GUILESS_MAIN(TestGeneration)
#include "tst_generation.moc"
