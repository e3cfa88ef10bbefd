// lts-search end to end: a real run on a tiny space, resume, eval, export, and every bad-input
// path (exit status 2, one clear line, nothing half-written).
#include "jsonio.h"
#include "paramcount.h"
#include "pareto.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <set>

using namespace lts;

namespace {

struct Result {
    int code = -1;
    QString out;
    QString err;
};

Result runCli(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(QStringLiteral(LTS_SEARCH_BIN), args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
        QString::fromUtf8(p.readAllStandardError()) };
}

// A search configuration on a space small enough to measure for real in seconds.
QByteArray tinyConfig(int iterations)
{
    return QStringLiteral(R"({
  "name": "tiny", "backbone": "gpt2",
  "n_layer": {"min": 1, "max": 3}, "d_model": [32, 64], "n_head": [2, 4], "d_inner": [64, 128, 192],
  "min_inner_ratio": 1.0, "div_val": 1, "d_embed": 32, "vocab_size": 500, "seq_len": 16,
  "params_min": 0, "params_max": 0,
  "search": {"iterations": %1, "parents": 2, "mutants": 4, "crossovers": 4, "seed": 5},
  "device": {"warmup": 1, "repeats": 3}
})")
        .arg(iterations)
        .toUtf8();
}

QList<QJsonObject> readLines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QJsonObject> out;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    return out;
}

// The candidates of a candidates.jsonl: a later line for the same id is its confirmation and
// replaces the first; `badRepeats` counts later lines that are not (another architecture under
// an id already used, or a repeat that is not confirmed).
QList<QJsonObject> records(const QList<QJsonObject>& lines, int* badRepeats = nullptr)
{
    QList<QJsonObject> out;
    std::map<int, qsizetype> at;
    int bad = 0;
    for (const QJsonObject& o : lines) {
        const int id = o.value(QStringLiteral("id")).toInt();
        const auto it = at.find(id);
        if (it == at.end()) {
            at[id] = out.size();
            out.append(o);
            continue;
        }
        bad += !o.value(QStringLiteral("confirmed")).toBool()
            || o.value(QStringLiteral("arch")) != out[it->second].value(QStringLiteral("arch"));
        out[it->second] = o;
    }
    if (badRepeats)
        *badRepeats = bad;
    return out;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TestCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void version();
    void presets();
    void runTinySearch();
    void auditTheTinyRun();
    void runDecodeSearch();
    void runInt8Search();
    void resumeAddsWithoutRemeasuring();
    void cacheMeasuresNothingTwice();
    void evalCounts();
    void exportHuggingFace();
    void badInput_data();
    void badInput();
    void refusesToOverwriteARun();
    void killThenResume();
    void fullDiskStopsCleanly();

private:
    QTemporaryDir m_tmp;
};

void TestCli::version()
{
    const Result r = runCli({ QStringLiteral("--version") });
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QStringLiteral("lts-search " LTS_VERSION)));
}

void TestCli::presets()
{
    const Result r = runCli({ QStringLiteral("presets") });
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains(QStringLiteral("gpt2-lts")));
    QVERIFY(r.out.contains(QStringLiteral("transformer-xl-lts")));
    const Result one = runCli({ QStringLiteral("presets"), QStringLiteral("gpt2-lts") });
    QCOMPARE(one.code, 0);
    // The printed configuration is a valid --space file.
    const SearchConfig c = searchConfigFromJson(parseJsonObject(one.out.toUtf8(), "stdout"));
    QCOMPARE(c.space.vocabSize, 50257);
}

