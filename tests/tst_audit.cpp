// The proxy audit: the corpus's rules, brief training of both backbones on generated text (the
// loss falls, capacity helps where the text needs it), the choice of architectures, and an audit
// of a run folder end to end, killed and resumed.
#include "audit.h"
#include "corpus.h"
#include "errors.h"
#include "jsonio.h"
#include "paramcount.h"
#include "runfolder.h"
#include "testutil.h"
#include "trainer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <random>
#include <set>

using namespace lts;

namespace {

QString q(const char* s)
{
    return QString::fromLatin1(s);
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

Corpus corpusOf(const QByteArray& text)
{
    Corpus c;
    c.path = "generated";
    const auto split = std::size_t(text.size()) - std::size_t(text.size()) / 10;
    c.train.assign(text.begin(), text.begin() + std::ptrdiff_t(split));
    c.valid.assign(text.begin() + std::ptrdiff_t(split), text.end());
    return c;
}

ArchConfig xl(int nLayer, int dModel, int nHead, int dInner, int seqLen, int memLen)
{
    ArchConfig a = test::gpt2(nLayer, dModel, nHead, dInner, 1000, seqLen);
    a.backbone = Backbone::TransformerXL;
    a.memLen = memLen;
    return a;
}

TrainConfig quick(std::int64_t tokens)
{
    TrainConfig t;
    t.tokens = tokens;
    t.batch = 8;
    t.lr = 3e-3;
    t.evalTokens = 8192;
    return t;
}

const std::atomic<bool> kNever { false };

TrainResult train(const ArchConfig& a, const Corpus& c, const TrainConfig& t)
{
    return trainAndEvaluate(a, c, t, {}, kNever);
}

template <typename F> QString errorOf(F&& f, std::string* field = nullptr)
{
    try {
        f();
    } catch (const InputError& e) {
        if (field)
            *field = e.field();
        return QString::fromStdString(e.what());
    }
    return {};
}

Candidate candidate(int id, const ArchConfig& a, Candidate::Status status = Candidate::Status::Ok)
{
    Candidate c = candidateOf(a);
    c.id = id;
    c.status = status;
    c.measurement.latencyMs = 1.0 + double(c.decoderParams) / 1e4; // more parameters, slower
    c.measurement.peakMemoryMb = 1.0;
    return c;
}

// A run folder holding `candidates` (session.json from a RunWriter, then their lines).
void writeRun(const QString& dir, const std::vector<Candidate>& candidates)
{
    RunInfo info;
    info.config.space = test::tinySpace();
    {
        RunWriter w(dir, info, false);
    }
    QByteArray lines;
    for (const Candidate& c : candidates)
        lines += QJsonDocument(candidateToJson(c)).toJson(QJsonDocument::Compact) + '\n';
    writeFile(QDir(dir).filePath(q(kCandidatesFile)), lines);
}

} // namespace

class TestAudit final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void corpusRules();
    void trainerLearnsBothBackbones();
    void capacityHelpsWhereTheTextNeedsIt();
    void trainingIsSeeded();
    void trainConfigRules();
    void outOfMemoryIsAResultNotACrash();
    void picksPairsAndSpreadsOverTheFrontier();
    void auditEndToEndKilledAndResumed();
};

