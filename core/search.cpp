#include "search.h"

#include "errors.h"
#include "genes.h"
#include "paramcount.h"
#include "pareto.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace lts {

namespace {

    constexpr int kPatience = 20000; // sampling tries per batch before giving up on filling it
    constexpr double kHvReferenceMargin = 1.1; // reference point 10% beyond the first population's worst
    // A confirmation builds the model again and times a few more passes than a first measurement:
    // its cost in first measurements until this run has confirmed kConfirmCostSamples points,
    // then the ratio the run observed (it depends on the device's cold pass and spread).
    constexpr double kConfirmCostFactor = 1.3;
    constexpr int kConfirmCostSamples = 3;
    // Measurements a pool starts ahead of the course per device while screening may still drop
    // a candidate: one measuring, one waiting for the device.
    constexpr int kAheadPerDevice = 2;

} // namespace

std::string algorithmName(Algorithm a)
{
    return a == Algorithm::Evolution ? "evolution" : "random";
}

Algorithm algorithmFromName(const std::string& name, const std::string& field)
{
    if (name == "evolution")
        return Algorithm::Evolution;
    if (name == "random")
        return Algorithm::Random;
    throw InputError(field, "must be \"evolution\" or \"random\", not \"" + name + "\"");
}

void SearchParams::validate() const
{
    requireRange("iterations", iterations, kIterationLimits);
    requireRange("parents", parents, kParentLimits);
    requireRange("mutants", mutants, kOffspringLimits);
    requireRange("crossovers", crossovers, kOffspringLimits);
    if (mutants + crossovers < 1)
        throw InputError("mutants", "mutants + crossovers must be at least 1");
    requireRange("mutation_prob", mutationProb, kProbabilityLimits);
    requireRange("crossover_prob", crossoverProb, kProbabilityLimits);
    requireRange("screening_margin", screeningMargin, kScreeningMarginLimits);
    requireRange("presample", presample, kPresampleLimits);
    requireRange("estimate_rounds", estimateRounds, kEstimateRoundLimits);
    if (!(timeBudgetS >= 0) || !std::isfinite(timeBudgetS))
        throw InputError("time_budget_s", "must be 0 (none) or a positive number of seconds");
    if (objectives.size() < 2 || objectives.front() != Objective::DecoderParams)
        throw InputError("objectives", "must be params followed by costs (latency, memory, prefill, decode)");
    if (workloadOf(objectives) == Workload::Generate
        && std::find(objectives.begin(), objectives.end(), Objective::Latency) != objectives.end())
        throw InputError("objectives", "latency (a scoring pass) does not go with prefill or decode (generation)");
}

SearchEngine::SearchEngine(SearchSpace space, SearchParams params, Measurer& measurer, RunControl* control)
    : m_space(std::move(space))
    , m_params(std::move(params))
    , m_measurer(measurer)
    , m_control(control ? control : &m_ownControl)
{
    m_space.validate();
    m_params.validate();
}

void SearchEngine::setKnownCandidates(std::vector<Candidate> known, double elapsedOffsetS)
{
    m_known = std::move(known);
    m_elapsedOffsetS = elapsedOffsetS;
}

void RunControl::cancel()
{
    m_cancel.store(true);
    {
        std::lock_guard<std::mutex> lock(m_mutex); // a waiter between its check and its wait still wakes
    }
    m_cv.notify_all();
}

void RunControl::setPaused(bool paused)
{
    m_paused.store(paused);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
    }
    m_cv.notify_all();
}

void RunControl::waitWhilePaused(const std::function<void()>& onPause, const std::function<void()>& onResume)
{
    auto holding = [this] { return m_paused.load() && !m_cancel.load(); };
    if (!holding())
        return;
    onPause();
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [&] { return !holding(); });
    }
    onResume();
}

// The state of one run of the engine: the candidates so far, their genes, what was sampled, the
// measured front and the estimates' calibration. Each iteration draws a batch (random, or bred
// from the frontier), plans it with the estimates when the evolution screens, evaluates it in
// order and confirms the frontier points it found.
class SearchRun final {
public:
    SearchRun(const SearchEngine& engine, SearchObserver* observer);
    SearchResult execute();

private:
    // Estimates of a pool of sampled architectures, parallel to the pool.
    struct PoolEstimates {
        std::vector<ArchConfig> archs;
        std::vector<double> params;
        std::vector<Estimate> raw; // 0: no estimate of that quantity
        bool stopped = false; // cancelled or out of time: the rest is not estimated
    };

    double elapsed() const;
    bool outOfTime() const;
    bool budgetSpent() const; // the whole time budget, confirmation's reserve included, is used
    double confirmReserveS() const;
    double confirmCostFactor() const;
    double nextMeasurementS() const;
    void report(SearchEvent e);
    void progressEvent(SearchEvent::Kind kind);
    // A Candidate or Confirmed event for `c`.
    void reportCandidate(SearchEvent::Kind kind, const Candidate& c, bool fromEarlierRun);
    void note(const std::string& message, bool warning);
    void pausePoint();
    bool cancelledNow();

