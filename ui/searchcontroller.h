// Runs one search at a time on a named worker thread and hands its events to the GUI thread as
// values. The worker builds the TorchMeasurer on its own thread, writes the run folder with
// lts::RunWriter exactly as lts-search does, and turns every exception into a signal.
#pragma once

#include "jsonio.h"
#include "search.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <memory>
#include <mutex>

namespace studio {

// Lives on the search thread. cancel() and setPaused() are called from the GUI thread and only
// touch atomics and the engine's own atomics: a busy worker never reads its event queue.
class SearchWorker final : public QObject {
    Q_OBJECT
public:
    // Runs the whole search on the calling thread; emits done() when it returns.
    void run(const lts::SearchConfig& config, const QString& folder);
    void cancel();
    void setPaused(bool paused);

Q_SIGNALS:
    void event(const lts::SearchEvent& event);
    // Something went wrong but the search goes on (the run folder cannot be written, say).
    void problem(const QString& message);
    // The search is over; `failure` is empty unless it ended with an error.
    void done(const QString& failure);

private:
    std::mutex m_engineMutex; // guards m_engine against the engine's destruction
    lts::SearchEngine* m_engine = nullptr;
    std::atomic<bool> m_cancelRequested { false };
    std::atomic<bool> m_pauseRequested { false };
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

    // Starts a search writing `folder`; false when one is already running.
    bool start(const lts::SearchConfig& config, const QString& folder);
    // Takes effect within the current measurement.
    void stop();
    void setPaused(bool paused);
    bool isRunning() const { return m_thread != nullptr; }
    bool isPaused() const { return m_paused; }
    // Blocks until the search thread has ended (after stop(), for a clean quit).
    void waitForStop();

Q_SIGNALS:
    void event(const lts::SearchEvent& event);
    void problem(const QString& message);
    void finished(const QString& failure);

private:
    void onWorkerDone(const QString& failure);

    std::unique_ptr<QThread, ThreadDeleter> m_thread;
    std::unique_ptr<SearchWorker> m_worker; // deleted after its thread has ended
    bool m_paused = false;
};

} // namespace studio