void TestAudit::corpusRules()
{
    QTemporaryDir dir;
    auto path = [&](const char* name) { return dir.filePath(q(name)).toStdString(); };
    std::string field;
    QVERIFY(errorOf([&] { loadCorpus(path("missing.txt")); }, &field).contains(q("cannot read")));
    QCOMPARE(field, std::string("text"));
    writeFile(dir.filePath(q("empty.txt")), {});
    QVERIFY(errorOf([&] { loadCorpus(path("empty.txt")); }).contains(q("is empty")));
    writeFile(dir.filePath(q("nul.bin")), QByteArray("hello\0world", 11));
    QVERIFY(errorOf([&] { loadCorpus(path("nul.bin")); }).contains(q("byte 5 is NUL")));
    writeFile(dir.filePath(q("latin1.txt")), QByteArray("caf\xe9 au lait"));
    QVERIFY(errorOf([&] { loadCorpus(path("latin1.txt")); }).contains(q("byte 3 is not valid UTF-8")));
    writeFile(dir.filePath(q("cut.txt")), QByteArray("price: 5 \xe2\x82")); // a euro sign cut short
    QVERIFY(errorOf([&] { loadCorpus(path("cut.txt")); }).contains(q("byte 9 is not valid UTF-8")));
    writeFile(dir.filePath(q("overlong.txt")), QByteArray("a\xc0\xafz")); // overlong '/'
    QVERIFY(errorOf([&] { loadCorpus(path("overlong.txt")); }).contains(q("byte 1")));
    QVERIFY(errorOf([&] { loadCorpus(path("missing.txt"), 0.9); }, &field).contains(q("between 0.01 and 0.5")));
    QCOMPARE(field, std::string("valid_fraction"));

    // UTF-8 with two-, three- and four-byte characters is text; the last tenth validates.
    QByteArray text;
    while (text.size() < 1000)
        text += "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x99\x82\n";
    writeFile(dir.filePath(q("ok.txt")), text);
    const Corpus c = loadCorpus(path("ok.txt"));
    QCOMPARE(c.bytes(), std::int64_t(text.size()));
    QCOMPARE(c.valid.size(), std::size_t(text.size() / 10));
    QCOMPARE(
        QByteArray(reinterpret_cast<const char*>(c.valid.data()), int(c.valid.size())), text.right(text.size() / 10));

    const QString shortText = errorOf([&] { requireCorpusFits(c, 32, 8); }, &field);
    QVERIFY2(
        shortText.contains(q("too short")) && shortText.contains(q("2112 bytes to train on")), qPrintable(shortText));
    QCOMPARE(field, std::string("text"));
    requireCorpusFits(c, 8, 4); // 8 * 4 * 9 = 288 bytes to train on, 9 to validate: fits
}

void TestAudit::trainerLearnsBothBackbones()
{
    const Corpus c = corpusOf(test::markovText(60000, 1));
    const double uniform = std::log(256.0);
    for (const ArchConfig& a : { test::gpt2(2, 32, 2, 64, 1000, 32), xl(2, 32, 2, 64, 32, 32) }) {
        const TrainResult r = train(a, c, quick(8 * 32 * 120));
        QCOMPARE(r.status, TrainResult::Status::Ok);
        QCOMPARE(r.steps, 120);
        QCOMPARE(r.tokensTrained, std::int64_t(120 * 8 * 32));
        // Starts near the uniform distribution's loss and learns the letters' statistics at least.
        QVERIFY2(
            std::fabs(r.curve.front().second - uniform) < 0.5, qPrintable(QString::number(r.curve.front().second)));
        QVERIFY2(r.trainLoss < uniform - 2.0, qPrintable(QString::number(r.trainLoss)));
        QVERIFY2(r.valLoss < uniform - 2.0, qPrintable(QString::number(r.valLoss)));
        QCOMPARE(r.valPpl, std::exp(r.valLoss));
        QCOMPARE(r.valBitsPerByte, r.valLoss / std::log(2.0));
        QVERIFY(r.valTokens >= 5000);
        // The decoder is the searched one; the embedding and head are sized for bytes.
        QCOMPARE(r.decoderParams, decoderParams(a));
        QCOMPARE(r.totalParams, countParams(byteLevelArch(a)).total());
        QCOMPARE(r.trained.vocabSize, 256);
        QVERIFY(r.tokensPerS > 0);
    }
}

void TestAudit::capacityHelpsWhereTheTextNeedsIt()
{
    const Corpus c = corpusOf(test::markovText(80000, 2));
    TrainConfig t = quick(8 * 32 * 250);
    const TrainResult small = train(test::gpt2(1, 8, 1, 8, 1000, 32), c, t);
    const TrainResult large = train(test::gpt2(2, 64, 4, 128, 1000, 32), c, t);
    QCOMPARE(small.status, TrainResult::Status::Ok);
    QCOMPARE(large.status, TrainResult::Status::Ok);
    qInfo("validation loss: small %.3f, large %.3f nats per byte", small.valLoss, large.valLoss);
    QVERIFY2(
        large.valLoss < small.valLoss - 0.2, qPrintable(QString::asprintf("%g vs %g", large.valLoss, small.valLoss)));
}

