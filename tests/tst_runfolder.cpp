// Run folders: damaged or hostile candidates files are read with warnings, never fatally; a
// resumed writer repairs a cut line; a full disk is a clear error that leaves valid files.
#include "errors.h"
#include "jsonio.h"
#include "measurecache.h"
#include "runfolder.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace lts;

namespace {

Candidate sample(int id, int nLayer)
{
    Candidate c;
    c.id = id;
    c.arch = test::gpt2(nLayer, 64, 2, 128);
    c.decoderParams = decoderParams(c.arch);
    c.totalParams = countParams(c.arch).total();
    c.measurement.latencyMs = 1.0 + nLayer;
    c.measurement.peakMemoryMb = 2.0 * nLayer;
    return c;
}

QByteArray line(const Candidate& c)
{
    return QJsonDocument(candidateToJson(c)).toJson(QJsonDocument::Compact) + '\n';
}

RunInfo info()
{
    RunInfo i;
    i.config.space = test::tinySpace();
    return i;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TestRunFolder final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void damagedLinesAreSkipped();
    void missingOrBadSession();
    void resumeRepairsCutLine();
    void fullDiskIsAClearError();
    void hugeFilesAreRefusedUnread();
    void partTimingsKeptForTheSameDevice();
    void measurementCache();
};

void TestRunFolder::damagedLinesAreSkipped()
{
    QTemporaryDir dir;
    {
        RunWriter w(dir.path(), info(), false);
    }
    QByteArray nanLine = line(sample(3, 3));
    nanLine.replace("\"latency_ms\":4", "\"latency_ms\":null"); // what a NaN becomes in JSON
    QByteArray content = line(sample(1, 1)) + "garbage that is not json\n" + nanLine + line(sample(2, 2))
        + line(sample(1, 1)) /* listed twice */ + QByteArray(2 << 20, 'x') + '\n' /* a 2 MiB line */
        + line(sample(4, 4)) + "{\"id\": 5, \"arch\": {\"backb"; // cut short by a kill
    writeFile(QDir(dir.path()).filePath(QStringLiteral("candidates.jsonl")), content);
    const LoadedRun run = loadRun(dir.path());
    QCOMPARE(run.candidates.size(), std::size_t(3));
    QCOMPARE(run.candidates[0].id, 1);
    QCOMPARE(run.candidates[1].id, 2);
    QCOMPARE(run.candidates[2].id, 4);
    QCOMPARE(run.warnings.size(), std::size_t(5));
    QVERIFY(QString::fromStdString(run.warnings[1]).contains(QStringLiteral("latency_ms")));
    QVERIFY(QString::fromStdString(run.warnings[2]).contains(QStringLiteral("already listed")));
    QVERIFY(QString::fromStdString(run.warnings[3]).contains(QStringLiteral("longer than")));
    QVERIFY(QString::fromStdString(run.warnings[4]).contains(QStringLiteral("truncated last line")));
}

void TestRunFolder::missingOrBadSession()
{
    QTemporaryDir dir;
    try {
        loadRun(dir.path());
        QFAIL("a folder without session.json is no run");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("session.json"));
    }
    writeFile(QDir(dir.path()).filePath(QStringLiteral("session.json")),
        R"({"config": {"preset": "gpt2-lts", "device": {"repeats": 0}}})");
    try {
        loadRun(dir.path());
        QFAIL("an invalid configuration must be refused");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("session.json: config.device.repeats"));
    }
    QVERIFY_THROWS_EXCEPTION(InputError, loadRun(dir.filePath(QStringLiteral("nowhere"))));
}

void TestRunFolder::resumeRepairsCutLine()
{
    QTemporaryDir dir;
    const QString file = QDir(dir.path()).filePath(QStringLiteral("candidates.jsonl"));
    {
        RunWriter w(dir.path(), info(), false);
    }
    writeFile(file, line(sample(1, 1)) + line(sample(2, 2)) + "{\"id\": 3, \"ar");
    {
        RunWriter w(dir.path(), info(), true);
        SearchEvent e;
        e.kind = SearchEvent::Kind::Candidate;
        e.candidate = sample(3, 3);
        w.onEvent(e);
    }
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), line(sample(1, 1)) + line(sample(2, 2)) + line(sample(3, 3)));
    QCOMPARE(loadRun(dir.path()).warnings.size(), std::size_t(0));
}

void TestRunFolder::fullDiskIsAClearError()
{
    if (!QFile::exists(QStringLiteral("/dev/full")))
        QFAIL("/dev/full is needed to simulate a full disk");
    QTemporaryDir dir;
    QVERIFY(QFile::link(QStringLiteral("/dev/full"), QDir(dir.path()).filePath(QStringLiteral("candidates.jsonl"))));
    RunWriter w(dir.path(), info(), false);
    SearchEvent e;
    e.kind = SearchEvent::Kind::Candidate;
    e.candidate = sample(1, 1);
    try {
        w.onEvent(e);
        QFAIL("a write to a full disk must fail");
    } catch (const std::runtime_error& err) {
        QVERIFY2(QString::fromUtf8(err.what()).contains(QStringLiteral("cannot write")), err.what());
    }
    // What was written before stays valid: session.json was written atomically.
    QVERIFY(!readJsonFile(QDir(dir.path()).filePath(QStringLiteral("session.json"))).isEmpty());
}