void TestCli::runTinySearch()
{
    const QString space = m_tmp.filePath(QStringLiteral("tiny.json"));
    writeFile(space, tinyConfig(3));
    const QString out = m_tmp.filePath(QStringLiteral("run"));
    const Result r = runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out,
        QStringLiteral("--time-budget"), QStringLiteral("120") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("Pareto frontier")));
    QVERIFY(r.err.contains(QStringLiteral("iteration 2 done")));

    int badRepeats = -1;
    const QList<QJsonObject> lines =
        records(readLines(QDir(out).filePath(QStringLiteral("candidates.jsonl"))), &badRepeats);
    QCOMPARE(badRepeats, 0); // the only repeated lines are confirmations
    // A population of 10, or the 13 of the calibration sample when the estimates do not hold for
    // models this small (they take a tenth of a millisecond), then at most 4 mutants + 4
    // crossovers per iteration (identical parents breed nothing new, and which parents are drawn
    // depends on the measured latencies).
    std::map<int, int> perIteration;
    for (const QJsonObject& o : lines)
        ++perIteration[o.value(QStringLiteral("iteration")).toInt()];
    QCOMPARE(perIteration.size(), std::size_t(3));
    QVERIFY2(perIteration[0] >= 10 && perIteration[0] <= 13, qPrintable(QString::number(perIteration[0])));
    QVERIFY(perIteration[1] >= 4 && perIteration[1] <= 8);
    QVERIFY(perIteration[2] >= 4 && perIteration[2] <= 8);
    QVERIFY(r.out.contains(QStringLiteral(" of %1 candidates").arg(lines.size())));
    std::vector<Candidate> all;
    std::set<std::string> keys;
    for (const QJsonObject& o : lines) {
        for (const char* field : { "arch", "decoder_params", "total_params", "latency_ms", "peak_memory_mb", "status",
                 "iteration", "elapsed_s" })
            QVERIFY2(o.contains(QLatin1String(field)), field);
        all.push_back(candidateFromJson(o));
        QVERIFY(all.back().measurement.latencyMs > 0);
        QVERIFY(all.back().measurement.peakMemoryMb >= all.back().measurement.weightsMb);
        keys.insert(all.back().arch.key());
    }
    QCOMPARE(keys.size(), all.size());

    // frontier.json holds exactly the non-dominated candidates.
    const QJsonObject frontier = readJsonFile(QDir(out).filePath(QStringLiteral("frontier.json")));
    std::set<int> frontIds;
    for (const auto& v : frontier.value(QStringLiteral("frontier")).toArray())
        frontIds.insert(v.toObject().value(QStringLiteral("id")).toInt());
    std::set<int> expected;
    for (std::size_t i : frontierOf(all, { Objective::DecoderParams, Objective::Latency }))
        expected.insert(all[i].id);
    QCOMPARE(frontIds, expected);
    for (const auto& v : frontier.value(QStringLiteral("frontier")).toArray()) // reported as confirmed
        QVERIFY(v.toObject().value(QStringLiteral("confirmed")).toBool());
    QFile csv(QDir(out).filePath(QStringLiteral("frontier.csv")));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), qsizetype(expected.size() + 1));

    const QJsonObject session = readJsonFile(QDir(out).filePath(QStringLiteral("session.json")));
    QCOMPARE(session.value(QStringLiteral("finished")).toBool(), true);
    QCOMPARE(session.value(QStringLiteral("iterations_done")).toInt(), 3);
    QVERIFY(session.value(QStringLiteral("hypervolume")).toDouble() > 0);
    QVERIFY(!session.value(QStringLiteral("runtime")).toObject().value(QStringLiteral("blas")).toString().isEmpty());
    // The estimates' accuracy, as the CLI printed it.
    const QJsonObject latency =
        session.value(QStringLiteral("estimates")).toObject().value(QStringLiteral("latency")).toObject();
    QVERIFY(latency.value(QStringLiteral("samples")).toInt() > 0);
    const double within10 = latency.value(QStringLiteral("within_10pct")).toDouble(-1);
    QVERIFY(within10 >= 0 && within10 <= 1);
    QVERIFY(r.err.contains(QStringLiteral("%1% within +-10%").arg(std::lround(100 * within10))));
}