void TestAudit::trainingIsSeeded()
{
    const Corpus c = corpusOf(test::markovText(30000, 3));
    const ArchConfig a = test::gpt2(1, 16, 2, 32, 1000, 16);
    TrainConfig t = quick(8 * 16 * 30);
    const TrainResult one = train(a, c, t), two = train(a, c, t);
    QCOMPARE(one.valLoss, two.valLoss);
    t.seed = 2;
    QVERIFY(train(a, c, t).valLoss != one.valLoss);
}

void TestAudit::trainConfigRules()
{
    const Corpus c = corpusOf(test::markovText(30000, 4));
    const ArchConfig a = test::gpt2(1, 16, 2, 32, 1000, 16);
    auto fieldOf = [&](auto change) {
        TrainConfig t = quick(4096);
        change(t);
        std::string field;
        errorOf([&] { train(a, c, t); }, &field);
        return field;
    };
    QCOMPARE(fieldOf([](TrainConfig& t) { t.tokens = 10; }), std::string("tokens"));
    QCOMPARE(fieldOf([](TrainConfig& t) { t.seconds = -1; }), std::string("seconds"));
    QCOMPARE(fieldOf([](TrainConfig& t) { t.lr = 0; }), std::string("lr"));
    QCOMPARE(fieldOf([](TrainConfig& t) { t.batch = 0; }), std::string("batch"));
    QCOMPARE(fieldOf([](TrainConfig& t) { t.device = "tpu"; }), std::string("device"));
    QCOMPARE(fieldOf([](TrainConfig& t) { t.context = 64; }), std::string("context")); // GPT-2 has 16 positions
    QCOMPARE(fieldOf([](TrainConfig& t) { t.threads = 0; }), std::string("threads"));
    Corpus tiny = corpusOf(QByteArray(300, 'a'));
    std::string field;
    QVERIFY(errorOf([&] { train(a, tiny, quick(4096)); }, &field).contains(q("too short")));
    QCOMPARE(field, std::string("text"));
}

void TestAudit::outOfMemoryIsAResultNotACrash()
{
    const Corpus c = corpusOf(test::markovText(30000, 5));
    // About 1.1e12 parameters: refused before anything is allocated.
    const TrainResult r = train(test::gpt2(1000, 16384, 8, 16384, 1000, 16), c, quick(4096));
    QCOMPARE(r.status, TrainResult::Status::Failed);
    QVERIFY2(QString::fromStdString(r.error).contains(q("out of memory")), r.error.c_str());
}

