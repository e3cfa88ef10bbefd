#include "proxycheck.h"

#include "configlimits.h"
#include "errors.h"
#include "format.h"
#include "metatypes.h"
#include "paretoplot.h"
#include "runtime.h"
#include "searchcontroller.h"
#include "theme.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

namespace studio {

namespace {

    constexpr int kStepSignalMs = 50; // the loss curves need no more than 20 points a second
    constexpr int kProgressSteps = 1000;
    constexpr int kLegendLimit = 12; // more curves than this are told apart by hovering the table

    // Ten categorical colours that read on white and on the dark theme (Tableau 10).
    const QRgb kPalette[] = { 0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f,
        0xbab0ac };

    enum Column {
        ColId,
        ColPicked,
        ColLayers,
        ColDModel,
        ColDecoder,
        ColTotal,
        ColTokens,
        ColPpl,
        ColBits,
        ColSpeed,
        ColStatus,
        ColumnCount
    };

    QString q(const std::string& s)
    {
        return QString::fromStdString(s);
    }

    QString entryName(const lts::AuditEntry& e)
    {
        return QStringLiteral("#%1 L%2 d%3").arg(e.pick.candidateId).arg(e.pick.arch.nLayer).arg(e.pick.arch.dModel);
    }

    int doneCount(const lts::AuditReport& r)
    {
        return int(std::count_if(r.entries.begin(), r.entries.end(), [](const lts::AuditEntry& e) { return e.done; }));
    }

    bool trainedOk(const lts::AuditEntry& e)
    {
        return e.done && e.result.status == lts::TrainResult::Status::Ok;
    }

    QString interval(const lts::Interval& i)
    {
        return QStringLiteral("[%1, %2]").arg(i.lo, 0, 'f', 3).arg(i.hi, 0, 'f', 3);
    }

    // Tokens trained per curve step of a finished entry (every step trains batch x context).
    double tokensPerStep(const lts::TrainResult& r)
    {
        return r.steps > 0 ? double(r.tokensTrained) / r.steps : 0.0;
    }

} // namespace

AuditWorker::AuditWorker(QString runDir, lts::AuditConfig config)
    : m_runDir(std::move(runDir))
    , m_config(std::move(config))
{
}

void AuditWorker::run()
{
    using Clock = std::chrono::steady_clock;
    std::vector<Clock::time_point> lastStep;
    lts::AuditReport last;
    QString failure;
    try {
        last = lts::runAudit(
            m_runDir, m_config,
            [&](const lts::AuditEvent& e) {
                switch (e.kind) {
                case lts::AuditEvent::Kind::Planned:
                    lastStep.assign(e.report->entries.size(), Clock::time_point {});
                    Q_EMIT planned(*e.report);
                    break;
                case lts::AuditEvent::Kind::Started:
                    Q_EMIT started(e.index);
                    break;
                case lts::AuditEvent::Kind::Step: {
                    const auto now = Clock::now();
                    auto& t = lastStep[std::size_t(e.index)];
                    if (e.progress.step == e.progress.steps || now - t >= std::chrono::milliseconds(kStepSignalMs)) {
                        t = now;
                        Q_EMIT stepped(e.index, e.progress);
                    }
                    break;
                }
                case lts::AuditEvent::Kind::Done:
                    Q_EMIT trained(*e.report, e.index);
                    break;
                case lts::AuditEvent::Kind::Finished:
                    break;
                }
            },
            m_cancel);
    } catch (const std::exception& e) {
        failure = q(e.what());
    } catch (...) {
        failure = QStringLiteral("the proxy check stopped with an unknown error");
    }
    Q_EMIT done(last, failure);
}

ProxyCheckDialog::ProxyCheckDialog(QWidget* parent)
    : QDialog(parent)
{
    registerMetaTypes();
    setObjectName(QStringLiteral("proxyCheckDialog"));
    setWindowTitle(QStringLiteral("Check Proxy"));
    setSizeGripEnabled(true);
    resize(1100, 820);
    buildForm();
    buildPlots();

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("auditTable"));
    m_table->setHorizontalHeaderLabels({ QStringLiteral("Id"), QStringLiteral("Picked"), QStringLiteral("Layers"),
        QStringLiteral("d_model"), QStringLiteral("Decoder params"), QStringLiteral("Total params"),
        QStringLiteral("Tokens"), QStringLiteral("Val. perplexity"), QStringLiteral("Bits/byte"),
        QStringLiteral("Tokens/s"), QStringLiteral("Status") });
    m_table->horizontalHeaderItem(ColPicked)->setToolTip(
        QStringLiteral("frontier: spread over the frontier's parameter range; pair N: nearly equal "
                       "decoder parameters but a different depth; run: from the rest of the run"));
    m_table->horizontalHeaderItem(ColTotal)->setToolTip(
        QStringLiteral("As trained: the embedding and head are sized for 256 byte values"));
    m_table->horizontalHeaderItem(ColPpl)->setToolTip(QStringLiteral("Perplexity per byte on the validation part"));
    m_table->verticalHeader()->setVisible(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        std::set<int> rows;
        for (const QModelIndex& i : m_table->selectionModel()->selectedRows())
            rows.insert(i.row());
        const std::vector<int> entries(rows.begin(), rows.end());
        if (entries != m_selected)
            userSelected(entries);
    });

    auto* note = new QLabel(
        QStringLiteral("Byte-level tokens: each architecture's decoder layers are trained exactly as searched; its "
                       "embedding and head are sized for the 256 byte values, so perplexity is per byte. Every "
                       "architecture gets the same data order, schedule and budget."),
        this);
    note->setWordWrap(true);
    note->setEnabled(false); // the theme's muted text colour

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("auditProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("auditStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_eta = new QLabel(this);
    m_eta->setObjectName(QStringLiteral("auditEta"));
    m_start = new QPushButton(mediaIcon(MediaIcon::Start, false), QStringLiteral("&Start"), this);
    m_start->setObjectName(QStringLiteral("auditStart"));
    m_start->setDefault(true);
    m_stop = new QPushButton(mediaIcon(MediaIcon::Stop, false), QStringLiteral("S&top"), this);
    m_stop->setObjectName(QStringLiteral("auditStop"));
    m_stop->setToolTip(QStringLiteral("Stop within the current step; every trained architecture stays in audit.json, "
                                      "and Start resumes"));
    auto* close = new QPushButton(QStringLiteral("&Close"), this);
    close->setToolTip(QStringLiteral("A running check goes on in the background"));
    connect(m_start, &QPushButton::clicked, this, [this] {
        if (!start())
            setStatus(m_lastError, true);
    });
    connect(m_stop, &QPushButton::clicked, this, &ProxyCheckDialog::stop);
    m_startOver = new QPushButton(QStringLiteral("Start O&ver…"), this);
    m_startOver->setObjectName(QStringLiteral("auditStartOver"));
    m_startOver->setToolTip(
        QStringLiteral("Keep this check under a dated name and start a new one with these settings"));
    connect(m_startOver, &QPushButton::clicked, this, [this] {
        const auto answer = QMessageBox::question(this, QStringLiteral("Start over"),
            QStringLiteral("Keep the run's check as audit-<date>.json and audit-<date>.csv and start a new one with "
                           "these settings?"));
        if (answer == QMessageBox::Yes && !startOver())
            setStatus(m_lastError, true);
    });
    connect(close, &QPushButton::clicked, this, &QDialog::close);

    auto* resultBox = new QWidget(this);
    auto* resultLayout = new QVBoxLayout(resultBox);
    resultLayout->setContentsMargins(0, 0, 0, 0);
    resultLayout->addWidget(m_resultPlot, 1);
    resultLayout->addWidget(m_agreement);
    auto* plots = new QSplitter(Qt::Horizontal, this);
    plots->addWidget(m_lossPlot);
    plots->addWidget(resultBox);
    plots->setStretchFactor(0, 1);
    plots->setStretchFactor(1, 1);
    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(plots);
    vertical->addWidget(m_table);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_eta, 1);
    buttons->addWidget(m_startOver);
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(close);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_runLabel);
    layout->addWidget(findChild<QGroupBox*>(QStringLiteral("auditSettings")));
    layout->addWidget(vertical, 1);
    layout->addWidget(note);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addLayout(buttons);

    QSettings s;
    lts::AuditConfig remembered;
    remembered.text = s.value(QStringLiteral("proxyCheck/text")).toString().toStdString();
    remembered.archs = s.value(QStringLiteral("proxyCheck/archs"), remembered.archs).toInt();
    remembered.train.tokens =
        s.value(QStringLiteral("proxyCheck/tokens"), qlonglong(remembered.train.tokens)).toLongLong();
    remembered.timeBudgetS = s.value(QStringLiteral("proxyCheck/timeBudgetS"), 0.0).toDouble();
    remembered.train.threads = s.value(QStringLiteral("proxyCheck/threads"), runtimeCores()).toInt();
    setSettings(remembered);
    setStatus(QStringLiteral("Open a run to check its proxy."));
    updateButtons();
    applyPlotTheme(m_lossPlot, false);
    applyPlotTheme(m_resultPlot, false);
}

