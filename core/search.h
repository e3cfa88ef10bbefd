// The LTS evolutionary Pareto search and a random-search baseline. A search is a job: parameters
// in, candidates out, progress reported to an observer as each candidate is measured.
#pragma once

#include "candidate.h"
#include "profiler.h"
#include "searchspace.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace lts {

enum class Algorithm { Evolution, Random };
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
    double timeBudgetS = 0; // 0: no limit
    // Screening: a candidate whose latency estimate, lowered by the margin (or by the estimate's
    // observed 90th-percentile error when larger), is dominated by the measured frontier is
    // recorded as estimated instead of measured. Every frontier point is a full measurement.
    bool screening = true;
    double screeningMargin = 0.1;
    // With screening, each batch is drawn from `presample` times as many sampled architectures,
    // and the batch keeps those the estimate ranks best (1: every sample is a candidate).
    int presample = 10;
    // With screening, generations bred from the estimated front of each pool and judged by the
    // estimate alone before the batch is chosen (0: none).
    int estimateRounds = 0;

    int populationSize() const { return parents + mutants + crossovers; }
    // Throws InputError naming the field and the rule.
    void validate() const;
};

// Error of the (calibrated) latency estimate against the full measurements of the same candidates.
struct EstimateQuality {
    int samples = 0; // fully measured candidates that also had an estimate
    int screenedOut = 0; // candidates recorded as estimated, never measured in full
    double calibration = 1.0; // median of measured / raw estimate
    double medianError = 0; // median relative error |estimate - measured| / measured
    double p90Error = 0;
};

struct SearchEvent {
    enum class Kind { Candidate, IterationDone, Message, Finished };
    Kind kind = Kind::Message;
    Candidate candidate; // Kind::Candidate
    bool fromCache = false; // Kind::Candidate: known from an earlier run, not measured now
    int iteration = 0;
    int evaluated = 0; // candidates evaluated so far
    int frontierSize = 0;
    double hypervolume = 0;
    double elapsedS = 0;
    std::string message; // Kind::Message, or why the search finished
    // Kind::IterationDone and Finished: how good the latency estimate has been so far.
    EstimateQuality estimate;
};

// Receives events on the search's thread. Implementations forward them as values.
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
    double elapsedS = 0;
    EstimateQuality estimate;
};

// Runs one search synchronously on the calling thread. cancel() and setPaused() may be called
// from any thread: they set atomics that run() polls between and inside measurements, because a
// busy worker never reads an event queue.
class SearchEngine final {
public:
    // Throws InputError when the space or the parameters are invalid.
    SearchEngine(SearchSpace space, SearchParams params, Measurer& measurer);

    // Earlier results (a resumed run): the search replays its seeded course and takes a known
    // architecture's measurement from here instead of measuring it again.
    void setKnownCandidates(std::vector<Candidate> known, double elapsedOffsetS = 0);

    SearchResult run(SearchObserver* observer);

    void cancel();
    void setPaused(bool paused);
    bool isCancelled() const { return m_cancel.load(); }

private:
    struct Genes {
        int nLayer = 0;
        int dModel = 0;
        std::vector<int> nHead; // max-layers long (one entry when homogeneous)
        std::vector<int> dInner;
    };
    Genes randomGenes();
    Genes mutate(const Genes& g);
    Genes crossover(const Genes& a, const Genes& b);
    Genes genesOf(const ArchConfig& a) const;
    ArchConfig toArch(const Genes& g) const;
    void waitWhilePaused();

    SearchSpace m_space;
    SearchParams m_params;
    Measurer& m_measurer;
    std::mt19937_64 m_rng;
    std::vector<Candidate> m_known;
    double m_elapsedOffsetS = 0;
    std::atomic<bool> m_cancel { false };
    std::atomic<bool> m_paused { false };
    std::mutex m_pauseMutex;
    std::condition_variable m_pauseCv;
};

} // namespace lts
