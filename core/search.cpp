#include "search.h"

#include "errors.h"
#include "paramcount.h"
#include "pareto.h"
#include "stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace lts {

namespace {

    constexpr int kPatience = 20000; // sampling tries per batch before giving up on filling it
    constexpr double kHvReferenceMargin = 1.1; // reference point 10% beyond the first population's worst
    constexpr std::size_t kMinCalibrationPairs = 3; // measured/estimate ratios before the median is used
    constexpr int kMinErrorSamples = 10; // errors before their 90th percentile sets the margin
    constexpr double kUncalibratedMargin = 0.25; // screening margin while the estimate is unproven
    constexpr double kMaxScreeningMargin = 0.5;

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
        throw InputError("objectives", "must be params followed by latency, memory or both");
}

SearchEngine::SearchEngine(SearchSpace space, SearchParams params, Measurer& measurer)
    : m_space(std::move(space))
    , m_params(std::move(params))
    , m_measurer(measurer)
    , m_rng(m_params.seed)
{
    m_space.validate();
    m_params.validate();
}

void SearchEngine::setKnownCandidates(std::vector<Candidate> known, double elapsedOffsetS)
{
    m_known = std::move(known);
    m_elapsedOffsetS = elapsedOffsetS;
}

void SearchEngine::cancel()
{
    m_cancel.store(true);
    m_pauseCv.notify_all();
}

void SearchEngine::setPaused(bool paused)
{
    m_paused.store(paused);
    m_pauseCv.notify_all();
}

void SearchEngine::waitWhilePaused()
{
    std::unique_lock<std::mutex> lock(m_pauseMutex);
    m_pauseCv.wait(lock, [this] { return !m_paused.load() || m_cancel.load(); });
}

SearchEngine::Genes SearchEngine::randomGenes()
{
    const auto& s = m_space;
    auto pick = [this](const std::vector<int>& v) {
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(m_rng)];
    };
    Genes g;
    g.nLayer = std::uniform_int_distribution<int>(s.nLayerMin, s.nLayerMax)(m_rng);
    g.dModel = pick(s.dModel);
    std::vector<int> inner;
    for (int di : s.dInner)
        if (di >= s.minInnerRatio * g.dModel)
            inner.push_back(di);
    const int length = s.homogeneous ? 1 : s.nLayerMax;
    for (int i = 0; i < length; ++i) {
        g.nHead.push_back(pick(s.nHead));
        g.dInner.push_back(pick(inner)); // validate() guarantees a choice for every d_model
    }
    return g;
}

SearchEngine::Genes SearchEngine::mutate(const Genes& g)
{
    const Genes fresh = randomGenes();
    std::bernoulli_distribution flip(m_params.mutationProb);
    Genes c = g;
    if (flip(m_rng))
        c.nLayer = fresh.nLayer;
    if (flip(m_rng))
        c.dModel = fresh.dModel;
    for (std::size_t i = 0; i < c.nHead.size(); ++i)
        if (flip(m_rng))
            c.nHead[i] = fresh.nHead[i];
    for (std::size_t i = 0; i < c.dInner.size(); ++i)
        if (flip(m_rng))
            c.dInner[i] = fresh.dInner[i];
    return c;
}

SearchEngine::Genes SearchEngine::crossover(const Genes& a, const Genes& b)
{
    std::bernoulli_distribution first(m_params.crossoverProb);
    Genes c;
    c.nLayer = first(m_rng) ? a.nLayer : b.nLayer;
    c.dModel = first(m_rng) ? a.dModel : b.dModel;
    for (std::size_t i = 0; i < a.nHead.size(); ++i)
        c.nHead.push_back(first(m_rng) ? a.nHead[i] : b.nHead[i]);
    for (std::size_t i = 0; i < a.dInner.size(); ++i)
        c.dInner.push_back(first(m_rng) ? a.dInner[i] : b.dInner[i]);
    return c;
}

ArchConfig SearchEngine::toArch(const Genes& g) const
{
    ArchConfig a = m_space.baseArch();
    a.nLayer = g.nLayer;
    a.dModel = g.dModel;
    for (int i = 0; i < g.nLayer; ++i) {
        const std::size_t gene = m_space.homogeneous ? 0 : std::size_t(i);
        a.nHead.push_back(g.nHead[gene]);
        a.dInner.push_back(g.dInner[gene]);
    }
    return a;
}