    // The estimates screen and cull only in the evolution's later iterations, and only while
    // they are trusted on every chosen objective; the first population and the random baseline
    // are plain random samples, measured in full.
    // The part-cost estimate predicts a scoring pass, not a generation: a search on prefill or
    // decode measures every candidate in full.
    bool usesEstimates() const
    {
        return m_params.screening && m_params.algorithm == Algorithm::Evolution
            && workloadOf(m_params.objectives) == Workload::Score;
    }
    bool mayCull(int iteration) const { return usesEstimates() && iteration > 0 && m_trust == Trust::Yes; }
    void updateTrust();
    // How many architectures are sampled per one evaluated.
    int presampleFactor(int iteration) const { return mayCull(iteration) ? m_params.presample : 1; }
    bool hasObjective(Objective o) const;
    // The point of an estimated architecture on the chosen objectives, raw or calibrated; empty
    // when an estimate it needs is missing.
    Point estimatedPoint(double params, const Estimate& raw, bool calibrated) const;
    std::vector<Point> estimatedPoints(const PoolEstimates& est, std::vector<std::size_t>& members) const;

    std::vector<Genes> nextBatch(int iteration, std::size_t& size);
    std::vector<Genes> randomBatch(int size);
    std::vector<Genes> bredBatch(const std::vector<std::size_t>& pool, int iteration);
    bool accept(const Genes& g, std::vector<Genes>& batch);

    void planBatch(std::vector<Genes>& pool, std::size_t size, int iteration);
    void estimatePool(const std::vector<Genes>& pool, PoolEstimates& est);
    void breedOnEstimates(std::vector<Genes>& pool, PoolEstimates& est);
    std::vector<std::size_t> keepBestByEstimate(const PoolEstimates& est, std::size_t size);
    std::vector<std::size_t> measurementOrder(const std::vector<std::size_t>& kept, const PoolEstimates& est) const;

    bool evaluate(std::vector<Genes> batch, std::size_t size, int iteration);
    bool evaluateOne(const Genes& g, int iteration);
    Candidate newCandidate(const ArchConfig& a, int iteration) const;
    bool wouldMeasure(const Genes& g, int iteration);
    void measureAhead(const std::vector<Genes>& batch, std::size_t from, int iteration);
    void confirmAhead(const std::vector<std::size_t>& todo, std::size_t from);
    std::size_t aheadLimit(int iteration) const;
    void abandonAhead();
    bool stopOn(const Measurement& m);
    void judgeCeilings(Candidate& c) const;
    bool screenOut(Candidate& c);
    void addCandidate(const Candidate& c, const Genes& g, bool fromEarlierRun);
    bool confirmFrontier();
    void confirmOne(std::size_t index);
    void rebuildLiveFront();
    void finishIteration(int iteration);
    void fixHvReference();
    double frontierHypervolume() const;
    SearchResult finish();
    EstimateQuality latencyQuality() const { return m_latencyCal.quality(m_screenedOut); }
    EstimateQuality memoryQuality() const { return m_memoryCal.quality(m_screenedOut); }

    const SearchSpace& m_space;
    const SearchParams& m_params;
    Measurer& m_measurer;
    RunControl& m_control;
    const std::vector<Candidate>& m_earlier;
    const double m_elapsedOffsetS;
    SearchObserver* m_observer;
    Breeder m_breeder;
    const std::chrono::steady_clock::time_point m_start;

    SearchResult m_result;
    std::vector<Genes> m_genes; // parallel to m_result.candidates
    std::unordered_set<std::string> m_seen;
    // Earlier results join the candidates when the replayed course reaches them, so every
    // frontier, and with it every random draw, is the one the original run had. A confirmed one
    // joins with its first latency and takes its confirmation when the course confirms it.
    std::unordered_map<std::string, const Candidate*> m_known;
    std::unordered_map<std::string, Candidate> m_knownConfirmations;
    std::unordered_set<std::string> m_confirmTried; // a failed confirmation is not retried
    // Device time of this run's first measurements, of its confirmations and of the first
    // measurements they confirmed.
    double m_firstsMs = 0, m_confirmsMs = 0, m_confirmedFirstsMs = 0;
    int m_firstsTimed = 0, m_confirmsTimed = 0;
    int m_nextId = 0;
    std::unordered_map<std::string, int> m_parentUses;
    FrontTracker m_liveFront; // measured frontier, kept current candidate by candidate
    EstimateCalibrator m_latencyCal, m_memoryCal;
    enum class Trust { Pending, Yes, No };
    Trust m_trust = Trust::Pending; // too few full measurements to judge the estimates yet
    int m_screenedOut = 0;
    std::unordered_map<std::string, Estimate> m_estimates; // raw estimates of the batch being planned
    // With a pool of devices: architectures started ahead of the course, on the devices that are
    // free, because the course as it stands expects to measure them next. The course takes their
    // measurements as it reaches them in batch order and abandons those it decides not to
    // measure, so it is the one it would be on a single device.
    std::unordered_map<std::string, ArchConfig> m_ahead, m_confirmingAhead;
    int m_droppedAhead = 0;
    std::string m_stopReason;
};

SearchRun::SearchRun(const SearchEngine& engine, SearchObserver* observer)
    : m_space(engine.m_space)
    , m_params(engine.m_params)
    , m_measurer(engine.m_measurer)
    , m_control(*engine.m_control)
    , m_earlier(engine.m_known)
    , m_elapsedOffsetS(engine.m_elapsedOffsetS)
    , m_observer(observer)
    , m_breeder(engine.m_space, engine.m_params)
    , m_start(std::chrono::steady_clock::now())
{
    for (const auto& c : m_earlier) {
        m_known.emplace(c.arch.key(), &c);
        m_nextId = std::max(m_nextId, c.id + 1);
    }
}

