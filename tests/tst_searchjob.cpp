// The search job behind both programs, on a fake measurer: a fresh run writes its folder, a
// stopped run resumes with nothing measured twice and the course of an uninterrupted run, a
// stop before the start counts, the device's cache answers a repeated search, and every failure
// (a foreign folder, a device that cannot measure, a full disk) is the error it should be.
#include "errors.h"
#include "jsonio.h"
#include "searchjob.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <set>
#include <thread>

using namespace lts;

namespace {

struct Recorder final : SearchObserver {
    void onEvent(const SearchEvent& e) override { events.push_back(e); }
    std::vector<std::string> messages(bool warnings) const
    {
        std::vector<std::string> out;
        for (const auto& e : events)
            if (e.kind == SearchEvent::Kind::Message && e.warning == warnings)
                out.push_back(e.message);
        return out;
    }
    int candidates(bool earlier) const
    {
        int n = 0;
        for (const auto& e : events)
            n += e.kind == SearchEvent::Kind::Candidate && e.fromEarlierRun == earlier;
        return n;
    }
    std::vector<SearchEvent> events;
};

SearchConfig smallConfig()
{
    SearchConfig c;
    c.space = preset("gpt2-lts");
    c.search.iterations = 5;
    c.search.parents = 4;
    c.search.mutants = 6;
    c.search.crossovers = 6;
    c.search.seed = 5;
    return c;
}

SearchJobParams jobOn(test::FakeMeasurer& m, const QString& folder)
{
    SearchJobParams p;
    p.folder = folder;
    p.config = smallConfig();
    p.makeMeasurer = [&m](const MeasureProtocol&) { return std::make_unique<test::BorrowedMeasurer>(m); };
    return p;
}

std::set<std::string> keysOf(const std::vector<Candidate>& all)
{
    std::set<std::string> k;
    for (const auto& c : all)
        k.insert(c.arch.key());
    return k;
}

bool anyContains(const std::vector<std::string>& lines, const char* text)
{
    for (const auto& l : lines)
        if (l.find(text) != std::string::npos)
            return true;
    return false;
}

} // namespace

class TestSearchJob final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_tmp.isValid()); }
    void freshRunWritesItsFolder();
    void resumeMeasuresNothingTwice();
    void cancelBeforeRunCounts();
    void overridesApplyToAResumedRun();
    void aKilledRunsClockGoesOn();
    void deviceCacheAnswersARepeatedSearch();
    void errorsNameTheirCause();
    void fullDiskStopsWithAClearError();
    void confirmationsReachTheFolder();

private:
    QTemporaryDir m_tmp;
};

void TestSearchJob::freshRunWritesItsFolder()
{
    test::FakeMeasurer m;
    const QString folder = m_tmp.filePath(QStringLiteral("fresh"));
    SearchJob job(jobOn(m, folder));
    Recorder rec;
    const SearchJobResult r = job.run(&rec);
    QCOMPARE(r.search.iterationsDone, 5);
    QCOMPARE(m.calls, int(r.search.candidates.size()));
    QVERIFY(anyContains(rec.messages(false), "evolution search on gpt2-lts (cpu), 1 thread(s), seed 5"));
    const LoadedRun run = loadRun(folder);
    QVERIFY(run.info.finished);
    QVERIFY(!run.info.cancelled);
    QCOMPARE(run.info.config.search.seed, std::uint64_t(5));
    QCOMPARE(keysOf(run.candidates), keysOf(r.search.candidates));
    QCOMPARE(run.candidates.size(), r.search.candidates.size());
}

