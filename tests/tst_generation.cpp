// Incremental decoding: the prompt at once, then one token at a time with GPT-2's key/value cache
// or Transformer-XL's memory, gives the next-token log-probabilities of one full forward pass
// over the same tokens, for both backbones, heterogeneous layers and every embedding variant.
#include "errors.h"
#include "generation.h"
#include "jsonio.h"
#include "profiler.h"
#include "runtime.h"
#include "testutil.h"

#include <QtTest>

#include <fstream>

using namespace lts;

Q_DECLARE_METATYPE(lts::ArchConfig)
Q_DECLARE_METATYPE(lts::Precision)

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
    void precisionsStayCloseToFloat_data();
    void precisionsStayCloseToFloat();
    void precisionIsMeasuredAndRecorded();
    void precisionRules();
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

void TestGeneration::precisionsStayCloseToFloat_data()
{
    QTest::addColumn<ArchConfig>("arch");
    QTest::addColumn<Precision>("precision");
    const ArchConfig base = test::gpt2(2, 64, 4, 128, 500, 48);
    const std::pair<const char*, ArchConfig> archs[] = { { "gpt2", heterogeneous(base) },
        { "gpt2 adaptive", adaptive(heterogeneous(base), 4) }, { "xl", transformerXl(heterogeneous(base), 64) },
        { "xl adaptive", transformerXl(adaptive(base, 2), 48) } };
    for (const auto& [name, arch] : archs)
        for (Precision p : { Precision::Bf16, Precision::Int8 })
            QTest::newRow(
                qPrintable(QStringLiteral("%1 %2").arg(QLatin1String(name), QString::fromStdString(precisionName(p)))))
                << arch << p;
}

// A model run in bf16 or int8 (bf16 computes on any CPU, only slowly without AVX-512 BF16 or
// AMX) scores as the same weights do in fp32, within what the number format allows, and decodes
// token by token as its own full pass does (int8 quantises each call's activations on their own
// range: the prompt's at once, then each token's). bf16 keeps 8 bits of mantissa (relative
// rounding 2^-9 per operation); int8 steps are 1/127 of each channel's range. A model left in
// fp32 by mistake would show no difference at all.
void TestGeneration::precisionsStayCloseToFloat()
{
    QFETCH(ArchConfig, arch);
    QFETCH(Precision, precision);
    const int prompt = 12, tokens = 40;
    const DecodeCheck c = checkIncrementalDecoding(arch, prompt, tokens, 7, precision);
    qInfo("vs fp32: relative error %.2e; decoding vs its full pass: max |diff| %.2e, max relative %.2e",
        c.vsFp32RelativeError, c.maxAbsDiff, c.maxRelDiff);
    QCOMPARE(c.positions, tokens - prompt + 1);
    QVERIFY2(c.vsFp32RelativeError > 1e-7, "the model ran in fp32"); // the same model twice gives 0
    QVERIFY2(c.vsFp32RelativeError < 0.05, qPrintable(QString::number(c.vsFp32RelativeError)));
    // log-probabilities near -ln(vocab) ~ -7: a bf16 step there is 2^-5, relative 2^-8
    QVERIFY2(c.maxRelDiff < 0.03, qPrintable(QString::number(c.maxRelDiff)));
}