void TestRunFolder::partTimingsKeptForTheSameDevice()
{
    QTemporaryDir dir;
    test::FakeMeasurer m;
    std::string note;
    QVERIFY(loadEstimateTable(dir.path(), m.fingerprint(), note).empty());
    QCOMPARE(QString::fromStdString(note), QStringLiteral("no part timings kept with the run"));
    {
        RunWriter w(dir.path(), info(), false);
        w.setMeasurer(&m);
        m.table = { { "head|d256", 12.5 }, { "ff|d256|1024", 0.75 } };
        SearchEvent e;
        e.kind = SearchEvent::Kind::Candidate;
        e.candidate = sample(1, 1);
        w.onEvent(e); // the table grew: parts.json is written with the candidate
    }
    const std::map<std::string, double> kept = loadEstimateTable(dir.path(), m.fingerprint(), note);
    QCOMPARE(kept, m.table);
    QCOMPARE(QString::fromStdString(note), QStringLiteral("2 part timings taken from the earlier run"));
    // Timings from another device or protocol are not used.
    QVERIFY(loadEstimateTable(dir.path(), "another device", note).empty());
    QVERIFY2(QString::fromStdString(note).contains(QStringLiteral("taken on fake device, not here")), note.c_str());
    // A damaged table is an error that names the entry.
    const QString parts = QDir(dir.path()).filePath(QStringLiteral("parts.json"));
    QFile::remove(parts);
    writeFile(parts, R"({"fingerprint": "fake device", "parts": {"head|d256": -3}})");
    try {
        loadEstimateTable(dir.path(), m.fingerprint(), note);
        QFAIL("a negative part timing must be refused");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("parts.json: parts.head|d256"));
    }
}

void TestRunFolder::measurementCache()
{
    QTemporaryDir dir;
    std::atomic<bool> never { false };
    test::FakeMeasurer m;
    m.failWhen = [](const ArchConfig& a) { return a.nLayer == 3; };
    const ArchConfig a = test::gpt2(2, 64, 2, 128), failing = test::gpt2(3, 64, 2, 128);
    QString file;
    {
        CachingMeasurer cache(m, dir.path());
        file = cache.filePath();
        QVERIFY(!cache.hasMeasurement(a));
        const Measurement first = cache.measure(a, never);
        QVERIFY(!first.fromDeviceCache);
        const Measurement again = cache.measure(a, never);
        QVERIFY(again.fromDeviceCache);
        QCOMPARE(again.latencyMs, first.latencyMs);
        QCOMPARE(m.calls, 1);
        cache.measure(failing, never);
        cache.measure(failing, never); // a failure is not kept: it may pass next time
        QCOMPARE(m.calls, 3);
        QCOMPARE(cache.hits(), 1);
        QVERIFY(cache.warning().empty());
    }
    // Another search on the same device: the measurement is known; a damaged line is skipped.
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"arch\": {\"backb");
    }
    CachingMeasurer later(m, dir.path());
    QCOMPARE(later.size(), 1);
    QCOMPARE(later.skippedLines(), 1);
    QVERIFY(later.hasMeasurement(a));
    QVERIFY(later.measure(a, never).fromDeviceCache);
    QCOMPARE(m.calls, 3);
    later.measure(test::gpt2(4, 64, 2, 128), never); // written after the cut line, on a line of its own
    QCOMPARE(CachingMeasurer(m, dir.path()).size(), 2);
}

void TestRunFolder::hugeFilesAreRefusedUnread()
{
    // A 1 GiB session.json (sparse: it costs no disk) is refused by its size, before reading.
    QTemporaryDir dir;
    QFile big(QDir(dir.path()).filePath(QStringLiteral("session.json")));
    QVERIFY(big.open(QIODevice::WriteOnly));
    QVERIFY(big.resize(qint64(1) << 30));
    big.close();
    try {
        loadRun(dir.path());
        QFAIL("a 1 GiB JSON file must be refused");
    } catch (const InputError& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("larger than")), e.what());
    }
    // A 256 MiB candidates file without a single newline is streamed and skipped, never held whole.
    {
        RunWriter w(dir.path(), info(), false);
    }
    QFile lines(QDir(dir.path()).filePath(QStringLiteral("candidates.jsonl")));
    QVERIFY(lines.open(QIODevice::WriteOnly));
    QVERIFY(lines.resize(qint64(256) << 20));
    lines.close();
    const LoadedRun run = loadRun(dir.path());
    QCOMPARE(run.candidates.size(), std::size_t(0));
    QCOMPARE(run.warnings.size(), std::size_t(1));
}

QTEST_APPLESS_MAIN(TestRunFolder)
#include "tst_runfolder.moc"