void TestAudit::picksPairsAndSpreadsOverTheFrontier()
{
    std::vector<Candidate> all;
    int id = 0;
    // A ladder of widths (the frontier), two equal-parameter pairs of different depth, a failed
    // one and a duplicate.
    for (int d : { 16, 24, 32, 48, 64, 96, 128 })
        all.push_back(candidate(id++, test::gpt2(2, d, 2, 2 * d)));
    // 4 and 8 layers of d_model 32, d_inner 64 hold within 0.2% the decoder parameters of 2
    // layers with d_inner 195 and 458.
    all.push_back(candidate(id++, test::gpt2(4, 32, 2, 64)));
    all.push_back(candidate(id++, test::gpt2(2, 32, 2, 195)));
    all.push_back(candidate(id++, test::gpt2(8, 32, 2, 64)));
    all.push_back(candidate(id++, test::gpt2(2, 32, 2, 458)));
    all.push_back(candidate(id++, test::gpt2(1, 200, 2, 64), Candidate::Status::Failed)); // id 11
    all.push_back(candidate(id++, test::gpt2(2, 16, 2, 32))); // id 12, the same as id 0
    std::vector<std::size_t> frontier;
    for (std::size_t i = 0; i < 7; ++i)
        frontier.push_back(i);
    const std::vector<AuditPick> picks = pickArchitectures(all, frontier, 8);
    QCOMPARE(picks.size(), std::size_t(8));
    std::set<std::string> keys;
    int pairMembers = 0;
    for (std::size_t i = 0; i < picks.size(); ++i) {
        const AuditPick& p = picks[i];
        QVERIFY(keys.insert(p.arch.key()).second); // each architecture once
        QVERIFY(p.candidateId != 11 && p.candidateId != 12); // neither the failed one nor the duplicate
        QCOMPARE(p.decoderParams, decoderParams(p.arch));
        if (i > 0)
            QVERIFY(picks[i - 1].decoderParams <= p.decoderParams);
        if (p.reason.rfind("pair ", 0) == 0) {
            ++pairMembers;
            int partners = 0;
            for (const AuditPick& o : picks)
                if (&o != &p && o.reason == p.reason) {
                    ++partners;
                    QVERIFY(o.arch.nLayer != p.arch.nLayer);
                    const double gap = std::fabs(double(o.decoderParams - p.decoderParams))
                        / double(std::max(o.decoderParams, p.decoderParams));
                    QVERIFY2(gap <= 0.05, qPrintable(QString::number(gap)));
                }
            QCOMPARE(partners, 1);
        }
    }
    QCOMPARE(pairMembers, 4); // K / 4 = 2 pairs
    // The frontier's ends are both trained, so the audit spans its whole range.
    QVERIFY(std::any_of(picks.begin(), picks.end(), [](const AuditPick& p) { return p.candidateId == 0; }));
    QVERIFY(std::any_of(picks.begin(), picks.end(), [](const AuditPick& p) { return p.candidateId == 6; }));

    std::string field;
    QVERIFY(errorOf([&] { pickArchitectures({ all[0], all[12] }, {}, 8); }, &field).contains(q("at least 2")));
    QCOMPARE(field, std::string("archs"));
}