ProxyCheckDialog::~ProxyCheckDialog()
{
    stop();
    m_thread.reset(); // quits and waits before the worker it runs is deleted
    m_worker.reset();
}

int ProxyCheckDialog::runtimeCores()
{
    const lts::RuntimeInfo& rt = lts::runtimeInfo();
    return std::max(1, rt.devices.empty() ? 1 : rt.devices.front().cores);
}

void ProxyCheckDialog::buildForm()
{
    m_runLabel = new QLabel(this);
    m_runLabel->setObjectName(QStringLiteral("auditRun"));
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* box = new QGroupBox(QStringLiteral("Train a sample of the run's architectures on your text"), this);
    box->setObjectName(QStringLiteral("auditSettings"));

    m_text = new QLineEdit(box);
    m_text->setObjectName(QStringLiteral("auditText"));
    m_text->setPlaceholderText(QStringLiteral("a UTF-8 text file, e.g. bible -f \"Gen1:1-Rev22:21\" > kjv.txt"));
    m_browse = new QPushButton(QStringLiteral("&Browse…"), box);
    connect(m_browse, &QPushButton::clicked, this, &ProxyCheckDialog::browseText);
    auto* textRow = new QHBoxLayout;
    textRow->addWidget(m_text, 1);
    textRow->addWidget(m_browse);

    m_archs = new QSpinBox(box);
    m_archs->setObjectName(QStringLiteral("auditArchs"));
    m_archs->setRange(lts::kAuditArchLimits.lo, lts::kAuditArchLimits.hi);
    m_archs->setToolTip(QStringLiteral("A quarter are pairs of nearly equal decoder parameters but different depth; "
                                       "the rest spread over the frontier's parameter range"));

    m_budgetKind = new QComboBox(box);
    m_budgetKind->setObjectName(QStringLiteral("auditBudgetKind"));
    m_budgetKind->addItems({ QStringLiteral("Tokens per architecture"), QStringLiteral("Time for the whole check") });
    m_tokens = new QDoubleSpinBox(box);
    m_tokens->setObjectName(QStringLiteral("auditTokens"));
    m_tokens->setDecimals(0);
    m_tokens->setRange(lts::kTrainTokenLimits.lo, lts::kTrainTokenLimits.hi);
    m_tokens->setSingleStep(65536);
    m_tokens->setGroupSeparatorShown(true);
    m_tokens->setSuffix(QStringLiteral(" tokens"));
    m_minutes = new QDoubleSpinBox(box);
    m_minutes->setObjectName(QStringLiteral("auditMinutes"));
    m_minutes->setDecimals(1);
    m_minutes->setRange(0.1, lts::kTrainSecondLimits.hi / 60.0);
    m_minutes->setValue(20);
    m_minutes->setSuffix(QStringLiteral(" min"));
    m_minutes->setToolTip(QStringLiteral("Shared equally: every architecture trains for the same time"));
    m_budgetStack = new QStackedWidget(box);
    m_budgetStack->addWidget(m_tokens);
    m_budgetStack->addWidget(m_minutes);
    connect(
        m_budgetKind, qOverload<int>(&QComboBox::currentIndexChanged), m_budgetStack, &QStackedWidget::setCurrentIndex);
    auto* budgetRow = new QHBoxLayout;
    budgetRow->addWidget(m_budgetKind);
    budgetRow->addWidget(m_budgetStack, 1);

    m_device = new QComboBox(box);
    m_device->setObjectName(QStringLiteral("auditDevice"));
    for (const lts::DeviceInfo& d : lts::runtimeInfo().devices)
        m_device->addItem(QStringLiteral("%1 (%2)").arg(q(d.id == "cpu" ? "CPU" : d.id), q(d.name)), q(d.id));
    m_threads = new QSpinBox(box);
    m_threads->setObjectName(QStringLiteral("auditThreads"));
    m_threads->setRange(lts::kThreadLimits.lo, std::min(lts::kThreadLimits.hi, 4 * runtimeCores()));
    m_threads->setToolTip(QStringLiteral("CPU threads for training, BLAS included"));
    auto* deviceRow = new QHBoxLayout;
    deviceRow->addWidget(m_device, 1);
    deviceRow->addWidget(new QLabel(QStringLiteral("Threads"), box));
    deviceRow->addWidget(m_threads);

    auto* form = new QFormLayout(box);
    auto row = [&](const QString& text, QWidget* buddy, auto* field) {
        auto* label = new QLabel(text, box);
        label->setBuddy(buddy);
        form->addRow(label, field);
    };
    row(QStringLiteral("&Text file"), m_text, textRow);
    row(QStringLiteral("&Architectures"), m_archs, m_archs);
    row(QStringLiteral("B&udget"), m_budgetKind, budgetRow);
    row(QStringLiteral("&Device"), m_device, deviceRow);
}

