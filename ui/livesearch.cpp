#include "livesearch.h"

#include "measurecache.h"
#include "searchcontroller.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <exception>

namespace studio {

namespace {

    constexpr int kFlushIntervalMs = 75; // batch points for the plot: smooth to the eye, cheap to draw
    constexpr int kClockIntervalMs = 500; // elapsed/ETA labels need no finer grain

} // namespace

LiveSearch::LiveSearch(RunStore* store, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_controller(new SearchController(this))
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(kFlushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &LiveSearch::flush);
    m_clockTimer.setInterval(kClockIntervalMs);
    connect(&m_clockTimer, &QTimer::timeout, this, &LiveSearch::progressChanged);
    connect(m_controller, &SearchController::event, this, &LiveSearch::onEvent);
    connect(m_controller, &SearchController::finished, this, &LiveSearch::onFinished);
}

LiveSearch::~LiveSearch() = default;

bool LiveSearch::isRunning() const
{
    return m_controller->isRunning();
}

bool LiveSearch::start(const lts::SearchConfig& config, const QString& folder, QString* error)
{
    if (isRunning()) {
        *error = QStringLiteral("a search is already running");
        return false;
    }
    flush();
    m_store->clear();
    RunLayer layer;
    layer.name = QFileInfo(folder).fileName();
    layer.folder = folder;
    layer.config = config;
    layer.live = true;
    m_layer = m_store->addLayer(std::move(layer));
    lts::SearchJobParams params;
    params.folder = folder;
    params.config = config;
    m_config = config;
    m_earlierS = 0;
    return launch(std::move(params), error);
}

bool LiveSearch::resume(const QString& folder, QString* error, const ResumeOptions& options)
{
    if (isRunning()) {
        *error = QStringLiteral("a search is already running");
        return false;
    }
    lts::LoadedRun run;
    try {
        run = lts::loadRun(folder);
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
    flush();
    m_store->clear();
    m_config = run.info.config;
    if (options.timeBudgetS)
        m_config.search.timeBudgetS = *options.timeBudgetS;
    if (options.iterations)
        m_config.search.iterations = *options.iterations;
    RunLayer layer = layerFromRun(run, QFileInfo(folder).absoluteFilePath());
    layer.config = m_config;
    layer.live = true;
    m_layer = m_store->addLayer(std::move(layer));
    lts::SearchJobParams params;
    params.folder = folder;
    params.resume = true;
    params.timeBudgetS = options.timeBudgetS;
    params.iterations = options.iterations;
    const bool launched = launch(std::move(params), error);
    m_earlierS = run.info.elapsedS;
    return launched;
}

bool LiveSearch::launch(lts::SearchJobParams params, QString* error)
{
    params.cacheDir = lts::defaultMeasurementCacheDir();
    params.makeMeasurer = m_factory;
    m_folder = params.folder;
    const auto& shown = m_store->layer(m_layer).candidates;
    m_estimated = int(std::count_if(shown.begin(), shown.end(),
        [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; }));
    m_evaluated = int(shown.size()) - m_estimated;
    m_evaluatedNow = 0;
    m_iteration = 0;
    m_hypervolume = m_store->layer(m_layer).history.empty() ? 0 : m_store->layer(m_layer).history.back().hypervolume;
    m_latencyEstimate = m_memoryEstimate = {};
    m_finishReason.clear();
    m_devices.clear();
    m_failed = false;
    m_pauseRequested = m_enginePaused = false;
    m_pausedMs = 0;
    m_pauseClock.invalidate();
    m_endMs = -1;
    m_clock.start();
    if (!m_controller->start(std::move(params))) {
        *error = QStringLiteral("a search is already running");
        return false;
    }
    m_clockTimer.start();
    Q_EMIT progressChanged();
    return true;
}

void LiveSearch::stop()
{
    m_controller->stop();
}

void LiveSearch::setPaused(bool paused)
{
    if (!isRunning())
        return;
    m_pauseRequested = paused;
    m_controller->setPaused(paused);
    Q_EMIT progressChanged();
}

void LiveSearch::waitForStop()
{
    m_controller->waitForStop();
}

void LiveSearch::flush()
{
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    m_store->appendCandidates(m_layer, m_pending);
    m_pending.clear();
    Q_EMIT progressChanged();
}

void LiveSearch::onEvent(const lts::SearchEvent& e)
{
    switch (e.kind) {
    case lts::SearchEvent::Kind::Candidate:
        m_iteration = e.iteration;
        if (e.fromEarlierRun)
            break; // a resumed run's candidates are in the layer already
        if (e.candidate.status == lts::Candidate::Status::Estimated) {
            ++m_estimated; // costs no time: neither progress nor pace
        } else {
            ++m_evaluated;
            ++m_evaluatedNow;
        }
        m_pending.push_back(e.candidate);
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
        break;
    case lts::SearchEvent::Kind::Confirmed:
        if (e.fromEarlierRun)
            break; // the layer was read from the folder, confirmations included
        flush(); // the candidate confirmed is on the plot before its new record replaces it
        m_store->replaceCandidates(m_layer, { e.candidate });
        break;
    case lts::SearchEvent::Kind::IterationDone: {
        flush();
        m_hypervolume = e.hypervolume;
        m_latencyEstimate = e.estimate;
        m_memoryEstimate = e.memoryEstimate;
        m_store->setEstimateQuality(m_layer, e.estimate, e.memoryEstimate);
        const auto& history = m_store->layer(m_layer).history;
        // A resumed run replays the iterations its folder already holds.
        if (history.empty() || e.iteration > history.back().iteration)
            m_store->appendHistory(m_layer, { e.elapsedS, e.hypervolume, e.frontierSize, e.iteration });
        break;
    }
    case lts::SearchEvent::Kind::Paused:
        flush(); // everything measured before the pause is on the plot while it holds
        m_enginePaused = true;
        m_pauseClock.start();
        break;
    case lts::SearchEvent::Kind::Resumed:
        m_enginePaused = false;
        stopPauseClock();
        break;
    case lts::SearchEvent::Kind::Message:
        if (e.warning)
            Q_EMIT warning(QString::fromStdString(e.message));
        else
            Q_EMIT message(QString::fromStdString(e.message));
        break;
    case lts::SearchEvent::Kind::Devices:
        m_devices = e.devices;
        break;
    case lts::SearchEvent::Kind::Finished:
        flush();
        m_hypervolume = e.hypervolume;
        m_latencyEstimate = e.estimate;
        m_memoryEstimate = e.memoryEstimate;
        m_finishReason = QString::fromStdString(e.message);
        break;
    }
    Q_EMIT progressChanged();
}

void LiveSearch::stopPauseClock()
{
    if (m_pauseClock.isValid()) {
        m_pausedMs += m_pauseClock.elapsed();
        m_pauseClock.invalidate();
    }
}

void LiveSearch::onFinished(const QString& failure)
{
    flush();
    m_store->setLive(m_layer, false);
    m_clockTimer.stop();
    stopPauseClock();
    m_endMs = m_clock.elapsed();
    m_pauseRequested = m_enginePaused = false;
    m_failed = !failure.isEmpty();
    Q_EMIT progressChanged();
    Q_EMIT finished(failure);
}

double LiveSearch::elapsedS() const
{
    if (!m_clock.isValid())
        return 0;
    const qint64 now = m_endMs >= 0 ? m_endMs : m_clock.elapsed();
    const qint64 paused = m_pausedMs + (m_pauseClock.isValid() ? m_pauseClock.elapsed() : 0);
    return double(std::max<qint64>(0, now - paused)) / 1000.0;
}

double LiveSearch::secondsPerCandidate() const
{
    return m_evaluatedNow > 0 ? elapsedS() / m_evaluatedNow : -1;
}

SearchProgress LiveSearch::progress() const
{
    using State = SearchProgress::State;
    SearchProgress p;
    p.hasRun = m_layer >= 0;
    p.evaluated = m_evaluated;
    p.estimated = m_estimated;
    p.iteration = m_iteration;
    p.iterations = m_config.search.iterations;
    p.hypervolume = m_hypervolume;
    p.latencyEstimate = m_latencyEstimate;
    p.memoryEstimate = m_memoryEstimate;
    p.objectives = m_config.search.objectives;
    p.screening = m_config.search.screening && m_config.search.algorithm == lts::Algorithm::Evolution;
    p.finishReason = m_failed ? QStringLiteral("failed") : m_finishReason;
    p.devices = m_devices;
    p.elapsedS = elapsedS();
    p.earlierS = m_earlierS;
    if (isRunning())
        p.state = m_enginePaused ? State::Paused : m_pauseRequested ? State::Pausing : State::Running;
    else if (m_failed)
        p.state = State::Failed;
    else if (m_finishReason == QLatin1String("cancelled"))
        p.state = State::Stopped;
    else if (m_finishReason.startsWith(QLatin1String("paused:")))
        p.state = State::DevicesLost;
    else if (p.hasRun && !m_finishReason.isEmpty())
        p.state = State::Finished;
    if (!p.hasRun)
        return p;
    const double expected = lts::plannedCandidates(m_config);
    const double budget = m_config.search.timeBudgetS;
    p.fraction = std::min(1.0, m_evaluated / expected);
    if (budget > 0)
        p.fraction = std::max(p.fraction, std::min(1.0, p.elapsedS / budget));
    if (!isRunning()) {
        // Done only when it ran its course; a stopped or failed run shows how far it got.
        if (p.state == State::Finished)
            p.fraction = 1;
        return p;
    }
    if (m_evaluatedNow > 0) {
        double left = secondsPerCandidate() * std::max(0.0, expected - m_evaluated);
        if (budget > 0)
            left = std::min(left, std::max(0.0, budget - p.elapsedS));
        p.etaS = left;
    }
    return p;
}

} // namespace studio
