// Search spaces: the paper's presets, space statistics, membership and validation.
#include "errors.h"
#include "paramcount.h"
#include "searchspace.h"
#include "testutil.h"

#include <QtTest>

using namespace lts;

class TestSearchSpace final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void presetsMatchPaper();
    void decoderParamRange();
    void spaceSize();
    void contains();
    void invalidSpaces_data();
    void invalidSpaces();
};

void TestSearchSpace::presetsMatchPaper()
{
    // LTS (NeurIPS 2022), GPT-2 search: n_layer 2..15, d_model 128..960 step 64, d_inner
    // 128..4032 step 64 with d_inner >= 1.7 d_model, n_head {2, 4, 8}, 6M..100M decoder params.
    const SearchSpace g = preset("gpt2-lts");
    g.validate();
    QCOMPARE(g.nLayerMin, 2);
    QCOMPARE(g.nLayerMax, 15);
    QCOMPARE(g.dModel.size(), std::size_t(14));
    QCOMPARE(g.dModel.back(), 960);
    QCOMPARE(g.dInner.size(), std::size_t(62));
    QCOMPARE(g.dInner.back(), 4032);
    QCOMPARE(g.cutoffs, (std::vector<int> { 19997, 39997 }));
    QCOMPARE(g.paramsMin, std::int64_t(6'000'000));
    const SearchSpace x = preset("transformer-xl-lts");
    x.validate();
    QCOMPARE(x.nLayerMax, 16);
    QCOMPARE(x.vocabSize, 267736);
    QCOMPARE(x.memLen, 192);
    QCOMPARE(x.cutoffs.back(), 199997);
    QVERIFY_THROWS_EXCEPTION(InputError, preset("gpt3"));
}

void TestSearchSpace::decoderParamRange()
{
    // Smallest gpt2-lts model: 2 layers, d_model 128, d_inner 256 (the first >= 1.7*128 = 217.6).
    const SearchSpace g = preset("gpt2-lts");
    QCOMPARE(g.minDecoderParams(), 2 * decoderLayerParams(Backbone::Gpt2, 128, 256) + 256);
    // Largest: 15 layers, d_model 960, d_inner 4032.
    QCOMPARE(g.maxDecoderParams(), 15 * decoderLayerParams(Backbone::Gpt2, 960, 4032) + 2 * 960);
}

void TestSearchSpace::spaceSize()
{
    // With ratio 2, d_model 32 allows all 3 d_inner (64, 128, 192) and 64 allows 2; 2 head
    // choices. Per-layer choices 6 and 4; layers 1..3: (6 + 36 + 216) + (4 + 16 + 64) = 342.
    SearchSpace s = test::tinySpace();
    s.minInnerRatio = 2.0;
    QCOMPARE(s.size(), 342.0);
    s.homogeneous = true;
    QCOMPARE(s.size(), 3 * 6.0 + 3 * 4.0);
}

void TestSearchSpace::contains()
{
    const SearchSpace s = test::tinySpace();
    ArchConfig a = s.baseArch();
    a.nLayer = 2;
    a.dModel = 64;
    a.nHead = { 2, 4 };
    a.dInner = { 64, 128 };
    std::string why;
    QVERIFY2(s.contains(a, &why), why.c_str());
    a.dInner = { 64, 100 }; // 100 is no choice
    QVERIFY(!s.contains(a, &why));
    QCOMPARE(QString::fromStdString(why), QStringLiteral("d_inner[1] is not one of the choices"));
    a.dInner = { 64, 128 };
    SearchSpace homogeneous = s;
    homogeneous.homogeneous = true;
    QVERIFY(!homogeneous.contains(a, &why));
    SearchSpace bounded = s;
    bounded.paramsMax = decoderParams(a) - 1; // one parameter too many
    QVERIFY(!bounded.contains(a, &why));
    QCOMPARE(QString::fromStdString(why), QStringLiteral("decoder parameters outside [params_min, params_max]"));
    a.memLen = 5; // fixed settings must match too
    QVERIFY(!s.contains(a));
}

void TestSearchSpace::invalidSpaces_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("field");
    QTest::newRow("layers reversed") << 0 << "n_layer.max";
    QTest::newRow("no d_model") << 1 << "d_model";
    QTest::newRow("indivisible heads") << 2 << "n_head";
    QTest::newRow("negative d_inner") << 3 << "d_inner";
    QTest::newRow("cutoffs beyond vocab") << 4 << "cutoffs[0]";
    QTest::newRow("zero layers") << 5 << "n_layer.min";
}

void TestSearchSpace::invalidSpaces()
{
    QFETCH(int, which);
    QFETCH(QString, field);
    SearchSpace s = test::tinySpace();
    switch (which) {
    case 0:
        s.nLayerMin = 3;
        s.nLayerMax = 2;
        break;
    case 1:
        s.dModel.clear();
        break;
    case 2:
        s.nHead = { 3 };
        break;
    case 3:
        s.dInner = { 64, -5 };
        break;
    case 4:
        s.divVal = 2;
        s.cutoffs = { 600 };
        break;
    case 5:
        s.nLayerMin = 0;
        break;
    }
    try {
        s.validate();
        QFAIL("invalid space accepted");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), field);
    }
}

QTEST_APPLESS_MAIN(TestSearchSpace)
#include "tst_searchspace.moc"