SearchEngine::Genes SearchEngine::genesOf(const ArchConfig& a) const
{
    // Layers beyond n_layer repeat the last one, so growing n_layer by mutation stays plausible.
    Genes g;
    g.nLayer = a.nLayer;
    g.dModel = a.dModel;
    const int length = m_space.homogeneous ? 1 : m_space.nLayerMax;
    for (int i = 0; i < length; ++i) {
        const int layer = std::min(i, a.nLayer - 1);
        g.nHead.push_back(a.nHead[layer]);
        g.dInner.push_back(a.dInner[layer]);
    }
    return g;
}

SearchResult SearchEngine::run(SearchObserver* observer)
{
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return m_elapsedOffsetS + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto sessionTime = [&] { return elapsed() - m_elapsedOffsetS; };
    auto emit = [&](const SearchEvent& e) {
        if (observer)
            observer->onEvent(e);
    };

    SearchResult result;
    std::vector<Genes> genes; // parallel to result.candidates
    std::unordered_set<std::string> seen;
    // Earlier results join the candidates when the replayed course reaches them, so every
    // frontier, and with it every random draw, is the one the original run had.
    std::unordered_map<std::string, const Candidate*> known;
    int nextId = 0;
    for (const auto& c : m_known) {
        known.emplace(c.arch.key(), &c);
        nextId = std::max(nextId, c.id + 1);
    }
    std::unordered_map<std::string, int> parentUses;
    FrontTracker liveFront; // measured frontier, kept current candidate by candidate
    std::vector<std::pair<double, double>> estimatePairs; // (raw estimate, measured latency)
    int screenedOut = 0;

    auto addCandidate = [&](const Candidate& c, const Genes& g, bool fromCache) {
        result.candidates.push_back(c);
        genes.push_back(g);
        if (c.status == Candidate::Status::Ok)
            liveFront.offer(result.candidates.size() - 1, c.point(m_params.objectives));
        if (c.status == Candidate::Status::Estimated)
            ++screenedOut;
        else if (c.latencyEstimateMs > 0 && c.status != Candidate::Status::Failed)
            estimatePairs.emplace_back(c.latencyEstimateMs, c.measurement.latencyMs);
        SearchEvent e;
        e.kind = SearchEvent::Kind::Candidate;
        e.candidate = c;
        e.fromCache = fromCache;
        e.iteration = c.iteration;
        e.evaluated = int(result.candidates.size());
        e.elapsedS = c.elapsedS;
        emit(e);
    };

    auto frontierHypervolume = [&] {
        std::vector<Point> front;
        for (std::size_t i : result.frontier)
            front.push_back(result.candidates[i].point(m_params.objectives));
        return hypervolume(front, result.hvReference);
    };

    auto estimateQuality = [&] {
        EstimateQuality q;
        q.samples = int(estimatePairs.size());
        q.screenedOut = screenedOut;
        if (estimatePairs.size() >= kMinCalibrationPairs) {
            std::vector<double> ratios;
            for (const auto& [raw, measured] : estimatePairs)
                ratios.push_back(measured / raw);
            q.calibration = summarize(ratios).median;
        }
        std::vector<double> errors;
        for (const auto& [raw, measured] : estimatePairs)
            errors.push_back(std::fabs(raw * q.calibration - measured) / measured);
        std::sort(errors.begin(), errors.end());
        q.medianError = quantile(errors, 0.5);
        q.p90Error = quantile(errors, 0.9);
        return q;
    };

    // Whether a candidate with this optimistic latency could still join the measured frontier.
    auto couldEnterFrontier = [&](const Candidate& c, double optimisticLatencyMs) {
        const double weightsMb = double(c.totalParams) * sizeof(float) / (1024.0 * 1024.0);
        if (m_space.latencyCeilingMs > 0 && optimisticLatencyMs > m_space.latencyCeilingMs)
            return false;
        if (m_space.memoryCeilingMb > 0 && weightsMb > m_space.memoryCeilingMb)
            return false;
        Candidate optimistic = c;
        optimistic.measurement.latencyMs = optimisticLatencyMs;
        optimistic.measurement.peakMemoryMb = weightsMb; // the weights are a lower bound
        return !liveFront.dominatesPoint(optimistic.point(m_params.objectives));
    };

    auto outOfTime = [&] { return m_params.timeBudgetS > 0 && sessionTime() >= m_params.timeBudgetS; };
    std::string stopReason;

    // Offers one sampled architecture: true when it joins the batch.
    auto accept = [&](const Genes& g, std::vector<Genes>& batch) {
        const ArchConfig a = toArch(g);
        const std::string key = a.key();
        if (seen.count(key) || (!known.count(key) && !m_space.contains(a)))
            return false;
        seen.insert(key);
        batch.push_back(g);
        return true;
    };

    // Latency estimates of a pool of sampled architectures, taken before any of it is measured.
    // Estimates cost microseconds and measurements seconds, so the pool's estimated front first
    // breeds `estimateRounds` generations of mutants and crossovers judged by estimate alone.
    // Then the `size` best by estimate (non-dominated rank over decoder parameters and estimated
    // latency, then sampling order) form the batch; the rest go back to the space unmeasured.
    // The batch is ordered by the hypervolume each estimate would add to the measured frontier,
    // largest first: the points that matter most are measured first, and they raise the bar the
    // rest are screened against.
    std::unordered_map<std::string, double> estimates;
    auto planBatch = [&](std::vector<Genes>& pool, std::size_t size) {
        estimates.clear();
        std::vector<ArchConfig> archs;
        std::vector<double> params, raw; // per pool member
        bool stopped = false;
        auto estimateFrom = [&](std::size_t from) {
            for (std::size_t i = from; i < pool.size(); ++i) {
                archs.push_back(toArch(pool[i]));
                params.push_back(double(decoderParams(archs[i])));
                raw.push_back(0);
                const std::string key = archs[i].key();
                if (const auto k = known.find(key); k != known.end()) {
                    raw[i] = k->second->latencyEstimateMs; // as estimated when it was first sampled
                    continue;
                }
                waitWhilePaused();
                stopped = stopped || m_cancel.load() || outOfTime();
                if (stopped)
                    continue; // the measuring loop reports why it stops
                if (const auto e = m_measurer.estimateLatencyMs(archs[i], m_cancel))
                    raw[i] = estimates[key] = *e;
            }
        };
        auto estimatedPoints = [&](std::vector<std::size_t>& estimated) {
            std::vector<Point> points;
            for (std::size_t i = 0; i < pool.size(); ++i)
                if (raw[i] > 0) {
                    estimated.push_back(i);
                    points.push_back({ -params[i], raw[i] });
                }
            return points;
        };
        estimateFrom(0);
        const std::size_t sampled = pool.size();
        for (int round = 0; round < m_params.estimateRounds && !stopped; ++round) {
            std::vector<std::size_t> estimated;
            const std::vector<Point> points = estimatedPoints(estimated);
            std::vector<Genes> parents;
            for (std::size_t k : paretoFront(points))
                parents.push_back(pool[estimated[k]]);
            if (parents.empty())
                break; // nothing estimated: nothing to breed on
            auto parent = [&]() -> const Genes& {
                return parents[std::uniform_int_distribution<std::size_t>(0, parents.size() - 1)(m_rng)];
            };
            const std::size_t from = pool.size(), target = from + sampled;
            for (int tries = 0; pool.size() < target && tries < kPatience; ++tries) {
                if (tries % 2 == 0)
                    accept(mutate(parent()), pool);
                else {
                    const Genes& a = parent();
                    accept(crossover(a, parent()), pool);
                }
            }
            estimateFrom(from);
        }

        std::vector<std::size_t> estimated;
        const std::vector<Point> points = estimatedPoints(estimated);
        const std::vector<int> ranks = nonDominatedRanks(points, size);
        std::vector<int> rankOf(pool.size(), -1); // known without an estimate and unestimated ones first
        for (std::size_t k = 0; k < estimated.size(); ++k)
            rankOf[estimated[k]] = ranks[k];
        std::vector<std::size_t> order(pool.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(
            order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return rankOf[x] < rankOf[y]; });
        for (std::size_t k = size; k < order.size(); ++k)
            seen.erase(archs[order[k]].key());
        order.resize(std::min(size, order.size()));

        // Measurement order: greedy hypervolume gain of (params, calibrated estimate) over the
        // measured front.
        std::vector<Point> chosen;
        double worst = 0;
        for (const auto& c : result.candidates)
            if (c.status == Candidate::Status::Ok) {
                chosen.push_back({ -double(c.decoderParams), c.measurement.latencyMs });
                worst = std::max(worst, c.measurement.latencyMs);
            }
        chosen = [&] {
            std::vector<Point> front;
            for (std::size_t i : paretoFront(chosen))
                front.push_back(chosen[i]);
            return front;
        }();
        const double calibration = estimateQuality().calibration;
        std::vector<std::size_t> planned, rest;
        for (std::size_t i : order) {
            (raw[i] > 0 ? rest : planned).push_back(i);
            worst = std::max(worst, raw[i] * calibration);
        }
        const Point ref { -double(m_space.paramsMin), worst * kHvReferenceMargin };
        double volume = hypervolume(chosen, ref);
        while (!rest.empty()) {
            double bestGain = 0;
            std::size_t best = rest.size();
            for (std::size_t j = 0; j < rest.size(); ++j) {
                chosen.push_back({ -params[rest[j]], raw[rest[j]] * calibration });
                const double gain = hypervolume(chosen, ref) - volume;
                chosen.pop_back();
                if (gain > bestGain) {
                    bestGain = gain;
                    best = j;
                }
            }
            if (best == rest.size())
                break; // the rest add nothing: they keep their rank order
            chosen.push_back({ -params[rest[best]], raw[rest[best]] * calibration });
            volume += bestGain;
            planned.push_back(rest[best]);
            rest.erase(rest.begin() + std::ptrdiff_t(best));
        }
        planned.insert(planned.end(), rest.begin(), rest.end());
        std::vector<Genes> batch;
        batch.reserve(planned.size());
        for (std::size_t i : planned)
            batch.push_back(std::move(pool[i]));
        pool = std::move(batch);
    };

    // Measures (or recalls) a batch; false when the search must stop.
    auto evaluate = [&](std::vector<Genes> batch, std::size_t size, int iteration) {
        if (m_params.screening)
            planBatch(batch, size);
        for (const Genes& g : batch) {
            waitWhilePaused();
            if (m_cancel.load()) {
                result.cancelled = true;
                stopReason = "cancelled";
                return false;
            }
            const ArchConfig a = toArch(g);
            if (const auto k = known.find(a.key()); k != known.end()) {
                addCandidate(*k->second, g, true);
                known.erase(k);
                continue;
            }
            if (outOfTime()) {
                stopReason = "time budget reached";
                return false;
            }
            Candidate c;
            c.id = nextId++;
            c.arch = a;
            const ParamBreakdown p = countParams(a);
            c.decoderParams = p.decoder();
            c.totalParams = p.total();
            c.iteration = iteration;
            if (const auto e = estimates.find(a.key()); e != estimates.end())
                c.latencyEstimateMs = e->second;
            const EstimateQuality q = estimateQuality();
            // Nothing is screened until the estimate's bias is calibrated on full measurements, and
            // nothing the measurer already knows.
            if (c.latencyEstimateMs > 0 && q.samples >= int(kMinCalibrationPairs) && !m_measurer.hasMeasurement(a)) {
                // Until the estimate has a track record, trust it less.
                const double margin = q.samples >= kMinErrorSamples
                    ? std::min(kMaxScreeningMargin, std::max(m_params.screeningMargin, q.p90Error))
                    : std::max(m_params.screeningMargin, kUncalibratedMargin);
                const double estimate = c.latencyEstimateMs * q.calibration;
                if (!couldEnterFrontier(c, estimate * (1.0 - margin))) {
                    c.status = Candidate::Status::Estimated;
                    c.measurement.latencyMs = estimate;
                    c.measurement.weightsMb = double(c.totalParams) * sizeof(float) / (1024.0 * 1024.0);
                    c.measurement.peakMemoryMb = c.measurement.weightsMb;
                    c.elapsedS = elapsed();
                    addCandidate(c, g, false);
                    continue;
                }
            }
            c.measurement = m_measurer.measure(a, m_cancel);
            if (c.measurement.status == Measurement::Status::Cancelled) {
                result.cancelled = true;
                stopReason = "cancelled";
                return false;
            }
            c.elapsedS = elapsed();
            if (c.measurement.status == Measurement::Status::Failed)
                c.status = Candidate::Status::Failed;
            else if ((m_space.latencyCeilingMs > 0 && c.measurement.latencyMs > m_space.latencyCeilingMs)
                || (m_space.memoryCeilingMb > 0 && c.measurement.peakMemoryMb > m_space.memoryCeilingMb))
                c.status = Candidate::Status::OverCeiling;
            addCandidate(c, g, false);
        }
        return true;
    };

    auto randomBatch = [&](int size) {
        std::vector<Genes> batch;
        for (int tries = 0; int(batch.size()) < size && tries < kPatience; ++tries)
            accept(randomGenes(), batch);
        return batch;
    };

    auto finishIteration = [&](int iteration) {
        result.frontier = frontierOf(result.candidates, m_params.objectives);
        if (result.hvReference.empty()) {
            // Fixed after the first population so hypervolumes stay comparable over time.
            result.hvReference.push_back(-double(m_space.paramsMin));
            for (std::size_t o = 1; o < m_params.objectives.size(); ++o) {
                const bool latency = m_params.objectives[o] == Objective::Latency;
                const double ceiling = latency ? m_space.latencyCeilingMs : m_space.memoryCeilingMb;
                double worst = 0;
                for (const auto& c : result.candidates)
                    if (c.status == Candidate::Status::Ok)
                        worst = std::max(worst, latency ? c.measurement.latencyMs : c.measurement.peakMemoryMb);
                result.hvReference.push_back(ceiling > 0 ? ceiling : worst * kHvReferenceMargin);
            }
        }
        result.hypervolume = frontierHypervolume();
        result.iterationsDone = iteration + 1;
        SearchEvent e;
        e.kind = SearchEvent::Kind::IterationDone;
        e.iteration = iteration;
        e.evaluated = int(result.candidates.size());
        e.frontierSize = int(result.frontier.size());
        e.hypervolume = result.hypervolume;
        e.elapsedS = elapsed();
        e.estimate = estimateQuality();
        emit(e);
    };

    // Screening samples `presample` times more architectures than it measures and keeps the
    // best by estimate.
    const int factor = m_params.screening ? m_params.presample : 1;
    for (int iteration = 0; iteration < m_params.iterations; ++iteration) {
        std::vector<Genes> batch;
        std::size_t size = std::size_t(m_params.populationSize());
        if (iteration == 0 || m_params.algorithm == Algorithm::Random) {
            batch = randomBatch(m_params.populationSize() * factor);
        } else {
            // In architecture order: a resumed run holds the same candidates in another order, and
            // the order of measurement within a batch follows the estimates.
            std::vector<std::size_t> pool = result.frontier;
            std::sort(pool.begin(), pool.end(), [&](std::size_t a, std::size_t b) {
                return result.candidates[a].arch.key() < result.candidates[b].arch.key();
            });
            if (pool.empty()) { // nothing measured well yet: breed from random samples
                batch = randomBatch(m_params.populationSize() * factor);
            } else {
                size = std::size_t(m_params.mutants + m_params.crossovers);
                // Parents from the frontier, favouring those used least so far.
                std::vector<double> weights;
                for (std::size_t i : pool)
                    weights.push_back(1.0 / (1.0 + parentUses[result.candidates[i].arch.key()]));
                std::discrete_distribution<std::size_t> choose(weights.begin(), weights.end());
                std::vector<std::size_t> parents;
                for (int p = 0; p < m_params.parents; ++p) {
                    const std::size_t i = pool[choose(m_rng)];
                    ++parentUses[result.candidates[i].arch.key()];
                    parents.push_back(i);
                }
                auto parent = [&]() -> const Genes& {
                    return genes[parents[std::uniform_int_distribution<std::size_t>(0, parents.size() - 1)(m_rng)]];
                };
                for (int tries = 0; int(batch.size()) < m_params.mutants * factor && tries < kPatience; ++tries)
                    accept(mutate(parent()), batch);
                const std::size_t target = batch.size() + std::size_t(m_params.crossovers * factor);
                for (int tries = 0; batch.size() < target && tries < kPatience; ++tries) {
                    const Genes& a = parent();
                    accept(crossover(a, parent()), batch);
                }
            }
        }
        if (batch.empty()) {
            stopReason = "no new architecture left to sample in the space";
            break;
        }
        const bool goOn = evaluate(batch, size, iteration);
        finishIteration(iteration);
        if (!goOn)
            break;
    }
    // Earlier results this run did not reach are kept, in their original order.
    for (const auto& c : m_known) {
        if (const auto k = known.find(c.arch.key()); k != known.end() && k->second == &c) {
            addCandidate(c, genesOf(c.arch), true);
            known.erase(k);
        }
    }
    result.frontier = frontierOf(result.candidates, m_params.objectives);
    if (!result.hvReference.empty())
        result.hypervolume = frontierHypervolume();
    for (auto& c : result.candidates)
        c.onFrontier = false;
    for (std::size_t i : result.frontier)
        result.candidates[i].onFrontier = true;
    result.elapsedS = elapsed();
    SearchEvent done;
    done.kind = SearchEvent::Kind::Finished;
    done.evaluated = int(result.candidates.size());
    done.frontierSize = int(result.frontier.size());
    done.hypervolume = result.hypervolume;
    done.iteration = result.iterationsDone;
    done.elapsedS = result.elapsedS;
    done.estimate = result.estimate = estimateQuality();
    done.message = stopReason.empty() ? "finished" : stopReason;
    emit(done);
    return result;
}

} // namespace lts
