// GUI tests of the Configure panel: validation as the user types (Start disabled with the field
// named), choice-list entry, presets, and saving/opening the configuration file lts-search reads.
#include "choices.h"
#include "configlimits.h"
#include "configpanel.h"
#include "errors.h"
#include "format.h"
#include "guitestutil.h"
#include "mainwindow.h"
#include "paretoplot.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>
#include <type_traits>

using namespace studio;

namespace {

// Core's limits of every numeric field of the Configure panel (configlimits.h), written here
// apart from the panel's own table so that a field wired to the wrong limit fails.
struct NumericField {
    const char* key;
    double lo;
    double hi; // infinity: core bounds the value only below
    bool integral;
    bool hiExcluded = false;
};

template <typename T> NumericField numeric(const char* key, lts::Limits<T> limits, bool hiExcluded = false)
{
    return { key, double(limits.lo), double(limits.hi), std::is_integral_v<T>, hiExcluded };
}

NumericField unboundedAbove(const char* key)
{
    return { key, 0, std::numeric_limits<double>::infinity(), false };
}

QList<NumericField> numericFields()
{
    return { numeric("n_layer.min", lts::kLayerLimits), numeric("n_layer.max", lts::kLayerLimits),
        numeric("min_inner_ratio", lts::kInnerRatioLimits), numeric("div_val", lts::kDivValLimits),
        numeric("d_embed", lts::kWidthLimits), numeric("vocab_size", lts::kVocabLimits),
        numeric("seq_len", lts::kSeqLenLimits), numeric("mem_len", lts::kMemLenLimits), unboundedAbove("params_min"),
        unboundedAbove("params_max"), unboundedAbove("latency_ceiling_ms"), unboundedAbove("memory_ceiling_mb"),
        numeric("search.iterations", lts::kIterationLimits), numeric("search.parents", lts::kParentLimits),
        numeric("search.mutants", lts::kOffspringLimits), numeric("search.crossovers", lts::kOffspringLimits),
        numeric("search.mutation_prob", lts::kProbabilityLimits),
        numeric("search.crossover_prob", lts::kProbabilityLimits), unboundedAbove("search.time_budget_s"),
        numeric("search.screening_margin", lts::kScreeningMarginLimits),
        numeric("search.presample", lts::kPresampleLimits),
        numeric("search.estimate_rounds", lts::kEstimateRoundLimits), numeric("device.threads", lts::kThreadLimits),
        numeric("device.batch", lts::kBatchLimits), numeric("device.seq_len", lts::kProtocolSeqLenLimits),
        numeric("device.warmup", lts::kWarmupLimits), numeric("device.repeats", lts::kRepeatLimits),
        numeric("device.min_repeats", lts::kRepeatLimits), numeric("device.tolerance", lts::kToleranceLimits, true),
        numeric("device.prompt", lts::kSeqLenLimits), numeric("device.new_tokens", lts::kSeqLenLimits) };
}

// Types `value` over what the spin box holds, the way a user does.
void typeInto(QSpinBox* spin, int value)
{
    spin->selectAll();
    QTest::keyClicks(spin, QString::number(value));
}

// Sets every field of `to` to what the same field of `from` holds, through its widget; returns
// the number of fields copied.
int copyFields(const ConfigPanel& from, ConfigPanel& to)
{
    int copied = 0;
    for (const QWidget* source : from.findChildren<QWidget*>()) {
        QWidget* target = source->objectName().isEmpty() ? nullptr : to.fieldWidget(source->objectName());
        if (!target || from.fieldWidget(source->objectName()) != source)
            continue;
        if (auto* e = qobject_cast<const QLineEdit*>(source))
            qobject_cast<QLineEdit*>(target)->setText(e->text());
        else if (auto* s = qobject_cast<const QSpinBox*>(source))
            qobject_cast<QSpinBox*>(target)->setValue(s->value());
        else if (auto* d = qobject_cast<const QDoubleSpinBox*>(source))
            qobject_cast<QDoubleSpinBox*>(target)->setValue(d->value());
        else if (auto* b = qobject_cast<const QCheckBox*>(source))
            qobject_cast<QCheckBox*>(target)->setChecked(b->isChecked());
        else if (auto* c = qobject_cast<const QComboBox*>(source))
            qobject_cast<QComboBox*>(target)->setCurrentIndex(c->currentIndex());
        else
            continue;
        ++copied;
    }
    return copied;
}

} // namespace

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

    // Every spin box of the panel edits a field whose limits core sets.
    void everySpinBoxHasCoreLimits()
    {
        ConfigPanel panel;
        QStringList known, missing;
        for (const NumericField& f : numericFields())
            known << QString::fromLatin1(f.key);
        for (const QAbstractSpinBox* spin : panel.findChildren<QAbstractSpinBox*>())
            if (!known.contains(spin->objectName()))
                missing << spin->objectName();
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1Char(','))));
        for (const QString& key : known)
            QVERIFY2(qobject_cast<QAbstractSpinBox*>(panel.fieldWidget(key)), qPrintable(key));
    }

    // A spin box ranges over core's limits and one step beyond them (down to 0), so that a value
    // typed out of range is not swallowed but named with core's rule; the limits themselves pass.
    void spinBoxesFollowCoreLimits_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<double>("lo");
        QTest::addColumn<double>("hi");
        QTest::addColumn<bool>("integral");
        QTest::addColumn<bool>("hiExcluded");
        for (const NumericField& f : numericFields())
            QTest::newRow(f.key) << QString::fromLatin1(f.key) << f.lo << f.hi << f.integral << f.hiExcluded;
    }

    void spinBoxesFollowCoreLimits()
    {
        QFETCH(QString, key);
        QFETCH(double, lo);
        QFETCH(double, hi);
        QFETCH(bool, integral);
        QFETCH(bool, hiExcluded);
        ConfigPanel panel;
        // Transformer-XL with screening on: every field is enabled.
        panel.loadPreset(QStringLiteral("transformer-xl-lts"));
        if (key == QLatin1String("device.prompt") || key == QLatin1String("device.new_tokens")) {
            auto* objectives = qobject_cast<QComboBox*>(panel.fieldWidget(QStringLiteral("search.objectives")));
            objectives->setCurrentIndex(objectives->findData(QStringLiteral("params,decode")));
        }
        QVERIFY2(panel.isValid(), qPrintable(panel.problem()));
        auto* spin = qobject_cast<QAbstractSpinBox*>(panel.fieldWidget(key));
        QVERIFY(spin);
        QVERIFY(spin->isEnabled());
        const QString named = key + QStringLiteral(": ");
        auto problemIsAbout = [&] { return panel.problem().startsWith(named); };

        if (!integral) {
            auto* d = qobject_cast<QDoubleSpinBox*>(spin);
            QVERIFY(d);
            QCOMPARE(d->minimum(), lo);
            if (std::isinf(hi))
                return;
            QCOMPARE(d->maximum(), hi);
            d->setValue(hi);
            QCOMPARE(problemIsAbout(), hiExcluded);
            return;
        }
        auto* s = qobject_cast<QSpinBox*>(spin);
        QVERIFY(s);
        QCOMPARE(s->maximum(), int(hi) + 1);
        QVERIFY(s->minimum() <= int(lo));
        QVERIFY(s->minimum() >= std::min(int(lo) - 1, 0));

        typeInto(s, int(hi) + 1);
        QCOMPARE(s->value(), int(hi) + 1);
        QVERIFY2(problemIsAbout(), qPrintable(panel.problem()));
        QVERIFY2(panel.problem().startsWith(named + QStringLiteral("must be between")), qPrintable(panel.problem()));
        QVERIFY2(panel.problem().contains(QString::number(int(hi))), qPrintable(panel.problem()));
        QCOMPARE(panel.fieldWidget(key)->property("invalid").toBool(), true);

        // The limit itself is in range (other rules may still refuse it: div_val 64 with three cutoffs).
        typeInto(s, int(hi));
        QCOMPARE(s->value(), int(hi));
        QVERIFY2(!panel.problem().startsWith(named + QStringLiteral("must be between")), qPrintable(panel.problem()));

        if (s->minimum() < int(lo)) {
            typeInto(s, s->minimum());
            QCOMPARE(s->value(), s->minimum());
            QVERIFY2(
                panel.problem().startsWith(named + QStringLiteral("must be between")), qPrintable(panel.problem()));
        }
    }

    // The wheel over a field the user did not pick scrolls the form and leaves the field as it
    // was; once the field has focus, the wheel steps it.
    void countsReadAsWords()
    {
        // Counts in banners and previews agree with their noun and read at a glance.
        QCOMPARE(countText(1, QStringLiteral("candidate")), QStringLiteral("1 candidate"));
        QCOMPARE(countText(0, QStringLiteral("candidate")), QStringLiteral("0 candidates"));
        QCOMPARE(countText(12300, QStringLiteral("architecture")), QStringLiteral("12,300 architectures"));
        QCOMPARE(countText(8.06e6, QStringLiteral("candidate")), QStringLiteral("8.06 million candidates"));
        QCOMPARE(countText(2.4e9, QStringLiteral("candidate")), QStringLiteral("2.4 billion candidates"));
        QCOMPARE(countText(1.87e34, QStringLiteral("architecture")), QStringLiteral("1.87e+34 architectures"));
        QCOMPARE(countText(2, QStringLiteral("match"), QStringLiteral("matches")), QStringLiteral("2 matches"));
    }

    void settingsComeBackRight()
    {
        // Quit and relaunch: the form (its time budget included), the log toggles and the axes
        // the user picked come back, and stay when a run opens; a window saved wider than the
        // screen and partly off it comes back on it.
        QSettings().clear();
        QTemporaryDir dir;
        const QString run = dir.filePath(QStringLiteral("run"));
        test::writeSyntheticRun(run, test::tinyConfig());
        QRect screen;
        {
            MainWindow w;
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            lts::SearchConfig c = w.configPanel()->config();
            c.search.timeBudgetS = 90;
            c.search.seed = 77;
            w.configPanel()->setConfig(c);
            auto* y = w.plot()->findChild<QComboBox*>(QStringLiteral("yMetric"));
            QVERIFY(y);
            y->setCurrentIndex(y->findData(int(Metric::PeakMemory)));
            Q_EMIT y->activated(y->currentIndex());
            w.plot()->setLogScale(true, true);
            screen = w.screen()->availableGeometry();
            w.setGeometry(screen.left() + 150, screen.top() + 20, screen.width() + 300, screen.height());
            QVERIFY(w.close());
        }
        MainWindow again;
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.configPanel()->config().search.timeBudgetS, 90.0);
        QCOMPARE(again.configPanel()->config().search.seed, std::uint64_t(77));
        QVERIFY(again.plot()->logX());
        QVERIFY(again.plot()->logY());
        QCOMPARE(again.plot()->yMetric(), Metric::PeakMemory);
        const QRect g = again.geometry();
        QVERIFY2(g.left() >= screen.left() && g.top() >= screen.top(),
            qPrintable(
                QStringLiteral("%1,%2 on %3,%4").arg(g.left()).arg(g.top()).arg(screen.left()).arg(screen.top())));
        QVERIFY(g.width() <= std::max(screen.width(), again.minimumSizeHint().width()));
        if (g.width() <= screen.width())
            QVERIFY(g.right() <= screen.right());
        QVERIFY2(again.openRun(run), qPrintable(again.lastError()));
        QCOMPARE(again.plot()->yMetric(), Metric::PeakMemory);
        QSettings().clear();
    }

    void wheelScrollsTheFormNotTheField()
    {
        MainWindow w;
        w.resize(1024, 560);
        w.show();
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        auto* warmup = qobject_cast<QSpinBox*>(w.configPanel()->fieldWidget(QStringLiteral("device.warmup")));
        QVERIFY(warmup);
        const int before = warmup->value();
        auto wheel = [&] {
            QWheelEvent e(QPointF(5, 5), warmup->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, -120), Qt::NoButton,
                Qt::NoModifier, Qt::NoScrollPhase, false);
            QCoreApplication::sendEvent(warmup, &e);
        };
        QVERIFY(!warmup->hasFocus());
        wheel();
        wheel();
        QCOMPARE(warmup->value(), before);
        QVERIFY(!warmup->hasFocus());
        warmup->setFocus();
        QTRY_VERIFY(warmup->hasFocus());
        warmup->setValue(5);
        wheel();
        QCOMPARE(warmup->value(), 4);
    }

    // What setConfig shows in each field, config() reads back into the same field.
    void everyFieldRoundTrips()
    {
        lts::SearchConfig c = test::tinyConfig();
        lts::SearchSpace& s = c.space;
        s.name = "round-trip";
        s.backbone = lts::Backbone::TransformerXL;
        s.homogeneous = true;
        s.minInnerRatio = 1.5;
        s.divVal = 2;
        s.dEmbed = 48;
        s.cutoffs = { 100, 200 };
        s.vocabSize = 501;
        s.seqLen = 17;
        s.memLen = 24;
        s.paramsMin = 2000;
        s.paramsMax = 5'000'000;
        s.latencyCeilingMs = 12.5;
        s.memoryCeilingMb = 300.5;
        lts::SearchParams& p = c.search;
        p.algorithm = lts::Algorithm::Random;
        p.objectives = { lts::Objective::DecoderParams, lts::Objective::Latency, lts::Objective::Memory };
        p.iterations = 7;
        p.parents = 3;
        p.mutants = 4;
        p.crossovers = 5;
        p.mutationProb = 0.25;
        p.crossoverProb = 0.75;
        p.seed = 987654321;
        p.timeBudgetS = 90;
        p.screening = true;
        p.screeningMargin = 0.5;
        p.presample = 3;
        p.estimateRounds = 2;
        lts::MeasureProtocol& d = c.protocol;
        d.threads = 2;
        d.batch = 3;
        d.seqLen = 8;
        d.warmup = 4;
        d.repeats = 9;
        d.minRepeats = 5;
        d.tolerance = 0.125;
        d.precision = lts::Precision::Int8;

        ConfigPanel shown;
        shown.setConfig(c);
        QVERIFY2(shown.isValid(), qPrintable(shown.problem()));
        // A second panel, holding the defaults, gets every value typed over from the first: a field
        // shown from or read into the wrong setting leaves a default behind.
        ConfigPanel panel;
        QCOMPARE(copyFields(shown, panel), 44); // every field of the panel; a new one belongs in `c` too
        QVERIFY2(panel.isValid(), qPrintable(panel.problem()));
        const QJsonObject expected = lts::searchConfigToJson(c);
        const QJsonObject got = lts::searchConfigToJson(panel.config());
        QCOMPARE(QJsonDocument(got).toJson(), QJsonDocument(expected).toJson());

        // The same for a generation: its objectives choose the workload, whose knobs travel too.
        lts::SearchConfig g = c;
        g.search.objectives = { lts::Objective::DecoderParams, lts::Objective::Decode, lts::Objective::Memory };
        g.space.latencyCeilingMs = 0;
        g.protocol.workload = lts::Workload::Generate;
        g.protocol.prompt = 11;
        g.protocol.generate = 5;
        g.protocol.precision = lts::Precision::Bf16;
        ConfigPanel shownGeneration, panelGeneration;
        shownGeneration.setConfig(g);
        QVERIFY2(shownGeneration.isValid(), qPrintable(shownGeneration.problem()));
        QCOMPARE(copyFields(shownGeneration, panelGeneration), 44);
        QVERIFY2(panelGeneration.isValid(), qPrintable(panelGeneration.problem()));
        QCOMPARE(QJsonDocument(lts::searchConfigToJson(panelGeneration.config())).toJson(),
            QJsonDocument(lts::searchConfigToJson(g)).toJson());
        QVERIFY(panelGeneration.fieldWidget(QStringLiteral("device.prompt"))->isEnabled());
        QVERIFY(!panelGeneration.fieldWidget(QStringLiteral("device.seq_len"))->isEnabled());
        QVERIFY(panel.fieldWidget(QStringLiteral("device.seq_len"))->isEnabled()); // scoring
        QVERIFY(!panel.fieldWidget(QStringLiteral("device.new_tokens"))->isEnabled());
        // What a generation cannot measure is named: a latency ceiling, more tokens than positions.
        auto* ceiling =
            qobject_cast<QDoubleSpinBox*>(panelGeneration.fieldWidget(QStringLiteral("latency_ceiling_ms")));
        ceiling->setValue(20);
        QVERIFY2(panelGeneration.problem().startsWith(QStringLiteral("latency_ceiling_ms")),
            qPrintable(panelGeneration.problem()));
        ceiling->setValue(0);
        auto* backboneG = qobject_cast<QComboBox*>(panelGeneration.fieldWidget(QStringLiteral("backbone")));
        backboneG->setCurrentIndex(backboneG->findData(int(lts::Backbone::Gpt2)));
        QVERIFY2(panelGeneration.isValid(), qPrintable(panelGeneration.problem())); // 11 + 5 <= seq_len 17
        typeInto(qobject_cast<QSpinBox*>(panelGeneration.fieldWidget(QStringLiteral("device.prompt"))), 13);
        QVERIFY2(panelGeneration.problem().contains(QStringLiteral("prompt (13) + new tokens (5)")),
            qPrintable(panelGeneration.problem()));
        QVERIFY(panelGeneration.fieldWidget(QStringLiteral("device.prompt"))->property("invalid").toBool());

        // Screening knobs follow the screening check box; mem_len follows the backbone.
        auto* screening = qobject_cast<QCheckBox*>(panel.fieldWidget(QStringLiteral("search.screening")));
        QVERIFY(screening);
        screening->click();
        for (const char* knob : { "search.screening_margin", "search.presample", "search.estimate_rounds" })
            QVERIFY2(!panel.fieldWidget(QString::fromLatin1(knob))->isEnabled(), knob);
        QCOMPARE(panel.config().search.screening, false);
        auto* backbone = qobject_cast<QComboBox*>(panel.fieldWidget(QStringLiteral("backbone")));
        QVERIFY(backbone);
        backbone->setCurrentIndex(backbone->findData(int(lts::Backbone::Gpt2)));
        QVERIFY(!panel.fieldWidget(QStringLiteral("mem_len"))->isEnabled());
        QCOMPARE(panel.config().space.memLen, 0);
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
