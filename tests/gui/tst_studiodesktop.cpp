// GUI tests of the desktop conventions: drag and drop of run folders and configuration files,
// recent files and window state kept in QSettings, the dark palette, the icon and shortcuts.
#include "configpanel.h"
#include "guitestutil.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "runfolder.h"
#include "theme.h"

#include <QAction>
#include <QDockWidget>
#include <QMenuBar>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

using namespace studio;

namespace {

void drop(QWidget* target, const QStringList& paths)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& p : paths)
        urls << QUrl::fromLocalFile(p);
    mime.setUrls(urls);
    const QPoint at = target->rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent dropped(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &dropped);
}

} // namespace

class TestStudioDesktop : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_runA;
    QString m_runB;

private Q_SLOTS:
    void initTestCase()
    {
        test::isolateSettings("tst_studiodesktop");
        QVERIFY(m_dir.isValid());
        // Two runs of the tiny space with different seeds, written as a search writes them.
        for (int seed : { 1, 2 }) {
            lts::SearchConfig c = test::tinyConfig();
            c.search.seed = std::uint64_t(seed);
            const QString folder = m_dir.filePath(QStringLiteral("seed-%1").arg(seed));
            test::writeSyntheticRun(folder, c);
            (seed == 1 ? m_runA : m_runB) = folder;
        }
    }

    void dropRunFoldersOverlaysThem()
    {
        MainWindow w;
        drop(&w, { m_runA, m_runB });
        QCOMPARE(w.store()->layerCount(), 2);
        QCOMPARE(w.store()->layer(0).name, QStringLiteral("seed-1"));
        QCOMPARE(w.store()->layer(1).name, QStringLiteral("seed-2"));
        QCOMPARE(w.plot()->plottedPoints(),
            int(lts::loadRun(m_runA).candidates.size() + lts::loadRun(m_runB).candidates.size()));

        // A dropped configuration file fills the Configure panel and leaves the runs alone.
        lts::SearchConfig c = test::tinyConfig();
        c.space.vocabSize = 777;
        const QString file = m_dir.filePath(QStringLiteral("dropped.json"));
        lts::writeFileAtomically(file, QJsonDocument(lts::searchConfigToJson(c)).toJson());
        drop(&w, { file });
        QCOMPARE(w.configPanel()->config().space.vocabSize, 777);
        QCOMPARE(w.store()->layerCount(), 2);

        // A single dropped run replaces what is shown.
        drop(&w, { m_runB });
        QCOMPARE(w.store()->layerCount(), 1);
        QCOMPARE(w.store()->layer(0).name, QStringLiteral("seed-2"));
    }

    void recentFilesAndWindowStateAreKept()
    {
        QSettings().clear();
        QSize closedSize;
        {
            MainWindow w;
            QVERIFY(w.openRun(m_runA));
            QVERIFY(w.openRun(m_runB));
            w.resize(1500, 950);
            w.findChild<QDockWidget*>(QStringLiteral("convergenceDock"))->hide();
            w.plot()->setMetrics(Metric::PeakMemory, Metric::Latency);
            w.setDark(true);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            closedSize = w.size();
            QVERIFY(w.close());
        }
        const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
        QCOMPARE(recent.value(0), QFileInfo(m_runB).absoluteFilePath());
        QCOMPARE(recent.value(1), QFileInfo(m_runA).absoluteFilePath());

        MainWindow again;
        QCOMPARE(closedSize, QSize(1500, 950));
        // Kept, and fitted on a smaller screen (the offscreen test screen is one).
        QCOMPARE(again.size(), closedSize.boundedTo(again.screen()->availableGeometry().size()));
        QVERIFY(again.findChild<QDockWidget*>(QStringLiteral("convergenceDock"))->isHidden());
        QCOMPARE(again.plot()->xMetric(), Metric::PeakMemory);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        QVERIFY(again.plot()->canvas()->toPixmap(200, 100).toImage().pixelColor(2, 2).lightness() < 100);

        // The Open Recent menu lists them, newest first.
        QMenu* file = again.menuBar()->findChild<QMenu*>(QStringLiteral("fileMenu"));
        QVERIFY(file);
        QMenu* recentMenu = nullptr;
        for (QAction* a : file->actions())
            if (a->menu() && a->text().contains(QStringLiteral("Recent")))
                recentMenu = a->menu();
        QVERIFY(recentMenu);
        QMetaObject::invokeMethod(recentMenu, "aboutToShow");
        QCOMPARE(
            recentMenu->actions().value(0)->text(), QDir::toNativeSeparators(QFileInfo(m_runB).absoluteFilePath()));
        recentMenu->actions().value(1)->trigger();
        QCOMPARE(again.store()->layer(0).name, QStringLiteral("seed-1"));

        again.setDark(false);

        // Nonsense in the settings falls back to the defaults.
        QSettings().setValue(QStringLiteral("plot/x"), 42);
        QSettings().setValue(QStringLiteral("plot/y"), -3);
        MainWindow third;
        QCOMPARE(third.plot()->xMetric(), Metric::DecoderParams);
        QCOMPARE(third.plot()->yMetric(), Metric::Latency);
        third.setDark(false);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
        QVERIFY(third.plot()->canvas()->toPixmap(200, 100).toImage().pixelColor(2, 2).lightness() > 150);
    }

    void iconAndShortcuts()
    {
        QVERIFY(!appIcon().pixmap(64, 64).isNull());
        MainWindow w;
        QVERIFY(!w.windowIcon().isNull());
        QCOMPARE(w.startAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QCOMPARE(w.stopAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Period));
        QStringList missing;
        for (QAction* a : w.findChildren<QAction*>())
            if (a->text().contains(QStringLiteral("Open Run")) && a->shortcut() != QKeySequence(QKeySequence::Open))
                missing << a->text();
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(',')));
        // Every knob of the Configure panel explains itself.
        QStringList silent;
        for (QWidget* child : w.configPanel()->findChildren<QWidget*>())
            if ((qobject_cast<QAbstractSpinBox*>(child) || qobject_cast<QLineEdit*>(child)
                    || qobject_cast<QComboBox*>(child) || qobject_cast<QCheckBox*>(child))
                && child->toolTip().isEmpty() && !qobject_cast<QAbstractSpinBox*>(child->parentWidget())
                && !qobject_cast<QComboBox*>(child->parentWidget()))
                silent << child->objectName();
        QVERIFY2(silent.isEmpty(), qPrintable(silent.join(',')));
    }

    void plotToolbarKeepsWholeLabels()
    {
        // At 1024x700 the plot is too narrow for its tool bar in one row: it takes more, and every
        // picker, toggle and button keeps its whole label; wide, it is one row again.
        QSettings().clear();
        MainWindow w;
        w.resize(1024, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto wholeLabels = [&w] {
            ParetoPlot* plot = w.plot();
            for (const char* name : { "plotXTools", "plotYTools", "plotViewTools" }) {
                auto* tools = plot->findChild<QWidget*>(QString::fromLatin1(name));
                QVERIFY(tools);
                QVERIFY2(plot->rect().contains(tools->geometry()), name);
                for (QWidget* tool : tools->findChildren<QWidget*>(QString(), Qt::FindDirectChildrenOnly)) {
                    if (!tool->isVisible())
                        continue;
                    QVERIFY2(tool->width() >= tool->sizeHint().width(),
                        qPrintable(QStringLiteral("%1 in %2: %3 of %4 px")
                                       .arg(tool->metaObject()->className(), QString::fromLatin1(name))
                                       .arg(tool->width())
                                       .arg(tool->sizeHint().width())));
                    QVERIFY(tools->rect().contains(tool->geometry()));
                }
            }
        };
        wholeLabels();
        QVERIFY(w.plot()->toolbarWrapped());
        // The hint over the empty plot is broken into lines the plot has room for.
        QCustomPlot* canvas = w.plot()->canvas();
        canvas->replot();
        QCPItemText* hint = nullptr;
        for (int i = 0; i < canvas->itemCount(); ++i)
            if (auto* text = qobject_cast<QCPItemText*>(canvas->item(i)); text && text->visible())
                hint = text;
        QVERIFY(hint);
        const QStringList lines = hint->text().split(QLatin1Char('\n'));
        QVERIFY(lines.size() >= 3);
        for (const QString& line : lines)
            QVERIFY2(
                QFontMetrics(hint->font()).horizontalAdvance(line) <= canvas->axisRect()->width(), qPrintable(line));
        w.resize(1900, 1000);
        QTRY_VERIFY(!w.plot()->toolbarWrapped());
        wholeLabels();
    }
};

QTEST_MAIN(TestStudioDesktop)
#include "tst_studiodesktop.moc"
