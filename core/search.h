// The LTS evolutionary Pareto search and a random-search baseline. A search is a job: parameters
// in, candidates out, progress reported to an observer as each candidate is measured.
#pragma once

#include "candidate.h"
#include "measurer.h"
#include "screening.h"
#include "searchspace.h"
#include "timebudget.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace lts {

// Evolution: LTS Studio's course (calibrate the estimates on the device, a first population from
// the estimated frontier of a large sample, screened evolution). Lts: the published procedure
// (a plain random first population and every candidate measured in full). Random: random search.
enum class Algorithm { Evolution, Random, Lts };
std::string algorithmName(Algorithm a);
Algorithm algorithmFromName(const std::string& name, const std::string& field = "algorithm");

struct SearchParams {
    Algorithm algorithm = Algorithm::Evolution;
    int iterations = 30;
    int parents = 20;
    int mutants = 40;
    int crossovers = 40;
    double mutationProb = 0.3; // each gene resampled with this probability
    double crossoverProb = 0.5; // each gene taken from the first parent with this probability
    std::uint64_t seed = 1111;
    std::vector<Objective> objectives { Objective::DecoderParams, Objective::Latency };
    // 0: no limit. The budget includes confirming the final frontier: the search stops measuring
    // new candidates early enough for it.
    double timeBudgetS = 0;
    // Screening (the evolution only): a candidate whose estimates, each lowered by the margin
    // (or by the estimate's observed 90th-percentile error when larger), are dominated by the
    // measured frontier on the chosen objectives is recorded as estimated instead of measured.
    // The estimates screen and cull only once a calibration sample measured on this device shows
    // that they hold (EstimateCalibrator::trusted), and a random share of what they drop is
    // measured anyway (ScreeningPolicy). Without screening the first population is a plain
    // random sample, measured in full. Every frontier point is a full, confirmed measurement.
    bool screening = true;
    double screeningMargin = 0.1;
    // With screening, each batch is drawn from `presample` times as many sampled architectures,
    // and the batch keeps those the estimates rank best (1: every sample is a candidate).
    int presample = 10;
    // With screening, generations bred from the estimated front of each pool and judged by the
    // estimate alone before the batch is chosen (0: none).
    int estimateRounds = 0;

    int populationSize() const { return parents + mutants + crossovers; }
    // Throws InputError naming the field and the rule.
    void validate() const;
};

struct SearchEvent {
    // Paused and Resumed: the search thread has blocked on a pause request, and goes on again.
    // Message: something the user should read (the job's notes and warnings).
    // Confirmed: a candidate reported before, measured again as a frontier point: `candidate`
    // is its new record (same id), whose latency replaces the first one.
    // Devices: the state of the remote devices measuring changed (`devices`).
    enum class Kind { Candidate, IterationDone, Paused, Resumed, Message, Finished, Confirmed, Devices };
    Kind kind = Kind::Message;
    Candidate candidate; // Kind::Candidate
    bool fromEarlierRun = false; // Candidate, Confirmed: recalled from the resumed run's file, not measured now
    int iteration = 0;
    int evaluated = 0; // candidates evaluated so far
    int frontierSize = 0;
    double hypervolume = 0;
    double elapsedS = 0;
    std::string message; // Kind::Message, or why the search finished
    bool warning = false; // Kind::Message: something went wrong, but the search goes on
    // Kind::IterationDone and Finished: how good the estimates have been so far.
    EstimateQuality estimate; // of latency
    EstimateQuality memoryEstimate; // of peak memory
    std::vector<DeviceStatus> devices; // Kind::Devices
};

// Receives events on the search's thread; implementations forward them as values. An observer
// that throws aborts the search: the exception leaves SearchEngine::run (and SearchJob::run)
// after the candidates reported so far, which is how a run folder that can no longer be written
// stops a search.
class SearchObserver {
public:
    virtual ~SearchObserver() = default;
    virtual void onEvent(const SearchEvent& event) = 0;
};

struct SearchResult {
    std::vector<Candidate> candidates; // in evaluation order, earlier runs' first
    std::vector<std::size_t> frontier; // indices into candidates
    std::vector<double> hvReference; // reference point (minimisation form) of the hypervolume
    double hypervolume = 0;
    int iterationsDone = 0;
    bool cancelled = false;
    // Stopped because every measuring device was lost: the run is resumable, like a cancelled one.
    bool devicesLost = false;
    double elapsedS = 0;
    EstimateQuality estimate;
    EstimateQuality memoryEstimate;
};

// Stop and pause requests for a running search. cancel() and setPaused() may be called from
// any thread: they set atomics that the search polls between and inside measurements, because a
// busy worker never reads an event queue.
class RunControl final {
public:
    void cancel();
    void setPaused(bool paused);
    bool cancelled() const { return m_cancel.load(); }
    // What a measurer polls inside a measurement.
    const std::atomic<bool>& cancelFlag() const { return m_cancel; }
    // On the search's thread: while a pause is requested (and no cancel), calls `onPause`, blocks
    // until the pause is lifted or the search cancelled, then calls `onResume`.
    void waitWhilePaused(const std::function<void()>& onPause, const std::function<void()>& onResume);

private:
    std::atomic<bool> m_cancel { false };
    std::atomic<bool> m_paused { false };
    std::mutex m_mutex;
    std::condition_variable m_cv;
};

// Runs one search synchronously on the calling thread.
class SearchEngine final {
public:
    // Throws InputError when the space or the parameters are invalid. Without `control` the
    // engine has its own; with one, the caller's (a job's) stop and pause requests apply, even
    // those made before the engine existed.
    SearchEngine(SearchSpace space, SearchParams params, Measurer& measurer, RunControl* control = nullptr);

    // Earlier results (a resumed run): the search replays its seeded course and takes a known
    // architecture's measurement from here instead of measuring it again.
    void setKnownCandidates(std::vector<Candidate> known, double elapsedOffsetS = 0);
    // The clock the time budget and the candidates' times are read from (a test drives its own).
    void setClock(SearchClock clock) { m_clock = std::move(clock); }

    // Reports to `observer` (may be null) on this thread; see SearchObserver for what a throw does.
    SearchResult run(SearchObserver* observer);

    void cancel() { m_control->cancel(); }
    void setPaused(bool paused) { m_control->setPaused(paused); }

private:
    friend class SearchRun;

    SearchSpace m_space;
    SearchParams m_params;
    Measurer& m_measurer;
    RunControl m_ownControl;
    RunControl* m_control;
    std::vector<Candidate> m_known;
    double m_elapsedOffsetS = 0;
    SearchClock m_clock = steadyClock();
};

} // namespace lts