SearchResult SearchEngine::run(SearchObserver* observer)
{
    return SearchRun(*this, observer).execute();
}

double SearchRun::elapsed() const
{
    return m_elapsedOffsetS + std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

bool SearchRun::budgetSpent() const
{
    return m_params.timeBudgetS > 0 && elapsed() - m_elapsedOffsetS >= m_params.timeBudgetS;
}

bool SearchRun::outOfTime() const
{
    return m_params.timeBudgetS > 0
        && elapsed() - m_elapsedOffsetS + confirmReserveS() + nextMeasurementS() >= m_params.timeBudgetS;
}

// What measuring one more candidate may cost: its own measurement and, should it join the
// frontier, its confirmation, at this run's mean so far; a pool measures that many at once.
double SearchRun::nextMeasurementS() const
{
    if (m_firstsTimed == 0)
        return 0;
    return (1 + confirmCostFactor()) * m_firstsMs / m_firstsTimed / 1000.0 / m_measurer.parallelism();
}

// Time kept back from the budget to confirm the frontier points measured so far: the final
// frontier is confirmed before the search ends, inside its budget.
double SearchRun::confirmReserveS() const
{
    if (m_params.timeBudgetS <= 0)
        return 0;
    double s = 0;
    for (std::size_t i : m_liveFront.ids()) {
        const Measurement& m = m_result.candidates[i].measurement;
        if (!m.confirmed)
            s += m.measureMs / 1000.0;
    }
    return confirmCostFactor() * s / m_measurer.parallelism();
}

double SearchRun::confirmCostFactor() const
{
    if (m_confirmsTimed < kConfirmCostSamples || m_confirmedFirstsMs <= 0)
        return kConfirmCostFactor;
    return std::max(1.0, m_confirmsMs / m_confirmedFirstsMs);
}

void SearchRun::report(SearchEvent e)
{
    if (m_observer)
        m_observer->onEvent(e);
}

void SearchRun::progressEvent(SearchEvent::Kind kind)
{
    SearchEvent e;
    e.kind = kind;
    e.iteration = m_result.iterationsDone;
    e.evaluated = int(m_result.candidates.size());
    e.frontierSize = int(m_liveFront.ids().size());
    e.hypervolume = m_result.hypervolume;
    e.elapsedS = elapsed();
    report(e);
}

void SearchRun::reportCandidate(SearchEvent::Kind kind, const Candidate& c, bool fromEarlierRun)
{
    SearchEvent e;
    e.kind = kind;
    e.candidate = c;
    e.fromEarlierRun = fromEarlierRun;
    e.iteration = c.iteration;
    e.evaluated = int(m_result.candidates.size());
    e.elapsedS = c.elapsedS;
    report(e);
}

void SearchRun::note(const std::string& message, bool warning)
{
    SearchEvent e;
    e.kind = SearchEvent::Kind::Message;
    e.message = message;
    e.warning = warning;
    e.elapsedS = elapsed();
    report(e);
}

void SearchRun::pausePoint()
{
    m_control.waitWhilePaused(
        [this] { progressEvent(SearchEvent::Kind::Paused); }, [this] { progressEvent(SearchEvent::Kind::Resumed); });
}

bool SearchRun::cancelledNow()
{
    pausePoint();
    if (!m_control.cancelled())
        return false;
    m_result.cancelled = true;
    m_stopReason = "cancelled";
    return true;
}

bool SearchRun::hasObjective(Objective o) const
{
    return std::find(m_params.objectives.begin(), m_params.objectives.end(), o) != m_params.objectives.end();
}

// Trusted when the estimate of every chosen cost objective is. The verdict waits for enough full
// measurements, and is said whenever it changes.
void SearchRun::updateTrust()
{
    if (!usesEstimates())
        return;
    std::string doubt;
    bool pending = false;
    auto check = [&](Objective o, const EstimateCalibrator& cal, const char* what) {
        if (!hasObjective(o) || cal.trusted())
            return;
        if (cal.samples() < EstimateCalibrator::kMinTrustPairs) {
            pending = true;
            return;
        }
        char text[200];
        std::snprintf(text, sizeof text,
            "the %s estimate misses by more than %.0f%% for %.0f%% of %d full measurements (90th percentile %.1f%%)",
            what, 100 * EstimateCalibrator::kMaxTrustedError,
            100 * (1 - cal.shareWithin(EstimateCalibrator::kMaxTrustedError)), cal.samples(),
            100 * cal.errorQuantile(0.9));
        doubt += (doubt.empty() ? "" : "; ") + std::string(text);
    };
    check(Objective::Latency, m_latencyCal, "latency");
    check(Objective::Memory, m_memoryCal, "memory");
    const Trust verdict = !doubt.empty() ? Trust::No : pending ? Trust::Pending : Trust::Yes;
    if (verdict == m_trust)
        return;
    m_trust = verdict;
    if (verdict == Trust::Yes)
        note("the estimates hold on this device: screening and culling are on", false);
    else if (verdict == Trust::No)
        note("screening and culling are off: " + doubt + "; every candidate is measured in full", true);
}

Point SearchRun::estimatedPoint(double params, const Estimate& raw, bool calibrated) const
{
    Point p { -params };
    for (std::size_t o = 1; o < m_params.objectives.size(); ++o) {
        const bool latency = m_params.objectives[o] == Objective::Latency;
        const double v = latency ? raw.latencyMs : raw.peakMemoryMb;
        if (v <= 0)
            return {};
        const double c = !calibrated ? 1.0 : latency ? m_latencyCal.calibration() : m_memoryCal.calibration();
        p.push_back(v * c);
    }
    return p;
}

std::vector<Point> SearchRun::estimatedPoints(const PoolEstimates& est, std::vector<std::size_t>& members) const
{
    std::vector<Point> out;
    for (std::size_t i = 0; i < est.raw.size(); ++i) {
        Point p = estimatedPoint(est.params[i], est.raw[i], false);
        if (!p.empty()) {
            members.push_back(i);
            out.push_back(std::move(p));
        }
    }
    return out;
}

SearchResult SearchRun::execute()
{
    if (m_params.screening && m_params.algorithm == Algorithm::Evolution && !usesEstimates())
        note("screening is off for prefill and decode: the estimate predicts a scoring pass, not a generation; "
             "every candidate is measured in full",
            false);
    for (int iteration = 0; iteration < m_params.iterations; ++iteration) {
        std::size_t size = std::size_t(m_params.populationSize());
        std::vector<Genes> batch = nextBatch(iteration, size);
        if (batch.empty()) {
            m_stopReason = "no new architecture left to sample in the space";
            break;
        }
        const bool goOn = evaluate(std::move(batch), size, iteration) && confirmFrontier();
        finishIteration(iteration);
        if (!goOn)
            break;
    }
    return finish();
}

// The architectures of one iteration, `presample` times as many as it evaluates when culling
// (the estimates keep the best); `size` becomes how many it evaluates.
std::vector<Genes> SearchRun::nextBatch(int iteration, std::size_t& size)
{
    updateTrust();
    const int factor = presampleFactor(iteration);
    if (iteration == 0 || m_params.algorithm == Algorithm::Random)
        return randomBatch(m_params.populationSize() * factor);
    // In architecture order: a resumed run holds the same candidates in another order, and the
    // order of measurement within a batch follows the estimates.
    std::vector<std::size_t> pool = m_result.frontier;
    std::sort(pool.begin(), pool.end(), [&](std::size_t a, std::size_t b) {
        return m_result.candidates[a].arch.key() < m_result.candidates[b].arch.key();
    });
    if (pool.empty()) // nothing measured well yet: breed from random samples
        return randomBatch(m_params.populationSize() * factor);
    size = std::size_t(m_params.mutants + m_params.crossovers);
    return bredBatch(pool, iteration);
}

std::vector<Genes> SearchRun::randomBatch(int size)
{
    std::vector<Genes> batch;
    for (int tries = 0; int(batch.size()) < size && tries < kPatience; ++tries)
        accept(m_breeder.random(), batch);
    return batch;
}

// Mutants and crossovers of parents drawn from the frontier `pool`, favouring those used least.
std::vector<Genes> SearchRun::bredBatch(const std::vector<std::size_t>& pool, int iteration)
{
    const int factor = presampleFactor(iteration);
    std::vector<double> weights;
    for (std::size_t i : pool)
        weights.push_back(1.0 / (1.0 + m_parentUses[m_result.candidates[i].arch.key()]));
    std::discrete_distribution<std::size_t> choose(weights.begin(), weights.end());
    std::vector<std::size_t> parents;
    for (int p = 0; p < m_params.parents; ++p) {
        const std::size_t i = pool[choose(m_breeder.rng())];
        ++m_parentUses[m_result.candidates[i].arch.key()];
        parents.push_back(i);
    }
    auto parent = [&]() -> const Genes& { return m_genes[parents[m_breeder.index(parents.size())]]; };
    std::vector<Genes> batch;
    for (int tries = 0; int(batch.size()) < m_params.mutants * factor && tries < kPatience; ++tries)
        accept(m_breeder.mutate(parent()), batch);
    const std::size_t target = batch.size() + std::size_t(m_params.crossovers * factor);
    for (int tries = 0; batch.size() < target && tries < kPatience; ++tries) {
        const Genes& a = parent();
        accept(m_breeder.crossover(a, parent()), batch);
    }
    return batch;
}

// Offers one sampled architecture: true when it joins the batch.
bool SearchRun::accept(const Genes& g, std::vector<Genes>& batch)
{
    const ArchConfig a = m_breeder.arch(g);
    const std::string key = a.key();
    if (m_seen.count(key) || (!m_known.count(key) && !m_space.contains(a)))
        return false;
    m_seen.insert(key);
    batch.push_back(g);
    return true;
}

// Estimates cost microseconds and measurements seconds, so a pool is estimated before any of it
// is measured. When the estimates may cull, the pool's estimated front first breeds
// `estimateRounds` generations judged by estimate alone, then the `size` best by estimate form
// the batch (the rest go back to the space unmeasured). The batch is measured in the order of
// the hypervolume each would add to the measured frontier: the points that matter most are
// measured first, and they raise the bar the rest are screened against.
void SearchRun::planBatch(std::vector<Genes>& pool, std::size_t size, int iteration)
{
    m_estimates.clear();
    PoolEstimates est;
    estimatePool(pool, est);
    std::vector<std::size_t> kept;
    if (mayCull(iteration)) {
        breedOnEstimates(pool, est);
        kept = keepBestByEstimate(est, size);
    } else {
        for (std::size_t i = 0; i < pool.size(); ++i)
            kept.push_back(i);
    }
    const std::vector<std::size_t> order = measurementOrder(kept, est);
    std::vector<Genes> batch;
    batch.reserve(order.size());
    for (std::size_t i : order)
        batch.push_back(std::move(pool[i]));
    pool = std::move(batch);
}

// Estimates the pool members from est.archs.size() on.
void SearchRun::estimatePool(const std::vector<Genes>& pool, PoolEstimates& est)
{
    for (std::size_t i = est.archs.size(); i < pool.size(); ++i) {
        est.archs.push_back(m_breeder.arch(pool[i]));
        est.params.push_back(double(decoderParams(est.archs[i])));
        est.raw.emplace_back();
        const std::string key = est.archs[i].key();
        if (const auto k = m_known.find(key); k != m_known.end()) {
            // as estimated when it was first sampled
            est.raw[i] = { k->second->latencyEstimateMs, k->second->memoryEstimateMb };
            continue;
        }
        pausePoint();
        est.stopped = est.stopped || m_control.cancelled() || outOfTime();
        if (est.stopped)
            continue; // the measuring loop reports why it stops
        if (const auto e = m_measurer.estimate(est.archs[i], m_control.cancelFlag()))
            est.raw[i] = m_estimates[key] = *e;
    }
}

void SearchRun::breedOnEstimates(std::vector<Genes>& pool, PoolEstimates& est)
{
    const std::size_t sampled = pool.size();
    for (int round = 0; round < m_params.estimateRounds && !est.stopped; ++round) {
        std::vector<std::size_t> estimated;
        const std::vector<Point> points = estimatedPoints(est, estimated);
        std::vector<Genes> parents;
        for (std::size_t k : paretoFront(points))
            parents.push_back(pool[estimated[k]]);
        if (parents.empty())
            break; // nothing estimated: nothing to breed on
        auto parent = [&]() -> const Genes& { return parents[m_breeder.index(parents.size())]; };
        const std::size_t target = pool.size() + sampled;
        for (int tries = 0; pool.size() < target && tries < kPatience; ++tries) {
            if (tries % 2 == 0)
                accept(m_breeder.mutate(parent()), pool);
            else {
                const Genes& a = parent();
                accept(m_breeder.crossover(a, parent()), pool);
            }
        }
        estimatePool(pool, est);
    }
}

// The `size` best by estimate (non-dominated rank over decoder parameters and the estimates of
// the chosen cost objectives, then sampling order); members without the estimates they need rank
// first.
std::vector<std::size_t> SearchRun::keepBestByEstimate(const PoolEstimates& est, std::size_t size)
{
    std::vector<std::size_t> estimated;
    const std::vector<int> ranks = nonDominatedRanks(estimatedPoints(est, estimated), size);
    std::vector<int> rankOf(est.raw.size(), -1);
    for (std::size_t k = 0; k < estimated.size(); ++k)
        rankOf[estimated[k]] = ranks[k];
    std::vector<std::size_t> order(est.raw.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return rankOf[x] < rankOf[y]; });
    for (std::size_t k = size; k < order.size(); ++k)
        m_seen.erase(est.archs[order[k]].key());
    order.resize(std::min(size, order.size()));
    return order;
}