// A search on per-token decoding measures the generation protocol: every candidate's profile
// under the names of `eval --generate`, a frontier on decode confirmed, nothing screened.
void TestCli::runDecodeSearch()
{
    const QString space = m_tmp.filePath(QStringLiteral("tiny-decode.json"));
    writeFile(space, tinyConfig(2));
    const QString out = m_tmp.filePath(QStringLiteral("decode-run"));
    const Result r = runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out,
        QStringLiteral("--objectives"), QStringLiteral("params,decode"), QStringLiteral("--prompt"),
        QStringLiteral("8"), QStringLiteral("--new-tokens"), QStringLiteral("8"), QStringLiteral("--no-cache") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("screening is off for prefill and decode")), qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("decode_ms_per_token")), qPrintable(r.out));

    const QList<QJsonObject> lines = records(readLines(QDir(out).filePath(QStringLiteral("candidates.jsonl"))));
    QVERIFY(lines.size() >= 10);
    std::vector<Candidate> all;
    for (const QJsonObject& o : lines) {
        QVERIFY2(!o.contains(QStringLiteral("latency_ms")), "a generation times no scoring pass");
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        all.push_back(candidateFromJson(o));
        const Measurement& m = all.back().measurement;
        QVERIFY(m.generation && m.prefillMs > 0 && m.decodeMsPerToken > 0);
        QCOMPARE(m.decodeSteps, m.repeats * 7);
        QVERIFY2(m.peakMemoryMb >= m.weightsMb + m.cacheMb, qPrintable(QString::number(m.peakMemoryMb)));
        // Keys and values of every layer for 8 + 8 positions.
        QCOMPARE(m.cacheMb, 2.0 * all.back().arch.nLayer * 16 * all.back().arch.dModel * 4 / (1024.0 * 1024.0));
    }
    const QJsonObject frontier = readJsonFile(QDir(out).filePath(QStringLiteral("frontier.json")));
    std::set<int> frontIds;
    for (const auto& v : frontier.value(QStringLiteral("frontier")).toArray()) {
        frontIds.insert(v.toObject().value(QStringLiteral("id")).toInt());
        QVERIFY(v.toObject().value(QStringLiteral("confirmed")).toBool());
        QVERIFY(v.toObject().value(QStringLiteral("first_decode_ms_per_token")).toDouble() > 0);
    }
    std::set<int> expected;
    for (std::size_t i : frontierOf(all, { Objective::DecoderParams, Objective::Decode }))
        expected.insert(all[i].id);
    QCOMPARE(frontIds, expected);
    QFile csv(QDir(out).filePath(QStringLiteral("frontier.csv")));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QVERIFY(csv.readLine().contains("prefill_ms,prefill_iqr_ms,decode_ms_per_token,decode_iqr_ms,tokens_per_s,"
                                    "generation_peak_memory_mb,cache_mb"));
    const QJsonObject device = readJsonFile(QDir(out).filePath(QStringLiteral("session.json")))
                                   .value(QStringLiteral("config"))
                                   .toObject()
                                   .value(QStringLiteral("device"))
                                   .toObject();
    QCOMPARE(device.value(QStringLiteral("workload")).toString(), QStringLiteral("generate"));
    QCOMPARE(device.value(QStringLiteral("new_tokens")).toInt(), 8);
}

// A search measured in int8: every candidate is built, quantised and timed in it (the parts of
// the latency estimate too), and the precision is recorded with the run.
void TestCli::runInt8Search()
{
    const QString space = m_tmp.filePath(QStringLiteral("tiny-int8.json"));
    writeFile(space, tinyConfig(2));
    const QString out = m_tmp.filePath(QStringLiteral("int8-run"));
    const Result r = runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out,
        QStringLiteral("--precision"), QStringLiteral("int8"), QStringLiteral("--no-cache") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QList<QJsonObject> lines = records(readLines(QDir(out).filePath(QStringLiteral("candidates.jsonl"))));
    QVERIFY(lines.size() >= 10);
    int measured = 0;
    for (const QJsonObject& o : lines) {
        const Candidate c = candidateFromJson(o);
        QVERIFY2(c.status != Candidate::Status::Failed, qPrintable(QString::fromStdString(c.measurement.error)));
        if (c.status != Candidate::Status::Ok)
            continue;
        ++measured;
        // the decoder's linear weights are no longer 4 bytes each
        const ParamBreakdown p = countParams(c.arch);
        const double floatMb = double(p.total()) * 4 / (1024.0 * 1024.0);
        const double linearMb = double(p.attention + p.feedForward) / (1024.0 * 1024.0);
        QVERIFY2(c.measurement.weightsMb < floatMb - linearMb, qPrintable(QString::number(c.measurement.weightsMb)));
        QVERIFY(c.measurement.latencyMs > 0);
    }
    QVERIFY(measured >= 5);
    const QJsonObject device = readJsonFile(QDir(out).filePath(QStringLiteral("session.json")))
                                   .value(QStringLiteral("config"))
                                   .toObject()
                                   .value(QStringLiteral("device"))
                                   .toObject();
    QCOMPARE(device.value(QStringLiteral("precision")).toString(), QStringLiteral("int8"));
}