void TestSearchJob::resumeMeasuresNothingTwice()
{
    // The uninterrupted course, for comparison.
    test::FakeMeasurer whole;
    const SearchJobResult full = SearchJob(jobOn(whole, m_tmp.filePath(QStringLiteral("whole")))).run(nullptr);

    // Stopped after 23 measurements (inside the second iteration), then resumed.
    const QString folder = m_tmp.filePath(QStringLiteral("stopped"));
    test::FakeMeasurer first;
    SearchJob stopped(jobOn(first, folder));
    first.onMeasure = [&](const ArchConfig&) {
        if (first.calls == 23)
            stopped.cancel();
    };
    const SearchJobResult part = stopped.run(nullptr);
    QVERIFY(part.search.cancelled);
    QVERIFY(loadRun(folder).info.cancelled);

    test::FakeMeasurer second;
    SearchJobParams again = jobOn(second, folder);
    again.resume = true;
    again.config = {}; // a resumed run reads its own configuration
    Recorder rec;
    const SearchJobResult resumed = SearchJob(again).run(&rec);
    QVERIFY(!resumed.search.cancelled);
    QCOMPARE(resumed.info.config.search.seed, std::uint64_t(5));
    QCOMPARE(rec.candidates(true), int(part.search.candidates.size())); // recalled, not measured
    // The fake counts the measurement the cancel cut short; the folder holds only whole ones.
    const std::set<std::string> measuredBefore = keysOf(part.search.candidates);
    QCOMPARE(int(measuredBefore.size()), first.calls - 1);
    for (const auto& [key, n] : second.perKey) {
        QCOMPARE(n, 1);
        QVERIFY2(!measuredBefore.count(key), key.c_str());
    }
    // The same course as the uninterrupted run, and a folder holding each architecture once.
    QCOMPARE(keysOf(resumed.search.candidates), keysOf(full.search.candidates));
    QCOMPARE(int(measuredBefore.size()) + second.calls, whole.calls);
    const LoadedRun run = loadRun(folder);
    QCOMPARE(run.candidates.size(), full.search.candidates.size());
    QCOMPARE(keysOf(run.candidates).size(), run.candidates.size());
    QVERIFY(run.info.finished && !run.info.cancelled);
}

void TestSearchJob::cancelBeforeRunCounts()
{
    test::FakeMeasurer m;
    const QString folder = m_tmp.filePath(QStringLiteral("early-stop"));
    SearchJob job(jobOn(m, folder));
    job.cancel();
    const SearchJobResult r = job.run(nullptr);
    QVERIFY(r.search.cancelled);
    QCOMPARE(m.calls, 0);
    const LoadedRun run = loadRun(folder);
    QVERIFY(run.info.cancelled);
    QVERIFY(run.candidates.empty());
}

void TestSearchJob::overridesApplyToAResumedRun()
{
    test::FakeMeasurer m;
    const QString folder = m_tmp.filePath(QStringLiteral("short"));
    SearchJobParams p = jobOn(m, folder);
    p.iterations = 2;
    const SearchJobResult two = SearchJob(p).run(nullptr);
    QCOMPARE(two.search.iterationsDone, 2);
    QCOMPARE(two.info.config.search.iterations, 2);

    test::FakeMeasurer more;
    SearchJobParams again = jobOn(more, folder);
    again.resume = true;
    again.iterations = 4;
    const SearchJobResult four = SearchJob(again).run(nullptr);
    QCOMPARE(four.search.iterationsDone, 4);
    QCOMPARE(loadRun(folder).info.config.search.iterations, 4);
    QCOMPARE(more.calls, int(four.search.candidates.size() - two.search.candidates.size()));
}

