// The LTS evolution and the random baseline with a deterministic fake measurer: reproducibility,
// no duplicates, resume by replay, failures, ceilings, cancellation, pause and time budget.
#include "genes.h"
#include "pareto.h"
#include "search.h"
#include "testutil.h"

#include <QtTest>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <tuple>

using namespace lts;

namespace {

struct Recorder final : SearchObserver {
    void onEvent(const SearchEvent& e) override { events.push_back(e); }
    std::vector<SearchEvent> events;
    int count(SearchEvent::Kind k, bool cached = false) const
    {
        int n = 0;
        for (const auto& e : events)
            n += e.kind == k && e.fromEarlierRun == cached;
        return n;
    }
};

SearchParams smallParams(std::uint64_t seed = 7)
{
    SearchParams p;
    p.iterations = 6;
    p.parents = 4;
    p.mutants = 8;
    p.crossovers = 8;
    p.seed = seed;
    return p;
}

int unconfirmedOnFrontier(const SearchResult& r)
{
    int n = 0;
    for (std::size_t i : r.frontier)
        n += !r.candidates[i].measurement.confirmed;
    return n;
}

std::vector<std::string> keys(const SearchResult& r)
{
    std::vector<std::string> k;
    for (const auto& c : r.candidates)
        k.push_back(c.arch.key());
    return k;
}

SearchSpace gptSpace()
{
    SearchSpace s = preset("gpt2-lts");
    s.paramsMax = 40'000'000; // keeps the bounds check busy
    return s;
}

} // namespace

class TestSearch final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void reproducible();
    void populationAndUniqueness();
    void frontierIsNonDominated();
    void hypervolumeNeverDecreases();
    void resumeReplaysWithoutMeasuring_data();
    void resumeReplaysWithoutMeasuring();
    void randomBaseline();
    void failuresAreRecorded();
    void ceilingsExcludeFromFrontier();
    void homogeneousLayers();
    void cancelFromAnotherThread();
    void pauseHoldsTheWorker();
    void timeBudget();
    void timeBudgetIncludesTheConfirmation();
    void reserveLearnsWhatConfirmationsCost();
    void reserveLearnsTheConfirmationCascade();
    void timeLeftAfterConfirmingGoesOn();
    void firstPopulationFromTheEstimatedFrontier();
    void auditsOnlyWhatTheEstimatesPutOutOfReach();
    void calibrationLearnsBias();
    void screeningOff();
    void presampleKeepsTheBestEstimates_data();
    void presampleKeepsTheBestEstimates();
    void ltsIsThePlainProcedure();
    void randomBaselineIgnoresEstimates();
    void untrustedEstimatesTurnThemselvesOff();
    void frontierPointsAreConfirmed();
    void mutatedInnerWidthFitsTheChildsModelWidth();
    void poolFollowsTheCourseOfOneDevice();
};

void TestSearch::reproducible()
{
    test::FakeMeasurer m1, m2, m3;
    SearchEngine a(gptSpace(), smallParams(7), m1), b(gptSpace(), smallParams(7), m2),
        c(gptSpace(), smallParams(8), m3);
    const SearchResult ra = a.run(nullptr), rb = b.run(nullptr), rc = c.run(nullptr);
    QCOMPARE(keys(ra), keys(rb));
    QCOMPARE(ra.frontier, rb.frontier);
    QCOMPARE(ra.hypervolume, rb.hypervolume);
    QVERIFY(keys(ra) != keys(rc)); // another seed, another course
}

void TestSearch::populationAndUniqueness()
{
    test::FakeMeasurer m;
    const SearchParams p = smallParams();
    const SearchSpace space = gptSpace();
    Recorder rec;
    SearchEngine e(space, p, m);
    const SearchResult r = e.run(&rec);
    QCOMPARE(r.iterationsDone, p.iterations);
    std::map<int, int> perIteration;
    for (const auto& c : r.candidates)
        ++perIteration[c.iteration];
    QCOMPARE(perIteration[0], p.populationSize());
    for (int i = 1; i < p.iterations; ++i)
        QCOMPARE(perIteration[i], p.mutants + p.crossovers);
    // Never the same architecture twice, each measured once, all inside the space's bounds.
    const auto k = keys(r);
    QCOMPARE(std::set<std::string>(k.begin(), k.end()).size(), k.size());
    QCOMPARE(m.calls, int(k.size()));
    for (const auto& c : r.candidates) {
        std::string why;
        QVERIFY2(space.contains(c.arch, &why), why.c_str());
    }
    QCOMPARE(rec.count(SearchEvent::Kind::Candidate), int(k.size()));
    QCOMPARE(rec.count(SearchEvent::Kind::Confirmed), m.confirms);
    QVERIFY(m.confirms >= int(r.frontier.size()));
    for (std::size_t i : r.frontier)
        QVERIFY(r.candidates[i].measurement.confirmed);
    QCOMPARE(rec.count(SearchEvent::Kind::IterationDone), p.iterations);
    QCOMPARE(rec.events.back().kind, SearchEvent::Kind::Finished);
}

