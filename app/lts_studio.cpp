// lts-studio: the desktop application. Opens an optional run folder or search configuration
// given on the command line; --demo-search runs short searches and saves screenshots (used by
// packaging/screenshots.sh).
#include "configpanel.h"
#include "frontiertable.h"
#include "mainwindow.h"
#include "paretoplot.h"
#include "proxycheck.h"
#include "theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QLineEdit>
#include <QSettings>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>

namespace {

constexpr int kDemoWidth = 1480; // screenshots at a size that shows every dock legibly
constexpr int kDemoHeight = 940;
constexpr int kSettleMs = 400;
constexpr double kDemoParamsFloor = 1e6; // the demo's "fastest above N decoder params" pick
// The demo's proxy check trains on a text every Debian system has (35 kB).
constexpr const char* kDemoText = "/usr/share/common-licenses/GPL-3";

// A small GPT-2 space whose candidates measure in tens of milliseconds, so a short demo still
// finds a frontier with a few dozen points.
lts::SearchConfig demoConfig(double seconds, int batch)
{
    lts::SearchConfig c;
    lts::SearchSpace& s = c.space;
    s.name = "gpt2-demo";
    s.backbone = lts::Backbone::Gpt2;
    s.nLayerMin = 1;
    s.nLayerMax = 6;
    s.dModel = lts::rangeChoices(128, 384, 64);
    s.nHead = { 2, 4, 8 };
    s.dInner = lts::rangeChoices(256, 1536, 128);
    s.minInnerRatio = 1.5;
    s.divVal = 1;
    s.dEmbed = 256;
    s.vocabSize = 8000;
    s.seqLen = 64;
    c.search.iterations = 40;
    c.search.parents = 8;
    c.search.mutants = 12;
    c.search.crossovers = 12;
    c.search.timeBudgetS = seconds;
    c.protocol.batch = batch;
    c.protocol.warmup = 1;
    c.protocol.repeats = 5;
    return c;
}

void grabTo(studio::MainWindow& w, const QString& path)
{
    // Layout requests travel through nested widgets over several event-loop passes; let them land.
    QEventLoop settle;
    QTimer::singleShot(kSettleMs, &settle, &QEventLoop::quit);
    settle.exec();
    w.plot()->canvas()->replot();
    if (!w.grab().save(path))
        std::fprintf(stderr, "lts-studio: cannot write %s\n", qPrintable(path));
    else
        std::fprintf(stderr, "lts-studio: wrote %s\n", qPrintable(path));
}

// Two short searches of the demo space, at batch 1 and batch 4 (two deployment targets), with a
// screenshot after each and one of a refused entry; quits when done.
int runDemo(studio::MainWindow& window, double seconds, const QString& outDir)
{
    QDir().mkpath(outDir);
    const QString runs =
        QDir(QDir::tempPath()).filePath(QStringLiteral("lts-studio-demo-%1").arg(QApplication::applicationPid()));
    window.resize(kDemoWidth, kDemoHeight);
    window.setDark(false);
    window.show();

    // Two searches of the same space, at batch 1 and batch 4, stand in for two deployment targets.
    int stage = 0;
    QString firstRun;
    auto startStage = [&](int batch) {
        window.configPanel()->setConfig(demoConfig(seconds, batch));
        window.configPanel()->setOutputFolder(QDir(runs).filePath(QStringLiteral("cpu-batch-%1").arg(batch)));
        if (!window.startSearch()) {
            std::fprintf(stderr, "lts-studio: %s\n", qPrintable(window.lastError()));
            QApplication::exit(1);
        }
    };
    QObject::connect(&window, &studio::MainWindow::searchFinished, &window, [&](const QString& failure) {
        if (!failure.isEmpty()) {
            std::fprintf(stderr, "lts-studio: demo search failed: %s\n", qPrintable(failure));
            QApplication::exit(1);
            return;
        }
        if (stage == 0) {
            firstRun = window.liveRunFolder();
            // A screened-out candidate's details: estimates with their expected error, nothing measured.
            const studio::RunLayer& layer = window.store()->layer(window.store()->primaryLayer());
            const auto estimated = std::find_if(layer.candidates.begin(), layer.candidates.end(),
                [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; });
            if (estimated != layer.candidates.end()) {
                window.store()->setSelection(
                    { { window.store()->primaryLayer(), int(estimated - layer.candidates.begin()) } });
                grabTo(window, QDir(outDir).filePath(QStringLiteral("studio-estimated.png")));
            } else {
                std::fprintf(stderr, "lts-studio: the demo search screened nothing out: no studio-estimated.png\n");
            }
            window.selectFastestAbove(kDemoParamsFloor);
            window.plot()->resetView();
            grabTo(window, QDir(outDir).filePath(QStringLiteral("studio-search.png")));
            stage = 1;
            QTimer::singleShot(0, &window, [&] { startStage(4); });
            return;
        }
        const QString secondRun = window.liveRunFolder();
        window.openRun(firstRun, false);
        window.openRun(secondRun, true);
        window.plot()->resetView();
        window.setDark(true);
        window.selectFastestAbove(kDemoParamsFloor);
        grabTo(window, QDir(outDir).filePath(QStringLiteral("studio-compare-dark.png")));
        window.setDark(false);
        // An entry the space cannot take: the field is marked and Start says why it is disabled.
        if (auto* heads = qobject_cast<QLineEdit*>(window.configPanel()->fieldWidget(QStringLiteral("n_head"))))
            heads->setText(QStringLiteral("2, 3"));
        grabTo(window, QDir(outDir).filePath(QStringLiteral("studio-validation.png")));
        // A proxy check of the first run: six architectures, briefly trained.
        auto finish = [&] {
            QDir(runs).removeRecursively();
            QApplication::quit();
        };
        if (!QFileInfo::exists(QString::fromLatin1(kDemoText))) {
            std::fprintf(stderr, "lts-studio: %s is missing: no studio-proxy.png\n", kDemoText);
            finish();
            return;
        }
        window.openRun(firstRun, false);
        studio::ProxyCheckDialog* check = window.showProxyCheck();
        lts::AuditConfig audit;
        audit.text = kDemoText;
        audit.archs = 6;
        audit.train.tokens = 16384;
        audit.train.threads = std::max(1, QThread::idealThreadCount());
        check->setSettings(audit);
        QObject::connect(check, &studio::ProxyCheckDialog::runningChanged, check, [=](bool running) {
            if (running)
                return;
            // The largest architecture selected, with its misranked pairs drawn.
            check->setSelectedEntries({ int(check->report().entries.size()) - 1 });
            QTimer::singleShot(kSettleMs, check, [=] {
                check->resultPlot()->replot();
                check->lossPlot()->replot();
                const QString path = QDir(outDir).filePath(QStringLiteral("studio-proxy.png"));
                std::fprintf(stderr, "lts-studio: %s %s\n", check->grab().save(path) ? "wrote" : "cannot write",
                    qPrintable(path));
                finish();
            });
        });
        if (!check->start()) {
            std::fprintf(stderr, "lts-studio: proxy check: %s\n", qPrintable(check->lastError()));
            finish();
        }
    });
    QTimer::singleShot(0, &window, [&] { startStage(1); });
    // Half way through the first search: the window while it runs.
    QTimer::singleShot(int(seconds * 500), &window,
        [&] { grabTo(window, QDir(outDir).filePath(QStringLiteral("studio-running.png"))); });
    return QApplication::exec();
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("lts-studio"));
    QApplication::setApplicationName(QStringLiteral("lts-studio"));
    QApplication::setApplicationVersion(QStringLiteral(LTS_VERSION));
    QApplication::setWindowIcon(studio::appIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("LTS Studio: training-free, hardware-aware Transformer search"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("paths"),
        QStringLiteral("Run folders to open (overlaid) or a search configuration to load"),
        QStringLiteral("[paths...]"));
    const QCommandLineOption demo(QStringLiteral("demo-search"),
        QStringLiteral("Run two short demo searches (batch 1 and 4) of SECONDS each, save screenshots, quit"),
        QStringLiteral("SECONDS"));
    const QCommandLineOption shots(QStringLiteral("screenshots"),
        QStringLiteral("Folder for the demo's screenshots (default docs/screenshots)"), QStringLiteral("DIR"),
        QStringLiteral("docs/screenshots"));
    const QCommandLineOption start(QStringLiteral("start"),
        QStringLiteral("Start the search of the configuration given as a path as soon as the window opens"));
    const QCommandLineOption out(QStringLiteral("out"),
        QStringLiteral("Run folder for a search started with --start (default: a new folder in the data folder)"),
        QStringLiteral("DIR"));
    const QCommandLineOption resume(QStringLiteral("resume"),
        QStringLiteral("Open the run folder DIR and continue its search at once, as lts-search run --resume does"),
        QStringLiteral("DIR"));
    parser.addOption(resume);
    parser.addOption(demo);
    parser.addOption(shots);
    parser.addOption(start);
    parser.addOption(out);
    parser.process(app);

    if (parser.isSet(demo)) {
        // The demo neither uses nor changes the user's saved layout, and starts from the default one.
        QApplication::setOrganizationName(QStringLiteral("lts-studio-demo"));
        QSettings().clear();
    }
    studio::MainWindow window;
    // Several run folders are overlaid, to compare them; a configuration fills the Configure panel.
    bool first = true;
    for (const QString& path : parser.positionalArguments()) {
        if (!window.openPath(path, !first))
            std::fprintf(stderr, "lts-studio: %s\n", qPrintable(window.lastError()));
        first = false;
    }

    if (!parser.isSet(demo)) {
        window.show();
        if (parser.isSet(out))
            window.configPanel()->setOutputFolder(parser.value(out));
        if (parser.isSet(start) && !window.startSearch()) {
            std::fprintf(stderr, "lts-studio: %s\n", qPrintable(window.lastError()));
            return 2;
        }
        if (parser.isSet(resume) && !window.resumeSearch(parser.value(resume))) {
            std::fprintf(stderr, "lts-studio: %s\n", qPrintable(window.lastError()));
            return 2;
        }
        return app.exec();
    }

    bool ok = false;
    const double seconds = parser.value(demo).toDouble(&ok);
    if (!ok || seconds <= 0) {
        std::fprintf(stderr, "lts-studio: --demo-search needs a positive number of seconds\n");
        return 2;
    }
    return runDemo(window, seconds, parser.value(shots));
}