void ProxyCheckDialog::buildPlots()
{
    m_lossPlot = new PlotCanvas(this);
    m_lossPlot->setObjectName(QStringLiteral("auditLossPlot"));
    m_lossPlot->setMinimumSize(320, 240);
    m_lossPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_lossPlot->xAxis->setLabel(QStringLiteral("tokens trained"));
    m_lossPlot->yAxis->setLabel(QStringLiteral("training loss (nats per byte)"));
    m_lossPlot->legend->setVisible(true);
    m_lossPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_lossPlot->legend->setFont(small);

    m_resultPlot = new PlotCanvas(this);
    m_resultPlot->setObjectName(QStringLiteral("auditResultPlot"));
    m_resultPlot->setMinimumSize(320, 240);
    m_resultPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_resultPlot->xAxis->setLabel(QStringLiteral("decoder parameters (M)"));
    m_resultPlot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_resultPlot->xAxis->setTicker(decadeTicker());
    m_resultPlot->yAxis->setLabel(QStringLiteral("validation perplexity (per byte)"));
    connect(m_resultPlot, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) { m_pressPos = e->pos(); });
    connect(m_resultPlot, &QCustomPlot::mouseRelease, this, &ProxyCheckDialog::onResultMouseRelease);
    connect(m_resultPlot, &QCustomPlot::mouseMove, this, &ProxyCheckDialog::onResultMouseMove);
    connect(m_resultPlot->selectionRect(), &QCPSelectionRect::accepted, this, &ProxyCheckDialog::onResultBox);

    m_agreement = new QLabel(this);
    m_agreement->setObjectName(QStringLiteral("auditAgreement"));
    m_agreement->setWordWrap(true);
    m_agreement->setTextFormat(Qt::RichText);
    m_agreement->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void ProxyCheckDialog::browseText()
{
    const QString start = m_text->text().isEmpty() ? QDir::homePath() : QFileInfo(m_text->text()).absolutePath();
    const QString file = QFileDialog::getOpenFileName(
        this, QStringLiteral("Text to train on"), start, QStringLiteral("Text files (*.txt);;All files (*)"));
    if (!file.isEmpty())
        m_text->setText(QDir::toNativeSeparators(file));
}

