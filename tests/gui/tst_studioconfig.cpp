// GUI tests of the Configure panel: validation as the user types (Start disabled with the field
// named), choice-list entry, presets, and saving/opening the configuration file lts-search reads.
#include "choices.h"
#include "configpanel.h"
#include "errors.h"
#include "guitestutil.h"
#include "mainwindow.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace studio;

class TestStudioConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { test::isolateSettings("tst_studioconfig"); }

    void choices_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QList<int>>("expected");
        QTest::addColumn<bool>("valid");
        QTest::newRow("range") << "128:320:64" << QList<int> { 128, 192, 256, 320 } << true;
        QTest::newRow("list with commas") << "2, 4, 8" << QList<int> { 2, 4, 8 } << true;
        QTest::newRow("list with spaces") << " 16 32" << QList<int> { 16, 32 } << true;
        QTest::newRow("single") << "7" << QList<int> { 7 } << true;
        QTest::newRow("empty") << "" << QList<int> {} << false;
        QTest::newRow("zero step") << "1:9:0" << QList<int> {} << false;
        QTest::newRow("reversed range") << "9:1:1" << QList<int> {} << false;
        QTest::newRow("word") << "2, four" << QList<int> {} << false;
    }

    void choices()
    {
        QFETCH(QString, text);
        QFETCH(QList<int>, expected);
        QFETCH(bool, valid);
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(lts::InputError, parseChoices(text, "d_model"));
            try {
                parseChoices(text, "d_model");
            } catch (const lts::InputError& e) {
                QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("d_model"));
            }
            return;
        }
        const std::vector<int> got = parseChoices(text, "d_model");
        QCOMPARE(QList<int>(got.begin(), got.end()), expected);
        // What the panel writes back reads as the same list.
        QCOMPARE(parseChoices(formatChoices(got), "d_model"), got);
    }

    void invalidEntryDisablesStart_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("named");
        QTest::addColumn<QString>("rule");
        QTest::newRow("heads do not divide d_model") << "n_head"
                                                     << "3"
                                                     << "n_head"
                                                     << "divisible";
        QTest::newRow("d_model not a number") << "d_model"
                                              << "12x"
                                              << "d_model"
                                              << "not a whole number";
        QTest::newRow("d_inner empty") << "d_inner"
                                       << ""
                                       << "d_inner"
                                       << "at least one choice";
        QTest::newRow("cutoff beyond vocabulary") << "cutoffs"
                                                  << "19997, 60000"
                                                  << "cutoffs[1]"
                                                  << "vocab_size";
        QTest::newRow("n_layer max below min") << "n_layer.max"
                                               << "1"
                                               << "n_layer.max"
                                               << "n_layer.min";
        QTest::newRow("no timed repeats") << "device.repeats"
                                          << "0"
                                          << "device.repeats"
                                          << "between 1";
        QTest::newRow("no parents") << "search.parents"
                                    << "0"
                                    << "search.parents"
                                    << "between 1";
        QTest::newRow("no minimum repeats") << "device.min_repeats"
                                            << "0"
                                            << "device.min_repeats"
                                            << "between 1";
    }

    void invalidEntryDisablesStart()
    {
        QFETCH(QString, field);
        QFETCH(QString, typed);
        QFETCH(QString, named);
        QFETCH(QString, rule);
        MainWindow w;
        ConfigPanel* panel = w.configPanel();
        panel->loadPreset(QStringLiteral("gpt2-lts"));
        QVERIFY(panel->isValid());
        QVERIFY(w.startAction()->isEnabled());
        QWidget* widget = panel->fieldWidget(field);
        QVERIFY2(widget, qPrintable(field));
        QVERIFY(widget->property("invalid").toBool() == false);

        // Type into the field the way a user does: select what is there, then type over it.
        QWidget* target = widget;
        if (auto* spin = qobject_cast<QAbstractSpinBox*>(widget)) {
            spin->selectAll();
        } else if (auto* edit = qobject_cast<QLineEdit*>(widget)) {
            edit->selectAll();
            if (typed.isEmpty())
                QTest::keyClick(edit, Qt::Key_Backspace);
        }
        QTest::keyClicks(target, typed);

        QVERIFY(!panel->isValid());
        QVERIFY2(panel->problem().startsWith(named + QStringLiteral(":")), qPrintable(panel->problem()));
        QVERIFY2(panel->problem().contains(rule), qPrintable(panel->problem()));
        QVERIFY(!w.startAction()->isEnabled());
        QVERIFY(w.startAction()->toolTip().contains(named));
        auto* status = panel->findChild<QLabel*>(QStringLiteral("configStatus"));
        QVERIFY(status);
        QVERIFY2(status->text().contains(named), qPrintable(status->text()));
        QVERIFY(widget->property("invalid").toBool());
        QVERIFY(!w.startSearch());
        QVERIFY(w.lastError().contains(named));

        // Loading a valid configuration clears the mark and enables Start again.
        panel->loadPreset(QStringLiteral("gpt2-lts"));
        QVERIFY(panel->isValid());
        QVERIFY(w.startAction()->isEnabled());
        QVERIFY(!widget->property("invalid").toBool());
    }

    void presetPreview()
    {
        ConfigPanel panel;
        for (const char* name : { "transformer-xl-lts", "gpt2-lts" }) {
            panel.loadPreset(QString::fromLatin1(name));
            const lts::SearchSpace expected = lts::preset(name);
            const lts::SearchConfig got = panel.config();
            QCOMPARE(got.space.backbone, expected.backbone);
            QCOMPARE(got.space.dModel, expected.dModel);
            QCOMPARE(got.space.dInner, expected.dInner);
            QCOMPARE(got.space.cutoffs, expected.cutoffs);
            QCOMPARE(got.space.paramsMin, expected.paramsMin);
            QCOMPARE(got.space.memLen, expected.memLen);
            auto* preview = panel.findChild<QLabel*>(QStringLiteral("spacePreview"));
            const QString range = QStringLiteral("%1M to %2M")
                                      .arg(double(expected.minDecoderParams()) / 1e6, 0, 'f', 2)
                                      .arg(double(expected.maxDecoderParams()) / 1e6, 0, 'f', 2);
            QVERIFY2(preview->text().contains(range), qPrintable(preview->text() + " vs " + range));
        }
        // mem_len only means something for Transformer-XL.
        QVERIFY(!panel.fieldWidget(QStringLiteral("mem_len"))->isEnabled());
        panel.loadPreset(QStringLiteral("transformer-xl-lts"));
        QVERIFY(panel.fieldWidget(QStringLiteral("mem_len"))->isEnabled());

        // Clearing the cutoffs means no adaptive clusters, not "keep the preset's".
        auto* cutoffs = qobject_cast<QLineEdit*>(panel.fieldWidget(QStringLiteral("cutoffs")));
        QVERIFY(cutoffs);
        cutoffs->selectAll();
        QTest::keyClick(cutoffs, Qt::Key_Backspace);
        QVERIFY2(panel.isValid(), qPrintable(panel.problem()));
        QVERIFY(panel.config().space.cutoffs.empty());
        QCOMPARE(panel.config().space.memLen, 192);
    }

    void saveAndOpenConfiguration()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("search.json"));
        MainWindow w;
        lts::SearchConfig c = test::tinyConfig();
        c.search.seed = 4242;
        c.search.objectives = { lts::Objective::DecoderParams, lts::Objective::Memory };
        c.space.latencyCeilingMs = 12.5;
        c.protocol.repeats = 7;
        c.protocol.minRepeats = 4;
        c.protocol.tolerance = 0.05;
        c.search.screening = false;
        c.search.screeningMargin = 0.25;
        c.search.presample = 4;
        c.search.estimateRounds = 2;
        w.configPanel()->setConfig(c);
        QVERIFY2(w.saveConfig(path), qPrintable(w.lastError()));

        // The file is the one `lts-search run --space` reads.
        const lts::SearchConfig read = lts::searchConfigFromJson(lts::readJsonFile(path));
        QCOMPARE(read.space.dModel, c.space.dModel);
        QCOMPARE(read.space.dInner, c.space.dInner);
        QCOMPARE(read.space.vocabSize, 500);
        QCOMPARE(read.space.latencyCeilingMs, 12.5);
        QCOMPARE(read.search.seed, std::uint64_t(4242));
        QCOMPARE(lts::objectivesString(read.search.objectives), std::string("params,memory"));
        QCOMPARE(read.protocol.repeats, 7);
        QCOMPARE(read.protocol.minRepeats, 4);
        QCOMPARE(read.protocol.tolerance, 0.05);
        QCOMPARE(read.search.screening, false);
        QCOMPARE(read.search.screeningMargin, 0.25);
        QCOMPARE(read.search.presample, 4);
        QCOMPARE(read.search.estimateRounds, 2);

        w.configPanel()->loadPreset(QStringLiteral("gpt2-lts"));
        QCOMPARE(w.configPanel()->config().space.vocabSize, 50257);
        QVERIFY2(w.openPath(path), qPrintable(w.lastError()));
        const lts::SearchConfig back = w.configPanel()->config();
        QCOMPARE(back.space.dModel, c.space.dModel);
        QCOMPARE(back.space.vocabSize, 500);
        QCOMPARE(back.search.seed, std::uint64_t(4242));
        QCOMPARE(back.protocol.repeats, 7);
        QCOMPARE(back.protocol.tolerance, 0.05);
        QCOMPARE(back.search.screening, false);
        QCOMPARE(lts::objectivesString(back.search.objectives), std::string("params,memory"));

        // A broken file is refused with the reader's message, and the panel keeps its values.
        const QString broken = dir.filePath(QStringLiteral("broken.json"));
        QJsonObject o = lts::readJsonFile(path);
        o.insert(QStringLiteral("d_model"), QStringLiteral("wide"));
        lts::writeFileAtomically(broken, QJsonDocument(o).toJson());
        QVERIFY(!w.openPath(broken));
        QVERIFY2(w.lastError().contains(QStringLiteral("d_model")), qPrintable(w.lastError()));
        QCOMPARE(w.configPanel()->config().space.vocabSize, 500);
    }
};

QTEST_MAIN(TestStudioConfig)
#include "tst_studioconfig.moc"