// Members without the estimates they need first, then the rest by greedy hypervolume gain of
// their calibrated estimates over the measured front, on the chosen objectives.
std::vector<std::size_t> SearchRun::measurementOrder(
    const std::vector<std::size_t>& kept, const PoolEstimates& est) const
{
    const std::size_t dims = m_params.objectives.size();
    Point worst(dims, 0.0);
    auto widen = [&](const Point& p) {
        for (std::size_t o = 1; o < dims; ++o)
            worst[o] = std::max(worst[o], p[o]);
    };
    std::vector<Point> measured;
    for (const auto& c : m_result.candidates)
        if (c.status == Candidate::Status::Ok) {
            measured.push_back(c.point(m_params.objectives));
            widen(measured.back());
        }
    std::vector<Point> front;
    for (std::size_t i : paretoFront(measured))
        front.push_back(measured[i]);
    std::vector<std::size_t> planned, rest;
    std::vector<Point> estimated;
    std::vector<double> costs; // a measurement takes about a fixed number of passes: its latency
    for (std::size_t i : kept) {
        Point p = estimatedPoint(est.params[i], est.raw[i], true);
        if (p.empty()) {
            planned.push_back(i);
            continue;
        }
        widen(p);
        rest.push_back(i);
        estimated.push_back(std::move(p));
        costs.push_back(est.raw[i].latencyMs);
    }
    Point ref { -double(m_space.paramsMin) };
    for (std::size_t o = 1; o < dims; ++o)
        ref.push_back(worst[o] * kHvReferenceMargin);
    for (std::size_t k : orderByHypervolumeGain(std::move(front), estimated, ref, costs))
        planned.push_back(rest[k]);
    return planned;
}