void TestAudit::auditEndToEndKilledAndResumed()
{
    QTemporaryDir dir;
    const QString run = dir.filePath(q("run"));
    std::vector<Candidate> all;
    int id = 0;
    for (int d : { 8, 16, 32, 48 })
        all.push_back(candidate(id++, test::gpt2(1, d, 2, 2 * d, 500, 16)));
    all.push_back(candidate(id++, test::gpt2(1000, 16384, 8, 16384, 500, 16))); // too large to train
    writeRun(run, all);
    const QString text = dir.filePath(q("text.txt"));
    writeFile(text, test::markovText(40000, 6));

    AuditConfig config;
    config.text = text.toStdString();
    config.archs = 5;
    config.resamples = 200;
    config.train = quick(8 * 16 * 20);

    // Killed after the first architecture: it is kept, nothing else is.
    std::atomic<bool> cancel { false };
    std::vector<AuditEvent::Kind> kinds;
    const AuditReport first = runAudit(
        run, config,
        [&](const AuditEvent& e) {
            if (e.kind != AuditEvent::Kind::Step)
                kinds.push_back(e.kind);
            if (e.kind == AuditEvent::Kind::Done)
                cancel = true;
        },
        cancel);
    QVERIFY(!first.finished);
    QCOMPARE(kinds,
        (std::vector<AuditEvent::Kind> { AuditEvent::Kind::Planned, AuditEvent::Kind::Started, AuditEvent::Kind::Done,
            AuditEvent::Kind::Finished }));
    AuditReport kept;
    QVERIFY(loadAudit(run, kept));
    QCOMPARE(kept.entries.size(), std::size_t(5));
    QCOMPARE(
        int(std::count_if(kept.entries.begin(), kept.entries.end(), [](const AuditEntry& e) { return e.done; })), 1);
    QVERIFY(kept.entries[0].done); // the fewest parameters first

    // Resumed: the other four are trained, the first is not trained again.
    int started = 0;
    std::atomic<bool> never { false };
    const AuditReport done = runAudit(
        run, config, [&](const AuditEvent& e) { started += e.kind == AuditEvent::Kind::Started; }, never);
    QCOMPARE(started, 4);
    QVERIFY(done.finished);
    QCOMPARE(done.entries[0].result.valLoss, kept.entries[0].result.valLoss);
    QCOMPARE(done.trained(), 4);
    const AuditEntry& huge = done.entries.back();
    QCOMPARE(huge.result.status, TrainResult::Status::Failed);
    QVERIFY(QString::fromStdString(huge.result.error).contains(q("out of memory")));
    QCOMPARE(done.decoderParams.n, 4);

    // The files: audit.json as the issue names its fields, audit.csv a row per architecture.
    const QJsonObject o = readJsonFile(QDir(run).filePath(q(kAuditJsonFile)));
    QVERIFY(o.value(q("spearman")).toObject().value(q("rho")).isDouble());
    QCOMPARE(o.value(q("spearman")).toObject().value(q("interval")).toArray().size(), 2);
    QVERIFY(o.value(q("kendall")).toObject().value(q("tau")).isDouble());
    QCOMPARE(o.value(q("spearman")).toObject().value(q("rho")).toDouble(), done.decoderParams.spearman);
    const QJsonArray archs = o.value(q("architectures")).toArray();
    QCOMPARE(archs.size(), 5);
    for (const QJsonValue& v : archs) {
        const QJsonObject a = v.toObject();
        for (const char* key : { "arch", "decoder_params", "total_params", "tokens_trained", "status" })
            QVERIFY2(a.contains(q(key)), key);
        if (a.value(q("status")).toString() == q("ok")) {
            QVERIFY(a.value(q("val_loss")).toDouble() > 0);
            QCOMPARE(a.value(q("val_ppl")).toDouble(), std::exp(a.value(q("val_loss")).toDouble()));
            QCOMPARE(a.value(q("tokens_trained")).toDouble(), double(8 * 16 * 20));
        }
    }
    // Misranked pairs are exactly those where more parameters gave a higher perplexity.
    int wrong = 0;
    for (std::size_t a = 0; a < 4; ++a)
        for (std::size_t b = 0; b < 4; ++b)
            wrong += done.entries[a].pick.decoderParams > done.entries[b].pick.decoderParams
                && done.entries[a].result.valPpl > done.entries[b].result.valPpl;
    QCOMPARE(int(done.misranked.size()), wrong);
    QCOMPARE(o.value(q("misranked")).toArray().size(), wrong);
    QFile csv(QDir(run).filePath(q(kAuditCsvFile)));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), 6);

    // Read back, the report is the same.
    AuditReport again;
    QVERIFY(loadAudit(run, again));
    QCOMPARE(again.entries.size(), done.entries.size());
    QCOMPARE(again.decoderParams.spearman, done.decoderParams.spearman);
    QCOMPARE(again.decoderParams.kendallInterval.lo, done.decoderParams.kendallInterval.lo);
    QCOMPARE(again.entries[2].result.curve.size(), done.entries[2].result.curve.size());

    // Other settings are refused, naming what differs; nothing is overwritten.
    AuditConfig other = config;
    other.train.lr = 1e-2;
    const QString refused = errorOf([&] { runAudit(run, other, {}, never); });
    QVERIFY2(refused.contains(q("audit.json")) && refused.contains(q("train")), qPrintable(refused));
    QVERIFY(loadAudit(run, again));
    QVERIFY(again.finished);
    // A corrupt audit.json names itself.
    writeFile(QDir(run).filePath(q(kAuditJsonFile)),
        "{\"format\": \"lts-audit/1\", \"settings\": {\"archs\": 4}, \"architectures\": 3}");
    const QString corrupt = errorOf([&] { loadAudit(run, again); });
    QVERIFY2(corrupt.contains(q("audit.json: architectures: must be an array")), qPrintable(corrupt));
}

QTEST_APPLESS_MAIN(TestAudit)
#include "tst_audit.moc"