void TestSearch::frontierIsNonDominated()
{
    test::FakeMeasurer m;
    SearchParams p = smallParams();
    p.objectives = { Objective::DecoderParams, Objective::Latency, Objective::Memory };
    SearchEngine e(gptSpace(), p, m);
    const SearchResult r = e.run(nullptr);
    QVERIFY(!r.frontier.empty());
    std::set<std::size_t> front(r.frontier.begin(), r.frontier.end());
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < r.candidates.size() && !dominated; ++j)
            dominated = dominates(r.candidates[j].point(p.objectives), r.candidates[i].point(p.objectives));
        QCOMPARE(front.count(i) == 1, !dominated);
        QCOMPARE(r.candidates[i].onFrontier, !dominated);
    }
}

void TestSearch::hypervolumeNeverDecreases()
{
    test::FakeMeasurer m;
    Recorder rec;
    SearchEngine e(gptSpace(), smallParams(), m);
    e.run(&rec);
    double last = 0;
    int iterations = 0;
    for (const auto& ev : rec.events) {
        if (ev.kind != SearchEvent::Kind::IterationDone)
            continue;
        QVERIFY(ev.hypervolume >= last);
        QVERIFY(ev.hypervolume > 0);
        last = ev.hypervolume;
        ++iterations;
    }
    QCOMPARE(iterations, smallParams().iterations);
}

void TestSearch::resumeReplaysWithoutMeasuring_data()
{
    QTest::addColumn<double>("estimateScale");
    QTest::addColumn<double>("firstLuck");
    QTest::newRow("measure everything") << 0.0 << 0.0;
    QTest::newRow("screening reorders batches") << 1.0 << 0.0;
    QTest::newRow("confirmations change latencies") << 1.0 << 0.3;
}

void TestSearch::resumeReplaysWithoutMeasuring()
{
    QFETCH(double, estimateScale);
    QFETCH(double, firstLuck);
    auto sameCourse = [](const SearchResult& a, const SearchResult& b) {
        std::multiset<std::tuple<int, std::string, int>> x, y;
        for (const auto& c : a.candidates)
            x.insert({ c.iteration, c.arch.key(), int(c.status) });
        for (const auto& c : b.candidates)
            y.insert({ c.iteration, c.arch.key(), int(c.status) });
        return x == y;
    };
    const SearchParams p = smallParams(11);
    test::FakeMeasurer full;
    full.estimateScale = estimateScale;
    full.firstLuck = firstLuck;
    const SearchResult whole = SearchEngine(gptSpace(), p, full).run(nullptr);

    // Interrupted after 37 measurements, as a kill or Stop would leave it.
    test::FakeMeasurer first;
    first.estimateScale = estimateScale;
    first.firstLuck = firstLuck;
    SearchEngine interrupted(gptSpace(), p, first);
    first.onMeasure = [&](const ArchConfig&) {
        if (first.calls == 37)
            interrupted.cancel();
    };
    const SearchResult part = interrupted.run(nullptr);
    QVERIFY(part.cancelled);
    QVERIFY(part.candidates.size() >= 36);

    test::FakeMeasurer second;
    second.estimateScale = estimateScale;
    second.firstLuck = firstLuck;
    SearchEngine resumed(gptSpace(), p, second);
    resumed.setKnownCandidates(part.candidates, part.elapsedS);
    Recorder rec;
    const SearchResult rest = resumed.run(&rec);
    QCOMPARE(rec.count(SearchEvent::Kind::Candidate, true), int(part.candidates.size()));
    for (const auto& c : part.candidates)
        QCOMPARE(second.perKey.count(c.arch.key()), std::size_t(0)); // nothing measured twice
    QCOMPARE(second.calls, full.calls - 36);
    QVERIFY(sameCourse(rest, whole)); // the same course as an uninterrupted run
    QCOMPARE(rest.hypervolume, whole.hypervolume);
    for (std::size_t i : rest.frontier)
        QCOMPARE(rest.candidates[i].measurement.latencyMs, test::FakeMeasurer::latencyOf(rest.candidates[i].arch));
}

void TestSearch::randomBaseline()
{
    test::FakeMeasurer m;
    SearchParams p = smallParams();
    p.algorithm = Algorithm::Random;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
    QCOMPARE(int(r.candidates.size()), p.iterations * p.populationSize());
    const auto k = keys(r);
    QCOMPARE(std::set<std::string>(k.begin(), k.end()).size(), k.size());
    QVERIFY(!r.frontier.empty());
}

void TestSearch::failuresAreRecorded()
{
    test::FakeMeasurer m;
    m.failWhen = [](const ArchConfig& a) { return a.nLayer % 2 == 0; };
    const SearchResult r = SearchEngine(gptSpace(), smallParams(), m).run(nullptr);
    int failed = 0;
    for (const auto& c : r.candidates) {
        if (c.arch.nLayer % 2 == 0) {
            QCOMPARE(c.status, Candidate::Status::Failed);
            QCOMPARE(QString::fromStdString(c.measurement.error), QStringLiteral("injected failure"));
            QVERIFY(!c.onFrontier);
            ++failed;
        }
    }
    QVERIFY(failed > 0);
    QCOMPARE(r.iterationsDone, smallParams().iterations); // the search went on
    QVERIFY(!r.frontier.empty());
}

