// Architecture and search-configuration JSON: the three dialects, round trips and every
// bad-input rule (each error must name its field).
#include "errors.h"
#include "jsonio.h"
#include "paramcount.h"
#include "remote.h"
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace lts;

namespace {

QJsonObject parse(const char* json)
{
    return parseJsonObject(QByteArray(json), "test");
}

} // namespace

class TestArchIo final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void nativeRoundTrip();
    void huggingFaceDefaults();
    void huggingFaceExport();
    void huggingFaceExportRefusals();
    void archaiFlex();
    void badArchitecture_data();
    void badArchitecture();
    void searchConfigRoundTrip();
    void searchConfigPresetBase();
    void remoteDevicesRoundTrip();
    void badSearchConfig_data();
    void badSearchConfig();
    void candidateRoundTrip();
    void architectureFileIsNotAConfiguration();
    void estimatedCandidateHoldsNoMeasuredFields();
};

void TestArchIo::nativeRoundTrip()
{
    ArchConfig a = preset("transformer-xl-lts").baseArch();
    a.nLayer = 3;
    a.dModel = 256;
    a.nHead = { 2, 4, 8 };
    a.dInner = { 512, 1024, 512 };
    const QJsonObject o = archToJson(a);
    QVERIFY(o.value(QStringLiteral("n_head")).isArray()); // heterogeneous layers stay lists
    ArchDialect d {};
    QCOMPARE(archFromJson(o, &d), a);
    QCOMPARE(d, ArchDialect::Native);

    ArchConfig h = test::gpt2(4, 128, 4, 512);
    QCOMPARE(archToJson(h).value(QStringLiteral("d_inner")).toInt(), 512); // homogeneous: a number
    QCOMPARE(archFromJson(archToJson(h)), h);
}

void TestArchIo::huggingFaceDefaults()
{
    // transformers' GPT2Config: n_inner null means 4 * n_embd; missing keys take its defaults.
    ArchDialect d {};
    const ArchConfig a = archFromJson(parse(R"({"model_type": "gpt2", "n_inner": null})"), &d);
    QCOMPARE(d, ArchDialect::HuggingFaceGpt2);
    QCOMPARE(a.dModel, 768);
    QCOMPARE(a.nLayer, 12);
    QCOMPARE(a.dInner, std::vector<int>(12, 3072));
    QCOMPARE(a.seqLen, 1024);
    QCOMPARE(countParams(a).total(), std::int64_t(124'439'808));

    const ArchConfig b = archFromJson(parse(R"({"n_embd": 256, "n_layer": 3, "n_head": 8, "n_inner": 700,
                                                "vocab_size": 1000, "n_positions": 64})"));
    QCOMPARE(b.dInner, std::vector<int>(3, 700));
    QCOMPARE(b.nHead, std::vector<int>(3, 8));
    QCOMPARE(b.vocabSize, 1000);
}

void TestArchIo::huggingFaceExport()
{
    const ArchConfig a = test::gpt2(6, 384, 6, 1536, 50257, 192);
    const QJsonObject hf = archToHuggingFace(a);
    QCOMPARE(hf.value(QStringLiteral("n_embd")).toInt(), 384);
    QCOMPARE(hf.value(QStringLiteral("n_inner")).toInt(), 1536);
    QCOMPARE(hf.value(QStringLiteral("n_positions")).toInt(), 192);
    QVERIFY(!hf.contains(QStringLiteral("lts_note")));
    QCOMPARE(archFromJson(hf), a); // reading it back gives the same architecture
}

