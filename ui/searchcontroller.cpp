#include "searchcontroller.h"

#include "errors.h"
#include "metatypes.h"
#include "profiler.h"
#include "runfolder.h"

#include <exception>
#include <functional>

namespace studio {

namespace {

// Sends each event to the run folder and then to the GUI. A write failure is reported once and
// the search goes on: its results still reach the window, which can export them.
class Forwarder final : public lts::SearchObserver {
public:
    Forwarder(lts::RunWriter* writer, std::function<void(const lts::SearchEvent&)> emitEvent,
        std::function<void(const QString&)> emitProblem)
        : m_writer(writer), m_emitEvent(std::move(emitEvent)), m_emitProblem(std::move(emitProblem))
    {
    }

    void onEvent(const lts::SearchEvent& e) override
    {
        try {
            m_writer->onEvent(e);
        } catch (const std::exception& ex) {
            if (!m_writeFailed)
                m_emitProblem(QStringLiteral("The run folder can no longer be written (%1). The search goes on; "
                                             "export the frontier before closing.")
                                  .arg(QString::fromStdString(ex.what())));
            m_writeFailed = true;
        }
        m_emitEvent(e);
    }

private:
    lts::RunWriter* m_writer;
    std::function<void(const lts::SearchEvent&)> m_emitEvent;
    std::function<void(const QString&)> m_emitProblem;
    bool m_writeFailed = false;
};

} // namespace

void SearchWorker::run(const lts::SearchConfig& config, const QString& folder)
{
    QString failure;
    try {
        lts::TorchMeasurer measurer(config.protocol);
        lts::SearchEngine engine(config.space, config.search, measurer);
        lts::RunInfo info;
        info.config = config;
        lts::RunWriter writer(folder, info, false);
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
        } unregister {this};
        Forwarder forward(
            &writer, [this](const lts::SearchEvent& e) { Q_EMIT event(e); },
            [this](const QString& m) { Q_EMIT problem(m); });
        const lts::SearchResult result = engine.run(&forward);
        try {
            writer.finish(result);
        } catch (const std::exception& ex) {
            Q_EMIT problem(QStringLiteral("The run's summary files could not be written: %1")
                               .arg(QString::fromStdString(ex.what())));
        }
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

SearchController::SearchController(QObject* parent) : QObject(parent)
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
