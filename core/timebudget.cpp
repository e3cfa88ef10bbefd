#include "timebudget.h"

#include <algorithm>
#include <chrono>

namespace lts {

SearchClock steadyClock()
{
    return [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
}

TimeBudget::TimeBudget(double budgetS, SearchClock clock, int parallelism)
    : m_budgetS(budgetS)
    , m_clock(std::move(clock))
    , m_parallelism(std::max(1, parallelism))
    , m_startS(m_clock())
{
}

double TimeBudget::sinceStart() const
{
    return m_clock() - m_startS;
}

bool TimeBudget::spent() const
{
    return limited() && sinceStart() >= m_budgetS;
}

bool TimeBudget::exhausted(double unconfirmedFirstsMs) const
{
    return limited() && sinceStart() + confirmReserveS(unconfirmedFirstsMs) + nextMeasurementS() >= m_budgetS;
}

double TimeBudget::confirmReserveS(double unconfirmedFirstsMs) const
{
    if (!limited())
        return 0;
    return confirmCostFactor() * confirmCascade() * unconfirmedFirstsMs / 1000.0 / m_parallelism;
}

double TimeBudget::nextMeasurementS() const
{
    if (m_firstsTimed == 0)
        return 0;
    return (1 + confirmCostFactor()) * m_firstsMs / m_firstsTimed / 1000.0 / m_parallelism;
}

double TimeBudget::confirmCostFactor() const
{
    if (!confirmCostKnown())
        return kConfirmCostFactor;
    return std::max(1.0, m_confirmsMs / m_confirmedFirstsMs);
}

double TimeBudget::confirmCascade() const
{
    if (m_cascadeUnconfirmed == 0)
        return kConfirmCascade;
    return std::max(1.0, double(m_cascadeConfirmations) / m_cascadeUnconfirmed);
}

void TimeBudget::recordFirst(double measureMs)
{
    if (measureMs <= 0)
        return;
    m_firstsMs += measureMs;
    ++m_firstsTimed;
}

void TimeBudget::recordConfirmation(double confirmMs, double firstMs)
{
    if (confirmMs <= 0 || firstMs <= 0)
        return;
    m_confirmsMs += confirmMs;
    m_confirmedFirstsMs += firstMs;
    ++m_confirmsTimed;
}

void TimeBudget::recordFrontierConfirmed(int unconfirmed, int confirmations)
{
    if (unconfirmed <= 0)
        return;
    m_cascadeUnconfirmed += unconfirmed;
    m_cascadeConfirmations += confirmations;
}

} // namespace lts
