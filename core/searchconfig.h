// A whole search configuration: the space, the search's knobs and the measurement protocol.
// It is what `lts-search run --space` reads, what the GUI's Configure panel edits and saves, and
// what session.json records (jsonio.h reads and writes it).
#pragma once

#include "measurement.h"
#include "search.h"
#include "searchspace.h"

#include <algorithm>

namespace lts {

struct SearchConfig {
    SearchSpace space;
    SearchParams search;
    MeasureProtocol protocol;
};

// Candidates a search evaluates when it runs every iteration: its first population, then each
// iteration's children (the random baseline: a population per iteration), at most the space.
inline double plannedCandidates(const SearchConfig& c)
{
    const SearchParams& p = c.search;
    const double n = p.algorithm == Algorithm::Random
        ? double(p.iterations) * p.populationSize()
        : p.populationSize() + double(p.iterations - 1) * (p.mutants + p.crossovers);
    return std::max(1.0, std::min(n, c.space.size()));
}

} // namespace lts