void ProxyCheckDialog::setSettings(const lts::AuditConfig& c)
{
    m_text->setText(q(c.text));
    m_archs->setValue(c.archs);
    if (c.timeBudgetS > 0) {
        m_budgetKind->setCurrentIndex(1);
        m_minutes->setValue(c.timeBudgetS / 60.0);
    } else {
        m_budgetKind->setCurrentIndex(0);
        m_tokens->setValue(double(c.train.tokens));
    }
    const int device = m_device->findData(q(c.train.device == "cuda" ? "cuda:0" : c.train.device));
    if (device >= 0)
        m_device->setCurrentIndex(device);
    m_threads->setValue(c.train.threads);
}

lts::AuditConfig ProxyCheckDialog::settings() const
{
    lts::AuditConfig c;
    c.text = QDir::fromNativeSeparators(m_text->text().trimmed()).toStdString();
    if (c.text.empty())
        throw lts::InputError("Text file", "choose the UTF-8 text file to train on");
    c.archs = m_archs->value();
    if (m_budgetKind->currentIndex() == 1)
        c.timeBudgetS = m_minutes->value() * 60.0;
    else
        c.train.tokens = std::int64_t(std::llround(m_tokens->value()));
    c.train.device = m_device->currentData().toString().toStdString();
    c.train.threads = m_threads->value();
    c.validate();
    return c;
}

bool ProxyCheckDialog::setRun(const QString& folder)
{
    if (isRunning()) {
        m_lastError =
            QStringLiteral("a proxy check of %1 is running; stop it first").arg(QDir::toNativeSeparators(m_folder));
        return false;
    }
    m_folder = folder;
    m_runLabel->setText(QStringLiteral("Run: %1").arg(QDir::toNativeSeparators(folder)));
    m_report = lts::AuditReport {};
    m_selected.clear();
    bool ok = true;
    try {
        lts::AuditReport loaded;
        if (lts::loadAudit(folder, loaded)) {
            m_report = std::move(loaded);
            setSettings(m_report.config);
        }
    } catch (const std::exception& e) {
        m_lastError = q(e.what());
        ok = false;
    }
    showReport();
    if (!ok)
        setStatus(m_lastError, true);
    else if (m_report.entries.empty())
        setStatus(QStringLiteral("No proxy check in this run yet: choose a text and press Start."));
    else if (m_report.finished)
        setStatus(QStringLiteral("Checked: %1 of %2 architectures trained in %3.")
                      .arg(m_report.trained())
                      .arg(m_report.entries.size())
                      .arg(clockText(m_report.elapsedS)));
    else
        setStatus(QStringLiteral("Stopped: %1 of %2 architectures trained and kept; Start resumes with the same "
                                 "settings.")
                      .arg(doneCount(m_report))
                      .arg(m_report.entries.size()));
    m_progress->setValue(0);
    m_eta->clear();
    updateButtons();
    return ok;
}

bool ProxyCheckDialog::start()
{
    if (isRunning()) {
        m_lastError = QStringLiteral("a proxy check is already running");
        return false;
    }
    if (m_folder.isEmpty()) {
        m_lastError =
            QStringLiteral("open a run folder or run a search first: the check trains architectures of a run");
        return false;
    }
    if (m_searchRunning) {
        m_lastError = QStringLiteral("a search is measuring on this computer; training beside it would slow its "
                                     "measurements and distort them. Stop the search or let it finish first.");
        return false;
    }
    lts::AuditConfig config;
    try {
        config = settings();
    } catch (const lts::InputError& e) {
        m_lastError = q(e.what());
        return false;
    }
    QSettings s;
    s.setValue(QStringLiteral("proxyCheck/text"), q(config.text));
    s.setValue(QStringLiteral("proxyCheck/archs"), config.archs);
    s.setValue(QStringLiteral("proxyCheck/tokens"), qlonglong(config.train.tokens));
    s.setValue(QStringLiteral("proxyCheck/timeBudgetS"), config.timeBudgetS);
    s.setValue(QStringLiteral("proxyCheck/threads"), config.train.threads);

    m_costDone = m_secondsDone = m_currentElapsed = 0;
    m_current = -1;
    m_worker = std::make_unique<AuditWorker>(m_folder, config);
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("lts-audit"));
    m_worker->moveToThread(m_thread.get());
    connect(m_worker.get(), &AuditWorker::planned, this, &ProxyCheckDialog::onPlanned, Qt::QueuedConnection);
    connect(m_worker.get(), &AuditWorker::started, this, &ProxyCheckDialog::onStarted, Qt::QueuedConnection);
    connect(m_worker.get(), &AuditWorker::stepped, this, &ProxyCheckDialog::onStepped, Qt::QueuedConnection);
    connect(m_worker.get(), &AuditWorker::trained, this, &ProxyCheckDialog::onTrained, Qt::QueuedConnection);
    connect(m_worker.get(), &AuditWorker::done, this, &ProxyCheckDialog::onDone, Qt::QueuedConnection);
    m_thread->start();
    AuditWorker* worker = m_worker.get();
    QMetaObject::invokeMethod(
        worker, [worker] { worker->run(); }, Qt::QueuedConnection);
    setStatus(QStringLiteral("Reading %1…").arg(QDir::toNativeSeparators(q(config.text))));
    m_eta->setText(QStringLiteral("time left: known after the first steps"));
    updateButtons();
    Q_EMIT runningChanged(true);
    return true;
}