void TestCli::auditTheTinyRun()
{
    const QString run = m_tmp.filePath(QStringLiteral("run")); // runTinySearch's
    const QString text = m_tmp.filePath(QStringLiteral("corpus.txt"));
    QByteArray corpus;
    for (unsigned i = 0; corpus.size() < 30000; ++i)
        corpus += QByteArray::number((i * 2654435761u) % 97) + (i % 11 == 10 ? ".\n" : " ");
    writeFile(text, corpus);
    const QStringList audit { QStringLiteral("audit"), run, QStringLiteral("--text"), text, QStringLiteral("--archs"),
        QStringLiteral("3"), QStringLiteral("--tokens"), QStringLiteral("2048") };
    const Result r = runCli(audit);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("decoder params   Spearman rho")), qPrintable(r.out));
    QVERIFY(r.err.contains(QStringLiteral("[3/3] id ")));
    const QJsonObject o = readJsonFile(QDir(run).filePath(QStringLiteral("audit.json")));
    QCOMPARE(o.value(QStringLiteral("architectures")).toArray().size(), 3);
    QVERIFY(o.value(QStringLiteral("finished")).toBool());
    const double rho = o.value(QStringLiteral("spearman")).toObject().value(QStringLiteral("rho")).toDouble();
    QVERIFY(r.out.contains(QString::asprintf("Spearman rho %6.3f", rho)));
    // Run again with the same settings: nothing is trained twice. With others: refused, exit 2.
    const Result again = runCli(audit);
    QCOMPARE(again.code, 0);
    QVERIFY(again.err.contains(QStringLiteral("(3 already trained)")));
    QVERIFY(!again.err.contains(QStringLiteral("[1/3] id ")));
    const Result other = runCli(audit + QStringList { QStringLiteral("--seed"), QStringLiteral("9") });
    QCOMPARE(other.code, 2);
    QVERIFY2(other.err.contains(QStringLiteral("audit.json: holds an audit with other settings (train")),
        qPrintable(other.err));
    const Result both = runCli(audit + QStringList { QStringLiteral("--time-budget"), QStringLiteral("60") });
    QCOMPARE(both.code, 2);
    QVERIFY(both.err.contains(QStringLiteral("--tokens: give --tokens or --time-budget, not both")));
    const Result noText = runCli({ QStringLiteral("audit"), run });
    QCOMPARE(noText.code, 2);
    QVERIFY(noText.err.contains(QStringLiteral("--text: is required")));
}