// Measures (or recalls) a batch; false when the search must stop.
bool SearchRun::evaluate(std::vector<Genes> batch, std::size_t size, int iteration)
{
    if (usesEstimates())
        planBatch(batch, size, iteration);
    bool goOn = true;
    for (std::size_t i = 0; i < batch.size() && goOn; ++i) {
        if (m_measurer.parallelism() > 1)
            measureAhead(batch, i, iteration);
        goOn = evaluateOne(batch[i], iteration);
    }
    abandonAhead();
    return goOn;
}

void SearchRun::abandonAhead()
{
    for (auto* ahead : { &m_ahead, &m_confirmingAhead }) {
        for (const auto& [key, arch] : *ahead)
            m_measurer.abandon(arch, ahead == &m_confirmingAhead);
        m_droppedAhead += int(ahead->size());
        ahead->clear();
    }
}

Candidate SearchRun::newCandidate(const ArchConfig& a, int iteration) const
{
    Candidate c = candidateOf(a);
    c.iteration = iteration;
    if (const auto e = m_estimates.find(a.key()); e != m_estimates.end()) {
        c.latencyEstimateMs = e->second.latencyMs;
        c.memoryEstimateMb = e->second.peakMemoryMb;
    }
    return c;
}

// Whether the course, as it stands, would measure `g` on the device.
bool SearchRun::wouldMeasure(const Genes& g, int iteration)
{
    const ArchConfig a = m_breeder.arch(g);
    if (m_known.count(a.key()) || m_ahead.count(a.key()) || m_measurer.hasMeasurement(a))
        return false;
    Candidate c = newCandidate(a, iteration);
    return !(mayCull(iteration) && screenOut(c));
}