void TestGeneration::precisionIsMeasuredAndRecorded()
{
    std::atomic<bool> never { false };
    constexpr double kMb = 1024.0 * 1024.0;
    const ArchConfig gpt = test::gpt2(2, 128, 4, 512, 500, 48);
    MeasureProtocol p;
    p.repeats = 3;
    p.workload = Workload::Generate;
    p.prompt = 16;
    p.generate = 8;
    const Measurement fp32 = TorchMeasurer(p).measure(gpt, never);
    QCOMPARE(fp32.status, Measurement::Status::Ok);

    // int8: the decoder's linear weights take a byte each (LibTorch's quantised engine also
    // keeps the quantised originals it packed); embedding, norms and cache stay float.
    p.precision = Precision::Int8;
    TorchMeasurer int8(p);
    QVERIFY2(QString::fromStdString(int8.fingerprint()).contains(QStringLiteral("; int8 (dynamic, ")),
        qPrintable(QString::fromStdString(int8.fingerprint())));
    const Measurement q = int8.measure(gpt, never);
    QCOMPARE(q.status, Measurement::Status::Ok);
    const ParamBreakdown params = countParams(gpt);
    const double linearMb = double(params.attention + params.feedForward) / kMb; // one byte each in int8
    const double savedMb = fp32.weightsMb - q.weightsMb;
    qInfo(
        "weights: fp32 %.2f MB, int8 %.2f MB; float linear weights %.2f MB", fp32.weightsMb, q.weightsMb, 4 * linearMb);
    QVERIFY2(savedMb > 1.5 * linearMb && savedMb < 3.2 * linearMb, qPrintable(QString::number(savedMb)));
    QCOMPARE(q.cacheMb, fp32.cacheMb);
    QVERIFY(q.decodeMsPerToken > 0 && q.prefillMs > 0);

    // bf16 halves every float: weights and cache (not the causal mask, which is bool).
    p.precision = Precision::Bf16;
    if (!precisionUnsupported(ComputeDevice {}, Precision::Bf16).empty()) {
        QVERIFY_THROWS_EXCEPTION(InputError, TorchMeasurer { p });
        return;
    }
    const Measurement h = TorchMeasurer(p).measure(gpt, never);
    QCOMPARE(h.status, Measurement::Status::Ok);
    const double maskMb = 48.0 * 48 / kMb;
    QVERIFY2(std::abs((h.weightsMb - maskMb) * 2 - (fp32.weightsMb - maskMb)) < 0.01,
        qPrintable(QStringLiteral("%1 vs %2").arg(h.weightsMb).arg(fp32.weightsMb)));
    QCOMPARE(h.cacheMb * 2, fp32.cacheMb);
    QVERIFY(h.peakMemoryMb < fp32.peakMemoryMb);
}

void TestGeneration::precisionRules()
{
    auto refusal = [](const std::string& device, Precision precision) {
        MeasureProtocol p;
        p.device = device;
        p.precision = precision;
        try {
            p.validate();
        } catch (const InputError& e) {
            return std::string(e.field()) + ": " + e.what();
        }
        return std::string();
    };
    QVERIFY(QString::fromStdString(refusal("cpu", Precision::Fp16)).contains(QStringLiteral("CUDA devices only")));
    QVERIFY(refusal("cpu", Precision::Fp16).rfind("precision", 0) == 0);
    QVERIFY(QString::fromStdString(refusal("cuda:1", Precision::Int8)).contains(QStringLiteral("runs on CPUs")));
    QCOMPARE(refusal("cpu", Precision::Int8), std::string());
    QCOMPARE(refusal("cuda", Precision::Fp16), std::string());
    QVERIFY_THROWS_EXCEPTION(InputError, parsePrecision("fp8"));
    for (Precision p : { Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Int8 })
        QCOMPARE(parsePrecision(precisionName(p)), p);

    // Recorded with the protocol, and so in the cache key; fp32 keeps the form it had before
    // there was a choice, so that earlier caches still hit.
    MeasureProtocol p;
    QVERIFY(!protocolToJson(p).contains(QStringLiteral("precision")));
    p.precision = Precision::Bf16;
    QCOMPARE(protocolToJson(p).value(QStringLiteral("precision")).toString(), QStringLiteral("bf16"));
    QCOMPARE(protocolFromJson(protocolToJson(p)).precision, Precision::Bf16);
    QJsonObject bad = protocolToJson(p);
    bad.insert(QStringLiteral("precision"), QStringLiteral("half"));
    try {
        protocolFromJson(bad);
        QFAIL("an unknown precision was accepted");
    } catch (const InputError& e) {
        QCOMPARE(std::string(e.field()), std::string("device.precision"));
    }

    // bf16 on this CPU: taken where it has AVX-512 BF16 or AMX, refused with the reason elsewhere.
    std::ifstream cpuinfo("/proc/cpuinfo");
    const std::string info { std::istreambuf_iterator<char>(cpuinfo), {} };
    const bool hasBf16 = info.find(" avx512_bf16") != std::string::npos || info.find(" amx_bf16") != std::string::npos;
    const std::string why = precisionUnsupported(ComputeDevice {}, Precision::Bf16);
    qInfo("bf16 here: %s", why.empty() ? "supported" : why.c_str());
    if (hasBf16)
        QVERIFY2(why.empty() || why.find("oneDNN") != std::string::npos, why.c_str());
    else
        QVERIFY2(why.find("AVX-512 BF16 or AMX") != std::string::npos, why.c_str());
    QCOMPARE(precisionUnsupported(ComputeDevice {}, Precision::Fp16),
        precisionDeviceRule(ComputeDevice {}, Precision::Fp16));
}

QTEST_GUILESS_MAIN(TestGeneration)
#include "tst_generation.moc"
