// Analytic parameter counts against hand-checked values and against the built LibTorch models.
#include "paramcount.h"
#include "profiler.h"
#include "searchspace.h"
#include "testutil.h"

#include <QtTest>

#include <random>

using namespace lts;

class TestParamCount final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gpt2Small();
    void gpt2LayerByHand();
    void transformerXlLayerByHand();
    void adaptiveEmbeddingByHand();
    void analyticEqualsBuilt_data();
    void analyticEqualsBuilt();
};

void TestParamCount::gpt2Small()
{
    // GPT-2 small (Radford et al. 2019; Hugging Face "gpt2"): 124,439,808 parameters with tied
    // embeddings, of which 50257*768 token and 1024*768 position embeddings.
    ArchConfig a = test::gpt2(12, 768, 12, 3072, 50257, 1024);
    const ParamBreakdown p = countParams(a);
    QCOMPARE(p.total(), std::int64_t(124'439'808));
    QCOMPARE(p.embedding, std::int64_t(50257) * 768);
    QCOMPARE(p.positional, std::int64_t(1024) * 768);
    QCOMPARE(p.decoder(), std::int64_t(124'439'808 - 50257 * 768 - 1024 * 768));
    QCOMPARE(p.head, std::int64_t(0));
}

void TestParamCount::gpt2LayerByHand()
{
    // d=64, d_inner=256: c_attn 64*192+192, c_proj 64*64+64, two LayerNorms 4*64,
    // c_fc 64*256+256, mlp_proj 256*64+64 = 12480+4160+256+16640+16448 = 49984; final LN 128.
    ArchConfig a = test::gpt2(2, 64, 4, 256);
    QCOMPARE(decoderLayerParams(Backbone::Gpt2, 64, 256), std::int64_t(49984));
    QCOMPARE(decoderParams(a), std::int64_t(2 * 49984 + 128));
}

void TestParamCount::transformerXlLayerByHand()
{
    // d=64, d_inner=256: qkv 64*192, o 64*64, r_net 64*64, r_w/r_r 2*64, two LayerNorms 4*64,
    // FF 64*256+256+256*64+64 = 12288+4096+4096+128+256+33088 = 53952; no final norm.
    ArchConfig a = test::gpt2(3, 64, 4, 256);
    a.backbone = Backbone::TransformerXL;
    a.memLen = 16;
    QCOMPARE(decoderParams(a), std::int64_t(3 * 53952));
    QCOMPARE(countParams(a).positional, std::int64_t(0));
    QCOMPARE(countParams(a).relativePosition, std::int64_t(3 * (4096 + 128)));
}

void TestParamCount::adaptiveEmbeddingByHand()
{
    // gpt2-lts embedding: clusters of 19997, 20000 and 10260 tokens with widths 512, 128, 32,
    // each projected to d_model=256; the head adds its projection (256*512), 2 cluster rows of
    // 512 with 2 biases, and one bias per token.
    ArchConfig a = preset("gpt2-lts").baseArch();
    a.nLayer = 2;
    a.dModel = 256;
    a.nHead = { 4, 4 };
    a.dInner = { 512, 512 };
    const ParamBreakdown p = countParams(a);
    const std::int64_t emb = 19997LL * 512 + 256 * 512 + 20000LL * 128 + 256 * 128 + 10260LL * 32 + 256 * 32;
    QCOMPARE(p.embedding, emb);
    QCOMPARE(p.head, std::int64_t(256 * 512 + 2 * 512 + 2 + 50257));
    QCOMPARE(p.positional, std::int64_t(192 * 256));
}

void TestParamCount::analyticEqualsBuilt_data()
{
    QTest::addColumn<int>("backbone");
    QTest::addColumn<int>("seed");
    // Random architectures of both backbones with every embedding variant.
    for (int seed = 1; seed <= 12; ++seed) {
        QTest::addRow("gpt2-%d", seed) << int(Backbone::Gpt2) << seed;
        QTest::addRow("txl-%d", seed) << int(Backbone::TransformerXL) << seed;
    }
}

void TestParamCount::analyticEqualsBuilt()
{
    QFETCH(int, backbone);
    QFETCH(int, seed);
    std::mt19937 rng(seed);
    auto pick = [&](std::initializer_list<int> v) { return *(v.begin() + rng() % v.size()); };
    ArchConfig a;
    a.backbone = Backbone(backbone);
    a.nLayer = 1 + int(rng() % 4);
    a.dModel = pick({ 32, 48, 64, 96 });
    for (int i = 0; i < a.nLayer; ++i) {
        a.nHead.push_back(pick({ 1, 2, 4 }));
        a.dInner.push_back(pick({ 16, 40, 100, 256 }));
    }
    a.vocabSize = pick({ 300, 1000, 2051 });
    a.seqLen = pick({ 8, 16 });
    a.memLen = a.backbone == Backbone::TransformerXL ? pick({ 0, 8, 24 }) : 0;
    switch (seed % 3) {
    case 0: // plain tied embedding
        a.divVal = 1;
        a.dEmbed = a.dModel;
        break;
    case 1: // plain embedding with a projection
        a.divVal = 1;
        a.dEmbed = pick({ 16, 24 });
        break;
    default: // adaptive input and softmax
        a.divVal = pick({ 2, 4 });
        a.dEmbed = 64;
        a.cutoffs = { 100, 250 };
        break;
    }
    validate(a);
    const ParamBreakdown analytic = countParams(a);
    const BuiltModelInfo built = inspectModel(a, 2, a.seqLen, true);
    QCOMPARE(analytic.decoder(), built.decoderParams);
    QCOMPARE(analytic.total(), built.totalParams);
    QCOMPARE(built.outputShape, (std::vector<std::int64_t> { 2 * std::int64_t(a.seqLen), a.vocabSize }));
}

QTEST_APPLESS_MAIN(TestParamCount)
#include "tst_paramcount.moc"
