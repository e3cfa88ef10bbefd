#include "searchcontroller.h"

#include "metatypes.h"

#include <exception>

namespace studio {

namespace {

    class Forwarder final : public lts::SearchObserver {
    public:
        explicit Forwarder(SearchWorker* worker)
            : m_worker(worker)
        {
        }
        void onEvent(const lts::SearchEvent& e) override { Q_EMIT m_worker->event(e); }

    private:
        SearchWorker* m_worker;
    };

} // namespace

SearchWorker::SearchWorker(lts::SearchJobParams params)
    : m_job(std::move(params))
{
}

void SearchWorker::run()
{
    QString failure;
    try {
        Forwarder forward(this);
        m_job.run(&forward);
    } catch (const std::exception& e) {
        failure = QString::fromStdString(e.what());
    } catch (...) {
        failure = QStringLiteral("the search stopped with an unknown error");
    }
    Q_EMIT done(failure);
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

bool SearchController::start(lts::SearchJobParams params)
{
    if (isRunning())
        return false;
    m_worker = std::make_unique<SearchWorker>(std::move(params));
    m_thread.reset(new QThread);
    m_thread->setObjectName(QStringLiteral("lts-search"));
    m_worker->moveToThread(m_thread.get());
    connect(m_worker.get(), &SearchWorker::event, this, &SearchController::event, Qt::QueuedConnection);
    connect(m_worker.get(), &SearchWorker::done, this, &SearchController::onWorkerDone, Qt::QueuedConnection);
    m_thread->start();
    SearchWorker* worker = m_worker.get();
    QMetaObject::invokeMethod(
        worker, [worker] { worker->run(); }, Qt::QueuedConnection);
    return true;
}

void SearchController::stop()
{
    if (m_worker)
        m_worker->cancel();
}

void SearchController::setPaused(bool paused)
{
    if (m_worker)
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
    Q_EMIT finished(failure);
}

} // namespace studio
