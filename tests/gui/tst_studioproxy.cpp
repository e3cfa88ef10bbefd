// GUI tests of Search > Check Proxy…: a check trains a run's sample on generated text and shows
// what audit.json holds (table, loss curves, the scatter and its correlations), its points select
// the candidates in the main window, a reopened run shows its check again, Stop keeps what is
// trained and Start resumes, and bad input or a busy computer is refused with a reason.
#include "../testutil.h"
#include "audit.h"
#include "configpanel.h"
#include "format.h"
#include "guitestutil.h"
#include "jsonio.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "proxycheck.h"
#include "runfolder.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace studio;

namespace {

constexpr int kAuditTimeoutMs = 90000;

template <typename T> T* child(const QWidget* w, const char* name)
{
    T* c = w->findChild<T*>(QString::fromLatin1(name));
    if (!c)
        qFatal("no child %s", name);
    return c;
}

// Shows `w` with run folder `run` and opens its Check Proxy dialog; null when either fails.
ProxyCheckDialog* openCheck(MainWindow& w, const QString& run)
{
    w.show();
    return w.openRun(run) ? w.showProxyCheck() : nullptr;
}

int doneCount(const lts::AuditReport& r)
{
    return int(std::count_if(r.entries.begin(), r.entries.end(), [](const lts::AuditEntry& e) { return e.done; }));
}

// Fills the dialog's form: the text, K architectures and a token budget, on one CPU thread.
void fillForm(ProxyCheckDialog* d, const QString& text, int archs, double tokens)
{
    child<QLineEdit>(d, "auditText")->setText(text);
    child<QSpinBox>(d, "auditArchs")->setValue(archs);
    child<QComboBox>(d, "auditBudgetKind")->setCurrentIndex(0);
    child<QDoubleSpinBox>(d, "auditTokens")->setValue(tokens);
    child<QSpinBox>(d, "auditThreads")->setValue(1);
}

} // namespace

class TestStudioProxy final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void checkTrainsShowsAndSelects();
    void reopenedRunShowsItsCheck();
    void stopKeepsTrainedAndStartResumes();
    void refusesBadInputAndBusyComputer();
    void closingTheWindowStopsTheCheck();

private:
    QString runCopy(const char* name); // a fresh copy of the run, without a check

    QTemporaryDir m_dir;
    QString m_run;
    QString m_text;
    QString m_agreement; // what the first check showed
};