void TestArchIo::huggingFaceExportRefusals()
{
    // Layers that differ become Archai's per-layer gpt2-flex config, which reads back the same.
    ArchConfig hetero = test::gpt2(3, 128, 4, 512);
    hetero.dInner[1] = 256;
    hetero.nHead[2] = 2;
    const QJsonObject flex = archToHuggingFace(hetero);
    QCOMPARE(flex.value(QStringLiteral("model_type")).toString(), QStringLiteral("gpt2-flex"));
    QCOMPARE(flex.value(QStringLiteral("architectures")).toArray().first().toString(),
        QStringLiteral("GPT2LMHeadModelFlex"));
    QCOMPARE(flex.value(QStringLiteral("n_inner")).toArray(), (QJsonArray { 512, 256, 512 }));
    QCOMPARE(flex.value(QStringLiteral("n_head")).toArray(), (QJsonArray { 4, 4, 2 }));
    QVERIFY(flex.value(QStringLiteral("lts_note")).toString().contains(QStringLiteral("GPT2FlexConfig")));
    ArchDialect d {};
    QCOMPARE(archFromJson(flex, &d), hetero);
    QCOMPARE(d, ArchDialect::HuggingFaceGpt2);
    // A per-layer list of the wrong length names the field.
    QJsonObject shortList = flex;
    shortList.insert(QStringLiteral("n_inner"), QJsonArray { 512, 256 });
    try {
        archFromJson(shortList);
        QFAIL("a list shorter than n_layer must be refused");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("n_inner"));
    }

    ArchConfig txl = test::gpt2(2, 128, 4, 512);
    txl.backbone = Backbone::TransformerXL;
    QVERIFY_THROWS_EXCEPTION(InputError, archToHuggingFace(txl));
    // Adaptive embeddings are exported with a plain one and say so.
    ArchConfig adaptive = preset("gpt2-lts").baseArch();
    adaptive.nLayer = 2;
    adaptive.dModel = 256;
    adaptive.nHead = { 4, 4 };
    adaptive.dInner = { 512, 512 };
    QVERIFY(
        archToHuggingFace(adaptive).value(QStringLiteral("lts_note")).toString().contains(QStringLiteral("adaptive")));
}

void TestArchIo::archaiFlex()
{
    // Archai stores max-layer lists; only the first n_layer entries count. The paper's vocabulary
    // brings the paper's adaptive embedding with it.
    ArchDialect d {};
    const ArchConfig a = archFromJson(parse(R"({"arch_type": "gpt2", "d_model": 512, "n_layer": 2,
        "d_inner": [1024, 2048, 999], "n_head": [8, 4, 2], "vocab_size": 50257})"),
        &d);
    QCOMPARE(d, ArchDialect::ArchaiFlex);
    QCOMPARE(a.dInner, (std::vector<int> { 1024, 2048 }));
    QCOMPARE(a.nHead, (std::vector<int> { 8, 4 }));
    QCOMPARE(a.divVal, 4);
    QCOMPARE(a.cutoffs, (std::vector<int> { 19997, 39997 }));

    const ArchConfig x = archFromJson(parse(R"({"arch_type": "mem_transformer", "d_model": 128, "n_layer": 3,
        "d_inner": 256, "n_head": 2, "vocab_size": 1000})"));
    QCOMPARE(x.backbone, Backbone::TransformerXL);
    QCOMPARE(x.divVal, 1);
    QCOMPARE(x.dEmbed, 128);
    QCOMPARE(x.memLen, 192);
}

