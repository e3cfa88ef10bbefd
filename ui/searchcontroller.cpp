#include "searchcontroller.h"

#include "errors.h"
#include "measurecache.h"
#include "metatypes.h"
#include "profiler.h"
#include "runfolder.h"

#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace studio {

namespace {

    // Sends each event to the GUI and then to the run folder. A write failure (a full disk) stops
    // the search, as it stops lts-search: the files written so far stay valid, and what reached the
    // window can still be exported.
    class Forwarder final : public lts::SearchObserver {
    public:
        Forwarder(lts::RunWriter* writer, std::function<void(const lts::SearchEvent&)> emitEvent)
            : m_writer(writer)
            , m_emitEvent(std::move(emitEvent))
        {
        }

        void onEvent(const lts::SearchEvent& e) override
        {
            m_emitEvent(e);
            try {
                m_writer->onEvent(e);
            } catch (const std::exception& ex) {
                throw std::runtime_error("the run folder can no longer be written (" + std::string(ex.what())
                    + "); the search stopped. Everything shown can still be exported.");
            }
        }

    private:
        lts::RunWriter* m_writer;
        std::function<void(const lts::SearchEvent&)> m_emitEvent;
    };

} // namespace

void SearchWorker::run(const lts::SearchConfig& config, const QString& folder)
{
    QString failure;
    try {
        lts::TorchMeasurer torchMeasurer(config.protocol);
        // Architectures measured by earlier searches on this machine are not measured again.
        std::unique_ptr<lts::CachingMeasurer> cache;
        if (const QString dir = lts::defaultMeasurementCacheDir(); !dir.isEmpty()) {
            try {
                cache = std::make_unique<lts::CachingMeasurer>(torchMeasurer, dir);
            } catch (const std::runtime_error& e) {
                Q_EMIT problem(
                    QStringLiteral("Searching without the measurement cache: %1").arg(QString::fromUtf8(e.what())));
            }
        }
        lts::Measurer& measurer = cache ? static_cast<lts::Measurer&>(*cache) : torchMeasurer;
        lts::SearchEngine engine(config.space, config.search, measurer);
        lts::RunInfo info;
        info.config = config;
        lts::RunWriter writer(folder, info, false);
        writer.setMeasurer(&measurer);
        {
            std::lock_guard<std::mutex> lock(m_engineMutex);
            m_engine = &engine;
            // A Stop or Pause pressed while the measurer was being built still counts.
            engine.setPaused(m_pauseRequested.load());
            if (m_cancelRequested.load())
                engine.cancel();
        }
        struct Unregister {
            SearchWorker* w;
            ~Unregister()
            {
                std::lock_guard<std::mutex> lock(w->m_engineMutex);
                w->m_engine = nullptr;
            }
        } unregister { this };
        Forwarder forward(&writer, [this](const lts::SearchEvent& e) { Q_EMIT event(e); });
        const lts::SearchResult result = engine.run(&forward);
        try {
            writer.finish(result);
        } catch (const std::exception& ex) {
            Q_EMIT problem(QStringLiteral("The run's summary files could not be written: %1")
                               .arg(QString::fromStdString(ex.what())));
        }
        if (cache && !cache->warning().empty())
            Q_EMIT problem(QStringLiteral("The measurement cache: %1").arg(QString::fromStdString(cache->warning())));
    } catch (const lts::InputError& e) {
        failure = QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        failure = QString::fromStdString(e.what());
    } catch (...) {
        failure = QStringLiteral("the search stopped with an unknown error");
    }
    Q_EMIT done(failure);
}

void SearchWorker::cancel()
{
    m_cancelRequested.store(true);
    std::lock_guard<std::mutex> lock(m_engineMutex);
    if (m_engine)
        m_engine->cancel();
}

void SearchWorker::setPaused(bool paused)
{
    m_pauseRequested.store(paused);
    std::lock_guard<std::mutex> lock(m_engineMutex);
    if (m_engine)
        m_engine->setPaused(paused);
}

void ThreadDeleter::operator()(QThread* thread) const
{
    thread->quit();
    thread->wait();
    delete thread;
}

SearchController::SearchController(QObject* parent)
    : QObject(parent)
{
    registerMetaTypes();
}

SearchController::~SearchController()
{
    stop();
    m_thread.reset(); // quits and waits before the worker it runs is deleted
    m_worker.reset();
}

bool SearchController::start(const lts::SearchConfig& config, const QString& folder)
{
    if (isRunning())
        return false;
    m_paused = false;
    m_worker = std::make_unique<SearchWorker>();
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("lts-search"));
    m_worker->moveToThread(m_thread.get());
    connect(m_worker.get(), &SearchWorker::event, this, &SearchController::event, Qt::QueuedConnection);
    connect(m_worker.get(), &SearchWorker::problem, this, &SearchController::problem, Qt::QueuedConnection);
    connect(m_worker.get(), &SearchWorker::done, this, &SearchController::onWorkerDone, Qt::QueuedConnection);
    m_thread->start();
    SearchWorker* worker = m_worker.get();
    QMetaObject::invokeMethod(
        worker, [worker, config, folder] { worker->run(config, folder); }, Qt::QueuedConnection);
    return true;
}

void SearchController::stop()
{
    if (m_worker)
        m_worker->cancel();
}

void SearchController::setPaused(bool paused)
{
    if (!m_worker)
        return;
    m_paused = paused;
    m_worker->setPaused(paused);
}

void SearchController::waitForStop()
{
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
}

void SearchController::onWorkerDone(const QString& failure)
{
    m_thread.reset();
    m_worker.reset();
    m_paused = false;
    Q_EMIT finished(failure);
}

} // namespace studio
