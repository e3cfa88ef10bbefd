// Runs one lts::SearchJob at a time on a named worker thread and hands its events to the GUI
// thread as values. The job does everything lts-search does (resume, the device's cache, the
// run folder); the worker only turns its result or exception into a signal.
#pragma once

#include "searchjob.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <memory>

namespace studio {

// Lives on the search thread. cancel() and setPaused() are called from the GUI thread and reach
// the job's atomics directly: a busy worker never reads its event queue.
class SearchWorker final : public QObject {
    Q_OBJECT
public:
    explicit SearchWorker(lts::SearchJobParams params);
    // Runs the whole job on the calling thread; emits done() when it returns.
    void run();
    void cancel() { m_job.cancel(); }
    void setPaused(bool paused) { m_job.setPaused(paused); }

Q_SIGNALS:
    void event(const lts::SearchEvent& event);
    // The job is over; `failure` is empty unless it ended with an error.
    void done(const QString& failure);

private:
    lts::SearchJob m_job;
};

// Quits, waits for and deletes a thread it owns (qBittorrent's Utils::Thread::UniquePtr).
struct ThreadDeleter {
    void operator()(QThread* thread) const;
};

class SearchController final : public QObject {
    Q_OBJECT
public:
    explicit SearchController(QObject* parent = nullptr);
    ~SearchController() override;

    // Starts a job; false when one is already running.
    bool start(lts::SearchJobParams params);
    // Takes effect within the current measurement.
    void stop();
    // Asks the search to pause or go on; the job's Paused and Resumed events say when it has.
    void setPaused(bool paused);
    bool isRunning() const { return m_thread != nullptr; }
    // Blocks until the search thread has ended (after stop(), for a clean quit).
    void waitForStop();

Q_SIGNALS:
    void event(const lts::SearchEvent& event);
    void finished(const QString& failure);

private:
    void onWorkerDone(const QString& failure);

    std::unique_ptr<QThread, ThreadDeleter> m_thread;
    std::unique_ptr<SearchWorker> m_worker; // deleted after its thread has ended
};

} // namespace studio