void TestArchIo::badArchitecture_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("field");
    // A valid architecture with the given fields replaced.
    auto with = [](const char* changes) {
        QJsonObject o = parse(R"({"backbone": "gpt2", "n_layer": 2, "d_model": 64, "n_head": 4, "d_inner": 128,
                                  "vocab_size": 100, "seq_len": 16})");
        const QJsonObject c = parse((std::string("{") + changes + "}").c_str());
        for (auto it = c.begin(); it != c.end(); ++it)
            o.insert(it.key(), it.value());
        return QString::fromUtf8(QJsonDocument(o).toJson());
    };
    QTest::newRow("unknown backbone") << with(R"("backbone": "lstm")") << "backbone";
    QTest::newRow("zero layers") << with(R"("n_layer": 0)") << "n_layer";
    QTest::newRow("million layers") << with(R"("n_layer": 1000000)") << "n_layer";
    QTest::newRow("negative d_model") << with(R"("d_model": -64)") << "d_model";
    QTest::newRow("huge d_model") << with(R"("d_model": 1000000000)") << "d_model";
    QTest::newRow("fractional d_model") << with(R"("d_model": 64.5)") << "d_model";
    QTest::newRow("string d_model") << with(R"("d_model": "64")") << "d_model";
    QTest::newRow("heads do not divide") << with(R"("n_head": 3)") << "n_head[0]";
    QTest::newRow("head list too short") << with(R"("n_head": [4])") << "n_head";
    QTest::newRow("negative d_inner") << with(R"("d_inner": [128, -1])") << "d_inner[1]";
    QTest::newRow("cutoffs not increasing") << with(R"("div_val": 2, "cutoffs": [50, 40])") << "cutoffs[1]";
    QTest::newRow("cutoff beyond vocab") << with(R"("div_val": 2, "cutoffs": [50, 100])") << "cutoffs[1]";
    QTest::newRow("cluster too narrow") << with(R"("div_val": 64, "d_embed": 64, "cutoffs": [10, 20])") << "div_val";
    QTest::newRow("no vocab") << QStringLiteral(
        R"({"backbone": "gpt2", "n_layer": 2, "d_model": 64, "n_head": 4, "d_inner": 128, "seq_len": 16})")
                              << "vocab_size";
    QTest::newRow("negative mem_len") << with(R"("backbone": "transformer-xl", "mem_len": -1)") << "mem_len";
    QTest::newRow("archai unknown type") << QStringLiteral(R"({"arch_type": "rnn", "d_model": 64})") << "arch_type";
    QTest::newRow("hf n_inner huge") << QStringLiteral(R"({"n_embd": 64, "n_inner": 1e12})") << "n_inner";
}

void TestArchIo::badArchitecture()
{
    QFETCH(QString, json);
    QFETCH(QString, field);
    try {
        archFromJson(parseJsonObject(json.toUtf8(), "test"));
        QFAIL("bad input was accepted");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), field);
        QVERIFY(QString::fromUtf8(e.what()).startsWith(field + QStringLiteral(": ")));
    }
}

void TestArchIo::searchConfigRoundTrip()
{
    SearchConfig c;
    c.space = preset("transformer-xl-lts");
    c.space.homogeneous = true;
    c.space.latencyCeilingMs = 50;
    c.search.algorithm = Algorithm::Random;
    c.search.seed = 77;
    c.search.objectives = { Objective::DecoderParams, Objective::Latency, Objective::Memory };
    c.protocol.threads = 2;
    c.protocol.repeats = 7;
    const SearchConfig back = searchConfigFromJson(searchConfigToJson(c));
    QCOMPARE(back.space.dModel, c.space.dModel);
    QCOMPARE(back.space.dInner, c.space.dInner);
    QCOMPARE(back.space.cutoffs, c.space.cutoffs);
    QCOMPARE(back.space.memLen, 192);
    QCOMPARE(back.space.homogeneous, true);
    QCOMPARE(back.space.latencyCeilingMs, 50.0);
    QCOMPARE(back.space.paramsMin, c.space.paramsMin);
    QCOMPARE(back.search.algorithm, Algorithm::Random);
    QCOMPARE(back.search.seed, std::uint64_t(77));
    QCOMPARE(back.search.objectives.size(), std::size_t(3));
    QCOMPARE(back.protocol.threads, 2);
    QCOMPARE(back.protocol.repeats, 7);
    // Ranges are written compactly.
    QCOMPARE(
        searchConfigToJson(c).value(QStringLiteral("d_model")).toObject().value(QStringLiteral("step")).toInt(), 64);
}

void TestArchIo::remoteDevicesRoundTrip()
{
    const SearchConfig c = searchConfigFromJson(parse(R"({"preset": "gpt2-lts", "device": {"device": "cuda:1",
        "remote": ["ssh://me@board.local:2222/cuda:1", "ssh://board2/cuda:1"], "remote_program": "/opt/lts/bin/lts-search"}})"));
    QCOMPARE(c.remoteDevices, (std::vector<std::string> { "ssh://me@board.local:2222/cuda:1", "ssh://board2/cuda:1" }));
    QCOMPARE(c.remoteProgram, std::string("/opt/lts/bin/lts-search"));
    const DeviceSpec d = DeviceSpec::parse(c.remoteDevices.front(), "x");
    QCOMPARE(d.user, std::string("me"));
    QCOMPARE(d.host, std::string("board.local"));
    QCOMPARE(d.port, 2222);
    QCOMPARE(d.device, std::string("cuda:1"));
    const SearchConfig back = searchConfigFromJson(searchConfigToJson(c));
    QCOMPARE(back.remoteDevices, c.remoteDevices);
    QCOMPARE(back.remoteProgram, c.remoteProgram);
    // This computer: nothing remote written.
    QVERIFY(!searchConfigToJson(SearchConfig {})
                 .value(QStringLiteral("device"))
                 .toObject()
                 .contains(QStringLiteral("remote")));
}