void TestStudioProxy::initTestCase()
{
    test::isolateSettings("tst_studioproxy");
    QVERIFY(m_dir.isValid());
    m_run = m_dir.filePath(QStringLiteral("run"));
    test::writeSyntheticRun(m_run, test::tinyConfig());
    m_text = m_dir.filePath(QStringLiteral("text.txt"));
    QFile f(m_text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(lts::test::markovText(30000, 11));
}

QString TestStudioProxy::runCopy(const char* name)
{
    const QString copy = m_dir.filePath(QString::fromLatin1(name));
    QDir().mkpath(copy);
    for (const char* file : { lts::kSessionFile, lts::kCandidatesFile })
        QFile::copy(QDir(m_run).filePath(QString::fromLatin1(file)), QDir(copy).filePath(QString::fromLatin1(file)));
    return copy;
}

void TestStudioProxy::checkTrainsShowsAndSelects()
{
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY2(w.openRun(m_run), qPrintable(w.lastError()));
    ProxyCheckDialog* d = w.showProxyCheck();
    QVERIFY2(d, qPrintable(w.lastError()));
    QCOMPARE(QFileInfo(d->runFolder()), QFileInfo(m_run));
    QVERIFY2(d->statusText().contains(QStringLiteral("No proxy check")), qPrintable(d->statusText()));
    fillForm(d, m_text, 4, 4096);
    QTest::mouseClick(child<QPushButton>(d, "auditStart"), Qt::LeftButton);
    QVERIFY2(d->isRunning(), qPrintable(d->statusText()));
    QVERIFY(!child<QPushButton>(d, "auditStart")->isEnabled());
    QVERIFY(!child<QLineEdit>(d, "auditText")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY2(d->lastError().isEmpty(), qPrintable(d->lastError()));

    // What the dialog shows is what audit.json holds.
    const lts::AuditReport& r = d->report();
    QVERIFY(r.finished);
    QCOMPARE(int(r.entries.size()), 4);
    QCOMPARE(r.trained(), 4);
    lts::AuditReport saved;
    QVERIFY(lts::loadAudit(m_run, saved));
    QCOMPARE(saved.entries.size(), r.entries.size());
    QVERIFY2(d->statusText().startsWith(QStringLiteral("Checked: 4 of 4")), qPrintable(d->statusText()));
    QCOMPARE(child<QProgressBar>(d, "auditProgress")->value(), child<QProgressBar>(d, "auditProgress")->maximum());
    QTableWidget* table = d->table();
    QCOMPARE(table->rowCount(), 4);
    for (int i = 0; i < 4; ++i) {
        const lts::AuditEntry& e = saved.entries[std::size_t(i)];
        QCOMPARE(table->item(i, 0)->text().toInt(), e.pick.candidateId);
        QCOMPARE(table->item(i, 4)->text(), millions(e.pick.decoderParams));
        QCOMPARE(table->item(i, 6)->text(), QLocale().toString(qlonglong(e.result.tokensTrained)));
        QCOMPARE(table->item(i, 7)->text(), QString::number(e.result.valPpl, 'f', 3));
        QCOMPARE(table->item(i, 10)->text(), QStringLiteral("trained"));
        // Each architecture's loss curve, in tokens trained.
        QCPGraph* g = d->lossGraph(i);
        QVERIFY(g);
        QCOMPARE(g->dataCount(), int(e.result.curve.size()));
        QCOMPARE((g->data()->constEnd() - 1)->value, e.result.curve.back().second);
        QCOMPARE((g->data()->constEnd() - 1)->key, double(e.result.tokensTrained));
    }
    // The scatter: a point per trained architecture, further right with more decoder parameters.
    d->resultPlot()->replot();
    for (int i = 0; i < 4; ++i) {
        const QPoint at = d->pixelOfEntry(i);
        QVERIFY(d->resultPlot()->rect().contains(at));
        QCOMPARE(d->entryAt(at), i);
        if (i > 0
            && saved.entries[std::size_t(i)].pick.decoderParams > saved.entries[std::size_t(i - 1)].pick.decoderParams)
            QVERIFY(at.x() > d->pixelOfEntry(i - 1).x());
    }
    m_agreement = d->agreementText();
    QVERIFY2(m_agreement.contains(QString::number(saved.decoderParams.spearman, 'f', 3))
            && m_agreement.contains(QString::number(saved.decoderParams.kendall, 'f', 3))
            && m_agreement.contains(QString::number(saved.depth.spearman, 'f', 3)),
        qPrintable(m_agreement));

    // A click selects the architecture in the dialog and its candidate in the main window;
    // Ctrl+click adds one; a click on nothing clears both.
    QTest::mouseClick(d->resultPlot(), Qt::LeftButton, {}, d->pixelOfEntry(3));
    QCOMPARE(d->selectedEntries(), std::vector<int>({ 3 }));
    QCOMPARE(table->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(table->selectionModel()->selectedRows().front().row(), 3);
    QCOMPARE(int(w.store()->selection().size()), 1);
    QCOMPARE(w.store()->candidate(w.store()->selection().front()).id, saved.entries[3].pick.candidateId);
    // Its misranked pairs are drawn, dashed, from it to the other architecture.
    auto lines = [&] {
        int n = 0;
        for (int i = 0; i < d->resultPlot()->itemCount(); ++i)
            n += qobject_cast<QCPItemLine*>(d->resultPlot()->item(i)) != nullptr;
        return n;
    };
    QCOMPARE(lines(),
        int(std::count_if(saved.misranked.begin(), saved.misranked.end(),
            [](const std::pair<int, int>& m) { return m.first == 3 || m.second == 3; })));
    QTest::mouseClick(d->resultPlot(), Qt::LeftButton, Qt::ControlModifier, d->pixelOfEntry(0));
    QCOMPARE(d->selectedEntries(), std::vector<int>({ 0, 3 }));
    QCOMPARE(int(w.store()->selection().size()), 2);
    // A click on a table row selects that one.
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualItemRect(table->item(1, 2)).center());
    QCOMPARE(d->selectedEntries(), std::vector<int>({ 1 }));
    QCOMPARE(w.store()->candidate(w.store()->selection().front()).id, saved.entries[1].pick.candidateId);
    const QPoint corner(d->resultPlot()->axisRect()->left() + 2, d->resultPlot()->axisRect()->top() + 2);
    QVERIFY(d->entryAt(corner) < 0);
    QTest::mouseClick(d->resultPlot(), Qt::LeftButton, {}, corner);
    QVERIFY(d->selectedEntries().empty());
    QVERIFY(w.store()->selection().empty());
    QCOMPARE(lines(), 0);
}

void TestStudioProxy::reopenedRunShowsItsCheck()
{
    QVERIFY(!m_agreement.isEmpty()); // the check above ran
    MainWindow w;
    w.show();
    QVERIFY(w.openRun(m_run));
    const QString message = w.statusBar()->currentMessage();
    QVERIFY2(message.contains(QStringLiteral("proxy check")), qPrintable(message));
    ProxyCheckDialog* d = w.showProxyCheck();
    QVERIFY(d);
    QVERIFY(!d->isRunning());
    QVERIFY(d->report().finished);
    QCOMPARE(d->table()->rowCount(), 4);
    QCOMPARE(d->agreementText(), m_agreement);
    QVERIFY2(d->statusText().startsWith(QStringLiteral("Checked: 4 of 4")), qPrintable(d->statusText()));
    // The form holds the check's settings.
    QCOMPARE(child<QLineEdit>(d, "auditText")->text(), m_text);
    QCOMPARE(child<QSpinBox>(d, "auditArchs")->value(), 4);
    QCOMPARE(child<QDoubleSpinBox>(d, "auditTokens")->value(), 4096.0);
    QVERIFY(d->lossGraph(0) && d->lossGraph(0)->dataCount() > 0);

    // Other settings do not resume this check: Start says what differs, Start Over keeps it
    // under a dated name and trains anew.
    child<QSpinBox>(d, "auditArchs")->setValue(3);
    QVERIFY(d->start());
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY2(
        d->lastError().contains(QStringLiteral("other settings (archs: 4 there, 3 now)")), qPrintable(d->lastError()));
    QCOMPARE(int(d->report().entries.size()), 4);
    QVERIFY(child<QPushButton>(d, "auditStartOver")->isEnabled());
    QVERIFY2(d->startOver(), qPrintable(d->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY(d->report().finished);
    QCOMPARE(int(d->report().entries.size()), 3);
    const QStringList kept = QDir(m_run).entryList({ QStringLiteral("audit-*.json") });
    QCOMPARE(kept.size(), 1);
    lts::AuditReport old;
    QVERIFY(lts::loadAudit(m_run, old));
    QCOMPARE(int(old.entries.size()), 3);
    QCOMPARE(int(lts::auditFromJson(lts::readJsonFile(QDir(m_run).filePath(kept.front()))).entries.size()), 4);
}

void TestStudioProxy::stopKeepsTrainedAndStartResumes()
{
    const QString run = runCopy("stopped");
    MainWindow w;
    ProxyCheckDialog* d = openCheck(w, run);
    QVERIFY2(d, qPrintable(w.lastError()));
    fillForm(d, m_text, 4, 65536);
    QVERIFY2(d->start(), qPrintable(d->lastError()));
    // The time left is estimated once this session has trained a little.
    QTRY_VERIFY_WITH_TIMEOUT(
        child<QLabel>(d, "auditEta")->text().startsWith(QStringLiteral("time left: about")), kAuditTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(doneCount(d->report()) >= 1, kAuditTimeoutMs);
    d->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    const lts::AuditReport stopped = d->report();
    QVERIFY(!stopped.finished);
    const int kept = doneCount(stopped);
    QVERIFY(kept >= 1 && kept < 4);
    QVERIFY2(d->statusText().startsWith(QStringLiteral("Stopped: %1 of 4").arg(kept)), qPrintable(d->statusText()));
    QCOMPARE(child<QLabel>(d, "auditEta")->text(), QStringLiteral("time left: –"));
    lts::AuditReport onDisk;
    QVERIFY(lts::loadAudit(run, onDisk));
    QCOMPARE(doneCount(onDisk), kept);
    QCOMPARE(d->table()->item(kept, 10)->text(), QStringLiteral("waiting"));

    // Start resumes: what was trained stays as it was, the rest trains.
    QVERIFY2(d->start(), qPrintable(d->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY(d->report().finished);
    QCOMPARE(d->report().trained(), 4);
    for (int i = 0; i < kept; ++i)
        QCOMPARE(d->report().entries[std::size_t(i)].result.valLoss, stopped.entries[std::size_t(i)].result.valLoss);
}

void TestStudioProxy::refusesBadInputAndBusyComputer()
{
    const QString run = runCopy("refusals");
    MainWindow w;
    ProxyCheckDialog* d = openCheck(w, run);
    QVERIFY2(d, qPrintable(w.lastError()));

    fillForm(d, QString(), 4, 4096);
    QVERIFY(!d->start());
    QVERIFY2(d->lastError().startsWith(QStringLiteral("Text file")), qPrintable(d->lastError()));
    QVERIFY(!d->isRunning());

    // The form's time budget is the whole check's.
    child<QComboBox>(d, "auditBudgetKind")->setCurrentIndex(1);
    child<QDoubleSpinBox>(d, "auditMinutes")->setValue(1.5);
    child<QLineEdit>(d, "auditText")->setText(m_text);
    QCOMPARE(d->settings().timeBudgetS, 90.0);

    // A binary file is refused by the check itself, naming where, and nothing is written.
    const QString binary = m_dir.filePath(QStringLiteral("binary.bin"));
    QFile f(binary);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("some text\0more", 14));
    f.close();
    fillForm(d, binary, 4, 4096);
    QVERIFY(d->start());
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY2(d->lastError().contains(QStringLiteral("byte 9 is NUL")), qPrintable(d->lastError()));
    QCOMPARE(d->statusText(), d->lastError());
    QVERIFY(!QFile::exists(QDir(run).filePath(QString::fromLatin1(lts::kAuditJsonFile))));

    // A search measuring on this computer keeps the check from starting.
    d->setSearchRunning(true);
    QVERIFY(!child<QPushButton>(d, "auditStart")->isEnabled());
    fillForm(d, m_text, 4, 4096);
    QVERIFY(!d->start());
    QVERIFY2(d->lastError().contains(QStringLiteral("a search is measuring")), qPrintable(d->lastError()));
    d->setSearchRunning(false);

    // And a check training on this computer keeps a local search from starting.
    fillForm(d, m_text, 4, 1 << 20);
    QVERIFY(d->start());
    w.configPanel()->setConfig(test::tinyConfig());
    QVERIFY(!w.startSearch());
    QVERIFY2(w.lastError().contains(QStringLiteral("proxy check is training")), qPrintable(w.lastError()));
    QVERIFY(!w.isSearchRunning());
    d->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning(), kAuditTimeoutMs);
    QVERIFY2(d->statusText().startsWith(QStringLiteral("Stopped: ")), qPrintable(d->statusText()));
}

void TestStudioProxy::closingTheWindowStopsTheCheck()
{
    const QString run = runCopy("closed");
    auto w = std::make_unique<MainWindow>();
    ProxyCheckDialog* d = openCheck(*w, run);
    QVERIFY2(d, qPrintable(w->lastError()));
    fillForm(d, m_text, 4, 65536);
    QVERIFY(d->start());
    QTRY_VERIFY_WITH_TIMEOUT(doneCount(d->report()) >= 1, kAuditTimeoutMs);
    // Quitting stops the check within a step and waits for it; what was trained is kept.
    QVERIFY(w->close());
    w.reset();
    lts::AuditReport kept;
    QVERIFY(lts::loadAudit(run, kept));
    QVERIFY(!kept.finished);
    QVERIFY(doneCount(kept) >= 1 && doneCount(kept) < 4);
}

QTEST_MAIN(TestStudioProxy)
#include "tst_studioproxy.moc"