void TestCli::resumeAddsWithoutRemeasuring()
{
    const QString space = m_tmp.filePath(QStringLiteral("tiny2.json"));
    writeFile(space, tinyConfig(2));
    const QString out = m_tmp.filePath(QStringLiteral("resumed"));
    Result r = runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString file = QDir(out).filePath(QStringLiteral("candidates.jsonl"));
    const QList<QJsonObject> beforeLines = readLines(file), before = records(beforeLines);
    QVERIFY(before.size() >= 14);
    r = runCli({ QStringLiteral("run"), QStringLiteral("--resume"), out, QStringLiteral("--iterations"),
        QStringLiteral("4") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.err.contains(QStringLiteral("%1 candidates taken from the earlier run").arg(before.size())));
    const QList<QJsonObject> afterLines = readLines(file);
    int badRepeats = -1;
    const QList<QJsonObject> after = records(afterLines, &badRepeats);
    QCOMPARE(badRepeats, 0);
    QVERIFY(after.size() >= before.size() + 8);
    for (const auto& o : after.mid(before.size()))
        QVERIFY(o.value(QStringLiteral("iteration")).toInt() >= 2);
    for (int i = 0; i < beforeLines.size(); ++i)
        QCOMPARE(afterLines[i], beforeLines[i]); // earlier lines untouched
    std::set<QByteArray> keys;
    for (const auto& o : after)
        keys.insert(QJsonDocument(o.value(QStringLiteral("arch")).toObject()).toJson(QJsonDocument::Compact));
    QCOMPARE(int(keys.size()), after.size()); // nothing measured twice
    QCOMPARE(readJsonFile(QDir(out).filePath(QStringLiteral("session.json")))
                 .value(QStringLiteral("iterations_done"))
                 .toInt(),
        4);
}

void TestCli::cacheMeasuresNothingTwice()
{
    // A second search with the same seed on the same machine and protocol takes every
    // measurement from the device's cache; another protocol has a cache of its own.
    const QString space = m_tmp.filePath(QStringLiteral("tiny-cache.json"));
    writeFile(space, tinyConfig(2));
    const QString cache = m_tmp.filePath(QStringLiteral("cache"));
    auto run = [&](const QString& name, const QStringList& extra) {
        const QString out = m_tmp.filePath(name);
        const Result r = runCli(QStringList { QStringLiteral("run"), QStringLiteral("--space"), space,
                                    QStringLiteral("--out"), out, QStringLiteral("--cache-dir"), cache }
            + extra);
        return std::make_pair(r, readLines(QDir(out).filePath(QStringLiteral("candidates.jsonl"))));
    };
    const auto [r1, first] = run(QStringLiteral("cache-run1"), {});
    QVERIFY2(r1.code == 0, qPrintable(r1.err));
    QVERIFY2(r1.err.contains(QStringLiteral(": 0 earlier measurements with this protocol")), qPrintable(r1.err));
    auto archOf = [](const QJsonObject& o) {
        return QJsonDocument(o.value(QStringLiteral("arch")).toObject()).toJson(QJsonDocument::Compact);
    };
    // Each architecture's lines in order: its first measurement, then its confirmation if any.
    std::map<QByteArray, std::vector<double>> latencyOf;
    for (const auto& o : first) {
        QVERIFY(!o.contains(QStringLiteral("from_cache")));
        if (o.value(QStringLiteral("status")).toString() == QStringLiteral("ok"))
            latencyOf[archOf(o)].push_back(o.value(QStringLiteral("latency_ms")).toDouble());
    }
    QVERIFY(latencyOf.size() >= 5);

    const auto [r2, second] = run(QStringLiteral("cache-run2"), {});
    QVERIFY2(r2.code == 0, qPrintable(r2.err));
    QVERIFY2(r2.err.contains(QStringLiteral(": %1 earlier measurements").arg(latencyOf.size())), qPrintable(r2.err));
    std::map<QByteArray, std::vector<double>> recalled;
    for (const auto& o : second) {
        if (o.value(QStringLiteral("status")).toString() != QStringLiteral("ok"))
            continue;
        QVERIFY(o.value(QStringLiteral("from_cache")).toBool());
        recalled[archOf(o)].push_back(o.value(QStringLiteral("latency_ms")).toDouble());
    }
    QCOMPARE(recalled, latencyOf); // the same lines: first measurements, then the same confirmations
    int lines = 0;
    for (const auto& [arch, latencies] : recalled)
        lines += int(latencies.size());
    QVERIFY2(r2.err.contains(QStringLiteral("%1 measurements taken from the device's cache").arg(lines)),
        qPrintable(r2.err));

    const auto [r3, third] =
        run(QStringLiteral("cache-run3"), { QStringLiteral("--min-repeats"), QStringLiteral("2") });
    QVERIFY2(r3.code == 0, qPrintable(r3.err));
    QVERIFY2(r3.err.contains(QStringLiteral(": 0 earlier measurements with this protocol")), qPrintable(r3.err));
    for (const auto& o : third)
        QVERIFY(!o.contains(QStringLiteral("from_cache")));
}

void TestCli::evalCounts()
{
    const QString hf = m_tmp.filePath(QStringLiteral("config.json"));
    writeFile(hf, R"({"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null})");
    const Result r = runCli({ QStringLiteral("eval"), hf, QStringLiteral("--no-measure") });
    QCOMPARE(r.code, 0);
    const QJsonObject o = parseJsonObject(r.out.toUtf8(), "stdout");
    QCOMPARE(o.value(QStringLiteral("total_params")).toDouble(), 124439808.0);
    QCOMPARE(o.value(QStringLiteral("decoder_params")).toDouble(), 124439808.0 - 50257 * 768 - 1024 * 768);
    QCOMPARE(o.value(QStringLiteral("dialect")).toString(), QStringLiteral("huggingface-gpt2"));

    const QString small = m_tmp.filePath(QStringLiteral("small.json"));
    writeFile(small, R"({"backbone": "transformer-xl", "n_layer": 2, "d_model": 64, "n_head": 2, "d_inner": 128,
                         "vocab_size": 1000, "seq_len": 16, "mem_len": 16})");
    const Result m = runCli({ QStringLiteral("eval"), small, QStringLiteral("--repeats"), QStringLiteral("3") });
    QVERIFY2(m.code == 0, qPrintable(m.err));
    const QJsonObject mo = parseJsonObject(m.out.toUtf8(), "stdout").value(QStringLiteral("measurement")).toObject();
    QCOMPARE(mo.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(mo.value(QStringLiteral("repeats")).toInt(), 3);
    QVERIFY(mo.value(QStringLiteral("latency_ms")).toDouble() > 0);

    // --generate: the generation profile under the names candidates.jsonl will use.
    const QString gpt = m_tmp.filePath(QStringLiteral("gpt.json"));
    writeFile(gpt, R"({"backbone": "gpt2", "n_layer": 2, "d_model": 64, "n_head": 2, "d_inner": 128,
                       "vocab_size": 1000, "seq_len": 32})");
    const Result g = runCli(
        { QStringLiteral("eval"), gpt, QStringLiteral("--generate"), QStringLiteral("--prompt"), QStringLiteral("16"),
            QStringLiteral("--new-tokens"), QStringLiteral("8"), QStringLiteral("--repeats"), QStringLiteral("3") });
    QVERIFY2(g.code == 0, qPrintable(g.err));
    const QJsonObject gdoc = parseJsonObject(g.out.toUtf8(), "stdout");
    const QJsonObject go = gdoc.value(QStringLiteral("measurement")).toObject();
    QCOMPARE(go.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    const QJsonObject gp = gdoc.value(QStringLiteral("protocol")).toObject();
    QCOMPARE(gp.value(QStringLiteral("workload")).toString(), QStringLiteral("generate"));
    QCOMPARE(gp.value(QStringLiteral("prompt")).toInt(), 16);
    QCOMPARE(gp.value(QStringLiteral("new_tokens")).toInt(), 8);
    QCOMPARE(go.value(QStringLiteral("decode_steps")).toInt(), go.value(QStringLiteral("repeats")).toInt() * 7);
    for (const char* key : { "prefill_ms", "decode_ms_per_token", "tokens_per_s", "generation_peak_memory_mb" })
        QVERIFY2(go.value(QString::fromLatin1(key)).toDouble() > 0, key);
    QVERIFY(!go.contains(QStringLiteral("latency_ms"))); // no scoring pass was timed
    // The generation knobs without a generation: refused, naming the option.
    const Result stray = runCli({ QStringLiteral("eval"), gpt, QStringLiteral("--prompt"), QStringLiteral("8") });
    QCOMPARE(stray.code, 2);
    QVERIFY2(stray.err.contains(QStringLiteral("--prompt")), qPrintable(stray.err));
    // More tokens than the model has positions: refused, naming both knobs.
    const Result tooLong = runCli({ QStringLiteral("eval"), gpt, QStringLiteral("--generate"),
        QStringLiteral("--prompt"), QStringLiteral("30"), QStringLiteral("--new-tokens"), QStringLiteral("8") });
    QCOMPARE(tooLong.code, 2);
    QVERIFY2(tooLong.err.contains(QStringLiteral("prompt (30) + new tokens (8)")), qPrintable(tooLong.err));
}