void TestArchIo::searchConfigPresetBase()
{
    const SearchConfig c = searchConfigFromJson(parse(R"({"preset": "gpt2-lts", "n_layer": {"min": 3, "max": 5},
                                                          "device": {"threads": 2}})"));
    QCOMPARE(c.space.nLayerMin, 3);
    QCOMPARE(c.space.nLayerMax, 5);
    QCOMPARE(c.space.vocabSize, 50257); // from the preset
    QCOMPARE(c.protocol.threads, 2);
}

void TestArchIo::badSearchConfig_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("unknown preset") << R"({"preset": "bert"})"
                                    << "preset";
    QTest::newRow("empty layer range") << R"({"preset": "gpt2-lts", "n_layer": {"min": 5, "max": 3}})"
                                       << "n_layer.max";
    QTest::newRow("empty d_model range") << R"({"preset": "gpt2-lts", "d_model": {"min": 512, "max": 128, "step": 64}})"
                                         << "d_model.max";
    QTest::newRow("empty choices") << R"({"preset": "gpt2-lts", "n_head": []})"
                                   << "n_head";
    QTest::newRow("head does not divide") << R"({"preset": "gpt2-lts", "n_head": [3]})"
                                          << "n_head";
    QTest::newRow("ratio unreachable") << R"({"preset": "gpt2-lts", "min_inner_ratio": 10})"
                                       << "d_inner";
    QTest::newRow("bounds reversed") << R"({"preset": "gpt2-lts", "params_min": 10, "params_max": 5})"
                                     << "params_max";
    QTest::newRow("bounds unreachable") << R"({"preset": "gpt2-lts", "params_min": 1e12, "params_max": 0})"
                                        << "params_min";
    QTest::newRow("negative ceiling") << R"({"preset": "gpt2-lts", "latency_ceiling_ms": -1})"
                                      << "latency_ceiling_ms";
    QTest::newRow("bad objectives") << R"({"preset": "gpt2-lts", "search": {"objectives": "latency"}})"
                                    << "search.objectives";
    QTest::newRow("bad algorithm") << R"({"preset": "gpt2-lts", "search": {"algorithm": "grid"}})"
                                   << "search.algorithm";
    QTest::newRow("zero threads") << R"({"preset": "gpt2-lts", "device": {"threads": 0}})"
                                  << "device.threads";
    QTest::newRow("bad device") << R"({"preset": "gpt2-lts", "device": {"device": "tpu"}})"
                                << "device.device";
    QTest::newRow("no n_layer") << R"({"backbone": "gpt2", "d_model": [64]})"
                                << "n_layer";
    QTest::newRow("remote not a list") << R"({"preset": "gpt2-lts", "device": {"remote": "ssh://pi/cpu"}})"
                                       << "device.remote";
    QTest::newRow("remote not ssh") << R"({"preset": "gpt2-lts", "device": {"remote": ["http://pi/cpu"]}})"
                                    << "device.remote[0]";
    QTest::newRow("remote option injection")
        << R"({"preset": "gpt2-lts", "device": {"remote": ["ssh://-oProxyCommand=x/cpu"]}})"
        << "device.remote[0]";
    QTest::newRow("remote port") << R"({"preset": "gpt2-lts", "device": {"remote": ["ssh://pi:99999/cpu"]}})"
                                 << "device.remote[0]";
    QTest::newRow("remote of another kind")
        << R"({"preset": "gpt2-lts", "device": {"device": "cpu", "remote": ["ssh://pi/cpu", "ssh://gpu/cuda:0"]}})"
        << "device.remote[1]";
    QTest::newRow("remote program on two lines")
        << R"({"preset": "gpt2-lts", "device": {"remote": ["ssh://pi/cpu"], "remote_program": "a\nb"}})"
        << "device.remote_program";
    QTest::newRow("cutoff beyond vocab") << R"({"preset": "gpt2-lts", "vocab_size": 30000})"
                                         << "cutoffs[1]";
}

