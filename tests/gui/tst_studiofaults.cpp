// Faults around lts-studio's searches: Start/Stop/Start, closing the window in the middle of a
// measurement, and a SIGKILL of the whole program followed by a resume with lts-search.
#include "configpanel.h"
#include "guitestutil.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "runfolder.h"

#include <QAbstractButton>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QMessageBox>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>

#include <map>
#include <set>

using namespace studio;

namespace {

constexpr int kSearchTimeoutMs = 60000;

// Threads of this process named like the search worker's QThread.
int searchThreads()
{
    int n = 0;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "lts-search")
            ++n;
    }
    return n;
}

// Every line of the folder's candidates file is a whole candidate; session.json says it ended.
void checkFolderWhole(const QString& folder)
{
    const lts::LoadedRun run = lts::loadRun(folder);
    QVERIFY2(run.warnings.empty(), run.warnings.empty() ? "" : run.warnings.front().c_str());
    QVERIFY(run.info.finished);
    QVERIFY(run.info.cancelled);
    QVERIFY(!run.candidates.empty());
    QDir dir(folder);
    for (const QString& name : dir.entryList(QDir::Files))
        QVERIFY2(!name.contains(QLatin1Char('~')) && !name.endsWith(QStringLiteral(".tmp")), qPrintable(name));
}

QList<QByteArray> lines(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> out;
    for (const QByteArray& l : f.readAll().split('\n'))
        if (!l.isEmpty())
            out.append(l);
    return out;
}

// A resumed candidates file: every line whole, the killed run's lines unchanged, no
// architecture measured twice (a later line for a candidate is only ever its confirmation).
void checkResumedLines(const QList<QByteArray>& before, const QList<QByteArray>& after)
{
    std::set<QByteArray> archs;
    std::map<int, QByteArray> archOf; // by candidate id
    for (int i = 0; i < after.size(); ++i) {
        const QJsonObject o = QJsonDocument::fromJson(after[i]).object();
        QVERIFY2(!o.isEmpty(), after[i].constData()); // every line whole
        if (i < before.size() && QJsonDocument::fromJson(before[i]).isObject())
            QCOMPARE(after[i], before[i]); // nothing rewritten
        const QByteArray arch =
            QJsonDocument(o.value(QStringLiteral("arch")).toObject()).toJson(QJsonDocument::Compact);
        const int id = o.value(QStringLiteral("id")).toInt();
        if (const auto it = archOf.find(id); it != archOf.end()) {
            QCOMPARE(it->second, arch);
            QVERIFY(o.value(QStringLiteral("confirmed")).toBool());
            continue;
        }
        archOf[id] = arch;
        QVERIFY2(archs.insert(arch).second, arch.constData()); // nothing measured twice
    }
}

} // namespace