// How many measurements of `iteration` a pool may have started ahead of the course. Where the
// course cannot change which ones it measures (the first population, a search without
// screening), all of them: no device idles while the course waits for a long measurement on
// another (a frontier's confirmations are all started too). Where screening may still drop a
// candidate, two per device, so that a change of course wastes little.
std::size_t SearchRun::aheadLimit(int iteration) const
{
    if (!usesEstimates() || iteration == 0)
        return std::numeric_limits<std::size_t>::max();
    return std::size_t(kAheadPerDevice * m_measurer.parallelism());
}

// Keeps every device of the pool busy: starts the architectures from batch[from] on that the
// course expects to measure, up to aheadLimit: a device that finishes before the course takes its
// measurement finds the next one waiting.
void SearchRun::measureAhead(const std::vector<Genes>& batch, std::size_t from, int iteration)
{
    if (outOfTime())
        return;
    const std::size_t limit = aheadLimit(iteration);
    for (std::size_t j = from; j < batch.size() && m_ahead.size() < limit; ++j) {
        if (!wouldMeasure(batch[j], iteration))
            continue;
        const ArchConfig a = m_breeder.arch(batch[j]);
        m_measurer.start(a, false);
        m_ahead.emplace(a.key(), a);
    }
}

// A measurement that stops the search: cancelled by the user, or no device left.
bool SearchRun::stopOn(const Measurement& m)
{
    if (m.status == Measurement::Status::Cancelled) {
        m_result.cancelled = true;
        m_stopReason = "cancelled";
        return true;
    }
    if (m.status == Measurement::Status::Lost) {
        m_result.cancelled = true;
        m_result.devicesLost = true;
        m_stopReason = "paused: " + m.error + "; resume the run once a device is back";
        return true;
    }
    return false;
}

bool SearchRun::evaluateOne(const Genes& g, int iteration)
{
    if (cancelledNow())
        return false;
    const ArchConfig a = m_breeder.arch(g);
    if (const auto k = m_known.find(a.key()); k != m_known.end()) {
        Candidate c = *k->second;
        if (c.measurement.hasFirst()) {
            m_knownConfirmations.emplace(k->first, c);
            c.measurement = c.measurement.first();
            judgeCeilings(c);
        }
        addCandidate(c, g, true);
        m_known.erase(k);
        return true;
    }
    if (outOfTime()) {
        m_stopReason = "time budget reached";
        return false;
    }
    Candidate c = newCandidate(a, iteration);
    c.id = m_nextId++;
    const auto ahead = m_ahead.find(a.key());
    if (!(mayCull(iteration) && screenOut(c))) {
        c.measurement = m_measurer.measure(a, m_control.cancelFlag()); // waits for one started ahead
        if (ahead != m_ahead.end())
            m_ahead.erase(ahead);
        if (stopOn(c.measurement))
            return false;
        if (c.measurement.measureMs > 0) {
            m_firstsMs += c.measurement.measureMs;
            ++m_firstsTimed;
        }
        c.elapsedS = elapsed();
        judgeCeilings(c);
    } else if (ahead != m_ahead.end()) { // screened out after all: its measurement is not taken
        m_measurer.abandon(a, false);
        m_ahead.erase(ahead);
        ++m_droppedAhead;
    }
    addCandidate(c, g, false);
    return true;
}

