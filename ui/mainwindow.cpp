#include "mainwindow.h"

#include "configpanel.h"
#include "convergenceplot.h"
#include "detailspanel.h"
#include "errors.h"
#include "format.h"
#include "frontiertable.h"
#include "jsonio.h"
#include "livesearch.h"
#include "paretoplot.h"
#include "proxycheck.h"
#include "remote.h"
#include "resumedialog.h"
#include "statusbar.h"
#include "theme.h"
#include "wheelguard.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUrl>

#include <algorithm>
#include <functional>

namespace studio {

namespace {

    constexpr int kMaxRecent = 8;
    constexpr double kDefaultFastestAboveM = 20; // the README's example question
    constexpr int kDetailsMinWidth = 340; // the measurement lines and per-layer columns fit without eliding
    constexpr double kFirstWindowShare = 0.92; // of the screen's free area, on the first start

    bool isRunFolder(const QString& path)
    {
        return QFileInfo(QDir(path).filePath(QString::fromLatin1(lts::kSessionFile))).isFile();
    }

    // "Wrote /path/config.json", or "Wrote 3 files in /path" (the folder they share).
    QString writtenText(const QStringList& written)
    {
        if (written.isEmpty())
            return QStringLiteral("Wrote nothing");
        if (written.size() == 1)
            return QStringLiteral("Wrote %1").arg(QDir::toNativeSeparators(written.front()));
        QString common = QFileInfo(written.front()).absolutePath();
        for (const QString& f : written)
            while (!QFileInfo(f).absoluteFilePath().startsWith(common + QLatin1Char('/')) && common.size() > 1)
                common = QFileInfo(common).absolutePath();
        return QStringLiteral("Wrote %1 in %2")
            .arg(countText(written.size(), QStringLiteral("file")), QDir::toNativeSeparators(common));
    }

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_store(new RunStore(this))
    , m_live(new LiveSearch(m_store, this))
    , m_config(new ConfigPanel(this))
    , m_plot(new ParetoPlot(m_store, this))
    , m_table(new FrontierTable(m_store, this))
    , m_details(new DetailsPanel(m_store, this))
    , m_convergence(new ConvergencePlot(m_store, this))
{
    setWindowTitle(QStringLiteral("LTS Studio"));
    setWindowIcon(appIcon());
    guardWheelOnFields();
    setAcceptDrops(true);
    setCentralWidget(m_plot);
    setDockNestingEnabled(true);

    auto dock = [this](const QString& title, const char* name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(QString::fromLatin1(name));
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    QDockWidget* configDock = dock(QStringLiteral("Configure"), "configureDock", m_config, Qt::LeftDockWidgetArea);
    QDockWidget* tableDock = dock(QStringLiteral("Frontier"), "frontierDock", m_table, Qt::BottomDockWidgetArea);
    QDockWidget* detailsDock = dock(QStringLiteral("Details"), "detailsDock", m_details, Qt::RightDockWidgetArea);
    QDockWidget* convergenceDock =
        dock(QStringLiteral("Convergence"), "convergenceDock", m_convergence, Qt::BottomDockWidgetArea);
    splitDockWidget(tableDock, convergenceDock, Qt::Horizontal);
    resizeDocks({ configDock, detailsDock }, { 360, 330 }, Qt::Horizontal);
    resizeDocks({ tableDock }, { 230 }, Qt::Vertical);
    resizeDocks({ tableDock, convergenceDock }, { 1000, 400 }, Qt::Horizontal);

    m_details->setMinimumWidth(kDetailsMinWidth);
    buildActions();
    buildStatusBar();
    QMenu* view = menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"));
    for (QDockWidget* d : { configDock, tableDock, detailsDock, convergenceDock })
        view->addAction(d->toggleViewAction());

    connect(m_live, &LiveSearch::progressChanged, this, &MainWindow::updateStatus);
    connect(m_live, &LiveSearch::finished, this, &MainWindow::onSearchFinished);
    connect(m_live, &LiveSearch::warning, this, &MainWindow::onSearchWarning);
    connect(m_live, &LiveSearch::message, this, [this](const QString& text) { statusBar()->showMessage(text, 5000); });
    connect(m_config, &ConfigPanel::validityChanged, this, &MainWindow::updateActions);
    connect(m_plot, &ParetoPlot::metricsChosen, this, [this] { m_axesChosen = true; });
    connect(m_details, &DetailsPanel::copyRequested, this, &MainWindow::copySelection);
    connect(m_details, &DetailsPanel::exportRequested, this, [this] { exportInteractive(ExportFormat::ArchJson); });
    connect(m_store, &RunStore::layersChanged, this, [this] {
        const int l = m_store->primaryLayer();
        setWindowTitle(
            l < 0 ? QStringLiteral("LTS Studio") : QStringLiteral("%1 — LTS Studio").arg(m_store->layer(l).name));
        updateStatus(); // with no search of its own, the status bar describes the run shown
    });

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        // First start: most of the screen, so the plot, Configure and Details all fit.
        if (const QScreen* screen = QGuiApplication::primaryScreen()) {
            const QRect area = screen->availableGeometry();
            const QSize size(int(area.width() * kFirstWindowShare), int(area.height() * kFirstWindowShare));
            setGeometry(QStyle::alignedRect(Qt::LeftToRight, Qt::AlignCenter, size, area));
        }
    } else {
        fitOnScreen();
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    // A settings file from another version may hold any number here.
    auto metric = [&settings](const char* key, Metric fallback) {
        const int v = settings.value(QString::fromLatin1(key), int(fallback)).toInt();
        return v >= int(Metric::DecoderParams) && v <= int(kLastMetric) ? Metric(v) : fallback;
    };
    m_plot->setMetrics(metric("plot/x", Metric::DecoderParams), metric("plot/y", Metric::Latency));
    // Axes the user picked in an earlier session stay when a run opens, as picked ones do.
    m_axesChosen = settings.value(QStringLiteral("plot/chosen"), false).toBool();
    m_plot->setLogScale(settings.value(QStringLiteral("plot/log_x"), false).toBool(),
        settings.value(QStringLiteral("plot/log_y"), false).toBool());
    setDark(settings.value(QStringLiteral("view/dark"), false).toBool());
    // The Configure form as it was left, budget included; one that no longer reads (another
    // version, a hand-edited file) leaves the defaults.
    const QByteArray form = settings.value(QStringLiteral("config/form")).toByteArray();
    if (!form.isEmpty()) {
        try {
            m_config->setConfig(lts::searchConfigFromJson(lts::parseJsonObject(form, "config/form")));
        } catch (const std::exception&) {
        }
    }
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    const QList<QAction*> fileTools = buildFileMenu();
    buildEditMenu();
    buildSearchMenu();
    buildViewMenu();
    QMenu* help = menuBar()->addMenu(QStringLiteral("&Help"));
    QAction* guide = help->addAction(QStringLiteral("LTS Studio &Guide"));
    guide->setShortcut(QKeySequence::HelpContents);
    connect(guide, &QAction::triggered, this, &MainWindow::openGuide);
    QAction* keys = help->addAction(QStringLiteral("&Keyboard Shortcuts"));
    keys->setObjectName(QStringLiteral("shortcutsAction"));
    connect(keys, &QAction::triggered, this, &MainWindow::showShortcuts);
    help->addSeparator();
    QAction* about = help->addAction(QStringLiteral("&About LTS Studio"));
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);

    QToolBar* bar = addToolBar(QStringLiteral("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_start);
    bar->addAction(m_pause);
    bar->addAction(m_stop);
    bar->addSeparator();
    bar->addActions(fileTools);
}

// Returns the actions the tool bar shows.
QList<QAction*> MainWindow::buildFileMenu()
{
    QStyle* s = style();
    QMenu* file = menuBar()->addMenu(QStringLiteral("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    // Asks for a folder and hands it to `use`, which says what went wrong through m_lastError.
    auto folderAction = [this, file](const QString& text, const QString& title, std::function<bool(QString)> use) {
        QAction* a = file->addAction(text);
        connect(a, &QAction::triggered, this, [this, title, use] {
            const QString dir = QFileDialog::getExistingDirectory(this, title, runsFolder());
            if (!dir.isEmpty() && !use(dir))
                showError(title, m_lastError);
        });
        return a;
    };
    QAction* openRunAction = folderAction(QStringLiteral("&Open Run Folder…"), QStringLiteral("Open run folder"),
        [this](const QString& dir) { return openRun(dir, false); });
    openRunAction->setIcon(s->standardIcon(QStyle::SP_DialogOpenButton));
    openRunAction->setShortcut(QKeySequence::Open);
    openRunAction->setToolTip(QStringLiteral("Show a run folder written by lts-studio or lts-search"));
    QAction* addRunAction = folderAction(QStringLiteral("&Add Run to Compare…"),
        QStringLiteral("Add run folder to compare"), [this](const QString& dir) { return openRun(dir, true); });
    addRunAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    addRunAction->setToolTip(
        QStringLiteral("Overlay another run folder's frontier, e.g. one measured on another device"));
    m_resume = folderAction(QStringLiteral("&Resume Run Folder…"), QStringLiteral("Resume run folder"),
        [this](const QString& dir) { return askAndResume(dir); });
    m_resume->setObjectName(QStringLiteral("resumeAction"));
    m_resume->setToolTip(QStringLiteral("Continue a stopped or killed search in its folder, as lts-search run "
                                        "--resume does: nothing is measured twice"));
    m_recentMenu = file->addMenu(QStringLiteral("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    QAction* closeRuns = file->addAction(QStringLiteral("&Close Runs"));
    closeRuns->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_W));
    connect(closeRuns, &QAction::triggered, this, [this] {
        if (!isSearchRunning())
            m_store->clear();
    });
    file->addSeparator();
    QAction* openConfigAction = file->addAction(QStringLiteral("Open Search &Configuration…"));
    openConfigAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(openConfigAction, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, QStringLiteral("Open search configuration"), QString(),
            QStringLiteral("Search configuration (*.json)"));
        if (!f.isEmpty() && !openConfig(f))
            showError(QStringLiteral("Open search configuration"), m_lastError);
    });
    QAction* saveConfigAction =
        file->addAction(s->standardIcon(QStyle::SP_DialogSaveButton), QStringLiteral("&Save Search Configuration…"));
    saveConfigAction->setShortcut(QKeySequence::Save);
    saveConfigAction->setToolTip(QStringLiteral("Save the settings as JSON, the file lts-search run --space reads"));
    connect(saveConfigAction, &QAction::triggered, this, [this] {
        QString f = QFileDialog::getSaveFileName(this, QStringLiteral("Save search configuration"),
            QStringLiteral("search.json"), QStringLiteral("JSON (*.json)"));
        if (f.isEmpty())
            return;
        if (QFileInfo(f).suffix().isEmpty())
            f += QStringLiteral(".json");
        if (!saveConfig(f))
            showError(QStringLiteral("Save search configuration"), m_lastError);
    });
    file->addSeparator();
    QMenu* exportMenu = file->addMenu(QStringLiteral("&Export"));
    QAction* exportJson = exportMenu->addAction(QStringLiteral("Architecture &JSON…"));
    exportJson->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(exportJson, &QAction::triggered, this, [this] { exportInteractive(ExportFormat::ArchJson); });
    QAction* exportHf = exportMenu->addAction(QStringLiteral("&Hugging Face config.json…"));
    exportHf->setToolTip(
        QStringLiteral("GPT2Config when every layer is alike, else Archai's per-layer gpt2-flex config; "
                       "GPT-2 only"));
    connect(exportHf, &QAction::triggered, this, [this] { exportInteractive(ExportFormat::HuggingFace); });
    QAction* exportCsv = exportMenu->addAction(QStringLiteral("&CSV…"));
    connect(exportCsv, &QAction::triggered, this, [this] { exportInteractive(ExportFormat::Csv); });
    exportMenu->addSeparator();
    QAction* exportImage = exportMenu->addAction(QStringLiteral("&Plot as PNG, PDF or SVG…"));
    exportImage->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    connect(exportImage, &QAction::triggered, this, &MainWindow::exportPlotInteractive);
    file->addSeparator();
    QAction* quit = file->addAction(QStringLiteral("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    return { openRunAction, addRunAction, saveConfigAction, exportImage };
}

void MainWindow::buildEditMenu()
{
    QMenu* edit = menuBar()->addMenu(QStringLiteral("&Edit"));
    QAction* copy = edit->addAction(QStringLiteral("&Copy Architecture JSON"));
    copy->setShortcut(QKeySequence::Copy);
    connect(copy, &QAction::triggered, this, &MainWindow::copySelection);
    QAction* selectFrontier = edit->addAction(QStringLiteral("Select &Frontier"));
    selectFrontier->setShortcut(QKeySequence::SelectAll);
    connect(selectFrontier, &QAction::triggered, this, [this] { m_store->setSelection(m_store->allFrontierPoints()); });
    QAction* fastest = edit->addAction(QStringLiteral("Select Fastest &Above…"));
    fastest->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    fastest->setToolTip(QStringLiteral("Select the lowest-latency architecture with at least N decoder parameters"));
    connect(fastest, &QAction::triggered, this, [this] {
        bool ok = false;
        const double m = QInputDialog::getDouble(this, QStringLiteral("Select fastest above"),
            QStringLiteral("At least this many decoder parameters (millions):"), kDefaultFastestAboveM, 0, 1e6, 2, &ok);
        if (ok && !selectFastestAbove(m * 1e6))
            statusBar()->showMessage(
                QStringLiteral("No measured architecture has %1M decoder parameters or more").arg(m), 5000);
    });
    QAction* clearSelection = edit->addAction(QStringLiteral("Clear Selection"));
    clearSelection->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(clearSelection, &QAction::triggered, this, [this] { m_store->setSelection({}); });
}

void MainWindow::buildSearchMenu()
{
    QMenu* search = menuBar()->addMenu(QStringLiteral("&Search"));
    m_start = search->addAction(QStringLiteral("&Start"));
    m_start->setObjectName(QStringLiteral("startAction"));
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(m_start, &QAction::triggered, this, [this] {
        if (!startSearch())
            showError(QStringLiteral("Start search"), m_lastError);
    });
    m_pause = search->addAction(QStringLiteral("&Pause"));
    m_pause->setObjectName(QStringLiteral("pauseAction"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setToolTip(QStringLiteral("Pause after the current measurement; press again to go on"));
    connect(m_pause, &QAction::toggled, this, &MainWindow::setPaused);
    m_stop = search->addAction(QStringLiteral("S&top"));
    m_stop->setObjectName(QStringLiteral("stopAction"));
    m_stop->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_stop->setToolTip(
        QStringLiteral("Stop within the current measurement; everything measured stays in the run folder"));
    connect(m_stop, &QAction::triggered, this, &MainWindow::stopSearch);
    search->addSeparator();
    m_checkProxy = search->addAction(QStringLiteral("Check &Proxy…"));
    m_checkProxy->setObjectName(QStringLiteral("checkProxyAction"));
    m_checkProxy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    m_checkProxy->setToolTip(QStringLiteral("Train a sample of the run's architectures on your own text and see how "
                                            "well decoder parameters rank them"));
    connect(m_checkProxy, &QAction::triggered, this, [this] {
        if (!showProxyCheck())
            showError(QStringLiteral("Check Proxy"), m_lastError);
    });
}

ProxyCheckDialog* MainWindow::showProxyCheck()
{
    const int primary = m_store->primaryLayer();
    if (primary < 0) {
        m_lastError =
            QStringLiteral("Open a run folder or run a search first: the check trains architectures of a run.");
        return nullptr;
    }
    if (!m_proxy) {
        m_proxy = new ProxyCheckDialog(this);
        m_proxy->setDark(m_dark->isChecked());
        connect(m_proxy, &ProxyCheckDialog::candidatesSelected, this, &MainWindow::selectCandidates);
        connect(m_proxy, &ProxyCheckDialog::runningChanged, this, [this] { updateActions(); });
    }
    const QString folder = m_store->layer(primary).folder;
    if (!m_proxy->isRunning() && m_proxy->runFolder() != folder)
        m_proxy->setRun(folder);
    updateActions();
    m_proxy->show();
    m_proxy->raise();
    m_proxy->activateWindow();
    return m_proxy;
}

bool MainWindow::auditAllowsSearch(const lts::SearchConfig& config)
{
    if (m_proxy && m_proxy->isRunning() && !lts::isRemoteDevice(config.protocol.device)) {
        m_lastError = QStringLiteral("a proxy check is training on this computer; its training would slow every "
                                     "measurement. Stop it (Search > Check Proxy…) or measure on a remote device.");
        return false;
    }
    return true;
}

void MainWindow::selectCandidates(const QString& folder, const std::vector<int>& ids)
{
    for (int l = 0; l < m_store->layerCount(); ++l) {
        if (QFileInfo(m_store->layer(l).folder) != QFileInfo(folder))
            continue;
        const auto& candidates = m_store->layer(l).candidates;
        std::vector<PointRef> refs;
        for (int id : ids)
            for (int i = 0; i < int(candidates.size()); ++i)
                if (candidates[std::size_t(i)].id == id)
                    refs.push_back({ l, i });
        m_store->setSelection(refs);
        return;
    }
}

void MainWindow::buildViewMenu()
{
    QMenu* view = menuBar()->addMenu(QStringLiteral("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    QAction* reset = view->addAction(QStringLiteral("&Reset Plot View"));
    reset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(reset, &QAction::triggered, m_plot, &ParetoPlot::resetView);
    QAction* follow = view->addAction(QStringLiteral("&Follow New Points"));
    follow->setCheckable(true);
    follow->setChecked(m_plot->follow());
    follow->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    connect(follow, &QAction::toggled, m_plot, &ParetoPlot::setFollow);
    connect(m_plot, &ParetoPlot::followChanged, follow, &QAction::setChecked);
    m_dark = view->addAction(QStringLiteral("&Dark Theme"));
    m_dark->setCheckable(true);
    m_dark->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    connect(m_dark, &QAction::toggled, this, &MainWindow::setDark);
    view->addSeparator();
}

void MainWindow::buildStatusBar()
{
    m_folderLabel = new QLabel(statusBar());
    m_folderLabel->setObjectName(QStringLiteral("statusFolder"));
    m_folderLabel->setVisible(false);
    statusBar()->addPermanentWidget(m_folderLabel);
    m_status = new SearchStatus(statusBar());
}

bool MainWindow::isSearchRunning() const
{
    return m_live->isRunning();
}

QString MainWindow::liveRunFolder() const
{
    return m_live->folder();
}

QString MainWindow::runsFolder() const
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("runs"));
}

QString MainWindow::automaticRunFolder() const
{
    const QString base = runsFolder();
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString dir = QDir(base).filePath(stamp);
    for (int n = 2; QFileInfo::exists(dir); ++n)
        dir = QDir(base).filePath(QStringLiteral("%1-%2").arg(stamp).arg(n));
    return dir;
}

bool MainWindow::startSearch()
{
    if (isSearchRunning()) {
        m_lastError = QStringLiteral("a search is already running");
        return false;
    }
    lts::SearchConfig config;
    try {
        config = m_config->config();
    } catch (const lts::InputError& e) {
        m_lastError = QString::fromStdString(e.what());
        return false;
    }
    if (!auditAllowsSearch(config))
        return false;
    QString folder = m_config->outputFolder();
    if (folder.isEmpty()) {
        folder = automaticRunFolder();
    } else if (QFileInfo(QDir(folder).filePath(QString::fromLatin1(lts::kCandidatesFile))).size() > 0) {
        m_lastError = QStringLiteral("%1 already holds a run: continue it with File > Resume Run Folder…, choose "
                                     "another folder, or clear the field for an automatic one")
                          .arg(QDir::toNativeSeparators(folder));
        return false;
    }
    m_lastError.clear();
    m_status->setProblem(QString());
    if (!m_live->start(config, folder, &m_lastError))
        return false;
    searchStarted(config);
    return true;
}

// Reads the run in `folder` into `run`; false with lastError() when it cannot be read.
bool MainWindow::loadRunOrSayWhy(const QString& folder, lts::LoadedRun& run)
{
    try {
        run = lts::loadRun(folder);
        return true;
    } catch (const std::exception& e) {
        m_lastError = QString::fromStdString(e.what());
        return false;
    }
}

// Shows what the run in `folder` did and asks for this session's budget and the iterations, then
// resumes it. True when it resumed or the user chose not to.
bool MainWindow::askAndResume(const QString& folder)
{
    if (isSearchRunning() || !isRunFolder(folder))
        return resumeSearch(folder); // says why it cannot
    lts::LoadedRun run;
    if (!loadRunOrSayWhy(folder, run))
        return false;
    ResumeDialog dialog(folder, run, this);
    if (dialog.exec() != QDialog::Accepted)
        return true;
    return resumeSearch(folder, dialog.options());
}

bool MainWindow::resumeSearch(const QString& folder, const ResumeOptions& options)
{
    if (isSearchRunning()) {
        m_lastError = QStringLiteral("a search is already running");
        return false;
    }
    if (!isRunFolder(folder)) {
        m_lastError = QStringLiteral("%1 is not a run folder (it has no %2)")
                          .arg(QDir::toNativeSeparators(folder), QString::fromLatin1(lts::kSessionFile));
        return false;
    }
    if (m_proxy && m_proxy->isRunning()) {
        try {
            if (!auditAllowsSearch(lts::searchConfigFromJson(
                    lts::readJsonFile(QDir(folder).filePath(QString::fromLatin1(lts::kSessionFile)))
                        .value(QStringLiteral("config"))
                        .toObject())))
                return false;
        } catch (const std::exception&) {
            // The resume below names what is wrong with the folder.
        }
    }
    m_lastError.clear();
    m_status->setProblem(QString());
    if (!m_live->resume(folder, &m_lastError, options))
        return false;
    m_config->setConfig(m_live->config());
    searchStarted(m_live->config());
    m_plot->resetView();
    return true;
}

void MainWindow::searchStarted(const lts::SearchConfig& config)
{
    {
        const QSignalBlocker block(m_pause);
        m_pause->setChecked(false);
    }
    alignAxesWith(config);
    statusBar()->showMessage(QStringLiteral("Writing %1").arg(QDir::toNativeSeparators(m_live->folder())), 5000);
    updateActions();
    updateStatus();
}

void MainWindow::stopSearch()
{
    m_live->stop();
}

void MainWindow::setPaused(bool paused)
{
    m_live->setPaused(paused);
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(paused && isSearchRunning());
}

void MainWindow::onSearchFinished(const QString& failure)
{
    if (!failure.isEmpty()) {
        m_lastError = failure;
        m_status->setProblem(failure);
        showError(QStringLiteral("Search stopped"),
            QStringLiteral("%1<p>Everything measured before this is in %2; what the window shows can still be "
                           "exported.</p>")
                .arg(failure.toHtmlEscaped(), QDir::toNativeSeparators(m_live->folder()).toHtmlEscaped()));
    }
    {
        const QSignalBlocker block(m_pause);
        m_pause->setChecked(false);
    }
    // The pace tells the planned duration of the next search of this space before it starts.
    constexpr int kMinPaceSamples = 5;
    if (failure.isEmpty() && m_live->evaluatedThisSession() >= kMinPaceSamples)
        QSettings().setValue(ConfigPanel::paceKey(m_live->config()), m_live->secondsPerCandidate());
    updateActions();
    updateStatus();
    addRecent(m_live->folder());
    Q_EMIT searchFinished(failure);
}

void MainWindow::onSearchWarning(const QString& message)
{
    m_status->setProblem(message);
    m_lastError = message;
}

void MainWindow::updateActions()
{
    const bool running = isSearchRunning();
    const bool valid = m_config->isValid();
    m_start->setEnabled(!running && valid);
    m_start->setToolTip(running ? QStringLiteral("A search is running")
            : valid             ? QStringLiteral("Start the search with the Configure panel's settings")
                                : QStringLiteral("Cannot start: %1").arg(m_config->problem()));
    m_start->setStatusTip(m_start->toolTip());
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
    m_resume->setEnabled(!running);
    m_config->setEnabled(!running);
    if (m_proxy) {
        const bool local = running && !lts::isRemoteDevice(m_live->config().protocol.device);
        m_proxy->setSearchRunning(local);
        if (m_proxy->isRunning() && !running)
            m_start->setToolTip(
                QStringLiteral("A proxy check is training on this computer: a search here is refused until it "
                               "ends (a remote device can measure beside it)"));
    }
}

void MainWindow::updateStatus()
{
    SearchProgress p = m_live->progress();
    if (!p.hasRun) {
        // No search of this window's: the counts and hypervolume are those of the run the plot
        // follows, not an empty search's.
        if (const int l = m_store->primaryLayer(); l >= 0) {
            const RunLayer& shown = m_store->layer(l);
            p.estimated = int(std::count_if(shown.candidates.begin(), shown.candidates.end(),
                [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; }));
            p.evaluated = int(shown.candidates.size()) - p.estimated;
            p.hypervolume = shown.history.empty() ? 0 : shown.history.back().hypervolume;
            p.objectives = shown.config.search.objectives;
        }
    }
    m_status->show(p);
    using State = SearchProgress::State;
    QString banner;
    switch (p.state) {
    case State::Running:
    case State::Pausing:
        banner = QStringLiteral("Search running: %1 so far. The settings are locked until it stops (Stop: Ctrl+.).")
                     .arg(countText(p.evaluated, QStringLiteral("candidate")));
        break;
    case State::Paused:
        banner = QStringLiteral("Search paused after %1: press Pause again to go on.")
                     .arg(countText(p.evaluated, QStringLiteral("candidate")));
        break;
    case State::Stopped:
        banner = QStringLiteral("Stopped by you after %1; File → Resume Run Folder… goes on with it.")
                     .arg(countText(p.evaluated, QStringLiteral("candidate")));
        break;
    case State::Finished:
        banner = QStringLiteral("%1 after %2.").arg(stateText(p), countText(p.evaluated, QStringLiteral("candidate")));
        break;
    case State::Failed:
        banner = QStringLiteral("The search failed after %1 (see the status bar).")
                     .arg(countText(p.evaluated, QStringLiteral("candidate")));
        break;
    case State::DevicesLost:
        // The engine's reason reads "paused: every measuring device was lost (…); resume the run…".
        banner = QStringLiteral("Search paused after %1: %2. Once a device is back, File → Resume Run Folder… "
                                "goes on with it.")
                     .arg(countText(p.evaluated, QStringLiteral("candidate")))
                     .arg(p.finishReason.mid(int(qstrlen("paused: "))).section(QStringLiteral("; resume"), 0, 0));
        break;
    case State::Idle:
        break;
    }
    m_config->setRunState(banner, isSearchRunning());
    m_folderLabel->setVisible(p.hasRun);
    if (p.hasRun) {
        const QString folder = QDir::toNativeSeparators(m_live->folder());
        m_folderLabel->setText(QStringLiteral("Run: %1").arg(QFileInfo(m_live->folder()).fileName()));
        m_folderLabel->setToolTip(QStringLiteral("The search writes %1").arg(folder));
    }
}

// A window restored from another screen, or wider than this one, is brought inside the screen
// it is on (or the primary one), shrunk to fit where it must.
void MainWindow::fitOnScreen()
{
    const QScreen* screen = QGuiApplication::screenAt(frameGeometry().center());
    if (!screen)
        screen = QGuiApplication::primaryScreen();
    if (!screen)
        return;
    const QRect area = screen->availableGeometry();
    const QMargins frame(geometry().left() - frameGeometry().left(), geometry().top() - frameGeometry().top(),
        frameGeometry().right() - geometry().right(), frameGeometry().bottom() - geometry().bottom());
    const QRect room = area.marginsRemoved(frame);
    QRect g = geometry();
    g.setSize(g.size().boundedTo(room.size()).expandedTo(minimumSizeHint().boundedTo(room.size())));
    g.moveLeft(std::clamp(g.left(), room.left(), std::max(room.left(), room.right() - g.width() + 1)));
    g.moveTop(std::clamp(g.top(), room.top(), std::max(room.top(), room.bottom() - g.height() + 1)));
    if (g != geometry())
        setGeometry(g);
}

void MainWindow::alignAxesWith(const lts::SearchConfig& config)
{
    // A scoring run measures latency and peak memory whatever its objectives, a generation run
    // prefill, decode and peak memory: the user's axes stay while the run measures them.
    const auto& o = config.search.objectives;
    const bool generation = lts::workloadOf(o) == lts::Workload::Generate;
    auto measured = [&](Metric m) {
        return m == Metric::Latency ? !generation : m == Metric::Prefill || m == Metric::Decode ? generation : true;
    };
    Metric x = m_plot->xMetric(), y = m_plot->yMetric();
    if (!measured(x))
        x = Metric::DecoderParams;
    const bool objectiveAxis =
        std::any_of(o.begin() + 1, o.end(), [&](lts::Objective objective) { return metricOf(objective) == y; });
    if (!measured(y) || (!m_axesChosen && !objectiveAxis))
        y = metricOf(o[1]);
    if (x != m_plot->xMetric() || y != m_plot->yMetric())
        m_plot->setMetrics(x, y);
}

bool MainWindow::openPath(const QString& path, bool overlay)
{
    const QFileInfo info(path);
    if (info.isDir())
        return openRun(path, overlay);
    if (info.isFile() && info.fileName() == QLatin1String(lts::kSessionFile))
        return openRun(info.absolutePath(), overlay);
    if (info.isFile())
        return openConfig(path);
    m_lastError = QStringLiteral("%1 does not exist").arg(QDir::toNativeSeparators(path));
    return false;
}

bool MainWindow::openRun(const QString& folder, bool overlay)
{
    if (!isRunFolder(folder)) {
        m_lastError = QStringLiteral("%1 is not a run folder (it has no %2)")
                          .arg(QDir::toNativeSeparators(folder), QString::fromLatin1(lts::kSessionFile));
        return false;
    }
    lts::LoadedRun run;
    if (!loadRunOrSayWhy(folder, run))
        return false;
    m_live->flush();
    if (!overlay && !isSearchRunning())
        m_store->clear();
    m_store->addLayer(layerFromRun(run, QFileInfo(folder).absoluteFilePath()));
    if (m_store->layerCount() == 1)
        alignAxesWith(run.info.config);
    m_plot->resetView();
    QString message =
        QStringLiteral("Opened %1: %2 candidates").arg(QDir::toNativeSeparators(folder)).arg(run.candidates.size());
    if (!run.warnings.empty())
        message += QStringLiteral(" (%1 damaged lines skipped)").arg(run.warnings.size());
    try {
        lts::AuditReport audit;
        if (lts::loadAudit(folder, audit))
            message += audit.decoderParams.n >= 2
                ? QStringLiteral("; proxy check: Spearman ρ %1 over %2 trained architectures (Search > Check Proxy…)")
                      .arg(audit.decoderParams.spearman, 0, 'f', 3)
                      .arg(audit.decoderParams.n)
                : QStringLiteral("; a proxy check was started (Search > Check Proxy…)");
    } catch (const std::exception& e) {
        message += QStringLiteral("; its proxy check cannot be read: %1").arg(QString::fromStdString(e.what()));
    }
    if (m_proxy && !m_proxy->isRunning() && !overlay)
        m_proxy->setRun(QFileInfo(folder).absoluteFilePath());
    statusBar()->showMessage(message, 8000);
    addRecent(QFileInfo(folder).absoluteFilePath());
    return true;
}

bool MainWindow::openConfig(const QString& file)
{
    try {
        const lts::SearchConfig c = lts::searchConfigFromJson(lts::readJsonFile(file));
        m_config->setConfig(c);
    } catch (const std::exception& e) {
        m_lastError = QString::fromStdString(e.what());
        return false;
    }
    statusBar()->showMessage(QStringLiteral("Loaded %1").arg(QDir::toNativeSeparators(file)), 5000);
    addRecent(QFileInfo(file).absoluteFilePath());
    return true;
}

bool MainWindow::saveConfig(const QString& file)
{
    try {
        lts::writeFileAtomically(file, QJsonDocument(lts::searchConfigToJson(m_config->config())).toJson());
    } catch (const std::exception& e) {
        m_lastError = QString::fromStdString(e.what());
        return false;
    }
    statusBar()->showMessage(QStringLiteral("Saved %1").arg(QDir::toNativeSeparators(file)), 5000);
    addRecent(QFileInfo(file).absoluteFilePath());
    return true;
}

ExportReport MainWindow::exportTo(ExportFormat format, const QString& target)
{
    const ExportReport report = exportCandidates(m_store->exportSet(), format, target);
    m_lastError = report.problems.join(QLatin1Char('\n'));
    return report;
}

void MainWindow::exportInteractive(ExportFormat format)
{
    const std::vector<lts::Candidate> set = m_store->exportSet();
    if (set.empty()) {
        showError(QStringLiteral("Export"), QStringLiteral("Nothing to export: run a search or open a run first."));
        return;
    }
    const QString what = m_store->selection().empty()
        ? QStringLiteral("the frontier (%1 architectures)").arg(set.size())
        : QStringLiteral("%1 selected architecture(s)").arg(set.size());
    // Which of them the format can hold is said before a file name is asked for.
    QStringList problems;
    for (const lts::Candidate& c : set)
        if (const QString p = exportProblem(c, format); !p.isEmpty())
            problems << p;
    if (!problems.isEmpty()) {
        const QString text = QStringLiteral("%1 of %2 cannot be exported in this format; architecture JSON and CSV "
                                            "hold every one.\n\n%3")
                                 .arg(problems.size())
                                 .arg(what, problems.mid(0, 5).join(QLatin1Char('\n')));
        if (problems.size() == int(set.size())) {
            showError(QStringLiteral("Export"), text);
            return;
        }
        if (QMessageBox::question(this, QStringLiteral("Export"), text + QStringLiteral("\n\nExport the others?"))
            != QMessageBox::Yes)
            return;
    }
    QString target;
    if (format == ExportFormat::Csv) {
        target = QFileDialog::getSaveFileName(this, QStringLiteral("Export %1 as CSV").arg(what),
            QStringLiteral("frontier.csv"), QStringLiteral("CSV (*.csv)"));
    } else if (set.size() == 1) {
        const QString name = format == ExportFormat::ArchJson ? QStringLiteral("arch-%1.json").arg(set.front().id)
                                                              : QStringLiteral("config.json");
        target = QFileDialog::getSaveFileName(
            this, QStringLiteral("Export %1").arg(what), name, QStringLiteral("JSON (*.json)"));
    } else {
        target = QFileDialog::getExistingDirectory(this, QStringLiteral("Folder for %1").arg(what));
    }
    if (target.isEmpty())
        return;
    const ExportReport report = exportTo(format, target);
    if (!report.problems.isEmpty())
        showError(QStringLiteral("Export"),
            QStringLiteral("%1.\n\n%2").arg(writtenText(report.written), report.problems.join(QLatin1Char('\n'))));
    else
        statusBar()->showMessage(writtenText(report.written), 8000);
}

bool MainWindow::exportPlot(const QString& path)
{
    QString error;
    const bool ok = m_plot->saveImage(path, &error);
    if (!ok)
        m_lastError = error;
    return ok;
}

void MainWindow::exportPlotInteractive()
{
    QString filter;
    QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export plot"), QStringLiteral("pareto.png"),
        QStringLiteral("PNG image (*.png);;PDF document (*.pdf);;SVG image (*.svg)"), &filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += filter.contains(QLatin1String("pdf")) ? QStringLiteral(".pdf")
            : filter.contains(QLatin1String("svg"))   ? QStringLiteral(".svg")
                                                      : QStringLiteral(".png");
    if (exportPlot(path))
        statusBar()->showMessage(QStringLiteral("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
    else
        showError(QStringLiteral("Export plot"), m_lastError);
}

void MainWindow::copySelection()
{
    const PointRef p = m_store->current();
    if (!m_store->contains(p)) {
        statusBar()->showMessage(QStringLiteral("Select an architecture first"), 4000);
        return;
    }
    QApplication::clipboard()->setText(QString::fromUtf8(archJsonText(m_store->candidate(p))));
    statusBar()->showMessage(QStringLiteral("Copied the JSON of #%1").arg(m_store->candidate(p).id), 4000);
}

bool MainWindow::selectFastestAbove(double decoderParams)
{
    const PointRef best = m_store->fastestAbove(decoderParams);
    if (!best.valid())
        return false;
    m_store->setSelection({ best });
    return true;
}

void MainWindow::setDark(bool dark)
{
    applyPalette(dark);
    m_plot->setDark(dark);
    m_convergence->setDark(dark);
    m_start->setIcon(mediaIcon(MediaIcon::Start, dark));
    m_pause->setIcon(mediaIcon(MediaIcon::Pause, dark));
    m_stop->setIcon(mediaIcon(MediaIcon::Stop, dark));
    if (m_proxy)
        m_proxy->setDark(dark);
    const QSignalBlocker block(m_dark);
    m_dark->setChecked(dark);
}

void MainWindow::addRecent(const QString& path)
{
    if (path.isEmpty())
        return;
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(QStringLiteral("recent"), recent);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
    for (const QString& path : recent) {
        QAction* a = m_recentMenu->addAction(QDir::toNativeSeparators(path));
        a->setEnabled(QFileInfo::exists(path));
        connect(a, &QAction::triggered, this, [this, path] {
            if (!openPath(path))
                showError(QStringLiteral("Open"), m_lastError);
        });
    }
    if (recent.isEmpty())
        m_recentMenu->addAction(QStringLiteral("(none)"))->setEnabled(false);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, QStringLiteral("About LTS Studio"),
        QStringLiteral("<b>LTS Studio %1</b><p>Training-free, hardware-aware architecture search "
                       "(LiteTransformerSearch) for GPT-2 and Transformer-XL language models. "
                       "Decoder parameters stand in for perplexity; latency and peak memory are "
                       "measured on this machine with LibTorch.</p><p>GPL-3.0-or-later.</p>")
            .arg(QString::fromLatin1(LTS_VERSION)));
}

// One row per menu action with a shortcut, submenus included ("File → Export → …").
static void addShortcutRows(const QMenu* menu, const QString& path, QString& rows)
{
    for (const QAction* a : menu->actions()) {
        const QString name = path + QStringLiteral(" → ") + a->text().remove(QLatin1Char('&'));
        if (a->menu())
            addShortcutRows(a->menu(), name, rows);
        else if (!a->shortcut().isEmpty())
            rows += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>")
                        .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(), name.toHtmlEscaped());
    }
}

static QString shortcutsText(const QMenuBar* bar)
{
    QString rows;
    for (const QAction* menu : bar->actions())
        if (menu->menu())
            addShortcutRows(menu->menu(), menu->text().remove(QLatin1Char('&')), rows);
    return QStringLiteral("<table cellpadding=3>%1</table><p>On the plot: drag to pan, wheel to zoom, click to "
                          "select, Ctrl+click to add, Shift+drag to select a box.</p>")
        .arg(rows);
}

void MainWindow::showShortcuts()
{
    auto* box = new QMessageBox(QMessageBox::Information, QStringLiteral("Keyboard shortcuts"),
        shortcutsText(menuBar()), QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::RichText);
    box->setModal(false);
    box->show();
}

void MainWindow::openGuide()
{
    // The guide where the package installs it, else in the source tree of a build folder.
    const QString exe = QCoreApplication::applicationDirPath();
    for (const QString& candidate : { QDir(exe).filePath(QStringLiteral("../share/doc/lts-studio/gui.md")),
             QDir(exe).filePath(QStringLiteral("../../docs/gui.md")) }) {
        if (QFileInfo::exists(candidate) && QDesktopServices::openUrl(QUrl::fromLocalFile(QDir::cleanPath(candidate))))
            return;
    }
    showError(QStringLiteral("Guide"),
        QStringLiteral("The guide (docs/gui.md) is not installed next to this program, or no program here opens "
                       "it. It is also in the source repository, and `man lts-studio` summarises it."));
}

void MainWindow::showError(const QString& title, const QString& message)
{
    // Non-modal: a search may be streaming points, and nothing should wait on the user.
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->show();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (isSearchRunning()) {
        const auto answer = QMessageBox::question(this, QStringLiteral("Quit LTS Studio"),
            QStringLiteral("A search is running. Stop it and quit? Everything measured so far is saved in %1.")
                .arg(QDir::toNativeSeparators(m_live->folder())));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_live->stop();
        m_live->waitForStop();
    }
    if (m_proxy && m_proxy->isRunning()) {
        m_proxy->stop(); // every trained architecture is in audit.json already
        m_proxy->waitForStop();
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("view/dark"), m_dark->isChecked());
    settings.setValue(QStringLiteral("plot/x"), int(m_plot->xMetric()));
    settings.setValue(QStringLiteral("plot/y"), int(m_plot->yMetric()));
    settings.setValue(QStringLiteral("plot/chosen"), m_axesChosen);
    settings.setValue(QStringLiteral("plot/log_x"), m_plot->logX());
    settings.setValue(QStringLiteral("plot/log_y"), m_plot->logY());
    settings.setValue(QStringLiteral("config/form"),
        QJsonDocument(lts::searchConfigToJson(m_config->config())).toJson(QJsonDocument::Compact));
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        for (const QUrl& url : event->mimeData()->urls())
            if (url.isLocalFile()) {
                event->acceptProposedAction();
                return;
            }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    // Several run folders dropped at once are overlaid, to compare them.
    bool first = true;
    QStringList problems;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile())
            continue;
        if (!openPath(url.toLocalFile(), !first))
            problems << m_lastError;
        first = false;
    }
    event->acceptProposedAction();
    if (!problems.isEmpty())
        showError(QStringLiteral("Open"), problems.join(QLatin1Char('\n')));
}

} // namespace studio