void TestCli::exportHuggingFace()
{
    const QString arch = m_tmp.filePath(QStringLiteral("arch.json"));
    writeFile(arch, R"({"backbone": "gpt2", "n_layer": 4, "d_model": 256, "n_head": 4, "d_inner": 1024,
                        "vocab_size": 50257, "seq_len": 192})");
    const QString out = m_tmp.filePath(QStringLiteral("hf/config.json"));
    QDir().mkpath(m_tmp.filePath(QStringLiteral("hf")));
    Result r = runCli({ QStringLiteral("export"), arch, QStringLiteral("--format"), QStringLiteral("hf"),
        QStringLiteral("--out"), out });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject hf = readJsonFile(out);
    QCOMPARE(hf.value(QStringLiteral("n_inner")).toInt(), 1024);
    QCOMPARE(hf.value(QStringLiteral("n_embd")).toInt(), 256);

    writeFile(arch, R"({"backbone": "gpt2", "n_layer": 2, "d_model": 256, "n_head": 4, "d_inner": [1024, 512],
                        "vocab_size": 50257, "seq_len": 192})");
    r = runCli({ QStringLiteral("export"), arch, QStringLiteral("--format"), QStringLiteral("hf"),
        QStringLiteral("--out"), m_tmp.filePath(QStringLiteral("hf/flex.json")) });
    QVERIFY2(r.code == 0, qPrintable(r.err)); // per-layer sizes: Archai's gpt2-flex config
    const QJsonObject flex = readJsonFile(m_tmp.filePath(QStringLiteral("hf/flex.json")));
    QCOMPARE(flex.value(QStringLiteral("model_type")).toString(), QStringLiteral("gpt2-flex"));
    QCOMPARE(flex.value(QStringLiteral("n_inner")).toArray(), (QJsonArray { 1024, 512 }));

    writeFile(arch, R"({"backbone": "transformer-xl", "n_layer": 2, "d_model": 256, "n_head": 4, "d_inner": 512,
                        "vocab_size": 50257, "seq_len": 192, "mem_len": 192})");
    r = runCli({ QStringLiteral("export"), arch, QStringLiteral("--format"), QStringLiteral("hf"),
        QStringLiteral("--out"), m_tmp.filePath(QStringLiteral("hf/other.json")) });
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("backbone")), qPrintable(r.err));
    QVERIFY(!QFile::exists(m_tmp.filePath(QStringLiteral("hf/other.json"))));
}