// A measured candidate's status: failed, over a ceiling of the space, or ok.
void SearchRun::judgeCeilings(Candidate& c) const
{
    if (c.measurement.status == Measurement::Status::Failed)
        c.status = Candidate::Status::Failed;
    else if ((m_space.latencyCeilingMs > 0 && c.measurement.latencyMs > m_space.latencyCeilingMs)
        || (m_space.memoryCeilingMb > 0 && c.measurement.peakMemoryMb > m_space.memoryCeilingMb))
        c.status = Candidate::Status::OverCeiling;
    else
        c.status = Candidate::Status::Ok;
}

// Records `c` as estimated when its estimates, each lowered by its margin, cannot reach the
// measured frontier on the chosen objectives. Nothing the measurer already knows is screened.
bool SearchRun::screenOut(Candidate& c)
{
    if (m_measurer.hasMeasurement(c.arch))
        return false;
    const double weightsMb = double(c.totalParams) * sizeof(float) / (1024.0 * 1024.0);
    const double latency = c.latencyEstimateMs * m_latencyCal.calibration();
    const double memory = c.memoryEstimateMb > 0 ? c.memoryEstimateMb * m_memoryCal.calibration() : weightsMb;
    if (hasObjective(Objective::Latency) && latency <= 0)
        return false; // no latency estimate: measured in full
    Candidate optimistic = c;
    optimistic.measurement.latencyMs = latency * (1.0 - screeningMargin(m_latencyCal, m_params.screeningMargin));
    // The weights are a lower bound of the peak whatever the estimate says.
    optimistic.measurement.peakMemoryMb = c.memoryEstimateMb > 0
        ? std::max(weightsMb, memory * (1.0 - screeningMargin(m_memoryCal, m_params.screeningMargin)))
        : weightsMb;
    const bool overCeiling =
        (m_space.latencyCeilingMs > 0 && latency > 0 && optimistic.measurement.latencyMs > m_space.latencyCeilingMs)
        || (m_space.memoryCeilingMb > 0 && optimistic.measurement.peakMemoryMb > m_space.memoryCeilingMb);
    if (!overCeiling && !m_liveFront.dominatesPoint(optimistic.point(m_params.objectives)))
        return false;
    c.status = Candidate::Status::Estimated;
    c.measurement.latencyMs = latency;
    c.measurement.weightsMb = weightsMb;
    c.measurement.peakMemoryMb = c.memoryEstimateMb > 0 ? memory : 0; // 0: no estimate (the weights only bound it)
    c.elapsedS = elapsed();
    return true;
}

void SearchRun::addCandidate(const Candidate& c, const Genes& g, bool fromEarlierRun)
{
    m_result.candidates.push_back(c);
    m_genes.push_back(g);
    if (c.status == Candidate::Status::Ok)
        m_liveFront.offer(m_result.candidates.size() - 1, c.point(m_params.objectives));
    if (c.status == Candidate::Status::Estimated)
        ++m_screenedOut;
    else if (c.status != Candidate::Status::Failed) {
        if (c.latencyEstimateMs > 0)
            m_latencyCal.add(c.latencyEstimateMs, c.measurement.latencyMs);
        if (c.memoryEstimateMb > 0)
            m_memoryCal.add(c.memoryEstimateMb, c.measurement.peakMemoryMb);
    }
    reportCandidate(SearchEvent::Kind::Candidate, c, fromEarlierRun);
    updateTrust();
}

// Measures every unconfirmed frontier point again until the frontier holds only confirmed ones:
// a point that falls off on confirmation leaves it, and what it hid may need confirming in turn.
// False when cancelled (the frontier then holds unconfirmed points, and says so).
bool SearchRun::confirmFrontier()
{
    for (;;) {
        std::vector<std::size_t> todo;
        for (std::size_t i : frontierOf(m_result.candidates, m_params.objectives)) {
            const Candidate& c = m_result.candidates[i];
            if (!c.measurement.confirmed && !m_confirmTried.count(c.arch.key()))
                todo.push_back(i);
        }
        if (todo.empty())
            return true;
        for (std::size_t k = 0; k < todo.size(); ++k) {
            if (cancelledNow())
                return false;
            // The budget includes the confirmation: what it leaves unconfirmed is said, and
            // shown unconfirmed; a resumed run confirms it.
            const bool known = m_knownConfirmations.count(m_result.candidates[todo[k]].arch.key()) > 0;
            if (!known && budgetSpent()) {
                rebuildLiveFront();
                note(std::to_string(todo.size() - k)
                        + " frontier point(s) left unconfirmed: the time budget ran out "
                          "(a resumed run confirms them)",
                    true);
                return false;
            }
            if (m_measurer.parallelism() > 1)
                confirmAhead(todo, k);
            confirmOne(todo[k]);
            if (m_result.devicesLost)
                return false;
        }
        rebuildLiveFront();
    }
}

// Starts the confirmations from todo[from] on: the course confirms them all.
void SearchRun::confirmAhead(const std::vector<std::size_t>& todo, std::size_t from)
{
    for (std::size_t j = from; j < todo.size(); ++j) {
        const ArchConfig& a = m_result.candidates[todo[j]].arch;
        if (m_knownConfirmations.count(a.key()) || m_confirmingAhead.count(a.key()))
            continue;
        m_measurer.start(a, true);
        m_confirmingAhead.emplace(a.key(), a);
    }
}

