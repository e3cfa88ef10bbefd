// The time a search may take and what it keeps back to confirm its frontier inside it, on a clock
// a test can drive instead of sleeping.
#pragma once

#include <functional>

namespace lts {

// Seconds on a monotonic clock; only differences are used.
using SearchClock = std::function<double()>;
SearchClock steadyClock();

// Not thread-safe: owned by one search run. A confirmation builds the model again and times more
// passes than a first measurement; until the run has timed kConfirmCostSamples of them, one is
// taken to cost kConfirmCostFactor first measurements, then what the run observed. Confirming a
// frontier takes more confirmations than it has unconfirmed points: a point that falls off on
// confirmation uncovers others, confirmed in turn. Until the run has confirmed a frontier, that
// cascade is taken to be kConfirmCascade confirmations per unconfirmed point, then what it
// observed; a run that stopped early for it goes on once its frontier is confirmed.
class TimeBudget final {
public:
    static constexpr double kConfirmCostFactor = 1.3;
    static constexpr int kConfirmCostSamples = 3;
    static constexpr double kConfirmCascade = 1.5;

    // budgetS 0: no limit. `parallelism`: devices that measure and confirm at once.
    TimeBudget(double budgetS, SearchClock clock, int parallelism);

    // Seconds since this run started (not counting earlier sessions of a resumed run).
    double sinceStart() const;
    bool limited() const { return m_budgetS > 0; }
    // The whole budget is used, the confirmations' reserve included.
    bool spent() const;
    // Measuring one more candidate would eat into what confirming the frontier needs:
    // `unconfirmedFirstsMs` is the first measurements' time of the frontier points not yet confirmed.
    bool exhausted(double unconfirmedFirstsMs) const;
    double confirmReserveS(double unconfirmedFirstsMs) const;
    // One more candidate and, should it join the frontier, its confirmation, at the run's mean.
    double nextMeasurementS() const;
    double confirmCostFactor() const;
    double confirmCascade() const;
    bool confirmCostKnown() const { return m_confirmsTimed >= kConfirmCostSamples && m_confirmedFirstsMs > 0; }

    void recordFirst(double measureMs);
    void recordConfirmation(double confirmMs, double firstMs);
    // A frontier confirmed in full: `unconfirmed` points at the start took `confirmations`.
    void recordFrontierConfirmed(int unconfirmed, int confirmations);

private:
    double m_budgetS;
    SearchClock m_clock;
    int m_parallelism;
    double m_startS;
    double m_firstsMs = 0, m_confirmsMs = 0, m_confirmedFirstsMs = 0;
    int m_firstsTimed = 0, m_confirmsTimed = 0;
    int m_cascadeUnconfirmed = 0, m_cascadeConfirmations = 0;
};

} // namespace lts