bool ProxyCheckDialog::startOver()
{
    if (isRunning()) {
        m_lastError = QStringLiteral("a proxy check is running; stop it first");
        return false;
    }
    try {
        settings(); // the new settings are valid before the old check is moved away
    } catch (const lts::InputError& e) {
        m_lastError = q(e.what());
        return false;
    }
    const QDir dir(m_folder);
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    for (const char* name : { lts::kAuditJsonFile, lts::kAuditCsvFile }) {
        const QString from = dir.filePath(QString::fromLatin1(name));
        const QString to = dir.filePath(
            QString::fromLatin1(name).replace(QStringLiteral("audit."), QStringLiteral("audit-%1.").arg(stamp)));
        if (QFile::exists(from) && !QFile::rename(from, to)) {
            m_lastError = QStringLiteral("cannot rename %1 to %2")
                              .arg(QDir::toNativeSeparators(from), QDir::toNativeSeparators(to));
            return false;
        }
    }
    m_report = lts::AuditReport {};
    m_selected.clear();
    showReport();
    return start();
}

void ProxyCheckDialog::stop()
{
    if (m_worker)
        m_worker->cancel();
}

void ProxyCheckDialog::waitForStop()
{
    if (m_thread) {
        m_thread->quit(); // its event loop ends once the worker's run() has returned
        m_thread->wait();
    }
}

void ProxyCheckDialog::setSearchRunning(bool running)
{
    m_searchRunning = running;
    updateButtons();
}

void ProxyCheckDialog::updateButtons()
{
    const bool running = isRunning();
    m_start->setEnabled(!running && !m_folder.isEmpty() && !m_searchRunning);
    m_start->setToolTip(m_searchRunning ? QStringLiteral("A search is measuring on this computer: training beside it "
                                                         "would distort its measurements")
                                        : QStringLiteral("Train the sample; a stopped check resumes"));
    m_stop->setEnabled(running);
    m_startOver->setEnabled(!running && !m_searchRunning && !m_report.entries.empty());
    for (QWidget* w :
        std::initializer_list<QWidget*> { m_text, m_browse, m_archs, m_budgetKind, m_budgetStack, m_device, m_threads })
        w->setEnabled(!running);
}

void ProxyCheckDialog::setStatus(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #d62728;") : QString());
}

QString ProxyCheckDialog::statusText() const
{
    return m_status->text();
}

QString ProxyCheckDialog::agreementText() const
{
    return m_agreement->text();
}

void ProxyCheckDialog::onPlanned(const lts::AuditReport& report)
{
    m_report = report;
    m_selected.clear();
    showReport();
    const int done = doneCount(m_report);
    setStatus(QStringLiteral("%1 architectures picked%2; %3 bytes of text (%4 to train on); %5.")
                  .arg(m_report.entries.size())
                  .arg(done > 0 ? QStringLiteral(", %1 already trained").arg(done) : QString())
                  .arg(QLocale().toString(qlonglong(m_report.corpusBytes)))
                  .arg(QLocale().toString(qlonglong(m_report.trainBytes)))
                  .arg(q(m_report.runtime)));
    updateProgress(-1, nullptr);
}

void ProxyCheckDialog::onStarted(int index)
{
    if (index < 0 || index >= int(m_report.entries.size()))
        return;
    m_current = index;
    m_currentElapsed = 0;
    m_sessionStartS = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    const lts::AuditEntry& e = m_report.entries[std::size_t(index)];
    setStatus(QStringLiteral("Training %1 of %2: %3, %4 decoder parameters…")
                  .arg(index + 1)
                  .arg(m_report.entries.size())
                  .arg(entryName(e))
                  .arg(millions(e.pick.decoderParams)));
    m_table->item(index, ColStatus)->setText(QStringLiteral("training"));
}

void ProxyCheckDialog::onStepped(int index, const lts::TrainProgress& p)
{
    if (index < 0 || index >= int(m_report.entries.size()))
        return;
    m_currentElapsed = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0 - m_sessionStartS;
    if (QCPGraph* g = lossGraph(index)) {
        g->addData(double(p.tokens), p.loss);
        g->rescaleAxes(false);
        m_lossPlot->rescaleAxes(true);
        m_lossPlot->replot(QCustomPlot::rpQueuedReplot);
    }
    const lts::AuditEntry& e = m_report.entries[std::size_t(index)];
    setStatus(QStringLiteral("Training %1 of %2: %3 — step %4 of %5, loss %6, %7 tokens/s")
                  .arg(index + 1)
                  .arg(m_report.entries.size())
                  .arg(entryName(e))
                  .arg(p.step)
                  .arg(p.steps)
                  .arg(p.loss, 0, 'f', 3)
                  .arg(QLocale().toString(p.tokensPerS, 'f', 0)));
    m_table->item(index, ColStatus)
        ->setText(QStringLiteral("training %1%").arg(p.steps > 0 ? 100 * p.step / p.steps : 0));
    updateProgress(index, &p);
}

void ProxyCheckDialog::onTrained(const lts::AuditReport& report, int index)
{
    const double seconds = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0 - m_sessionStartS;
    m_report = report;
    m_costDone += entryCost(index);
    m_secondsDone += seconds;
    m_current = -1;
    fillRow(index);
    rebuildLossPlot();
    rebuildResultPlot();
    updateProgress(-1, nullptr);
}