void TestCli::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("fileContent"); // written to bad.json when not empty
    QTest::addColumn<QString>("expected");
    const QString out = QStringLiteral("--out=%1");
    QTest::newRow("unknown command") << QStringList { QStringLiteral("train") } << QByteArray() << "unknown command";
    QTest::newRow("unknown option") << QStringList { QStringLiteral("run"), QStringLiteral("--fast") } << QByteArray()
                                    << "fast";
    QTest::newRow("no out") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts") }
                            << QByteArray() << "--out";
    QTest::newRow("unknown preset") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=bert"), out }
                                    << QByteArray() << "preset";
    QTest::newRow("both sources") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--space=bad.json"), out }
                                  << QByteArray("{}") << "--preset/--space";
    QTest::newRow("malformed json") << QStringList { QStringLiteral("run"), QStringLiteral("--space=bad.json"), out }
                                    << QByteArray("{\"preset\": ") << "not valid JSON";
    QTest::newRow("wrong type") << QStringList { QStringLiteral("run"), QStringLiteral("--space=bad.json"), out }
                                << QByteArray(R"({"preset": "gpt2-lts", "seq_len": "long"})") << "seq_len";
    QTest::newRow("bad threads") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--threads=0"), out }
                                 << QByteArray() << "--threads";
    QTest::newRow("bad objectives") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--objectives=speed"), out }
                                    << QByteArray() << "--objectives";
    QTest::newRow("latency with decode") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--objectives=params,latency,decode"), out }
                                         << QByteArray() << "--objectives";
    QTest::newRow("generation beyond seq_len")
        << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
               QStringLiteral("--objectives=params,decode"), QStringLiteral("--new-tokens=100"), out }
        << QByteArray() << "prompt (128) + new tokens (100) exceed the space's seq_len";
    QTest::newRow("prompt without generation")
        << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"), QStringLiteral("--prompt=8"), out }
        << QByteArray() << "--prompt";
    QTest::newRow("latency ceiling with decode")
        << QStringList { QStringLiteral("run"), QStringLiteral("--space=bad.json"),
               QStringLiteral("--objectives=params,decode"), out }
        << QByteArray(R"({"preset": "gpt2-lts", "latency_ceiling_ms": 50})") << "latency_ceiling_ms";
    QTest::newRow("workload against objectives")
        << QStringList { QStringLiteral("run"), QStringLiteral("--space=bad.json"), out }
        << QByteArray(R"({"preset": "gpt2-lts", "device": {"workload": "generate"}})") << "device.workload";
    QTest::newRow("fp16 on a cpu") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--precision=fp16"), out }
                                   << QByteArray() << "precision: fp16 runs on CUDA devices only";
    QTest::newRow("unknown precision") << QStringList { QStringLiteral("eval"), QStringLiteral("bad.json"),
        QStringLiteral("--precision=half") }
                                       << QByteArray(R"({"backbone": "gpt2", "n_layer": 1, "d_model": 8, "n_head": 2,
                                              "d_inner": 8, "vocab_size": 10, "seq_len": 4})")
                                       << "--precision";
    QTest::newRow("precision in a file") << QStringList { QStringLiteral("run"), QStringLiteral("--space=bad.json"),
        out } << QByteArray(R"({"preset": "gpt2-lts", "device": {"precision": "int4"}})")
                                         << "device.precision";
    QTest::newRow("no cuda") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--device=cuda:7"), out }
                             << QByteArray() << "device";
    QTest::newRow("unwritable out") << QStringList { QStringLiteral("run"), QStringLiteral("--preset=gpt2-lts"),
        QStringLiteral("--out=/proc/lts-run") }
                                    << QByteArray() << "--out";
    QTest::newRow("eval bad arch")
        << QStringList { QStringLiteral("eval"), QStringLiteral("bad.json") }
        << QByteArray(
               R"({"backbone": "gpt2", "n_layer": 2, "d_model": 60, "n_head": 8, "d_inner": 64, "vocab_size": 10, "seq_len": 4})")
        << "n_head[0]";
    QTest::newRow("eval missing file") << QStringList { QStringLiteral("eval"), QStringLiteral("missing.json") }
                                       << QByteArray() << "missing.json";
    QTest::newRow("resume not a run") << QStringList { QStringLiteral("run"), QStringLiteral("--resume=.") }
                                      << QByteArray() << "session.json";
}