void TestSearchJob::aKilledRunsClockGoesOn()
{
    // A killed session leaves session.json as it was written at the start (elapsed_s 0); its
    // lines hold how long it ran. The resumed session's lines go on from the latest of them.
    const QString folder = m_tmp.filePath(QStringLiteral("killed-clock"));
    test::FakeMeasurer first;
    SearchJob killed(jobOn(first, folder));
    first.onMeasure = [&](const ArchConfig&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (first.calls == 23)
            killed.cancel();
    };
    killed.run(nullptr);
    const QString sessionFile = QDir(folder).filePath(QString::fromLatin1(kSessionFile));
    QJsonObject session = readJsonFile(sessionFile);
    session.insert(QStringLiteral("elapsed_s"), 0);
    session.insert(QStringLiteral("cancelled"), false);
    QFile f(sessionFile);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(session).toJson());
    f.close();
    const LoadedRun before = loadRun(folder);
    double lastBefore = 0;
    for (const Candidate& c : before.candidates)
        lastBefore = std::max(lastBefore, c.elapsedS);
    QVERIFY(lastBefore > 0.1); // 22 measurements of 5 ms and more
    QCOMPARE(before.info.elapsedS, lastBefore);

    test::FakeMeasurer second;
    SearchJobParams again = jobOn(second, folder);
    again.resume = true;
    const SearchJobResult resumed = SearchJob(again).run(nullptr);
    QVERIFY(second.calls > 0);
    std::set<std::string> old;
    for (const Candidate& c : before.candidates)
        old.insert(c.arch.key());
    int newer = 0;
    for (const Candidate& c : loadRun(folder).candidates) {
        if (old.count(c.arch.key()))
            continue;
        ++newer;
        QVERIFY2(c.elapsedS >= lastBefore, qPrintable(QString::number(c.elapsedS)));
    }
    QCOMPARE(newer, second.calls);
    QVERIFY(resumed.search.elapsedS >= lastBefore);
    QVERIFY(loadRun(folder).info.elapsedS >= lastBefore);
}

void TestSearchJob::deviceCacheAnswersARepeatedSearch()
{
    const QString cache = m_tmp.filePath(QStringLiteral("cache"));
    test::FakeMeasurer m1;
    SearchJobParams p1 = jobOn(m1, m_tmp.filePath(QStringLiteral("cached-1")));
    p1.cacheDir = cache;
    Recorder rec1;
    const SearchJobResult r1 = SearchJob(p1).run(&rec1);
    QVERIFY(anyContains(rec1.messages(false), ": 0 earlier measurements with this protocol"));
    QCOMPARE(r1.cacheHits, 0);

    test::FakeMeasurer m2;
    SearchJobParams p2 = jobOn(m2, m_tmp.filePath(QStringLiteral("cached-2")));
    p2.cacheDir = cache;
    Recorder rec2;
    const SearchJobResult r2 = SearchJob(p2).run(&rec2);
    QCOMPARE(m2.calls, 0); // the same seeded course, every measurement from the cache
    QCOMPARE(m2.confirms, 0); // and every confirmation, each recalled where the first search took it
    QVERIFY(m1.confirms > 0);
    QCOMPARE(r2.cacheHits, int(r1.search.candidates.size()) + m1.confirms);
    const std::string hits = std::to_string(r2.cacheHits) + " measurements taken from the device's cache";
    QVERIFY(anyContains(rec2.messages(false), hits.c_str()));
}

void TestSearchJob::errorsNameTheirCause()
{
    test::FakeMeasurer m;
    // A folder that cannot be created: InputError naming the caller's field.
    const QString file = m_tmp.filePath(QStringLiteral("a-file"));
    QFile blocker(file);
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    SearchJobParams p = jobOn(m, QDir(file).filePath(QStringLiteral("run")));
    p.folderField = "--out";
    try {
        SearchJob(p).run(nullptr);
        QFAIL("an uncreatable folder must be refused");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("--out"));
    }
    // Resuming what is not a run folder.
    SearchJobParams r = jobOn(m, m_tmp.filePath(QStringLiteral("nothing-here")));
    r.resume = true;
    QVERIFY_THROWS_EXCEPTION(InputError, SearchJob(r).run(nullptr));
    // A device that cannot measure: the factory's error, untouched.
    SearchJobParams d = jobOn(m, m_tmp.filePath(QStringLiteral("no-device")));
    d.makeMeasurer = [](const MeasureProtocol&) -> std::unique_ptr<Measurer> {
        throw InputError("device", "no CUDA device 7 on this machine");
    };
    try {
        SearchJob(d).run(nullptr);
        QFAIL("the factory's error must reach the caller");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("device"));
    }
    // A bad override names its field before anything is measured or written.
    SearchJobParams bad = jobOn(m, m_tmp.filePath(QStringLiteral("bad-override")));
    bad.iterations = 0;
    try {
        SearchJob(bad).run(nullptr);
        QFAIL("iterations 0 must be refused");
    } catch (const InputError& e) {
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("iterations"));
    }
    QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("bad-override"))));
    QCOMPARE(m.calls, 0);
}