void ProxyCheckDialog::onDone(const lts::AuditReport& report, const QString& failure)
{
    m_thread.reset();
    m_worker.reset();
    if (!report.entries.empty())
        m_report = report;
    if (!report.entries.empty() || !failure.isEmpty())
        showReport();
    const int done = doneCount(m_report);
    if (!failure.isEmpty()) {
        m_lastError = failure;
        setStatus(failure, true);
    } else if (m_report.finished) {
        setStatus(QStringLiteral("Checked: %1 of %2 architectures trained in %3; kept in %4 and %5.")
                      .arg(m_report.trained())
                      .arg(m_report.entries.size())
                      .arg(clockText(m_report.elapsedS))
                      .arg(q(lts::kAuditJsonFile), q(lts::kAuditCsvFile)));
        m_progress->setValue(kProgressSteps);
    } else {
        setStatus(QStringLiteral("Stopped: %1 of %2 architectures trained and kept in %3; Start resumes.")
                      .arg(done)
                      .arg(m_report.entries.size())
                      .arg(q(lts::kAuditJsonFile)));
    }
    m_eta->setText(m_report.finished ? QString() : QStringLiteral("time left: –"));
    updateButtons();
    Q_EMIT runningChanged(false);
}

double ProxyCheckDialog::entryCost(int index) const
{
    if (index < 0 || index >= int(m_report.entries.size()))
        return 0;
    const lts::AuditEntry& e = m_report.entries[std::size_t(index)];
    // Parameters as trained: the decoder plus a byte embedding (and GPT-2's positions) of d_model.
    const int positions = e.pick.arch.backbone == lts::Backbone::Gpt2 ? e.pick.arch.seqLen : 0;
    return double(e.pick.decoderParams) + double(256 + positions) * e.pick.arch.dModel;
}

void ProxyCheckDialog::updateProgress(int index, const lts::TrainProgress* p)
{
    const auto& entries = m_report.entries;
    if (entries.empty())
        return;
    const bool timed = m_report.config.timeBudgetS > 0;
    double total = 0, done = 0, left = 0;
    for (int i = 0; i < int(entries.size()); ++i) {
        const double cost = timed ? 1.0 : entryCost(i);
        total += cost;
        if (entries[std::size_t(i)].done)
            done += cost;
        else if (i == index && p && p->steps > 0)
            done += cost * double(p->step) / p->steps;
        if (!entries[std::size_t(i)].done)
            left += cost * (i == index && p && p->steps > 0 ? 1.0 - double(p->step) / p->steps : 1.0);
    }
    m_progress->setValue(total > 0 ? int(std::lround(kProgressSteps * done / total)) : 0);
    // Seconds per unit of cost from what this session trained (the one in progress included).
    double cost = m_costDone, seconds = m_secondsDone;
    if (index >= 0 && p && p->steps > 0) {
        cost += (timed ? 1.0 : entryCost(index)) * double(p->step) / p->steps;
        seconds += m_currentElapsed;
    }
    if (timed) {
        const double perArch = std::max(lts::kTrainSecondLimits.lo, m_report.config.timeBudgetS / entries.size());
        m_eta->setText(QStringLiteral("time left: %1").arg(durationText(left * perArch)));
    } else if (cost > 0 && seconds > 0.5) {
        m_eta->setText(QStringLiteral("time left: %1").arg(durationText(left * seconds / cost)));
    }
}

void ProxyCheckDialog::showReport()
{
    fillTable();
    rebuildLossPlot();
    rebuildResultPlot();
}

void ProxyCheckDialog::fillTable()
{
    const QSignalBlocker block(m_table);
    m_table->clearContents();
    m_table->setRowCount(int(m_report.entries.size()));
    for (int i = 0; i < int(m_report.entries.size()); ++i) {
        for (int c = 0; c < ColumnCount; ++c) {
            auto* item = new QTableWidgetItem;
            if (c != ColPicked && c != ColStatus)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(i, c, item);
        }
        fillRow(i);
    }
}

void ProxyCheckDialog::fillRow(int i)
{
    if (i < 0 || i >= m_table->rowCount())
        return;
    const lts::AuditEntry& e = m_report.entries[std::size_t(i)];
    const lts::TrainResult& r = e.result;
    const bool ok = trainedOk(e);
    auto set = [&](int column, const QString& text) { m_table->item(i, column)->setText(text); };
    set(ColId, QString::number(e.pick.candidateId));
    m_table->item(i, ColId)->setForeground(entryColor(i));
    set(ColPicked, q(e.pick.reason));
    set(ColLayers, QString::number(e.pick.arch.nLayer));
    set(ColDModel, QString::number(e.pick.arch.dModel));
    set(ColDecoder, millions(e.pick.decoderParams));
    set(ColTotal, e.done && r.totalParams > 0 ? millions(r.totalParams) : QString());
    set(ColTokens, e.done ? QLocale().toString(qlonglong(r.tokensTrained)) : QString());
    set(ColPpl, ok ? QString::number(r.valPpl, 'f', 3) : QString());
    set(ColBits, ok ? QString::number(r.valBitsPerByte, 'f', 3) : QString());
    set(ColSpeed, e.done && r.tokensPerS > 0 ? QLocale().toString(r.tokensPerS, 'f', 0) : QString());
    set(ColStatus,
        !e.done                                        ? QStringLiteral("waiting")
            : r.status == lts::TrainResult::Status::Ok ? QStringLiteral("trained")
                                                       : QStringLiteral("failed: %1").arg(q(r.error)));
    m_table->item(i, ColStatus)->setToolTip(m_table->item(i, ColStatus)->text());
}

QColor ProxyCheckDialog::entryColor(int index) const
{
    return QColor(kPalette[std::size_t(index) % (sizeof kPalette / sizeof kPalette[0])]);
}

QCPGraph* ProxyCheckDialog::lossGraph(int index) const
{
    return index >= 0 && index < int(m_lossGraphs.size()) ? m_lossGraphs[std::size_t(index)] : nullptr;
}

