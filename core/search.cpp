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
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace lts {

namespace {

    constexpr int kPatience = 20000; // sampling tries per batch before giving up on filling it
    constexpr double kHvReferenceMargin = 1.1; // reference point 10% beyond the first population's worst
    // The evolution's first population is chosen from the estimated frontier of this many random
    // architectures (at most half the space): an estimate costs microseconds, a measurement a second.
    constexpr int kFirstPoolSize = 4000;
    // Full measurements that calibrate the estimates before they may choose or screen: one or
    // more per stratum of depth and width, enough for EstimateCalibrator to judge them (its first
    // pairs calibrate, the next ones check the calibrated predictions).
    constexpr int kCalibrationSize = EstimateCalibrator::kMinPairs + EstimateCalibrator::kMinTrustPairs;
    // Measurements a pool starts ahead of the course per device while screening may still drop
    // a candidate: one measuring, one waiting for the device.
    constexpr int kAheadPerDevice = 2;
    // How far down a batch a pool looks for those while screening may still drop candidates: a
    // first population's batch ends in thousands of estimated members, and scanning them all at
    // every step made the course quadratic in the pool's size.
    constexpr std::size_t kAheadScan = 64;
    constexpr const char* kBudgetReached = "time budget reached";

} // namespace

std::string algorithmName(Algorithm a)
{
    switch (a) {
    case Algorithm::Evolution:
        return "evolution";
    case Algorithm::Random:
        return "random";
    case Algorithm::Lts:
        return "lts";
    }
    return "evolution";
}

Algorithm algorithmFromName(const std::string& name, const std::string& field)
{
    if (name == "evolution")
        return Algorithm::Evolution;
    if (name == "random")
        return Algorithm::Random;
    if (name == "lts")
        return Algorithm::Lts;
    throw InputError(field, "must be \"evolution\", \"lts\" or \"random\", not \"" + name + "\"");
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

    double elapsed() const { return m_elapsedOffsetS + m_budget.sinceStart(); }
    // Measuring one more candidate would eat into the time kept to confirm the frontier.
    bool outOfTime() const;
    void report(SearchEvent e);
    void progressEvent(SearchEvent::Kind kind);
    // A Candidate or Confirmed event for `c`.
    void reportCandidate(SearchEvent::Kind kind, const Candidate& c, bool fromEarlierRun);
    void note(const std::string& message, bool warning);
    void pausePoint();
    bool cancelledNow();

    // The estimates choose, screen and cull in the evolution only, and only while they are
    // trusted on every chosen objective; the published procedure (Lts) and the random baseline
    // measure plain random samples in full.
    // The part-cost estimate predicts a scoring pass, not a generation: a search on prefill or
    // decode measures every candidate in full.
    bool usesEstimates() const
    {
        return m_params.screening && m_params.algorithm == Algorithm::Evolution
            && workloadOf(m_params.objectives) == Workload::Score;
    }
    bool mayCull() const { return usesEstimates() && m_policy.trust() == ScreeningPolicy::Trust::Yes; }
    void updateTrust();
    void say(const std::optional<ScreeningPolicy::Notice>& notice);
    // How many architectures are sampled per one evaluated.
    int presampleFactor() const { return mayCull() ? m_params.presample : 1; }
    bool hasObjective(Objective o) const;
    // The point of an estimated architecture on the chosen objectives, raw or calibrated; empty
    // when an estimate it needs is missing.
    Point estimatedPoint(double params, const Estimate& raw, bool calibrated) const;
    std::vector<Point> estimatedPoints(const PoolEstimates& est, std::vector<std::size_t>& members) const;

    std::vector<Genes> nextBatch(int iteration, std::size_t& size);
    std::vector<Genes> randomBatch(int size);
    std::vector<Genes> bredBatch(const std::vector<std::size_t>& pool);
    bool accept(const Genes& g, std::vector<Genes>& batch);

    void planBatch(std::vector<Genes>& pool, std::size_t size);
    void estimatePool(const std::vector<Genes>& pool, PoolEstimates& est);
    void breedOnEstimates(std::vector<Genes>& pool, PoolEstimates& est);
    std::vector<std::size_t> keepBestByEstimate(const PoolEstimates& est, std::size_t size);
    std::vector<std::size_t> measurementOrder(
        const std::vector<std::size_t>& kept, const PoolEstimates& est, std::size_t limit = SIZE_MAX) const;

    bool firstPopulation();
    // `dropped[i]`: batch[i] was dropped by the estimates already (the first population's).
    bool evaluate(std::vector<Genes> batch, int iteration, const std::vector<bool>& dropped = {});
    bool evaluateOne(const Genes& g, int iteration, bool dropped = false);
    void recordDropped(const Genes& g, int iteration);
    Candidate newCandidate(const ArchConfig& a, int iteration) const;
    bool wouldMeasure(const Genes& g, int iteration, bool dropped);
    void measureAhead(
        const std::vector<Genes>& batch, std::size_t from, int iteration, const std::vector<bool>& dropped = {});
    void confirmAhead(const std::vector<std::size_t>& todo, std::size_t from);
    std::size_t aheadLimit() const;
    void abandonAhead();
    bool stopOn(const Measurement& m);
    void judgeCeilings(Candidate& c) const;
    bool screenedOut(const Candidate& c) const;
    void markEstimated(Candidate& c) const;
    void addCandidate(const Candidate& c, const Genes& g, bool fromEarlierRun);
    bool confirmFrontier();
    std::size_t confirmationGroup(const std::vector<std::size_t>& todo, std::size_t from) const;
    void confirmOne(std::size_t index, std::optional<Measurement> taken);
    void rebuildLiveFront();
    void finishIteration(int iteration);
    void fixHvReference();
    double frontierHypervolume() const;
    SearchResult finish();
    EstimateQuality latencyQuality() const { return m_policy.quality(m_policy.latency(), m_screenedOut); }
    EstimateQuality memoryQuality() const { return m_policy.quality(m_policy.memory(), m_screenedOut); }

    const SearchSpace& m_space;
    const SearchParams& m_params;
    Measurer& m_measurer;
    RunControl& m_control;
    const std::vector<Candidate>& m_earlier;
    const double m_elapsedOffsetS;
    SearchObserver* m_observer;
    Breeder m_breeder;
    TimeBudget m_budget;

    SearchResult m_result;
    std::vector<Genes> m_genes; // parallel to m_result.candidates
    std::unordered_set<std::string> m_seen;
    // Earlier results join the candidates when the replayed course reaches them, so every
    // frontier, and with it every random draw, is the one the original run had. A confirmed one
    // joins with its first latency and takes its confirmation when the course confirms it.
    std::unordered_map<std::string, const Candidate*> m_known;
    std::unordered_map<std::string, Candidate> m_knownConfirmations;
    std::unordered_set<std::string> m_confirmTried; // a failed confirmation is not retried
    int m_nextId = 0;
    std::unordered_map<std::string, int> m_parentUses;
    FrontTracker m_liveFront; // measured frontier, kept current candidate by candidate
    ScreeningPolicy m_policy;
    int m_screenedOut = 0;
    int m_fullMeasurements = 0; // candidates measured in full (ok, over a ceiling or failed)
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
    , m_budget(engine.m_params.timeBudgetS, engine.m_clock, engine.m_measurer.parallelism())
    , m_policy(engine.m_params.screeningMargin,
          std::count(engine.m_params.objectives.begin(), engine.m_params.objectives.end(), Objective::Latency) > 0,
          std::count(engine.m_params.objectives.begin(), engine.m_params.objectives.end(), Objective::Memory) > 0,
          engine.m_params.seed)
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

bool SearchRun::outOfTime() const
{
    if (!m_budget.limited())
        return false;
    double unconfirmedMs = 0;
    for (std::size_t i : m_liveFront.ids()) {
        const Measurement& m = m_result.candidates[i].measurement;
        if (!m.confirmed)
            unconfirmedMs += m.measureMs;
    }
    return m_budget.exhausted(unconfirmedMs);
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
    if (usesEstimates())
        say(m_policy.update());
}

void SearchRun::say(const std::optional<ScreeningPolicy::Notice>& notice)
{
    if (notice)
        note(notice->text, notice->warning);
}

Point SearchRun::estimatedPoint(double params, const Estimate& raw, bool calibrated) const
{
    Point p { -params };
    for (std::size_t o = 1; o < m_params.objectives.size(); ++o) {
        const bool latency = m_params.objectives[o] == Objective::Latency;
        const double v = latency ? raw.latencyMs : raw.peakMemoryMb;
        if (v <= 0)
            return {};
        const double c = !calibrated ? 1.0
            : latency                ? m_policy.latency().calibration()
                                     : m_policy.memory().calibration();
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
        bool goOn = true;
        if (iteration == 0 && usesEstimates()) {
            goOn = firstPopulation();
        } else {
            std::size_t size = std::size_t(m_params.populationSize());
            std::vector<Genes> batch = nextBatch(iteration, size);
            if (batch.empty()) {
                m_stopReason = "no new architecture left to sample in the space";
                break;
            }
            if (usesEstimates())
                planBatch(batch, size);
            goOn = evaluate(std::move(batch), iteration);
        }
        if (goOn) {
            goOn = confirmFrontier();
        } else if (!m_result.cancelled && m_stopReason == kBudgetReached) {
            // Stopped to keep time for confirming the frontier: confirmed, the time it did not
            // take goes to the next iteration.
            goOn = confirmFrontier() && !outOfTime();
            if (goOn)
                m_stopReason.clear();
        }
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
    const int factor = presampleFactor();
    if (iteration == 0 || m_params.algorithm == Algorithm::Random)
        return randomBatch(m_params.populationSize());
    // In architecture order: a resumed run holds the same candidates in another order, and the
    // order of measurement within a batch follows the estimates.
    std::vector<std::size_t> pool = m_result.frontier;
    std::sort(pool.begin(), pool.end(), [&](std::size_t a, std::size_t b) {
        return m_result.candidates[a].arch.key() < m_result.candidates[b].arch.key();
    });
    if (pool.empty()) // nothing measured well yet: breed from random samples
        return randomBatch(m_params.populationSize() * factor);
    size = std::size_t(m_params.mutants + m_params.crossovers);
    return bredBatch(pool);
}

std::vector<Genes> SearchRun::randomBatch(int size)
{
    std::vector<Genes> batch;
    for (int tries = 0; int(batch.size()) < size && tries < std::max(kPatience, 5 * size); ++tries)
        accept(m_breeder.random(), batch);
    return batch;
}

// Mutants and crossovers of parents drawn from the frontier `pool`, favouring those used least.
std::vector<Genes> SearchRun::bredBatch(const std::vector<std::size_t>& pool)
{
    const int factor = presampleFactor();
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
void SearchRun::planBatch(std::vector<Genes>& pool, std::size_t size)
{
    m_estimates.clear();
    PoolEstimates est;
    estimatePool(pool, est);
    std::vector<std::size_t> kept;
    if (mayCull()) {
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
    const std::vector<std::size_t>& kept, const PoolEstimates& est, std::size_t limit) const
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
    for (std::size_t k : orderByHypervolumeGain(std::move(front), estimated, ref, costs, limit))
        planned.push_back(rest[k]);
    return planned;
}

// The evolution's first population: a large random sample, estimated; a calibration sample
// across the strata of depth and width measured in full, cheapest first, then the rest of the
// sample in its random order, until the estimates hold on this device; then the members on or
// within the screening margin of the estimated frontier, measured in order of hypervolume gain per
// second and screened against the measured frontier as it grows. The rest are recorded as
// estimated (a random share audited). When the estimates do not hold before the population is
// full, it was a plain random sample measured in full. False when the search must stop.
bool SearchRun::firstPopulation()
{
    const std::size_t population = std::size_t(m_params.populationSize());
    std::vector<Genes> pool = randomBatch(int(population));
    if (pool.empty()) {
        m_stopReason = "no new architecture left to sample in the space";
        return false;
    }
    const std::mt19937_64 afterPlainPopulation = m_breeder.rng();
    // Never more than half a small space: the evolution needs architectures left to breed.
    const int poolSize =
        int(std::min<double>(kFirstPoolSize, std::max<double>(double(population), m_space.size() / 2)));
    for (Genes& g : randomBatch(std::max(0, poolSize - int(population))))
        pool.push_back(std::move(g));
    m_estimates.clear();
    PoolEstimates est;
    estimatePool(pool, est);
    std::vector<double> costs;
    for (const Estimate& e : est.raw)
        costs.push_back(e.latencyMs);
    if (std::none_of(
            est.raw.begin(), est.raw.end(), [](const Estimate& e) { return e.latencyMs > 0 || e.peakMemoryMb > 0; })) {
        // A device without estimates: the plain random population, and the course of a search without screening.
        for (std::size_t i = population; i < pool.size(); ++i)
            m_seen.erase(est.archs[i].key());
        pool.resize(std::min(pool.size(), population));
        m_breeder.rng() = afterPlainPopulation;
        return evaluate(std::move(pool), 0);
    }
    // The calibration sample first, then the rest in sampling order (a plain random population),
    // measured one by one until the estimates hold or the population is full.
    std::vector<std::size_t> sequence = calibrationSample(est.archs, costs, m_space, kCalibrationSize);
    std::vector<bool> taken(pool.size(), false);
    for (std::size_t i : sequence)
        taken[i] = true;
    for (std::size_t i = 0; i < pool.size(); ++i)
        if (!taken[i])
            sequence.push_back(i);
    std::fill(taken.begin(), taken.end(), false);
    std::vector<Genes> inSequence;
    for (std::size_t i : sequence)
        inSequence.push_back(pool[i]);
    std::size_t measured = 0;
    for (; measured < inSequence.size() && measured < population && m_policy.trust() != ScreeningPolicy::Trust::Yes;
         ++measured) {
        if (m_measurer.parallelism() > 1)
            measureAhead(inSequence, measured, 0);
        if (!evaluateOne(inSequence[measured], 0))
            return false;
        taken[sequence[measured]] = true;
    }
    abandonAhead();
    if (m_policy.trust() != ScreeningPolicy::Trust::Yes) {
        // The estimates never held: the population was a plain random sample, measured in full.
        if (m_policy.trust() == ScreeningPolicy::Trust::Pending)
            note("too few full measurements succeeded to check the estimates: the first population was measured in "
                 "full",
                true);
        for (std::size_t i = 0; i < pool.size(); ++i)
            if (!taken[i])
                m_seen.erase(est.archs[i].key());
        return true;
    }
    std::vector<Genes> batch;
    std::vector<bool> dropped;
    // The estimated frontier of the pool, and the members within the margin of it.
    std::vector<std::size_t> members, near;
    std::vector<Point> points;
    for (std::size_t i = 0; i < pool.size(); ++i) {
        if (taken[i])
            continue;
        Point p = estimatedPoint(est.params[i], est.raw[i], true);
        if (p.empty()) {
            near.push_back(i); // no estimate to judge it by: measured
            continue;
        }
        members.push_back(i);
        points.push_back(std::move(p));
    }
    std::vector<Point> front;
    for (std::size_t k : paretoFront(points))
        front.push_back(points[k]);
    std::vector<std::size_t> far;
    for (std::size_t k = 0; k < members.size(); ++k) {
        Point lowered = points[k];
        for (std::size_t o = 1; o < lowered.size(); ++o) {
            const bool latency = m_params.objectives[o] == Objective::Latency;
            lowered[o] *= 1.0 - (latency ? m_policy.latencyMargin() : m_policy.memoryMargin());
        }
        const bool reaches =
            std::none_of(front.begin(), front.end(), [&](const Point& f) { return dominates(f, lowered); });
        (reaches ? near : far).push_back(members[k]);
    }
    // The population's room goes to the greatest expected gains per second. Within reach but
    // beyond that room is recorded as estimated: not screened out, so never audited (measured, it
    // would often join the frontier, which says nothing about the estimates). What the estimates
    // put beyond reach is screened out, and the audit's share of it is measured among the others,
    // one every 1 / kAuditShare, so that a run out of time has audited as it went.
    const std::size_t room = population > measured ? population - measured : 0;
    std::vector<std::size_t> order = measurementOrder(near, est, room);
    const std::size_t measuredNow = std::min(room, order.size());
    std::vector<std::size_t> audits, rest;
    for (std::size_t i : far)
        (m_policy.audits(est.archs[i].key(), 0) ? audits : rest).push_back(i);
    const auto every = std::size_t(std::lround(1.0 / ScreeningPolicy::kAuditShare));
    std::size_t a = 0;
    for (std::size_t k = 0; k < measuredNow; ++k) {
        batch.push_back(pool[order[k]]);
        dropped.push_back(false);
        if ((k + 1) % every == 0 && a < audits.size()) {
            batch.push_back(pool[audits[a++]]);
            dropped.push_back(true);
        }
    }
    rest.insert(rest.begin(), audits.begin() + std::ptrdiff_t(a), audits.end());
    for (std::size_t i : rest) {
        batch.push_back(pool[i]);
        dropped.push_back(true);
    }
    note(std::to_string(measured) + " measurements calibrated the estimates; of "
            + std::to_string(pool.size() - measured) + " more sampled architectures, " + std::to_string(near.size())
            + " are on or within the margin of their estimated frontier: the " + std::to_string(measuredNow)
            + " of greatest expected gain per second are measured, the rest recorded as estimated",
        false);
    const bool goOn = evaluate(std::move(batch), 0, dropped);
    if (!m_result.cancelled)
        for (std::size_t k = measuredNow; k < order.size(); ++k)
            recordDropped(pool[order[k]], 0);
    return goOn;
}

// Measures (or recalls) a batch in its order. False when the search must stop.
bool SearchRun::evaluate(std::vector<Genes> batch, int iteration, const std::vector<bool>& dropped)
{
    bool goOn = true;
    std::size_t i = 0;
    for (; i < batch.size() && goOn; ++i) {
        if (m_measurer.parallelism() > 1)
            measureAhead(batch, i, iteration, dropped);
        goOn = evaluateOne(batch[i], iteration, i < dropped.size() && dropped[i]);
    }
    abandonAhead();
    // Out of time: what the estimates dropped is recorded all the same (an estimate costs
    // nothing), so the run shows what it sampled; no audit is measured.
    if (!goOn && !m_result.cancelled)
        for (std::size_t j = i; j < batch.size(); ++j)
            if (j < dropped.size() && dropped[j])
                recordDropped(batch[j], iteration);
    return goOn;
}

void SearchRun::recordDropped(const Genes& g, int iteration)
{
    const ArchConfig a = m_breeder.arch(g);
    if (const auto k = m_known.find(a.key()); k != m_known.end()) {
        addCandidate(*k->second, g, true);
        m_known.erase(k);
        return;
    }
    Candidate c = newCandidate(a, iteration);
    c.id = m_nextId++;
    markEstimated(c);
    addCandidate(c, g, false);
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
bool SearchRun::wouldMeasure(const Genes& g, int iteration, bool dropped)
{
    const ArchConfig a = m_breeder.arch(g);
    if (m_known.count(a.key()) || m_ahead.count(a.key()) || m_measurer.hasMeasurement(a))
        return false;
    const Candidate c = newCandidate(a, iteration);
    dropped = dropped || (mayCull() && screenedOut(c));
    return !dropped || m_policy.audits(a.key(), m_fullMeasurements);
}

// How many measurements a pool may have started ahead of the course. Where the course cannot
// change which ones it measures (a search without screening: the published procedure, a device
// without estimates), all of them: no device idles while the course waits for a long measurement
// on another (a frontier's confirmations are all started too). Where screening may still drop a
// candidate, two per device, so that a change of course wastes little.
std::size_t SearchRun::aheadLimit() const
{
    if (!usesEstimates())
        return std::numeric_limits<std::size_t>::max();
    return std::size_t(kAheadPerDevice * m_measurer.parallelism());
}

// Keeps every device of the pool busy: starts the architectures from batch[from] on that the
// course expects to measure, up to aheadLimit: a device that finishes before the course takes its
// measurement finds the next one waiting.
void SearchRun::measureAhead(
    const std::vector<Genes>& batch, std::size_t from, int iteration, const std::vector<bool>& dropped)
{
    if (outOfTime())
        return;
    const std::size_t limit = aheadLimit();
    const std::size_t end =
        usesEstimates() ? std::min(batch.size(), from + std::max(kAheadScan, 2 * limit)) : batch.size();
    for (std::size_t j = from; j < end && m_ahead.size() < limit; ++j) {
        if (!wouldMeasure(batch[j], iteration, j < dropped.size() && dropped[j]))
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

bool SearchRun::evaluateOne(const Genes& g, int iteration, bool dropped)
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
        m_stopReason = kBudgetReached;
        return false;
    }
    Candidate c = newCandidate(a, iteration);
    c.id = m_nextId++;
    const auto ahead = m_ahead.find(a.key());
    dropped = dropped || (mayCull() && !m_measurer.hasMeasurement(a) && screenedOut(c));
    c.audit = dropped && m_policy.audits(a.key(), m_fullMeasurements);
    if (!dropped || c.audit) {
        c.measurement = m_measurer.measure(a, m_control.cancelFlag()); // waits for one started ahead
        if (ahead != m_ahead.end())
            m_ahead.erase(ahead);
        if (stopOn(c.measurement))
            return false;
        m_budget.recordFirst(c.measurement.measureMs);
        c.elapsedS = elapsed();
        judgeCeilings(c);
    } else {
        markEstimated(c);
        if (ahead != m_ahead.end()) { // screened out after all: its measurement is not taken
            m_measurer.abandon(a, false);
            m_ahead.erase(ahead);
            ++m_droppedAhead;
        }
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

// True when `c`'s estimates, each lowered by its margin, cannot reach the measured frontier on
// the chosen objectives (or are over a ceiling of the space).
bool SearchRun::screenedOut(const Candidate& c) const
{
    const double weightsMb = double(c.totalParams) * sizeof(float) / (1024.0 * 1024.0);
    const double latency = c.latencyEstimateMs * m_policy.latency().calibration();
    const double memory = c.memoryEstimateMb > 0 ? c.memoryEstimateMb * m_policy.memory().calibration() : weightsMb;
    if (hasObjective(Objective::Latency) && latency <= 0)
        return false; // no latency estimate: measured in full
    Candidate optimistic = c;
    optimistic.measurement.latencyMs = latency * (1.0 - m_policy.latencyMargin());
    // The weights are a lower bound of the peak whatever the estimate says.
    optimistic.measurement.peakMemoryMb =
        c.memoryEstimateMb > 0 ? std::max(weightsMb, memory * (1.0 - m_policy.memoryMargin())) : weightsMb;
    const bool overCeiling =
        (m_space.latencyCeilingMs > 0 && latency > 0 && optimistic.measurement.latencyMs > m_space.latencyCeilingMs)
        || (m_space.memoryCeilingMb > 0 && optimistic.measurement.peakMemoryMb > m_space.memoryCeilingMb);
    return overCeiling || m_liveFront.dominatesPoint(optimistic.point(m_params.objectives));
}

// `c` is recorded with its calibrated estimates instead of a measurement.
void SearchRun::markEstimated(Candidate& c) const
{
    const double weightsMb = double(c.totalParams) * sizeof(float) / (1024.0 * 1024.0);
    c.status = Candidate::Status::Estimated;
    c.measurement.latencyMs = c.latencyEstimateMs * m_policy.latency().calibration();
    c.measurement.weightsMb = weightsMb;
    // 0: no estimate (the weights only bound it)
    c.measurement.peakMemoryMb = c.memoryEstimateMb > 0 ? c.memoryEstimateMb * m_policy.memory().calibration() : 0;
    c.elapsedS = elapsed();
}

void SearchRun::addCandidate(const Candidate& c, const Genes& g, bool fromEarlierRun)
{
    m_result.candidates.push_back(c);
    m_genes.push_back(g);
    if (c.audit && c.status != Candidate::Status::Estimated) // a dropped one would have joined the frontier
        say(m_policy.recordAudit(
            c.status == Candidate::Status::Ok && !m_liveFront.dominatesPoint(c.point(m_params.objectives))));
    if (c.status == Candidate::Status::Ok)
        m_liveFront.offer(m_result.candidates.size() - 1, c.point(m_params.objectives));
    if (c.status == Candidate::Status::Estimated)
        ++m_screenedOut;
    else
        ++m_fullMeasurements;
    if (c.status != Candidate::Status::Estimated && c.status != Candidate::Status::Failed) {
        if (c.latencyEstimateMs > 0)
            m_policy.latency().add(c.latencyEstimateMs, c.measurement.latencyMs);
        if (c.memoryEstimateMb > 0)
            m_policy.memory().add(c.memoryEstimateMb, c.measurement.peakMemoryMb);
    }
    reportCandidate(SearchEvent::Kind::Candidate, c, fromEarlierRun);
    updateTrust();
}

// Measures every unconfirmed frontier point again until the frontier holds only confirmed ones:
// a point that falls off on confirmation leaves it, and what it hid may need confirming in turn.
// One device confirms them together (interleaved where it can), in groups that the time left can
// pay for; a pool confirms them one per device at once. False when cancelled or out of time (the
// frontier then holds unconfirmed points, and says so).
bool SearchRun::confirmFrontier()
{
    // How many confirmations the frontier's unconfirmed points took, uncovered ones included:
    // the time budget keeps that much back for the next frontier.
    int unconfirmedAtStart = -1, confirmations = 0;
    for (;;) {
        std::vector<std::size_t> todo;
        for (std::size_t i : frontierOf(m_result.candidates, m_params.objectives)) {
            const Candidate& c = m_result.candidates[i];
            if (!c.measurement.confirmed && !m_confirmTried.count(c.arch.key()))
                todo.push_back(i);
        }
        if (todo.empty()) {
            m_budget.recordFrontierConfirmed(unconfirmedAtStart, confirmations);
            return true;
        }
        // Those an earlier session confirmed are replayed first, as they were.
        std::stable_partition(todo.begin(), todo.end(),
            [&](std::size_t i) { return m_knownConfirmations.count(m_result.candidates[i].arch.key()) > 0; });
        const int fresh = int(std::count_if(todo.begin(), todo.end(),
            [&](std::size_t i) { return m_knownConfirmations.count(m_result.candidates[i].arch.key()) == 0; }));
        if (unconfirmedAtStart < 0)
            unconfirmedAtStart = fresh;
        confirmations += fresh;
        for (std::size_t k = 0; k < todo.size();) {
            if (cancelledNow())
                return false;
            // The budget includes the confirmation: what it leaves unconfirmed is said, and
            // shown unconfirmed; a resumed run confirms it.
            const bool known = m_knownConfirmations.count(m_result.candidates[todo[k]].arch.key()) > 0;
            if (!known && m_budget.spent()) {
                if (m_stopReason.empty())
                    m_stopReason = kBudgetReached;
                rebuildLiveFront();
                note(std::to_string(todo.size() - k)
                        + " frontier point(s) left unconfirmed: the time budget ran out "
                          "(a resumed run confirms them)",
                    true);
                return false;
            }
            if (known || m_measurer.parallelism() > 1) {
                if (!known)
                    confirmAhead(todo, k);
                confirmOne(todo[k], std::nullopt);
                ++k;
            } else {
                const std::size_t group = confirmationGroup(todo, k);
                std::vector<ArchConfig> archs;
                for (std::size_t j = k; j < k + group; ++j)
                    archs.push_back(m_result.candidates[todo[j]].arch);
                const std::vector<Measurement> ms = m_measurer.confirmTogether(archs, m_control.cancelFlag());
                for (std::size_t j = 0; j < group; ++j)
                    confirmOne(todo[k + j], ms[j]);
                k += group;
            }
            if (m_result.devicesLost)
                return false;
        }
        rebuildLiveFront();
    }
}

// How many of todo[from...] to confirm together: all of them without a time budget, else as many
// as the time left pays for at what confirmations cost this run (at least one), and no more than
// TimeBudget::kConfirmCostSamples until that cost is known.
std::size_t SearchRun::confirmationGroup(const std::vector<std::size_t>& todo, std::size_t from) const
{
    if (!m_budget.limited())
        return todo.size() - from;
    const double leftS = m_params.timeBudgetS - m_budget.sinceStart();
    double costS = 0;
    std::size_t n = 0;
    for (std::size_t j = from; j < todo.size(); ++j, ++n) {
        const double firstMs = m_result.candidates[todo[j]].measurement.measureMs;
        costS += m_budget.confirmCostFactor() * firstMs / 1000.0;
        if (n > 0 && (firstMs <= 0 || costS > leftS))
            break; // over the time left, or of unknown cost: in a later group
    }
    if (!m_budget.confirmCostKnown())
        n = std::min(n, std::size_t(TimeBudget::kConfirmCostSamples));
    return std::max<std::size_t>(1, n);
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

// Takes the confirmation of candidate `index`: replayed from an earlier session, `taken` (when
// confirmed together with others), or asked of the measurer now.
void SearchRun::confirmOne(std::size_t index, std::optional<Measurement> taken)
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
        Measurement m =
            taken ? *taken : m_measurer.confirm(c.arch, m_control.cancelFlag()); // waits for one started ahead
        m_confirmingAhead.erase(key);
        if (m.status == Measurement::Status::Lost) {
            stopOn(m);
            m_confirmTried.erase(key); // a resumed run confirms it
            return;
        }
        if (m.status == Measurement::Status::Cancelled)
            m_confirmTried.erase(key); // a resumed run confirms it
        if (m.status != Measurement::Status::Ok || !m.confirmed)
            return; // stays as first measured, shown unconfirmed
        m_budget.recordConfirmation(m.measureMs, c.measurement.measureMs);
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
