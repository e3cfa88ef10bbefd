// lts-studio measuring on a remote device: the target device panel's pool, Test Connection,
// and a search that streams a real sshd's measurements onto the plot, with the devices' state in
// the status bar.
#include "../sshserver.h"
#include "configpanel.h"
#include "guitestutil.h"
#include "paretoplot.h"
#include "runfolder.h"
#include "runtime.h"

#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>

using namespace studio;

class TestStudioRemote : public QObject {
    Q_OBJECT

    lts::test::SshServer m_server;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        test::isolateSettings("tst_studioremote");
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        qputenv("LTS_SSH_COMMAND", m_server.clientCommand().toUtf8());
    }

    void poolTestConnectionAndSearch()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        ConfigPanel* panel = w.configPanel();
        panel->setConfig(test::tinyConfig());
        panel->setOutputFolder(m_dir.filePath(QStringLiteral("remote")));

        auto* where = panel->findChild<QComboBox*>(QStringLiteral("measureOn"));
        auto* address = panel->findChild<QLineEdit*>(QStringLiteral("remoteAddress"));
        auto* add = panel->findChild<QPushButton*>(QStringLiteral("remoteAdd"));
        auto* pool = panel->findChild<QListWidget*>(QStringLiteral("remotePool"));
        auto* program = panel->findChild<QLineEdit*>(QStringLiteral("remoteProgram"));
        auto* testButton = panel->findChild<QPushButton*>(QStringLiteral("remoteTest"));
        auto* report = panel->findChild<QLabel*>(QStringLiteral("remoteReport"));
        QVERIFY(where && address && add && pool && program && testButton && report);

        // Remote with an empty pool cannot start, and says why.
        where->setCurrentIndex(1);
        QVERIFY(!panel->isValid());
        QVERIFY2(
            panel->problem().startsWith(QStringLiteral("device.remote: add a device")), qPrintable(panel->problem()));
        // A bad address is refused where it was typed, naming the rule.
        address->setText(QStringLiteral("-oProxyCommand=evil"));
        add->click();
        QCOMPARE(pool->count(), 0);
        QVERIFY2(report->text().contains(QStringLiteral("host name")), qPrintable(report->text()));
        address->setText(QStringLiteral("127.0.0.1:%1").arg(m_server.port()));
        add->click();
        QCOMPARE(pool->count(), 1);
        QCOMPARE(pool->item(0)->text(), m_server.url());
        program->setText(QStringLiteral(LTS_SEARCH_BIN));
        QVERIFY2(panel->isValid(), qPrintable(panel->problem()));
        QCOMPARE(panel->config().remoteDevices, std::vector<std::string> { m_server.url().toStdString() });

        // Test Connection shows what the agent reports of the device.
        testButton->click();
        QTRY_VERIFY_WITH_TIMEOUT(report->text().contains(QStringLiteral("LibTorch")), 30000);
        QVERIFY2(report->text().contains(QString::fromStdString(lts::runtimeInfo().devices.front().name)),
            qPrintable(report->text()));

        // A search there: its measurements reach the plot; the status bar shows the device.
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(test::startFromAction(w), qPrintable(w.lastError()));
        auto* devices = w.findChild<QLabel*>(QStringLiteral("statusDevices"));
        QVERIFY(devices);
        QTRY_VERIFY_WITH_TIMEOUT(
            devices->isVisible() && devices->text().startsWith(QStringLiteral("Devices: 1 ")), 60000);
        QVERIFY(devices->toolTip().contains(m_server.url()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QCOMPARE(finished.front().front().toString(), QString());
        const lts::LoadedRun run = lts::loadRun(m_dir.filePath(QStringLiteral("remote")));
        QVERIFY(run.candidates.size() >= 8);
        QCOMPARE(w.plot()->plottedPoints(), int(run.candidates.size()));
        QCOMPARE(run.info.config.remoteDevices, std::vector<std::string> { m_server.url().toStdString() });
        QVERIFY(devices->text().contains(QStringLiteral("idle")));

        // Reopened, the configuration still measures there.
        panel->setConfig(run.info.config);
        QCOMPARE(where->currentIndex(), 1);
        QCOMPARE(pool->count(), 1);
    }

    void lostDevicesPauseTheSearch()
    {
        // The server goes away mid-search: the banner says the search paused, and how to go on.
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        lts::SearchConfig c = test::tinyConfig();
        c.protocol.repeats = 200;
        c.protocol.tolerance = 0;
        c.remoteDevices = { m_server.url().toStdString() };
        c.remoteProgram = LTS_SEARCH_BIN;
        w.configPanel()->setConfig(c);
        w.configPanel()->setOutputFolder(m_dir.filePath(QStringLiteral("lost")));
        QSignalSpy finished(&w, &MainWindow::searchFinished);
        QVERIFY2(test::startFromAction(w), qPrintable(w.lastError()));
        QTRY_VERIFY_WITH_TIMEOUT(w.store()->layerCount() > 0 && w.store()->layer(0).candidates.size() >= 2, 60000);
        m_server.stop();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        auto* banner = w.findChild<QLabel*>(QStringLiteral("configStatus"));
        QVERIFY2(banner->text().contains(QStringLiteral("Search paused after"))
                && banner->text().contains(QStringLiteral("every measuring device was lost (%1: ").arg(m_server.url())),
            qPrintable(banner->text()));
        QVERIFY(banner->text().contains(QStringLiteral("Resume Run Folder")));
        auto* state = w.findChild<QLabel*>(QStringLiteral("statusState"));
        QCOMPARE(state->text(), QStringLiteral("Paused: devices lost"));
        QVERIFY(w.findChild<QLabel*>(QStringLiteral("statusDevices"))->text().contains(QStringLiteral("lost")));
    }
};

QTEST_MAIN(TestStudioRemote)
#include "tst_studioremote.moc"