void ProxyCheckDialog::rebuildLossPlot()
{
    m_lossPlot->clearGraphs();
    m_lossGraphs.assign(m_report.entries.size(), nullptr);
    for (int i = 0; i < int(m_report.entries.size()); ++i) {
        const lts::AuditEntry& e = m_report.entries[std::size_t(i)];
        QCPGraph* g = m_lossPlot->addGraph();
        g->setName(entryName(e));
        g->setPen(QPen(entryColor(i), 1.6));
        const double perStep = tokensPerStep(e.result);
        for (const auto& [step, loss] : e.result.curve)
            g->addData(step * perStep, loss);
        m_lossGraphs[std::size_t(i)] = g;
        if (int(m_report.entries.size()) > kLegendLimit || (!e.done && m_current != i))
            g->removeFromLegend();
    }
    m_lossPlot->legend->setVisible(m_lossPlot->legend->itemCount() > 0);
    m_lossPlot->rescaleAxes();
    m_lossPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ProxyCheckDialog::rebuildResultPlot()
{
    QCustomPlot* p = m_resultPlot;
    p->clearGraphs();
    p->clearItems();
    m_misrankedLines.clear();
    m_pointCoords.assign(m_report.entries.size(), QPointF(qQNaN(), qQNaN()));
    const QColor text = p->xAxis->labelColor();
    double lo = std::numeric_limits<double>::max(), hi = 0, yLo = lo, yHi = 0;
    for (int i = 0; i < int(m_report.entries.size()); ++i) {
        const lts::AuditEntry& e = m_report.entries[std::size_t(i)];
        if (!trainedOk(e))
            continue;
        const QPointF at(double(e.pick.decoderParams) / 1e6, e.result.valPpl);
        m_pointCoords[std::size_t(i)] = at;
        QCPGraph* g = p->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, entryColor(i), entryColor(i), 9));
        g->addData(at.x(), at.y());
        auto* label = new QCPItemText(p);
        label->position->setCoords(at.x(), at.y());
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(6, 0, 0, 2));
        label->setText(QStringLiteral("#%1 L%2").arg(e.pick.candidateId).arg(e.pick.arch.nLayer));
        label->setColor(text);
        lo = std::min(lo, at.x());
        hi = std::max(hi, at.x());
        yLo = std::min(yLo, at.y());
        yHi = std::max(yHi, at.y());
    }
    m_selectionGraph = p->addGraph();
    m_selectionGraph->setLineStyle(QCPGraph::lsNone);
    m_selectionGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(text, 2), Qt::NoBrush, 17));
    if (hi > 0) {
        p->xAxis->setRange(lo / 1.3, hi * 1.8); // room for the labels, right of their points
        const double pad = std::max(0.05 * yLo, 0.08 * (yHi - yLo));
        p->yAxis->setRange(yLo - pad, yHi + pad);
    }
    updateSelectionMarks();

    const lts::RankAgreement& a = m_report.decoderParams;
    if (a.n < 2) {
        m_agreement->setText(m_report.entries.empty()
                ? QString()
                : QStringLiteral("The rank correlations appear once two architectures have trained."));
    } else {
        QString misranked;
        if (!m_report.misranked.empty()) {
            QStringList pairs;
            for (const auto& [more, fewer] : m_report.misranked)
                pairs << QStringLiteral("#%1 over #%2")
                             .arg(m_report.entries[std::size_t(more)].pick.candidateId)
                             .arg(m_report.entries[std::size_t(fewer)].pick.candidateId);
            misranked = QStringLiteral("<br><span style='color:#d62728'>Misranked: %1 — more decoder parameters, "
                                       "yet higher perplexity (select one to see its pairs dashed).</span>")
                            .arg(pairs.join(QStringLiteral(", ")));
        }
        m_agreement->setText(
            QStringLiteral("<b>Decoder parameters</b> rank validation perplexity with Spearman ρ = <b>%1</b> %2 and "
                           "Kendall τ = <b>%3</b> %4 (%5 architectures; 95% bootstrap intervals; +1: more parameters "
                           "always meant lower perplexity).<br>Total parameters: ρ = %6, τ = %7 · Depth: ρ = %8, "
                           "τ = %9%10")
                .arg(a.spearman, 0, 'f', 3)
                .arg(interval(a.spearmanInterval))
                .arg(a.kendall, 0, 'f', 3)
                .arg(interval(a.kendallInterval))
                .arg(a.n)
                .arg(m_report.totalParams.spearman, 0, 'f', 3)
                .arg(m_report.totalParams.kendall, 0, 'f', 3)
                .arg(m_report.depth.spearman, 0, 'f', 3)
                .arg(m_report.depth.kendall, 0, 'f', 3)
                .arg(misranked));
    }
    p->replot(QCustomPlot::rpQueuedReplot);
}