void TestArchIo::badSearchConfig()
{
    QFETCH(QString, json);
    QFETCH(QString, field);
    try {
        searchConfigFromJson(parseJsonObject(json.toUtf8(), "test"));
        QFAIL("bad input was accepted");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), field);
    }
}

void TestArchIo::candidateRoundTrip()
{
    Candidate c;
    c.id = 7;
    c.arch = test::gpt2(3, 64, 2, 128);
    c.decoderParams = decoderParams(c.arch);
    c.totalParams = countParams(c.arch).total();
    c.measurement.latencyMs = 12.5;
    c.measurement.latencyIqrMs = 0.75;
    c.measurement.peakMemoryMb = 33.25;
    c.status = Candidate::Status::OverCeiling;
    c.iteration = 4;
    c.elapsedS = 99.5;
    const QJsonObject o = candidateToJson(c);
    QCOMPARE(o.value(QStringLiteral("latency_ms")).toDouble(), 12.5); // flat, as the bench scripts read it
    const Candidate b = candidateFromJson(o);
    QCOMPARE(b.id, 7);
    QCOMPARE(b.arch, c.arch);
    QCOMPARE(b.decoderParams, c.decoderParams);
    QCOMPARE(b.measurement.latencyIqrMs, 0.75);
    QCOMPARE(b.measurement.peakMemoryMb, 33.25);
    QCOMPARE(b.status, Candidate::Status::OverCeiling);
    QCOMPARE(b.iteration, 4);
    QCOMPARE(b.elapsedS, 99.5);

    QJsonObject lie = o;
    lie.insert(QStringLiteral("decoder_params"), 5); // must agree with the architecture
    QVERIFY_THROWS_EXCEPTION(InputError, candidateFromJson(lie));
}

void TestArchIo::architectureFileIsNotAConfiguration()
{
    const ArchConfig a = test::gpt2(3, 64, 2, 128);
    for (const QJsonObject& file : { archToJson(a), archToHuggingFace(a),
             parse(R"({"arch_type": "gpt2", "d_model": 64, "n_layer": 2, "d_inner": 128, "n_head": 2,
                 "vocab_size": 500})") }) {
        try {
            searchConfigFromJson(file);
            QFAIL("an architecture file was read as a search configuration");
        } catch (const InputError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("architecture file, not a search")), e.what());
        }
    }
}

void TestArchIo::estimatedCandidateHoldsNoMeasuredFields()
{
    Candidate c;
    c.id = 3;
    c.arch = test::gpt2(2, 64, 2, 128);
    c.decoderParams = decoderParams(c.arch);
    c.totalParams = countParams(c.arch).total();
    c.status = Candidate::Status::Estimated;
    c.latencyEstimateMs = 4.0;
    c.measurement.latencyMs = 5.0; // calibrated
    c.measurement.weightsMb = 1.5;
    const QJsonObject o = candidateToJson(c);
    for (const char* key : { "latency_iqr_ms", "latency_min_ms", "latency_max_ms", "repeats", "activations_mb",
             "cpu_utilisation", "build_ms", "measure_ms", "peak_memory_mb" })
        QVERIFY2(!o.contains(QString::fromLatin1(key)), key);
    QCOMPARE(o.value(QStringLiteral("latency_ms")).toDouble(), 5.0);
    const Candidate b = candidateFromJson(o);
    QCOMPARE(b.status, Candidate::Status::Estimated);
    QCOMPARE(b.measurement.latencyMs, 5.0);
    QCOMPARE(b.measurement.latencyMaxMs, 0.0);
    QCOMPARE(b.measurement.peakMemoryMb, 0.0);
}

QTEST_APPLESS_MAIN(TestArchIo)
#include "tst_archio.moc"