class TestStudioFaults final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings("tst_studiofaults"); }

    void startStopStartLeavesNothingBehind()
    {
        MainWindow w;
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QStringList folders;
        for (int round = 0; round < 3; ++round) {
            folders << m_dir.filePath(QStringLiteral("cycle-%1").arg(round));
            w.configPanel()->setConfig(test::slowConfig());
            w.configPanel()->setOutputFolder(folders.back());
            QVERIFY2(test::startFromAction(w), qPrintable(w.lastError()));
            QTRY_COMPARE(searchThreads(), 1); // the worker names its thread once it runs
            QTRY_VERIFY_WITH_TIMEOUT(w.store()->layer(0).candidates.size() >= 1, kSearchTimeoutMs);
            w.stopAction()->trigger();
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), round + 1, 10000);
            QVERIFY(!w.isSearchRunning());
            QTRY_COMPARE(searchThreads(), 0);
        }
        for (const QString& folder : folders)
            checkFolderWhole(folder);
    }

    void closingMidMeasurementStopsCleanly()
    {
        auto* w = new MainWindow;
        w->setAttribute(Qt::WA_DeleteOnClose);
        const QString folder = m_dir.filePath(QStringLiteral("closed"));
        lts::SearchConfig c = test::slowConfig();
        w->configPanel()->setConfig(c);
        w->configPanel()->setOutputFolder(folder);
        w->show();
        QVERIFY(test::startFromAction(*w));
        QTRY_VERIFY_WITH_TIMEOUT(w->store()->layer(0).candidates.size() >= 1, kSearchTimeoutMs);
        // The window asks before stopping a running search; answer Yes as a user would.
        bool asked = false;
        QTimer::singleShot(300, [&asked] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) {
                    asked = true;
                    box->button(QMessageBox::Yes)->click();
                }
        });
        QPointer<MainWindow> alive(w);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(w->close());
        QTRY_VERIFY(alive.isNull()); // deleted on close
        QVERIFY(asked);
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(searchThreads(), 0);
        checkFolderWhole(folder);
    }

    void killedStudioRunResumesWithLtsSearch()
    {
        // A real lts-studio process, killed with SIGKILL mid-run; lts-search resumes its folder.
        const QString config = writeKillConfig(QStringLiteral("kill.json"));
        QVERIFY(!config.isEmpty());
        const QString folder = m_dir.filePath(QStringLiteral("killed"));
        const QString file = QDir(folder).filePath(QString::fromLatin1(lts::kCandidatesFile));
        QProcess studio;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
        studio.setProcessEnvironment(env);
        studio.start(
            QStringLiteral(LTS_STUDIO_BIN), { config, QStringLiteral("--start"), QStringLiteral("--out"), folder });
        QTRY_VERIFY_WITH_TIMEOUT(lines(file).size() >= 3, kSearchTimeoutMs);
        studio.kill();
        QVERIFY(studio.waitForFinished());
        const QList<QByteArray> before = lines(file);

        QProcess resume;
        resume.start(QStringLiteral(LTS_SEARCH_BIN), { QStringLiteral("run"), QStringLiteral("--resume"), folder });
        QVERIFY(resume.waitForFinished(180000));
        const QString err = QString::fromUtf8(resume.readAllStandardError());
        QVERIFY2(resume.exitCode() == 0, qPrintable(err));
        const QList<QByteArray> after = lines(file);
        QVERIFY(after.size() > before.size());
        checkResumedLines(before, after);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(lts::loadRun(folder).info.finished);
    }

    void killedSearchResumesInTheGui()
    {
        // A real lts-search process, killed with SIGKILL mid-run; LTS Studio resumes its folder in
        // place (File > Resume Run Folder…): nothing lost, nothing measured twice, old and new
        // points on the plot.
        const QString config = writeKillConfig(QStringLiteral("kill-cli.json"));
        QVERIFY(!config.isEmpty());
        const QString folder = m_dir.filePath(QStringLiteral("killed-cli"));
        const QString file = QDir(folder).filePath(QString::fromLatin1(lts::kCandidatesFile));
        QProcess search;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LTS_CACHE_DIR"), QStringLiteral("off"));
        search.setProcessEnvironment(env);
        search.start(QStringLiteral(LTS_SEARCH_BIN),
            { QStringLiteral("run"), QStringLiteral("--space"), config, QStringLiteral("--out"), folder });
        QTRY_VERIFY_WITH_TIMEOUT(lines(file).size() >= 3, kSearchTimeoutMs);
        search.kill();
        QVERIFY(search.waitForFinished());
        const QList<QByteArray> before = lines(file);
        QVERIFY(!lts::loadRun(folder).info.finished);

        MainWindow w;
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(w.resumeSearch(folder), qPrintable(w.lastError()));
        QVERIFY(w.isSearchRunning());
        QVERIFY(!w.startAction()->isEnabled());
        // The killed run's candidates are on the plot at once, before anything new is measured.
        QVERIFY(w.store()->layer(0).candidates.size() >= std::size_t(before.size() - 1));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 180000);
        QCOMPARE(finished.front().front().toString(), QString());
        const QList<QByteArray> after = lines(file);
        QVERIFY(after.size() > before.size());
        checkResumedLines(before, after);
        if (QTest::currentTestFailed())
            return;
        const lts::LoadedRun run = lts::loadRun(folder);
        QVERIFY(run.info.finished);
        QVERIFY(!run.info.cancelled);
        QCOMPARE(run.info.iterationsDone, 2);
        // The window shows what the folder holds: old and new points.
        QCOMPARE(w.store()->layerCount(), 1);
        QCOMPARE(w.store()->layer(0).candidates.size(), run.candidates.size());
        QCOMPARE(w.plot()->plottedPoints(), int(run.candidates.size()));
        QCOMPARE(w.store()->layer(0).frontier.size(),
            lts::frontierOf(run.candidates, run.info.config.search.objectives).size());
        QCOMPARE(int(w.store()->layer(0).history.size()), 2);
    }

private:
    // A search configuration whose two iterations take long enough to kill it midway; the path,
    // or an empty string when it cannot be written.
    QString writeKillConfig(const QString& name)
    {
        lts::SearchConfig c = test::slowConfig();
        c.protocol = test::exhaustiveProtocol(60);
        c.search.iterations = 2;
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(lts::searchConfigToJson(c)).toJson()) <= 0)
            return {};
        return path;
    }

    QTemporaryDir m_dir;
};

QTEST_MAIN(TestStudioFaults)
#include "tst_studiofaults.moc"