void ProxyCheckDialog::updateSelectionMarks()
{
    if (!m_selectionGraph)
        return;
    QVector<double> xs, ys;
    for (int i : m_selected) {
        const QPointF at = i < int(m_pointCoords.size()) ? m_pointCoords[std::size_t(i)] : QPointF(qQNaN(), 0);
        if (!std::isnan(at.x())) {
            xs << at.x();
            ys << at.y();
        }
    }
    m_selectionGraph->setData(xs, ys);
    // The pairs of a selected architecture that the proxy ranks wrongly, joined by a dashed line.
    for (QCPItemLine* line : m_misrankedLines)
        m_resultPlot->removeItem(line);
    m_misrankedLines.clear();
    for (const auto& [more, fewer] : m_report.misranked) {
        const bool selected = std::count(m_selected.begin(), m_selected.end(), more) > 0
            || std::count(m_selected.begin(), m_selected.end(), fewer) > 0;
        const QPointF a = m_pointCoords[std::size_t(more)], b = m_pointCoords[std::size_t(fewer)];
        if (!selected || std::isnan(a.x()) || std::isnan(b.x()))
            continue;
        auto* line = new QCPItemLine(m_resultPlot);
        line->start->setCoords(a.x(), a.y());
        line->end->setCoords(b.x(), b.y());
        line->setPen(QPen(QColor(0xd6, 0x27, 0x28, 170), 1.4, Qt::DashLine));
        m_misrankedLines.push_back(line);
    }
    m_resultPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ProxyCheckDialog::setSelectedEntries(std::vector<int> entries)
{
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                      [this](int i) { return i < 0 || i >= int(m_report.entries.size()); }),
        entries.end());
    m_selected = entries;
    {
        const QSignalBlocker block(m_table);
        m_table->clearSelection();
        for (int i : m_selected)
            for (int c = 0; c < ColumnCount; ++c)
                m_table->item(i, c)->setSelected(true);
    }
    if (!m_selected.empty())
        m_table->scrollToItem(m_table->item(m_selected.front(), 0));
    updateSelectionMarks();
}

void ProxyCheckDialog::userSelected(std::vector<int> entries)
{
    setSelectedEntries(std::move(entries));
    std::vector<int> ids;
    for (int i : m_selected)
        ids.push_back(m_report.entries[std::size_t(i)].pick.candidateId);
    Q_EMIT candidatesSelected(m_folder, ids);
}

QPoint ProxyCheckDialog::pixelOfEntry(int index) const
{
    if (index < 0 || index >= int(m_pointCoords.size()) || std::isnan(m_pointCoords[std::size_t(index)].x()))
        return { -1, -1 };
    const QPointF at = m_pointCoords[std::size_t(index)];
    return QPoint(int(std::lround(m_resultPlot->xAxis->coordToPixel(at.x()))),
        int(std::lround(m_resultPlot->yAxis->coordToPixel(at.y()))));
}

int ProxyCheckDialog::entryAt(const QPointF& pixel) const
{
    int best = -1;
    double bestDistance = kPickRadiusPx * kPickRadiusPx;
    for (int i = 0; i < int(m_pointCoords.size()); ++i) {
        const QPoint at = pixelOfEntry(i);
        if (at.x() < 0)
            continue;
        const double dx = at.x() - pixel.x(), dy = at.y() - pixel.y();
        if (dx * dx + dy * dy <= bestDistance) {
            bestDistance = dx * dx + dy * dy;
            best = i;
        }
    }
    return best;
}

void ProxyCheckDialog::onResultMouseRelease(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || (event->pos() - m_pressPos).manhattanLength() >= kDragThresholdPx)
        return;
    const int i = entryAt(event->position());
    if (event->modifiers() & Qt::ControlModifier) {
        if (i < 0)
            return;
        std::vector<int> sel = m_selected;
        const auto it = std::find(sel.begin(), sel.end(), i);
        if (it != sel.end())
            sel.erase(it);
        else
            sel.push_back(i);
        userSelected(sel);
    } else {
        userSelected(i >= 0 ? std::vector<int> { i } : std::vector<int> {});
    }
}

void ProxyCheckDialog::onResultMouseMove(QMouseEvent* event)
{
    if (event->buttons() != Qt::NoButton)
        return;
    const int i = entryAt(event->position());
    if (i < 0) {
        QToolTip::hideText();
        return;
    }
    const lts::AuditEntry& e = m_report.entries[std::size_t(i)];
    const lts::ArchConfig& a = e.pick.arch;
    QToolTip::showText(event->globalPosition().toPoint(),
        QStringLiteral("<b>Candidate %1</b> (%2)<br>%3 layers, d_model %4, heads %5, d_inner %6<br>decoder "
                       "parameters %7 · trained %8<br>validation perplexity %9 (%10 bits per byte)")
            .arg(e.pick.candidateId)
            .arg(q(e.pick.reason))
            .arg(a.nLayer)
            .arg(a.dModel)
            .arg(layersSummary(a.nHead))
            .arg(layersSummary(a.dInner))
            .arg(millions(e.pick.decoderParams))
            .arg(millions(e.result.totalParams))
            .arg(e.result.valPpl, 0, 'f', 3)
            .arg(e.result.valBitsPerByte, 0, 'f', 3),
        m_resultPlot);
}

void ProxyCheckDialog::onResultBox(const QRect& rect, QMouseEvent* event)
{
    std::vector<int> inside;
    for (int i = 0; i < int(m_pointCoords.size()); ++i)
        if (pixelOfEntry(i).x() >= 0 && rect.normalized().contains(pixelOfEntry(i)))
            inside.push_back(i);
    if (event->modifiers() & Qt::ControlModifier)
        inside.insert(inside.end(), m_selected.begin(), m_selected.end());
    userSelected(inside);
}

void ProxyCheckDialog::setDark(bool dark)
{
    applyPlotTheme(m_lossPlot, dark);
    applyPlotTheme(m_resultPlot, dark);
    m_start->setIcon(mediaIcon(MediaIcon::Start, dark));
    m_stop->setIcon(mediaIcon(MediaIcon::Stop, dark));
    rebuildResultPlot(); // labels and rings take the axes' colour
    m_lossPlot->replot();
}

} // namespace studio