void TestSearchJob::fullDiskStopsWithAClearError()
{
    test::FakeMeasurer m;
    const QString folder = m_tmp.filePath(QStringLiteral("full"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(QFile::link(QStringLiteral("/dev/full"), QDir(folder).filePath(QString::fromLatin1(kCandidatesFile))));
    Recorder rec;
    try {
        SearchJob(jobOn(m, folder)).run(&rec);
        QFAIL("a full disk must stop the job");
    } catch (const InputError&) {
        QFAIL("a full disk is not bad input");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("can no longer be written")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("No space left on device")), e.what());
    }
    QCOMPARE(rec.candidates(false), 1); // the observer saw the candidate the folder could not take
    QCOMPARE(m.calls, 1);
    QVERIFY(!loadRun(folder).info.finished);
}

void TestSearchJob::confirmationsReachTheFolder()
{
    // Lucky first measurements: the folder holds each frontier point's confirmation, which
    // loadRun takes over its first line, and the frontier files list confirmed points only.
    test::FakeMeasurer m;
    m.firstLuck = 0.4;
    m.estimateScale = 1.0;
    const QString folder = m_tmp.filePath(QStringLiteral("confirmed"));
    const SearchJobResult r = SearchJob(jobOn(m, folder)).run(nullptr);
    QVERIFY(m.confirms > 0);
    const LoadedRun run = loadRun(folder);
    QVERIFY2(run.warnings.empty(), run.warnings.empty() ? "" : run.warnings.front().c_str());
    QCOMPARE(run.candidates.size(), r.search.candidates.size());
    std::map<int, const Candidate*> byId;
    for (const auto& c : r.search.candidates)
        byId[c.id] = &c;
    int confirmed = 0;
    for (const auto& c : run.candidates) {
        const Candidate& want = *byId.at(c.id);
        QCOMPARE(c.measurement.confirmed, want.measurement.confirmed);
        QCOMPARE(c.measurement.latencyMs, want.measurement.latencyMs);
        QCOMPARE(c.measurement.firstLatencyMs, want.measurement.firstLatencyMs);
        confirmed += c.measurement.confirmed;
    }
    QCOMPARE(confirmed, m.confirms);
    QFile lines(QDir(folder).filePath(QStringLiteral("candidates.jsonl")));
    QVERIFY(lines.open(QIODevice::ReadOnly));
    QCOMPARE(int(lines.readAll().count('\n')), int(run.candidates.size()) + m.confirms);
    for (std::size_t i : frontierOf(run.candidates, run.info.config.search.objectives))
        QVERIFY(run.candidates[i].measurement.confirmed);
    QFile csv(QDir(folder).filePath(QStringLiteral("frontier.csv")));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = csv.readAll().trimmed().split('\n');
    const qsizetype confirmedColumn = rows.front().split(',').indexOf("confirmed");
    QVERIFY(confirmedColumn > 0);
    for (int i = 1; i < rows.size(); ++i)
        QVERIFY2(rows[i].split(',').value(confirmedColumn) == "yes", rows[i].constData());
    // The estimates' accuracy is kept with the run.
    QCOMPARE(run.info.latencyEstimate.samples, r.search.estimate.samples);
    QVERIFY(run.info.latencyEstimate.samples > 10);
    QCOMPARE(run.info.latencyEstimate.within10, r.search.estimate.within10);
    QCOMPARE(run.info.latencyEstimate.trusted, r.search.estimate.trusted);
}

QTEST_GUILESS_MAIN(TestSearchJob)
#include "tst_searchjob.moc"