void SearchRun::confirmOne(std::size_t index)
{
    Candidate& c = m_result.candidates[index];
    const std::string key = c.arch.key();
    m_confirmTried.insert(key);
    bool fromEarlierRun = false;
    if (const auto k = m_knownConfirmations.find(key); k != m_knownConfirmations.end()) {
        c.measurement = k->second.measurement;
        c.elapsedS = k->second.elapsedS;
        fromEarlierRun = true;
    } else {
        Measurement m = m_measurer.confirm(c.arch, m_control.cancelFlag()); // waits for one started ahead
        m_confirmingAhead.erase(key);
        if (m.status == Measurement::Status::Lost) {
            stopOn(m);
            m_confirmTried.erase(key); // a resumed run confirms it
            return;
        }
        if (m.status != Measurement::Status::Ok || !m.confirmed)
            return; // stays as first measured, shown unconfirmed
        if (c.measurement.measureMs > 0 && m.measureMs > 0) {
            m_confirmsMs += m.measureMs;
            m_confirmedFirstsMs += c.measurement.measureMs;
            ++m_confirmsTimed;
        }
        m.firstLatencyMs = c.measurement.latencyMs;
        m.firstPrefillMs = c.measurement.prefillMs;
        m.firstDecodeMsPerToken = c.measurement.decodeMsPerToken;
        c.measurement = m;
        c.elapsedS = elapsed();
    }
    judgeCeilings(c);
    reportCandidate(SearchEvent::Kind::Confirmed, c, fromEarlierRun);
}

void SearchRun::rebuildLiveFront()
{
    m_liveFront = FrontTracker();
    for (std::size_t i = 0; i < m_result.candidates.size(); ++i)
        if (m_result.candidates[i].status == Candidate::Status::Ok)
            m_liveFront.offer(i, m_result.candidates[i].point(m_params.objectives));
}

double SearchRun::frontierHypervolume() const
{
    std::vector<Point> front;
    for (std::size_t i : m_result.frontier)
        front.push_back(m_result.candidates[i].point(m_params.objectives));
    return hypervolume(front, m_result.hvReference);
}

// Fixed after the first population so hypervolumes stay comparable over time.
void SearchRun::fixHvReference()
{
    m_result.hvReference.push_back(-double(m_space.paramsMin));
    for (std::size_t o = 1; o < m_params.objectives.size(); ++o) {
        const Objective objective = m_params.objectives[o];
        const double ceiling = objective == Objective::Latency ? m_space.latencyCeilingMs
            : objective == Objective::Memory                   ? m_space.memoryCeilingMb
                                                               : 0;
        double worst = 0;
        for (const auto& c : m_result.candidates)
            if (c.status == Candidate::Status::Ok)
                worst = std::max(worst, objectiveValue(c.measurement, objective));
        m_result.hvReference.push_back(ceiling > 0 ? ceiling : worst * kHvReferenceMargin);
    }
}

void SearchRun::finishIteration(int iteration)
{
    m_result.frontier = frontierOf(m_result.candidates, m_params.objectives);
    if (m_result.hvReference.empty())
        fixHvReference();
    m_result.hypervolume = frontierHypervolume();
    m_result.iterationsDone = iteration + 1;
    SearchEvent e;
    e.kind = SearchEvent::Kind::IterationDone;
    e.iteration = iteration;
    e.evaluated = int(m_result.candidates.size());
    e.frontierSize = int(m_result.frontier.size());
    e.hypervolume = m_result.hypervolume;
    e.elapsedS = elapsed();
    e.estimate = latencyQuality();
    e.memoryEstimate = memoryQuality();
    report(e);
}

SearchResult SearchRun::finish()
{
    // Earlier results this run did not reach are kept, in their original order.
    for (const auto& c : m_earlier) {
        if (const auto k = m_known.find(c.arch.key()); k != m_known.end() && k->second == &c) {
            addCandidate(c, m_breeder.genesOf(c.arch), true);
            m_known.erase(k);
        }
    }
    // The final frontier is a confirmed one, even when the time budget ran out; not when the
    // user stopped the search.
    if (!m_result.cancelled)
        confirmFrontier();
    abandonAhead(); // confirmations started for a confirmation cut short
    m_result.frontier = frontierOf(m_result.candidates, m_params.objectives);
    if (!m_result.hvReference.empty())
        m_result.hypervolume = frontierHypervolume();
    for (auto& c : m_result.candidates)
        c.onFrontier = false;
    for (std::size_t i : m_result.frontier)
        m_result.candidates[i].onFrontier = true;
    if (m_droppedAhead > 0)
        note(std::to_string(m_droppedAhead)
                + " measurement(s) the device pool took ahead were not used: the course, as on one device, "
                  "screened them out or stopped before them",
            false);
    m_result.elapsedS = elapsed();
    m_result.estimate = latencyQuality();
    m_result.memoryEstimate = memoryQuality();
    SearchEvent done;
    done.kind = SearchEvent::Kind::Finished;
    done.evaluated = int(m_result.candidates.size());
    done.frontierSize = int(m_result.frontier.size());
    done.hypervolume = m_result.hypervolume;
    done.iteration = m_result.iterationsDone;
    done.elapsedS = m_result.elapsedS;
    done.estimate = m_result.estimate;
    done.memoryEstimate = m_result.memoryEstimate;
    done.message = m_stopReason.empty() ? "finished" : m_stopReason;
    report(done);
    return std::move(m_result);
}

} // namespace lts