void TestCli::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, fileContent);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(QDir::setCurrent(dir.path()));
    if (!fileContent.isEmpty())
        writeFile(QStringLiteral("bad.json"), fileContent);
    for (QString& a : args)
        if (a.contains(QLatin1String("%1")))
            a = a.arg(dir.filePath(QStringLiteral("out")));
    const Result r = runCli(args);
    QCOMPARE(r.code, 2);
    const QStringList lines = r.err.trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.front().contains(expected), qPrintable(lines.front()));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("out/candidates.jsonl")))); // nothing half-written
}

void TestCli::refusesToOverwriteARun()
{
    const QString space = m_tmp.filePath(QStringLiteral("tiny3.json"));
    writeFile(space, tinyConfig(1));
    const QString out = m_tmp.filePath(QStringLiteral("taken"));
    QCOMPARE(runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out }).code, 0);
    const QByteArray before = [&] {
        QFile f(QDir(out).filePath(QStringLiteral("candidates.jsonl")));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    const Result again =
        runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out });
    QCOMPARE(again.code, 2);
    QVERIFY(again.err.contains(QStringLiteral("already holds a run")));
    QFile f(QDir(out).filePath(QStringLiteral("candidates.jsonl")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
}

void TestCli::killThenResume()
{
    // SIGKILL mid-run, as a crash or a power cut would; then a truncated line, as a kill during a
    // write would leave. Resuming keeps every finished candidate once and measures none again.
    const QString space = m_tmp.filePath(QStringLiteral("slow.json"));
    QByteArray config = tinyConfig(3);
    config.replace("\"repeats\": 3", "\"repeats\": 200"); // slow enough to be caught mid-run
    writeFile(space, config);
    const QString out = m_tmp.filePath(QStringLiteral("killed"));
    const QString file = QDir(out).filePath(QStringLiteral("candidates.jsonl"));
    QProcess p;
    p.start(QStringLiteral(LTS_SEARCH_BIN),
        { QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out });
    QTRY_VERIFY_WITH_TIMEOUT(readLines(file).size() >= 4, 60000);
    p.kill(); // SIGKILL
    p.waitForFinished();
    QFile f(file);
    QVERIFY(f.open(QIODevice::Append));
    f.write("{\"id\": 99, \"arch\": {\"backbone\": \"gp"); // a write cut short
    f.close();
    const QList<QJsonObject> beforeLines = readLines(file).mid(0, readLines(file).size() - 1);
    const QList<QJsonObject> before = records(beforeLines);
    QVERIFY(before.size() >= 4);

    const Result r = runCli({ QStringLiteral("run"), QStringLiteral("--resume"), out });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.err.contains(QStringLiteral("truncated last line")));
    QVERIFY(r.err.contains(QStringLiteral("%1 candidates taken from the earlier run").arg(before.size())));
    const QList<QJsonObject> afterLines = readLines(file);
    for (int i = 0; i < beforeLines.size(); ++i)
        QCOMPARE(afterLines[i], beforeLines[i]);
    int badRepeats = -1;
    const QList<QJsonObject> after = records(afterLines, &badRepeats);
    QCOMPARE(badRepeats, 0);
    std::set<QByteArray> keys;
    for (const auto& o : after) {
        QVERIFY(o.contains(QStringLiteral("latency_ms"))); // the broken line is gone
        keys.insert(QJsonDocument(o.value(QStringLiteral("arch")).toObject()).toJson(QJsonDocument::Compact));
    }
    QCOMPARE(int(keys.size()), after.size());
    QVERIFY(after.size() >= 10 + 4 + 4);
    QCOMPARE(
        readJsonFile(QDir(out).filePath(QStringLiteral("session.json"))).value(QStringLiteral("finished")).toBool(),
        true);
}

void TestCli::fullDiskStopsCleanly()
{
    const QString space = m_tmp.filePath(QStringLiteral("full.json"));
    writeFile(space, tinyConfig(1));
    const QString out = m_tmp.filePath(QStringLiteral("full"));
    QVERIFY(QDir().mkpath(out));
    QVERIFY(QFile::link(QStringLiteral("/dev/full"), QDir(out).filePath(QStringLiteral("candidates.jsonl"))));
    const Result r = runCli({ QStringLiteral("run"), QStringLiteral("--space"), space, QStringLiteral("--out"), out });
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral("No space left on device")), qPrintable(r.err));
    // What was written stays valid.
    QCOMPARE(
        readJsonFile(QDir(out).filePath(QStringLiteral("session.json"))).value(QStringLiteral("finished")).toBool(),
        false);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
