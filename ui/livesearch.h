// The window's live search: starts or resumes an lts::SearchJob through the controller, feeds its
// candidates to the run store in coalesced batches, and keeps the progress figures (state,
// counts, elapsed time without pauses, ETA, hypervolume, why it ended) that the status bar
// shows. GUI thread only.
#pragma once

#include "runstore.h"
#include "searchjob.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <optional>

#include <vector>

namespace studio {

class SearchController;

// What a resumed run changes of its configuration; unset: as the run had it.
struct ResumeOptions {
    std::optional<double> timeBudgetS; // this session's, 0: none
    std::optional<int> iterations; // in all, the earlier sessions' included
};

struct SearchProgress {
    // Pausing: asked to pause, the search thread has not blocked yet (it finishes its measurement).
    // DevicesLost: every remote device was lost; the run folder is resumable.
    enum class State { Idle, Running, Pausing, Paused, Finished, Stopped, Failed, DevicesLost };
    State state = State::Idle;
    bool hasRun = false; // a search was started or resumed in this window
    int evaluated = 0; // measured in full (what progress and pace count)
    int estimated = 0; // recorded from the estimates alone, never measured
    int iteration = 0; // the iteration being evaluated, from 0
    int iterations = 0; // planned
    double elapsedS = 0; // of this session, paused time left out
    double earlierS = 0; // of a resumed run's earlier sessions: the run's clock is earlierS + elapsedS
    double etaS = -1; // < 0: unknown
    double fraction = 0; // of the planned candidates, or of the time budget
    double hypervolume = 0;
    QString finishReason; // the engine's words: "finished", "cancelled", "time budget reached", ...
    // How the estimates have held against full measurements, as of the last iteration.
    lts::EstimateQuality latencyEstimate;
    lts::EstimateQuality memoryEstimate;
    std::vector<lts::Objective> objectives;
    bool screening = false; // the search may screen and cull with the estimates
    std::vector<lts::DeviceStatus> devices; // remote devices measuring, as last reported
};

class LiveSearch final : public QObject {
    Q_OBJECT
public:
    explicit LiveSearch(RunStore* store, QObject* parent = nullptr);
    ~LiveSearch() override;

    // Replaces the store's layers with a new live one and starts `config` writing `folder`.
    // False with `error` when it cannot start.
    bool start(const lts::SearchConfig& config, const QString& folder, QString* error);
    // Continues the stopped or killed run in `folder` in place, exactly as `lts-search run
    // --resume` does: its candidates are shown at once, nothing is measured twice, and the run's
    // clock goes on from its earlier sessions. `options` give this session a new time budget or
    // the run more iterations (a run that ran its course goes on only with more).
    bool resume(const QString& folder, QString* error, const ResumeOptions& options = {});
    void stop();
    void setPaused(bool paused);
    bool isRunning() const;
    // Blocks until the search thread has ended (after stop(), for a clean quit).
    void waitForStop();
    // Moves the buffered candidates into the store now.
    void flush();

    // The measurer of the searches started from now on (tests use a fake one); empty: LibTorch.
    void setMeasurerFactory(lts::MeasurerFactory factory) { m_factory = std::move(factory); }

    int layer() const { return m_layer; }
    QString folder() const { return m_folder; }
    const lts::SearchConfig& config() const { return m_config; }
    SearchProgress progress() const;
    // Wall seconds per candidate this session evaluated (pauses left out); < 0 before the first.
    double secondsPerCandidate() const;
    int evaluatedThisSession() const { return m_evaluatedNow; }

Q_SIGNALS:
    // The figures of progress() changed; also every half second while a search runs.
    void progressChanged();
    // Something went wrong but the search goes on (the measurement cache, a damaged line).
    void warning(const QString& message);
    // A note worth a moment in the status bar.
    void message(const QString& text);
    void finished(const QString& failure);

private:
    bool launch(lts::SearchJobParams params, QString* error);
    void onEvent(const lts::SearchEvent& e);
    void onFinished(const QString& failure);
    double elapsedS() const;
    void stopPauseClock();

    RunStore* m_store;
    SearchController* m_controller;
    lts::MeasurerFactory m_factory;
    int m_layer = -1;
    QString m_folder;
    lts::SearchConfig m_config;

    // Points arrive one event each; they reach the store (and the plot) in batches.
    std::vector<lts::Candidate> m_pending;
    QTimer m_flushTimer;
    QTimer m_clockTimer;
    QElapsedTimer m_clock;
    double m_earlierS = 0; // a resumed run's earlier sessions
    QElapsedTimer m_pauseClock; // valid while the search thread is blocked on a pause
    qint64 m_pausedMs = 0;
    qint64 m_endMs = -1; // the clock stops with the search
    int m_evaluatedNow = 0; // measured by this session, not recalled from a resumed run's file
    bool m_pauseRequested = false;
    bool m_enginePaused = false;
    int m_evaluated = 0; // measured in full
    int m_estimated = 0;
    int m_iteration = 0;
    double m_hypervolume = 0;
    lts::EstimateQuality m_latencyEstimate, m_memoryEstimate;
    QString m_finishReason;
    std::vector<lts::DeviceStatus> m_devices;
    bool m_failed = false;
};

} // namespace studio