void TestSearch::ceilingsExcludeFromFrontier()
{
    test::FakeMeasurer m;
    SearchSpace s = gptSpace();
    s.latencyCeilingMs = 150;
    const SearchResult r = SearchEngine(s, smallParams(), m).run(nullptr);
    int over = 0;
    for (const auto& c : r.candidates) {
        const bool above = c.measurement.latencyMs > 150;
        QCOMPARE(c.status == Candidate::Status::OverCeiling, above);
        over += above;
        if (above)
            QVERIFY(!c.onFrontier);
    }
    QVERIFY(over > 0);
    QCOMPARE(r.hvReference.at(1), 150.0); // the ceiling bounds the hypervolume
}

void TestSearch::homogeneousLayers()
{
    test::FakeMeasurer m;
    SearchSpace s = gptSpace();
    s.homogeneous = true;
    const SearchResult r = SearchEngine(s, smallParams(), m).run(nullptr);
    QVERIFY(r.candidates.size() > 50);
    for (const auto& c : r.candidates)
        QVERIFY(c.arch.homogeneous());
}

void TestSearch::cancelFromAnotherThread()
{
    test::FakeMeasurer m;
    std::promise<void> measuring;
    m.onMeasure = [&](const ArchConfig&) {
        if (m.calls == 3)
            measuring.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    SearchEngine e(gptSpace(), smallParams(), m);
    SearchResult r;
    std::thread worker([&] { r = e.run(nullptr); });
    QVERIFY(measuring.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    const auto t0 = std::chrono::steady_clock::now();
    e.cancel();
    worker.join();
    const double waitedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY(r.cancelled);
    QVERIFY(r.candidates.size() >= 2);
    QVERIFY(r.candidates.size() < std::size_t(smallParams().iterations * smallParams().populationSize()));
    QVERIFY2(waitedMs < 1000, "cancel must take effect within the current measurement");
}

namespace {

// Tells the test thread when the search thread has blocked on a pause.
struct PauseWatch final : SearchObserver {
    void onEvent(const SearchEvent& e) override
    {
        kinds.push_back(e.kind);
        if (e.kind == SearchEvent::Kind::Paused && !told) {
            told = true;
            paused.set_value(e.evaluated);
        }
    }
    std::vector<SearchEvent::Kind> kinds;
    std::promise<int> paused; // candidates evaluated when it paused
    bool told = false;
};

} // namespace

void TestSearch::pauseHoldsTheWorker()
{
    // Paused before it starts: it blocks before the first measurement and says so.
    {
        test::FakeMeasurer m;
        SearchEngine e(gptSpace(), smallParams(), m);
        e.setPaused(true);
        PauseWatch watch;
        SearchResult r;
        std::thread worker([&] { r = e.run(&watch); });
        auto paused = watch.paused.get_future();
        QVERIFY(paused.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
        QCOMPARE(paused.get(), 0);
        QCOMPARE(m.calls, 0); // the worker is blocked, not measuring
        e.setPaused(false);
        worker.join();
        QVERIFY(!r.cancelled);
        QCOMPARE(r.iterationsDone, smallParams().iterations);
        QCOMPARE(std::count(watch.kinds.begin(), watch.kinds.end(), SearchEvent::Kind::Paused), 1);
        QCOMPARE(std::count(watch.kinds.begin(), watch.kinds.end(), SearchEvent::Kind::Resumed), 1);
        const auto at = std::find(watch.kinds.begin(), watch.kinds.end(), SearchEvent::Kind::Paused);
        QCOMPARE(*(at + 1), SearchEvent::Kind::Resumed);
    }
    // Paused during a measurement: the measurement ends, then the search blocks and says so.
    {
        test::FakeMeasurer m;
        SearchEngine e(gptSpace(), smallParams(), m);
        m.onMeasure = [&](const ArchConfig&) {
            if (m.calls == 5)
                e.setPaused(true);
        };
        PauseWatch watch;
        SearchResult r;
        std::thread worker([&] { r = e.run(&watch); });
        auto paused = watch.paused.get_future();
        QVERIFY(paused.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
        QCOMPARE(paused.get(), 5);
        QCOMPARE(m.calls, 5);
        e.cancel(); // a cancel ends a pause too
        worker.join();
        QVERIFY(r.cancelled);
        QCOMPARE(r.candidates.size(), std::size_t(5));
    }
}

void TestSearch::timeBudget()
{
    // Each measurement takes 10 ms on a driven clock, confirmations too: a budget of 0.3 s holds
    // at most 30 of them, and nothing is measured once the budget is spent.
    double now = 0;
    test::FakeMeasurer m;
    m.onMeasure = [&](const ArchConfig&) { now += 0.01; };
    m.onConfirm = m.onMeasure;
    SearchParams p = smallParams();
    p.timeBudgetS = 0.3;
    Recorder rec;
    SearchEngine engine(gptSpace(), p, m);
    engine.setClock([&] { return now; });
    const SearchResult r = engine.run(&rec);
    QVERIFY(!r.cancelled);
    QVERIFY(m.calls >= 5);
    QVERIFY(m.calls + m.confirms <= 31); // the budget, overrun by one confirmation at most
    QVERIFY(r.elapsedS <= p.timeBudgetS + 0.01 + 1e-9);
    QCOMPARE(QString::fromStdString(rec.events.back().message), QStringLiteral("time budget reached"));
    for (const auto& c : r.candidates)
        QVERIFY(c.elapsedS <= r.elapsedS);
}

void TestSearch::timeBudgetIncludesTheConfirmation()
{
    // Confirmations slower than the reserve kept for them: the search stops confirming when the
    // budget is spent, says how many points it left unconfirmed, and overruns by one at most.
    double now = 0;
    test::FakeMeasurer m;
    m.onMeasure = [&](const ArchConfig&) { now += 0.01; };
    static constexpr double kConfirmS = 0.06;
    m.onConfirm = [&](const ArchConfig&) { now += kConfirmS; };
    SearchParams p = smallParams();
    p.timeBudgetS = 0.3;
    Recorder rec;
    SearchEngine engine(gptSpace(), p, m);
    engine.setClock([&] { return now; });
    const SearchResult r = engine.run(&rec);
    QVERIFY2(r.elapsedS <= p.timeBudgetS + kConfirmS + 1e-9, qPrintable(QString::number(r.elapsedS)));
    QVERIFY(unconfirmedOnFrontier(r) > 0);
    const bool said = std::any_of(rec.events.begin(), rec.events.end(), [&](const SearchEvent& e) {
        return e.kind == SearchEvent::Kind::Message && e.warning
            && e.message.find("left unconfirmed: the time budget ran out") != std::string::npos;
    });
    QVERIFY(said);
}

void TestSearch::reserveLearnsWhatConfirmationsCost()
{
    // Confirmations take three first measurements' time, more than the reserve's first guess
    // (1.3): once the run has timed a few, it keeps back what they cost and confirms its whole
    // final frontier within the budget (with the first guess kept, 3 points were left).
    double now = 0;
    test::FakeMeasurer m;
    m.reportTime = true;
    m.clock = [&] { return now; };
    m.onMeasure = [&](const ArchConfig&) { now += 0.01; };
    m.onConfirm = [&](const ArchConfig&) { now += 0.03; };
    SearchParams p = smallParams();
    p.timeBudgetS = 0.8;
    Recorder rec;
    SearchEngine engine(gptSpace(), p, m);
    engine.setClock([&] { return now; });
    const SearchResult r = engine.run(&rec);
    QCOMPARE(QString::fromStdString(rec.events.back().message), QStringLiteral("time budget reached"));
    QVERIFY(m.confirms > 3);
    QCOMPARE(unconfirmedOnFrontier(r), 0);
    QVERIFY2(r.elapsedS <= p.timeBudgetS + 1e-9, qPrintable(QString::number(r.elapsedS)));
}

void TestSearch::reserveLearnsTheConfirmationCascade()
{
    // First measurements up to 60% lucky: a confirmed point often falls off the frontier and
    // uncovers others that need confirming in turn. Confirmations cost what the reserve expects
    // (1.3 first measurements); the budget keeps back the cascade it observed and ends with its
    // whole frontier confirmed (keeping back one confirmation per point left points unconfirmed).
    for (const double budgetS : { 0.6, 0.9, 1.3 }) {
        double now = 0;
        test::FakeMeasurer m;
        m.firstLuck = 0.6;
        m.reportTime = true;
        m.clock = [&] { return now; };
        m.onMeasure = [&](const ArchConfig&) { now += 0.01; };
        m.onConfirm = [&](const ArchConfig&) { now += 0.013; };
        SearchParams p = smallParams(3);
        p.timeBudgetS = budgetS;
        Recorder rec;
        SearchEngine engine(gptSpace(), p, m);
        engine.setClock([&] { return now; });
        const SearchResult r = engine.run(&rec);
        QCOMPARE(QString::fromStdString(rec.events.back().message), QStringLiteral("time budget reached"));
        QVERIFY(m.confirms > int(r.frontier.size())); // a cascade took place
        QCOMPARE(unconfirmedOnFrontier(r), 0);
        QVERIFY2(r.elapsedS <= p.timeBudgetS + 1e-9, qPrintable(QString::number(r.elapsedS)));
    }
}

void TestSearch::timeLeftAfterConfirmingGoesOn()
{
    // Confirmations far cheaper than the reserve kept for them: the search stops measuring to
    // confirm its frontier, finds time left once it is confirmed, and goes on measuring, so it
    // ends near its budget with its frontier confirmed rather than with time unused.
    double now = 0;
    test::FakeMeasurer m;
    m.reportTime = true;
    m.clock = [&] { return now; };
    m.onMeasure = [&](const ArchConfig&) { now += 0.01; };
    m.onConfirm = [&](const ArchConfig&) { now += 0.001; };
    SearchParams p = smallParams(5);
    p.iterations = 50;
    p.timeBudgetS = 0.3;
    Recorder rec;
    SearchEngine engine(gptSpace(), p, m);
    engine.setClock([&] { return now; });
    const SearchResult r = engine.run(&rec);
    QCOMPARE(QString::fromStdString(rec.events.back().message), QStringLiteral("time budget reached"));
    QCOMPARE(unconfirmedOnFrontier(r), 0);
    QVERIFY2(r.elapsedS > p.timeBudgetS - 0.03, qPrintable(QString::number(r.elapsedS)));
    QVERIFY2(r.elapsedS <= p.timeBudgetS + 1e-9, qPrintable(QString::number(r.elapsedS)));
}

void TestSearch::firstPopulationFromTheEstimatedFrontier()
{
    // Exact estimates: a calibration sample across the strata, cheapest first, until they hold;
    // then the members of the 4,000 sampled on or near the estimated frontier, its own members
    // first; every other one recorded as estimated. With room for all of them, no architecture
    // the estimates dropped is on the frontier of the whole sample.
    test::FakeMeasurer m;
    m.estimateScale = 1.0;
    SearchParams p = smallParams(13);
    p.iterations = 1;
    p.mutants = 150;
    p.crossovers = 150;
    Recorder rec;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(&rec);
    std::vector<const Candidate*> measured, estimated;
    for (const auto& c : r.candidates)
        (c.status == Candidate::Status::Estimated ? estimated : measured).push_back(&c);
    qInfo("%zu measured, %zu estimated, frontier %zu", measured.size(), estimated.size(), r.frontier.size());
    QVERIFY(estimated.size() > 2000);
    int audits = 0;
    for (const Candidate* c : measured)
        audits += c->audit;
    QVERIFY(int(measured.size()) - audits <= p.populationSize());
    QCOMPARE(m.calls, int(measured.size()));
    QVERIFY(r.estimate.trusted);
    // The calibration: the first 13 measured span every stratum the sample reaches, cheapest first.
    constexpr std::size_t kCalibration = EstimateCalibrator::kMinPairs + EstimateCalibrator::kMinTrustPairs;
    std::set<int> reached, calibrated;
    for (const auto& c : r.candidates)
        reached.insert(calibrationStratum(c.arch, gptSpace()));
    for (std::size_t k = 0; k < kCalibration; ++k) {
        calibrated.insert(calibrationStratum(measured[k]->arch, gptSpace()));
        if (k > 0)
            QVERIFY(measured[k - 1]->measurement.latencyMs <= measured[k]->measurement.latencyMs);
    }
    QCOMPARE(calibrated, reached);
    // No false drop: every estimated one is dominated by a measured one.
    std::vector<Point> measuredPoints;
    for (const Candidate* c : measured)
        measuredPoints.push_back(c->point(p.objectives));
    for (const Candidate* c : estimated) {
        QCOMPARE(c->measurement.latencyMs, test::FakeMeasurer::latencyOf(c->arch));
        const Point e = c->point(p.objectives);
        QVERIFY(
            std::any_of(measuredPoints.begin(), measuredPoints.end(), [&](const Point& x) { return dominates(x, e); }));
    }
    // After the calibration, the estimated frontier's members come first.
    std::vector<Point> all;
    for (const auto& c : r.candidates)
        if (c.status != Candidate::Status::Failed)
            all.push_back(c.point(p.objectives));
    std::set<Point> front;
    for (std::size_t i : paretoFront(all))
        front.insert(all[i]);
    QVERIFY(front.count(measured[kCalibration]->point(p.objectives)) == 1);
    QVERIFY(std::any_of(rec.events.begin(), rec.events.end(), [](const SearchEvent& e) {
        return e.kind == SearchEvent::Kind::Message
            && e.message.find("measurements calibrated the estimates; of") != std::string::npos;
    }));
    // Audits: a random share of the drops measured anyway, within 5% of the full measurements.
    QCOMPARE(r.estimate.audited, audits);
    QVERIFY(audits >= 1);
    QVERIFY(audits <= ScreeningPolicy::kAuditShare * double(measured.size()) + 1);
}

void TestSearch::auditsOnlyWhatTheEstimatesPutOutOfReach()
{
    // Exact estimates and a small population: most members within reach of the estimated
    // frontier find no room and are recorded as estimated. Those are not screened out, so not
    // audited; what is audited was put beyond reach, and exact estimates never drop a frontier point.
    for (const std::uint64_t seed : { 1, 2, 3 }) {
        test::FakeMeasurer m;
        m.estimateScale = 1.0;
        SearchParams p = smallParams(seed);
        p.iterations = 1;
        p.mutants = 40;
        p.crossovers = 40;
        const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
        QVERIFY2(r.estimate.audited >= 3, qPrintable(QString::number(r.estimate.audited)));
        QCOMPARE(r.estimate.falseDrops, 0);
    }
}

void TestSearch::calibrationLearnsBias()
{
    test::FakeMeasurer m;
    m.estimateScale = 2.0; // the estimate reads twice the real latency
    SearchParams p = smallParams();
    p.presample = 1; // batches as sampled, so that some candidates are far from the front
    p.estimateRounds = 0;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
    QCOMPARE(r.estimate.calibration, 0.5);
    QVERIFY(r.estimate.medianError < 1e-12);
    // Nothing is screened before the calibration exists, so every estimate recorded is calibrated.
    int estimated = 0;
    for (const auto& c : r.candidates) {
        if (c.status != Candidate::Status::Estimated)
            continue;
        QCOMPARE(c.measurement.latencyMs, test::FakeMeasurer::latencyOf(c.arch));
        ++estimated;
    }
    QVERIFY(estimated > 0);
}

void TestSearch::screeningOff()
{
    test::FakeMeasurer m;
    m.estimateScale = 1.0;
    SearchParams p = smallParams();
    p.screening = false;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
    QCOMPARE(m.estimates, 0);
    QCOMPARE(m.calls, int(r.candidates.size()));
}

void TestSearch::presampleKeepsTheBestEstimates_data()
{
    QTest::addColumn<int>("rounds");
    QTest::addColumn<QString>("objectives");
    QTest::newRow("samples only") << 0 << "params,latency";
    QTest::newRow("3 generations bred on estimates") << 3 << "params,latency";
    QTest::newRow("memory, no latency estimate") << 0 << "params,memory";
    QTest::newRow("all three") << 1 << "params,latency,memory";
}

void TestSearch::presampleKeepsTheBestEstimates()
{
    // After the first population (enough full measurements to trust the exact estimates), each batch is the best of
    // presample x as many bred samples (and as many again per estimate round) by the estimates of the chosen
    // objectives: no candidate kept is outranked on those objectives by a sample left out, and nothing more is
    // measured.
    QFETCH(int, rounds);
    QFETCH(QString, objectives);
    SearchParams p = smallParams();
    p.objectives = parseObjectives(objectives.toStdString());
    const bool latency = objectives.contains(QStringLiteral("latency"));
    test::FakeMeasurer m;
    m.estimateScale = latency ? 1.0 : 0.0;
    m.memoryEstimateScale = 1.0;
    p.iterations = 2;
    p.presample = 5;
    p.estimateRounds = rounds;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
    const int bred = p.mutants + p.crossovers;
    // What the first population estimated: the same seed's first iteration alone.
    test::FakeMeasurer firstOnly;
    firstOnly.estimateScale = m.estimateScale;
    firstOnly.memoryEstimateScale = 1.0;
    SearchParams one = p;
    one.iterations = 1;
    SearchEngine(gptSpace(), one, firstOnly).run(nullptr);
    const int firstEstimates = int(firstOnly.estimated.size());
    QCOMPARE(int(std::count_if(
                 r.candidates.begin(), r.candidates.end(), [](const Candidate& c) { return c.iteration == 1; })),
        bred);
    QCOMPARE(int(m.estimated.size()), firstEstimates + bred * p.presample * (1 + rounds));
    auto truePoint = [&](const ArchConfig& a) {
        Candidate c;
        c.decoderParams = decoderParams(a);
        c.measurement.latencyMs = test::FakeMeasurer::latencyOf(a);
        c.measurement.peakMemoryMb = test::FakeMeasurer::memoryOf(a);
        return c.point(p.objectives);
    };
    const std::vector<ArchConfig> second(m.estimated.begin() + firstEstimates, m.estimated.end());
    std::vector<Point> points;
    for (const auto& a : second)
        points.push_back(truePoint(a));
    const std::vector<int> ranks = nonDominatedRanks(points);
    std::set<std::string> kept;
    for (const auto& c : r.candidates)
        if (c.iteration == 1)
            kept.insert(c.arch.key());
    QCOMPARE(int(kept.size()), bred);
    int worstKept = 0, bestLeft = 1 << 30;
    for (std::size_t i = 0; i < second.size(); ++i) {
        if (kept.count(second[i].key()))
            worstKept = std::max(worstKept, ranks[i]);
        else
            bestLeft = std::min(bestLeft, ranks[i]);
    }
    QVERIFY2(
        worstKept <= bestLeft, qPrintable(QStringLiteral("kept rank %1, left rank %2").arg(worstKept).arg(bestLeft)));
}

namespace {

std::set<std::string> keysOfIteration(const SearchResult& r, int iteration)
{
    std::set<std::string> out;
    for (const auto& c : r.candidates)
        if (c.iteration == iteration)
            out.insert(c.arch.key());
    return out;
}

bool sameCandidates(const SearchResult& a, const SearchResult& b)
{
    for (int i = 0; i < std::max(a.iterationsDone, b.iterationsDone); ++i)
        if (keysOfIteration(a, i) != keysOfIteration(b, i))
            return false;
    return a.iterationsDone == b.iterationsDone;
}

} // namespace

void TestSearch::ltsIsThePlainProcedure()
{
    // --algorithm lts is the published procedure: the seed's plain random first population and
    // every bred candidate measured in full, never an estimate asked, however good the
    // estimates are: the same run as the evolution without screening.
    SearchParams plain = smallParams(21);
    plain.screening = false;
    test::FakeMeasurer m0;
    const SearchResult reference = SearchEngine(gptSpace(), plain, m0).run(nullptr);
    SearchParams p = smallParams(21);
    p.algorithm = Algorithm::Lts;
    p.presample = 10;
    p.estimateRounds = 2;
    test::FakeMeasurer m;
    m.estimateScale = 1.0;
    m.memoryEstimateScale = 1.0;
    const SearchResult r = SearchEngine(gptSpace(), p, m).run(nullptr);
    QCOMPARE(keys(r), keys(reference));
    QCOMPARE(int(std::count_if(
                 r.candidates.begin(), r.candidates.end(), [](const Candidate& c) { return c.iteration == 0; })),
        p.populationSize());
    QCOMPARE(m.estimates, 0);
    for (const auto& c : r.candidates)
        QCOMPARE(c.status, Candidate::Status::Ok);
    QCOMPARE(m.calls, int(r.candidates.size()));
    QCOMPARE(algorithmFromName("lts"), Algorithm::Lts);
    QCOMPARE(algorithmName(Algorithm::Lts), std::string("lts"));
}

void TestSearch::randomBaselineIgnoresEstimates()
{
    // The random baseline is the same run with or without estimates, and never asks for one.
    SearchParams p = smallParams(5);
    p.algorithm = Algorithm::Random;
    test::FakeMeasurer without, with;
    with.estimateScale = 1.0;
    with.memoryEstimateScale = 1.0;
    const SearchResult a = SearchEngine(gptSpace(), p, without).run(nullptr);
    const SearchResult b = SearchEngine(gptSpace(), p, with).run(nullptr);
    QCOMPARE(keys(a), keys(b)); // the same candidates in the same order
    QCOMPARE(with.estimates, 0);
    QCOMPARE(with.calls, int(b.candidates.size()));
}

void TestSearch::untrustedEstimatesTurnThemselvesOff()
{
    // Estimates off by up to 60% either way are not trusted after the calibration sample: nothing
    // is screened or culled, the first population is a random sample measured in full, the run
    // breeds as measuring everything breeds, and the user is told why.
    SearchParams p = smallParams(3);
    p.presample = 5;
    test::FakeMeasurer noisy;
    noisy.estimateScale = 1.0;
    noisy.estimateNoise = 0.6;
    Recorder rec;
    const SearchResult r = SearchEngine(gptSpace(), p, noisy).run(&rec);
    SearchParams off = p;
    off.screening = false;
    test::FakeMeasurer plain;
    const SearchResult reference = SearchEngine(gptSpace(), off, plain).run(nullptr);
    QCOMPARE(r.candidates.size(), reference.candidates.size());
    QCOMPARE(noisy.calls, int(r.candidates.size()));
    QCOMPARE(int(keysOfIteration(r, 0).size()), p.populationSize());
    for (const auto& c : r.candidates)
        QVERIFY(c.status != Candidate::Status::Estimated);
    QVERIFY(!r.estimate.trusted);
    QVERIFY(r.estimate.p90Error > 0.2);
    bool told = false;
    for (const auto& e : rec.events)
        told = told
            || (e.kind == SearchEvent::Kind::Message && e.warning
                && e.message.find("screening and culling are off") != std::string::npos);
    QVERIFY(told);

    // A bias that grows with depth (shallow models estimated 30% too fast, deep ones 40% too
    // slow): no single calibration absorbs it, so the calibration sample finds it out.
    test::FakeMeasurer biased;
    biased.estimateScale = 1.0;
    biased.estimateBias = [](const ArchConfig& a) { return 0.7 + 0.05 * a.nLayer; };
    Recorder toldBias;
    SearchParams first = p;
    first.iterations = 1;
    const SearchResult b = SearchEngine(gptSpace(), first, biased).run(&toldBias);
    QVERIFY(!b.estimate.trusted);
    QCOMPARE(int(b.candidates.size()), p.populationSize());
    QCOMPARE(biased.calls, p.populationSize());
    QVERIFY(std::any_of(toldBias.events.begin(), toldBias.events.end(), [](const SearchEvent& e) {
        return e.kind == SearchEvent::Kind::Message && e.warning
            && e.message.find("screening and culling are off") != std::string::npos;
    }));

    // Exact estimates are trusted once ten full measurements agree, and then they cull.
    test::FakeMeasurer exact;
    exact.estimateScale = 1.0;
    Recorder told2;
    const SearchResult culled = SearchEngine(gptSpace(), p, exact).run(&told2);
    QVERIFY(culled.estimate.trusted);
    QCOMPARE(culled.estimate.within5, 1.0);
    QVERIFY(!sameCandidates(culled, reference));
    QVERIFY(exact.estimates > int(culled.candidates.size()));
}

void TestSearch::frontierPointsAreConfirmed()
{
    // First measurements up to 40% too fast (luck), confirmations exact: every frontier point
    // reported is confirmed and carries its true latency; lucky points that fall back on
    // confirmation leave the frontier.
    test::FakeMeasurer m;
    m.firstLuck = 0.4;
    Recorder rec;
    const SearchResult r = SearchEngine(gptSpace(), smallParams(9), m).run(&rec);
    QVERIFY(!r.frontier.empty());
    for (std::size_t i : r.frontier) {
        const Candidate& c = r.candidates[i];
        QVERIFY(c.measurement.confirmed);
        QCOMPARE(c.measurement.latencyMs, test::FakeMeasurer::latencyOf(c.arch));
        QVERIFY(c.measurement.firstLatencyMs <= c.measurement.latencyMs);
    }
    int fellOff = 0;
    for (const auto& e : rec.events) {
        if (e.kind != SearchEvent::Kind::Confirmed)
            continue;
        const Candidate& c = e.candidate;
        QCOMPARE(c.measurement.firstLatencyMs,
            test::FakeMeasurer::latencyOf(c.arch) * (1 - 0.4 * test::FakeMeasurer::luckOf(c.arch)));
        const auto at =
            std::find_if(r.candidates.begin(), r.candidates.end(), [&](const Candidate& x) { return x.id == c.id; });
        QVERIFY(at != r.candidates.end());
        fellOff += !at->onFrontier;
    }
    qInfo("%d confirmations, %d of them left the frontier", m.confirms, fellOff);
    QVERIFY(fellOff > 0);
    // Each architecture is confirmed at most once.
    std::set<std::string> confirmed;
    for (const auto& a : m.confirmed)
        QVERIFY(confirmed.insert(a.key()).second);
}

void TestSearch::mutatedInnerWidthFitsTheChildsModelWidth()
{
    // d_inner of at least 2 x d_model: a redrawn d_inner comes from the values allowed for the
    // child's own d_model, so a mutant that keeps its parent's d_model is always in the space
    // (before, it was drawn for another random d_model and often fell outside).
    SearchSpace s = gptSpace();
    s.dModel = { 128, 512 };
    s.dInner = { 256, 512, 1024, 2048 };
    s.minInnerRatio = 2.0;
    s.validate();
    SearchParams p = smallParams();
    p.mutationProb = 0.5;
    Breeder breeder(s, p);
    Genes parent;
    for (int tries = 0; tries < 1000 && parent.dModel != 512; ++tries)
        parent = breeder.random();
    QCOMPARE(parent.dModel, 512);
    int kept = 0;
    std::set<int> drawn;
    for (int i = 0; i < 2000; ++i) {
        const Genes child = breeder.mutate(parent);
        if (child.dModel != parent.dModel)
            continue;
        ++kept;
        for (int di : child.dInner) {
            QVERIFY2(di >= 1024, qPrintable(QStringLiteral("d_inner %1 with d_model 512").arg(di)));
            drawn.insert(di);
        }
    }
    QVERIFY(kept > 500);
    QCOMPARE(drawn, (std::set<int> { 1024, 2048 }));
}

void TestSearch::poolFollowsTheCourseOfOneDevice()
{
    // A pool measures ahead what the course is expected to measure; the course takes those
    // measurements in batch order and drops what it screens out, so with the same measurements
    // it is the same as on one device: candidates, statuses, latencies, confirmations, frontier.
    auto configure = [](test::FakeMeasurer& m) {
        m.estimateScale = 1.0;
        m.estimateNoise = 0.12; // screening decisions that the batch's own measurements can change
        m.firstLuck = 0.05;
    };
    test::FakeMeasurer one, inner;
    configure(one);
    configure(inner);
    test::PoolMeasurer pool(inner, 3);
    SearchParams p = smallParams(11);
    Recorder single, pooled;
    const SearchResult a = SearchEngine(gptSpace(), p, one).run(&single);
    const SearchResult b = SearchEngine(gptSpace(), p, pool).run(&pooled);
    QCOMPARE(keys(b), keys(a));
    int estimated = 0;
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        QCOMPARE(b.candidates[i].status, a.candidates[i].status);
        QCOMPARE(b.candidates[i].measurement.latencyMs, a.candidates[i].measurement.latencyMs);
        QCOMPARE(b.candidates[i].measurement.confirmed, a.candidates[i].measurement.confirmed);
        estimated += a.candidates[i].status == Candidate::Status::Estimated;
    }
    QCOMPARE(b.frontier, a.frontier);
    QCOMPARE(b.hypervolume, a.hypervolume);
    QVERIFY(estimated > 0); // the screening was exercised
    std::vector<std::string> confirmedOne, confirmedPool;
    for (const auto& x : one.confirmed)
        confirmedOne.push_back(x.key());
    for (const auto& x : inner.confirmed)
        confirmedPool.push_back(x.key());
    QCOMPARE(confirmedPool, confirmedOne);
    // While screening could drop a candidate, the pool kept at most two per device under way;
    // and what it measured ahead in vain is said.
    QCOMPARE(*std::max_element(pool.measuringAhead.begin(), pool.measuringAhead.end()), 6);
    QVERIFY(pool.takenAhead > one.calls / 2);
    const int dropped = inner.calls + inner.confirms - one.calls - one.confirms;
    QCOMPARE(pool.abandoned, dropped);
    qInfo("%d measurements and %d confirmations, %d of them started ahead; %d measured ahead in vain", one.calls,
        one.confirms, pool.takenAhead, dropped);
    QVERIFY(dropped > 0); // one the course screened out after all: the case that matters
    bool said = false;
    for (const auto& e : pooled.events)
        said = said
            || (e.kind == SearchEvent::Kind::Message
                && e.message.find(std::to_string(dropped) + " measurement(s) the device pool took ahead") == 0);
    QVERIFY(said);
}

QTEST_APPLESS_MAIN(TestSearch)
#include "tst_search.moc"
